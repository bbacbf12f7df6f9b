"""Through a real PgBouncer in transaction mode: what it breaks, and that PLANNER_PGBOUNCER's settings avoid it.

The test starts its own pgbouncer (on a free port, pool of two server connections, in front of the test database)
and opens a Django connection to it from `config.databases.database_settings`. `QuerySet.iterator()` declares a
server-side cursor on one server session; another client's transaction then takes that session (PgBouncer hands
out the most recently used one), so the iterator's next FETCH lands on the other session, where the cursor does not
exist. With the PgBouncer settings (DISABLE_SERVER_SIDE_CURSORS) Django reads client-side and nothing is lost.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, connections
from django.db.utils import ConnectionHandler

from config.databases import database_settings
from tests.conftest import REQUIRE_SERVICES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


class PgBouncer:
    def __init__(self) -> None:
        settings = connection.settings_dict
        self.user = settings["USER"] or "postgres"
        self.host, self.port_pg = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
        self.database = settings["NAME"]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.directory = Path(tempfile.mkdtemp(prefix="pgbouncer-test-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def start(self) -> None:
        config = self.directory / "pgbouncer.ini"
        config.write_text(
            f"[databases]\n{self.database} = host={self.host} port={self.port_pg} dbname={self.database}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"pool_mode = transaction\ndefault_pool_size = 2\nauth_type = trust\n"
            f"auth_file = {self.directory / 'userlist.txt'}\nlogfile = {self.directory / 'pgbouncer.log'}\n"
        )
        (self.directory / "userlist.txt").write_text(f'"{self.user}" ""\n')
        command = [shutil.which("pgbouncer") or "pgbouncer", str(config)]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            self.directory.chmod(0o755)
            for path in (self.directory, *self.directory.iterdir()):
                shutil.chown(path, "postgres")
            command[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError(f"pgbouncer did not start: {(self.directory / 'pgbouncer.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def pgbouncer():
    if not shutil.which("pgbouncer"):
        if REQUIRE_SERVICES:
            pytest.fail("pgbouncer is not installed; the transaction-pooling test needs it (apt-get install).")
        pytest.skip("needs the pgbouncer binary")
    bouncer = PgBouncer()
    bouncer.start()
    yield bouncer
    bouncer.stop()


def iterate_while_another_transaction_takes_the_session(config: dict, bouncer: PgBouncer) -> list[int]:
    """QuerySet.iterator() on a connection made from `config`; between two chunks another client begins a
    transaction."""
    alias = f"pgbouncer_{uuid.uuid4().hex[:8]}"
    # A connection of its own, handed to the project's handler so that QuerySet.using(alias) finds it; not in
    # DATABASES, so Django's test isolation lets it connect (a dynamically created connection).
    wrapper = ConnectionHandler({"default": connections.settings["default"], alias: dict(config)})[alias]
    setattr(connections._connections, alias, wrapper)
    other = psycopg.connect(bouncer.url, autocommit=True)
    try:
        rows = ContentType.objects.using(alias).order_by("pk").values_list("pk", flat=True).iterator(chunk_size=3)
        read = [next(rows) for _ in range(3)]
        other.execute("BEGIN")
        other.execute("SELECT 1")  # holds the server session the first chunks came from
        read += list(rows)
        other.execute("COMMIT")
        return read
    finally:
        other.close()
        wrapper.close()
        delattr(connections._connections, alias)


def every_content_type() -> list[int]:
    return list(ContentType.objects.order_by("pk").values_list("pk", flat=True))


def test_iterator_breaks_under_transaction_pooling_without_the_settings(pgbouncer):
    plain = database_settings(pgbouncer.url, pgbouncer=False, conn_max_age=0)
    assert len(every_content_type()) > 6
    # Django wraps the FETCH error; closing the broken cursor afterwards may raise psycopg's own over it.
    with pytest.raises((DatabaseError, psycopg.Error), match=r"cursor .* does not exist"):
        iterate_while_another_transaction_takes_the_session(plain, pgbouncer)


def test_iterator_reads_everything_with_the_pgbouncer_settings(pgbouncer):
    pooled = database_settings(pgbouncer.url, pgbouncer=True, conn_max_age=0)
    assert iterate_while_another_transaction_takes_the_session(pooled, pgbouncer) == every_content_type()
