"""A server error shows nothing internal: a static page for people, the API's error shape under /api/."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.urls_raising")]

INTERNALS = ("RuntimeError", "Traceback", "DEMO00042", "passport_number", "secret_settings_token", "broken_page",
             "SECRET_KEY", "settings", "/broken/", "psycopg", "File \"")  # fmt: skip


@pytest.fixture
def browser_client(settings):
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_a_failing_page_shows_the_static_500_page(browser_client, caplog):
    with caplog.at_level(logging.ERROR):
        response = browser_client.get("/broken/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert [word for word in INTERNALS if word in html] == []
    assert "<script" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # The operators still learn what broke: the traceback is in the log, its values redacted on output.
    (logged,) = [record for record in caplog.records if record.name == "django.request"]
    assert "RuntimeError" in (logged.exc_text or "") and "Traceback" in (logged.exc_text or "")
    assert "DEMO00042" not in logged.exc_text and "Key (passport_number)=([redacted])" in logged.exc_text


def test_a_failing_api_call_answers_in_the_api_error_shape(browser_client, caplog):
    with caplog.at_level(logging.ERROR):
        response = browser_client.get("/api/v1/broken")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body == {
        "error": {
            "code": "server_error",
            "message": "The server could not complete this request; try again, and report it if it keeps happening.",
            "fields": {},
        }
    }
    assert [word for word in INTERNALS if word in response.content.decode()] == []
    logged = [record for record in caplog.records if record.name == "badges.api.errors"]
    assert len(logged) == 1
    text = logging.Formatter().format(logged[0])
    assert "RuntimeError" in text and "DEMO00042" not in text and "Key (passport_number)=([redacted])" in text
    assert logged[0].getMessage() == "unhandled error in BrokenApi"


def test_the_500_page_renders_without_any_context(settings):
    """Django renders 500.html with no context and no request: the page must need neither."""
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html and "{{" not in html and "{%" not in html
