"""The audit trail: what domain writes record, what they never record, and that entries cannot be changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from asemplanner.domain.audit import MASK, instance_delete, queryset_delete, queryset_update, snapshot
from asemplanner.models import AuditEntry
from delegations.domain.delegations import accreditations_approve, person_add, person_update
from delegations.models import Accreditation
from events.domain.sessions import session_cancel, session_create, session_update
from events.models import Session
from tests.factories import (
    AccreditationFactory,
    DelegationFactory,
    EventFactory,
    PersonFactory,
    RoomFactory,
    SessionFactory,
    UserFactory,
    at,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory(username="protocol.chief")


@pytest.fixture
def event():
    return EventFactory(acronym="ASEM13")


@pytest.fixture
def room():
    return RoomFactory(name="Hall A")


@pytest.fixture
def session(event, room, user):
    """A session written through the domain, then loaded afresh the way a view or the admin would load it."""
    created = session_create(
        event=event, title="Opening plenary", room=room, start=at(0, "09:00"), end=at(0, "10:00"), by=user
    )
    return Session.objects.get(pk=created.pk)


def stored_changes_text(entry: AuditEntry) -> str:
    """The `changes` column exactly as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT CAST(changes AS TEXT) FROM asemplanner_auditentry WHERE id = %s", [entry.pk])
        return cursor.fetchone()[0]


# --- Create, update, delete --------------------------------------------------------------------------------------


def test_session_create_writes_created_entry_with_actor_and_after_values(event, room, user):
    delegate = PersonFactory()

    session = session_create(
        event=event,
        title="Opening plenary",
        room=room,
        start=at(0, "09:00"),
        end=at(0, "10:00"),
        by=user,
        attendees=[delegate],
    )

    entry = AuditEntry.objects.get()
    assert entry.action == "events.session.created"
    assert (entry.actor, entry.actor_name) == (user, "protocol.chief")
    assert entry.content_type == ContentType.objects.get_for_model(Session)
    assert entry.object_id == str(session.pk)
    assert entry.target == session
    assert entry.object_repr == "ASEM13 · Opening plenary"
    changes = entry.changes
    assert all(before is None for before, _ in changes.values())
    assert changes["title"] == [None, "Opening plenary"]
    assert changes["event"] == [None, event.pk]
    assert changes["room"] == [None, room.pk]
    assert changes["status"] == [None, "scheduled"]
    assert changes["attendees"] == [None, [delegate.pk]]
    assert dt.datetime.fromisoformat(changes["start"][1]) == at(0, "09:00")
    assert dt.datetime.fromisoformat(changes["end"][1]) == at(0, "10:00")


def test_session_create_by_system_name_has_no_actor(event, room):
    session_create(event=event, title="Seed", room=room, start=at(0, "09:00"), end=at(0, "10:00"), by="seed_summit")

    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.actor_name) == (None, "seed_summit")


def test_session_update_records_only_changed_fields(session, user):
    before = AuditEntry.objects.count()

    session_update(session=session, by=user, title="Leaders' retreat", expected_attendance=60)

    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.first()
    assert entry.action == "events.session.changed"
    assert entry.changes == {"title": ["Opening plenary", "Leaders' retreat"], "expected_attendance": [None, 60]}


def test_session_update_move_records_before_and_after_times(session, user):
    session_update(session=session, by=user, start=at(0, "11:00"), end=at(0, "12:00"))

    entry = AuditEntry.objects.first()
    assert set(entry.changes) == {"start", "end"}
    old, new = entry.changes["start"]
    assert (dt.datetime.fromisoformat(old), dt.datetime.fromisoformat(new)) == (at(0, "09:00"), at(0, "11:00"))


def test_session_update_attendees_records_id_lists(session, user):
    first, second = PersonFactory(), PersonFactory()

    session_update(session=session, by=user, attendees=[second, first])

    entry = AuditEntry.objects.first()
    assert entry.changes == {"attendees": [[], sorted([first.pk, second.pk])]}


