"""The print log is idempotent; a reprint is a new version and the old QR verifies as superseded."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from badges.domain.badges import qr_payload
from badges.models import IdempotencyRecord, PrintRecord
from delegations.domain.delegations import accreditation_revoke
from delegations.models import Accreditation

PRINTED = {"version": 1, "printed_at": "2020-11-14T09:00:00+07:00"}


def post(api, path, body=None, key=None):
    return api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex)


def test_print_is_recorded_and_marks_the_badge_printed(summit, api):
    number = summit["badges"][0].badge_number
    response = post(api, f"/api/v1/badges/{number}/prints", PRINTED)
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["station"]) == (1, "Desk 1")
    assert Accreditation.objects.get(badge_number=number).status == "printed"


def test_same_key_returns_the_same_response_and_records_once(summit, api):
    number = summit["badges"][0].badge_number
    first = post(api, f"/api/v1/badges/{number}/prints", PRINTED, key="print-1")
    again = post(api, f"/api/v1/badges/{number}/prints", PRINTED, key="print-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert PrintRecord.objects.count() == 1


def test_same_key_for_a_different_request_is_refused(summit, api):
    number = summit["badges"][0].badge_number
    post(api, f"/api/v1/badges/{number}/prints", PRINTED, key="print-1")
    response = post(api, f"/api/v1/badges/{number}/prints", {**PRINTED, "version": 2}, key="print-1")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "idempotency_key_reused")


def test_a_duplicate_while_the_first_still_runs_gets_409(summit, api):
    number = summit["badges"][0].badge_number
    path = f"/api/v1/badges/{number}/prints"
    import hashlib
    import json

    body = json.dumps(PRINTED, sort_keys=True)
    IdempotencyRecord.objects.create(
        token=summit["token"], key="print-1", fingerprint=hashlib.sha256(f"POST {path}\n{body}".encode()).hexdigest()
    )  # as the first request leaves it while it runs
    response = post(api, path, PRINTED, key="print-1")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "request_in_progress")
    assert PrintRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("key", "status"),
    [
        pytest.param("", 400, id="missing"),
        pytest.param("has space", 400, id="space"),
        pytest.param("x" * 101, 400, id="long"),
    ],
)
def test_bad_idempotency_keys_are_a_400(summit, api, key, status):
    number = summit["badges"][0].badge_number
    response = api.post(f"/api/v1/badges/{number}/prints", PRINTED, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == status
    assert list(response.json()["error"]["fields"]) == ["Idempotency-Key"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"version": 1}, "printed_at", id="no_time"),
        pytest.param({"version": 1, "printed_at": "yesterday"}, "printed_at", id="bad_time"),
        pytest.param({"version": 0, "printed_at": "2020-11-14T09:00:00+07:00"}, "version", id="version_zero"),
    ],
)
def test_bad_print_bodies_are_a_400_naming_the_field(summit, api, body, field):
    response = post(api, f"/api/v1/badges/{summit['badges'][0].badge_number}/prints", body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_reprint_supersedes_the_old_version(summit, api):
    number = summit["badges"][0].badge_number
    old = qr_payload(number, 1)
    response = post(api, f"/api/v1/badges/{number}/reprint")
    assert response.json()["version"] == 2
    assert api.post("/api/v1/verify", {"payload": old}, format="json").json()["status"] == "superseded"
    assert api.post("/api/v1/verify", {"payload": qr_payload(number, 2)}, format="json").json() == {
        "valid": True, "status": "current", "badge_number": number, "version": 2, "current_version": 2,
    }  # fmt: skip
    stale = post(api, f"/api/v1/badges/{number}/prints", PRINTED)
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "version_superseded")


def test_revoked_badge_cannot_be_reported_printed_and_verifies_revoked(summit, api):
    badge = summit["badges"][0]
    accreditation_revoke(accreditation=badge, reason="security", by="test")
    assert post(api, f"/api/v1/badges/{badge.badge_number}/prints", PRINTED).status_code == 404
    verdict = api.post("/api/v1/verify", {"payload": qr_payload(badge.badge_number, 1)}, format="json").json()
    assert (verdict["valid"], verdict["status"]) == (False, "revoked")


def test_forged_payload_does_not_verify(summit, api):
    payload = qr_payload(summit["badges"][0].badge_number, 1)
    forged = payload[:-3] + ("AAA" if payload[-3:] != "AAA" else "BBB")
    assert api.post("/api/v1/verify", {"payload": forged}, format="json").json()["status"] == "forged"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_stations_racing_with_one_key_record_one_print(summit):
    number = summit["badges"][0].badge_number
    barrier, results = threading.Barrier(2), []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {summit['raw']}")
        barrier.wait()
        try:
            results.append(post(client, f"/api/v1/badges/{number}/prints", PRINTED, key="race-1").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) in ([201, 201], [201, 409])  # a replay, or "still running"
    assert PrintRecord.objects.count() == 1


def test_a_stalled_first_attempt_is_taken_over_after_a_minute(summit, api):
    import datetime as dt
    import hashlib
    import json

    import time_machine
    from django.utils import timezone

    number = summit["badges"][0].badge_number
    path = f"/api/v1/badges/{number}/prints"
    fingerprint = hashlib.sha256(f"POST {path}\n{json.dumps(PRINTED, sort_keys=True)}".encode()).hexdigest()
    IdempotencyRecord.objects.create(token=summit["token"], key="print-1", fingerprint=fingerprint)  # its worker died
    assert post(api, path, PRINTED, key="print-1").status_code == 409
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
        assert post(api, path, PRINTED, key="print-1").status_code == 201
    assert PrintRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"version": 1, "printed_at": "2020-11-14T09:00:00"}, "printed_at", id="no_time_zone"),
        pytest.param({"version": 99999999999, "printed_at": "2020-11-14T09:00:00+07:00"}, "version", id="huge"),
        pytest.param({"version": "1", "printed_at": "2020-11-14T09:00:00+07:00"}, "version", id="string"),
    ],
)
def test_more_bad_print_bodies(summit, api, body, field):
    response = post(api, f"/api/v1/badges/{summit['badges'][0].badge_number}/prints", body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_empty_batch_list_is_a_400(summit, api):
    response = api.post("/api/v1/badges/pdf", {"badge_numbers": []}, format="json")
    assert response.status_code == 400
    assert "badge_numbers" in response.json()["error"]["fields"]


def test_non_idempotency_key_characters(summit, api):
    response = post(api, f"/api/v1/badges/{summit['badges'][0].badge_number}/prints", PRINTED, key="clé²")
    assert response.status_code == 400
