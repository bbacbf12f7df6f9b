"""The matrix over the admin's per-model pages: changelist, add, change, delete and history of every registered
model (and the bare `<object_id>/` redirect), as every client. A role may reach each page as README's role table
(asemplanner/roles.py) grants; tests/asemplanner/test_admin_roles.py checks that table against the roles' jobs."""

from __future__ import annotations

import pytest

from tests.security.matrix import admin_model_route, walk
from tests.security.routes import ADMIN_MODELS, admin_model_keys


@pytest.mark.parametrize("key", sorted(admin_model_keys()))
def test_admin_model_page(key, world, clients, baseline):
    label, view = admin_model_keys()[key]
    problems = walk(key, admin_model_route(label, view, ADMIN_MODELS[label]), clients, world, baseline)
    assert not problems, "\n".join(problems)
