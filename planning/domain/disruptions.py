"""Disruptions: a principal's arrival or departure moved, and the plan around them broke.

A travel write of a principal (the head of a delegation, or anyone ranked vice head of state or government or
above) that moves `arrival_at` or `departure_at` — from the portal, the admin or a flight-status update, all
audited writes through the delegations domain — publishes a `Change(Travel)`. Planning follows it up here:

1. In the writing transaction, `on_changes` takes the old and new times from the change (`Change.values`, the
   audit entry's before → after) and the person's reception, motorcade and farewell tasks as they stand before
   protocol's re-generation moves them. Nothing else is read there.
2. After the commit, one flush per transaction opens a `Disruption` for each principal whose times moved, or
   updates their open one (the first "was" stays, "now" follows), tells the protocol and security roles once per
   disruption and enqueues `planning.assess_disruption`.
3. The task computes the impact (sessions now missed, bilaterals outside the new stay, transfers now too short —
   the conflict engine's clashes of that person — and where the tasks are) and, when the principal has scheduled
   or accepted bilaterals, starts a re-plan run of the event (moving as few meetings as possible). While another
   run of the event is open the disruption waits; when that run finishes (a `Change(SchedulingRun)`), the
   waiting disruptions of its event get theirs.
4. Staff publish the re-plan in one click (`disruption_publish`: refused with the reason when the run is not
   ready or went stale; the liaisons of both delegations of each moved meeting get one notice each) or close
   the disruption when there is nothing to do (`disruption_close`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save
from asemplanner.domain.changes import Change, Route, Routes, on_commit_batch
from asemplanner.domain.queue import enqueue_on_commit
from asemplanner.models import AuditEntry
from asemplanner.roles import PROTOCOL, SECURITY
from asemplanner.timeranges import fmt
from delegations.models import Person, Travel
from events.domain.conflicts import Kind as ClashKind
from events.domain.conflicts import find_clashes
from events.models import Room
from planning.domain.bilateral_plans import (
    NOTIFY_PER_LIAISON,
    OPEN_RUNS,
    STALE_AFTER_SECONDS,
    scheduling_run_publish,
    scheduling_run_start,
)
from planning.domain.conflict_checks import gather
from planning.domain.localized import notify_roles_each_language
from planning.models import Disruption
from protocol.domain.task_generation import PRINCIPAL_RANK
from protocol.models import BilateralMeeting, ProtocolTask, SchedulingRun

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "system:disruptions"
ASSESS_TASK = "planning.assess_disruption"
TOLD_ROLES = [PROTOCOL, SECURITY]
TRAVEL_FIELDS = ("arrival_at", "departure_at")
TASK_KINDS = (ProtocolTask.Kind.AIRPORT_RECEPTION, ProtocolTask.Kind.MOTORCADE, ProtocolTask.Kind.AIRPORT_FAREWELL)
OPEN_BILATERALS = (BilateralMeeting.Status.ACCEPTED, BilateralMeeting.Status.SCHEDULED)
# Which of two moved times names the disruption: a shorter stay breaks more than a longer one.
KIND_ORDER = [
    Disruption.Kind.LATE_ARRIVAL,
    Disruption.Kind.EARLY_DEPARTURE,
    Disruption.Kind.EARLY_ARRIVAL,
    Disruption.Kind.LATE_DEPARTURE,
]


# --- Who is a principal ----------------------------------------------------------------------------------------
def is_principal(person: Person) -> bool:
    """The head of their delegation, or ranked vice head of state or government or above (the glossary)."""
    return person.rank <= PRINCIPAL_RANK or (
        person.delegation_id is not None and person.delegation.head_id == person.pk
    )


# --- Following travel writes -----------------------------------------------------------------------------------
_sequence = itertools.count()  # orders the moves of one transaction: the first "was" of a field is kept


@dataclass(frozen=True, order=True)
class _Moved:
    """A travel time that moved in the writing transaction (ISO texts, as the audit entry keeps them)."""

    seq: int
    person: int
    travel: int
    field: str
    was: str | None
    now: str | None


@dataclass(frozen=True)
class _TasksBefore:
    """A person's reception, motorcade and farewell tasks as they stood inside the writing transaction, before
    protocol's re-generation (after the commit, in a worker) moves them: ((task, start, end), …)."""

    person: int
    rows: tuple[tuple[int, str, str], ...]


