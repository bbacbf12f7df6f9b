"""Who may call what: every endpoint × no token, unknown, revoked, expired, wrong scope, another event's badge."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from badges.domain.tokens import token_revoke
from badges.models import DeviceToken
from tests.badges.conftest import make_token

ENDPOINTS = [
    pytest.param("get", "/api/v1/badges/", None, "badges:read", id="list"),
    pytest.param("get", "/api/v1/badges/{n}/", None, "badges:read", id="detail"),
    pytest.param("get", "/api/v1/badges/{n}/photo.jpg", None, "badges:read", id="photo"),
    pytest.param("get", "/api/v1/badges/{n}/pdf", None, "badges:read", id="pdf"),
    pytest.param("post", "/api/v1/badges/pdf", {"badge_numbers": ["{n}"]}, "badges:read", id="batch_pdf"),
    pytest.param("get", "/api/v1/feed/", None, "badges:read", id="feed"),
    pytest.param("post", "/api/v1/verify", {"payload": "x"}, "badges:read", id="verify"),
    pytest.param("post", "/api/v1/badges/{n}/prints", {"version": 1, "printed_at": "2020-11-14T09:00:00+07:00"},
                 "badges:print", id="prints"),
    pytest.param("post", "/api/v1/badges/{n}/reprint", None, "badges:print", id="reprint"),
]  # fmt: skip


def call(client, method, path, body, number):
    path = path.replace("{n}", number)
    if body is not None:
        body = {
            k: ([v.replace("{n}", number) for v in val] if isinstance(val, list) else val) for k, val in body.items()
        }
    return getattr(client, method)(path, body, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{uuid.uuid4().hex}")


def client_with(raw: str | None) -> APIClient:
    client = APIClient()
    if raw is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS)
@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        pytest.param("none", 401, "token_missing", id="no_token"),
        pytest.param("unknown", 401, "token_invalid", id="unknown_token"),
        pytest.param("malformed", 401, "token_malformed", id="malformed_header"),
        pytest.param("revoked", 401, "token_revoked", id="revoked"),
        pytest.param("expired", 401, "token_expired", id="expired"),
    ],
)
def test_refused_without_a_live_token(summit, method, path, body, scope, case, status, code):
    raw = {"none": None, "unknown": "asem_0000_nothing", "malformed": None}.get(case, summit["raw"])
    client = client_with(raw)
    if case == "malformed":
        client.credentials(HTTP_AUTHORIZATION="Token abc def")
    if case == "revoked":
        token_revoke(token=summit["token"], by="test")
    if case == "expired":
        DeviceToken.objects.filter(pk=summit["token"].pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = call(client, method, path, body, summit["badges"][0].badge_number)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS)
def test_refused_without_the_scope(summit, method, path, body, scope):
    other_scope = "badges:print" if scope == "badges:read" else "badges:read"
    _, raw = make_token(summit["event"], scopes=[other_scope], name="narrow")
    response = call(client_with(raw), method, path, body, summit["badges"][0].badge_number)
    assert response.status_code == 403
    assert scope in response.json()["error"]["message"]


@pytest.mark.parametrize(("method", "path", "body", "scope"), [p for p in ENDPOINTS if "{n}" in str(p.values)])
def test_another_events_badge_is_not_found(summit, method, path, body, scope):
    response = call(client_with(summit["raw"]), method, path, body, summit["others"][0].badge_number)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_list_never_shows_another_events_badges(summit, api):
    numbers = {row["badge_number"] for row in api.get("/api/v1/badges/").json()["results"]}
    assert numbers == {b.badge_number for b in summit["badges"]}


def test_revocation_takes_effect_on_the_next_request(summit, api):
    assert api.get("/api/v1/badges/").status_code == 200
    token_revoke(token=summit["token"], by="test")
    assert api.get("/api/v1/badges/").status_code == 401


def test_last_used_is_recorded(summit, api):
    api.get("/api/v1/badges/")
    summit["token"].refresh_from_db()
    assert summit["token"].last_used_at is not None
