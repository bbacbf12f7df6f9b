"""Signing in: the second factor (django-otp), the lockout's bookkeeping (django-axes) and a user's sessions.

A second factor is a confirmed TOTP device (an authenticator app) plus a static device holding one-time
recovery codes. Staff must have one; a liaison may enrol one, and then needs it too. Every enrolment, reset
and lockout is in the audit trail, against the user, never with a secret in it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from asemplanner.domain.audit import Actor, audit_log
from asemplanner.models import AuditEntry, UserSession

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# Session keys of the planner's own (the absolute and the idle limit read them).
SIGNED_IN_AT = "planner_signed_in_at"
SEEN_AT = "planner_seen_at"
# Set at sign-in (and at a liaison's enrolment): this session must pass the second factor. Kept in the session
# so a liaison's pages ask the database nothing more than before.
FACTOR_REQUIRED = "planner_second_factor"
CODE_HELP = gettext_lazy(
    "Type the 6 digits your authenticator app shows now for ASEM13 Planner, or one of your recovery codes."
)


# --- Second factor ---------------------------------------------------------------------------------------------


def second_factor_required(user: Any) -> bool:
    """Staff always; anyone else once they enrolled a factor."""
    return bool(user.is_staff) or user_has_device(user, confirmed=True)


def second_factor_enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The device an enrolment confirms: the pending one (the QR code stays the same on a reload), or a new one."""
    if second_factor_enrolled(user):
        raise ValidationError(
            _("This account has an authenticator app already. Ask an admin to reset it to change it.")
        )
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return pending or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def _clean_token(token: str) -> str:
    return "".join(token.split()).lower()


@transaction.atomic
def totp_enrolment_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the app with a code it shows; returns the new recovery codes (shown once, stored as such only in
    the static device, which deletes each when used). A wrong code changes nothing."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError(_("This enrolment is no longer open. Start again from the enrolment page."))
    code = _clean_token(token)
    if not (code.isdigit() and len(code) == device.digits):
        raise ValidationError(
            {
                "token": _("The code must be the %(digits)s digits your app shows; got %(token)s.")
                % {"digits": device.digits, "token": repr(token)}
            }
        )
    if not device.verify_token(code):
        raise ValidationError(
            {
                "token": _(
                    "That code is not the one your app shows now (wrong or expired). Type the 6 digits it shows now."
                )
            }
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = recovery_codes_replace(user=user)
    audit_log(
        action="auth.user.second_factor_enrolled",
        instance=user,
        by=user,
        changes={"second_factor": ["", f"{APP_DEVICE_NAME} and {len(codes)} recovery codes"]},
    )
    return codes


@transaction.atomic
def totp_device_install(*, user: User, key_hex: str, by: Actor) -> bool:
    """Give `user` a confirmed authenticator device with a known key: the demo seed's fixed demo secret, so a
    reviewer can compute codes. Returns False when the user had that device already (nothing written)."""
    if TOTPDevice.objects.filter(user=user, confirmed=True, key=key_hex).exists():
        return False
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=True, key=key_hex)
    audit_log(
        action="auth.user.second_factor_enrolled",
        instance=user,
        by=by,
        changes={"second_factor": ["", f"{APP_DEVICE_NAME} (demo secret)"]},
    )
    return True


def recovery_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < settings.PLANNER_RECOVERY_CODES:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_check(*, user: User, token: str) -> Device:
    """The device that accepts `token` (a TOTP code, once, or a recovery code, which is then used up).
    Raises a ValidationError on the `token` field saying what was wrong; a refused code changes nothing."""
    code = _clean_token(token)
    if not code:
        raise ValidationError({"token": _("Type a code. %(help)s") % {"help": CODE_HELP}})
    if code.isdigit():
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(code):
                return device
        raise ValidationError(
            {
                "token": _(
                    "The code %(code)s is wrong, expired (codes last 30 seconds) or already used. "
                    "Wait for the next code in your app and type it."
                )
                % {"code": code}
            }
        )
    for static in StaticDevice.objects.filter(user=user, confirmed=True):
        if static.verify_token(code):
            return static
    raise ValidationError(
        {
            "token": _(
                "That recovery code is not one of yours or was used already; each works once. "
                "Use another code from your list, or the 6 digits from your app."
            )
        }
    )


@transaction.atomic
def second_factor_reset(*, user: User, by: Actor) -> int:
    """Remove a user's second factor (a lost phone). Staff must enrol again at their next sign-in; their
    sessions end, so a stolen signed-in browser goes too. Returns the number of devices removed."""
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    audit_log(
        action="auth.user.second_factor_reset",
        instance=user,
        by=by,
        changes={"second_factor": [f"{len(devices)} device(s)", ""]},
    )
    user_sessions_end(user=user, by=by)
    return len(devices)


def second_factor_verified(*, session: SessionBase, device: Device) -> None:
    """Mark the session verified by `device` (what django_otp.login stores) under a new session key."""
    session_rotate(session=session)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[FACTOR_REQUIRED] = True


def session_needs_second_factor(*, session: SessionBase, user: Any) -> bool:
    return bool(user.is_staff) or bool(session.get(FACTOR_REQUIRED))


# --- Sessions --------------------------------------------------------------------------------------------------


def session_started(*, session: SessionBase, user: User, now: dt.datetime | None = None) -> None:
    """At sign-in: note when (for the absolute limit) and which session is this user's (for sign-out elsewhere)."""
    stamp = (now or timezone.now()).timestamp()
    session[SIGNED_IN_AT] = stamp
    session[SEEN_AT] = stamp
    session[FACTOR_REQUIRED] = second_factor_required(user)
    if session.session_key is None:
        session.save()
    UserSession.objects.update_or_create(session_key=session.session_key, defaults={"user": user})


