"""Django's deployment checklist passes with the production environment, and fails without it."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "planner.example",
    # Passport data is encrypted: production refuses to start without its keys (tests/asemplanner/test_crypto.py).
    "PLANNER_FIELD_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "PLANNER_DIGEST_KEY": secrets.token_urlsafe(32),
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def check_deploy(**environment: str) -> subprocess.CompletedProcess[str]:
    # A fresh process: the settings module reads the environment once, at import.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    env.update(environment)
    return subprocess.run(  # noqa: S603 — our own interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_passes_with_the_production_environment():
    result = check_deploy(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        pytest.param({"SESSION_COOKIE_SECURE": "0"}, "security.W012", id="session_cookie_not_secure"),
        pytest.param({"SECURE_HSTS_SECONDS": "0"}, "security.W004", id="no_hsts"),
        pytest.param({"SECRET_KEY": "short"}, "security.W009", id="weak_secret_key"),
    ],
)
def test_check_deploy_fails_when_production_is_weakened(change, warning):
    result = check_deploy(**{**PRODUCTION, **change})
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr
