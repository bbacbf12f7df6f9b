"""The delegation write functions the admin does not exercise: travel, accreditation request and revocation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from asemplanner.models import AuditEntry
from delegations.domain.delegations import (
    accreditation_approve,
    accreditation_request,
    accreditation_revoke,
    travel_set,
)
from delegations.models import Travel
from tests.factories import PersonFactory, at

pytestmark = pytest.mark.django_db


def test_travel_set_creates_then_updates_one_record():
    person = PersonFactory()
    travel_set(person=person, arrival_flight="PG931", arrival_at=at(-1, "14:00"), by="t")
    travel_set(person=person, departure_flight="PG932", departure_at=at(2, "10:00"), by="t")
    travel = Travel.objects.get(person=person)
    assert (travel.arrival_flight, travel.departure_flight) == ("PG931", "PG932")
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == [
        "delegations.travel.created",
        "delegations.travel.changed",
    ]


def test_travel_set_departure_before_arrival_is_refused_and_changes_nothing():
    person = PersonFactory()
    with pytest.raises(ValidationError) as exc:
        travel_set(person=person, arrival_at=at(1, "10:00"), departure_at=at(0, "10:00"), by="t")
    assert "departure_at" in exc.value.message_dict
    assert not Travel.objects.exists()


def test_accreditation_request_approve_revoke():
    person = PersonFactory()
    accreditation = accreditation_request(person=person, event=person.delegation.event, category="delegate", by="t")
    assert accreditation.status == "requested"
    accreditation_approve(accreditation=accreditation, by="t")
    assert accreditation.badge_number == f"{person.delegation.event.acronym}-{accreditation.pk:06d}"
    with pytest.raises(ValidationError) as exc:
        accreditation_revoke(accreditation=accreditation, reason="", by="t")
    assert "revoked_reason" in exc.value.message_dict
    accreditation.refresh_from_db()
    assert accreditation.status == "approved"
    accreditation_revoke(accreditation=accreditation, reason="Left the delegation", by="t")
    accreditation.refresh_from_db()
    assert (accreditation.status, accreditation.revoked_reason) == ("revoked", "Left the delegation")
    assert AuditEntry.objects.filter(action="delegations.accreditation.revoked").count() == 1
