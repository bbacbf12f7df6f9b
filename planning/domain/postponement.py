"""Postponing an event, or the summit with all its side events: an impact preview, then the move.

`postponement_preview()` writes nothing: it loads the commitments the conflict engine checks (`gather()`),
shifts those of the moved events in memory and runs the engine on both plans, so staff see which clashes the
move would create and which would go, and what the models would refuse (the blocking problems).

`event_postpone()` / `summit_postpone()` apply it, all or nothing in one transaction: the events, their
sessions, placed bilaterals (and their preferred windows), protocol tasks and deadlines shift by the same
number of calendar days in local time (same wall-clock times), each row through the audited, validated save,
so the audit trail shows every move and the change subscribers (conflict checks, reminder sync) follow. The
pending reminders of the moved events move in the same transaction, so none is left due at the old time;
reminders already sent stay as they are. One summary entry `events.event.postponed` records the whole
postponement, and after commit every liaison of a delegation to a moved event gets one notice.

Delegations' own travel is theirs to change: it stays, and the preview shows who would then arrive on the
wrong day. Availability is what the models know: a room's opening hours (wall-clock, so a whole-day shift
keeps them) and its bookings by other events; there is no venue closure by date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from asemplanner.domain.audit import Actor, audit_log, instance_save
from asemplanner.i18n import local_digits
from asemplanner.timeranges import fmt
from delegations.models import Delegation
from events.domain.conflicts import Clash, Commitment, EventFacts, Facts, Kind, find_clashes
from events.models import Conflict, Event, Session
from planning.domain.conflict_checks import gather
from planning.domain.localized import notify_users_each_language
from protocol.models import BilateralMeeting, BilateralWindow, ProtocolTask
from reminders.models import Deadline, Reminder

MAX_DAYS = 365
PREVIEW_ROWS = 50
CONFLICT_KINDS = dict(Conflict.Kind.choices)
KIND_NAMES = {"session": "session", "bilateral": "bilateral", "task": "protocol task"}


def kind_label(clash: Clash) -> str:
    return str(CONFLICT_KINDS.get(str(clash.kind), clash.kind))


def shift(value: dt.datetime, days: int, tz: dt.tzinfo | None = None) -> dt.datetime:
    """The same local wall-clock time `days` calendar days later (earlier when negative)."""
    tz = tz or timezone.get_current_timezone()
    local = timezone.localtime(value, tz)
    moved = dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time())
    return timezone.make_aware(moved, tz)


@dataclass(frozen=True)
class Change:
    kind: str
    label: str
    old: dt.datetime | dt.date
    new: dt.datetime | dt.date

    @property
    def old_text(self) -> str:
        return fmt(self.old)

    @property
    def new_text(self) -> str:
        return fmt(self.new)


@dataclass(frozen=True)
class Problem:
    """Something the save would refuse: what, why, and how to resolve it."""

    what: str
    reason: str
    resolve: str

    def __str__(self) -> str:
        return _("%(what)s: %(reason)s %(resolve)s") % {
            "what": self.what,
            "reason": self.reason,
            "resolve": self.resolve,
        }


@dataclass
class Impact:
    days: int
    events: list[Event]
    new_dates: dict[int, tuple[dt.date, dt.date]]
    counts: dict[str, int]
    changes: list[Change]
    new_conflicts: list[Clash]
    gone_conflicts: list[Clash]
    blocking: list[Problem]
    skipped: list[Event] = field(default_factory=list)
    reminders_past_due: int = 0
    listable: int = 0  # events plus their active sessions, placed bilaterals and tasks

    @property
    def new_by_kind(self) -> dict[str, int]:
        return dict(Counter(kind_label(c) for c in self.new_conflicts).most_common())

    @property
    def gone_by_kind(self) -> dict[str, int]:
        return dict(Counter(kind_label(c) for c in self.gone_conflicts).most_common())

    def rows(self, clashes: list[Clash], limit: int = PREVIEW_ROWS) -> list[tuple[str, str, str]]:
        return [(kind_label(c), str(c.severity), c.message) for c in clashes[:limit]]

    @property
    def new_rows(self) -> list[tuple[str, str, str]]:
        return self.rows(self.new_conflicts)

    @property
    def gone_rows(self) -> list[tuple[str, str, str]]:
        return self.rows(self.gone_conflicts)

    @property
    def more_changes(self) -> int:
        return self.listable - len(self.changes)

    def summary(self) -> str:
        return _summary(self.days, self.counts)


@dataclass
class Postponement:
    days: int
    moved: dict[str, int]
    events: list[Event] = field(default_factory=list)
    notified: int = 0

    def summary(self) -> str:
        return _summary(self.days, self.moved)


# What moved, by the names the counts are kept under (the preview's template reads the keys).
COUNT_LABELS = {
    "events": gettext_lazy("%(count)s events"),
    "sessions": gettext_lazy("%(count)s sessions"),
    "bilaterals": gettext_lazy("%(count)s bilaterals"),
    "bilateral windows": gettext_lazy("%(count)s bilateral windows"),
    "protocol tasks": gettext_lazy("%(count)s protocol tasks"),
    "deadlines": gettext_lazy("%(count)s deadlines"),
    "pending reminders": gettext_lazy("%(count)s pending reminders"),
}


def _summary(days: int, counts: dict[str, int]) -> str:
    """ "moved by 7 day(s): 2 events, 14 sessions, …" in the reader's language."""
    parts = ", ".join(
        str(COUNT_LABELS[name]) % {"count": n} if name in COUNT_LABELS else f"{n} {name}" for name, n in counts.items()
    )
    return ngettext("moved by %(days)s day(s): %(parts)s", "moved by %(days)s day(s): %(parts)s", abs(days)) % {
        "days": days,
        "parts": parts,
    }