@dataclass(frozen=True)
class _RunFinished:
    event: int


def _travel_keys(change: Change) -> set[Any]:
    keys: set[Any] = set()
    person = getattr(change.instance, "person_id", None)
    for name in TRAVEL_FIELDS:
        values = change.values.get(name)
        if person is None or change.pk_int is None or values is None or len(values) != 2:
            continue
        was, now = values
        if was is not None and now is not None and was != now:  # a first time set or a time cleared is no slip
            keys.add(_Moved(next(_sequence), person, change.pk_int, name, was, now))
    return keys


def _run_keys(change: Change) -> set[Any]:
    status = getattr(change.instance, "status", None)
    if "status" in change.fields and status not in OPEN_RUNS:
        return {_RunFinished(getattr(change.instance, "event_id", 0))}
    return set()


ROUTES: Routes = {
    Travel: Route("the person, if a principal whose arrival or departure moved", _travel_keys),
    SchedulingRun: Route("its event's disruptions waiting for a re-plan (when it finishes)", _run_keys),
}
DOES = (
    "opens or updates the disruption of (after commit; protocol and security told once; task "
    "`planning.assess_disruption` computes the impact and starts the bilateral re-plan)"
)


def on_changes(changes: list[Change]) -> None:
    keys: set[Any] = set()
    for change in changes:
        route = ROUTES.get(change.model)
        if route is not None:
            keys |= route.keys(change)
    if not keys:
        return
    moved_people = {key.person for key in keys if isinstance(key, _Moved)}
    if moved_people:
        # One query, only for writes that moved a time: where the tasks stand before the generator moves them.
        rows: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        tasks = ProtocolTask.objects.filter(person_id__in=moved_people, kind__in=TASK_KINDS).exclude(
            status=ProtocolTask.Status.CANCELLED
        )
        for pk, person, start, end in tasks.values_list("pk", "person_id", "start", "end"):
            rows[person].append((pk, start.isoformat(), end.isoformat()))
        keys |= {_TasksBefore(person, tuple(sorted(found))) for person, found in rows.items()}
    on_commit_batch("disruptions", keys, _flush)


def _flush(keys: set[Any]) -> None:
    moved = sorted(key for key in keys if isinstance(key, _Moved))
    before = {key.person: key.rows for key in keys if isinstance(key, _TasksBefore)}
    if moved:
        disruptions_from_travel(moved, before)
    for event_id in sorted({key.event for key in keys if isinstance(key, _RunFinished)}):
        disruptions_replan_waiting(event_id=event_id)