def test_session_update_without_change_writes_no_entry(session, user):
    before = AuditEntry.objects.count()

    session_update(session=session, by=user, title="Opening plenary")

    assert AuditEntry.objects.count() == before


def test_session_update_same_instant_in_local_time_writes_no_entry(session, user):
    # Regression: snapshots once compared isoformat() text, so +07:00 and UTC of one instant differed.
    before = AuditEntry.objects.count()

    # What a form posts back for an untouched field: the stored instant, in the planner's local time.
    session_update(session=session, by=user, start=at(0, "09:00"), end=at(0, "10:00"))

    assert AuditEntry.objects.count() == before


def test_session_update_right_after_create_records_only_the_title(event, room, user):
    session = session_create(
        event=event, title="Opening plenary", room=room, start=at(0, "09:00"), end=at(0, "10:00"), by=user
    )

    session_update(session=session, by=user, title="Leaders' retreat")

    assert AuditEntry.objects.first().changes == {"title": ["Opening plenary", "Leaders' retreat"]}


def test_session_cancel_writes_named_action(session, user):
    session_cancel(session=session, by=user)

    entry = AuditEntry.objects.first()
    assert entry.action == "events.session.cancelled"
    assert entry.changes == {"status": ["scheduled", "cancelled"]}


def test_instance_delete_writes_deleted_entry_with_before_values(session, user):
    delegate = PersonFactory()
    session.attendees.set([delegate])
    pk = session.pk

    instance_delete(instance=session, by=user)

    assert not Session.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(action="events.session.deleted")
    assert entry.object_id == str(pk)
    assert entry.object_repr == "ASEM13 · Opening plenary"
    assert entry.actor == user
    assert entry.changes["title"] == ["Opening plenary", None]
    assert entry.changes["attendees"] == [[delegate.pk], None]
    assert all(after is None for _, after in entry.changes.values())
    # The instant recorded at creation and at deletion is written the same way.
    created = AuditEntry.objects.get(action="events.session.created", object_id=str(pk))
    assert entry.changes["start"][0] == created.changes["start"][1]


def test_queryset_delete_writes_one_entry_per_row(event, room, user):
    doomed = [
        SessionFactory(
            event=event, room=room, title=f"Doomed {hour}", start=at(0, f"{hour}:00"), end=at(0, f"{hour}:30")
        )
        for hour in (11, 12, 13)
    ]
    kept = SessionFactory(event=event, room=room, title="Kept", start=at(0, "15:00"), end=at(0, "16:00"))

    deleted = queryset_delete(queryset=Session.objects.filter(title__startswith="Doomed"), by=user)

    assert deleted == 3
    assert list(Session.objects.all()) == [kept]
    entries = AuditEntry.objects.filter(action="events.session.deleted")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(s.pk) for s in doomed)
    assert {entry.changes["title"][0] for entry in entries} == {"Doomed 11", "Doomed 12", "Doomed 13"}
    assert all(entry.actor == user for entry in entries)
    assert not AuditEntry.objects.filter(object_id=str(kept.pk)).exists()


def test_queryset_update_writes_entry_only_for_changed_rows(event, room, user):
    active = SessionFactory(event=event, room=room, start=at(0, "11:00"), end=at(0, "12:00"))
    already = SessionFactory(event=event, room=room, start=at(0, "13:00"), end=at(0, "14:00"), status="cancelled")

    count = queryset_update(queryset=Session.objects.filter(room=room), by=user, status="cancelled")

    assert count == 2
    entry = AuditEntry.objects.get()
    assert entry.object_id == str(active.pk)
    assert entry.changes == {"status": ["scheduled", "cancelled"]}
    assert not AuditEntry.objects.filter(object_id=str(already.pk)).exists()


# --- Bulk approval ------------------------------------------------------------------------------------------------


