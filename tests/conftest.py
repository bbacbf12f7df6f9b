"""Suite-wide fixtures and the service checks.

With PLANNER_REQUIRE_SERVICES=1 (CI sets it) the suite refuses to run unless DATABASE_URL points at
PostgreSQL and REDIS_URL at a Redis that answers, and tests marked `postgres` fail instead of skipping.
"""

from __future__ import annotations

import os
from uuid import uuid4

import pytest
from django.conf import settings

from tests.signin import sign_in

REQUIRE_SERVICES = os.environ.get("PLANNER_REQUIRE_SERVICES") == "1"
pytest_plugins = ["tests.browser"]  # the `browser` fixture (headless Chromium) of the browser tests


def pytest_configure(config):
    # The translation catalogues' .mo files are build output: compiled (where a .po changed) before any test.
    from asemplanner.catalogues import compile_catalogues

    compile_catalogues()
    if not REQUIRE_SERVICES:
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(f"PLANNER_REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL (engine {engine}).", returncode=3)
    if not settings.REDIS_URL:
        pytest.exit("PLANNER_REQUIRE_SERVICES=1 but REDIS_URL is not set.", returncode=3)
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(f"Redis at {settings.REDIS_URL} is unreachable: {exc}", returncode=3)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        if REQUIRE_SERVICES:
            pytest.fail("This test needs PostgreSQL and PLANNER_REQUIRE_SERVICES=1 forbids skipping it.")
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture(autouse=True)
def _english_between_tests():
    # A request in Khmer leaves Khmer active in the worker's thread (LocaleMiddleware activates, nothing resets):
    # each test starts and ends in the default language, so no test reads another's language.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness protects real passwords; tests only need a hash that checks.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    # Rate limits count per token and per user id, and user ids repeat between runs on a fresh test database:
    # each test counts in a cache of its own, so no test meets another's (or an earlier run's) requests.
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"ratelimit-{uuid4()}"},
    }


@pytest.fixture(autouse=True)
def _no_lockout_left_behind():
    """A lockout's 'address locked' flag lives in the shared cache, not the test's database transaction: clear
    the test client's address after each test so one test's lockout does not answer the next one's requests."""
    yield
    from asemplanner.domain.signin import address_unlocked

    address_unlocked(ip_address="127.0.0.1")


@pytest.fixture
def seeded(db):
    """The ASEM13 demo data, loaded through seed_asem13's domain function."""
    from demo.seed import seed_asem13

    return seed_asem13()


@pytest.fixture
def role_client(client, db):
    """role_client("protocol") → a test client signed in (password and second factor) as a fresh user with that
    role."""
    from tests.factories import UserFactory

    def login(role: str):
        user = UserFactory(username=f"{role}-tester", roles=[role])
        sign_in(client, user)
        client.user = user
        return client

    return login


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, signed in past the second factor as every staff session must be."""
    return sign_in(client, admin_user)


@pytest.fixture
def celery_eager(settings):
    """Tasks run in the test's own process when enqueued (the broker is the outside boundary), the after-commit
    conflict check without its debounce delay, the solver on two workers (this machine's cores)."""
    from config.celery import app as celery_app

    settings.PLANNER_SCHEDULER_WORKERS = 2
    settings.PLANNER_CONFLICT_CHECK_DELAY = 0
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
