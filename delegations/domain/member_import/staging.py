"""The writes of an import: keep a checked list for the preview (`member_import_stage`), add its members
(`member_import_confirm`) or drop it (`member_import_discard`), and drop uploads nobody confirmed
(`member_imports_prune`). Each locks what it changes and is audited; the stored rows, which may hold passport
data, are emptied once the import is done with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from asemplanner.domain.audit import (
    Actor,
    audit_entries_created,
    audit_log,
    audit_log_many,
    diff,
    instance_save,
    queryset_delete,
    snapshot,
)
from asemplanner.domain.bulk import rows_insert
from asemplanner.timeranges import fmt
from delegations.domain.member_import.checking import (
    Member,
    duplicate_errors,
    member_import_check,
    members_index,
    members_on_file,
    quota_error,
)
from delegations.domain.member_import.columns import COLUMNS, DATE_FIELDS
from delegations.domain.member_import.errors import ImportRefused, RowError
from delegations.models import Delegation, MemberImport, Person

STALE_AFTER = dt.timedelta(hours=24)  # an unconfirmed upload older than this is dropped, not imported
IMPORTED_ACTION = "delegations.person.imported"


# --- Stored rows --------------------------------------------------------------------------------------
def _to_json(row: dict[str, Any]) -> dict[str, Any]:
    stored = dict(row)
    for name in DATE_FIELDS:
        if stored.get(name):
            stored[name] = stored[name].isoformat()
    return stored


def _person_fields(row: dict[str, Any]) -> dict[str, Any]:
    fields = {name: value for name, value in row.items() if name in COLUMNS}
    for name in DATE_FIELDS:
        if fields.get(name):
            fields[name] = dt.date.fromisoformat(fields[name])
    return fields


def member_import_people(*, member_import: MemberImport) -> list[Person]:
    """The members an import would add, unsaved (for the preview), each with `.import_row`, its row number."""
    people = []
    delegation = member_import.delegation
    for row in member_import.rows:
        person = Person(delegation=delegation, **_person_fields(row))
        # The preview's row number, not a field: `Person` declares no such attribute, hence setattr.
        setattr(person, "import_row", row.get("_row"))  # noqa: B010
        people.append(person)
    return people


def member_import_expired(member_import: MemberImport) -> bool:
    """An unconfirmed upload is kept for a day: after that the list may have changed under it."""
    return (
        member_import.status == MemberImport.Status.READY
        and member_import.created_at is not None
        and member_import.created_at < timezone.now() - STALE_AFTER
    )


# --- Writes -------------------------------------------------------------------------------------------
def _user(by: Actor) -> User | None:
    return by if isinstance(by, User) and by.pk else None


def member_imports_prune(*, by: Actor) -> int:
    """Drop unconfirmed uploads older than a day (of every delegation): they hold passport data nobody is
    going to import. Returns how many were dropped."""
    stale = MemberImport.objects.filter(status=MemberImport.Status.READY, created_at__lt=timezone.now() - STALE_AFTER)
    return queryset_delete(queryset=stale, by=by, action="delegations.memberimport.expired")


@transaction.atomic
def member_import_stage(
    *, delegation: Delegation, file_name: str, data: bytes, by: Actor
) -> tuple[MemberImport | None, list[RowError]]:
    """Check an uploaded list and, only when every row is valid, keep it for the liaison's preview.

    With errors nothing is stored — not even the file — and the errors come back for the upload page."""
    check = member_import_check(delegation=delegation, data=data)
    if not check.ok:
        return None, check.errors
    member_imports_prune(by="system")  # other delegations' uploads too: not this liaison's doing
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    member_import = MemberImport(
        delegation=delegation,
        uploaded_by=_user(by),
        file_name=name,
        rows=[_to_json(row) for row in check.rows],
        n_rows=len(check.rows),
    )
    instance_save(instance=member_import, by=by, action="delegations.memberimport.uploaded")
    return member_import, []


def _status_refusal(member_import: MemberImport) -> RowError | None:
    if member_import.status == MemberImport.Status.IMPORTED:
        when = fmt(timezone.localtime(member_import.imported_at)) if member_import.imported_at else "earlier"
        return RowError(
            0, "", f"This list was already imported ({when}); its members are on the members page. Nothing was added."
        )
    if member_import.status == MemberImport.Status.DISCARDED:
        return RowError(0, "", "This import was discarded, so nothing was added. Upload the file again to import it.")
    if member_import_expired(member_import):
        return RowError(
            0, "", "This upload is more than a day old and has expired; nothing was added. Upload the file again."
        )
    return None


def _finish(member_import: MemberImport, *, status: str, action: str, by: Actor) -> None:
    """Set the final status and drop the stored rows (they may hold passport data), audited."""
    before = snapshot(member_import)
    member_import.status = status
    member_import.rows = []
    if status == MemberImport.Status.IMPORTED:
        member_import.imported_at = timezone.now()
    member_import.save(update_fields=["status", "rows", "imported_at"])
    audit_log(action=action, instance=member_import, by=by, changes=diff(before, snapshot(member_import)))


@transaction.atomic
def member_import_confirm(*, member_import: MemberImport, by: Actor) -> Sequence[Person]:
    """Add every member of a checked list at once, or none.

    The delegation row is locked first: two confirmations (a double click, two liaisons) queue on it, and
    the second sees the first's members and status — the quota and the duplicates are checked again against
    the members as they are now. One bulk INSERT for the people and one for their audit entries, so the
    number of queries does not grow with the number of rows."""
    delegation = (
        Delegation.objects.select_for_update(of=("self",))
        .select_related("partner", "event")
        .get(pk=member_import.delegation_id)
    )
    locked = MemberImport.objects.select_for_update().get(pk=member_import.pk)
    locked.delegation = delegation
    refusal = _status_refusal(locked)
    if refusal:
        raise ImportRefused([refusal])
    existing = members_on_file(delegation)
    errors = _confirm_errors(locked.rows, existing=existing, quota=delegation.quota)
    if errors:
        raise ImportRefused(errors)
    people = rows_insert([Person(delegation=delegation, **_person_fields(row)) for row in locked.rows])
    audit_log_many(audit_entries_created(instances=people, action=IMPORTED_ACTION, by=by), thousands=True)
    _finish(locked, status=MemberImport.Status.IMPORTED, action="delegations.memberimport.imported", by=by)
    member_import.status, member_import.rows, member_import.imported_at = locked.status, [], locked.imported_at
    return people


def _confirm_errors(rows: list[dict[str, Any]], *, existing: Sequence[Member], quota: int) -> list[RowError]:
    """The checks that depend on the delegation as it is now (members added since the upload)."""
    errors = []
    over_quota = quota_error(quota=quota, taken=len(existing), adding=len(rows))
    if over_quota:
        errors.append(over_quota)
    on_file = members_index(existing)
    for row in rows:
        errors += duplicate_errors(row, headers=COLUMNS, failed=set(), on_file=on_file, seen=None)
    return errors


@transaction.atomic
def member_import_discard(*, member_import: MemberImport, by: Actor) -> MemberImport:
    """Drop an unconfirmed list: nothing is added, and the stored rows are emptied."""
    locked = MemberImport.objects.select_for_update().get(pk=member_import.pk)
    if locked.status != MemberImport.Status.READY:
        refusal = _status_refusal(locked)
        raise ImportRefused([refusal] if refusal else [])
    _finish(locked, status=MemberImport.Status.DISCARDED, action="delegations.memberimport.discarded", by=by)
    member_import.status, member_import.rows = locked.status, []
    return member_import
