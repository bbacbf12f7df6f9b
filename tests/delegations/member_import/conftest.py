"""Fixtures of the import tests: a delegation with a quota of 12 and its liaison officer."""

from __future__ import annotations

import pytest

from tests.factories import DelegationFactory, UserFactory


@pytest.fixture
def delegation():
    return DelegationFactory(quota=12)


@pytest.fixture
def liaison(delegation):
    user = UserFactory(roles=["liaison"])
    delegation.liaisons.add(user)
    return user
