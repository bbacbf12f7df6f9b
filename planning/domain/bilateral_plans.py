"""Automatic bilateral scheduling for an event: a run is queued, solved by a Celery worker (progress on the
run row), previewed by staff and published, which places the meetings through the audited, validated
`bilateral_schedule` and tells both delegations' liaisons.

The problem is read from the database in a fixed number of queries (`problem_load`): the accepted requests
(and, for a re-plan, the scheduled ones with their current place), the bilateral rooms, and every other
commitment of the principals and the rooms from the conflict engine's `gather()`. Arrival and departure
become commitments at the airport, so the motorcade time from the airport and the buffer apply to the first
meeting of the day as to any other.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save
from asemplanner.domain.notifications import notify_users
from asemplanner.domain.queue import enqueue_on_commit
from asemplanner.i18n import languages_of, local_date, local_digits
from asemplanner.timeranges import fmt
from delegations.models import Delegation, Travel
from events.domain.conflicts import Commitment, Facts, Severity, find_clashes
from events.models import Event, Room
from planning.domain.conflict_checks import gather
from protocol.domain.bilaterals import bilateral_schedule, tell_liaisons
from protocol.domain.scheduling import (
    Busy,
    Placement,
    Plan,
    Problem,
    Progress,
    Request,
    RoomSpec,
    can_stay,
    candidates,
    solve,
)
from protocol.models import BilateralMeeting, BilateralWindow, SchedulingRun

log = logging.getLogger(__name__)
SCHEDULE_TASK = "planning.schedule_bilaterals"

ONE_MINUTE = dt.timedelta(minutes=1)


def bilateral_hours() -> tuple[dt.time, dt.time]:
    first, last = settings.PLANNER_BILATERAL_HOURS.split("-")
    return dt.time.fromisoformat(first), dt.time.fromisoformat(last)


def problem_load(
    event: Event, *, replan: bool = False, only: Iterable[int] | None = None, allow_moves: bool = False
) -> tuple[Problem, dict[int, BilateralMeeting]]:
    """The event's scheduling problem. A plan places the accepted requests around everything already fixed;
    a re-plan also takes the scheduled (not yet held) meetings, with their current place to keep if it can.

    `only` (meeting pks) scopes it: the requests are just those meetings (accepted, and for a re-plan also
    scheduled ones); every other scheduled meeting of the event is a fixed, busy commitment of its principals
    and its room, exactly like a session. With `allow_moves`, for each scoped meeting that has no place at all
    around that fixed programme, the scope grows by the scheduled meetings whose moving could make room for it,
    and no others:

    - the scheduled meetings of the scoped meetings' principals (moving one frees the principal's time), and
    - the scheduled meetings holding a bilateral room (with the changeover) at a time when a scoped meeting
      could take that room if it were free of bilaterals: both principals free and in town, inside its
      preferred windows (the solver's own candidates, computed with the rooms cleared of bilaterals).

    Those come with their current place (`previous`), so the solver moves as few of them as it can; one that
    could not stay where it is now (off the start grid, or already in a flagged clash) stays fixed instead."""
    commitments, facts = gather()
    statuses = [BilateralMeeting.Status.ACCEPTED]
    if replan:
        statuses.append(BilateralMeeting.Status.SCHEDULED)
    meetings = _meetings(BilateralMeeting.objects.filter(event=event, status__in=statuses), only)
    if only is not None and allow_moves:
        # Only a request with no place at all around the fixed programme needs anything to move.
        options = candidates(_assemble(event, meetings, commitments, facts)).options
        needy = {pk: m for pk, m in meetings.items() if not options.get(pk)}
        movable = _movable(event, needy, commitments, facts) if needy else {}
        # A published meeting that could not stay where it is even now (off the start grid, or in a clash the
        # engine has flagged) is left alone: making room for a new request is no reason to move it.
        stuck = set(movable) - can_stay(_assemble(event, meetings | movable, commitments, facts)) if movable else set()
        meetings |= {pk: m for pk, m in movable.items() if pk not in stuck}
    return _assemble(event, meetings, commitments, facts), meetings


def _meetings(queryset: QuerySet[BilateralMeeting], pks: Iterable[int] | None) -> dict[int, BilateralMeeting]:
    if pks is not None:
        queryset = queryset.filter(pk__in=list(pks))
    return {m.pk: m for m in queryset.select_related("requester__partner", "counterpart__partner")}


def _movable(
    event: Event, scope: dict[int, BilateralMeeting], commitments: list[Commitment], facts: Facts
) -> dict[int, BilateralMeeting]:
    """The scheduled meetings outside `scope` that a move could make room for it with (see `problem_load`)."""
    scheduled = BilateralMeeting.objects.filter(event=event, status=BilateralMeeting.Status.SCHEDULED).exclude(
        pk__in=list(scope)
    )
    # `scope` here: the scoped meetings that found no place; those that did need nothing moved.
    heads = {p for m in scope.values() for p in (m.requester.head_id, m.counterpart.head_id) if p is not None}
    sharing = _meetings(scheduled.filter(Q(requester__head_id__in=heads) | Q(counterpart__head_id__in=heads)), None)
    probe = _assemble(event, scope | sharing, commitments, facts, rooms_hold_bilaterals=False)
    cands = candidates(probe)
    pad = dt.timedelta(minutes=probe.changeover)
    wanted: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)  # room → spans a scoped one could use
    for key in scope:
        length = dt.timedelta(minutes=cands.grid.minutes * cands.slots[key])
        for c, first in cands.options.get(key, ()):
            start = cands.grid.starts[first]
            for index in cands.classes[c].rooms:
                wanted[probe.rooms[index].pk].append((start - pad, start + length + pad))
    blocking = {
        int(item.key.split(":", 1)[1])
        for item in commitments
        if item.key.startswith("bilateral:")
        and item.room_id in wanted
        and any(item.start < end and start < item.end for start, end in wanted[item.room_id])
    }
    return sharing | _meetings(scheduled.exclude(pk__in=list(sharing)), blocking)


def _assemble(
    event: Event,
    meetings: dict[int, BilateralMeeting],
    commitments: list[Commitment],
    facts: Facts,
    *,
    rooms_hold_bilaterals: bool = True,
) -> Problem:
    """The `Problem` for `meetings` (the requests; the scheduled ones among them keep their place if they can)
    around every other commitment. `rooms_hold_bilaterals=False` leaves the rooms free of other bilaterals (to
    ask where a meeting could go if they moved)."""
    windows: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for meeting_id, start, end in BilateralWindow.objects.filter(meeting__in=list(meetings)).values_list(
        "meeting_id", "start", "end"
    ):
        windows[meeting_id].append((start, end))
    requests = [
        Request(
            key=m.pk,
            label=f"{m.requester.partner} – {m.counterpart.partner}",
            people=(m.requester.head_id, m.counterpart.head_id),
            priority=m.priority,
            duration=m.duration_minutes,
            windows=tuple(windows[m.pk]),
            names=(m.requester.partner.name, m.counterpart.partner.name),
        )
        for m in meetings.values()
    ]
    previous = {
        m.pk: Placement(m.pk, m.room_id, m.start, m.end)
        for m in meetings.values()
        # A scheduled bilateral has a room, a start and an end (a database constraint); the checks say so to mypy.
        if m.status == BilateralMeeting.Status.SCHEDULED
        and m.room_id is not None
        and m.start is not None
        and m.end is not None
    }
    planned = {f"bilateral:{pk}" for pk in meetings}
    principals = {p for r in requests for p in r.people if p is not None}
    rooms = list(Room.objects.filter(kind=Room.Kind.BILATERAL).select_related("venue"))
    room_ids = {room.pk for room in rooms}
    busy: dict[int, list[Busy]] = defaultdict(list)
    room_busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for item in commitments:
        if item.key in planned:
            continue
        for person in principals.intersection(item.people):
            busy[person].append(Busy(item.start, item.end, item.venue_id, item.end_venue_id, item.label))
        if item.room_id in room_ids and (rooms_hold_bilaterals or not item.key.startswith("bilateral:")):
            room_busy[item.room_id].append((item.start, item.end))
    for room_id in room_ids:  # a room out of service is busy then (events.RoomOutage)
        room_busy[room_id].extend((outage.start, outage.end) for outage in facts.outages.get(room_id, ()))
    earliest, latest = {}, {}
    travel = Travel.objects.filter(person_id__in=principals).values_list(
        "person_id", "arrival_at", "arrival_airport_id", "departure_at", "departure_airport_id"
    )
    for person, arrival, airport_in, departure, airport_out in travel:
        if arrival is not None:
            earliest[person] = arrival
            busy[person].append(Busy(arrival - ONE_MINUTE, arrival, airport_in, airport_in, "arrival"))
        if departure is not None:
            latest[person] = departure
            busy[person].append(Busy(departure, departure + ONE_MINUTE, airport_out, airport_out, "departure"))
    tz = timezone.get_current_timezone()
    opens, closes = bilateral_hours()
    days = []
    day = event.start_date
    while day <= event.end_date:
        days.append((dt.datetime.combine(day, opens, tzinfo=tz), dt.datetime.combine(day, closes, tzinfo=tz)))
        day += dt.timedelta(days=1)
    problem = Problem(
        requests=requests,
        rooms=[
            RoomSpec(
                pk=room.pk,
                venue=room.venue_id,
                label=str(room),
                busy=tuple(room_busy[room.pk]),
                opens_at=room.opens_at,
                closes_at=room.closes_at,
            )
            for room in rooms
        ],
        days=days,
        busy=dict(busy),
        earliest=earliest,
        latest=latest,
        transfer=dict(facts.transfer_minutes),
        buffer=facts.buffer_minutes,
        changeover=settings.PLANNER_BILATERAL_CHANGEOVER_MINUTES,
        previous=previous,
    )
    return problem


# --- Runs ------------------------------------------------------------------------------------------------------
OPEN_RUNS = (SchedulingRun.Status.QUEUED, SchedulingRun.Status.RUNNING)
STALE_AFTER_SECONDS = 600  # beyond the solver's own time limit


@transaction.atomic
def scheduling_run_start(
    *, event: Event, kind: str, by: Actor, only: list[int] | None = None, allow_moves: bool = True
) -> SchedulingRun:
    """Queue a run for `event` (one at a time per event); a Celery worker solves it once this commits. `only`
    scopes a re-plan or short-notice run to those meetings; `allow_moves` lets published meetings outside the
    scope move when that makes room (see `problem_load`)."""
    Event.objects.select_for_update().filter(pk=event.pk).first()  # one start at a time per event
    if kind not in SchedulingRun.Kind.values:
        raise ValidationError(
            {
                "kind": _("Unknown kind %(kind)s; choose one of %(kinds)s.")
                % {"kind": repr(kind), "kinds": ", ".join(SchedulingRun.Kind.values)}
            }
        )
    # A run no worker finished well past its time limit (the worker died) no longer holds the event.
    stale_before = timezone.now() - dt.timedelta(seconds=settings.PLANNER_SCHEDULER_SECONDS + STALE_AFTER_SECONDS)
    SchedulingRun.objects.filter(event=event, status__in=OPEN_RUNS, requested_at__lt=stale_before).update(
        status=SchedulingRun.Status.FAILED,
        progress=100,
        finished_at=timezone.now(),
        message="No worker finished this run in time (is the Celery worker running?). Nothing was changed.",
    )
    running = SchedulingRun.objects.filter(event=event, status__in=OPEN_RUNS).first()
    if running is not None:
        raise ValidationError(
            {"kind": _("A run for %(event)s is already %(status)s (started %(when)s). Wait for it to finish, then "
                       "preview it.")
             % {"event": event, "status": running.get_status_display().lower(), "when": fmt(running.requested_at)}}
        )  # fmt: skip
    waiting = BilateralMeeting.objects.filter(event=event, status=BilateralMeeting.Status.ACCEPTED).count()
    placed = BilateralMeeting.objects.filter(event=event, status=BilateralMeeting.Status.SCHEDULED).count()
    if kind == SchedulingRun.Kind.PLAN and not waiting:
        raise ValidationError(
            {"kind": _("%(event)s has no accepted bilateral waiting for a place. Requests must be accepted by the "
                       "invited delegation first; to move scheduled ones after a disruption, choose a re-plan.")
             % {"event": event}}
        )  # fmt: skip
    if kind == SchedulingRun.Kind.REPLAN and not (waiting or placed):
        raise ValidationError(
            {"kind": _("%(event)s has no scheduled or accepted bilateral to re-plan.") % {"event": event}}
        )
    if kind == SchedulingRun.Kind.SHORT_NOTICE and not only:
        raise ValidationError(
            {"kind": _("A short-notice run places one accepted request: use “Place now (short notice)” on it.")}
        )
    run = SchedulingRun(
        event=event,
        kind=kind,
        requested_by=by if not isinstance(by, str) else None,
        only=sorted(only or []),
        allow_moves=allow_moves,
    )
    run.message = "Waiting for a worker."
    instance_save(instance=run, by=by, action="protocol.scheduling.started")

    enqueue_on_commit(SCHEDULE_TASK, args=[run.pk], on_failure=lambda: _broker_down(run.pk))
    return run


def _broker_down(run_id: int) -> None:
    # The run has committed but no worker will ever hear of it: say so at once rather than after the time limit.
    SchedulingRun.objects.filter(pk=run_id, status__in=OPEN_RUNS).update(
        status=SchedulingRun.Status.FAILED,
        progress=100,
        finished_at=timezone.now(),
        message="The task queue could not be reached, so no worker got this run. Nothing was changed; start it again.",
    )


def _progress_writer(run: SchedulingRun, seconds: float):
    def write(progress: Progress) -> None:
        share = min(progress.seconds / seconds, 1.0) if seconds else 1.0
        message = f"Searching: {progress.solutions} improving plan(s) found"
        if progress.solutions:
            message += f", priority-weighted value {progress.objective}"
            if progress.bound:
                message += f" of at most {progress.bound}"
        SchedulingRun.objects.filter(pk=run.pk).update(progress=10 + int(85 * share), message=message[:300])

    return write


def scheduling_run_execute(run_id: int) -> SchedulingRun | None:
    """Solve a queued run (the Celery task's body). Progress and the result land on the run row."""
    claimed = SchedulingRun.objects.filter(pk=run_id, status=SchedulingRun.Status.QUEUED).update(
        status=SchedulingRun.Status.RUNNING, progress=5, message="Reading the programme and the requests."
    )
    if not claimed:
        log.info("scheduling run %s is not queued; nothing to do", run_id)
        return None
    run = SchedulingRun.objects.select_related("event").get(pk=run_id)
    try:
        scoped = run.kind in (SchedulingRun.Kind.REPLAN, SchedulingRun.Kind.SHORT_NOTICE) and bool(run.only)
        problem, meetings = problem_load(
            run.event,
            replan=run.kind == SchedulingRun.Kind.REPLAN,
            only=run.only if scoped else None,
            allow_moves=scoped and run.allow_moves,
        )
        short = run.kind == SchedulingRun.Kind.SHORT_NOTICE
        problem.place_first = short
        seconds = settings.PLANNER_SHORT_NOTICE_SECONDS if short else settings.PLANNER_SCHEDULER_SECONDS
        plan = solve(
            problem,
            seconds=seconds,
            gap=settings.PLANNER_SCHEDULER_GAP,
            workers=settings.PLANNER_SCHEDULER_WORKERS,
            on_progress=_progress_writer(run, seconds),
        )
    except Exception as exc:
        log.exception("scheduling run %s failed", run_id)
        SchedulingRun.objects.filter(pk=run_id).update(
            status=SchedulingRun.Status.FAILED,
            progress=100,
            finished_at=timezone.now(),
            message=f"The run failed ({type(exc).__name__}); see the worker log. Nothing was changed."[:300],
        )
        return SchedulingRun.objects.get(pk=run_id)
    run.proposal, run.unplaced, run.figures = plan_json(plan, meetings)
    run.status = SchedulingRun.Status.READY
    run.progress = 100
    run.finished_at = timezone.now()
    run.message = plan_summary(plan, len(problem.requests))[:300]
    instance_save(instance=run, by="system:scheduler", action="protocol.scheduling.ready")
    return run


def plan_summary(plan: Plan, total: int) -> str:
    text = f"{len(plan.placed)} of {total} meeting(s) placed, priority-weighted value {plan.objective}"
    text += f" (proven bound {plan.bound}, gap {plan.gap:.1%})" if plan.bound else ""
    if plan.moved:
        text += f"; {len(plan.moved)} scheduled meeting(s) move"
    return text + f"; solved in {plan.seconds:.1f} s."


def plan_json(plan: Plan, meetings: dict[int, BilateralMeeting]) -> tuple[list, list, dict]:
    moved = set(plan.moved)
    proposal = [
        {
            "meeting": p.key,
            "room": p.room,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "moved": p.key in moved,
            "unchanged": meetings[p.key].status == BilateralMeeting.Status.SCHEDULED and p.key not in moved,
        }
        for p in sorted(plan.placed, key=lambda p: (p.start, p.room))
    ]
    unplaced = [
        {"meeting": key, "reason": reason, "dropped": key in moved}
        for key, reason in sorted(plan.unplaced.items(), key=lambda item: -meetings[item[0]].priority)
    ]
    figures = {
        "placed": len(plan.placed),
        "requests": len(plan.placed) + len(plan.unplaced),
        "objective": plan.objective,
        "bound": plan.bound,
        "gap": round(plan.gap, 4),
        "status": plan.status,
        "seconds": round(plan.seconds, 2),
        "moved": len(plan.moved),
        "candidates": plan.candidates,
    }
    return proposal, unplaced, figures


# --- Publishing ------------------------------------------------------------------------------------------------
NOTIFY_PER_MEETING, NOTIFY_PER_LIAISON = "per_meeting", "per_liaison"


@transaction.atomic
def scheduling_run_publish(*, run: SchedulingRun, by: Actor, notify: str = NOTIFY_PER_MEETING) -> SchedulingRun:
    """Place the proposal. Refused, with nothing changed, when the run is not ready, when a meeting changed
    since the run, or when the placed meetings would break a hard rule (the conflict engine re-checks).

    `notify` says how the liaisons hear of it: one notice per meeting and side (the scheduling page), or
    `"per_liaison"`, one notice per liaison listing all their delegation's placed, moved or dropped meetings
    (a disruption's re-plan, where one delegation may see several meetings move at once)."""
    if notify not in (NOTIFY_PER_MEETING, NOTIFY_PER_LIAISON):
        raise ValueError(f"notify must be {NOTIFY_PER_MEETING!r} or {NOTIFY_PER_LIAISON!r}, not {notify!r}")
    run = SchedulingRun.objects.select_for_update().select_related("event").get(pk=run.pk)
    if run.status != SchedulingRun.Status.READY:
        raise ValidationError({"status": _("This run is %(status)s; only a ready run can be published.")
                                         % {"status": run.get_status_display().lower()}})  # fmt: skip
    keys = [row["meeting"] for row in run.proposal] + [row["meeting"] for row in run.unplaced if row["dropped"]]
    meetings = {
        m.pk: m
        for m in BilateralMeeting.objects.select_for_update(of=("self",))
        .filter(pk__in=keys)
        .select_related("requester__partner", "counterpart__partner", "room__venue", "event")
    }
    stale = [
        str(m)
        for m in meetings.values()
        if m.status not in (BilateralMeeting.Status.ACCEPTED, BilateralMeeting.Status.SCHEDULED)
        or (m.status == BilateralMeeting.Status.SCHEDULED and run.kind == SchedulingRun.Kind.PLAN)
    ] + [_("meeting %(pk)s (deleted)") % {"pk": key} for key in keys if key not in meetings]
    if stale:
        raise ValidationError(
            {"status": _("The bilaterals changed since this run: %(changes)s. Run the scheduler again and publish "
                         "the new proposal.") % {"changes": "; ".join(stale[:5])}}
        )  # fmt: skip
    changing = [row for row in run.proposal if not row["unchanged"]]
    # Move out first, then in: no meeting is placed on a slot another still holds.
    for row in [*changing, *[r for r in run.unplaced if r["dropped"]]]:
        meeting = meetings[row["meeting"]]
        if meeting.status == BilateralMeeting.Status.SCHEDULED:
            meeting.status, meeting.room, meeting.start, meeting.end = (
                BilateralMeeting.Status.ACCEPTED,
                None,
                None,
                None,
            )
            instance_save(instance=meeting, by=by, action="protocol.bilateral.unscheduled")
    rooms = {room.pk: room for room in Room.objects.filter(pk__in={row["room"] for row in changing})}
    for row in changing:
        meeting = meetings[row["meeting"]]
        try:
            bilateral_schedule(
                meeting=meeting, room=rooms[row["room"]], start=dt.datetime.fromisoformat(row["start"]), by=by
            )
        except ValidationError as exc:
            raise ValidationError(
                {"status": _("%(meeting)s cannot be placed as proposed: %(why)s Run the scheduler again.")
                 % {"meeting": meeting, "why": " ".join(exc.messages)}}
            ) from exc  # fmt: skip
    _check_hard_rules(run, {f"bilateral:{row['meeting']}" for row in changing})
    run.status = SchedulingRun.Status.PUBLISHED
    run.published_at = timezone.now()
    run.published_by = by if not isinstance(by, str) else None
    instance_save(instance=run, by=by, action="protocol.scheduling.published")
    SchedulingRun.objects.filter(event=run.event, status=SchedulingRun.Status.READY).exclude(pk=run.pk).update(
        status=SchedulingRun.Status.SUPERSEDED
    )
    if notify == NOTIFY_PER_LIAISON:
        _tell_each_liaison_once(run, meetings, rooms)
        return run
    for row in changing:
        meeting = meetings[row["meeting"]]
        room = rooms[row["room"]]
        start, end = meeting.start, meeting.end
        if start is None or end is None:  # bilateral_schedule() above has just set both
            raise ValueError(f"{meeting} was scheduled without a start and end.")
        verb = "moved" if row["moved"] else "scheduled"
        for side, other in ((meeting.requester, meeting.counterpart), (meeting.counterpart, meeting.requester)):
            render = partial(_placed_notice, meeting=meeting, other=other, room=room, moved=row["moved"])
            tell_liaisons(meeting, side, verb=f"{verb}:{run.pk}", **_title_and_body(render))
    for row in run.unplaced:
        if row["dropped"]:
            meeting = meetings[row["meeting"]]
            for side, other in ((meeting.requester, meeting.counterpart), (meeting.counterpart, meeting.requester)):
                render = partial(_dropped_notice, meeting=meeting, other=other, reason=row["reason"])
                tell_liaisons(meeting, side, verb=f"unscheduled:{run.pk}", **_title_and_body(render))
    return run


def _title_and_body(render: Callable[[], tuple[str, str]]) -> dict[str, Callable[[], str]]:
    """A (title, body) renderer as the two functions a notice takes, each worded in the recipient's language."""
    return {"title": lambda: render()[0], "body": lambda: render()[1]}


def _placed_notice(*, meeting: BilateralMeeting, other: Delegation, room: Room, moved: bool) -> tuple[str, str]:
    """A liaison's notice of one placed or moved bilateral (title, body) in the active language."""
    if meeting.start is None or meeting.end is None:
        raise ValueError(f"{meeting} was scheduled without a start and end.")
    values = {"partner": other.partner, "when": _when(meeting.start, meeting.end), "event": meeting.event, "room": room}
    if moved:
        title = _("Bilateral with %(partner)s moved: %(when)s") % values
        body = (
            _(
                "Your bilateral meeting with %(partner)s at %(event)s is moved to %(when)s in %(room)s. It is in your "
                "delegation's programme."
            )
            % values
        )
    else:
        title = _("Bilateral with %(partner)s scheduled: %(when)s") % values
        body = (
            _(
                "Your bilateral meeting with %(partner)s at %(event)s is scheduled to %(when)s in %(room)s. It is in "
                "your delegation's programme."
            )
            % values
        )
    return title[:200], body


def _dropped_notice(*, meeting: BilateralMeeting, other: Delegation, reason: str) -> tuple[str, str]:
    """A liaison's notice of a bilateral the re-plan could not keep (title, body) in the active language."""
    values = {"partner": other.partner, "event": meeting.event, "reason": reason}
    title = _("Bilateral with %(partner)s no longer scheduled") % values
    body = (
        _(
            "After a change in the programme, your bilateral with %(partner)s at %(event)s no longer fits: %(reason)s "
            "The protocol office will contact you."
        )
        % values
    )
    return title[:200], body


def _when(start: dt.datetime, end: dt.datetime) -> str:
    tz = timezone.get_current_timezone()
    return f"{local_date(start.astimezone(tz), 'D d M H:i')}–{local_date(end.astimezone(tz), 'H:i')}"


def _tell_each_liaison_once(run: SchedulingRun, meetings: dict[int, BilateralMeeting], rooms: dict[int, Room]) -> None:
    """One notice per liaison (once the publication commits) listing every meeting of their delegation(s) that
    this run placed, moved or dropped: a liaison whose delegation has three moved meetings reads one notice."""
    # What each line says, written in each liaison's language when the notice is made: (moved | scheduled |
    # dropped, partner, start, end, room, reason).
    lines: dict[Delegation, list[tuple]] = defaultdict(list)
    for row in run.proposal:
        if row["unchanged"]:
            continue
        meeting = meetings[row["meeting"]]
        what = "moved" if row["moved"] else "scheduled"
        start, end = dt.datetime.fromisoformat(row["start"]), dt.datetime.fromisoformat(row["end"])
        for side, other in ((meeting.requester, meeting.counterpart), (meeting.counterpart, meeting.requester)):
            lines[side].append((what, str(other.partner), start, end, str(rooms[row["room"]]), ""))
    for row in run.unplaced:
        if row["dropped"]:
            meeting = meetings[row["meeting"]]
            for side, other in ((meeting.requester, meeting.counterpart), (meeting.counterpart, meeting.requester)):
                lines[side].append(("dropped", str(other.partner), None, None, "", row["reason"]))
    if not lines:
        return
    by_liaison: dict[int, tuple[User, dict[Delegation, list[tuple]]]] = {}
    for delegation, mine in lines.items():
        for liaison in delegation.liaisons.all():
            by_liaison.setdefault(liaison.pk, (liaison, {}))[1][delegation] = mine
    event = run.event
    base = settings.PLANNER_BASE_URL.rstrip("/")
    short = run.kind == SchedulingRun.Kind.SHORT_NOTICE

    def send() -> None:
        languages = languages_of(by_liaison)
        for liaison_id, (liaison, theirs) in by_liaison.items():
            with translation.override(languages[liaison_id]):
                text = []
                for delegation, mine in theirs.items():
                    said = [_replan_line(line) for line in mine]
                    text += [f"{delegation.partner}:", *said] if len(theirs) > 1 else said
                count = sum(len(mine) for mine in theirs.values())
                values = {"count": local_digits(count), "event": event, "lines": "\n".join(text)}
                if short:
                    title = _("%(count)s bilateral meeting(s) changed at short notice at %(event)s") % values
                    body = (
                        _(
                            "Your bilateral meetings changed at short notice:\n%(lines)s\nThey are in your "
                            "delegation's programme."
                        )
                        % values
                    )
                else:
                    title = _("%(count)s bilateral meeting(s) changed after a programme change at %(event)s") % values
                    body = (
                        _(
                            "Your bilateral meetings changed after a change in the programme:\n%(lines)s\nThey are in "
                            "your delegation's programme."
                        )
                        % values
                    )
            notify_users(
                users=[liaison],
                topic=f"replan:{run.pk}",
                title=title[:200],
                body=body,
                link=base + reverse("portal:bilaterals", args=[next(iter(theirs)).pk]),
                mail=True,
            )

    transaction.on_commit(send)


def _replan_line(line: tuple) -> str:
    """One meeting of a liaison's re-plan notice, in the active language."""
    what, partner, start, end, room, reason = line
    if what == "dropped":
        return _("- With %(partner)s: no longer scheduled (%(reason)s). The protocol office will contact you.") % {
            "partner": partner,
            "reason": reason,
        }
    values = {"partner": partner, "when": _when(start, end), "room": room}
    if what == "moved":
        return _("- With %(partner)s: moved to %(when)s in %(room)s.") % values
    return _("- With %(partner)s: scheduled for %(when)s in %(room)s.") % values


def _check_hard_rules(run: SchedulingRun, keys: set[str]) -> None:
    commitments, facts = gather()
    mine = [c for c in commitments if c.key in keys]
    resources = {resource for c in mine for resource in c.resources()}
    broken = [
        clash
        for clash in find_clashes(commitments, facts, resources=resources)
        if clash.severity == Severity.ERROR and (clash.first in keys or clash.second in keys)
    ]
    if broken:
        raise ValidationError(
            {"status": _("Publishing would break a hard rule: %(clashes)s Nothing was changed; run the scheduler "
                         "again.") % {"clashes": " ".join(c.message for c in broken[:3])}}
        )  # fmt: skip
