"""A real worker, on the configured broker (Redis in CI), runs a task that reads the database."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from config.celery import app
from events.tasks import healthcheck
from tests.factories import EventFactory


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_through_the_broker_and_reads_the_database():
    EventFactory.create_batch(3)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = healthcheck.delay().get(timeout=20)
    assert result["events"] == 3
    assert result["database"] == ("postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite")


def test_broker_is_redis_when_redis_url_is_set():
    if settings.REDIS_URL:
        assert app.conf.broker_url.startswith("redis://")
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1)
            assert conn.connected
    else:
        assert app.conf.broker_url.startswith("filesystem://")
