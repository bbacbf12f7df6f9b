"""A clash's message in the reader's language.

The conflict engine (events/domain/conflicts.py) writes each clash's message in English (`Clash.message`,
stored in `Conflict.message`: the API's text, the log's, the tests') and, beside it, the message's msgid and
its arguments (`{"msgid": …, "args": {…}}`, stored in `Conflict.message_args`). A page renders the message
from those when it is read, so staff who chose Khmer read clashes in Khmer, whatever language the check ran in.

An argument is text (a label, a reason: shown as it is), a number `{"n": "25"}` or an instant
`{"at": "2026-11-05T14:00:00+07:00", "format": "d M H:i"}` (a Django date format, applied in the reader's
language: Khmer month names and digits on Khmer pages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils.translation import gettext

from asemplanner.i18n import local_date, local_digits


def when(value: dt.datetime, tz: dt.tzinfo, pattern: str = "d M H:i") -> dict[str, str]:
    """An instant as a message argument, in the time zone the clash was found in."""
    return {"at": value.astimezone(tz).isoformat(), "format": pattern}


def number(value: object) -> dict[str, str]:
    return {"n": str(value)}


def _argument(value: object) -> object:
    if isinstance(value, Mapping):
        if "at" in value:
            return local_date(dt.datetime.fromisoformat(value["at"]), value.get("format", "d M H:i"))
        if "n" in value:
            return local_digits(value["n"])
    return value


def clash_text(payload: Mapping[str, object] | None, fallback: str) -> str:
    """The message in the active language; `fallback` (the stored English) when there is no msgid or the
    arguments do not fit it (a row written before messages were translated, or by an older engine)."""
    if not payload or not payload.get("msgid"):
        return fallback
    args = payload.get("args") or {}
    if not isinstance(args, Mapping):
        return fallback
    try:
        return gettext(str(payload["msgid"])) % {name: _argument(value) for name, value in args.items()}
    except (KeyError, TypeError, ValueError):
        return fallback
