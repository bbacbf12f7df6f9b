"""Gaps found by trying the system as each role, known and being fixed in other branches (issue 14, "Found, tried
as each role would"). Each is written as the attack and what must hold; they fail today and are marked
`xfail(strict=True)`, so the branch that fixes one makes its test pass, strict xfail turns that into a failure,
and the lead removes the mark when merging the fix.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from badges.models import DeviceToken
from tests.factories import DelegationFactory, EventFactory, SecurityZoneFactory, UserFactory


def form_data(instance, **changes):
    data = model_to_dict(instance)
    data = {
        k: ([getattr(v, "pk", v) for v in value] if isinstance(value, list) else value) for k, value in data.items()
    }
    return {k: v for k, v in {**data, **changes}.items() if v is not None}


@pytest.mark.xfail(strict=True, reason="issue 14: accreditation/protocol can edit a delegation's liaisons field")
@pytest.mark.parametrize("role", ["accreditation", "protocol"])
def test_a_role_cannot_make_someone_a_liaison_through_the_delegation_form(role, role_client):
    delegation = DelegationFactory()
    outsider = UserFactory(username="not-invited", roles=["liaison"])
    client = role_client(role)
    response = client.post(
        reverse("admin:delegations_delegation_change", args=[delegation.pk]),
        form_data(
            delegation, liaisons=[outsider.pk], _save="Save", **{"members-TOTAL_FORMS": 0, "members-INITIAL_FORMS": 0}
        ),
    )
    assert response.status_code in (302, 403)
    assert not delegation.liaisons.filter(pk=outsider.pk).exists(), "liaisons come only through an invitation"


@pytest.mark.xfail(strict=True, reason="issue 14: an admin can grant itself the security role")
def test_an_admin_cannot_grant_itself_the_security_role(role_client):
    from django.contrib.auth.models import Group

    client = role_client("admin")
    me = client.user
    data = {
        "username": me.username,
        "email": me.email or "",
        "is_active": "on",
        "is_staff": "on",
        "groups": [Group.objects.get(name="admin").pk, Group.objects.get(name="security").pk],
        "date_joined_0": "2020-01-01",
        "date_joined_1": "00:00:00",
        "_save": "Save",
    }
    client.post(reverse("admin:auth_user_change", args=[me.pk]), data)
    assert not me.groups.filter(name="security").exists(), "a role that sees passports is never self-granted"


@pytest.mark.xfail(strict=True, reason="issue 14: security can make print-station tokens")
def test_security_cannot_make_a_print_station_token(role_client):
    _token_post(role_client("security"), ["badges:print"], zone=None)
    assert not any("badges:print" in token.scopes for token in DeviceToken.objects.all())


@pytest.mark.xfail(strict=True, reason="issue 14: accreditation can make checkpoint tokens")
def test_accreditation_cannot_make_a_checkpoint_token(role_client):
    _token_post(role_client("accreditation"), ["checkpoint:scan"], zone=SecurityZoneFactory())
    assert not any("checkpoint:scan" in token.scopes for token in DeviceToken.objects.all())


def _token_post(client, scopes, *, zone):
    event = EventFactory(acronym="ASEM13")
    expires = timezone.localtime(timezone.now() + dt.timedelta(days=10))
    client.post(
        reverse("admin:badges_devicetoken_add"),
        {
            "name": "Desk",
            "event": event.pk,
            "scopes": scopes,
            "zone": zone.pk if zone else "",
            "expires_at_0": expires.date().isoformat(),
            "expires_at_1": "09:00:00",
            "_save": "Save",
        },
    )
