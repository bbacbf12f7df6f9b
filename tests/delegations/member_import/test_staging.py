"""Staging, confirming and discarding an import: what is stored, audited, refused, and the query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from asemplanner.domain.audit import MASK
from asemplanner.models import AuditEntry
from delegations.domain.member_import.errors import ImportRefused
from delegations.domain.member_import.staging import member_import_confirm, member_import_discard, member_import_stage
from delegations.models import MemberImport, Person
from tests.delegations.member_import.lists import ROW, csv_bytes, member, with_cell
from tests.factories import DelegationFactory, PersonFactory

pytestmark = pytest.mark.django_db


# --- Staging ---------------------------------------------------------------------------------------------
def test_stage_csv_keeps_a_ready_import_and_adds_nobody(delegation, liaison):
    data = csv_bytes([ROW, member(2)])
    member_import, errors = member_import_stage(
        delegation=delegation, file_name="C:\\lists\\fr.csv", data=data, by=liaison
    )
    assert errors == []
    member_import.refresh_from_db()
    assert (member_import.status, member_import.n_rows, member_import.file_name) == ("ready", 2, "fr.csv")
    assert member_import.uploaded_by == liaison
    first = member_import.rows[0]
    assert first == {
        "_row": 2,
        "given_name": "Dara",
        "family_name": "Sok",
        "function": "Minister",
        "rank": 40,
        "category": "principal",
        "email": "dara@example.org",
        "passport_number": "N1234567",
        "passport_expiry": "2031-05-31",
    }
    assert not Person.objects.exists()
    entry = AuditEntry.objects.get(action="delegations.memberimport.uploaded")
    assert "rows" not in entry.changes  # the working copy stays out of the trail; each person gets an entry
    assert entry.changes["n_rows"] == [None, 2]
    assert "N1234567" not in str(entry.changes)


def test_stage_with_errors_saves_nothing(delegation, liaison):
    PersonFactory(delegation=delegation)
    people, entries = Person.objects.count(), AuditEntry.objects.count()
    data = csv_bytes([ROW, with_cell("Rank", "Chief")])
    member_import, errors = member_import_stage(delegation=delegation, file_name="x.csv", data=data, by=liaison)
    assert member_import is None
    assert [(e.row, e.column) for e in errors] == [
        (3, "Rank"),
        (3, "Family name"),
        (3, "Passport number"),
        (3, "Email"),
    ]
    assert (Person.objects.count(), AuditEntry.objects.count()) == (people, entries)
    assert not MemberImport.objects.exists()


# --- Confirm and discard -----------------------------------------------------------------------------------
def staged(delegation, liaison, rows) -> MemberImport:
    member_import, errors = member_import_stage(
        delegation=delegation, file_name="list.csv", data=csv_bytes(rows), by=liaison
    )
    assert errors == []
    return member_import


def test_confirm_adds_every_member_with_an_audit_entry_each(delegation, liaison):
    member_import = staged(delegation, liaison, [ROW, member(2)])
    people = member_import_confirm(member_import=member_import, by=liaison)
    assert sorted(p.full_name for p in Person.objects.filter(delegation=delegation)) == ["Anna2 Lee2", "Dara Sok"]
    assert {p.pk for p in people} == set(Person.objects.values_list("pk", flat=True))
    dara = Person.objects.get(given_name="Dara")
    assert (dara.rank, dara.category, dara.passport_number, dara.passport_expiry) == (
        40,
        "principal",
        "N1234567",
        dt.date(2031, 5, 31),
    )
    entries = AuditEntry.objects.filter(action="delegations.person.imported")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(p.pk) for p in people)
    entry = entries.get(object_id=str(dara.pk))
    assert entry.actor == liaison
    assert entry.changes["given_name"] == [None, "Dara"]
    assert entry.changes["passport_number"][1].startswith(MASK)
    assert "N1234567" not in str(entry.changes)
    member_import.refresh_from_db()
    assert (member_import.status, member_import.rows, member_import.n_rows) == ("imported", [], 2)
    assert member_import.imported_at is not None
    assert AuditEntry.objects.filter(
        action="delegations.memberimport.imported", object_id=str(member_import.pk)
    ).exists()


def test_confirm_twice_is_refused_and_adds_nobody_again(delegation, liaison):
    member_import = staged(delegation, liaison, [ROW])
    member_import_confirm(member_import=member_import, by=liaison)
    stale_copy = MemberImport.objects.get(pk=member_import.pk)
    stale_copy.status = MemberImport.Status.READY  # as a second tab that loaded it before the first confirm
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=stale_copy, by=liaison)
    assert "already imported" in exc.value.errors[0].message
    assert Person.objects.filter(delegation=delegation).count() == 1


@pytest.mark.parametrize(
    ("meanwhile", "expected"),
    [
        pytest.param({"given_name": "Dara", "family_name": "Sok"}, "Dara Sok is already a member", id="same_name"),
        pytest.param({"passport_number": "N1234567"}, "passport number is already on file", id="same_passport"),
    ],
)
def test_confirm_checks_again_against_members_added_since_the_upload(delegation, liaison, meanwhile, expected):
    member_import = staged(delegation, liaison, [ROW, member(2)])
    PersonFactory(delegation=delegation, **meanwhile)
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=member_import, by=liaison)
    assert exc.value.errors[0].row == 2
    assert expected in exc.value.errors[0].message
    assert Person.objects.filter(delegation=delegation).count() == 1
    member_import.refresh_from_db()
    assert member_import.status == "ready"


def test_confirm_checks_the_quota_again(delegation, liaison):
    member_import = staged(delegation, liaison, [member(i) for i in range(3)])
    PersonFactory.create_batch(10, delegation=delegation)
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=member_import, by=liaison)
    assert exc.value.errors[0].message.startswith("The file lists 3 members, but the delegation has 2 of its 12")
    assert Person.objects.filter(delegation=delegation).count() == 10


def test_discard_empties_the_rows_and_confirm_is_then_refused(delegation, liaison):
    member_import = staged(delegation, liaison, [ROW])
    member_import_discard(member_import=member_import, by=liaison)
    member_import.refresh_from_db()
    assert (member_import.status, member_import.rows) == ("discarded", [])
    assert AuditEntry.objects.filter(action="delegations.memberimport.discarded").count() == 1
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=member_import, by=liaison)
    assert "discarded" in exc.value.errors[0].message
    with pytest.raises(ImportRefused):
        member_import_discard(member_import=member_import, by=liaison)
    assert not Person.objects.exists()


def test_stale_uploads_are_dropped_when_a_new_one_is_staged_and_cannot_be_confirmed(delegation, liaison):
    old = staged(delegation, liaison, [ROW])
    MemberImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    old.refresh_from_db()
    with pytest.raises(ImportRefused) as exc:
        member_import_confirm(member_import=old, by=liaison)
    assert "has expired" in exc.value.errors[0].message
    recent = staged(DelegationFactory(), liaison, [ROW])
    new = staged(delegation, liaison, [member(2)])
    assert set(MemberImport.objects.values_list("pk", flat=True)) == {recent.pk, new.pk}
    entry = AuditEntry.objects.get(action="delegations.memberimport.expired", object_id=str(old.pk))
    assert entry.actor_name == "system"  # not the liaison whose upload happened to trigger it


def test_the_hourly_task_drops_stale_uploads_and_nothing_else(delegation, liaison):
    from delegations.tasks import prune_imports

    old, fresh = staged(delegation, liaison, [ROW]), staged(DelegationFactory(), liaison, [member(3)])
    MemberImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert prune_imports() == "dropped 1"
    assert list(MemberImport.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert prune_imports() == "dropped 0"


# --- Query counts ------------------------------------------------------------------------------------------
# Person has 17 inserted columns: SQLite's 999-variable limit splits a bulk INSERT above 58 rows, so the
# sizes stay below it; PostgreSQL inserts any number in one statement (benchmarks/member_import.py, B7).
@pytest.mark.parametrize("sizes", [pytest.param((10, 50), id="10_and_50_rows")])
def test_stage_and_confirm_take_as_many_queries_for_many_rows_as_for_few(liaison, sizes):
    counts = []
    for size in (1, *sizes):  # the first fills Django's content-type cache, as a running server has it
        delegation = DelegationFactory(quota=100)
        PersonFactory(delegation=delegation)
        data = csv_bytes([member(i) for i in range(size)])
        with CaptureQueriesContext(connection) as staging:
            member_import, errors = member_import_stage(delegation=delegation, file_name="x.csv", data=data, by=liaison)
        with CaptureQueriesContext(connection) as confirming:
            member_import_confirm(member_import=member_import, by=liaison)
        assert errors == []
        assert Person.objects.filter(delegation=delegation).count() == size + 1
        counts.append((len(staging), len(confirming)))
    assert counts[1] == counts[2], counts
