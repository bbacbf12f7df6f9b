"""A summit with three delegations and their liaisons: France (liaison A), Germany (liaison B), Italy."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from asemplanner.choices import Category, Rank
from events.models import Venue
from tests.factories import (
    DeadlineFactory,
    DelegationFactory,
    EventFactory,
    PartnerFactory,
    PersonFactory,
    SideEventFactory,
    UserFactory,
    VenueFactory,
)
from tests.signin import sign_in


@pytest.fixture
def summit(db):
    event = EventFactory(acronym="ASEM13", name="13th ASEM Summit")  # 16–17 Nov 2020
    side = SideEventFactory(
        acronym="AEBF", parent=event, start_date=dt.date(2020, 11, 14), end_date=dt.date(2020, 11, 15)
    )
    airport = VenueFactory(name="Phnom Penh International Airport", short_name="PNH airport", kind=Venue.Kind.AIRPORT)
    hotel = VenueFactory(name="Sokha Phnom Penh Hotel", short_name="Sokha", kind=Venue.Kind.HOTEL)
    delegations = {}
    liaisons = {}
    for code, name in (("FRA", "France"), ("DEU", "Germany"), ("ITA", "Italy")):
        delegation = DelegationFactory(event=event, partner=PartnerFactory(code=code, name=name), quota=4)
        head = PersonFactory(
            delegation=delegation,
            given_name=f"Head{code.title()}",
            family_name=f"Leader{code.title()}",
            function="President",
            rank=Rank.HEAD_OF_STATE,
            category=Category.PRINCIPAL,
        )
        delegation.head = head
        delegation.save()
        delegations[code] = delegation
        liaisons[code] = UserFactory(username=f"liaison-{code.lower()}", roles=["liaison"])
        delegation.liaisons.add(liaisons[code])
    member = PersonFactory(delegation=delegations["FRA"], given_name="Jean", family_name="Martin", function="Sherpa")
    DeadlineFactory(event=event, kind="photos")
    return SimpleNamespace(
        event=event,
        side=side,
        airport=airport,
        hotel=hotel,
        france=delegations["FRA"],
        germany=delegations["DEU"],
        italy=delegations["ITA"],
        liaison_a=liaisons["FRA"],
        liaison_b=liaisons["DEU"],
        liaison_c=liaisons["ITA"],
        member=member,
    )


@pytest.fixture
def liaison_a(client, summit):
    """A client signed in as France's liaison officer."""
    sign_in(client, summit.liaison_a)
    return client
