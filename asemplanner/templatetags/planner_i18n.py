"""Template filters for the Khmer interface: `{% load planner_i18n %}`.

`{{ value|local_digits }}` writes the digits of a date, time or count in Khmer (០១២…) when the page is in
Khmer, and leaves them as they are in English. Not for codes a machine or another office reads back (badge and
passport numbers, room codes, references).
"""

from __future__ import annotations

from django import template

from asemplanner.i18n import local_digits as _local_digits

register = template.Library()


@register.filter
def local_digits(value: object) -> str:
    return _local_digits("" if value is None else value)