def _days(*, event: Event, days: int | None, start_date: dt.date | None) -> tuple[int, str]:
    """The shift in days and the name of the field it came from, checked (non-zero, within ±MAX_DAYS)."""
    if (days is None) == (start_date is None):
        raise ValidationError({"days": _("Give either the number of days or the new first day, not both or neither.")})
    name = "days" if days is not None else "start_date"
    if start_date is not None:
        days = (start_date - event.start_date).days
        if days == 0:
            raise ValidationError(
                {
                    name: _("%(event)s already starts on %(date)s. Choose another date.")
                    % {"event": event, "date": fmt(start_date)}
                }
            )
    if not days:
        raise ValidationError({name: _("A shift of 0 days moves nothing. Enter a number of days other than 0.")})
    if abs(days) > MAX_DAYS:
        raise ValidationError(
            {
                name: _("A shift of %(days)s days is outside the allowed range of −%(max)s to +%(max)s days.")
                % {"days": days, "max": MAX_DAYS}
            }  # fmt: skip
        )
    return days, name


def _events(event: Event, include_side_events: bool, field_name: str) -> tuple[list[Event], list[Event]]:
    """The events that move (the chosen one first) and the side events left alone because they are cancelled."""
    blocked = (Event.Status.CANCELLED, Event.Status.HELD)
    if event.status in blocked:
        raise ValidationError(
            {field_name: _("%(event)s is %(status)s; only planned, confirmed or postponed events can be postponed. "
                           "Change its status first if it is really going ahead.")
             % {"event": event, "status": event.get_status_display().lower()}}
        )  # fmt: skip
    if not include_side_events:
        return [event], []
    if event.kind != Event.Kind.SUMMIT:
        raise ValidationError(
            {"include_side_events": _("%(event)s is a side event; only a summit moves with side events. "
                                      "Untick “with side events”, or choose its summit (%(summit)s).")
             % {"event": event, "summit": event.parent or _("none")}}
        )  # fmt: skip
    side = list(Event.objects.filter(parent=event).order_by("start_date", "acronym"))
    held = [e for e in side if e.status == Event.Status.HELD]
    if held:
        raise ValidationError(
            {"include_side_events": _("Side event(s) %(events)s already took place and cannot move with the summit. "
                                      "Postpone the summit alone, or correct their status.")
             % {"events": ", ".join(map(str, held))}}
        )  # fmt: skip
    moving = [e for e in side if e.status != Event.Status.CANCELLED]
    return [event, *moving], [e for e in side if e.status == Event.Status.CANCELLED]


