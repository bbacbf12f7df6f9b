"""Gaps found by trying the system as each role (issue 14, "Found, tried as each role would"), each written as
the attack and what must hold. They failed before their fixes (liaisons only by invitation, no self-granted
privileges, device tokens by role as README's table says)."""

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


def test_security_cannot_make_a_print_station_token(role_client):
    _token_post(role_client("security"), ["badges:print"], zone=None)
    assert not any("badges:print" in token.scopes for token in DeviceToken.objects.all())


def test_checkpoint_tokens_are_made_by_security_and_accreditation_only(role_client):
    # README's table: the accreditation centre hands out every badge device, security guards its own gates.
    _token_post(role_client("accreditation"), ["checkpoint:scan"], zone=SecurityZoneFactory(code="ZA"), name="Gate A")
    _token_post(role_client("security"), ["checkpoint:scan"], zone=SecurityZoneFactory(code="ZB"), name="Gate B")
    _token_post(role_client("protocol"), ["checkpoint:scan"], zone=SecurityZoneFactory(code="ZC"), name="Gate C")
    assert sorted(DeviceToken.objects.values_list("name", flat=True)) == ["Gate A", "Gate B"]


def _token_post(client, scopes, *, zone, name="Desk"):
    event = EventFactory(acronym="ASEM13")
    expires = timezone.localtime(timezone.now() + dt.timedelta(days=10))
    client.post(
        reverse("admin:badges_devicetoken_add"),
        {
            "name": name,
            "event": event.pk,
            "scopes": scopes,
            "zone": zone.pk if zone else "",
            "expires_at_0": expires.date().isoformat(),
            "expires_at_1": "09:00:00",
            "_save": "Save",
        },
    )
