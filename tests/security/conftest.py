"""The security suite's world and clients.

`world` (module scope) holds the seeded summit in one transaction for the whole module and rolls it back at
its end; every test still runs in its own savepoint (pytest-django's `db`), so a test that writes leaves nothing
behind. `clients` are signed in once per module, inside that transaction.

Checks of MFA, lockout, sessions, encryption and retention come as their own files beside these
(tests/security/test_mfa.py, …); they can use `world` and `clients` or the suite-wide fixtures.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.security.probes import table_checksums
from tests.security.routes import API_CLIENTS, STAFF, TOKENS, WEB_CLIENTS
from tests.security.world import Snapshot, World, world_build
from tests.signin import sign_in

_cache: dict[str, object] = {}


@pytest.fixture(scope="session")
def security_media(tmp_path_factory):
    return tmp_path_factory.mktemp("security-media")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, security_media) -> Iterator[World]:
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=security_media):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            if "snapshot" in _cache:
                snapshot = _cache["snapshot"]
                assert isinstance(snapshot, Snapshot)
                snapshot.restore()
            else:
                _cache["world"] = world_build()
                _cache["snapshot"] = Snapshot()
            world = _cache["world"]
            assert isinstance(world, World)
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


CLIENT_USERS = {"liaison_a": "liaison-fra", "liaison_b": "liaison-khm", **{role: role for role in STAFF}}


@pytest.fixture(scope="module")
def _signed_in(world: World) -> dict[str, Client]:
    """One client per web and API client name, signed in (or holding a token) for the whole module."""
    users = get_user_model().objects.in_bulk(list(world.users.values()))
    clients: dict[str, Client] = {}
    for name in {*WEB_CLIENTS, *API_CLIENTS}:
        client = APIClient() if name.startswith("token:") else Client()
        if name in CLIENT_USERS:
            sign_in(client, users[world.users[CLIENT_USERS[name]]])
        if name in TOKENS:
            assert isinstance(client, APIClient)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens[name.removeprefix('token:')]}")
        clients[name] = client
    return clients


@pytest.fixture(scope="module")
def baseline(_signed_in: dict[str, Client]) -> dict[str, str]:
    """Every table's checksum as each test of the module starts: the world, its signed-in clients."""
    return table_checksums()


@pytest.fixture
def clients(db, _signed_in: dict[str, Client]) -> Iterator[dict[str, Client]]:
    """The module's clients; a test that signs one out gets it back signed in for the next test (its session row
    comes back with the savepoint's rollback, its cookie here)."""
    cookies = {name: copy.deepcopy(client.cookies) for name, client in _signed_in.items()}
    yield _signed_in
    for name, client in _signed_in.items():
        client.cookies = cookies[name]
