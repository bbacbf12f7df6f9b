"""Request bodies: JSON read strictly, so that no body a client can send is a 5xx or is read two ways.

The standard library's parser is the base (the bodies are small: a print report, a QR text, a badge list); on top:
UTF-8 only, no NaN or Infinity, integers within 64 bits and finite floats, at most MAX_DEPTH levels of arrays and
objects (deeper input would exhaust the interpreter's recursion while parsing or while fingerprinting for the
Idempotency-Key), and a key given twice in one object is refused rather than read as its last value — two readers
(a proxy, a log, this API) could otherwise disagree on what the station sent. Each refusal is a 400 in the error
shape, `fields` naming `body`. The size is bounded before parsing: reading `request.body` enforces
DATA_UPLOAD_MAX_MEMORY_SIZE (413, badges/api/errors.py).
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32  # the deepest documented body is 2 levels ({"badge_numbers": [...]})
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
SEND = gettext_lazy("Send one JSON object, UTF-8 encoded, with `Content-Type: application/json`.")


class BodyRefused(exceptions.ParseError):
    """A body that is not JSON this API reads: its own `code`, the field is always `body`."""

    field = "body"

    def __init__(self, code: str, message: str):
        super().__init__(message, code)
        self.code = code
        self.message = message


class _Refusal(Exception):
    """Raised inside the json hooks (which may not raise ParseError through the C scanner cleanly)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _value in pairs:
        if key in seen:
            raise _Refusal(
                "duplicate_key",
                _("body: the key “%(key)s” is given twice in one object; send each key once.") % {"key": key[:40]},
            )
        seen.add(key)
    return dict(pairs)


def _cut(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:24]}…"


def _int(text: str) -> int:
    # Checked on the digits before converting: int() of thousands of digits is slow and is refused by Python
    # itself above 4,300 (a ValueError with its own wording).
    if len(text.lstrip("-")) > 19 or not INT_MIN <= int(text) <= INT_MAX:
        raise _Refusal(
            "number_out_of_range",
            _("body: the integer %(number)s is out of range; integers must lie within ±2^63.") % {"number": _cut(text)},
        )
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refusal(
            "number_out_of_range",
            _("body: the number %(number)s is too large; numbers must be finite doubles.") % {"number": _cut(text)},
        )
    return value


def _constant(name: str) -> float:
    raise _Refusal(
        "parse_error", _("body: %(name)s is not JSON; numbers must be finite. %(send)s") % {"name": name, "send": SEND}
    )


def _depth_refused(value: Any) -> None:
    """Iterative (the point is not to recurse): refuses a value nested deeper than MAX_DEPTH."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _too_deep() -> BodyRefused:
    return BodyRefused(
        "too_deep",
        _("body: arrays and objects are nested deeper than %(most)s levels; at most %(most)s are read.")
        % {"most": MAX_DEPTH},
    )


def json_body(raw: bytes) -> Any:
    """The JSON value of a request body, or BodyRefused saying what is wrong and what is allowed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused(
            "invalid_encoding", _("body: byte %(byte)s is not UTF-8. %(send)s") % {"byte": exc.start, "send": SEND}
        ) from exc
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except _Refusal as refusal:
        raise BodyRefused(refusal.code, refusal.message) from refusal
    except RecursionError as exc:
        raise _too_deep() from exc
    except json.JSONDecodeError as exc:
        raise BodyRefused(
            "parse_error",
            _("body: not JSON (%(problem)s at line %(line)s, column %(column)s). %(send)s")
            % {"problem": exc.msg, "line": exc.lineno, "column": exc.colno, "send": SEND},
        ) from exc
    except ValueError as exc:  # a number Python will not convert (e.g. a float literal of millions of digits)
        raise BodyRefused(
            "number_out_of_range",
            _("body: a number cannot be read (%(problem)s). %(send)s") % {"problem": str(exc)[:80], "send": SEND},
        ) from exc
    _depth_refused(value)
    return value


class StrictJSONParser(JSONParser):
    """A JSONParser by class on purpose: DRF hands a JSONParser `request.body`, which enforces
    DATA_UPLOAD_MAX_MEMORY_SIZE; any other parser gets the raw, unbounded stream."""

    def parse(self, stream, media_type=None, parser_context=None):
        return json_body(stream.read())