def test_accreditations_approve_writes_entry_per_approved_row_and_unique_badges(event, user):
    delegation = DelegationFactory(event=event)
    requested = [AccreditationFactory(person=PersonFactory(delegation=delegation)) for _ in range(3)]
    revoked = AccreditationFactory(
        person=PersonFactory(delegation=delegation), status="revoked", revoked_reason="Left the delegation"
    )
    outside = AccreditationFactory(person=PersonFactory())  # another event: not in the queryset

    approved = accreditations_approve(queryset=Accreditation.objects.filter(event=event), by=user)

    assert approved == 3
    rows = Accreditation.objects.filter(pk__in=[a.pk for a in requested])
    assert set(rows.values_list("status", flat=True)) == {"approved"}
    badges = list(rows.values_list("badge_number", flat=True))
    assert len(set(badges)) == 3
    assert all(badge.startswith("ASEM13-") for badge in badges)
    assert all(a.approved_by == user and a.approved_at is not None for a in rows)

    entries = AuditEntry.objects.filter(action="delegations.accreditation.approved")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(str(a.pk) for a in requested)
    for entry in entries:
        badge = Accreditation.objects.get(pk=entry.object_id).badge_number
        assert entry.changes["status"] == ["requested", "approved"]
        assert entry.changes["badge_number"] == [None, badge]
        assert entry.changes["approved_by"] == [None, user.pk]
        assert entry.actor == user

    revoked_after = Accreditation.objects.get(pk=revoked.pk)
    assert (revoked_after.status, revoked_after.badge_number, revoked_after.approved_by) == ("revoked", None, None)
    outside_after = Accreditation.objects.get(pk=outside.pk)
    assert (outside_after.status, outside_after.badge_number) == ("requested", None)
    assert not AuditEntry.objects.filter(object_id__in=[str(revoked.pk), str(outside.pk)]).exists()


def test_accreditations_approve_twice_approves_nothing_more(event, user):
    delegation = DelegationFactory(event=event)
    accreditation = AccreditationFactory(person=PersonFactory(delegation=delegation))
    accreditations_approve(queryset=Accreditation.objects.filter(event=event), by=user)
    badge = Accreditation.objects.get(pk=accreditation.pk).badge_number

    assert accreditations_approve(queryset=Accreditation.objects.filter(event=event), by=user) == 0

    assert Accreditation.objects.get(pk=accreditation.pk).badge_number == badge
    assert AuditEntry.objects.filter(action="delegations.accreditation.approved").count() == 1


# --- Sensitive fields -----------------------------------------------------------------------------------------


SECRETS = {
    "passport_number": "N1234567",
    "date_of_birth": dt.date(1977, 10, 22),
    "passport_expiry": dt.date(2031, 3, 9),
}


def test_person_add_masks_sensitive_fields_in_audit(user):
    delegation = DelegationFactory()

    person_add(delegation=delegation, by=user, given_name="Sok", family_name="Chenda", function="Minister", **SECRETS)

    entry = AuditEntry.objects.get(action="delegations.person.created")
    for field in SECRETS:
        before, after = entry.changes[field]
        assert before is None
        assert after.startswith(MASK)
    assert entry.changes["given_name"] == [None, "Sok"]
    stored = stored_changes_text(entry)
    for secret in ("N1234567", "1977-10-22", "2031-03-09", "1977", "2031"):
        assert secret not in stored


def test_person_update_sensitive_field_is_recorded_as_changed_without_values(user):
    person = PersonFactory(**SECRETS)

    person_update(person=person, by=user, passport_number="X7654321", passport_expiry=dt.date(2035, 1, 1))

    entry = AuditEntry.objects.get(action="delegations.person.changed")
    for field in ("passport_number", "passport_expiry"):
        before, after = entry.changes[field]
        assert before.startswith(MASK)
        assert after.startswith(MASK)
        assert before != after
    assert "date_of_birth" not in entry.changes
    stored = stored_changes_text(entry)
    for secret in ("N1234567", "X7654321", "2031-03-09", "2035-01-01", "1977-10-22", "7654321", "2035"):
        assert secret not in stored


