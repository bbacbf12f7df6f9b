"""Second factor pages (enrol, verify), the account's sign-in security page and the lockout page.

Staff reach them from the admin (the middleware sends them here before any admin page), liaisons from the
portal's header. The QR code is drawn here, as inline SVG by segno: nothing is fetched from elsewhere.
"""

from __future__ import annotations

import base64
import io

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from asemplanner.domain.signin import (
    attempt_allowed,
    attempt_failed,
    lockout_until,
    second_factor_check,
    second_factor_enrolled,
    second_factor_verified,
    session_needs_second_factor,
    totp_enrolment_confirm,
    totp_enrolment_start,
    user_sessions_end,
)
from asemplanner.i18n import local_digits
from portal.common import attach_errors


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "autofocus": True}),
        help_text=gettext_lazy(
            "The 6 digits your authenticator app shows for ASEM13 Planner, or one of your recovery codes."
        ),
    )


def _user(request: HttpRequest) -> User:
    """The signed-in user of a @login_required view, as the project's User (django-otp adds is_verified)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("Sign in first.")
    return request.user


def _verified(user: User) -> bool:
    return bool(getattr(user, "is_verified", lambda: False)())


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("admin:index") if request.user.is_staff else reverse("home")


def _qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, xmldecl=False, svgns=True, title=_("Enrolment QR code"))
    return out.getvalue().decode()


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None):
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): a page, status 429, saying until when."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    until = lockout_until(request, username=username)
    if request.path.startswith("/api/"):
        seconds = max(1, int((until - timezone.now()).total_seconds())) if until else 60
        response = JsonResponse(
            {
                "error": {
                    "code": "locked_out",
                    "message": _("Too many failed attempts from this address."),
                    "fields": {},
                }
            },
            status=429,
        )
        response["Retry-After"] = str(seconds)
        return response
    return render(
        request,
        "registration/locked_out.html",
        {"until": timezone.localtime(until) if until else None},
        status=429,
    )


@sensitive_post_parameters("token")
@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def second_factor_enrol(request: HttpRequest):
    user = _user(request)
    if second_factor_enrolled(user):
        messages.info(request, _("This account has an authenticator app already."))
        return redirect("second_factor_verify" if not _verified(user) else "account_security")
    device = totp_enrolment_start(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_enrolment_confirm(user=user, device=device, token=form.cleaned_data["token"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            device.refresh_from_db()
            second_factor_verified(session=request.session, device=device)
            # Shown once, on this response: they are not stored anywhere readable.
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)})
    return render(
        request,
        "accounts/second_factor_enrol.html",
        {
            "form": form,
            "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 — segno's SVG from our own URI
            "secret": _base32(device),
            "next": request.GET.get("next", ""),
            "required": request.user.is_staff,
        },
    )


def _base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode()


@sensitive_post_parameters("token")
@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def second_factor_verify(request: HttpRequest):
    user = _user(request)
    if not second_factor_enrolled(user):
        return redirect(f"{reverse('second_factor_enrol')}?next={request.GET.get('next', '')}")
    if _verified(user):
        return redirect(_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST":
        if not attempt_allowed(request, username=user.get_username()):
            request.axes_locked_out = True  # type: ignore[attr-defined]  # AxesMiddleware answers with the page
            return locked_out(request, credentials={"username": user.get_username()})
        if form.is_valid():
            try:
                device = second_factor_check(user=user, token=form.cleaned_data["token"])
            except ValidationError as exc:
                attach_errors(form, exc)
                attempt_failed(request, username=user.get_username(), what="second_factor")
                if getattr(request, "axes_locked_out", False):
                    return locked_out(request, credentials={"username": user.get_username()})
            else:
                second_factor_verified(session=request.session, device=device)
                return redirect(_next(request))
    return render(request, "accounts/second_factor_verify.html", {"form": form, "next": request.GET.get("next", "")})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def account_security(request: HttpRequest):
    return render(
        request,
        "accounts/security.html",
        {
            "enrolled": second_factor_enrolled(request.user),
            "required": session_needs_second_factor(session=request.session, user=request.user),
        },
    )


@login_required
@require_POST
def sign_out_other_sessions(request: HttpRequest):
    user = _user(request)
    ended = user_sessions_end(user=user, by=user, keep=request.session.session_key)
    text = ngettext(
        "Signed out %(n)s other session. This one goes on.",
        "Signed out %(n)s other sessions. This one goes on.",
        ended,
    )
    messages.success(request, text % {"n": local_digits(ended)})
    return redirect("account_security")