def _when(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def disruptions_from_travel(moved: list[_Moved], tasks_before: dict[int, tuple] | None = None) -> list[Disruption]:
    """Open or update the disruptions of the principals among the people whose times moved (after commit)."""
    shifts: dict[int, dict[str, tuple[dt.datetime | None, dt.datetime | None]]] = defaultdict(dict)
    travel_of = {item.person: item.travel for item in moved}
    for item in moved:  # in write order: the first "was" stays, the last "now" wins
        was = shifts[item.person].get(item.field, (_when(item.was), None))[0]
        shifts[item.person][item.field] = (was, _when(item.now))
    people = Person.objects.filter(pk__in=list(shifts)).select_related("delegation__event", "delegation__partner")
    travel_type = ContentType.objects.get_for_model(Travel)
    opened = []
    for person in people:
        if not is_principal(person):
            continue
        fields = {name: times for name, times in shifts[person.pk].items() if times[0] != times[1]}
        if not fields:
            continue
        reporter = (
            AuditEntry.objects.filter(content_type=travel_type, object_id=str(travel_of[person.pk]))
            .order_by("-at", "-pk")
            .values_list("actor_name", flat=True)
            .first()
        )
        try:
            disruption = disruption_report(
                person=person,
                arrival=fields.get("arrival_at"),
                departure=fields.get("departure_at"),
                reported_by=reporter or "",
                tasks_before=(tasks_before or {}).get(person.pk, ()),
                by=SYSTEM_ACTOR,
            )
        except ValidationError:
            # Only a race can get here (two writes of one person's travel opening a disruption at once); the
            # other one holds the open record, and the next write or the conflict scan shows the rest.
            log.exception("could not record the disruption of person %s", person.pk)
            continue
        opened.append(disruption)
    return opened


def _kind(disruption: Disruption) -> str:
    found = []
    if disruption.arrival_was and disruption.arrival_now and disruption.arrival_was != disruption.arrival_now:
        late = disruption.arrival_now > disruption.arrival_was
        found.append(Disruption.Kind.LATE_ARRIVAL if late else Disruption.Kind.EARLY_ARRIVAL)
    if disruption.departure_was and disruption.departure_now and disruption.departure_was != disruption.departure_now:
        late = disruption.departure_now > disruption.departure_was
        found.append(Disruption.Kind.LATE_DEPARTURE if late else Disruption.Kind.EARLY_DEPARTURE)
    return min(found, key=KIND_ORDER.index) if found else disruption.kind


def _shift(was: dt.datetime | None, now: dt.datetime | None) -> str:
    if was is None or now is None:
        return ""
    minutes = int((now - was).total_seconds() // 60)
    if minutes == 0:
        return "back to the original time"
    hours, rest = divmod(abs(minutes), 60)
    span = f"{hours} h {rest:02d} min" if hours else f"{rest} min"
    return f"{span} {'later' if minutes > 0 else 'earlier'}"


def summary_of(disruption: Disruption) -> str:
    parts = []
    for what, was, now in (
        ("arrives", disruption.arrival_was, disruption.arrival_now),
        ("departs", disruption.departure_was, disruption.departure_now),
    ):
        if was is not None and now is not None:
            parts.append(f"{what} {fmt(now)} instead of {fmt(was)} ({_shift(was, now)})")
    return ("; ".join(parts) or "travel changed")[:300]


@transaction.atomic
def disruption_report(
    *,
    person: Person,
    arrival: tuple[dt.datetime | None, dt.datetime | None] | None,
    departure: tuple[dt.datetime | None, dt.datetime | None] | None,
    reported_by: str,
    by: Actor,
    tasks_before: Iterable[tuple[int, str, str]] = (),
) -> Disruption:
    """Open a disruption for `person` (a principal) whose arrival and/or departure moved (was, now), or update
    their open one: the first "was" stays, "now" follows the latest write. Tells the protocol and security roles
    once per disruption and enqueues the impact and re-plan after the commit."""
    disruption = Disruption.objects.select_for_update().filter(person=person, status=Disruption.Status.OPEN).first()
    created = disruption is None
    if disruption is None:
        disruption = Disruption(event=person.delegation.event, person=person, impact={})
    for times, was_field, now_field in ((arrival, "arrival_was", "arrival_now"), (departure, "departure_was",
                                                                                  "departure_now")):  # fmt: skip
        if times is None:
            continue
        if getattr(disruption, was_field) is None:
            setattr(disruption, was_field, times[0])
        setattr(disruption, now_field, times[1])
    disruption.kind = _kind(disruption) or Disruption.Kind.LATE_ARRIVAL
    disruption.reported_by = reported_by[:150]
    disruption.summary = summary_of(disruption)
    impact = dict(disruption.impact or {})
    tasks_was = dict(impact.get("tasks_was", {}))
    for pk, start, end in tasks_before:
        tasks_was.setdefault(str(pk), [start, end])  # the times before the first change stay
    impact["tasks_was"] = tasks_was
    impact["assessed"] = False
    # A re-plan requested before this moment does not know these times.
    impact["travel_changed_at"] = timezone.now().isoformat()
    disruption.impact = impact
    instance_save(
        instance=disruption,
        by=by,
        action="planning.disruption.opened" if created else "planning.disruption.updated",
    )
    if created:
        _tell_staff(disruption)
    enqueue_on_commit(ASSESS_TASK, args=[disruption.pk])
    return disruption


def detail_link(disruption: Disruption) -> str:
    return settings.PLANNER_BASE_URL.rstrip("/") + reverse("admin:disruption_detail", args=[disruption.pk])


def _tell_staff(disruption: Disruption) -> None:
    person, partner = disruption.person, disruption.person.delegation.partner

    def render() -> tuple[str, str]:
        """The notice in the active language (each recipient's)."""
        title = _("%(kind)s: %(person)s (%(partner)s)") % {
            "kind": disruption.get_kind_display(),
            "person": person,
            "partner": partner,
        }
        body = _(
            "%(person)s (%(partner)s) %(summary)s. Reported by %(by)s. The impact and a bilateral re-plan are being "
            "prepared on the disruption page."
        ) % {"person": person, "partner": partner, "summary": disruption.summary,
             "by": disruption.reported_by or _("the system")}  # fmt: skip
        return title[:200], body

    link = detail_link(disruption)
    transaction.on_commit(
        lambda: notify_roles_each_language(roles=TOLD_ROLES, topic=f"disruption:{disruption.pk}", render=render,
                                           link=link)
    )  # fmt: skip


# --- Impact ----------------------------------------------------------------------------------------------------
def principal_bilaterals(disruption: Disruption):
    """The principal's accepted and scheduled bilaterals at the disruption's event."""
    person = disruption.person_id
    return BilateralMeeting.objects.filter(event=disruption.event_id, status__in=OPEN_BILATERALS).filter(
        Q(requester__head_id=person) | Q(counterpart__head_id=person)
    )


def impact_compute(disruption: Disruption) -> dict[str, Any]:
    """What the moved travel breaks now: sessions missed, bilaterals outside the stay, transfers too short and
    other clashes of the person (the conflict engine's), and where the reception, motorcade and farewell
    tasks are (with where they were before the first change)."""
    person = disruption.person
    travel = Travel.objects.filter(person=person).first()
    arrival = travel.arrival_at if travel else None
    departure = travel.departure_at if travel else None
    commitments, facts = gather()
    by_key = {c.key: c for c in commitments}
    resource = f"person:{person.pk}"
    sessions, transfers, other = [], [], []
    for clash in find_clashes(commitments, facts, resources={resource}):
        if clash.resource != resource:
            continue
        first = by_key.get(clash.first)
        row = {"kind": clash.kind.value, "severity": clash.severity.value, "message": clash.message,
               "first": clash.first, "second": clash.second}  # fmt: skip
        if clash.kind in (ClashKind.BEFORE_ARRIVAL, ClashKind.AFTER_DEPARTURE) and first is not None:
            sessions.append(
                row | {"label": first.label, "start": first.start.isoformat(), "end": first.end.isoformat(),
                       "why": "before arrival" if clash.kind == ClashKind.BEFORE_ARRIVAL else "after departure"}
            )  # fmt: skip
        elif clash.kind == ClashKind.TRANSFER_TOO_SHORT:
            transfers.append(row)
        else:
            other.append(row)
    bilaterals = []
    meetings = list(principal_bilaterals(disruption).select_related("requester__partner", "counterpart__partner",
                                                                    "room__venue"))  # fmt: skip
    for meeting in meetings:
        why = ""
        if meeting.start is not None and arrival is not None and meeting.start < arrival:
            why = "before arrival"
        elif meeting.end is not None and departure is not None and meeting.end > departure:
            why = "after departure"
        bilaterals.append(
            {
                "meeting": meeting.pk,
                "label": f"{meeting.requester.partner} – {meeting.counterpart.partner}",
                "status": meeting.status,
                "start": meeting.start.isoformat() if meeting.start else None,
                "end": meeting.end.isoformat() if meeting.end else None,
                "room": str(meeting.room) if meeting.room else "",
                "outside": why,
            }
        )
    was = (disruption.impact or {}).get("tasks_was", {})
    tasks = []
    for task in ProtocolTask.objects.filter(person=person, kind__in=TASK_KINDS).order_by("start", "pk"):
        before = was.get(str(task.pk))
        tasks.append(
            {
                "task": task.pk,
                "title": task.title,
                "kind": task.kind,
                "status": task.status,
                "was_start": before[0] if before else None,
                "was_end": before[1] if before else None,
                "start": task.start.isoformat(),
                "end": task.end.isoformat(),
                # Only tasks generated from travel follow the flight; hand-made ones wait for staff.
                "generated": (task.source_key or "").startswith("travel:"),
            }
        )
    return {
        "sessions_missed": sessions,
        "bilaterals": bilaterals,
        "bilaterals_outside": sum(1 for row in bilaterals if row["outside"]),
        "transfers": transfers,
        "other_clashes": other,
        "tasks": tasks,
        "computed_at": timezone.now().isoformat(),
    }


@transaction.atomic
def disruption_assess(*, disruption_id: int, by: Actor = SYSTEM_ACTOR) -> Disruption | None:
    """The background step (task `planning.assess_disruption`): compute the impact and, when the principal has
    scheduled or accepted bilaterals, start the re-plan (or wait for the event's open run). Idempotent enough
    to run twice: the second computes the same impact, and a run already linked and open is not doubled."""
    disruption = (
        Disruption.objects.select_for_update(of=("self",))
        .select_related("person__delegation", "event", "run")
        .filter(pk=disruption_id)
        .first()
    )
    if disruption is None or disruption.status != Disruption.Status.OPEN:
        return None
    impact = dict(disruption.impact or {})
    impact.update(impact_compute(disruption))
    impact["assessed"] = True
    disruption.impact = impact
    wants_run = principal_bilaterals(disruption).exists()
    if not wants_run:
        disruption.impact["replan"] = {"state": "none", "message": "The principal has no scheduled or accepted "
                                       "bilateral at this event: nothing to re-plan."}  # fmt: skip
        instance_save(instance=disruption, by=by, action="planning.disruption.assessed")
        return disruption
    if not _run_is_current(disruption):
        _replan(disruption, by=by)
    instance_save(instance=disruption, by=by, action="planning.disruption.assessed")
    return disruption


def _run_is_current(disruption: Disruption) -> bool:
    """The linked run was requested after the latest travel change and is not failed or superseded: it answers
    this disruption as it stands (a redelivered assessment starts no second run)."""
    run, changed = disruption.run, (disruption.impact or {}).get("travel_changed_at")
    if run is None or changed is None:
        return False
    usable = (*OPEN_RUNS, SchedulingRun.Status.READY)
    return run.status in usable and run.requested_at >= dt.datetime.fromisoformat(changed)


def _open_run(event_id: int) -> SchedulingRun | None:
    """The event's run still queued or running (one past its time limit no longer counts: its worker died)."""
    alive_after = timezone.now() - dt.timedelta(seconds=settings.PLANNER_SCHEDULER_SECONDS + STALE_AFTER_SECONDS)
    return (
        SchedulingRun.objects.filter(event_id=event_id, status__in=OPEN_RUNS, requested_at__gte=alive_after)
        .order_by("-requested_at")
        .first()
    )


def _replan(disruption: Disruption, *, by: Actor) -> SchedulingRun | None:
    """Start a re-plan run for the disruption's event and link it to every open disruption of that event (the
    newest run answers all their current travel); while another run is open, wait for it."""
    impact = disruption.impact
    running = _open_run(disruption.event_id)
    if running is not None:
        impact["replan"] = {
            "state": "waiting",
            "waiting_for": running.pk,
            "message": f"Another scheduling run of {disruption.event} is {running.get_status_display().lower()} "
            f"(started {fmt(running.requested_at)}); the re-plan starts when it finishes, or press "
            "“Re-plan now” then.",
        }
        return None
    try:
        run = scheduling_run_start(event=disruption.event, kind=SchedulingRun.Kind.REPLAN, by=by)
    except ValidationError as exc:
        impact["replan"] = {"state": "refused", "message": " ".join(exc.messages)}
        return None
    others = list(
        Disruption.objects.select_for_update()
        .filter(event=disruption.event_id, status=Disruption.Status.OPEN)
        .exclude(pk=disruption.pk)
    )
    # The run may move only the disrupted principals' meetings; the rest of the programme stays put (`only`, read
    # by problem_load; no published meeting outside it moves). The row is written before any worker can pick it up.
    heads = {disruption.person_id, *(other.person_id for other in others)}
    run.allow_moves = False
    run.only = sorted(
        BilateralMeeting.objects.filter(event=disruption.event_id, status__in=OPEN_BILATERALS)
        .filter(Q(requester__head_id__in=heads) | Q(counterpart__head_id__in=heads))
        .values_list("pk", flat=True)
    )
    instance_save(instance=run, by=by, action="protocol.scheduling.scoped")
    impact["replan"] = {"state": "started", "run": run.pk, "message": "The scheduler is re-planning the bilaterals."}
    disruption.run = run
    for other in others:
        other.run = run
        other.impact = {**(other.impact or {}), "replan": dict(impact["replan"])}
        instance_save(instance=other, by=by, action="planning.disruption.replanned")
    return run


@transaction.atomic
def disruptions_replan_waiting(*, event_id: int, by: Actor = SYSTEM_ACTOR) -> SchedulingRun | None:
    """A run of the event finished: the disruptions that waited for it get their re-plan (one run for all)."""
    waiting = [
        d
        for d in Disruption.objects.select_for_update(of=("self",))
        .select_related("event", "run")
        .filter(event_id=event_id, status=Disruption.Status.OPEN)
        if (d.impact or {}).get("replan", {}).get("state") == "waiting"
    ]
    if not waiting or _open_run(event_id) is not None:
        return None
    first = waiting[0]
    run = _replan(first, by=by)
    instance_save(instance=first, by=by, action="planning.disruption.replanned")
    return run


@transaction.atomic
def disruption_replan(*, disruption: Disruption, by: Actor) -> SchedulingRun | None:
    """Staff's "Re-plan now": recompute the impact and start a re-plan of the event now. While another run of
    the event is open, nothing is refused: the disruption waits and gets its run when that one finishes."""
    disruption = _locked(disruption)
    _need_open(disruption, "re-planned")
    disruption.impact = {**(disruption.impact or {}), **impact_compute(disruption), "assessed": True}
    if not principal_bilaterals(disruption).exists():
        raise ValidationError(
            {"run": _("%(person)s has no scheduled or accepted bilateral at %(event)s: there is nothing to re-plan. "
                      "Close the disruption if nothing else needs doing.")
             % {"person": disruption.person, "event": disruption.event}}
        )  # fmt: skip
    run = _replan(disruption, by=by)
    instance_save(instance=disruption, by=by, action="planning.disruption.replanned")
    return run


# --- Publish and close -----------------------------------------------------------------------------------------
def _locked(disruption: Disruption) -> Disruption:
    return (
        Disruption.objects.select_for_update(of=("self",))
        .select_related("event", "person__delegation__partner", "run")
        .get(pk=disruption.pk)
    )


def _need_open(disruption: Disruption, verb: str) -> None:
    if disruption.status != Disruption.Status.OPEN:
        refusals = {
            "re-planned": _("This disruption is %(status)s; only an open one can be re-planned."),
            "published": _("This disruption is %(status)s; only an open one can be published."),
            "closed": _("This disruption is %(status)s; only an open one can be closed."),
        }
        raise ValidationError({"status": refusals[verb] % {"status": disruption.get_status_display().lower()}})


def run_stale_reasons(run: SchedulingRun) -> list[str]:
    """What changed since the run read the programme: any bilateral of its event written since (moved by hand,
    answered, cancelled), or a principal's arrival or departure of its meetings moved since."""
    since = run.requested_at
    bilaterals = BilateralMeeting.objects.filter(event=run.event_id)
    bilateral_type = ContentType.objects.get_for_model(BilateralMeeting)
    reasons = [
        _("%(what)s (%(action)s by %(who)s, %(when)s)")
        % {
            "what": entry.object_repr,
            "action": entry.action.rsplit(".", 1)[-1],
            "who": entry.actor_name,
            "when": fmt(entry.at),
        }
        for entry in AuditEntry.objects.filter(
            content_type=bilateral_type,
            object_id__in=[str(pk) for pk in bilaterals.values_list("pk", flat=True)],
            at__gt=since,
        ).order_by("at", "pk")[:5]
    ]
    heads = set(bilaterals.filter(status__in=OPEN_BILATERALS).values_list("requester__head_id", "counterpart__head_id"))
    travels = Travel.objects.filter(person_id__in={p for pair in heads for p in pair if p is not None})
    for entry in AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Travel),
        object_id__in=[str(pk) for pk in travels.values_list("pk", flat=True)],
        at__gt=since,
    ).order_by("at", "pk"):
        if set(entry.changes or {}) & set(TRAVEL_FIELDS):
            reasons.append(
                _("the travel of %(person)s (%(when)s)") % {"person": entry.object_repr, "when": fmt(entry.at)}
            )
    return reasons


