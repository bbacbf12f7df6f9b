"""Form helpers every app's forms and admins share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from django import forms

FieldT = TypeVar("FieldT", bound=forms.Field)


def form_field(fields: Mapping[str, forms.Field], name: str, kind: type[FieldT]) -> FieldT:
    """`fields[name]` as the field class the form builds for it, so its queryset or choices can be set.

    A form's `fields` map holds plain `Field`s as far as the types know; a field of another class than the
    caller expects is a programming error, reported here rather than as a missing attribute later."""
    field = fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"Form field {name!r} is a {type(field).__name__}, not a {kind.__name__}.")
    return field
