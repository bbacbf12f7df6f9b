"""Badges as print stations see them: plain data (never passport, birth date, travel or hotel), the signed QR
payload, reprints and the print log. Reads are built from `.values()`: a page of any size is two queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from asemplanner.choices import Category
from asemplanner.domain.audit import instance_save
from badges.models import BadgeState, DeviceToken, PrintRecord
from delegations.models import Accreditation

QR_SALT = "asemplanner.badges.qr"
CATEGORY_COLOURS = {
    Category.PRINCIPAL: "#8e1b1b",
    Category.DELEGATE: "#1d4e89",
    Category.SECURITY: "#1f1f1f",
    Category.MEDIA: "#e07b00",
    Category.LIAISON: "#2e7d32",
    Category.SUPPORT: "#6d4c41",
    Category.HOST: "#6a1b9a",
}
# What a station may see: these columns and nothing else leave through the API.
BADGE_COLUMNS = {
    "pk": "pk",
    "badge_number": "badge_number",
    "version": "badge_version",
    "status": "status",
    "category": "category",
    "event": "event__acronym",
    "honorific": "person__honorific",
    "given_name": "person__given_name",
    "family_name": "person__family_name",
    "native_name": "person__native_name",
    "function": "person__function",
    "delegation": "person__delegation__partner__name",
    "partner_code": "person__delegation__partner__code",
    "photo": "person__photo",
    "seq": "feed_state__seq",
}
LISTED = Accreditation.HAS_BADGE
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class BadRequest(Exception):
    """A request the client must fix: `field` names the parameter, the message says what is allowed."""

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def badges_for(token: DeviceToken) -> QuerySet[Accreditation]:
    """The token's event only, approved (or printed, collected) accreditations only."""
    return Accreditation.objects.filter(event_id=token.event_id, status__in=LISTED)


def badge_rows(queryset: QuerySet[Accreditation]) -> list[dict[str, Any]]:
    """Plain dicts for a page of badges: one query for the rows, one for their zones."""
    names = ["id" if name == "pk" else name for name in BADGE_COLUMNS]
    rows = [dict(zip(names, values, strict=True)) for values in queryset.values_list(*BADGE_COLUMNS.values())]
    zones: dict[int, list[str]] = defaultdict(list)
    if not rows:
        return rows
    # The page's own query as a subquery, not a list of its ids: a page of 500 would send 500 parameters.
    through = Accreditation.zones.through.objects.filter(accreditation_id__in=queryset.values("pk"))
    for accreditation_id, code in through.order_by("securityzone__level", "securityzone__code").values_list(
        "accreditation_id", "securityzone__code"
    ):
        zones[accreditation_id].append(code)
    for row in rows:
        row["zones"] = zones.get(row["id"], [])
        row["colour"] = CATEGORY_COLOURS.get(row["category"], "#555555")
        row["has_photo"] = bool(row.pop("photo"))
        row["seq"] = row["seq"] or 0
    return rows


class WrongEvent(Exception):
    """Asked for an event the token is not for: answered as not found (it sees nothing of other events)."""


@dataclass(frozen=True)
class BadgeQuery:
    """The badge list's filters, already read from the HTTP query (badges/api/params.py)."""

    event: str = ""
    status: str | None = None  # None: not asked; an empty text is asked for and refused
    category: str | None = None
    delegation: str = ""
    q: str = ""


def badge_filters(query: BadgeQuery, token: DeviceToken) -> QuerySet[Accreditation]:
    queryset = badges_for(token)
    if query.event and query.event != token.event.acronym:
        raise WrongEvent(
            _("This token is for %(event)s; there is no %(asked)s for it.")
            % {"event": token.event.acronym, "asked": query.event[:20]}
        )
    if query.status is not None:
        allowed = [str(s) for s in LISTED]
        if query.status not in allowed:
            raise BadRequest(
                "status",
                _("Unknown status “%(value)s”. Allowed: %(allowed)s.")
                % {"value": query.status, "allowed": ", ".join(allowed)},
            )
        queryset = queryset.filter(status=query.status)
    if query.category is not None:
        if query.category not in Category.values:
            raise BadRequest(
                "category",
                _("Unknown category “%(value)s”. Allowed: %(allowed)s.")
                % {"value": query.category, "allowed": ", ".join(Category.values)},
            )
        queryset = queryset.filter(category=query.category)
    for name, value in (("q", query.q), ("delegation", query.delegation), ("event", query.event)):
        if "\x00" in value:
            raise BadRequest(name, _("%(name)s contains a NUL character; send plain text.") % {"name": name})
    if query.delegation:
        queryset = queryset.filter(person__delegation__partner__code__iexact=query.delegation)
    if query.q:
        if len(query.q) > 100:
            raise BadRequest("q", _("q is %(length)s characters; search with at most 100.") % {"length": len(query.q)})
        term = query.q.strip()
        queryset = queryset.filter(
            Q(person__given_name__icontains=term)
            | Q(person__family_name__icontains=term)
            | Q(badge_number__iexact=term)
        )
    return queryset


CURSOR_PATTERN = r"^a[0-9]{1,18}$"


def cursor_encode(value: int) -> str:
    """Opaque to clients ("the `next` of the last page"); in fact the last id seen, after an "a"."""
    return f"a{value}"