@transaction.atomic
def disruption_publish(*, disruption: Disruption, by: Actor, run: SchedulingRun | None = None) -> Disruption:
    """Publish the disruption's re-plan and mark it (and every open disruption the same run answers) published.
    `run` is the run staff saw on the page: a newer one since is refused rather than published unseen. Refused
    with the reason, nothing changed, when the run is not ready or went stale. One notice per liaison of the
    delegations of the moved meetings (after the commit)."""
    disruption = _locked(disruption)
    _need_open(disruption, "published")
    linked = disruption.run
    if linked is None:
        raise ValidationError(
            {"run": _("There is no re-plan to publish for this disruption. Press “Re-plan now”, or close the "
                      "disruption if nothing needs to move.")}
        )  # fmt: skip
    if run is not None and run.pk != linked.pk:
        raise ValidationError(
            {"run": _("A newer re-plan replaced the one you saw (the travel changed again). Look at the new "
                      "proposal and publish that one.")}
        )  # fmt: skip
    if (disruption.impact or {}).get("replan", {}).get("state") == "waiting":
        raise ValidationError(
            {"run": _("A later travel change is waiting for its own re-plan (another run of the event was open); "
                      "this proposal does not know it. Publish once the new re-plan is ready.")}
        )  # fmt: skip
    linked = SchedulingRun.objects.select_for_update().get(pk=linked.pk)
    if linked.status != SchedulingRun.Status.READY:
        raise ValidationError(
            {"run": _not_ready(linked)}
        )  # fmt: skip
    stale = run_stale_reasons(linked)
    if stale:
        raise ValidationError(
            {"run": _("The programme changed since this re-plan was computed: %(changes)s. Press “Re-plan now” "
                      "and publish the new proposal. Nothing was changed.") % {"changes": "; ".join(stale[:5])}}
        )  # fmt: skip
    scheduling_run_publish(run=linked, by=by, notify=NOTIFY_PER_LIAISON)
    answered = Disruption.objects.select_for_update(of=("self",)).filter(run=linked, status=Disruption.Status.OPEN)
    for each in [disruption, *answered.exclude(pk=disruption.pk)]:
        each.status = Disruption.Status.PUBLISHED
        instance_save(instance=each, by=by, action="planning.disruption.published")
    return disruption


