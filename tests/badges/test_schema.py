"""The OpenAPI document is valid and the API keeps to it: schemathesis drives every operation with generated
input (valid and not) as a print station would, and checks for server errors and off-schema responses."""

from __future__ import annotations

import os
import uuid

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection

from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "40"))  # per operation; raise it for a deeper run


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/badges/{badge_number}/prints:" in text
    assert "DeviceToken" in text


def test_docs_are_served_offline(client, db):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()


@pytest.fixture
def fuzzer_not_locked_out(settings):
    """The fuzzer's invalid-token probes are checks of the 401 answer, not guessing: without this, its sixth
    wrong token from one address would be answered 429 (the lockout, tested in tests/asemplanner/test_signin.py)."""
    settings.AXES_FAILURE_LIMIT = 1_000_000


@pytest.mark.django_db
@pytest.mark.usefixtures("wsgi_keeps_test_connection", "fuzzer_not_locked_out")
@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_to_its_schema(case, summit):
    headers = {"Authorization": f"Bearer {summit['raw']}", "Idempotency-Key": uuid.uuid4().hex}
    # A negative case may mean "no Authorization header"; this test always sends a valid token, so that case is
    # rightly accepted. Negative queries and bodies are still checked for rejection (and the 401s elsewhere).
    excluded = [negative_data_rejection] if case.meta and case.meta.is_negative_at(ParameterLocation.HEADER) else []
    case.call_and_validate(headers=headers, excluded_checks=excluded)
