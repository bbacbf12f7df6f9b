"""DATABASES from the environment, and what PgBouncer in transaction mode asks of it (docs/deployment.md)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.databases import database_settings

ROOT = Path(__file__).resolve().parents[2]
APPS = ("asemplanner", "events", "delegations", "protocol", "reminders", "badges", "planning", "portal", "demo")
APPS += ("config",)
PG = "postgres://planner:secret@127.0.0.1:6432/planner"


def test_pgbouncer_disables_server_side_cursors_and_prepared_statements():
    config = database_settings(PG, pgbouncer=True)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("127.0.0.1", 6432, "planner")
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert config["OPTIONS"]["prepare_threshold"] is None
    assert config["OPTIONS"]["server_side_binding"] is False
    # The persistent connection is to PgBouncer; it stays, with the health check.
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True


def test_without_pgbouncer_postgres_keeps_server_side_cursors():
    config = database_settings(PG, pgbouncer=False, conn_max_age=0)
    assert config.get("DISABLE_SERVER_SIDE_CURSORS", False) is False
    assert "prepare_threshold" not in config.get("OPTIONS", {})
    assert config["CONN_MAX_AGE"] == 0


def test_pgbouncer_overrides_a_prepare_threshold_in_the_url():
    config = database_settings(PG + "?prepare_threshold=5", pgbouncer=True)
    assert config["OPTIONS"]["prepare_threshold"] is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("sqlite:////tmp/x.sqlite3", "needs a PostgreSQL DATABASE_URL", id="sqlite"),
        pytest.param(PG + "?server_side_binding=true", "server_side_binding", id="server_side_binding"),
    ],
)
def test_pgbouncer_refuses_what_it_cannot_pool(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        database_settings(url, pgbouncer=True)


def settings_in_a_fresh_process(**environment: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(json.dumps({k: d.get(k) for k in ('ENGINE', 'PORT', 'CONN_MAX_AGE', 'DISABLE_SERVER_SIDE_CURSORS', "
        "'OPTIONS')}, default=str))"
    )
    result = subprocess.run(  # noqa: S603 — our own interpreter
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_environment_switches_pgbouncer_mode_on():
    on = settings_in_a_fresh_process(DATABASE_URL=PG, PLANNER_PGBOUNCER="1", CONN_MAX_AGE="30")
    assert on["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert on["OPTIONS"]["prepare_threshold"] is None
    assert (on["PORT"], on["CONN_MAX_AGE"]) == (6432, 30)
    off = settings_in_a_fresh_process(DATABASE_URL=PG, PLANNER_PGBOUNCER="0")
    assert not off["DISABLE_SERVER_SIDE_CURSORS"]


# Session state that transaction pooling would hand to another client or lose: a SQL string that starts with SET
# (without LOCAL), advisory locks, LISTEN/NOTIFY, temporary tables, PREPARE, a cursor WITH HOLD.
SESSION_STATE = re.compile(  # SQL keywords in capitals, as the planner writes them
    r"""["']\s*SET\s+(?!LOCAL\b)|\bpg_advisory_(?:un)?lock\b|\bpg_try_advisory_lock\b|["']\s*(?:LISTEN|NOTIFY|PREPARE|"""
    r"""DECLARE)\b|\bCREATE\s+TEMP(?:ORARY)?\s+TABLE\b|\bWITH\s+HOLD\b""",
)


def test_the_planner_keeps_no_session_state_on_the_server():
    """Migrations run straight on PostgreSQL (not through PgBouncer): they are not searched."""
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SESSION_STATE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "session state that PgBouncer's transaction mode does not keep:\n" + "\n".join(found)


def test_the_session_state_search_finds_what_it_looks_for():
    for line in ('cursor.execute("SET statement_timeout = 0")', "SELECT pg_advisory_lock(42)", 'execute("LISTEN x")',
                 "CREATE TEMP TABLE t (id int)", "DECLARE c CURSOR WITH HOLD FOR SELECT 1"):  # fmt: skip
        assert SESSION_STATE.search(line), line
    for line in ('execute("SET LOCAL lock_timeout = 1")', 'f"UPDATE {table} SET {assignments}"', "NOTIFY_PER_LIAISON"):
        assert not SESSION_STATE.search(line), line
