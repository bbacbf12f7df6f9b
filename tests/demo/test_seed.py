"""seed_asem13: the ASEM13 facts, valid demo data, and idempotence."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from asemplanner.models import AuditEntry
from delegations.models import Accreditation, Delegation, Partner, Person
from events.models import Event, Room, Session, TransferTime, Venue
from protocol.models import BilateralMeeting


def counts() -> dict[str, int]:
    models = [Partner, Event, Venue, Room, TransferTime, Session, Delegation, Person, Accreditation, BilateralMeeting]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_seed_twice_gives_53_partners_8_events_and_no_duplicates():
    out = io.StringIO()
    call_command("seed_asem13", stdout=out)
    first, audit_after_first = counts(), AuditEntry.objects.count()
    call_command("seed_asem13", stdout=out)
    assert counts() == first
    assert first["Partner"] == 53 and first["Event"] == 8
    assert first["Delegation"] == 53
    # The second run finds everything in place: it writes nothing, so it audits nothing.
    assert AuditEntry.objects.count() == audit_after_first
    assert "DEMO ONLY" in out.getvalue()


@pytest.mark.django_db
def test_seed_has_the_asem13_facts(seeded):
    summit = Event.objects.get(acronym="ASEM13")
    assert (summit.start_date, summit.end_date) == (dt.date(2020, 11, 16), dt.date(2020, 11, 17))
    assert summit.theme == "Strengthening Multilateralism for Shared Growth"
    assert summit.city == "Phnom Penh" and summit.host.code == "KHM"
    side = set(summit.side_events.values_list("acronym", flat=True))
    assert side == {"ASEP11", "ASEMFEST", "AEBF", "AYLS", "AERT", "AELF", "AEPF13"}
    assert Partner.objects.filter(kind="institution").count() == 2
    assert Partner.objects.filter(region="Europe", kind="country").count() == 30
    assert Partner.objects.filter(region="Asia", kind="country").count() == 21
    assert Venue.objects.filter(kind="airport").exists()
    assert Room.objects.filter(kind="bilateral").count() == 8


@pytest.mark.django_db
def test_seed_data_passes_every_model_validation(seeded):
    for model in (Event, Venue, Room, TransferTime, Session, Delegation, Person, Accreditation, BilateralMeeting):
        for obj in model.objects.all():
            obj.full_clean()


@pytest.mark.django_db
def test_seed_every_delegation_has_a_head_from_its_own_members(seeded):
    delegations = Delegation.objects.select_related("head")
    assert all(d.head is not None and d.head.delegation_id == d.pk for d in delegations)


@pytest.mark.django_db
def test_seed_transfer_times_cover_every_venue_pair(seeded):
    venues = Venue.objects.count()
    assert TransferTime.objects.count() == venues * (venues - 1)
    assert TransferTime.objects.filter(minutes__lt=5).count() == 0


@pytest.mark.django_db
def test_seed_restores_a_row_changed_by_hand_and_audits_it(seeded):
    summit = Event.objects.get(acronym="ASEM13")
    Event.objects.filter(pk=summit.pk).update(theme="changed by hand")
    call_command("seed_asem13", stdout=io.StringIO())
    summit.refresh_from_db()
    assert summit.theme == "Strengthening Multilateralism for Shared Growth"
    entry = AuditEntry.objects.filter(action="events.event.changed", object_id=str(summit.pk)).latest("id")
    assert entry.actor_name == "seed_asem13"
    assert entry.changes == {"theme": ["changed by hand", "Strengthening Multilateralism for Shared Growth"]}
