"""The reminder rules' default message templates, in English as staff see them in the admin and in Khmer for
Khmer-speaking recipients.

A rule whose subject or body is still exactly one of these defaults is sent in each recipient's language: the
sender renders the translated default (the Khmer catalogue keeps every `{{ placeholder }}`). A rule whose text
staff have changed is their own text and is sent as written, to everyone.

The demo seed (demo/seed.py) writes these same texts into its rules; tests/reminders/test_khmer.py checks that
the two copies agree.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

# A liaison deadline (member list, photos, passports, travel, hotel; accreditations for the office).
DEADLINE_SUBJECT = _("ASEM13 reminder: {{ what }} due {{ when }}")
DEADLINE_BODY = _("""Dear {{ recipient }},

{{ what }} is due on {{ when }} ({{ offset }}). Still missing: {{ missing }}.

Please complete it on your delegation page: {{ link }}

ASEM13 National Organising Committee""")
# A start: a protocol task, a bilateral, a programme session.
START_SUBJECT = _("{{ offset }}: {{ what }} starts {{ when }}")
START_BODY = _("""Dear {{ recipient }},

{{ what }} starts on {{ when }}.

Details: {{ link }}""")

DEFAULTS = frozenset({DEADLINE_SUBJECT, DEADLINE_BODY, START_SUBJECT, START_BODY})


def template_for_recipient(source: str) -> str:
    """The template to render for the recipient whose language is active: a default in that language, or the
    rule's own text unchanged."""
    return gettext(source) if source in DEFAULTS else source
