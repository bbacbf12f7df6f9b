"""Field encryption at rest and the keyed digest that keeps exact search possible.

Values are encrypted with `cryptography`'s MultiFernet (AES-128-CBC with HMAC-SHA256, a random IV per value):
the first key of PLANNER_FIELD_KEYS encrypts, every key decrypts, so a new key can be put first while rows
written with the old one stay readable until `manage.py rotate_field_keys` has re-encrypted them. A digest
(HMAC-SHA256 under PLANNER_DIGEST_KEY, a key of its own) of the normalised value is what an exact search
compares: equal numbers give equal digests, and without the key the digest says nothing about the number.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UndecryptableValue(ImproperlyConfigured):
    """A stored value that none of the configured keys opens: a key was removed too early."""


def parse_keys(text: str) -> list[str]:
    """Keys as written in PLANNER_FIELD_KEYS or its file: separated by commas, spaces or new lines."""
    return [key for key in re.split(r"[,\s]+", text) if key]


def check_keys(keys: list[str], setting: str = "PLANNER_FIELD_KEYS") -> None:
    """ImproperlyConfigured naming the setting and the key's position when a key is not a Fernet key."""
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"{setting}: key {position} is not a Fernet key (32 bytes in URL-safe base64, 44 characters). "
                'Make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet(keys: list[str] | None = None) -> MultiFernet:
    return _fernet(tuple(keys if keys is not None else settings.PLANNER_FIELD_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise UndecryptableValue(
            "A stored value cannot be decrypted with any key in PLANNER_FIELD_KEYS. Put back the key it was "
            "written with (after the current one) and run `manage.py rotate_field_keys`."
        ) from None


def decrypts_with(token: str, keys: list[str]) -> bool:
    try:
        fernet(keys).decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def reencrypt(token: str) -> str:
    """The same value, encrypted with the current (first) key."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        decrypt(token)  # raises the explanation
        raise


def normalise_passport(value: str) -> str:
    """How a passport number is compared: capitals, without spaces or hyphens ('n 123-45' = 'N12345')."""
    return re.sub(r"[\s\-]", "", value or "").upper()


def passport_digest(value: str) -> str:
    """The keyed digest stored beside an encrypted passport number; '' for no number."""
    normalised = normalise_passport(value)
    if not normalised:
        return ""
    key = settings.PLANNER_DIGEST_KEY.encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()
