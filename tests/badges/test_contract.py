"""The print-station contract, tried as a station written from /api/schema/ alone: every operation of the document
with each `Accept` a station sends (and ones it must be refused), with and without a token, on a current, a revoked
and an unknown badge; every operation that takes a body with the hostile bodies (deep nesting, huge numbers, NaN,
invalid UTF-8, duplicate keys, not JSON, a wrong Content-Type, too large). Schemathesis checks each answer against
the document (no 5xx, a documented status, a documented Content-Type, a body and headers matching the schema);
then each answer must be the one the guide (docs/print-stations.md) promises."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from badges.api.views import SCAN_BODY_MAX
from badges.domain.badges import qr_payload
from config.wsgi import application
from delegations.domain.delegations import accreditation_revoke
from tests.badges.test_checkpoint import checkpoint_token
from tests.factories import SecurityZoneFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
JSON = "application/json"
ANSWERS = {"badges_pdf": "application/pdf", "badges_batch_pdf": "application/pdf", "badges_photo": "image/jpeg"}
ANSWERS["badges_export"] = "application/x-ndjson"
SUCCESS = {"badges_prints_create": 201}


def accepts(answer: str) -> list[str | None]:
    """What stations send: nothing, anything, the type itself, and the type preferred over JSON (or, for a JSON
    operation, a browser-like list)."""
    if answer == JSON:
        return [None, "*/*", JSON, "application/json, text/plain, */*", "application/*"]
    return [None, "*/*", answer, f"{answer}, {JSON};q=0.5", f"{answer};q=1.0"]


def refused_accepts(answer: str) -> list[str]:
    """A truly unacceptable Accept: 406. JSON alone is unacceptable for a file (errors come as JSON anyway)."""
    return ["text/csv", "text/html"] + ([JSON] if answer != JSON else ["application/pdf"])


# id, body, Content-Type, status, code. The big ones are made on use (the limit is the setting's).
HOSTILE: list[tuple[str, bytes | None, str, int, str]] = [
    ("deep_arrays", b"[" * 100_000 + b"]" * 100_000, JSON, 400, "too_deep"),
    ("deep_objects", b'{"a":' * 20_000 + b"1" + b"}" * 20_000, JSON, 400, "too_deep"),
    ("just_too_deep", b"[" * 33 + b"]" * 33, JSON, 400, "too_deep"),
    ("huge_integer", b'{"version": 1' + b"0" * 5000 + b', "payload": "x"}', JSON, 400, "number_out_of_range"),
    ("integer_over_64_bits", b'{"version": 9223372036854775808}', JSON, 400, "number_out_of_range"),
    ("huge_float", b'{"version": 1e999999, "payload": "x"}', JSON, 400, "number_out_of_range"),
    ("nan", b'{"version": NaN, "payload": "x"}', JSON, 400, "parse_error"),
    ("invalid_utf8", b'{"payload": "\xff\xfe"}', JSON, 400, "invalid_encoding"),
    ("utf16", '{"payload": "x"}'.encode("utf-16"), JSON, 400, "invalid_encoding"),
    ("duplicate_keys", b'{"payload": "a", "payload": "b"}', JSON, 400, "duplicate_key"),
    ("not_json", b'{"payload": ', JSON, 400, "parse_error"),
    ("text_plain", b"payload=x", "text/plain", 415, "unsupported_media_type"),
    ("form", b"payload=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ("too_large", None, JSON, 413, "body_too_large"),
]


@dataclass
class Tally:
    driven: int = 0
    operations: set[str] = field(default_factory=set)
    server_errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


@pytest.fixture
def station(summit, tmp_path, settings):
    """The summit with what a station meets: a badge with a photo, a revoked badge, a checkpoint token."""
    settings.MEDIA_ROOT = tmp_path
    png = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 30, 30)).save(png, "PNG")
    summit["badges"][0].person.photo.save("face.png", ContentFile(png.getvalue()))
    revoked = accreditation_revoke(accreditation=summit["badges"][4], reason="lost", by="test")
    _, gate_raw = checkpoint_token(summit["event"], SecurityZoneFactory(code="Z9", name="Contract gate"))
    return {**summit, "revoked": revoked, "gate_raw": gate_raw}


def body_for(operation_id: str, badge) -> bytes | None:
    bodies = {
        "badges_prints_create": {"version": badge.badge_version, "printed_at": "2026-11-15T09:30:00+07:00"},
        "badges_batch_pdf": {"badge_numbers": [badge.badge_number]},
        "verify": {"payload": qr_payload(badge.badge_number, badge.badge_version)},
        "checkpoint_scans_create": {"payload": qr_payload(badge.badge_number, badge.badge_version)},
    }
    return json.dumps(bodies[operation_id]).encode() if operation_id in bodies else None


def drive(tally: Tally, operation, label: str, *, raw_token, badge_number, accept, body=None, content_type=JSON):
    """One request through the WSGI application; schemathesis validates the answer against the document."""
    path_parameters = {"badge_number": badge_number} if "{badge_number}" in operation.path else {}
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if raw_token:
        headers["Authorization"] = f"Bearer {raw_token}"
    if accept is not None:
        headers["Accept"] = accept
    if body is not None:
        headers["Content-Type"] = content_type
    path = operation.path.replace("{badge_number}", badge_number)
    response = Client(application).open(path, method=operation.method.upper(), headers=headers, data=body)
    response.get_data()  # a streamed answer (the export) is read to its end
    tally.driven += 1
    tally.operations.add(operation.label)
    if response.status_code >= 500:
        tally.server_errors.append(f"{label}: {response.status_code} {response.get_data()[:200]!r}")
    case = operation.Case(path_parameters=path_parameters, headers=headers, media_type=content_type)
    try:
        case.validate_response(response, checks=CHECKS)
    except Exception as failure:  # noqa: BLE001  # every failure of the document is tallied, then reported at once
        tally.mismatches.append(f"{label}: {response.status_code} {str(failure)[:300]}")
    return response


def expect(tally: Tally, label: str, response, status: int, *, code: str | None = None, media: str = JSON):
    """The answer the guide promises: the status, the Content-Type, and for an error its code in the one shape."""
    content_type = response.headers.get("Content-Type", "").split(";")[0]
    got = f"{response.status_code} {content_type}"
    if response.status_code != status or content_type != media:
        tally.unexpected.append(f"{label}: want {status} {media}, got {got} {response.get_data()[:150]!r}")
        return
    if status >= 400:
        error = json.loads(response.get_data())["error"]
        if set(error) != {"code", "message", "fields"} or (code and error["code"] != code) or not error["message"]:
            tally.unexpected.append(f"{label}: want code {code}, got {error}")


@pytest.mark.django_db
@pytest.mark.usefixtures("wsgi_keeps_test_connection")
def test_every_operation_keeps_the_contract_with_every_accept_and_hostile_body(station):
    tally = Tally()
    current, revoked = station["badges"][0], station["revoked"]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11  # every operation of the document is driven (a new one must be added here)
    for operation in operations:
        op = operation.definition.raw["operationId"]
        answer = ANSWERS.get(op, JSON)
        token = station["gate_raw"] if op == "checkpoint_scans_create" else station["raw"]
        takes_badge = "{badge_number}" in operation.path
        # reprint raises the version: on its own badge, so that the other calls' versions stay current
        badge = station["badges"][1] if op == "badges_reprint" else current
        body = body_for(op, badge)
        success = SUCCESS.get(op, 200)
        for accept in accepts(answer):
            label = f"{op} Accept={accept}"
            response = drive(tally, operation, label, raw_token=token, badge_number=badge.badge_number,
                             accept=accept, body=body)  # fmt: skip
            expect(tally, label, response, success, media=answer)
            response = drive(tally, operation, f"{label} no token", raw_token=None,
                             badge_number=badge.badge_number, accept=accept, body=body)  # fmt: skip
            expect(tally, f"{label} no token", response, 401, code="token_missing")
            if takes_badge:
                for which, number in (("revoked", revoked.badge_number), ("unknown", "NOPE-1")):
                    response = drive(tally, operation, f"{label} {which}", raw_token=token, badge_number=number,
                                     accept=accept, body=body)  # fmt: skip
                    expect(tally, f"{label} {which}", response, 404, code="not_found")
        for accept in refused_accepts(answer):
            label = f"{op} Accept={accept}"
            response = drive(tally, operation, label, raw_token=token, badge_number=badge.badge_number,
                             accept=accept, body=body)  # fmt: skip
            expect(tally, label, response, 406, code="not_acceptable")
        if operation.method.upper() != "POST":
            continue
        for name, hostile, content_type, status, code in HOSTILE:
            label = f"{op} body={name}"
            if hostile is None:
                hostile = b'{"payload": "' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"}'
            response = drive(tally, operation, label, raw_token=token, badge_number=badge.badge_number,
                             accept=answer, body=hostile, content_type=content_type)  # fmt: skip
            if op == "checkpoint_scans_create" and len(hostile) > SCAN_BODY_MAX:
                # A checkpoint reads at most 4 KB and logs a bigger body as a denied scan (docs/checkpoints.md).
                expect(tally, label, response, 200)
            else:
                expect(tally, label, response, status, code=code)
    print(  # the figures for the report: operations × Accept values × bodies driven, 5xx, schema mismatches
        f"contract: {len(tally.operations)} operations, {tally.driven} requests, "
        f"{len(tally.server_errors)} 5xx, {len(tally.mismatches)} schema mismatches, "
        f"{len(tally.unexpected)} unexpected answers"
    )
    assert tally.server_errors == []
    assert tally.mismatches == []
    assert tally.unexpected == [], "\n".join(tally.unexpected)
    assert len(tally.operations) == 11


@pytest.mark.django_db
@pytest.mark.usefixtures("wsgi_keeps_test_connection")
@pytest.mark.parametrize(
    ("method", "path", "accept"),
    [
        pytest.param("GET", "/api/v2/badges/", JSON, id="unknown_version"),
        pytest.param("GET", "/api/v2/badges/ASEM13-000001/pdf", "application/pdf", id="unknown_version_pdf"),
        pytest.param("POST", "/api/v0/verify", None, id="unknown_version_post"),
        pytest.param("GET", "/api/v1/nope", "*/*", id="unknown_path"),
        pytest.param("DELETE", "/api/", None, id="api_root"),
    ],
)
def test_unknown_api_paths_answer_the_json_404(station, method, path, accept):
    headers = {"Authorization": f"Bearer {station['raw']}"} | ({"Accept": accept} if accept else {})
    response = Client(application).open(path, method=method, headers=headers, data=b'{"payload": "x"}')
    assert response.status_code == 404
    assert response.headers["Content-Type"] == JSON
    error = response.json["error"]
    assert error["code"] == "not_found"
    assert path in error["message"]
    assert set(error["fields"]) == {"path"}


@pytest.mark.django_db
def test_a_wrong_method_is_405_in_the_error_shape_naming_the_allowed_ones(station, api):
    response = api.delete("/api/v1/badges/", HTTP_ACCEPT="application/json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "DELETE" in response.json()["error"]["message"]
    assert "GET" in response.json()["error"]["fields"]["method"][0]
    assert "GET" in response["Allow"]


@pytest.mark.django_db
def test_an_error_on_a_pdf_operation_is_json_though_the_station_asked_for_pdf(station, api):
    response = api.get(f"/api/v1/badges/{station['revoked'].badge_number}/pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response["Content-Type"] == JSON
    assert station["revoked"].badge_number in response.json()["error"]["message"]


@pytest.mark.django_db
def test_the_406_names_the_accept_header_and_what_the_operation_answers(station, api):
    response = api.get(f"/api/v1/badges/{station['badges'][0].badge_number}/pdf", HTTP_ACCEPT="text/csv")
    assert response.status_code == 406
    message = response.json()["error"]["fields"]["Accept"][0]
    assert "application/pdf" in message
    assert "text/csv" in message


@pytest.mark.django_db
def test_a_client_following_next_only_reads_every_badge(station, api):
    seen, url, pages = [], "/api/v1/badges/?limit=2", 0
    while url is not None:
        body = api.get(url).json()
        assert "next" in body  # on every page, the last one too
        seen += [row["badge_number"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 2  # 4 listed badges (one revoked), 2 a page: the second page is the last, its next is null
    assert sorted(seen) == sorted(b.badge_number for b in station["badges"][:4])
    single = api.get("/api/v1/badges/").json()
    assert single["next"] is None
    assert len(single["results"]) == 4


@pytest.mark.django_db
def test_the_feed_carries_next_while_more_waits_and_null_at_the_end(station, api):
    first = api.get("/api/v1/feed/?limit=2").json()
    assert first["more"] is True
    assert first["next"].endswith(f"/api/v1/feed/?limit=2&cursor={first['cursor']}")
    pulls = 1
    body = first
    while body["next"] is not None:
        body, pulls = api.get(body["next"]).json(), pulls + 1
    assert body["more"] is False
    assert pulls >= 3  # 5 badges and a revocation, 2 a pull


@pytest.mark.django_db
@pytest.mark.parametrize("accept", [None, "*/*", "application/pdf"], ids=["no_accept", "anything", "pdf"])
def test_options_on_a_file_operation_answers_json_not_a_server_error(station, api, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = api.options(f"/api/v1/badges/{station['badges'][0].badge_number}/pdf", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == JSON
    assert response.json()["name"] == "Badge Pdf"
