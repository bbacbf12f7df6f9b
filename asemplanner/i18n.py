"""Languages: each user's choice, texts written for someone else in their language, and Khmer digits.

The interface speaks English (the default, and the API's) and Khmer (settings.LANGUAGES). A signed-in user's
choice is kept in `UserPreference` and wins over the browser's Accept-Language; an anonymous visitor's choice
is kept in the language cookie. A text made now for someone else — an inbox notice, a mail, a reminder — is
rendered in the recipient's language with `override_for(user)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format

from asemplanner.models import UserPreference

# The session's copy of the signed-in user's choice (set at sign-in and by the switch; read by the middleware).
SESSION_LANGUAGE = "planner_language"
KHMER_DIGITS = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def supported(code: str | None) -> str | None:
    """The language code we have (`km` for `km-KH`), or None for one we do not speak."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in dict(settings.LANGUAGES) else None


def language_of(user) -> str:
    """The user's chosen language, or the site's default (English) when they chose none."""
    if user is None or not getattr(user, "pk", None):
        return settings.LANGUAGE_CODE
    chosen = UserPreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    return supported(chosen) or settings.LANGUAGE_CODE


def languages_of(user_ids) -> dict[int, str]:
    """Each user's language in one query (for notices sent to many), the default for users without a choice."""
    ids = list(user_ids)
    chosen = dict(UserPreference.objects.filter(user_id__in=ids).values_list("user_id", "language"))
    return {uid: supported(chosen.get(uid)) or settings.LANGUAGE_CODE for uid in ids}


def set_language_of(user, code: str) -> str:
    """Remember the user's choice; the code must be one of settings.LANGUAGES (ValueError otherwise)."""
    language = supported(code)
    if language is None or language != code.strip().lower():
        allowed = ", ".join(c for c, _ in settings.LANGUAGES)
        raise ValueError(f"Unknown language {code!r}; allowed: {allowed}.")
    UserPreference.objects.update_or_create(user=user, defaults={"language": language})
    return language


def remember_in_session(session, user) -> None:
    """At sign-in: the user's choice into the session, so each request knows it without a query."""
    chosen = UserPreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    if supported(chosen):
        session[SESSION_LANGUAGE] = chosen
    else:
        session.pop(SESSION_LANGUAGE, None)


@contextmanager
def override_for(user) -> Iterator[str]:
    """Render texts inside the block in `user`'s language (notices, mails and reminders made for them)."""
    language = language_of(user)
    with translation.override(language):
        yield language


def local_digits(text: object, language: str | None = None) -> str:
    """`text` with Khmer digits (០១២…) when the language is Khmer, unchanged otherwise.

    For what a Khmer reader reads as numbers — dates, times, counts — not for codes, references or anything
    a machine or another office reads back (badge numbers, room codes, passport numbers keep Latin digits).
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    value = str(text)
    return value.translate(KHMER_DIGITS) if supported(language) == "km" else value


def local_date(value: dt.date | dt.datetime, fmt: str = "DATE_FORMAT") -> str:
    """`value` in a Django date format ("d M Y", "H:i", or a format name such as "DATE_FORMAT") with the active
    language's month and day names and digits: "16 Nov 2020" in English, Khmer names and digits on Khmer pages."""
    return local_digits(date_format(value, fmt))
