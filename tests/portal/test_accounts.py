"""Liaison accounts in the browser: the invitation page, the admin that sends it, password reset and change."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from delegations.domain.liaisons import invitation_revoke, liaison_invite
from delegations.models import LiaisonInvitation
from tests.signin import sign_in


@pytest.fixture
def invited(summit):
    invitation, token = liaison_invite(delegation=summit.france, email="new@diplomatie.example", by="test")
    return invitation, reverse("accept_invitation", args=[token])


def test_accepting_an_invitation_signs_in_on_the_delegation(client, invited, summit):
    invitation, url = invited
    page = client.get(url).content.decode()
    assert "new@diplomatie.example" in page and "France" in page
    response = client.post(
        url, {"first_name": "Nina", "last_name": "Noir", "password1": "mekong-2020-x", "password2": "mekong-2020-x"}
    )
    assert response["Location"] == reverse("portal:dashboard", args=[summit.france.pk])
    user = get_user_model().objects.get(username="new@diplomatie.example")
    assert client.get(response["Location"]).context["user"] == user
    again = client.get(url)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        pytest.param({"password2": "something-else"}, "password2", "The two passwords differ", id="mismatch"),
        pytest.param({"password1": "short", "password2": "short"}, "password1", "too short", id="weak"),
        pytest.param({"first_name": ""}, "first_name", "required", id="no_name"),
    ],
)
def test_bad_account_details_are_refused_on_their_field(client, invited, data, field, expected):
    _invitation, url = invited
    payload = {"first_name": "Nina", "last_name": "Noir", "password1": "mekong-2020-x", "password2": "mekong-2020-x"}
    response = client.post(url, payload | data)
    assert response.status_code == 200
    assert any(expected in m for m in response.context["form"].errors[field])
    assert not get_user_model().objects.filter(username="new@diplomatie.example").exists()


def test_a_withdrawn_invitation_says_so(client, invited):
    invitation, url = invited
    invitation_revoke(invitation=invitation, by="test")
    response = client.get(url)
    assert response.status_code == 410
    assert "withdrawn or replaced" in response.content.decode()


def test_an_unknown_link_is_404_with_advice(client, db):
    response = client.get(reverse("accept_invitation", args=["made-up-token"]))
    assert response.status_code == 404
    assert "does not work" in response.content.decode()


def test_a_signed_in_liaison_accepts_another_delegation(client, summit):
    summit.liaison_a.email = "lia@diplomatie.example"
    summit.liaison_a.save()
    _invitation, token = liaison_invite(delegation=summit.italy, email="lia@diplomatie.example", by="test")
    sign_in(client, summit.liaison_a)
    response = client.post(reverse("accept_invitation", args=[token]))
    assert response.status_code == 302
    assert summit.italy.liaisons.filter(pk=summit.liaison_a.pk).exists()


def test_staff_invite_from_the_admin_and_the_mail_holds_a_working_link(
    role_client, client, summit, django_capture_on_commit_callbacks
):
    staff = role_client("protocol")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:delegations_liaisoninvitation_add"),
            {"delegation": summit.germany.pk, "email": "Hans@AA.example", "name": "Herr Hans"},
        )
    assert response.status_code == 302
    invitation = LiaisonInvitation.objects.get()
    assert (invitation.email, invitation.invited_by) == ("hans@aa.example", staff.user)
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", message.body).group(0)
    path = "/" + link.split("/", 3)[3]
    client.logout()
    assert "Herr Hans" not in client.get(path).content.decode()  # the name is for the mail only
    assert client.get(path).status_code == 200


def test_the_admin_refuses_a_staff_address_on_the_field(role_client, summit):
    staff = role_client("admin")
    response = staff.post(
        reverse("admin:delegations_liaisoninvitation_add"), {"delegation": summit.germany.pk, "email": staff.user.email}
    )
    assert response.status_code == 200
    assert "belongs to a staff account" in str(response.context["adminform"].form.errors["email"])
    assert not LiaisonInvitation.objects.exists()


def test_invitations_are_not_editable_but_can_be_withdrawn(role_client, summit):
    staff = role_client("protocol")
    invitation, _ = liaison_invite(delegation=summit.germany, email="hans@aa.example", by="test")
    change = staff.get(reverse("admin:delegations_liaisoninvitation_change", args=[invitation.pk]))
    assert change.status_code == 200 and not change.context["has_change_permission"]
    staff.post(
        reverse("admin:delegations_liaisoninvitation_changelist"),
        {"action": "revoke", "_selected_action": [invitation.pk]},
    )
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


def test_password_reset_by_mail(client, summit):
    summit.liaison_a.email = "lia@diplomatie.example"
    summit.liaison_a.save()
    response = client.post(reverse("password_reset"), {"email": "lia@diplomatie.example"})
    assert response["Location"] == reverse("password_reset_done")
    (message,) = mail.outbox
    assert message.subject == "Your new password for the ASEM summit planner"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "angkor-wat-12", "new_password2": "angkor-wat-12"}
    )
    assert done["Location"] == reverse("password_reset_complete")
    summit.liaison_a.refresh_from_db()
    assert summit.liaison_a.check_password("angkor-wat-12")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert not mail.outbox


def test_sign_out_is_a_post(liaison_a):
    assert liaison_a.get(reverse("logout")).status_code == 405
    assert liaison_a.post(reverse("logout"))["Location"] == reverse("login")


def test_password_change_in_the_portal_look(liaison_a, summit):
    page = liaison_a.get(reverse("password_change"))
    assert page.templates[0].name == "accounts/password_change_form.html"
    response = liaison_a.post(
        reverse("password_change"),
        {"old_password": "correct-horse-battery", "new_password1": "bokor-hill-77", "new_password2": "bokor-hill-77"},
    )
    assert response["Location"] == reverse("password_change_done")
    summit.liaison_a.refresh_from_db()
    assert summit.liaison_a.check_password("bokor-hill-77")


def test_the_admin_keeps_its_own_password_change_page(role_client):
    page = role_client("admin").get(reverse("admin:password_change"))
    assert page.templates[0].name == "registration/password_change_form.html"
    assert "admin/base.html" in [t.name for t in page.templates]


def test_liaisons_sign_in_with_their_address_in_any_case(client, invited):
    invitation, url = invited
    client.post(url, {"first_name": "N", "last_name": "N", "password1": "mekong-2020-x", "password2": "mekong-2020-x"})
    client.logout()
    response = client.post(reverse("login"), {"username": " New@Diplomatie.EXAMPLE", "password": "mekong-2020-x"})
    assert response.status_code == 302
    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    assert user.username == "new@diplomatie.example"


@pytest.mark.parametrize(
    "username",
    [
        pytest.param("new@diplomatie.example", id="username_is_the_address"),
        pytest.param("nina-noir", id="address_on_another_username"),
    ],
)
def test_an_invitation_to_an_existing_account_asks_to_sign_in_first(client, invited, summit, username):
    from tests.factories import UserFactory

    existing = UserFactory(username=username, email="New@Diplomatie.example", roles=["liaison"])
    invitation, url = invited
    page = client.get(url)
    html = page.content.decode()
    assert page.context["form"] is None
    assert "already has an account" in html
    assert f"{reverse('login')}?next={url}" in html
    response = client.post(
        url, {"first_name": "Nina", "last_name": "Noir", "password1": "mekong-2020-x", "password2": "mekong-2020-x"}
    )
    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
    assert get_user_model().objects.filter(email__iexact="new@diplomatie.example").count() == 1
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    # Signed in, the same person accepts with the account they have.
    sign_in(client, existing)
    accepted = client.post(url)
    assert accepted["Location"] == reverse("portal:dashboard", args=[summit.france.pk])
    assert summit.france.liaisons.filter(pk=existing.pk).exists()
    assert get_user_model().objects.filter(email__iexact="new@diplomatie.example").count() == 1
