"""The role × URL × method matrix over the site, the portal, the inbox, the API and the custom admin pages.

Each pattern of ROUTES is walked as anonymous, liaison A (France), liaison B (Cambodia) on France's objects,
each staff role and each device-token scope (API). See tests/security/matrix.py for the four checks."""

from __future__ import annotations

import pytest

from tests.security.matrix import walk
from tests.security.routes import ROUTES


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_pattern(key, world, clients):
    problems = walk(key, ROUTES[key], clients, world)
    assert not problems, "\n".join(problems)
