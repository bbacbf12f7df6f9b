"""Rules staff write: offsets ("D-21", "T-1h"), message templates, and the checks that refuse bad ones.

The checks are plain functions returning `{field: message}`; the models' `clean()` and the admin form
call them, so each rule about rules is written once. Like delegations/validators.py, this module imports no
model of its own app: the models import it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from asemplanner.roles import STAFF_ROLES
from asemplanner.timeranges import fmt

Errors = dict[str, str]

# --- Offsets --------------------------------------------------------------------------------------
OFFSET_HELP = gettext_lazy(
    "Write D-21 (21 days before), T-24h, T-1h, T-30m (before), T+2h or D+2 (after); D counts days, T takes d, h or m."
)
_OFFSET = re.compile(r"^\s*(?P<base>[DT])\s*(?P<sign>[+-])\s*(?P<amount>\d{1,5})\s*(?P<unit>[dhm]?)\s*$", re.I)
_UNIT_MINUTES = {"d": 1440, "h": 60, "m": 1}
MAX_OFFSET_MINUTES = 366 * 1440


def offset_parse(text: str) -> int:
    """'D-21' → -30240 minutes. Raises ValueError with a message for the user."""
    match = _OFFSET.match(text or "")
    if not match:
        raise ValueError(_("“%(text)s” is not an offset. %(help)s") % {"text": text, "help": OFFSET_HELP})
    unit = match["unit"].lower() or ("d" if match["base"].upper() == "D" else "")
    if not unit:
        raise ValueError(_("“%(text)s” needs a unit after the number: d, h or m (e.g. T-24h).") % {"text": text})
    minutes = int(match["amount"]) * _UNIT_MINUTES[unit]
    if minutes > MAX_OFFSET_MINUTES:
        raise ValueError(_("“%(text)s” is more than a year; offsets go up to 366 days.") % {"text": text})
    return -minutes if match["sign"] == "-" else minutes


def offset_label(minutes: int, *, from_start: bool = False) -> str:
    """How staff write it: -30240 → 'D-21'; -60 → 'T-1h'; 90 → 'T+90m'. Offsets from a start (a session,
    a task, a bilateral) read in hours up to three days: -1440 → 'T-24h' rather than 'D-1'."""
    sign = "+" if minutes > 0 else "-"
    size = abs(minutes)
    if size and size % 1440 == 0 and not (from_start and size < 3 * 1440):
        return f"{'T' if from_start else 'D'}{sign}{size // 1440}{'d' if from_start else ''}"
    if size and size % 60 == 0:
        return f"T{sign}{size // 60}h"
    return f"T{sign}{size}m"


def rule_offset_label(rule) -> str:
    return offset_label(rule.offset_minutes, from_start=rule.what not in DEADLINE_WHATS)


# --- Templates ------------------------------------------------------------------------------------
# Staff write the messages in Django's template language against plain strings (never model instances,
# so a template cannot reach a method or a relation). No loaders and no libraries: {% include %},
# {% extends %} and {% load %} fail instead of reading files.
ENGINE = Engine(dirs=[], app_dirs=False, libraries={}, autoescape=False, string_if_invalid="")
_STRICT = Engine(dirs=[], app_dirs=False, libraries={}, autoescape=False, string_if_invalid="\x00%s\x00")
PLACEHOLDERS = {
    "recipient": "Ms Sophea Chan",
    "event": "ASEM13",
    "what": "Passport data for France @ ASEM13",
    "when": "20 Dec 2026 17:00",
    "offset": "D-7",
    "delegation": "France @ ASEM13",
    "missing": "passport data for 2 of 4 members: Jean Martin, Claire Dubois",
    "link": "https://planner.example/inbox/",
}
_NAMES = ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
# Lazy: a form's help text and the messages below read it in the language of the moment.
PLACEHOLDER_HELP = lazy(lambda: _("Placeholders: %(names)s") % {"names": _NAMES}, str)()


class TemplateProblem(Exception):
    """A message template that cannot be rendered; the text says where and why."""


def template_render(source: str, context: dict[str, Any]) -> str:
    try:
        return ENGINE.from_string(source).render(Context(context, autoescape=False)).strip()
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"Template error: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 — any failure inside the template language is the template's
        raise TemplateProblem(f"Template could not be rendered ({type(exc).__name__}: {exc})") from exc


def template_errors(source: str, *, field_label: str) -> str | None:
    """None when the template renders with every placeholder; else what is wrong and what is allowed."""
    if not (source or "").strip():
        return _("The %(field)s is empty. Write the message; %(help)s.") % {
            "field": field_label,
            "help": PLACEHOLDER_HELP,
        }
    try:
        rendered = _STRICT.from_string(source).render(Context(PLACEHOLDERS, autoescape=False))
    except TemplateSyntaxError as exc:
        return _("The %(field)s cannot be read: %(error)s. %(help)s.") % {
            "field": field_label,
            "error": str(exc).rstrip("."),
            "help": PLACEHOLDER_HELP,
        }
    except Exception as exc:  # noqa: BLE001
        return _("The %(field)s cannot be rendered: %(error)s. %(help)s.") % {
            "field": field_label,
            "error": str(exc).rstrip("."),
            "help": PLACEHOLDER_HELP,
        }
    unknown = sorted(set(re.findall(r"\x00([^\x00]*)\x00", rendered)))
    if unknown:
        return _("Unknown placeholder(s) in the %(field)s: %(names)s. %(help)s.") % {
            "field": field_label,
            "names": ", ".join(unknown),
            "help": PLACEHOLDER_HELP,
        }
    if not rendered.strip():
        return _("The %(field)s renders as empty text. %(help)s.") % {"field": field_label, "help": PLACEHOLDER_HELP}
    return None


# --- Whole-object checks --------------------------------------------------------------------------
DEADLINE_WHATS = {
    "deadline_members": "members",
    "deadline_photos": "photos",
    "deadline_passports": "passports",
    "deadline_travel": "travel",
    "deadline_hotel": "hotel",
    "deadline_accreditations": "accreditations",
}
# Who can receive what: the subject has an assignee / has delegations with liaisons.
HAS_ASSIGNEE = {"protocol_task", "bilateral"}
HAS_LIAISONS = {"deadline_members", "deadline_photos", "deadline_passports", "deadline_travel", "deadline_hotel"}
HAS_LIAISONS_SOMETIMES = {"protocol_task", "bilateral"}  # a task may serve no delegation


def event_ends_at(event) -> dt.datetime:
    """The last instant of an event's last day, in the planner's time zone."""
    last = dt.datetime.combine(event.end_date + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(last)


def event_starts_at(event) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(event.start_date, dt.time.min))


def rule_errors(rule) -> Errors:
    errors: Errors = {}
    if rule.to_role and rule.to_role not in STAFF_ROLES:
        errors["to_role"] = _("“%(role)s” is not a staff role. Choose one of: %(roles)s.") % {
            "role": rule.to_role,
            "roles": ", ".join(STAFF_ROLES),
        }
    if not (rule.to_role or rule.to_assignee or rule.to_liaisons):
        errors["to_role"] = _("Nobody would receive this reminder: choose a role, the assignee or the liaisons.")
    what_label = dict(rule.What.choices).get(rule.what, rule.what)
    if rule.what and rule.to_assignee and rule.what not in HAS_ASSIGNEE:
        errors["to_assignee"] = _(
            "%(what)s has no assignee. The assignee exists for protocol tasks and bilaterals "
            "(their protocol officer); choose a role instead."
        ) % {"what": what_label}
    if rule.what and rule.to_liaisons and rule.what not in HAS_LIAISONS | HAS_LIAISONS_SOMETIMES:
        errors["to_liaisons"] = _(
            "%(what)s concerns no single delegation, so it has no liaisons. "
            "Liaisons receive liaison deadlines, protocol tasks and bilaterals; choose a role instead."
        ) % {"what": what_label}
    if not (rule.by_email or rule.in_inbox):
        errors["by_email"] = _("Choose at least one channel: email, the inbox, or both.")
    for field, label in (
        ("subject_template", pgettext("reminder template", "subject")),
        ("body_template", pgettext("reminder template", "body")),
    ):
        problem = template_errors(getattr(rule, field), field_label=label)
        if problem:
            errors[field] = problem
    if rule.offset_minutes is not None and abs(rule.offset_minutes) > MAX_OFFSET_MINUTES:
        errors["offset_minutes"] = _("Offsets go up to 366 days either way.")
    elif rule.offset_minutes is not None and rule.event_id and rule.what:
        errors |= _offset_after_event_errors(rule)
    return errors


def _offset_after_event_errors(rule) -> Errors:
    """An offset that makes the reminder fall after the event is over is refused, with the date it would land."""
    event = rule.event
    end = event_ends_at(event)
    label = rule_offset_label(rule)
    offset = dt.timedelta(minutes=rule.offset_minutes)
    kind = DEADLINE_WHATS.get(rule.what)
    if kind:
        deadline = event.deadlines.filter(kind=kind).first()
        if deadline and deadline.due_at + offset >= end:
            return {
                "offset_minutes": _(
                    "%(offset)s from the %(kind)s deadline (%(due)s) lands on %(lands)s, after %(event)s ends "
                    "(%(end)s). Choose an offset before the end of the event."
                )
                % {
                    "offset": label,
                    "kind": deadline.get_kind_display().lower(),
                    "due": fmt(deadline.due_at),
                    "lands": fmt(deadline.due_at + offset),
                    "event": event,
                    "end": fmt(event.end_date),
                }
            }
        return {}
    earliest = event_starts_at(event) + offset
    if earliest >= end:
        return {
            "offset_minutes": _(
                "%(offset)s after a start lands after %(event)s ends (%(end)s) even for "
                "the first item of its first day. Choose a shorter offset, or one before the start (T-…)."
            )
            % {"offset": label, "event": event, "end": fmt(event.end_date)}
        }
    return {}


def deadline_errors(deadline) -> Errors:
    if not (deadline.event_id and deadline.due_at):
        return {}
    event = deadline.event
    if deadline.due_at >= event_ends_at(event):
        return {
            "due_at": _("%(due)s is after %(event)s ends (%(end)s). A deadline must fall before the end of its event.")
            % {"due": fmt(deadline.due_at), "event": event, "end": fmt(event.end_date)}
        }
    return {}