def _shifted_facts(facts: Facts, moved: set[int], days: int) -> Facts:
    delta = dt.timedelta(days=days)
    events = {
        pk: EventFacts(first_day=e.first_day + delta, last_day=e.last_day + delta, label=e.label) if pk in moved else e
        for pk, e in facts.events.items()
    }
    return dataclasses.replace(facts, events=events)


# Clashes the models refuse when the row is saved (the others the engine reports but a save allows).
def _refused(clash: Clash, moved_keys: set[str]) -> bool:
    keys = [k for k in (clash.first, clash.second) if k]
    if not any(k in moved_keys for k in keys):
        return False
    families = {k.split(":", 1)[0] for k in keys}
    if clash.kind == Kind.ROOM_DOUBLE_BOOKED:
        return len(families) == 1 and families <= {"session", "bilateral"}  # each model checks its own kind
    if clash.kind == Kind.OUTSIDE_OPENING_HOURS:
        return families == {"session"}
    return clash.kind == Kind.OUTSIDE_EVENT_DATES


def _problem(clash: Clash, facts: Facts) -> Problem:
    resolve = {
        Kind.ROOM_DOUBLE_BOOKED: _("Move or cancel the other booking first, or give the moved row another room."),
        Kind.OUTSIDE_OPENING_HOURS: _("Change the session's time or room, or the room's opening hours."),
        Kind.OUTSIDE_EVENT_DATES: _("Move the row within its event's dates first."),
    }[clash.kind]
    return Problem(what=facts.label(clash.resource), reason=clash.message, resolve=resolve)


def postponement_preview(
    *,
    event: Event,
    days: int | None = None,
    start_date: dt.date | None = None,
    include_side_events: bool = False,
    rows: int = PREVIEW_ROWS,
) -> Impact:
    """What postponing would change, clash and refuse, computed in memory: nothing is written."""
    days, field_name = _days(event=event, days=days, start_date=start_date)
    events, skipped = _events(event, include_side_events, field_name)
    moved = {e.pk for e in events}
    tz = timezone.get_current_timezone()
    delta = dt.timedelta(days=days)

    commitments, facts = gather()
    before = find_clashes(commitments, facts)
    shifted: list[Commitment] = [
        dataclasses.replace(c, start=shift(c.start, days, tz), end=shift(c.end, days, tz)) if c.event_id in moved else c
        for c in commitments
    ]
    shifted_facts = _shifted_facts(facts, moved, days)
    after = find_clashes(shifted, shifted_facts)
    old_prints = {c.fingerprint for c in before}
    new_prints = {c.fingerprint for c in after}
    moved_keys = {c.key for c in commitments if c.event_id in moved}

    counts = {
        "events": len(events),
        "sessions": Session.objects.filter(event_id__in=moved).count(),
        "bilaterals": BilateralMeeting.objects.filter(event_id__in=moved, start__isnull=False).count(),
        "bilateral windows": BilateralWindow.objects.filter(meeting__event_id__in=moved).count(),
        "protocol tasks": ProtocolTask.objects.filter(event_id__in=moved).count(),
        "deadlines": Deadline.objects.filter(event_id__in=moved).count(),
        "pending reminders": _pending_reminders(moved).count(),
    }
    now = timezone.now()
    past_due = (
        _pending_reminders(moved).filter(due_at__lt=now - delta).count() if days < 0 else 0
    )  # moved earlier, these fall due at once

    changes = [Change("event", str(e), e.start_date, e.start_date + delta) for e in events]
    timed = sorted((c for c in commitments if c.event_id in moved), key=lambda c: (c.start, c.key))
    for c in timed[: max(rows - len(changes), 0)]:
        kind = KIND_NAMES.get(c.key.split(":", 1)[0], c.key.split(":", 1)[0])
        changes.append(Change(kind, c.label, c.start, shift(c.start, days, tz)))
    blocking = [_problem(c, shifted_facts) for c in after if _refused(c, moved_keys)]
    return Impact(
        days=days,
        events=events,
        new_dates={e.pk: (e.start_date + delta, e.end_date + delta) for e in events},
        counts=counts,
        changes=changes,
        new_conflicts=sorted((c for c in after if c.fingerprint not in old_prints), key=_clash_order),
        gone_conflicts=sorted((c for c in before if c.fingerprint not in new_prints), key=_clash_order),
        blocking=blocking,
        skipped=skipped,
        reminders_past_due=past_due,
        listable=len(events) + len(timed),
    )


