"""Privileged access (passport data, managing users, superuser) is never self-granted, and every grant to
someone else is audited and told to every other admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied

from asemplanner.domain.privileges import privileges_granted, privileges_of
from asemplanner.models import AuditEntry, Notification
from asemplanner.roles import roles_sync
from tests.factories import UserFactory
from tests.signin import sign_in


@pytest.fixture(autouse=True)
def roles(db):
    roles_sync(Group, Permission)


def user_form(user: User, **overrides) -> dict:
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
        "is_active": "on", "is_staff": "on" if user.is_staff else "",
        "groups": [group.pk for group in user.groups.all()], "user_permissions": [],
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01", "date_joined_1": "08:00",
    }  # fmt: skip
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def test_an_admin_cannot_grant_itself_the_security_role_or_superuser(client):
    me = UserFactory(username="chief", roles=["admin"])
    sign_in(client, me)
    url = f"/admin/auth/user/{me.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert not {"groups", "user_permissions", "is_superuser", "is_staff"} & set(form.fields)
    security = Group.objects.get(name="security")
    sensitive = Permission.objects.get(codename="view_sensitive_person")
    response = client.post(
        url, user_form(me, groups=[security.pk], user_permissions=[sensitive.pk], is_superuser="on", first_name="C")
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.first_name == "C"  # the rest of the form was saved
    assert (me.is_superuser, sorted(me.groups.values_list("name", flat=True))) == (False, ["admin"])
    assert not me.user_permissions.exists()
    assert not me.has_perm("delegations.view_sensitive_person")


def test_the_domain_refuses_a_self_grant(db):
    me = UserFactory(username="chief", roles=["admin"])
    before = privileges_of(me)
    me.groups.add(Group.objects.get(name="security"))
    with pytest.raises(PermissionDenied, match="cannot grant yourself role security"):
        privileges_granted(user=me, before=before, by=me)


def test_granting_the_security_role_to_another_tells_every_other_admin(client):
    chief = UserFactory(username="chief", roles=["admin"])
    UserFactory(username="deputy", roles=["admin"])
    UserFactory(username="root", is_superuser=True, is_staff=True)
    guard = UserFactory(username="guard", roles=["logistics"])
    sign_in(client, chief)
    security = Group.objects.get(name="security")
    logistics = Group.objects.get(name="logistics")
    response = client.post(f"/admin/auth/user/{guard.pk}/change/", user_form(guard, groups=[security.pk, logistics.pk]))
    assert response.status_code == 302
    assert guard.has_perm("delegations.view_sensitive_person")
    told = Notification.objects.filter(title__contains="chief granted guard: role security")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["deputy", "root"]
    entry = AuditEntry.objects.get(action="auth.user.privilege_granted")
    assert entry.actor_name == "chief" and entry.object_id == str(guard.pk)
    assert entry.changes["privileges"] == [[], ["role security"]]
    # A change that grants nothing new tells nobody again.
    client.post(f"/admin/auth/user/{guard.pk}/change/", user_form(guard, first_name="G"))
    assert Notification.objects.count() == 2


def test_only_a_superuser_makes_a_superuser(client):
    chief = UserFactory(username="chief", roles=["admin"])
    other = UserFactory(username="other", roles=["logistics"])
    sign_in(client, chief)
    assert "is_superuser" not in client.get(f"/admin/auth/user/{other.pk}/change/").context["adminform"].form.fields
    client.post(f"/admin/auth/user/{other.pk}/change/", user_form(other, is_superuser="on"))
    other.refresh_from_db()
    assert other.is_superuser is False


def test_a_grant_with_no_other_admin_says_nobody_was_told(client):
    chief = UserFactory(username="chief", roles=["admin"])
    guard = UserFactory(username="guard", roles=["logistics"])
    sign_in(client, chief)
    security = Group.objects.get(name="security")
    response = client.post(f"/admin/auth/user/{guard.pk}/change/", user_form(guard, groups=[security.pk]), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("there is no other admin to tell" in m for m in messages), messages
    assert not Notification.objects.exists()