def badge_page(
    queryset: QuerySet[Accreditation], *, after: int | None, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """A page in a stable order (by id): a cursor stays valid while badges are added or changed."""
    if after is not None:
        queryset = queryset.filter(pk__gt=after)
    rows = badge_rows(queryset.order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more and rows else None)


EXPORT_CHUNK = 1000


def badge_export_lines(token: DeviceToken):
    """Every listed badge as NDJSON, a chunk at a time (two queries per 1,000): memory stays flat however many."""
    import orjson

    after = 0
    while True:
        rows = badge_rows(badges_for(token).filter(pk__gt=after).order_by("pk")[:EXPORT_CHUNK])
        if not rows:
            return
        yield b"".join(orjson.dumps(row) + b"\n" for row in rows)
        after = rows[-1]["id"]


def badge_get(token: DeviceToken, badge_number: str) -> Accreditation:
    """The token's badge with this number, or Accreditation.DoesNotExist (a 404: another event's is not found)."""
    queryset = Accreditation.objects.filter(event_id=token.event_id, badge_number=badge_number, status__in=LISTED)
    return queryset.select_related("person__delegation__partner", "event").get()


# --- QR ------------------------------------------------------------------------------------------------
def qr_payload(badge_number: str, version: int) -> str:
    """Badge number and version, signed (HMAC with SECRET_KEY): a checkpoint verifies it without the database."""
    return signing.dumps({"n": badge_number, "v": version}, salt=QR_SALT, compress=True)


def qr_read(payload: str) -> tuple[str, int]:
    data = signing.loads(payload, salt=QR_SALT)
    return str(data["n"]), int(data["v"])


@dataclass
class Verdict:
    valid: bool
    status: str  # current, superseded, revoked, unknown, forged
    badge_number: str | None = None
    version: int | None = None
    current_version: int | None = None


def badge_verify(token: DeviceToken, payload: str) -> Verdict:
    try:
        number, version = qr_read(payload)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return Verdict(False, "forged")
    row = (
        Accreditation.objects.filter(event_id=token.event_id, badge_number=number)
        .values("badge_version", "status")
        .first()
    )
    if row is None:
        return Verdict(False, "unknown", number, version)
    if row["status"] == Accreditation.Status.REVOKED:
        return Verdict(False, "revoked", number, version, row["badge_version"])
    if row["status"] not in LISTED:
        return Verdict(False, "unknown", number, version)
    if version != row["badge_version"]:
        return Verdict(False, "superseded", number, version, row["badge_version"])
    return Verdict(True, "current", number, version, row["badge_version"])


# --- Writes ------------------------------------------------------------------------------------------
class BadgeStateConflict(Exception):
    """The badge's state forbids the write (revoked, or a superseded version): answered 409 by the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@transaction.atomic
def badge_reprint(*, accreditation: Accreditation, token: DeviceToken) -> Accreditation:
    """A new version: the old QR verifies as superseded from now on."""
    locked = Accreditation.objects.select_for_update().get(pk=accreditation.pk)
    if locked.status not in LISTED:
        raise BadgeStateConflict(
            "badge_revoked",
            _("Badge %(number)s is %(status)s; it must not be printed.")
            % {"number": locked.badge_number, "status": locked.get_status_display().lower()},
        )
    locked.badge_version += 1
    instance_save(
        instance=locked, by=f"station:{token.name}", action="delegations.accreditation.reprinted", validate=False
    )
    return locked


@transaction.atomic
def badge_mark_printed(
    *, accreditation: Accreditation, token: DeviceToken, version: int, printed_at: dt.datetime
) -> PrintRecord:
    locked = Accreditation.objects.select_for_update().get(pk=accreditation.pk)
    if locked.status not in LISTED:
        raise BadgeStateConflict(
            "badge_revoked",
            _("Badge %(number)s was revoked; do not hand it out, destroy it.") % {"number": locked.badge_number},
        )
    if version != locked.badge_version:
        raise BadgeStateConflict(
            "version_superseded",
            _(
                "Version %(version)s of badge %(number)s is superseded by version %(current)s; "
                "print the current version."
            )
            % {"version": version, "number": locked.badge_number, "current": locked.badge_version},
        )
    record = PrintRecord.objects.create(accreditation=locked, version=version, station=token, printed_at=printed_at)
    if locked.status == Accreditation.Status.APPROVED:
        locked.status = Accreditation.Status.PRINTED
        instance_save(
            instance=locked, by=f"station:{token.name}", action="delegations.accreditation.printed", validate=False
        )
    return record


def feed_rows(token: DeviceToken, after: int, limit: int) -> tuple[list[dict[str, Any]], int, bool]:
    """Changes after `after`, oldest first: current badges, and tombstones for revoked ones; the new cursor;
    whether more wait. One query when nothing changed, three otherwise."""
    states = list(
        BadgeState.objects.filter(event_id=token.event_id, seq__gt=after)
        .order_by("seq")
        .values_list("pk", "seq", "badge_number")[: limit + 1]
    )
    more = len(states) > limit
    states = states[:limit]
    if not states:
        return [], after, False
    ids = [pk for pk, _, _ in states]
    shown = Accreditation.objects.filter(pk__in=ids, status__in=LISTED, event_id=token.event_id)
    live = {row["id"]: row for row in badge_rows(shown)}
    changes = []
    for pk, seq, number in states:
        if pk in live:
            changes.append({"seq": seq, "type": "badge", "badge_number": live[pk]["badge_number"], "badge": live[pk]})
        else:
            changes.append({"seq": seq, "type": "tombstone", "badge_number": number or None, "badge": None})
    return changes, states[-1][1], more
