"""Logs never hold a passport number, a birth date, a token or a session id.

A print station's day (sync, PDFs, print reports, verify, checkpoint scans, a bad token, a throttled gate) and a
liaison's (sign in, add a member with passport data, edit it, a refused edit, an invitation accepted and its
link opened again) run with every logger at DEBUG. The captured records — what any handler would get — and the
lines our configured handler writes are searched for every secret used: none may appear."""

from __future__ import annotations

import datetime as dt
import io
import logging
import traceback
import uuid

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from asemplanner.log_redaction import RedactSecretsFilter
from badges.domain.badges import qr_payload
from badges.domain.tokens import token_create
from delegations.domain.delegations import accreditation_approve, accreditation_request
from delegations.domain.liaisons import liaison_invite
from delegations.models import Person
from tests.factories import (
    DelegationFactory,
    EventFactory,
    PartnerFactory,
    PersonFactory,
    SecurityZoneFactory,
    UserFactory,
)
from tests.portal.test_members import member_data

pytestmark = pytest.mark.django_db

LOGGERS = ["", "django", "django.request", "django.server", "django.security", "django.security.csrf",
           "django.template", "django.db.backends", "celery", "celery.app.trace", "asemplanner", "events",
           "delegations", "protocol", "badges", "reminders", "planning", "portal"]  # fmt: skip

# Shaped like the seeded ones (DEMO00001) and like what liaisons type.
PASSPORTS = ["DEMO00071", "DEMO00072", "DEMO00073", "FR7654321"]
BIRTH_DATES = [dt.date(1961, 2, 3), dt.date(1972, 11, 30), dt.date(1958, 7, 14)]


def date_forms(day: dt.date) -> list[str]:
    return [day.isoformat(), repr(day), day.strftime("%d/%m/%Y"), day.strftime("%d.%m.%Y")]


