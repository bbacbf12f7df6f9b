"""Delegations, people, travel and accreditations: validation messages and database constraints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from asemplanner.models import AuditEntry
from delegations.domain.delegations import (
    accreditation_approve,
    delegation_create,
    delegation_set_head,
    person_add,
)
from delegations.models import Accreditation, Delegation, Travel
from events.models import Event
from tests.factories import (
    AccreditationFactory,
    DelegationFactory,
    EventFactory,
    PartnerFactory,
    PersonFactory,
    SideEventFactory,
    TravelFactory,
    UserFactory,
    at,
)

pytestmark = pytest.mark.django_db


def clean_and_save(instance):
    """The positive case end to end: validation accepts the instance and the database stores it."""
    instance.full_clean()
    instance.save()
    return type(instance)._default_manager.get(pk=instance.pk)


@pytest.fixture
def summit():
    return EventFactory(acronym="ASEM13")


@pytest.fixture
def delegation(summit):
    return DelegationFactory(partner=PartnerFactory(code="KHM", name="Cambodia"), event=summit, quota=2)


# --- Head of delegation ---------------------------------------------------------------------------------------


def test_delegation_clean_head_from_other_delegation_is_a_head_error(delegation):
    outsider = PersonFactory(given_name="Olaf", family_name="Scholz")
    delegation.head = outsider

    with pytest.raises(ValidationError) as exc:
        delegation.full_clean()

    assert set(exc.value.message_dict) == {"head"}
    message = exc.value.message_dict["head"][0]
    assert f"Olaf Scholz belongs to {outsider.delegation}, not to this delegation" in message


def test_delegation_clean_head_on_unsaved_delegation_is_a_head_error(summit):
    person = PersonFactory()
    delegation = Delegation(partner=PartnerFactory(), event=summit, head=person)

    with pytest.raises(ValidationError) as exc:
        delegation.full_clean()

    assert "add its members first" in exc.value.message_dict["head"][0]


def test_delegation_set_head_member_is_saved_and_audited(delegation):
    member = PersonFactory(delegation=delegation)
    user = UserFactory()

    delegation_set_head(delegation=delegation, person=member, by=user)

    delegation.refresh_from_db()
    assert delegation.head == member
    entry = AuditEntry.objects.get(action="delegations.delegation.head_set")
    assert entry.changes == {"head": [None, member.pk]}


def test_delegation_set_head_outsider_is_refused_and_not_saved(delegation):
    with pytest.raises(ValidationError) as exc:
        delegation_set_head(delegation=delegation, person=PersonFactory(), by=UserFactory())

    assert "head" in exc.value.message_dict
    assert Delegation.objects.get(pk=delegation.pk).head is None
    assert not AuditEntry.objects.exists()


# --- Quota ----------------------------------------------------------------------------------------------------


def test_person_clean_beyond_quota_is_a_delegation_error(delegation):
    PersonFactory.create_batch(2, delegation=delegation)

    with pytest.raises(ValidationError) as exc:
        PersonFactory.build(delegation=delegation).full_clean()

    assert set(exc.value.message_dict) == {"delegation"}
    assert "Cambodia @ ASEM13 already has 2 of its 2 places" in exc.value.message_dict["delegation"][0]


def test_person_clean_last_place_within_quota_is_valid(delegation):
    PersonFactory(delegation=delegation)

    clean_and_save(PersonFactory.build(delegation=delegation))

    assert delegation.members.count() == delegation.quota == 2


def test_person_clean_existing_member_of_full_delegation_may_be_edited(delegation):
    first, _ = PersonFactory.create_batch(2, delegation=delegation)
    first.function = "Foreign Minister"

    assert clean_and_save(first).function == "Foreign Minister"


def test_person_clean_moved_into_full_delegation_is_a_delegation_error(delegation):
    PersonFactory.create_batch(2, delegation=delegation)
    mover = PersonFactory()
    mover.delegation = delegation

    with pytest.raises(ValidationError) as exc:
        mover.full_clean()

    assert "already has 2 of its 2 places" in exc.value.message_dict["delegation"][0]


def test_person_add_beyond_quota_saves_nothing(delegation):
    PersonFactory.create_batch(2, delegation=delegation)

    with pytest.raises(ValidationError) as exc:
        person_add(delegation=delegation, by="test", given_name="One", family_name="Toomany", function="Adviser")

    assert "delegation" in exc.value.message_dict
    assert delegation.members.count() == 2
    assert not AuditEntry.objects.exists()


def test_person_clean_passport_expiry_before_birth_is_an_expiry_error(delegation):
    person = PersonFactory.build(
        delegation=delegation, date_of_birth=dt.date(1970, 5, 17), passport_expiry=dt.date(1960, 1, 1)
    )

    with pytest.raises(ValidationError) as exc:
        person.full_clean()

    assert "Passport expiry must be after the date of birth" in exc.value.message_dict["passport_expiry"][0]


# --- Travel ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrival", "departure"),
    [
        pytest.param(at(2, "10:00"), at(-1, "14:00"), id="departure_before_arrival"),
        pytest.param(at(0, "10:00"), at(0, "10:00"), id="same_instant"),
    ],
)
def test_travel_clean_departure_not_after_arrival_is_a_departure_error(arrival, departure):
    travel = TravelFactory.build(person=PersonFactory(), arrival_at=arrival, departure_at=departure)

    with pytest.raises(ValidationError) as exc:
        travel.full_clean()

    assert set(exc.value.message_dict) == {"departure_at"}
    assert "not after its start" in exc.value.message_dict["departure_at"][0]


@pytest.mark.parametrize(
    ("arrival", "departure"),
    [
        pytest.param(None, at(2, "10:00"), id="arrival_unknown"),
        pytest.param(at(-1, "14:00"), None, id="departure_unknown"),
        pytest.param(at(-1, "14:00"), at(2, "10:00"), id="both_known"),
    ],
)
def test_travel_clean_partial_or_ordered_times_are_valid(arrival, departure):
    stored = clean_and_save(TravelFactory.build(person=PersonFactory(), arrival_at=arrival, departure_at=departure))

    assert (stored.arrival_at, stored.departure_at) == (arrival, departure)


def test_travel_departure_before_arrival_violates_check_constraint():
    travel = TravelFactory.build(person=PersonFactory(), arrival_at=at(2, "10:00"), departure_at=at(0, "10:00"))

    with pytest.raises(IntegrityError, match="travel_departure_after_arrival"), transaction.atomic():
        travel.save()

    assert not Travel.objects.exists()


# --- Accreditation to the delegation's event (or its side events) ------------------------------------------------


def test_accreditation_clean_event_outside_delegation_is_an_event_error(delegation):
    person = PersonFactory(delegation=delegation, given_name="Hun", family_name="Manet")
    elsewhere = EventFactory(acronym="ASEM14")

    with pytest.raises(ValidationError) as exc:
        Accreditation(person=person, event=elsewhere, category="delegate").full_clean()

    assert set(exc.value.message_dict) == {"event"}
    assert "Hun Manet is in the delegation to ASEM13; accredit them to ASEM13" in exc.value.message_dict["event"][0]


def test_accreditation_clean_side_event_of_delegation_event_is_valid(delegation, summit):
    person = PersonFactory(delegation=delegation)
    side = SideEventFactory(acronym="ABF", parent=summit)

    stored = clean_and_save(Accreditation(person=person, event=side, category="delegate"))

    assert stored.event.parent == summit


def test_accreditation_clean_side_event_of_other_summit_is_an_event_error(delegation):
    person = PersonFactory(delegation=delegation)
    other_side = SideEventFactory(acronym="AYF", parent=EventFactory(acronym="ASEM14"))

    with pytest.raises(ValidationError) as exc:
        Accreditation(person=person, event=other_side, category="delegate").full_clean()

    assert "accredit them to ASEM13 or to one of its side events" in exc.value.message_dict["event"][0]


def test_accreditation_clean_approved_without_badge_is_a_badge_error(delegation):
    person = PersonFactory(delegation=delegation)
    accreditation = Accreditation(person=person, event=delegation.event, category="delegate", status="approved")

    with pytest.raises(ValidationError) as exc:
        accreditation.full_clean()

    assert "needs a badge number" in exc.value.message_dict["badge_number"][0]


def test_accreditation_clean_revoked_without_reason_is_a_reason_error(delegation):
    accreditation = AccreditationFactory(person=PersonFactory(delegation=delegation))
    accreditation.status = Accreditation.Status.REVOKED

    with pytest.raises(ValidationError) as exc:
        accreditation.full_clean()

    assert "Say why" in exc.value.message_dict["revoked_reason"][0]


def test_accreditation_approve_assigns_badge_and_audits(delegation):
    accreditation = AccreditationFactory(person=PersonFactory(delegation=delegation))
    user = UserFactory()

    accreditation_approve(accreditation=accreditation, by=user)

    accreditation.refresh_from_db()
    assert accreditation.status == Accreditation.Status.APPROVED
    assert accreditation.badge_number == f"ASEM13-{accreditation.pk:06d}"
    assert accreditation.approved_by == user
    entry = AuditEntry.objects.get(action="delegations.accreditation.approved")
    assert entry.object_id == str(accreditation.pk)
    assert entry.changes["status"] == ["requested", "approved"]


def test_accreditation_approve_not_requested_is_a_status_error_and_changes_nothing(delegation):
    accreditation = AccreditationFactory(
        person=PersonFactory(delegation=delegation), status="revoked", revoked_reason="Left the delegation"
    )

    with pytest.raises(ValidationError) as exc:
        accreditation_approve(accreditation=accreditation, by="test")

    assert "this one is revoked" in exc.value.message_dict["status"][0]
    accreditation.refresh_from_db()
    assert (accreditation.status, accreditation.badge_number) == ("revoked", None)
    assert not AuditEntry.objects.exists()


# --- Database constraints, on every database ---------------------------------------------------------------------


def test_delegation_second_for_same_partner_and_event_violates_unique_constraint(delegation):
    with pytest.raises(IntegrityError), transaction.atomic():
        Delegation(partner=delegation.partner, event=delegation.event).save()

    assert Delegation.objects.filter(partner=delegation.partner).count() == 1


def test_delegation_same_partner_at_other_event_is_allowed(delegation):
    Delegation(partner=delegation.partner, event=EventFactory(acronym="ASEM14")).save()

    assert Delegation.objects.filter(partner=delegation.partner).count() == 2


def test_delegation_create_duplicate_is_refused_with_message(delegation):
    with pytest.raises(ValidationError) as exc:
        delegation_create(partner=delegation.partner, event=delegation.event, by="test")

    assert "This partner already has a delegation at this event." in exc.value.messages
    assert Delegation.objects.count() == 1


def test_accreditation_duplicate_badge_number_violates_unique_constraint(delegation):
    AccreditationFactory(person=PersonFactory(delegation=delegation), status="approved", badge_number="ASEM13-000001")

    with pytest.raises(IntegrityError), transaction.atomic():
        AccreditationFactory(
            person=PersonFactory(delegation=delegation), status="approved", badge_number="ASEM13-000001"
        )

    assert Accreditation.objects.filter(badge_number="ASEM13-000001").count() == 1


def test_accreditation_many_without_badge_number_are_allowed(delegation):
    # NULL badge numbers do not collide: every requested accreditation has none yet.
    for person in PersonFactory.create_batch(2, delegation=delegation):
        AccreditationFactory(person=person)

    assert Accreditation.objects.filter(badge_number__isnull=True).count() == 2


@pytest.mark.parametrize("status", ["approved", "printed", "collected"])
def test_accreditation_with_badge_status_without_badge_number_violates_check_constraint(delegation, status):
    person = PersonFactory(delegation=delegation)

    with pytest.raises(IntegrityError, match="accreditation_badge_number_when_approved"), transaction.atomic():
        Accreditation(person=person, event=delegation.event, category="delegate", status=status).save()

    assert not Accreditation.objects.exists()


def test_accreditation_second_for_same_person_and_event_violates_unique_constraint(delegation):
    accreditation = AccreditationFactory(person=PersonFactory(delegation=delegation))

    with pytest.raises(IntegrityError), transaction.atomic():
        Accreditation(person=accreditation.person, event=accreditation.event, category="media").save()


def test_delegation_quota_zero_violates_check_constraint(summit):
    with pytest.raises(IntegrityError, match="delegation_quota_positive"), transaction.atomic():
        Delegation(partner=PartnerFactory(), event=summit, quota=0).save()


def test_event_with_delegations_is_protected_from_deletion(delegation):
    with pytest.raises(ProtectedError), transaction.atomic():
        Event.objects.filter(pk=delegation.event_id).delete()

    assert Delegation.objects.filter(pk=delegation.pk).exists()
