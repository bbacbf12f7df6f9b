"""The language switch (every page's header): English or Khmer, remembered for the user."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from asemplanner.i18n import SESSION_LANGUAGE, set_language_of, supported


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """POST language=<code> (and next=<path>): the interface in that language from the next page on.

    A signed-in user's choice is kept with their account (every device, mails and notices too); a visitor's in
    the language cookie. An unknown code changes nothing and says which codes there are.
    """
    target = request.POST.get("next") or request.headers.get("referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    code = (request.POST.get("language") or "").strip().lower()
    language = supported(code)
    if language is None or language != code:
        allowed = ", ".join(f"{c} ({name})" for c, name in settings.LANGUAGES)
        messages.error(
            request,
            _("Language: %(code)r is not offered; choose one of %(allowed)s.") % {"code": code, "allowed": allowed},
        )
        return HttpResponseRedirect(target)
    if request.user.is_authenticated:
        set_language_of(request.user, language)
        request.session[SESSION_LANGUAGE] = language
    translation.activate(language)
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
