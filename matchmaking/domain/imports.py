"""Importing a forum's participants or meeting requests from a spreadsheet (CSV, UTF-8, or XLSX): every row is
checked first, and each error names the row, the column, what is wrong and what is allowed. One error anywhere
and nothing is saved; otherwise every row is saved in one transaction, audited like any other write.

Participants: columns `organisation` (required), `name`, `kind` (company | person), `sector`, `profile`,
`email`, `delegation` (a partner code with a delegation at the forum or its summit, e.g. FRA), `unavailable`
(slot starts separated by `;`, e.g. `2020-11-14 09:00; 2020-11-14 09:30`).

Requests: columns `from` and `to` (a participant's organisation; `from_name` / `to_name` when an organisation
sends several representatives), `priority` (1–5), `status` (requested | accepted, default requested),
`message`."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save
from delegations.models import Delegation
from events.models import Event
from matchmaking.models import ForumSlot, MeetingRequest, Participant
from matchmaking.validators import priority_error

MAX_BYTES = 5_000_000
MAX_ROWS = 20_000
PARTICIPANT_COLUMNS = ("organisation", "name", "kind", "sector", "profile", "email", "delegation", "unavailable")
REQUEST_COLUMNS = ("from", "from_name", "to", "to_name", "priority", "status", "message")
IMPORTABLE_STATUSES = (MeetingRequest.Status.REQUESTED, MeetingRequest.Status.ACCEPTED)


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)


class ImportRefused(ValueError):
    """The file as a whole cannot be read (not CSV or XLSX, no header, too large)."""


def read_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (lower-cased) and the non-blank rows with their spreadsheet numbers."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("The file is larger than 5 MB; split it into several files."))
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise ImportRefused(_("The file is not an Excel workbook (.xlsx) that can be read.")) from exc
        table = [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    else:
        try:
            text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError:
            raise ImportRefused(_("The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.")) from None
        first = text.partition("\n")[0]
        delimiter = max(",;\t", key=first.count)
        try:
            table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:  # a field over the csv module's limit, a stray NUL
            raise ImportRefused(
                _("The file is not a CSV file that can be read (%(reason)s): save it as “CSV UTF-8” again.")
                % {"reason": exc}
            ) from None
    if not table:
        raise ImportRefused(_("The file is empty: row 1 must name the columns."))
    header = [cell.strip().lower().replace(" ", "_") for cell in table[0]]
    rows = [
        (number, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)})
        for number, cells in enumerate(table[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    if len(rows) > MAX_ROWS:
        raise ImportRefused(_("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS})
    return header, rows


def _header_errors(header: list[str], allowed: Iterable[str], required: Iterable[str]) -> list[RowError]:
    errors = [
        RowError(1, name, _("This column is required; the columns allowed are %(allowed)s.")
                 % {"allowed": ", ".join(allowed)})
        for name in required
        if name not in header
    ]  # fmt: skip
    errors += [
        RowError(1, name, _("Unknown column; the columns allowed are %(allowed)s.") % {"allowed": ", ".join(allowed)})
        for name in header
        if name and name not in allowed
    ]
    return errors


def _slot_starts(event: Event) -> dict[str, ForumSlot]:
    tz = timezone.get_current_timezone()
    return {s.start.astimezone(tz).strftime("%Y-%m-%d %H:%M"): s for s in ForumSlot.objects.filter(event=event)}


@transaction.atomic
def participants_import(*, event: Event, data: bytes, filename: str, by: Actor) -> ImportResult:
    header, rows = read_table(data, filename)
    result = ImportResult(errors=_header_errors(header, PARTICIPANT_COLUMNS, ("organisation",)))
    if result.errors:
        return result
    delegations = {
        d.partner.code.upper(): d
        for d in Delegation.objects.filter(event_id__in=[event.pk, event.parent_id]).select_related("partner")
    }
    slots = _slot_starts(event)
    existing = set(Participant.objects.filter(event=event).values_list("organisation", "name"))
    seen: set[tuple[str, str]] = set()
    kinds = Participant.Kind.values
    prepared = []
    for number, row in rows:
        errors = []
        organisation, name = row.get("organisation", ""), row.get("name", "")
        if not organisation:
            errors.append(RowError(number, "organisation", _("Required: the company's or organisation's name.")))
        elif len(organisation) > 200:
            errors.append(RowError(number, "organisation", _("At most 200 characters.")))
        if (organisation, name) in existing or (organisation, name) in seen:
            errors.append(RowError(number, "organisation", _("%(who)s is already a participant (or twice in the "
                                                              "file); each organisation and name once.")
                                   % {"who": organisation}))  # fmt: skip
        seen.add((organisation, name))
        kind = row.get("kind", "").lower() or Participant.Kind.COMPANY
        if kind not in kinds:
            errors.append(RowError(number, "kind", _("“%(value)s” is not allowed; write one of %(allowed)s.")
                                   % {"value": kind, "allowed": ", ".join(kinds)}))  # fmt: skip
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
                if len(email) > 254:  # the field's limit, which validate_email does not check
                    raise ValidationError("too long")
            except ValidationError:
                errors.append(RowError(number, "email", _("“%(value)s” is not an email address.") % {"value": email}))
        code = row.get("delegation", "").upper()
        delegation = delegations.get(code) if code else None
        if code and delegation is None:
            allowed = ", ".join(sorted(delegations)) or "—"
            errors.append(RowError(number, "delegation", _("No delegation of %(code)s at %(event)s or its summit; "
                                                            "write one of %(allowed)s, or leave it empty.")
                                   % {"code": code, "event": event, "allowed": allowed}))  # fmt: skip
        unavailable = []
        for text in filter(None, (part.strip() for part in row.get("unavailable", "").split(";"))):
            slot = slots.get(text)
            if slot is None:
                errors.append(RowError(number, "unavailable", _("“%(value)s” is not the start of one of the forum's "
                                                                 "slots (YYYY-MM-DD HH:MM; the slots start at "
                                                                 "%(allowed)s).")
                                       % {"value": text, "allowed": ", ".join(sorted(slots)[:6]) or "—"}))  # fmt: skip
            else:
                unavailable.append(slot)
        for column, limit in (("organisation", 200), ("name", 200), ("sector", 100), ("profile", 1000)):
            if len(row.get(column, "")) > limit:
                errors.append(RowError(number, column, _("At most %(limit)s characters.") % {"limit": limit}))
        if errors:
            result.errors += errors
            continue
        prepared.append((row, kind, delegation, unavailable))
    if result.errors:
        return result
    for row, kind, delegation, unavailable in prepared:
        participant = Participant(
            event=event,
            delegation=delegation,
            kind=kind,
            organisation=row["organisation"],
            name=row.get("name", ""),
            sector=row.get("sector", ""),
            profile=row.get("profile", ""),
            email=row.get("email", ""),
        )
        instance_save(instance=participant, by=by, action="matchmaking.participant.imported",
                      m2m={"unavailable": unavailable} if unavailable else None)  # fmt: skip
        result.created += 1
    return result


@transaction.atomic
def requests_import(*, event: Event, data: bytes, filename: str, by: Actor) -> ImportResult:
    header, rows = read_table(data, filename)
    result = ImportResult(errors=_header_errors(header, REQUEST_COLUMNS, ("from", "to")))
    if result.errors:
        return result
    by_organisation: dict[str, list[Participant]] = {}
    for participant in Participant.objects.filter(event=event, active=True):
        by_organisation.setdefault(participant.organisation.casefold(), []).append(participant)
    pairs = set(MeetingRequest.objects.filter(event=event).values_list("sender_id", "receiver_id"))
    prepared = []
    for number, row in rows:
        errors = []
        ends = []
        for column in ("from", "to"):
            found = _participant(by_organisation, row.get(column, ""), row.get(f"{column}_name", ""))
            if isinstance(found, str):
                errors.append(RowError(number, column, found))
            else:
                ends.append(found)
        raw = row.get("priority", "") or "3"
        priority = int(raw) if raw.isascii() and raw.isdigit() else None  # not "²", which isdigit() lets through
        error = priority_error(priority) if priority is not None else None
        if priority is None or error:
            errors.append(RowError(number, "priority", error or _("“%(value)s” is not a whole number from 1 to 5.")
                                   % {"value": raw}))  # fmt: skip
        status = row.get("status", "").lower() or MeetingRequest.Status.REQUESTED
        if status not in IMPORTABLE_STATUSES:
            errors.append(RowError(number, "status", _("“%(value)s” is not allowed; write requested or accepted.")
                                   % {"value": status}))  # fmt: skip
        if len(row.get("message", "")) > 1000:
            errors.append(RowError(number, "message", _("At most %(limit)s characters.") % {"limit": 1000}))
        if len(ends) == 2:
            sender, receiver = ends
            if sender.pk == receiver.pk:
                errors.append(RowError(number, "to", _("A participant cannot ask to meet itself.")))
            elif (sender.pk, receiver.pk) in pairs:
                errors.append(RowError(number, "to", _("%(sender)s already asked to meet %(receiver)s (in the forum "
                                                        "or earlier in the file); one request per pair and direction.")
                                       % {"sender": sender, "receiver": receiver}))  # fmt: skip
            pairs.add((sender.pk, receiver.pk))
        if errors:
            result.errors += errors
            continue
        prepared.append((ends[0], ends[1], priority or 3, status, row.get("message", "")))
    if result.errors:
        return result
    for sender, receiver, priority, status, message in prepared:
        request = MeetingRequest(
            event=event, sender=sender, receiver=receiver, priority=priority, status=status, message=message
        )
        if status == MeetingRequest.Status.ACCEPTED:
            request.answered_at = timezone.now()
        instance_save(instance=request, by=by, action="matchmaking.request.imported")
        result.created += 1
    return result


def _participant(by_organisation: dict[str, list[Participant]], organisation: str, name: str) -> Participant | str:
    """The participant a cell names, or why it names none."""
    if not organisation:
        return _("Required: the organisation of an active participant of the forum.")
    matches = by_organisation.get(organisation.casefold(), [])
    if name:
        matches = [p for p in matches if p.name.casefold() == name.casefold()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        return _("No active participant “%(value)s” in the forum; import the participants first.") % {
            "value": f"{organisation} ({name})" if name else organisation
        }
    return _("%(value)s sends %(count)s representatives (%(names)s); name one in the _name column.") % {
        "value": organisation,
        "count": len(matches),
        "names": ", ".join(p.name or "—" for p in matches),
    }


def slot_text(start: dt.datetime) -> str:
    return start.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")