def session_rotate(*, session: SessionBase) -> None:
    """A new session key for the same session (after a factor change), with the user's table following."""
    old = session.session_key
    session.cycle_key()
    if old and session.session_key:
        UserSession.objects.filter(session_key=old).update(session_key=session.session_key)


def session_expiry(*, session: SessionBase, user: Any, now: dt.datetime | None = None) -> str:
    """Why this signed-in session must end now ('' if it may go on): the absolute or the idle limit."""
    now_ts = (now or timezone.now()).timestamp()
    signed_in_at = session.get(SIGNED_IN_AT)
    if signed_in_at is None:
        return _("Your session predates the sign-in time limits. Sign in again.")
    if now_ts - signed_in_at > settings.PLANNER_SESSION_MAX_HOURS * 3600:
        return _("Sessions end %(hours)s hours after signing in. Sign in again.") % {
            "hours": settings.PLANNER_SESSION_MAX_HOURS
        }
    idle = settings.PLANNER_STAFF_IDLE_MINUTES if user.is_staff else settings.PLANNER_LIAISON_IDLE_MINUTES
    if now_ts - session.get(SEEN_AT, signed_in_at) > idle * 60:
        return _("You were signed out after %(minutes)s minutes without activity. Sign in again.") % {"minutes": idle}
    return ""


def user_sessions_end(*, user: User, by: Actor, keep: str | None = None) -> int:
    """End every session of `user` (but `keep`, the caller's own): 'sign out other sessions' and an admin's
    'sign out everywhere'. Returns how many ended."""
    engine = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"])
    rows = UserSession.objects.filter(user=user).exclude(session_key=keep or "")
    keys = list(rows.values_list("session_key", flat=True))
    for key in keys:
        engine.SessionStore(session_key=key).delete()
    rows.delete()
    audit_log(
        action="auth.user.sessions_ended",
        instance=user,
        by=by,
        changes={"sessions": [len(keys), 0]} if keys else {},
    )
    return len(keys)


def user_session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


# --- Lockout (django-axes) -------------------------------------------------------------------------------------


def lockout_username(request: Any, credentials: dict[str, Any] | None) -> str:
    """The account an attempt names, as sign-in stores it (liaisons' addresses in lower case), '' for none."""
    username = (credentials or {}).get("username") or ""
    return username.strip().lower() if "@" in username else username.strip()


def lockout_parameters(request: Any, credentials: dict[str, Any] | None) -> list[str]:
    """Per account and, separately, per address; an attempt that names no account (a print-station token, an
    invitation or reset link) counts for its address only — counting it under an empty username would lock
    every such attempt from everywhere."""
    return ["username", "ip_address"] if lockout_username(request, credentials) else ["ip_address"]


def _locked_key(ip_address: str) -> str:
    return f"planner:signin:locked-address:{ip_address}"


def address_locked(request: HttpRequest) -> bool:
    """Whether the request's address is locked out, from the cache alone (no query): for the print-station API,
    whose every request would otherwise pay a lookup. Set by lockout_record, cleared when an admin unlocks."""
    AxesProxyHandler.update_request(request)
    return bool(cache.get(_locked_key(getattr(request, "axes_ip_address", "") or "")))


def address_unlocked(*, ip_address: str) -> None:
    cache.delete(_locked_key(ip_address))


def attempt_allowed(request: HttpRequest, *, username: str = "") -> bool:
    """Not locked out: neither the account named (if any) nor the request's address."""
    return AxesProxyHandler.is_allowed(request, {"username": username} if username else {})


def attempt_failed(request: HttpRequest, *, username: str = "", what: str) -> None:
    """Count a failure that is not a password (a wrong second-factor code, token or link) the way axes counts a
    failed sign-in: through Django's user_login_failed signal, which axes listens to. `what` names it in the log."""
    credentials = {"username": username} if username else {}
    user_login_failed.send(sender=f"asemplanner.signin.{what}", credentials=credentials, request=request)


def lockout_until(request: HttpRequest, *, username: str = "") -> dt.datetime | None:
    """When the lockout that covers this request ends: the last failure counted against it plus the cool-off."""
    cool_off = get_cool_off(request)
    ip_address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "")
    which = Q(ip_address=ip_address) | Q(username=username) if username else Q(ip_address=ip_address)
    last = AccessAttempt.objects.filter(which).aggregate(last=Max("attempt_time"))["last"]
    return last + cool_off if last and cool_off else None


def lockout_record(*, username: str, ip_address: str) -> None:
    """Audit a lockout against the account it names (or, for an address alone, the attempt record); once per
    lockout, not for every attempt refused while it lasts."""
    user = get_user_model().objects.filter(username=username).first() if username else None
    attempt = AccessAttempt.objects.filter(ip_address=ip_address).order_by("-attempt_time").first()
    target = user or attempt
    cool_off = get_cool_off() or dt.timedelta(0)
    if ip_address and cool_off:
        cache.set(_locked_key(ip_address), True, timeout=int(cool_off.total_seconds()))
    if target is None:
        return
    recent = AuditEntry.objects.filter(
        action__endswith=".locked_out",
        object_id=str(target.pk),
        changes__locked_out__1__icontains=ip_address,
        at__gte=timezone.now() - cool_off,
    )
    if recent.exists():
        return
    audit_log(
        action="auth.user.locked_out" if user else "axes.accessattempt.locked_out",
        instance=target,
        by="lockout",
        changes={"locked_out": ["", f"{'account ' + username + ', ' if username else ''}address {ip_address}"]},
    )