def _clash_order(clash: Clash) -> tuple[str, str, str]:
    return (clash.starts_at.isoformat() if clash.starts_at else "", clash.kind, clash.resource)


def _pending_reminders(event_ids: set[int]):
    return Reminder.objects.filter(event_id__in=event_ids, status__in=Reminder.OPEN, purpose=Reminder.Purpose.REMINDER)


@transaction.atomic
def event_postpone(
    *,
    event: Event,
    start_date: dt.date | None = None,
    days: int | None = None,
    include_side_events: bool = False,
    by: Actor,
) -> Postponement:
    """Move `event` (with `include_side_events`, the summit and its side events) by `days` (or to begin on
    `start_date`), and everything dated within it. Refused while the preview finds blocking problems."""
    impact = postponement_preview(
        event=event, days=days, start_date=start_date, include_side_events=include_side_events, rows=0
    )
    field_name = "days" if days is not None else "start_date"
    if impact.blocking:
        raise ValidationError(
            {field_name: [_("Postponing by %(days)s day(s) is refused: %(count)s problem(s) would remain. Resolve "
                            "them, then try again.") % {"days": impact.days, "count": len(impact.blocking)}]
             + [str(p) for p in impact.blocking]}
        )  # fmt: skip
    days = impact.days
    tz = timezone.get_current_timezone()
    events = {e.pk: e for e in impact.events}
    for moving in events.values():
        moving.start_date += dt.timedelta(days=days)
        moving.end_date += dt.timedelta(days=days)
        moving.status = Event.Status.POSTPONED
        # Validated at the end, once its programme has moved with it (the event's own check refuses dates
        # that leave sessions outside, which is true of every step in between).
        instance_save(instance=moving, by=by, validate=False)
    moved: dict[str, int] = {}
    # Later rows move first when moving later (earlier first when moving earlier), across all moved events,
    # so no row is moved onto a room slot still held by another moved row: no false clash, a real one refused.
    order = ("-start", "pk") if days > 0 else ("start", "pk")
    ids = list(events)
    timed: list[tuple[str, QuerySet[Session | BilateralMeeting | BilateralWindow | ProtocolTask]]] = [
        ("sessions", Session.objects.filter(event_id__in=ids).select_related("room")),
        ("bilaterals", BilateralMeeting.objects.filter(event_id__in=ids, start__isnull=False).select_related(
            "room", "requester", "counterpart")),
        ("bilateral windows", BilateralWindow.objects.filter(meeting__event_id__in=ids).select_related("meeting")),
        ("protocol tasks", ProtocolTask.objects.filter(event_id__in=ids)),
    ]  # fmt: skip
    for name, queryset in timed:
        rows = list(queryset.order_by(*order))
        for row in rows:
            if isinstance(row, BilateralWindow):
                row.meeting.event = events[row.meeting.event_id]
            else:
                row.event = events[row.event_id]  # the moved dates, for the row's own date check
            if row.start is None or row.end is None:  # only a bilateral's may be empty; those are not selected
                raise ValueError(f"{row} has no start or end to move; give it both or clear both.")
            row.start, row.end = shift(row.start, days, tz), shift(row.end, days, tz)
            instance_save(instance=row, by=by)
        moved[name] = len(rows)
    deadlines = list(Deadline.objects.filter(event_id__in=ids))
    for deadline in deadlines:
        deadline.event = events[deadline.event_id]
        deadline.due_at = shift(deadline.due_at, days, tz)
        instance_save(instance=deadline, by=by)
    moved["deadlines"] = len(deadlines)
    moved["pending reminders"] = _reminders_move(set(ids), days, tz)
    for moving in events.values():
        moving.full_clean()
    primary = impact.events[0]
    audit_log(
        action="events.event.postponed",
        instance=primary,
        by=by,
        changes={
            "days": [None, days],
            "events": [None, {str(e): [fmt(e.start_date), fmt(e.end_date)] for e in events.values()}],
            "moved": [None, moved],
        },
    )
    result = Postponement(days=days, moved=moved, events=list(events.values()))
    transaction.on_commit(lambda: _notify_liaisons(primary=primary, events=list(events.values()), days=days))
    return result


