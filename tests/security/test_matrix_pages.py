"""The role × URL × method matrix over the site, the portal, the inbox, the API and the custom admin pages.

Each pattern of ROUTES is walked as anonymous, liaison A (France), liaison B (Cambodia) on France's objects,
each staff role and each device-token scope (API). See tests/security/matrix.py for the four checks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.urls import reverse

from tests.security.matrix import Sent, judge, walk
from tests.security.probes import body_text, leaked
from tests.security.routes import ROUTES


@pytest.fixture(autouse=True)
def _no_lockout_during_the_walk(settings):
    # The walk sends each client's wrong password (or bogus link) from one address, one after the other: with the
    # lockout at its real limit the sixth client would meet the address's lockout, not the page's own answer.
    # The lockout itself is tested in tests/asemplanner/test_signin.py.
    settings.AXES_FAILURE_LIMIT = 10_000


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_pattern(key, world, clients, baseline):
    problems = walk(key, ROUTES[key], clients, world, baseline)
    assert not problems, "\n".join(problems)


# --- The checks can fail: each one, shown a real write, a real leak or a wrong status, reports it ------------


def test_the_walk_names_a_write_its_route_does_not_allow(world, clients):
    """Liaison A may mark its notices read; a route that does not list A as a writer must report A's POST."""
    route = replace(ROUTES["reminders:mark_read"], writers=frozenset())
    problems = walk("reminders:mark_read", route, clients, world)
    assert any("liaison_a POST" in p and "asemplanner_notification" in p for p in problems), problems


def test_the_walk_reports_passport_data_shown_to_a_role_that_may_not_see_it(world, clients):
    """Security may read the person's page with its passport; the same page as liaison A's would be a leak."""
    url = reverse("admin:delegations_person_change", args=[world.person_a])
    response = clients["security"].get(url)
    sent = Sent(method="get", url=url, status=200, location="", text=body_text(response))
    assert leaked(sent.text, world.needles), "the seeded passport is on the security office's page"
    problems = judge("admin:delegations_person_change", ROUTES["admin:index"], "liaison_a", sent, world)
    assert any("passport data or a birth date" in p for p in problems), problems


def test_the_walk_reports_a_status_the_role_table_does_not_give(world, clients):
    route = replace(ROUTES["admin:timeline"], access=replace(ROUTES["admin:timeline"].access, allowed=frozenset()))
    problems = walk("admin:timeline", route, clients, world)
    assert any(p.startswith("admin:timeline: admin GET") and "expected 403" in p for p in problems), problems
