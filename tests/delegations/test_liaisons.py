"""Liaison invitations: a link that works once and expires, stored only as a digest; accepting makes the account."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from asemplanner.models import AuditEntry
from delegations.domain.liaisons import (
    invitation_accept,
    invitation_for_token,
    invitation_revoke,
    liaison_invite,
    liaison_withdraw,
    token_digest,
)
from delegations.models import LiaisonInvitation
from tests.factories import DelegationFactory, UserFactory
from tests.signin import sign_in


@pytest.fixture
def delegation(db):
    return DelegationFactory()


def test_invite_mails_a_link_and_stores_only_a_digest(delegation, django_capture_on_commit_callbacks):
    staff = UserFactory(username="boss", roles=["protocol"])
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = liaison_invite(
            delegation=delegation, email=" Claire@MFA.example ", name="Ms Claire", by=staff
        )
    assert invitation.email == "claire@mfa.example"
    assert invitation.token_hash == token_digest(token) != token
    assert not LiaisonInvitation.objects.filter(token_hash=token).exists()
    (message,) = mail.outbox
    assert message.to == ["claire@mfa.example"]
    assert f"/accounts/invitation/{token}/" in message.body
    assert "Dear Ms Claire" in message.body
    entry = AuditEntry.objects.get(action="delegations.liaisoninvitation.sent")
    assert entry.actor == staff
    assert token not in str(entry.changes) and invitation.token_hash not in str(entry.changes)


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        pytest.param("not-an-address", "is not an e-mail address", id="malformed"),
        pytest.param("staff@example.org", "belongs to a staff account", id="staff"),
        pytest.param("already@example.org", "is already a liaison officer", id="already_liaison"),
    ],
)
def test_invite_refuses_bad_addresses(delegation, email, expected):
    UserFactory(username="staff", email="staff@example.org", roles=["admin"])
    delegation.liaisons.add(UserFactory(username="already", email="already@example.org"))
    with pytest.raises(ValidationError) as exc:
        liaison_invite(delegation=delegation, email=email, by="test")
    assert expected in exc.value.message_dict["email"][0]
    assert not LiaisonInvitation.objects.exists()


def test_a_new_invitation_replaces_the_pending_one(delegation):
    first, first_token = liaison_invite(delegation=delegation, email="a@mfa.example", by="test")
    second, _ = liaison_invite(delegation=delegation, email="a@mfa.example", by="test")
    first.refresh_from_db()
    assert first.status == "revoked"
    assert second.status == "pending"
    with pytest.raises(ValidationError, match="withdrawn or replaced"):
        invitation_accept(invitation=invitation_for_token(first_token), password="a-long-enough-pass")


def test_accepting_makes_a_liaison_account_once(delegation):
    invitation, token = liaison_invite(delegation=delegation, email="a@mfa.example", by="test")
    user = invitation_accept(
        invitation=invitation_for_token(token), password="tonle-sap-2020", first_name="Ana", last_name="Lima"
    )
    assert user.username == user.email == "a@mfa.example"
    assert user.check_password("tonle-sap-2020")
    assert not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["liaison"]
    assert list(delegation.liaisons.all()) == [user]
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == ("accepted", user)
    with pytest.raises(ValidationError, match="already been used"):
        invitation_accept(invitation=invitation, password="tonle-sap-2020")
    assert get_user_model().objects.filter(username="a@mfa.example").count() == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"auth.user.created_by_invitation", "delegations.liaisoninvitation.accepted"} <= actions


def test_a_weak_password_is_refused_and_nothing_is_made(delegation):
    invitation, _ = liaison_invite(delegation=delegation, email="a@mfa.example", by="test")
    with pytest.raises(ValidationError) as exc:
        invitation_accept(invitation=invitation, password="12345")
    assert exc.value.message_dict["password1"]
    assert not get_user_model().objects.filter(username="a@mfa.example").exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_an_expired_invitation_is_refused(delegation, settings):
    settings.PLANNER_INVITATION_DAYS = 7
    invitation, _ = liaison_invite(delegation=delegation, email="a@mfa.example", by="test")
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, seconds=1)):
        assert invitation.status == "expired"
        with pytest.raises(ValidationError, match="expired"):
            invitation_accept(invitation=invitation, password="tonle-sap-2020")


def test_a_signed_in_liaison_accepts_a_second_delegation(delegation):
    liaison = UserFactory(username="lia", email="lia@mfa.example", roles=["liaison"])
    other = DelegationFactory(event=delegation.event)
    other.liaisons.add(liaison)
    invitation, _ = liaison_invite(delegation=delegation, email="lia@mfa.example", by="test")
    assert invitation_accept(invitation=invitation, user=liaison) == liaison
    assert set(liaison.liaison_delegations.all()) == {delegation, other}


def test_an_existing_account_must_sign_in_to_accept(delegation):
    UserFactory(username="a@mfa.example", email="a@mfa.example", roles=["liaison"])
    invitation, _ = liaison_invite(delegation=delegation, email="a@mfa.example", by="test")
    with pytest.raises(ValidationError, match="sign in first"):
        invitation_accept(invitation=invitation, password="tonle-sap-2020")


def test_revoked_invitation_cannot_be_accepted(delegation):
    invitation, _ = liaison_invite(delegation=delegation, email="a@mfa.example", by="test")
    invitation_revoke(invitation=invitation, by="test")
    with pytest.raises(ValidationError, match="withdrawn"):
        invitation_accept(invitation=invitation, password="tonle-sap-2020")
    with pytest.raises(ValidationError, match="Only a pending invitation"):
        invitation_revoke(invitation=invitation, by="test")


@pytest.mark.parametrize("token", ["", "x" * 500, "does-not-exist"], ids=["empty", "huge", "unknown"])
def test_unknown_tokens_find_nothing(delegation, token):
    liaison_invite(delegation=delegation, email="a@mfa.example", by="test")
    assert invitation_for_token(token) is None


def test_a_signed_in_user_cannot_take_someone_elses_invitation(delegation):
    other = UserFactory(username="colleague", email="colleague@mfa.example", roles=["liaison"])
    invitation, _ = liaison_invite(delegation=delegation, email="a@mfa.example", by="test")
    with pytest.raises(ValidationError, match="This invitation is for a@mfa.example"):
        invitation_accept(invitation=invitation, user=other)
    assert not delegation.liaisons.exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_a_mail_failure_keeps_the_invitation_and_tells_who_sent_it(
    delegation, settings, django_capture_on_commit_callbacks
):
    from asemplanner.models import Notification
    from tests.reminders.mailbackends import FlakyBackend

    settings.EMAIL_BACKEND = "tests.reminders.mailbackends.FlakyBackend"
    FlakyBackend.failures = 1
    staff = UserFactory(username="boss", roles=["protocol"])
    with django_capture_on_commit_callbacks(execute=True):
        invitation, _ = liaison_invite(delegation=delegation, email="a@mfa.example", by=staff)
    assert LiaisonInvitation.objects.filter(pk=invitation.pk).exists()
    notice = Notification.objects.get(recipient=staff)
    assert notice.title == "The invitation to a@mfa.example could not be mailed"
    assert "Send again" in notice.body


# --- Liaisons come only through an invitation; the roles that invite may withdraw one (audited) ------------------
def _change_form_data(delegation, **overrides):
    data = {
        "partner": delegation.partner_id, "event": delegation.event_id, "status": delegation.status,
        "quota": delegation.quota, "head": "", "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0",
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["accreditation", "protocol", "admin"])
def test_the_delegation_form_cannot_make_anyone_a_liaison(client, delegation, role):
    outsider = UserFactory(username="outsider")
    sign_in(client, UserFactory(username=f"staff-{role}", roles=[role]))
    url = f"/admin/delegations/delegation/{delegation.pk}/change/"
    page = client.get(url)
    assert "liaisons" not in page.context["adminform"].form.fields
    quota = delegation.quota + 1
    response = client.post(url, _change_form_data(delegation, liaisons=[outsider.pk], quota=quota))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    delegation.refresh_from_db()
    assert (
        delegation.quota == DelegationFactory._meta.model.objects.get(pk=delegation.pk).quota
    )  # the save went through
    assert list(delegation.liaisons.all()) == []


def test_protocol_withdraws_a_liaison_after_confirming(client, delegation):
    liaison = UserFactory(username="li@example.org")
    delegation.liaisons.add(liaison)
    sign_in(client, UserFactory(username="proto", roles=["protocol"]))
    page = client.get(f"/admin/delegations/delegation/{delegation.pk}/change/").content.decode()
    url = f"/admin/delegations/delegation/{delegation.pk}/liaisons/{liaison.pk}/withdraw/"
    assert url in page
    confirm = client.get(url)
    assert "li@example.org" in confirm.content.decode() and list(delegation.liaisons.all()) == [liaison]
    response = client.post(url)
    assert response.status_code == 302
    assert list(delegation.liaisons.all()) == []
    entry = AuditEntry.objects.get(action="delegations.delegation.liaison_withdrawn")
    assert entry.actor_name == "proto" and entry.object_id == str(delegation.pk)
    assert client.post(url).status_code == 404  # not a liaison any more


def test_roles_that_do_not_invite_cannot_withdraw(client, delegation):
    liaison = UserFactory(username="li@example.org")
    delegation.liaisons.add(liaison)
    sign_in(client, UserFactory(username="acc", roles=["accreditation"]))
    page = client.get(f"/admin/delegations/delegation/{delegation.pk}/change/").content.decode()
    assert "li@example.org" in page and "/withdraw/" not in page
    assert (
        client.post(f"/admin/delegations/delegation/{delegation.pk}/liaisons/{liaison.pk}/withdraw/").status_code == 403
    )
    assert list(delegation.liaisons.all()) == [liaison]


def test_withdrawing_someone_who_is_not_a_liaison_is_refused(delegation):
    with pytest.raises(ValidationError, match="is not a liaison officer"):
        liaison_withdraw(delegation=delegation, user=UserFactory(username="nobody"), by="test")
