from __future__ import annotations

import pytest

from reminders.domain.subjects import Scope
from reminders.domain.sync import reminders_sync
from tests.factories import DeadlineFactory, DelegationFactory, EventFactory, PersonFactory, UserFactory


@pytest.fixture
def summit(db):
    """ASEM13 (16–17 Nov 2020) with a passport deadline on 26 Oct 17:00 and one delegation whose liaison
    has entered nobody's passport data yet."""
    event = EventFactory(acronym="ASEM13")
    deadline = DeadlineFactory(event=event)  # at(-21, "17:00") = 26 Oct 2020 17:00
    delegation = DelegationFactory(event=event)
    liaison = UserFactory(username="liaison-x", first_name="Lia", last_name="Ison", roles=["liaison"])
    delegation.liaisons.add(liaison)
    PersonFactory(delegation=delegation, given_name="Jean", family_name="Martin")
    return {"event": event, "deadline": deadline, "delegation": delegation, "liaison": liaison}


def sync_all(now=None):
    return reminders_sync(scope=Scope(all=True), now=now)
