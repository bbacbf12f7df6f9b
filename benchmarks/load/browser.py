"""What the load test's browser users need besides HTTP: the code an authenticator app shows, and the fields a
browser submits for a page's form. Plain Python (no Locust, no Django), so tests/test_load_actors.py checks them
against the planner without the `load` extra installed."""

from __future__ import annotations

import hashlib
import hmac
import struct
import time
from html.parser import HTMLParser


def totp(key_hex: str, at: float | None = None) -> str:
    """RFC 6238 (30 s steps from the epoch, 6 digits, HMAC-SHA-1): what django-otp's TOTP devices accept and an
    authenticator app shows for the device's key."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


class FormParser(HTMLParser):
    """The fields a browser would submit for each <form> of a page: inputs with their values, checked boxes and
    radios, selected options (the first option of a single select when none is selected), textareas. Enough
    for Django's rendered forms; file inputs and buttons are left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: tuple[str, bool] | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": []}
            )
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((name, a.get("value") or ("on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
            self._select_first, self._select_chosen = None, False
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                fields.append((self._select[0], value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            name, multiple = self._select
            if not multiple and not self._select_chosen and self._select_first is not None:
                self.forms[-1]["fields"].append((name, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.forms[-1]["fields"].append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data


def page_form(html: str, *, with_field: str) -> dict:
    """The page's first form that has a field named `with_field` (a page also has the language switch's form)."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if any(name == with_field for name, _ in form["fields"]):
            return form
    raise LookupError(f"no form with the field {with_field!r} on the page")


def replace_field(fields: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The fields with `name` set to `value` (added when the form had no such field)."""
    return [(k, v) for k, v in fields if k != name] + [(name, value)]
