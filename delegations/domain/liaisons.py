"""Liaison officers' accounts: staff invite them by mail, the link lets them set a password, once.

The invitation token is random, shown only in the mail, and stored as a SHA-256 digest, so a copy of the
database lets nobody accept an invitation. A link is good for PLANNER_INVITATION_DAYS and one use; a new
invitation to the same address for the same delegation replaces the old one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save
from asemplanner.domain.notifications import Text, notify_users
from asemplanner.i18n import override_for
from asemplanner.roles import LIAISON
from asemplanner.timeranges import fmt
from delegations.domain.delegations import delegation_set_liaisons
from delegations.models import Delegation, LiaisonInvitation

log = logging.getLogger(__name__)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return settings.PLANNER_BASE_URL.rstrip("/") + reverse("accept_invitation", args=[token])


def invitation_errors(*, delegation: Delegation, email: str) -> dict[str, str]:
    """Why this address cannot be invited to this delegation ({} when it can)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        return {"email": _("“%(email)s” is not an e-mail address; enter one such as name@mfa.gov.") % {"email": email}}
    existing = get_user_model().objects.filter(email__iexact=email).first()
    if existing is not None and existing.is_staff:
        return {
            "email": _("%(email)s belongs to a staff account; liaison officers need an address of their own.")
            % {"email": email}
        }
    if existing is not None and delegation.liaisons.filter(pk=existing.pk).exists():
        return {
            "email": _("%(email)s is already a liaison officer of %(delegation)s.")
            % {"email": email, "delegation": delegation}
        }
    return {}