def test_person_update_same_sensitive_value_records_no_change(user):
    person = PersonFactory(**SECRETS)

    person_update(person=person, by=user, passport_number="N1234567", function="Foreign Minister")

    entry = AuditEntry.objects.get(action="delegations.person.changed")
    assert entry.changes["function"] == ["Delegate", "Foreign Minister"]
    assert "passport_number" not in entry.changes


def test_person_update_removing_passport_records_mask_to_empty(user):
    person = PersonFactory(passport_number="N1234567")

    person_update(person=person, by=user, passport_number="")

    entry = AuditEntry.objects.get(action="delegations.person.changed")
    before, after = entry.changes["passport_number"]
    assert before.startswith(MASK)
    assert after == ""
    assert "N1234567" not in stored_changes_text(entry)


def test_snapshot_masks_user_password_hash():
    account = UserFactory()

    recorded = snapshot(account)["password"]

    assert recorded.startswith(MASK)
    assert account.password not in recorded
    assert account.password.split("$")[-1] not in recorded


# --- Append-only --------------------------------------------------------------------------------------------------


def test_audit_entry_save_on_existing_is_refused(session):
    entry = AuditEntry.objects.get()
    entry.action = "events.session.forged"

    with pytest.raises(PermissionError, match="append-only"):
        entry.save()

    assert AuditEntry.objects.get().action == "events.session.created"


def test_audit_entry_delete_is_refused(session):
    entry = AuditEntry.objects.get()

    with pytest.raises(PermissionError, match="append-only"):
        entry.delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({"action": "events.session.forged"}, id="action"),
        pytest.param({"actor_name": "someone else"}, id="actor_name"),
        pytest.param({"actor": None, "action": "x"}, id="actor_with_other_field"),
    ],
)
def test_audit_entry_queryset_update_is_refused(session, values):
    with pytest.raises(PermissionError, match="append-only"):
        AuditEntry.objects.filter(action="events.session.created").update(**values)

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_name) == ("events.session.created", "protocol.chief")


def test_audit_entry_queryset_delete_is_refused(session):
    with pytest.raises(PermissionError, match="append-only"):
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.count() == 1


def test_audit_entry_survives_deletion_of_its_author(session, user):
    entry = AuditEntry.objects.get()
    assert entry.actor == user

    user.delete()

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor is None
    assert entry.actor_name == "protocol.chief"
    assert entry.action == "events.session.created"


def test_instance_delete_audits_rows_the_deletion_cascades_to(user):
    from tests.factories import TravelFactory

    travel = TravelFactory()
    person, travel_pk = travel.person, travel.pk

    instance_delete(instance=person, by=user)

    person_entry = AuditEntry.objects.get(action="delegations.person.deleted")
    travel_entry = AuditEntry.objects.get(action="delegations.travel.deleted")
    assert person_entry.changes["family_name"] == [person.family_name, None]
    assert travel_entry.object_id == str(travel_pk)
    assert travel_entry.changes["arrival_flight"] == ["PG931", None]


def test_queryset_delete_audits_cascaded_windows_and_counts_only_its_own_rows(user):
    from protocol.models import BilateralMeeting
    from tests.factories import BilateralWindowFactory

    window = BilateralWindowFactory()
    BilateralWindowFactory(meeting=window.meeting, start=at(1, "09:00"), end=at(1, "10:00"))

    deleted = queryset_delete(queryset=BilateralMeeting.objects.filter(pk=window.meeting_id), by=user)

    assert deleted == 1
    assert AuditEntry.objects.filter(action="protocol.bilateralmeeting.deleted").count() == 1
    assert AuditEntry.objects.filter(action="protocol.bilateralwindow.deleted").count() == 2