def _not_ready(run: SchedulingRun) -> str:
    """Why a run that is not ready cannot be published, and what to do."""
    status = run.get_status_display().lower()
    if run.status == SchedulingRun.Status.FAILED:  # a failed run is not open: a new one is the way on
        return _(
            "The re-plan is %(status)s (%(message)s); only a ready re-plan can be published. Press “Re-plan now” "
            "for a new one."
        ) % {"status": status, "message": run.message}
    if run.status not in OPEN_RUNS:
        return _(
            "The re-plan is %(status)s; only a ready re-plan can be published. Press “Re-plan now” for a new one."
        ) % {"status": status}
    return _("The re-plan is %(status)s; only a ready re-plan can be published. Wait for it to finish.") % {
        "status": status
    }


@transaction.atomic
def disruption_close(*, disruption: Disruption, by: Actor) -> Disruption:
    """Close an open disruption with nothing to publish ("nothing to do"); a re-plan it had stays unpublished."""
    disruption = _locked(disruption)
    _need_open(disruption, "closed")
    disruption.status = Disruption.Status.CLOSED
    disruption.closed_at = timezone.now()
    disruption.closed_by = by if isinstance(by, User) else None
    instance_save(instance=disruption, by=by, action="planning.disruption.closed")
    return disruption


# --- Reads for the pages ---------------------------------------------------------------------------------------
def access_disruption(user: Any, pk: int) -> Disruption:
    """The disruption, for staff who may view disruptions; 404 for anyone else and for a missing one."""
    if not (user.is_authenticated and user.has_perm("planning.view_disruption")):
        raise Http404
    disruption = (
        Disruption.objects.select_related("event", "person__delegation__partner", "run", "closed_by")
        .filter(pk=pk)
        .first()
    )
    if disruption is None:
        raise Http404
    return disruption


