"""The station API speaks English unless the client asks for Khmer (Accept-Language: km); codes and field names
never change. The token admin's refusals in Khmer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from badges.domain.tokens import token_create, token_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A request in Khmer leaves Khmer active in this thread (LocaleMiddleware activates, nothing deactivates):
    back to the default after each test, so neither the next test here nor the next file inherits it."""
    yield
    translation.deactivate()


KHMER_LIMIT = "limit ត្រូវតែជាចំនួនគត់ពី 1 ដល់ 500 ប៉ុន្តែបានទទួល “0”។"
ENGLISH_LIMIT = "limit must be a whole number from 1 to 500; got “0”."


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param({}, ENGLISH_LIMIT, id="no_header_english"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "km"}, KHMER_LIMIT, id="km"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "km-KH,km;q=0.9,en;q=0.5"}, KHMER_LIMIT, id="km_KH_preferred"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "xx"}, ENGLISH_LIMIT, id="unknown_xx_english"),
    ],
)
def test_an_api_error_speaks_the_clients_language(api, headers, message):
    response = api.get("/api/v1/badges/", {"limit": "0"}, **headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == message
    assert error["fields"] == {"limit": [message]}


@pytest.mark.parametrize(
    ("headers", "expected", "absent"),
    [
        pytest.param({}, "Send a device token", "សូមផ្ញើ", id="no_header_english"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "km"}, "សូមផ្ញើសញ្ញាសម្ងាត់ឧបករណ៍", "Send a device token", id="km"),
        pytest.param({"HTTP_ACCEPT_LANGUAGE": "xx"}, "Send a device token", "សូមផ្ញើ", id="unknown_xx_english"),
    ],
)
def test_an_authentication_error_speaks_the_clients_language(summit, headers, expected, absent):
    response = APIClient().get("/api/v1/badges/", **headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "token_missing"
    assert expected in error["message"] and absent not in error["message"]


def test_a_gate_is_told_in_khmer_when_it_asks(summit):
    zone = summit["badges"][0].zones.get()
    _token, raw = token_create(
        name="Gate 1", event=summit["event"], scopes=["checkpoint:scan"], zone=zone,
        expires_at=timezone.now() + dt.timedelta(days=1), by="test",
    )  # fmt: skip
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    answer = client.post("/api/v1/checkpoint/scans", {"payload": ""}, format="json", HTTP_ACCEPT_LANGUAGE="km")
    assert answer.status_code == 200
    assert (answer.json()["result"], answer.json()["reason"]) == ("denied", "malformed")
    assert answer.json()["message"] == "ការស្កេនទទេ៖ សូមស្កេនកូដ QR លើកាតសម្គាល់ម្តងទៀត។"


def test_token_refusals_in_khmer():
    with translation.override("km"):
        errors = token_errors(scopes=["checkpoint:scan"], zone_id=None, expires_at=None)
    assert errors["zone"].startswith("សញ្ញាសម្ងាត់ប៉ុស្តិ៍ត្រួតពិនិត្យ (checkpoint:scan)")
    with translation.override("en"):
        errors = token_errors(scopes=["checkpoint:scan"], zone_id=None, expires_at=None)
    assert errors["zone"].startswith("A checkpoint token (checkpoint:scan) guards one zone")