def summit_postpone(*, summit: Event, days: int, by: Actor) -> Postponement:
    """The summit and its side events together, by `days`."""
    return event_postpone(event=summit, days=days, include_side_events=True, by=by)


def _reminders_move(event_ids: set[int], days: int, tz: dt.tzinfo) -> int:
    """Move the pending reminders of the moved events with their subjects, in this transaction, so none is
    left due at the old time. Locked first, so the sweep cannot be sending one while it moves; the reminder
    sync after commit then finds them where the plan has them. Sent ones are left as they are."""
    rows = list(_pending_reminders(event_ids).select_for_update())
    for row in rows:
        row.due_at, row.anchor_at = shift(row.due_at, days, tz), shift(row.anchor_at, days, tz)
        row.status, row.queued_at, row.late = Reminder.Status.PENDING, None, False
    Reminder.objects.bulk_update(rows, ["due_at", "anchor_at", "status", "queued_at", "late"], batch_size=500)
    return len(rows)


def _notify_liaisons(*, primary: Event, events: list[Event], days: int) -> int:
    """One notice per liaison of a delegation to any moved event, listing their events and new dates."""
    by_id = {e.pk: e for e in events}
    events_of: dict[int, set[int]] = defaultdict(set)
    users = {}
    for delegation in Delegation.objects.filter(event_id__in=by_id).prefetch_related("liaisons"):
        for user in delegation.liaisons.all():
            events_of[user.pk].add(delegation.event_id)
            users[user.pk] = user
    groups: dict[frozenset[int], list] = defaultdict(list)
    for user_id, their_events in events_of.items():
        groups[frozenset(their_events)].append(users[user_id])
    topic = f"postponement:{primary.pk}:{primary.start_date.isoformat()}:{days}"
    sent = 0
    for event_ids, members in groups.items():
        mine = sorted((by_id[pk] for pk in event_ids), key=lambda e: (e.start_date, e.acronym))
        render = partial(_liaison_notice, primary=primary, mine=mine, days=days)
        sent += notify_users_each_language(users=members, topic=topic, render=render, link="/inbox/", mail=True)
    return sent


def _liaison_notice(*, primary: Event, mine: list[Event], days: int) -> tuple[str, str]:
    """A liaison's postponement notice (title, body) in the active language: the recipient's."""
    lines = [
        _("- %(acronym)s (%(name)s): now %(start)s to %(end)s")
        % {"acronym": e.acronym, "name": e.name, "start": fmt(e.start_date), "end": fmt(e.end_date)}
        for e in mine
    ]
    if days > 0:
        text = _(
            "%(event)s has been postponed by %(days)s day(s) (later). Your delegation's event(s):\n%(lines)s\nThe "
            "programme, bilaterals and deadlines moved with the same times of day. Your own travel did not move: "
            "please update flights and hotel."
        )
    else:
        text = _(
            "%(event)s has been postponed by %(days)s day(s) (earlier). Your delegation's event(s):\n%(lines)s\nThe "
            "programme, bilaterals and deadlines moved with the same times of day. Your own travel did not move: "
            "please update flights and hotel."
        )
    body = text % {"event": primary, "days": local_digits(abs(days)), "lines": "\n".join(lines)}
    title = _("Postponed: %(events)s now from %(date)s") % {
        "events": ", ".join(e.acronym for e in mine),
        "date": fmt(mine[0].start_date),
    }
    return title[:200], body
