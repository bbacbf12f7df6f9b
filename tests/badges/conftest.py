from __future__ import annotations

import datetime as dt

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from rest_framework.test import APIClient

from asemplanner.choices import Category
from badges.domain.tokens import token_create
from delegations.domain.delegations import accreditation_approve, accreditation_request
from tests.factories import DelegationFactory, EventFactory, PartnerFactory, PersonFactory, SecurityZoneFactory


def approved_badges(event, n: int, *, partner=None, category=Category.DELEGATE):
    delegation = DelegationFactory(event=event, partner=partner or PartnerFactory())
    zone = SecurityZoneFactory()
    badges = []
    for i in range(n):
        person = PersonFactory(
            delegation=delegation, given_name=f"Given{i}", family_name=f"Family{i}", passport_number=f"PX{i:06d}",
            passport_expiry=dt.date(2030, 1, 1), date_of_birth=dt.date(1970, 1, 1),
        )  # fmt: skip
        accreditation = accreditation_request(person=person, event=event, category=category, by="test")
        accreditation.zones.add(zone)
        badges.append(accreditation_approve(accreditation=accreditation, by="test"))
    return badges


def make_token(event, scopes=("badges:read", "badges:print"), *, name=None, expires=None):
    token, raw = token_create(
        name=name or f"Desk {timezone.now().timestamp()}", event=event, scopes=list(scopes),
        expires_at=expires or timezone.now() + dt.timedelta(days=30), by="test",
    )  # fmt: skip
    return token, raw


@pytest.fixture
def summit(db):
    event = EventFactory(acronym="ASEM13")
    other = EventFactory(acronym="OTHER")
    badges = approved_badges(event, 5, partner=PartnerFactory(code="FRA", name="France"))
    others = approved_badges(other, 2)
    token, raw = make_token(event, name="Desk 1")
    return {"event": event, "other": other, "badges": badges, "others": others, "token": token, "raw": raw}


@pytest.fixture
def api(summit):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {summit['raw']}")
    return client


@pytest.fixture
def wsgi_keeps_test_connection():
    """Schemathesis calls the WSGI app directly; at the end of each request Django would close the database
    connection that holds the test's transaction. Django's own test client turns that off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