@transaction.atomic
def liaison_invite(*, delegation: Delegation, email: str, by: Actor, name: str = "") -> tuple[LiaisonInvitation, str]:
    """Make an invitation and mail its link (after commit). Returns the invitation and the token."""
    email = (email or "").strip().lower()
    errors = invitation_errors(delegation=delegation, email=email)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    for old in LiaisonInvitation.objects.filter(
        delegation=delegation, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        old.revoked_at = now
        instance_save(instance=old, by=by, action="delegations.liaisoninvitation.replaced")
    token = secrets.token_urlsafe(32)
    invitation = LiaisonInvitation(
        delegation=delegation,
        email=email,
        name=name.strip(),
        token_hash=token_digest(token),
        invited_by=by if not isinstance(by, str) and by is not None and by.pk else None,
        expires_at=now + dt.timedelta(days=settings.PLANNER_INVITATION_DAYS),
    )
    instance_save(instance=invitation, by=by, action="delegations.liaisoninvitation.sent")
    link = invitation_link(token)
    transaction.on_commit(lambda: _mail_invitation(invitation, link))
    return invitation, token


def _mail_invitation(invitation: LiaisonInvitation, link: str) -> None:
    try:
        # The invitee has no account yet, hence no language of their own: the mail is in the site's (English).
        with translation.override(settings.LANGUAGE_CODE):
            _send_invitation(invitation, link)
    except OSError as exc:  # smtplib's errors are OSErrors: the invitation is saved; tell whoever sent it
        log.warning("could not mail the invitation %s (%s)", invitation.pk, exc.__class__.__name__)
        if invitation.invited_by_id:
            with override_for(invitation.invited_by):
                notify_users(
                    users=[invitation.invited_by],
                    topic=f"invitation:{invitation.pk}:mail_failed",
                    title=(_("The invitation to %(email)s could not be mailed") % {"email": invitation.email})[:200],
                    body=_(
                        "The mail server refused or did not answer (%(error)s). The invitation is saved; select it "
                        "under Liaison invitations and use “Send again”."
                    )
                    % {"error": exc.__class__.__name__},
                    mail=False,
                )


def _send_invitation(invitation: LiaisonInvitation, link: str) -> None:
    greeting = _("Dear %(name)s,") % {"name": invitation.name} if invitation.name else _("Dear colleague,")
    body = _(
        "The organising committee invites you to keep the data of %(delegation)s current in the ASEM summit "
        "planner: members, photos, passports, travel, hotels and bilateral meetings."
    ) % {"delegation": invitation.delegation}
    open_link = _("Open this link to choose your password (it works once, until %(expires)s):") % {
        "expires": fmt(invitation.expires_at)
    }
    send_mail(
        _("Your liaison officer account for %(delegation)s") % {"delegation": invitation.delegation},
        f"{greeting}\n\n{body}\n\n{open_link}\n{link}\n\n" + _("If you did not expect this message, ignore it."),
        None,
        [invitation.email],
    )


def invitation_for_token(token: str) -> LiaisonInvitation | None:
    """The invitation this link is for, whatever its state (the page says why an old one no longer works)."""
    if not token or len(token) > 100:
        return None
    return (
        LiaisonInvitation.objects.filter(token_hash=token_digest(token))
        .select_related("delegation__partner", "delegation__event")
        .first()
    )


def _usable(invitation: LiaisonInvitation) -> None:
    status = invitation.status
    if status == "accepted":
        raise ValidationError(_("This invitation has already been used. Sign in with the password you chose."))
    if status == "revoked":
        raise ValidationError(_("This invitation was withdrawn or replaced by a newer one. Use the newest mail."))
    if status == "expired":
        raise ValidationError(
            _("This invitation expired on %(expires)s. Ask the organising committee for a new one.")
            % {"expires": fmt(invitation.expires_at)}
        )


def invitation_has_account(invitation: LiaisonInvitation) -> bool:
    """Someone already signs in with the invited address, as username or as e-mail address: accepting while
    signed out would make a second account for the same person."""
    email = invitation.email
    return get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists()


@transaction.atomic
def invitation_accept(
    *, invitation: LiaisonInvitation, user=None, password: str = "", first_name: str = "", last_name: str = ""
):
    """Accept the invitation: as the signed-in `user` (who is then liaison of one more delegation), or by
    making an account whose username is the invited address. Returns the user."""
    invitation = LiaisonInvitation.objects.select_for_update().get(pk=invitation.pk)  # two clicks, one account
    _usable(invitation)
    User = get_user_model()
    if user is None or not user.is_authenticated:
        if invitation_has_account(invitation):
            raise ValidationError(
                _("%(email)s already has an account: sign in first, then open the link again to accept.")
                % {"email": invitation.email}
            )
        user = User(username=invitation.email, email=invitation.email, first_name=first_name, last_name=last_name)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password1": exc.messages}) from None
        user.set_password(password)
        instance_save(instance=user, by=invitation.email, action="auth.user.created_by_invitation")
        user.groups.add(Group.objects.get_or_create(name=LIAISON)[0])
    elif user.is_staff:
        raise ValidationError(_("Staff accounts cannot be liaison officers. Sign out and accept with a new account."))
    elif (user.email or "").strip().lower() != invitation.email:
        # A forwarded link, or a shared computer: the invitation is for one address, not whoever holds it.
        raise ValidationError(
            _(
                "This invitation is for %(email)s, but you are signed in as %(user)s. Sign out, then open the link "
                "again."
            )
            % {"email": invitation.email, "user": user.get_username()}
        )
    delegation = invitation.delegation
    delegation_set_liaisons(delegation=delegation, liaisons=[*delegation.liaisons.all(), user], by=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    instance_save(instance=invitation, by=user, action="delegations.liaisoninvitation.accepted")
    return user


def invitation_revoke(*, invitation: LiaisonInvitation, by: Actor) -> LiaisonInvitation:
    if invitation.status != "pending":
        raise ValidationError(
            _("Only a pending invitation can be withdrawn; this one is %(status)s.") % {"status": invitation.status}
        )
    invitation.revoked_at = timezone.now()
    instance_save(instance=invitation, by=by, action="delegations.liaisoninvitation.revoked")
    return invitation


def liaison_withdraw(*, delegation: Delegation, user, by: Actor) -> Delegation:
    """`user` stops being a liaison officer of `delegation` (their account stays, with its other delegations).

    Liaisons are granted only by accepting an invitation and taken away only here: the admin's delegation form
    shows them but cannot change them."""
    if not delegation.liaisons.filter(pk=user.pk).exists():
        raise ValidationError(
            _("%(user)s is not a liaison officer of %(delegation)s.")
            % {"user": user.get_username(), "delegation": delegation}
        )
    delegation_set_liaisons(
        delegation=delegation,
        liaisons=delegation.liaisons.exclude(pk=user.pk),
        by=by,
        action="delegations.delegation.liaison_withdrawn",
    )
    return delegation


def liaisons_notify(delegation_id: int, *, topic: str, title: Text, body: Text, page: str) -> None:
    """A notice (inbox and mail) to the liaisons of a delegation once the change has committed, linking to the
    portal page named `page` of that delegation. `title` and `body` are texts, or functions that make them: a
    function is called once per language of the liaisons, inside it, so each reads the notice in their own."""

    def send() -> None:
        notify_users(
            users=list(Delegation.objects.get(pk=delegation_id).liaisons.all()),
            topic=topic,
            title=(lambda: str(title())[:200]) if callable(title) else title[:200],
            body=body,
            link=settings.PLANNER_BASE_URL.rstrip("/") + reverse(page, args=[delegation_id]),
            mail=True,
        )

    transaction.on_commit(send)
