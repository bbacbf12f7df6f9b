"""Sign-in middleware: the session limits (idle, absolute) and the second factor's enforcement."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from asemplanner.domain.signin import SEEN_AT, second_factor_enrolled, session_expiry, session_needs_second_factor
from asemplanner.i18n import SESSION_LANGUAGE, supported

# A request to update the session's 'last seen' stamp at most this often: most requests write no session.
SEEN_RESOLUTION_SECONDS = 60


class SessionLimitsMiddleware:
    """Signs out a session past its idle or absolute limit (asemplanner.domain.signin.session_expiry)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now()
            reason = session_expiry(session=request.session, user=user, now=now)
            if reason:
                logout(request)
                messages.info(request, reason)
            elif now.timestamp() - request.session.get(SEEN_AT, 0) > SEEN_RESOLUTION_SECONDS:
                request.session[SEEN_AT] = now.timestamp()
        return self.get_response(request)


class SecondFactorMiddleware:
    """A signed-in user who must pass the second factor (staff always, a liaison who enrolled) and has not yet
    in this session sees only the enrolment or verification page, sign-out and static files."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        if self._open is None:
            self._open = (
                reverse("second_factor_verify"),
                reverse("second_factor_enrol"),
                reverse("logout"),
                reverse("admin:logout"),
                "/" + settings.STATIC_URL.lstrip("/"),
            )
        return self._open

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and session_needs_second_factor(session=request.session, user=user)
            and not request.path.startswith(self.open_paths())
        ):
            target = "second_factor_verify" if second_factor_enrolled(user) else "second_factor_enrol"
            return redirect(f"{reverse(target)}?next={quote(request.get_full_path())}")
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's chosen language (asemplanner.UserPreference) wins over the browser's Accept-Language.

    LocaleMiddleware has already picked the cookie's or the browser's language; a user with a choice of their
    own gets theirs instead, on every device. The choice is copied into the session at sign-in and by the switch
    (asemplanner.i18n), so this costs no query. Token-authenticated API calls have no user here:
    Accept-Language decides for them, English by default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            chosen = supported(request.session.get(SESSION_LANGUAGE))
            if chosen and chosen != request.LANGUAGE_CODE:
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        return self.get_response(request)