def moved_meetings(run: SchedulingRun) -> list[dict[str, Any]]:
    """The rows of a run's proposal that change something (moved or newly placed) and the meetings it drops,
    with their current place, for the disruption page."""
    rows = [row for row in run.proposal if not row["unchanged"]]
    dropped = [row for row in run.unplaced if row["dropped"]]
    meetings = BilateralMeeting.objects.select_related("requester__partner", "counterpart__partner", "room__venue")
    found = meetings.in_bulk([row["meeting"] for row in [*rows, *dropped]])
    rooms = Room.objects.select_related("venue").in_bulk({row["room"] for row in rows})
    out = []
    for row in rows:
        meeting = found.get(row["meeting"])
        out.append(
            {
                "meeting": meeting,
                "pk": row["meeting"],
                "now_start": meeting.start if meeting else None,
                "now_end": meeting.end if meeting else None,
                "now_room": meeting.room if meeting else None,
                "start": dt.datetime.fromisoformat(row["start"]),
                "end": dt.datetime.fromisoformat(row["end"]),
                "room": rooms.get(row["room"]),
                "what": _("moves") if row["moved"] else _("newly placed"),
            }
        )
    lost = _("loses its place: %(reason)s")
    for row in dropped:
        meeting = found.get(row["meeting"])
        out.append({"meeting": meeting, "pk": row["meeting"], "now_start": meeting.start if meeting else None,
                    "now_end": meeting.end if meeting else None, "now_room": meeting.room if meeting else None,
                    "start": None, "end": None, "room": None, "what": lost % {"reason": row["reason"]}})  # fmt: skip
    return out
