"""Device tokens: made once (the secret is shown once and only its hash kept), checked on every request."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save
from badges.models import DeviceToken

PREFIX = "asem"
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)  # a busy station writes its last-used time once a minute, not per call


def token_hash(raw: str) -> str:
    # The secret is 256 random bits: a fast hash is enough (nothing to brute-force), and lookup stays one query.
    return hashlib.sha256(raw.encode()).hexdigest()


# Which permission makes (and revokes) a token with a scope: print stations are accreditation's, checkpoints are
# security's and accreditation's (the accreditation centre hands out every badge device); admin has both.
SCOPE_PERMISSIONS = {
    DeviceToken.Scope.READ: "badges.issue_print_token",
    DeviceToken.Scope.PRINT: "badges.issue_print_token",
    DeviceToken.Scope.CHECKPOINT: "badges.issue_checkpoint_token",
}
KIND_NAMES = {"badges.issue_print_token": "print-station", "badges.issue_checkpoint_token": "checkpoint"}


def token_scopes_allowed(by: Actor) -> list[str]:
    """The scopes `by` may put on a token (and so revoke). System actors (a command, a seed) may use every scope."""
    if not isinstance(by, User):
        return list(DeviceToken.Scope.values)
    return [scope for scope in DeviceToken.Scope.values if by.has_perm(SCOPE_PERMISSIONS[DeviceToken.Scope(scope)])]


def token_errors(
    *, scopes: list[str] | None, zone_id: int | None, expires_at: dt.datetime | None, by: Actor = None
) -> dict[str, str]:
    """What is wrong with a token's scopes, zone and expiry, and whether `by` may issue such a token. Takes values,
    not a token: the admin form checks what was typed before there is a valid token to build (an expiry that
    failed to parse is None)."""
    errors = {}
    unknown = sorted(set(scopes or []) - set(DeviceToken.Scope.values))
    forbidden = sorted(set(scopes or []) - set(unknown) - set(token_scopes_allowed(by)))
    if not scopes:
        errors["scopes"] = _("Choose at least one scope: %(allowed)s.") % {
            "allowed": ", ".join(DeviceToken.Scope.values)
        }
    elif unknown:
        errors["scopes"] = _("Unknown scope(s) %(unknown)s; allowed: %(allowed)s.") % {
            "unknown": ", ".join(unknown),
            "allowed": ", ".join(DeviceToken.Scope.values),
        }
    elif forbidden:
        allowed = token_scopes_allowed(by)
        if allowed:
            errors["scopes"] = _("Your role may not issue %(forbidden)s tokens; you may choose %(allowed)s.") % {
                "forbidden": ", ".join(forbidden),
                "allowed": ", ".join(allowed),
            }
        else:
            errors["scopes"] = _(
                "Your role may not issue %(forbidden)s tokens; ask accreditation or security staff."
            ) % {"forbidden": ", ".join(forbidden)}
    checkpoint = DeviceToken.Scope.CHECKPOINT in (scopes or [])
    if checkpoint and zone_id is None:
        errors["zone"] = _("A checkpoint token (checkpoint:scan) guards one zone: choose the zone of its entrance.")
    elif not checkpoint and zone_id is not None:
        errors["zone"] = _(
            "Only a checkpoint token (checkpoint:scan) has a zone; leave the zone empty or add that scope."
        )
    if expires_at and expires_at <= timezone.now():
        errors["expires_at"] = _("The expiry is in the past; choose a time after now (e.g. the day after the event).")
    return errors


@transaction.atomic
def token_create(
    *, name: str, event, scopes: list[str], expires_at: dt.datetime, by: Actor, zone=None
) -> tuple[DeviceToken, str]:
    """Returns the token and its secret. The secret is not stored: show it to the station's operator now.

    A checkpoint token (checkpoint:scan) is bound to the one zone whose entrance it guards: a scanner cannot be
    told at the gate to check another zone."""
    prefix = secrets.token_hex(4)
    raw = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = DeviceToken(
        name=name, event=event, scopes=sorted(set(scopes)), expires_at=expires_at, prefix=prefix, zone=zone
    )
    token.token_hash = token_hash(raw)
    token.created_by = by if not isinstance(by, str) else None
    errors = token_errors(scopes=token.scopes, zone_id=token.zone_id, expires_at=token.expires_at, by=by)
    if errors:
        raise ValidationError(errors)
    instance_save(instance=token, by=by, action="badges.devicetoken.created")
    return token, raw


def token_revoke(*, token: DeviceToken, by: Actor) -> DeviceToken:
    """Takes effect on the station's next request. Only who may issue a token of its scopes may revoke it."""
    forbidden = sorted(set(token.scopes) - set(token_scopes_allowed(by)))
    if forbidden:
        raise PermissionDenied(
            _("Your role may not revoke %(forbidden)s tokens (%(token)s).")
            % {"forbidden": ", ".join(forbidden), "token": token.name}
        )
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        instance_save(instance=token, by=by, action="badges.devicetoken.revoked", validate=False)
    return token


class TokenRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def token_authenticate(raw: str) -> DeviceToken:
    """The live token for this secret, or TokenRefused saying why (unknown, revoked, expired)."""
    token = DeviceToken.objects.select_related("event", "zone").filter(token_hash=token_hash(raw)).first()
    if token is None:
        raise TokenRefused(
            "token_invalid", _("The device token is not known. Ask the accreditation office for a token.")
        )
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused(
            "token_revoked", _("The device token “%(name)s” was revoked; ask for a new one.") % {"name": token.name}
        )
    if token.expires_at <= now:
        raise TokenRefused(
            "token_expired", _("The device token “%(name)s” expired; ask for a new one.") % {"name": token.name}
        )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
