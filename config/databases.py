"""DATABASES["default"] from DATABASE_URL, for one server or behind PgBouncer in transaction mode.

Kept apart from the settings module so a test can read what each environment produces (tests/config/
test_databases.py). docs/deployment.md, "PgBouncer", says why each option is there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

POSTGRES_ENGINES = {"django.db.backends.postgresql"}


def database_settings(url: str, *, pgbouncer: bool = False, conn_max_age: int = 60) -> dict[str, Any]:
    """The `default` database of DATABASES for `url`.

    `pgbouncer`: the URL points at PgBouncer in transaction pooling mode, where consecutive transactions of one
    Django connection may run on different server sessions. Nothing may then outlive a transaction on the server:
    - no server-side cursors (`QuerySet.iterator()` declares a holdable cursor in one transaction and fetches from
      it in the next): DISABLE_SERVER_SIDE_CURSORS;
    - no prepared statements (psycopg 3 prepares a query it has run `prepare_threshold` times on one connection and
      later executes it by name, on a session that may not have it): prepare_threshold None, and Django's
      client-side parameter binding (server_side_binding off), which sends every query whole;
    - a persistent connection (CONN_MAX_AGE) is one to PgBouncer, not to a server session, so it is kept, but
      nothing may rely on session state across transactions (SET without LOCAL, session advisory locks,
      LISTEN/NOTIFY, temporary tables); the planner uses none (tests/config/test_databases.py greps for them).
    """
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if pgbouncer:
            raise ImproperlyConfigured("PLANNER_PGBOUNCER=1 needs a PostgreSQL DATABASE_URL (PgBouncer's address).")
        # The web server, the worker and beat share one file: WAL lets readers run beside the writer,
        # IMMEDIATE transactions take the write lock up front instead of failing with "database is locked"
        # halfway through, and the timeout waits for the lock rather than giving up.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        return config
    if pgbouncer:
        if config["ENGINE"] not in POSTGRES_ENGINES:
            raise ImproperlyConfigured(
                f"PLANNER_PGBOUNCER=1 needs a PostgreSQL DATABASE_URL (PgBouncer's address); got {config['ENGINE']}."
            )
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        options = config.setdefault("OPTIONS", {})
        if options.get("server_side_binding"):
            raise ImproperlyConfigured(
                "PLANNER_PGBOUNCER=1 cannot be combined with server_side_binding: PgBouncer in transaction mode "
                "cannot keep the prepared statements it needs."
            )
        options["prepare_threshold"] = None
        options["server_side_binding"] = False
    return config


def sqlite_default_url(var_dir: Path) -> str:
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var_dir / 'planner.sqlite3'}"
