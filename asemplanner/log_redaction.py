"""A logging filter that takes secrets and passport-shaped values out of every log line before it is written.

The planner does not log them in the first place (its own messages name objects by id); this filter is the
safety net for what others log: Django's request and server loggers print request paths, which hold
invitation and password-reset tokens; a database error names the row's values; a library may print a header
or a cookie. It is attached to the handlers in settings.LOGGING, so it covers every logger that reaches them,
and it rewrites the record in place (message, arguments and the traceback, which replaces the exception
object), so a handler that runs after it sees the redacted text too. On the loggers that print request paths
(django.request, django.server, django.security.csrf) and template contexts (django.template) it is attached to
the logger itself, so that every handler, an operator's error tracker included, gets the record redacted.

What it cannot know by shape (a date of birth looks like any other date) must simply never be logged.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable

REDACTED = "[redacted]"

# Already redacted (a device token keeps its prefix): the patterns after it leave that alone.
_DONE = r"\[redacted\]|asem_[0-9a-f]{8}_\[redacted\]"

_Sub = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]

# Each pattern with what replaces it. Order matters only where two could match the same text: the device token's
# own shape comes before the generic bearer header so that its non-secret prefix (shown in the admin) stays.
_PATTERNS: list[_Sub] = [
    # Device tokens (badges/domain/tokens.py): asem_<prefix>_<secret>. The prefix identifies the token, the rest
    # is the secret.
    (re.compile(r"\basem_([0-9a-f]{8})_[A-Za-z0-9_\-]{16,}"), rf"asem_\1_{REDACTED}"),
    # Bearer tokens anywhere, and an Authorization header's credentials whatever its scheme.
    (re.compile(rf"(?i)\b(bearer\s+)(?!{_DONE})[A-Za-z0-9._~+/=\-]{{8,}}"), rf"\1{REDACTED}"),
    (
        re.compile(rf"(?i)(authorization['\"]?\s*[:=]\s*['\"]?\s*[A-Za-z]+\s+)(?!{_DONE})[^\s'\",;]+"),
        rf"\1{REDACTED}",
    ),
    # Invitation links: /accounts/invitation/<token>/.
    (re.compile(r"(/invitation/)[^/\s?#'\"]+"), rf"\1{REDACTED}"),
    # Password reset links: /accounts/reset/<uidb64>/<token>/.
    (re.compile(r"(/reset/)[^/\s?#'\"]+/[^/\s?#'\"]+"), rf"\1{REDACTED}/{REDACTED}"),
    # A template variable that failed to resolve (django.template at DEBUG) comes with the whole template context:
    # the request, the CSRF token, forms and what they hold. Keep the key, drop the context.
    (re.compile(r"(?s)(Failed lookup for key \[[^\]]*\] in ).*?(?=\n\n|\Z)"), rf"\1{REDACTED} (template context)"),
    # A PostgreSQL constraint error names the row's values: DETAIL: Key (passport_number)=(X1234567) ...
    (re.compile(r"(Key \([^)]*\)=\()[^)]*(\))"), rf"\1{REDACTED}\2"),
    # Passport numbers by shape: letters then digits (DEMO00001, FR0000001, N01234567) and the French 12AB34567.
    # Badge numbers (ASEM13-000123) and flight numbers (PG931) do not match.
    (re.compile(r"\b(?:[A-Z]{1,4}\d{5,9}|\d{2}[A-Z]{2}\d{5})\b"), REDACTED),
]

# Cookie and form values by name: name=value (a Cookie header, a query string) and 'name': 'value' (a dict's repr).
_SECRET_NAMES = ("sessionid", "csrftoken", "csrfmiddlewaretoken", "password", "passport_number", "date_of_birth")


def _named(names: tuple[str, ...]) -> list[_Sub]:
    alternatives = "|".join(re.escape(name) for name in names)
    return [
        (re.compile(rf"(?i)\b({alternatives})=[^;&\s'\",]+"), rf"\1={REDACTED}"),
        (
            re.compile(rf"(?i)(['\"]({alternatives})['\"]\s*:\s*)(\[?)['\"][^'\"]*['\"]"),
            rf"\1\3'{REDACTED}'",
        ),
    ]


def redact(text: str, *, names: tuple[str, ...] = ()) -> str:
    """`text` with every secret and passport-shaped value replaced by [redacted]."""
    for pattern, replacement in [*_PATTERNS, *_named(_SECRET_NAMES + names)]:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message and traceback through `redact`; never drops a record."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._names: tuple[str, ...] | None = None

    def _cookie_names(self) -> tuple[str, ...]:
        # The session and CSRF cookies may be renamed in settings; read lazily (logging is set up before apps).
        if self._names is None:
            from django.conf import settings

            self._names = tuple(
                {
                    getattr(settings, "SESSION_COOKIE_NAME", "sessionid"),
                    getattr(settings, "CSRF_COOKIE_NAME", "csrftoken"),
                }
            )
        return self._names

    def filter(self, record: logging.LogRecord) -> bool:
        names = self._cookie_names()
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken format string must not lose the record; show it raw
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message, names=names)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text, names=names)
        # The exception object itself carries the unredacted text (a failed template lookup holds the whole context,
        # a database error the row's values): handlers get the redacted traceback text instead, which every
        # logging.Formatter prints as it would have printed the exception.
        record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info, names=names)
        return True