class RawCapture(logging.Handler):
    """Each record's text as it arrives at the root, before any other handler (or its filter) touched it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else record.exc_text or ""
        self.texts.append(f"{record.getMessage()} {record.args!r} {exc} {record.stack_info or ''}")


@pytest.fixture
def everything_logged(caplog):
    """Every logger at DEBUG: into caplog, into a raw capture that runs first, and through a handler configured
    like our console one (with its filter) into a buffer."""
    raw = RawCapture()
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(logging.Formatter(django_settings.LOGGING["formatters"]["plain"]["format"]))
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.handlers.insert(0, raw)
    root.addHandler(handler)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog, raw, written
    root.removeHandler(handler)
    root.removeHandler(raw)


def station_day(secrets: list[str], settings, delegation) -> None:
    event = delegation.event
    zone = SecurityZoneFactory(code="Z3", name="Plenary halls", level=3)
    badges = []
    for i, (passport, born) in enumerate(zip(PASSPORTS[:3], BIRTH_DATES, strict=True)):
        person = PersonFactory(
            delegation=delegation, given_name=f"Claire{i}", family_name="Martin", passport_number=passport,
            passport_expiry=dt.date(2031, 3, 4), date_of_birth=born,
        )  # fmt: skip
        accreditation = accreditation_request(person=person, event=event, category="delegate", by="test")
        accreditation.zones.add(zone)
        badges.append(accreditation_approve(accreditation=accreditation, by="test"))
    expires = timezone.now() + dt.timedelta(days=5)
    _, print_raw = token_create(
        name="Desk 1", event=event, scopes=["badges:read", "badges:print"], expires_at=expires, by="test"
    )
    _, gate_raw = token_create(
        name="Gate 1", event=event, scopes=["checkpoint:scan"], zone=zone, expires_at=expires, by="test"
    )
    secrets += [print_raw, gate_raw]
    station = APIClient()
    station.credentials(HTTP_AUTHORIZATION=f"Bearer {print_raw}")
    gate = APIClient()
    gate.credentials(HTTP_AUTHORIZATION=f"Bearer {gate_raw}")

    feed = station.get("/api/v1/feed/?cursor=0&limit=100").json()
    assert len(feed["changes"]) == 3
    assert station.get("/api/v1/badges/").status_code == 200
    number = badges[0].badge_number
    assert station.get(f"/api/v1/badges/{number}/").status_code == 200
    assert station.get(f"/api/v1/badges/{number}/pdf").status_code == 200
    assert station.post("/api/v1/badges/pdf", {"delegation": "FRA"}, format="json").status_code == 200
    printed = {"version": 1, "printed_at": timezone.now().isoformat()}
    key = uuid.uuid4().hex
    for _retry in range(2):
        report = station.post(f"/api/v1/badges/{number}/prints", printed, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert report.status_code == 201
    reprint = station.post(f"/api/v1/badges/{number}/reprint", format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert reprint.status_code == 200
    verdict = station.post("/api/v1/verify", {"payload": qr_payload(number, 2)}, format="json")
    assert verdict.json()["valid"] is True
    assert gate.post("/api/v1/checkpoint/scans", {"payload": qr_payload(number, 2)}, format="json").status_code == 200
    assert gate.post("/api/v1/checkpoint/scans", {"payload": qr_payload(number, 1)}, format="json").status_code == 200
    # Failures are logged by Django (4xx): a mistyped token, a station scope refused, a gate over its rate.
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=f"Bearer {print_raw[:-3]}xyz")
    assert wrong.get("/api/v1/badges/").status_code == 401
    assert station.post("/api/v1/checkpoint/scans", {"payload": "x"}, format="json").status_code == 403
    settings.PLANNER_RATE_CHECKPOINT_SCAN = "1/m"
    assert gate.post("/api/v1/checkpoint/scans", {"payload": "x"}, format="json").status_code == 429


def portal_day(secrets: list[str], france) -> None:
    liaison = UserFactory(username="liaison-fra", roles=["liaison"])
    liaison.set_password("mekong-liaison-2020")
    liaison.save()
    france.liaisons.add(liaison)
    secrets.append("mekong-liaison-2020")

    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("login"))
    csrf = browser.cookies["csrftoken"].value
    signed_in = browser.post(
        reverse("login"), {"username": "liaison-fra", "password": "mekong-liaison-2020", "csrfmiddlewaretoken": csrf}
    )
    assert signed_in.status_code == 302
    csrf = browser.cookies["csrftoken"].value
    secrets += [browser.cookies["sessionid"].value, csrf]

    add = reverse("portal:member_add", args=[france.pk])
    born = BIRTH_DATES[0]
    data = member_data(passport_number=PASSPORTS[0], date_of_birth=born.isoformat(), csrfmiddlewaretoken=csrf)
    assert browser.post(add, data).status_code == 302
    person = Person.objects.get(delegation=france, family_name="Laurent")
    edit = reverse("portal:member_edit", args=[france.pk, person.pk])
    assert browser.get(edit).status_code == 200
    data = member_data(passport_number=PASSPORTS[3], date_of_birth=BIRTH_DATES[1].isoformat(), csrfmiddlewaretoken=csrf)
    assert browser.post(edit, data).status_code == 302
    refused = member_data(passport_number=PASSPORTS[1], date_of_birth="1961-13-45", csrfmiddlewaretoken=csrf)
    assert browser.post(edit, refused).status_code == 200
    # A form sent without its CSRF token is refused and logged (django.security.csrf).
    assert browser.post(edit, member_data(passport_number=PASSPORTS[2])).status_code == 403

    _invitation, token = liaison_invite(delegation=france, email="nina@diplomatie.example", by="test")
    secrets.append(token)
    newcomer = Client()
    url = reverse("accept_invitation", args=[token])
    assert newcomer.get(url).status_code == 200
    account = {"first_name": "Nina", "last_name": "Noir", "password1": "tonle-sap-2020", "password2": "tonle-sap-2020"}
    assert newcomer.post(url, account).status_code == 302
    secrets += [newcomer.cookies["sessionid"].value, "tonle-sap-2020"]
    assert newcomer.get(url).status_code == 410  # the used link, opened again: logged by django.request
    assert get_user_model().objects.filter(username="nina@diplomatie.example").exists()


def test_a_station_day_and_a_liaison_day_leave_no_secret_in_the_logs(everything_logged, settings):
    caplog, raw, written = everything_logged
    secrets: list[str] = []
    france = DelegationFactory(event=EventFactory(acronym="ASEM13"), partner=PartnerFactory(code="FRA"), quota=8)
    station_day(secrets, settings, france)
    portal_day(secrets, france)
    secrets += PASSPORTS + [form for day in BIRTH_DATES for form in date_forms(day)]

    records = "\n".join(raw.texts)
    output = written.getvalue()
    assert len(raw.texts) >= 5
    assert [s for s in secrets if s in records] == []
    assert [s for s in secrets if s in caplog.text] == []
    assert [s for s in secrets if s in output] == []
    # The flows were logged: the failures above are there, their paths without the invitation token.
    for expected in ("Unauthorized: /api/v1/badges/", "Too Many Requests: /api/v1/checkpoint/scans",
                     "Forbidden (CSRF", "Gone: /accounts/invitation/[redacted]/"):  # fmt: skip
        assert expected in records and expected in caplog.text and expected in output
