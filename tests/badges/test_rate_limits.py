"""Rate limits on the checkpoint scan and verify endpoints: per device token, 429 with Retry-After in the API's
error shape, written into the OpenAPI schema; another token is not limited."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from badges.domain.badges import qr_payload
from badges.domain.tokens import token_create
from badges.models import ScanLog
from tests.badges.conftest import make_token
from tests.factories import EventFactory, SecurityZoneFactory

ROOT = Path(__file__).resolve().parents[2]


def client_for(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def stations(db):
    """Two checkpoint tokens at one zone and two verify tokens of one event."""
    event = EventFactory(acronym="ASEM13")
    zone = SecurityZoneFactory(code="Z3", name="Plenary halls", level=3)
    expires = timezone.now() + dt.timedelta(days=5)
    gates = [
        token_create(name=f"Gate {n}", event=event, scopes=["checkpoint:scan"], zone=zone, expires_at=expires, by="t")
        for n in (1, 2)
    ]
    desks = [make_token(event, ("badges:read",), name=f"Desk {n}") for n in (1, 2)]
    return {
        "scan": [client_for(raw) for _, raw in gates],
        "verify": [client_for(raw) for _, raw in desks],
    }


# A well-formed, signed QR of no badge: verify answers "unknown" and the gate "denied", both with 200.
QR = {"payload": qr_payload("ASEM13-999999", 1)}

ENDPOINTS = {
    "scan": ("/api/v1/checkpoint/scans", "PLANNER_RATE_CHECKPOINT_SCAN"),
    "verify": ("/api/v1/verify", "PLANNER_RATE_VERIFY"),
}


@pytest.mark.parametrize("endpoint", ["scan", "verify"], ids=["checkpoint_scan", "verify"])
def test_over_the_rate_a_token_gets_429_with_retry_after_and_another_token_does_not(
    stations, settings, time_machine, endpoint
):
    url, setting = ENDPOINTS[endpoint]
    setattr(settings, setting, "3/m")
    time_machine.move_to(timezone.now(), tick=False)
    first, second = stations[endpoint]
    codes = [first.post(url, QR, format="json").status_code for _ in range(3)]
    assert codes == [200, 200, 200]

    refused = first.post(url, QR, format="json")
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 60
    assert refused.json() == {
        "error": {
            "code": "throttled",
            "message": (
                f"Too many requests from this device token (at most 3 requests a minute); try again in {wait} s."
            ),
            "fields": {},
        }
    }
    # The other token of the same event (and the same zone) has its own count.
    assert second.post(url, QR, format="json").status_code == 200
    # Retry-After tells the truth: after that many seconds the first token is served again.
    time_machine.shift(dt.timedelta(seconds=wait))
    assert first.post(url, QR, format="json").status_code == 200


def test_a_refused_scan_is_not_judged_or_logged(stations, settings):
    settings.PLANNER_RATE_CHECKPOINT_SCAN = "2/m"
    gate = stations["scan"][0]
    codes = [gate.post("/api/v1/checkpoint/scans", {"payload": "x"}, format="json").status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    assert ScanLog.objects.count() == 2


def test_the_default_rates_let_a_busy_gate_through(stations):
    """120 a minute by default: a gate scanning every half second for a minute is never refused."""
    gate = stations["scan"][0]
    codes = {gate.post("/api/v1/checkpoint/scans", {"payload": "x"}, format="json").status_code for _ in range(120)}
    assert codes == {200}
    assert gate.post("/api/v1/checkpoint/scans", {"payload": "x"}, format="json").status_code == 429


@pytest.mark.parametrize(
    ("operation", "setting"),
    [("checkpoint_scans_create", "PLANNER_RATE_CHECKPOINT_SCAN"), ("verify", "PLANNER_RATE_VERIFY")],
    ids=["checkpoint_scan", "verify"],
)
def test_the_429_is_in_the_schema(client, db, settings, operation, setting):
    setattr(settings, setting, "7/m")
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operations = {op["operationId"]: op for path in schema["paths"].values() for op in path.values()}
    too_many = operations[operation]["responses"]["429"]
    assert too_many["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert setting in too_many["description"] and "Retry-After" in too_many["description"]
    assert "More than 7 requests a minute from this device token" in too_many["description"]


def test_a_malformed_rate_refuses_to_start_naming_the_setting():
    env = {**os.environ, "PLANNER_RATE_VERIFY": "fast", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(  # noqa: S603 — our own interpreter and settings
        [sys.executable, "-c", "import django; django.setup()"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "PLANNER_RATE_VERIFY must be a number of requests per unit, such as 120/m" in result.stderr
    assert "got 'fast'" in result.stderr
