"""Model fields stored encrypted (asemplanner/crypto.py): the model reads and writes plain values.

The column holds a Fernet token as text; the empty value stays empty in the column ('' or NULL), so "who
has no passport on file" is still a query, while every other lookup on the value is refused (a token is
random: comparing it would silently match nothing). Search by the keyed digest column instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact

from asemplanner.crypto import decrypt, encrypt, passport_digest


class EmptyOnlyExact(Exact):
    """`field=''` / `field=None` only: whether a value is on file, never which."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.name} is stored encrypted: it can only be compared with the empty value. "
                "Search an exact passport number through its keyed digest (passport_digest)."
            )
        return super().get_prep_lookup()


class EncryptedMixin:
    """Encrypts on the way to the database, decrypts on the way back; the column is text."""

    empty_values_stored: tuple[Any, ...] = ("", None)

    def get_internal_type(self) -> str:
        return "TextField"

    def get_lookup(self, lookup_name: str):
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)  # type: ignore[misc]
        return None

    def get_transform(self, lookup_name: str):
        return None

    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)  # type: ignore[attr-defined]
        if value in self.empty_values_stored:
            return value
        return encrypt(self.to_text(value))

    def from_db_value(self, value: Any, expression, connection) -> Any:
        if value in self.empty_values_stored:
            return value
        return self.from_text(decrypt(value))


class EncryptedCharField(EncryptedMixin, models.CharField):
    """Text such as a passport number; `max_length` limits the plain value (the token is longer)."""


class EncryptedDateField(EncryptedMixin, models.DateField):
    """A date such as a date of birth, encrypted in its ISO form."""

    def to_text(self, value: dt.date) -> str:
        return value.isoformat()

    def from_text(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    def pre_save(self, model_instance, add):
        return getattr(model_instance, self.attname)  # no auto_now on an encrypted date


class PassportDigestField(models.CharField):
    """The keyed digest of another field's passport number, worked out on every save (and bulk insert)."""

    def __init__(self, *args: Any, source: str = "passport_number", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = passport_digest(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
