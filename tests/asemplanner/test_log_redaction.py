"""The log filter: what it takes out of a line, what it leaves, and that the settings attach it."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from django.conf import settings

from asemplanner.log_redaction import REDACTED, RedactSecretsFilter, redact

TOKEN = "asem_0a1b2c3d_" + "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3c"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(f"Authorization: Bearer {TOKEN}", "Authorization: Bearer asem_0a1b2c3d_[redacted]",
                     id="device_token"),
        pytest.param("'HTTP_AUTHORIZATION': 'Bearer abcdefgh12345'", "'HTTP_AUTHORIZATION': 'Bearer [redacted]'",
                     id="bearer_in_meta"),
        pytest.param("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic [redacted]", id="basic"),
        pytest.param("Cookie: sessionid=k2j3h4k5; csrftoken=AbC123",
                     "Cookie: sessionid=[redacted]; csrftoken=[redacted]", id="cookies"),
        pytest.param("{'sessionid': 'k2j3h4k5'}", "{'sessionid': '[redacted]'}", id="cookie_in_a_dict"),
        pytest.param("csrfmiddlewaretoken=xyz&passport_number=X1&date_of_birth=1961-02-03",
                     "csrfmiddlewaretoken=[redacted]&passport_number=[redacted]&date_of_birth=[redacted]",
                     id="form_fields"),
        pytest.param("Gone: /accounts/invitation/3oUfwxKK_E1TJ-2b/", "Gone: /accounts/invitation/[redacted]/",
                     id="invitation_link"),
        pytest.param("GET /accounts/reset/MQ/c4k2-9f8e7d/ HTTP/1.1",
                     "GET /accounts/reset/[redacted]/[redacted]/ HTTP/1.1", id="password_reset_link"),
        pytest.param("DETAIL:  Key (passport_number)=(DEMO00001) already exists.",
                     "DETAIL:  Key (passport_number)=([redacted]) already exists.", id="constraint_error"),
        pytest.param("passports DEMO00001, FR7654321, N01234567 and 19AB12345",
                     "passports [redacted], [redacted], [redacted] and [redacted]", id="passport_shapes"),
        pytest.param("Failed lookup for key [x] in [{'csrf_token': 'abc'}, {'form': '<input value=DEMO1>'}]",
                     "Failed lookup for key [x] in [redacted] (template context)", id="template_context"),
    ],
)  # fmt: skip
def test_secrets_are_redacted(line, expected):
    assert redact(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("badge ASEM13-000123 printed, version 2", id="badge_number"),
        pytest.param("flight PG931 lands 2020-11-15 09:40", id="flight_and_time"),
        pytest.param("conflict check for 3 change(s): 2 new, 1 resolved", id="summary"),
        pytest.param("the token was revoked; basic settings", id="words_token_and_basic"),
        pytest.param("reminder 4521 failed: SMTP 451", id="ids"),
    ],
)
def test_ordinary_lines_are_left_alone(line):
    assert redact(line) == line


def test_the_filter_rewrites_message_arguments_and_traceback():
    try:
        raise ValueError("Key (passport_number)=(DEMO00009) exists")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "opened %s", ("/accounts/invitation/tok3n/",), None)
        record.exc_info = sys.exc_info()
    assert RedactSecretsFilter().filter(record) is True
    text = logging.Formatter().format(record)
    assert "opened /accounts/invitation/[redacted]/" in text
    assert "ValueError: Key (passport_number)=([redacted]) exists" in text
    assert "tok3n" not in text and "DEMO00009" not in text
    assert record.exc_info is None  # the exception object, unredacted, does not travel further


def test_the_settings_attach_the_filter_to_the_console_and_the_request_loggers():
    config = settings.LOGGING
    assert config["filters"]["redact_secrets"]["()"] == "asemplanner.log_redaction.RedactSecretsFilter"
    assert "redact_secrets" in config["handlers"]["console"]["filters"]
    for name in ("django.request", "django.server", "django.security.csrf", "django.template", "badges.api.errors"):
        assert any(isinstance(f, RedactSecretsFilter) for f in logging.getLogger(name).filters), name
    console = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecretsFilter) for f in h.filters)]
    assert len(console) == 1
    # Through the configured console handler, a line with a token comes out redacted.
    handler = console[0]
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logging.getLogger("badges").warning("station sent Bearer %s", TOKEN)
    finally:
        handler.setStream(old)
    assert stream.getvalue().rstrip().endswith(f"station sent Bearer asem_0a1b2c3d_{REDACTED}")
