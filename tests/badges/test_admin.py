"""Accreditation staff make a token in the admin: the secret is shown once, only its hash is kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from asemplanner.models import AuditEntry
from badges.domain.tokens import token_create, token_hash, token_scopes_allowed
from badges.models import DeviceToken
from tests.factories import EventFactory, UserFactory
from tests.signin import sign_in

ADD = "/admin/badges/devicetoken/add/"


@pytest.fixture
def staff(client, db):
    sign_in(client, UserFactory(username="acc", roles=["accreditation"]))
    return client


def form(event, **overrides):
    data = {
        "name": "Sokha desk 1", "event": event.pk, "scopes": ["badges:read", "badges:print"],
        "expires_at_0": (timezone.localdate() + dt.timedelta(days=10)).isoformat(), "expires_at_1": "18:00",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_token_is_shown_once_and_stored_hashed(staff):
    event = EventFactory()
    response = staff.post(ADD, form(event), follow=True)
    message = next(str(m) for m in response.context["messages"])
    raw = message.split(": ", 1)[1].split(" — ", 1)[0]
    token = DeviceToken.objects.get()
    assert raw.startswith(f"asem_{token.prefix}_")
    assert token.token_hash == token_hash(raw)
    assert raw not in str(DeviceToken.objects.values().get())
    assert AuditEntry.objects.filter(action="badges.devicetoken.created").exists()
    trail = str(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert raw not in trail
    assert token.token_hash not in trail
    page = staff.get(f"/admin/badges/devicetoken/{token.pk}/change/").content.decode()
    assert raw not in page


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        pytest.param({"scopes": []}, "scopes", "required", id="no_scope"),
        pytest.param({"scopes": ["badges:admin"]}, "scopes", "Select a valid choice", id="unknown_scope"),
        pytest.param({"expires_at_0": "2020-01-01"}, "expires_at", "in the past", id="expired_already"),
    ],
)
def test_bad_token_form_is_refused(staff, overrides, field, fragment):
    response = staff.post(ADD, form(EventFactory(), **overrides))
    assert response.status_code == 200
    assert fragment in " ".join(response.context["adminform"].form.errors[field])
    assert not DeviceToken.objects.exists()


def test_revoke_action(staff):
    staff.post(ADD, form(EventFactory()))
    token = DeviceToken.objects.get()
    staff.post("/admin/badges/devicetoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="badges.devicetoken.revoked").exists()


def test_other_roles_cannot_make_tokens(client, db):
    sign_in(client, UserFactory(username="mover", roles=["logistics"]))
    assert client.get(ADD).status_code == 403


def test_security_makes_tokens_for_its_checkpoints(client, db):
    sign_in(client, UserFactory(username="guard", roles=["security"]))
    page = client.get(ADD).content.decode()
    assert 'name="zone"' in page and "checkpoint:scan" in page


# --- Who issues which token (README: print stations by accreditation, checkpoints by accreditation and security) --
def test_security_cannot_make_or_revoke_print_station_tokens(client, db):
    event = EventFactory()
    desk, _ = token_create(
        name="Desk 1", event=event, scopes=["badges:read", "badges:print"],
        expires_at=timezone.now() + dt.timedelta(days=3), by="test",
    )  # fmt: skip
    sign_in(client, UserFactory(username="guard", roles=["security"]))
    page = client.get(ADD).content.decode()
    assert 'value="checkpoint:scan"' in page
    assert 'value="badges:read"' not in page and 'value="badges:print"' not in page
    response = client.post(ADD, form(event, name="Sneaky desk"))
    assert response.status_code == 200
    assert "Select a valid choice" in " ".join(response.context["adminform"].form.errors["scopes"])
    client.post("/admin/badges/devicetoken/", {"action": "revoke", "_selected_action": [desk.pk]})
    desk.refresh_from_db()
    assert desk.revoked_at is None
    assert list(DeviceToken.objects.values_list("name", flat=True)) == ["Desk 1"]
    # What security was offered stays with security: accreditation, next, is offered every scope.
    sign_in(client, UserFactory(username="acc", roles=["accreditation"]))
    page = client.get(ADD).content.decode()
    assert all(f'value="{scope}"' in page for scope in ("badges:read", "badges:print", "checkpoint:scan"))


def test_the_domain_refuses_a_scope_the_role_may_not_issue(db):
    guard = UserFactory(username="guard", roles=["security"])
    with pytest.raises(ValidationError) as refused:
        token_create(
            name="Desk", event=EventFactory(), scopes=["badges:print"],
            expires_at=timezone.now() + dt.timedelta(days=1), by=guard,
        )  # fmt: skip
    message = " ".join(refused.value.message_dict["scopes"])
    assert "may not issue badges:print" in message and "checkpoint:scan" in message
    assert not DeviceToken.objects.exists()


@pytest.mark.parametrize(
    ("role", "scopes"),
    [
        ("admin", ["badges:read", "badges:print", "checkpoint:scan"]),
        ("accreditation", ["badges:read", "badges:print", "checkpoint:scan"]),
        ("security", ["checkpoint:scan"]),
        ("protocol", []),
        ("logistics", []),
    ],
)
def test_the_role_table_of_device_tokens(db, role, scopes):
    assert token_scopes_allowed(UserFactory(username=f"u-{role}", roles=[role])) == scopes
