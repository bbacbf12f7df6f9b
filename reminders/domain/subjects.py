"""What reminders are about, loaded in bulk: the subjects (a delegation's data, an event's approvals, a session,
a protocol task, a bilateral), their anchor times, who should hear about them, and what is still missing.

Everything here reads; nothing writes. The sync plans reminders from it and the sender builds messages from
it, a batch at a time, so the number of queries does not grow with the number of reminders.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asemplanner.i18n import local_digits
from asemplanner.refs import Ref
from asemplanner.roles import STAFF_ROLES
from delegations.domain.readiness import readiness_for_delegations
from delegations.models import Accreditation, Delegation
from events.models import Event, Session
from protocol.models import BilateralMeeting, ProtocolTask
from reminders.models import Deadline
from reminders.validators import DEADLINE_WHATS, event_ends_at

# Rule.what → the kind of subject it is about.
SUBJECT_KIND = {
    **dict.fromkeys(
        ["deadline_members", "deadline_photos", "deadline_passports", "deadline_travel", "deadline_hotel"],
        "delegation",
    ),
    "deadline_accreditations": "event",
    "protocol_task": "task",
    "bilateral": "bilateral",
    "session": "session",
}


def _worded(message: str, **values) -> str:
    """A label worded in the language active when it is read (the sender reads it in the recipient's), not when
    the subjects are loaded. `message` is marked for translation where it is written."""
    return lazy(lambda: _(message) % values, str)()


@dataclass
class Subject:
    kind: str
    pk: int
    event_id: int
    event_label: str
    event_end: dt.datetime
    label: str  # e.g. "France @ ASEM13", "Retreat session (ASEM13)"
    start: dt.datetime | None = None  # sessions, tasks, bilaterals
    deadlines: dict[str, dt.datetime] = field(default_factory=dict)  # delegations, events: kind → due
    assignee_id: int | None = None
    liaison_ids: set[int] = field(default_factory=set)

    @property
    def ref(self) -> Ref:
        return Ref(self.kind, self.pk)

    def anchor(self, what: str) -> dt.datetime | None:
        kind = DEADLINE_WHATS.get(what)
        return self.deadlines.get(kind) if kind else self.start


@dataclass(frozen=True)
class Scope:
    """Which subjects to load: everything (all=True), whole events, or single subjects."""

    all: bool = False
    events: frozenset[int] = frozenset()
    refs: frozenset[Ref] = frozenset()

    def ids(self, kind: str) -> set[int]:
        return {pk for k, pk in self.refs if k == kind}


def _event_filter(qs, scope: Scope, kind: str, event_field: str = "event_id"):
    if scope.all:
        return qs
    return qs.filter(Q(**{f"{event_field}__in": scope.events}) | Q(pk__in=scope.ids(kind)))


def subjects_finished(scope: Scope) -> set[Ref]:
    """Subjects in scope that are over rather than called off (a task done, a bilateral held, an event held):
    their pending reminders go, but nobody is told they were cancelled. Three queries."""
    held = Event.objects.filter(status=Event.Status.HELD)
    finished = {Ref("event", pk) for pk in _event_filter(held, scope, "event", "pk").values_list("pk", flat=True)}
    done = ProtocolTask.objects.filter(status=ProtocolTask.Status.DONE)
    finished |= {Ref("task", pk) for pk in _event_filter(done, scope, "task").values_list("pk", flat=True)}
    bilaterals = BilateralMeeting.objects.filter(status=BilateralMeeting.Status.HELD)
    finished |= {
        Ref("bilateral", pk) for pk in _event_filter(bilaterals, scope, "bilateral").values_list("pk", flat=True)
    }
    return finished


def subjects_load(scope: Scope) -> dict[Ref, Subject]:
    """The active subjects in scope (cancelled, declined, done or unscheduled ones are absent). Seven queries."""
    events = {e.pk: e for e in Event.objects.all()}
    deadlines: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    for event_id, kind, due_at in Deadline.objects.values_list("event_id", "kind", "due_at"):
        deadlines[event_id][kind] = due_at
    liaisons: dict[int, set[int]] = defaultdict(set)
    for delegation_id, user_id in Delegation.liaisons.through.objects.values_list("delegation_id", "user_id"):
        liaisons[delegation_id].add(user_id)

    def base(kind: str, pk: int, event_id: int, label: str, **extra) -> Subject:
        event = events[event_id]
        return Subject(kind, pk, event_id, str(event), event_ends_at(event), label, **extra)

    subjects: dict[Ref, Subject] = {}
    # Nothing of a cancelled event is reminded of; a postponed one keeps its reminders (they move with it).
    events = {pk: e for pk, e in events.items() if e.status != Event.Status.CANCELLED}
    for event in events.values():
        if (scope.all or event.pk in scope.events or event.pk in scope.ids("event")) and event.status not in (
            Event.Status.CANCELLED,
            Event.Status.HELD,
        ):
            label = _worded(gettext_noop("%(event)s accreditations"), event=str(event))
            subject = base("event", event.pk, event.pk, label, deadlines=deadlines[event.pk])
            subjects[subject.ref] = subject
    delegations = _event_filter(
        Delegation.objects.exclude(status=Delegation.Status.DECLINED).select_related("partner"), scope, "delegation"
    )
    for d in delegations:
        if d.event_id in events:
            subject = base(
                "delegation",
                d.pk,
                d.event_id,
                f"{d.partner} @ {events[d.event_id]}",
                deadlines=deadlines[d.event_id],
                liaison_ids=liaisons[d.pk],
            )
            subjects[subject.ref] = subject
    sessions = Session.objects.filter(status=Session.Status.SCHEDULED).select_related("room")
    for s in _event_filter(sessions, scope, "session"):
        if s.event_id not in events:
            continue
        label = _worded(gettext_noop("%(title)s in %(room)s"), title=s.title, room=str(s.room))
        subject = base("session", s.pk, s.event_id, label, start=s.start)
        subjects[subject.ref] = subject
    tasks = ProtocolTask.objects.filter(status__in=[ProtocolTask.Status.OPEN, ProtocolTask.Status.IN_PROGRESS])
    for t in _event_filter(tasks, scope, "task"):
        if t.event_id not in events:
            continue
        subject = base(
            "task",
            t.pk,
            t.event_id,
            t.title,
            start=t.start,
            assignee_id=t.assignee_id,
            liaison_ids=set(liaisons[t.delegation_id]) if t.delegation_id else set(),
        )
        subjects[subject.ref] = subject
    bilaterals = BilateralMeeting.objects.filter(
        status=BilateralMeeting.Status.SCHEDULED, start__isnull=False
    ).select_related("requester__partner", "counterpart__partner", "room")
    for b in _event_filter(bilaterals, scope, "bilateral"):
        if b.event_id not in events:
            continue
        subject = base(
            "bilateral",
            b.pk,
            b.event_id,
            _worded(
                gettext_noop("Bilateral %(requester)s – %(counterpart)s in %(room)s"),
                requester=str(b.requester.partner),
                counterpart=str(b.counterpart.partner),
                room=str(b.room),
            )
            if b.room
            else _worded(
                gettext_noop("Bilateral %(requester)s – %(counterpart)s"),
                requester=str(b.requester.partner),
                counterpart=str(b.counterpart.partner),
            ),
            start=b.start,
            assignee_id=b.protocol_officer_id,
            liaison_ids=liaisons[b.requester_id] | liaisons[b.counterpart_id],
        )
        subjects[subject.ref] = subject
    return subjects


def role_members() -> dict[str, set[int]]:
    """Active staff per role (one query)."""
    members: dict[str, set[int]] = {role: set() for role in STAFF_ROLES}
    rows = get_user_model().objects.filter(is_active=True, is_staff=True, groups__name__in=STAFF_ROLES)
    for user_id, role in rows.values_list("pk", "groups__name"):
        members[role].add(user_id)
    return members


def recipients(rule, subject: Subject, roles: dict[str, set[int]]) -> set[int]:
    found: set[int] = set()
    if rule.to_role:
        found |= roles.get(rule.to_role, set())
    if rule.to_assignee and subject.assignee_id:
        found.add(subject.assignee_id)
    if rule.to_liaisons:
        found |= subject.liaison_ids
    return found


# --- What is still missing ------------------------------------------------------------------------
def missing_for_delegations(delegation_ids: set[int]) -> dict[int, dict[str, str]]:
    """delegation id → {deadline kind: what is still missing ('' when complete)}. Three queries.

    The checks are the delegation's readiness (delegations.domain.readiness), so the dashboard, the
    reminders page and the mails agree. A delegation without members is reminded of its member list only:
    photos or passports of nobody are not yet missing."""
    result: dict[int, dict[str, str]] = {}
    for delegation_id, readiness in readiness_for_delegations(delegation_ids).items():
        texts = readiness.missing()
        if not readiness.n_members:
            texts = {kind: (text if kind == "members" else "") for kind, text in texts.items()}
        result[delegation_id] = texts
    return result


def missing_for_events(event_ids: set[int]) -> dict[int, str]:
    """event id → how many accreditations still wait for approval ('' when none). One query."""
    waiting = dict(
        Accreditation.objects.filter(event_id__in=event_ids, status=Accreditation.Status.REQUESTED)
        .values("event_id")
        .annotate(n=Count("pk"))
        .values_list("event_id", "n")
    )
    return {pk: (_waiting(waiting[pk]) if waiting.get(pk) else "") for pk in event_ids}


def _waiting(n: int) -> str:
    return _("%(n)s accreditation(s) waiting for approval") % {"n": local_digits(n)}


def describe(what: str, subject: Subject) -> str:
    """What a reminder is about, in the language active now (the sync stores it in English)."""
    kind = DEADLINE_WHATS.get(what)
    if kind:
        label = dict(Deadline.Kind.choices)[kind]
        return f"{label} — {subject.label}" if subject.kind == "delegation" else f"{label} — {subject.event_label}"
    return f"{subject.label} ({subject.event_label})"
