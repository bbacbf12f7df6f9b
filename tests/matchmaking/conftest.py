"""A business forum (AEBF, a side event of the summit): France's and Germany's delegations with a liaison each,
four 30-minute slots on its first day (09:00–11:00), two tables, and participants on both sides."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils.text import slugify

from matchmaking.domain.forum import forum_slots_generate, participant_add, table_add
from tests.factories import DelegationFactory, EventFactory, PartnerFactory, SideEventFactory, UserFactory

BY = "system:test"


@pytest.fixture
def forum(db):
    summit = EventFactory(acronym="ASEM13", name="13th ASEM Summit")
    event = SideEventFactory(
        acronym="AEBF",
        name="Asia-Europe Economic and Business Forum",
        parent=summit,
        start_date=dt.date(2020, 11, 14),
        end_date=dt.date(2020, 11, 15),
    )
    delegations, liaisons = {}, {}
    for code, name in (("FRA", "France"), ("DEU", "Germany"), ("ITA", "Italy")):
        delegations[code] = DelegationFactory(event=summit, partner=PartnerFactory(code=code, name=name))
        liaisons[code] = UserFactory(username=f"liaison-{code.lower()}", roles=["liaison"], email=f"{code}@x.example")
        delegations[code].liaisons.add(liaisons[code])
    slots = forum_slots_generate(
        event=event, day=dt.date(2020, 11, 14), first=dt.time(9, 0), minutes=30, count=4, by=BY
    )
    tables = [table_add(event=event, label=f"T{n}", by=BY) for n in (1, 2)]

    def participant(code: str | None, organisation: str, **values):
        return participant_add(
            event=event,
            delegation=delegations[code] if code else None,
            organisation=organisation,
            name=values.pop("name", "Rep"),
            sector=values.pop("sector", "Energy"),
            email=values.pop("email", f"{slugify(organisation) or 'contact'}@x.example"),
            by=BY,
            **values,
        )

    return SimpleNamespace(
        summit=summit,
        event=event,
        slots=slots,
        tables=tables,
        france=delegations["FRA"],
        germany=delegations["DEU"],
        italy=delegations["ITA"],
        liaison_fra=liaisons["FRA"],
        liaison_deu=liaisons["DEU"],
        participant=participant,
    )
