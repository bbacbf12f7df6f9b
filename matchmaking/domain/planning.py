"""Planning the forum: the requests become a scheduling `Problem` for the CP-SAT solver the bilaterals use, a
Celery worker solves it (task `matchmaking.plan_forum`), the plan is stored as draft meetings to preview, and
publishing makes them the forum's meetings and tells both participants' liaisons.

The mapping (protocol/domain/scheduling.py's public names only):

- one `RoomSpec` per active table, all at one venue (the solver treats them as one interchangeable class);
- `slot` = the greatest common divisor of the forum slots' lengths and offsets, `fixed_starts` = the slots'
  starts, `days` = each day's first start to last end, `changeover = 0`, `buffer = 0`: a meeting takes exactly
  one forum slot;
- one `Request` per pair of participants (A → B and B → A together are one meeting), `people` = the two
  participants' pks, `busy` = each participant's unavailable slots.

Weights (the solver maximises their sum over placed meetings; documented in docs/matchmaking.md):

- a **mutual** pair (accepted by the other side, or both asked each other): `MUTUAL_BASE + MUTUAL_FACTOR ×
  priority` = 12 to 20, priority being the higher of the pair's;
- a **one-sided** request (still waiting for an answer), only when the run allows it: `ONE_SIDED_FACTOR ×
  priority` = 1 to 5. Any mutual meeting outweighs any one-sided one, and within each kind priority decides.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import partial, reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save, instances_create
from asemplanner.domain.notifications import notify_users
from asemplanner.domain.queue import enqueue_on_commit
from asemplanner.timeranges import fmt
from delegations.models import Delegation
from events.models import Event
from matchmaking.domain.forum import active_requests
from matchmaking.models import ForumMeeting, ForumRun, ForumSlot, MeetingRequest, MeetingTable, Participant
from protocol.domain.scheduling import Busy, Plan, Problem, Progress, Request, RoomSpec, solve

log = logging.getLogger(__name__)
PLAN_TASK = "matchmaking.plan_forum"
MUTUAL_BASE, MUTUAL_FACTOR, ONE_SIDED_FACTOR = 10, 2, 1
OPEN_RUNS = (ForumRun.Status.QUEUED, ForumRun.Status.RUNNING)
STALE_AFTER_SECONDS = 600
FORUM_VENUE = 0  # every table in one venue: no transfers between tables


def weight(priority: int, *, mutual: bool) -> int:
    return MUTUAL_BASE + MUTUAL_FACTOR * priority if mutual else ONE_SIDED_FACTOR * priority


@dataclass(frozen=True)
class Pair:
    """The meeting two participants asked for: the request it is kept under, and whether it is mutual."""

    request: MeetingRequest  # the pair's earliest active request
    first: Participant
    second: Participant
    priority: int
    mutual: bool

    @property
    def weight(self) -> int:
        return weight(self.priority, mutual=self.mutual)


def forum_pairs(event: Event, *, allow_one_sided: bool) -> list[Pair]:
    """The pairs to plan: every mutual pair, and the one-sided ones when allowed (one query)."""
    by_pair: dict[tuple[int, int], list[MeetingRequest]] = defaultdict(list)
    for request in active_requests(event).select_related("sender", "receiver").order_by("pk"):
        by_pair[min(request.sender_id, request.receiver_id), max(request.sender_id, request.receiver_id)].append(
            request
        )
    pairs = []
    for requests in by_pair.values():
        mutual = len(requests) > 1 or requests[0].status == MeetingRequest.Status.ACCEPTED
        if not (mutual or allow_one_sided):
            continue
        first = requests[0]
        pairs.append(Pair(first, first.sender, first.receiver, max(r.priority for r in requests), mutual))
    return pairs


def forum_problem(event: Event, pairs: list[Pair]) -> tuple[Problem, dict[int, ForumSlot], dict[int, MeetingTable]]:
    """The solver's problem for `pairs`, with the forum's slots and active tables (by pk)."""
    slots = list(ForumSlot.objects.filter(event=event).order_by("start"))
    tables = {t.pk: t for t in MeetingTable.objects.filter(event=event, active=True).order_by("label")}
    if not slots:
        raise ValidationError({"event": _("%(event)s has no forum slots; add slots first.") % {"event": event}})
    lengths = {int((s.end - s.start).total_seconds() // 60) for s in slots}
    if len(lengths) > 1:
        raise ValidationError(
            {"event": _("The forum's slots must all be as long (found %(lengths)s minutes); meetings last one slot.")
             % {"lengths": ", ".join(str(n) for n in sorted(lengths))}}
        )  # fmt: skip
    people = {p for pair in pairs for p in (pair.first.pk, pair.second.pk)}
    unavailable: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    through = Participant.unavailable.through
    for participant_id, start, end in through.objects.filter(
        participant_id__in=people, forumslot__event=event
    ).values_list("participant_id", "forumslot__start", "forumslot__end"):
        unavailable[participant_id].append((start, end))
    problem = problem_of(
        [
            (pair.request.pk, pair.first.pk, pair.second.pk, pair.weight, (str(pair.first), str(pair.second)))
            for pair in pairs
        ],
        slots=[(s.start, s.end) for s in slots],
        tables=[(t.pk, t.label) for t in tables.values()],
        unavailable=unavailable,
    )
    return problem, {s.pk: s for s in slots}, tables


def problem_of(
    meetings: list[tuple[int, int, int, int, tuple[str, str]]],
    *,
    slots: list[tuple[dt.datetime, dt.datetime]],
    tables: list[tuple[int, str]],
    unavailable: dict[int, list[tuple[dt.datetime, dt.datetime]]],
) -> Problem:
    """The pure mapping (no database; the benchmark uses it too): meetings as (key, participant, participant,
    weight, the two names), the forum's slots (all as long), its tables, each participant's unavailable slots."""
    length = int((slots[0][1] - slots[0][0]).total_seconds() // 60)
    tz = timezone.get_current_timezone()
    days: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for start, end in sorted(slots):
        days[start.astimezone(tz).date()].append((start, end))
    offsets = [int((s - group[0][0]).total_seconds() // 60) for group in days.values() for s, _e in group]
    grid = reduce(math.gcd, [length, *offsets])
    return Problem(
        requests=[
            Request(key=key, label=" – ".join(names), people=(a, b), priority=weight, duration=length, names=names)
            for key, a, b, weight, names in meetings
        ],
        rooms=[RoomSpec(pk=pk, venue=FORUM_VENUE, label=label) for pk, label in tables],
        days=[(group[0][0], group[-1][1]) for _day, group in sorted(days.items())],
        busy={
            p: [Busy(s, e, FORUM_VENUE, FORUM_VENUE, "unavailable") for s, e in sorted(spans)]
            for p, spans in unavailable.items()  # by start: the same problem whatever order the database gave
        },
        buffer=0,
        changeover=0,
        slot=grid,
        fixed_starts=frozenset(start for start, _end in slots),
    )


def unplaced_reason(pair: Pair, unavailable: dict[int, set[int]], slot_ids: set[int], tables: int) -> str:
    """Why a pair got no meeting, in the forum's words (the solver's reasons speak of bilaterals)."""
    if not tables:
        return _("The forum has no table in use.")
    common = slot_ids - unavailable.get(pair.first.pk, set()) - unavailable.get(pair.second.pk, set())
    if not common:
        return _("%(first)s and %(second)s have no slot in which both are available.") % {
            "first": pair.first,
            "second": pair.second,
        }
    return _(
        "Every slot both are available in is taken by their other meetings, or every table is full then "
        "(weight %(weight)s; higher weights went first)."
    ) % {"weight": pair.weight}


# --- Runs ------------------------------------------------------------------------------------------------------
def _stale_before() -> dt.datetime:
    """An open run requested before this has no worker on it any more (the solver's budget and a margin passed)."""
    return timezone.now() - dt.timedelta(seconds=settings.PLANNER_FORUM_SOLVER_SECONDS + STALE_AFTER_SECONDS)


def run_is_stale(run: ForumRun) -> bool:
    """An open run no worker will finish: the page offers a new run (which marks this one failed)."""
    return run.status in OPEN_RUNS and run.requested_at < _stale_before()


@transaction.atomic
def forum_run_start(*, event: Event, allow_one_sided: bool, by: Actor) -> ForumRun:
    """Queue a planning run for the forum (one at a time); a worker solves it once this commits."""
    Event.objects.select_for_update().filter(pk=event.pk).first()
    ForumRun.objects.filter(event=event, status__in=OPEN_RUNS, requested_at__lt=_stale_before()).update(
        status=ForumRun.Status.FAILED, progress=100, finished_at=timezone.now(), message="No worker finished this run."
    )
    running = ForumRun.objects.filter(event=event, status__in=OPEN_RUNS).first()
    if running is not None:
        raise ValidationError(
            {"event": _("A run for %(event)s is already %(status)s (started %(when)s); wait for it to finish.")
             % {"event": event, "status": running.get_status_display().lower(), "when": fmt(running.requested_at)}}
        )  # fmt: skip
    if not forum_pairs(event, allow_one_sided=allow_one_sided):
        raise ValidationError(
            {"allow_one_sided": _("%(event)s has no mutual meeting request to plan. Requests count once the other "
                                  "side accepts; to plan one-sided requests as well, tick “plan one-sided requests”.")
             % {"event": event}}
        )  # fmt: skip
    if not MeetingTable.objects.filter(event=event, active=True).exists():
        raise ValidationError(
            {"event": _("%(event)s has no meeting table in use; add tables first.") % {"event": event}}
        )
    run = ForumRun(
        event=event,
        allow_one_sided=allow_one_sided,
        requested_by=by if not isinstance(by, str) else None,
        message="Waiting for a worker.",
    )
    instance_save(instance=run, by=by, action="matchmaking.run.started")
    enqueue_on_commit(PLAN_TASK, args=[run.pk], on_failure=lambda: _broker_down(run.pk))
    return run


def _broker_down(run_id: int) -> None:
    ForumRun.objects.filter(pk=run_id, status__in=OPEN_RUNS).update(
        status=ForumRun.Status.FAILED,
        progress=100,
        finished_at=timezone.now(),
        message="The task queue could not be reached, so no worker got this run. Nothing was changed; start it again.",
    )


def forum_run_execute(run_id: int) -> ForumRun | None:
    """Solve a queued run (the Celery task's body): the plan becomes the forum's draft meetings, replacing the
    previous draft; what could not be placed is kept on the run with the reason."""
    claimed = ForumRun.objects.filter(pk=run_id, status=ForumRun.Status.QUEUED).update(
        status=ForumRun.Status.RUNNING, progress=5, message="Reading the requests."
    )
    if not claimed:
        log.info("forum run %s is not queued; nothing to do", run_id)
        return None
    run = ForumRun.objects.select_related("event").get(pk=run_id)
    seconds = settings.PLANNER_FORUM_SOLVER_SECONDS
    try:
        pairs = forum_pairs(run.event, allow_one_sided=run.allow_one_sided)
        problem, slots, tables = forum_problem(run.event, pairs)

        def progress(p: Progress) -> None:
            share = min(p.seconds / seconds, 1.0) if seconds else 1.0
            ForumRun.objects.filter(pk=run_id).update(
                progress=10 + int(85 * share),
                message=f"Searching: {p.solutions} plan(s), weighted value {p.objective} of at most {p.bound}",
            )

        plan = solve(
            problem,
            seconds=seconds,
            gap=settings.PLANNER_SCHEDULER_GAP,
            workers=settings.PLANNER_SCHEDULER_WORKERS,
            on_progress=progress,
        )
        _store_draft(run, plan, pairs, slots, tables)
    except Exception as exc:
        log.exception("forum run %s failed", run_id)
        ForumRun.objects.filter(pk=run_id).update(
            status=ForumRun.Status.FAILED,
            progress=100,
            finished_at=timezone.now(),
            # The type only: a database error's text can carry SQL and values, and this message is shown on the page.
            message=f"The run failed ({type(exc).__name__}); nothing was changed; the details are in the worker's log.",
        )
        return ForumRun.objects.get(pk=run_id)
    return ForumRun.objects.get(pk=run_id)


@transaction.atomic
@transaction.atomic
def _store_draft(
    run: ForumRun, plan: Plan, pairs: list[Pair], slots: dict[int, ForumSlot], tables: dict[int, MeetingTable]
) -> None:
    # The event's row orders this against a publish (which promotes drafts and deletes the published meetings).
    list(Event.objects.select_for_update().filter(pk=run.event_id).values_list("pk", flat=True))
    by_key = {pair.request.pk: pair for pair in pairs}
    slot_at = {s.start: s for s in slots.values()}
    ForumMeeting.objects.filter(event=run.event, status=ForumMeeting.Status.DRAFT).delete()
    ForumRun.objects.filter(event=run.event, status=ForumRun.Status.READY).exclude(pk=run.pk).update(
        status=ForumRun.Status.SUPERSEDED
    )
    meetings = [
        ForumMeeting(
            event=run.event,
            run=run,
            request=by_key[p.key].request,
            first=by_key[p.key].first,
            second=by_key[p.key].second,
            table=tables[p.room],
            slot=slot_at[p.start],
            mutual=by_key[p.key].mutual,
        )
        for p in plan.placed
    ]
    instances_create(instances=meetings, by="system:matchmaking", action="matchmaking.meeting.drafted")
    unavailable: dict[int, set[int]] = defaultdict(set)
    through = Participant.unavailable.through
    for participant_id, slot_id in through.objects.filter(forumslot__event=run.event).values_list(
        "participant_id", "forumslot_id"
    ):
        unavailable[participant_id].add(slot_id)
    run.unplaced = [
        {
            "request": key,
            "weight": by_key[key].weight,
            "mutual": by_key[key].mutual,
            "reason": unplaced_reason(by_key[key], unavailable, set(slots), len(tables)),
        }
        for key in sorted(plan.unplaced, key=lambda k: -by_key[k].weight)
    ]
    mutual = [pair for pair in pairs if pair.mutual]
    placed_mutual = sum(1 for p in plan.placed if by_key[p.key].mutual)
    run.figures = {
        "pairs": len(pairs),
        "placed": len(plan.placed),
        "mutual": len(mutual),
        "placed_mutual": placed_mutual,
        "objective": plan.objective,
        "bound": plan.bound,
        "gap": round(plan.gap, 4),
        "status": plan.status,
        "seconds": round(plan.seconds, 2),
    }
    run.status, run.progress, run.finished_at = ForumRun.Status.READY, 100, timezone.now()
    run.message = (
        f"{len(plan.placed)} of {len(pairs)} meeting(s) placed ({placed_mutual} of {len(mutual)} mutual), weighted "
        f"value {plan.objective} (bound {plan.bound}); solved in {plan.seconds:.1f} s."
    )[:300]
    instance_save(instance=run, by="system:matchmaking", action="matchmaking.run.ready")


# --- Publishing ------------------------------------------------------------------------------------------------
@transaction.atomic
def forum_run_publish(*, run: ForumRun, by: Actor) -> ForumRun:
    """The run's drafts become the forum's meetings (the previously published ones go); refused, with nothing
    changed, when the run is not ready or a request changed since. Each delegation's liaisons get one notice
    listing their participants' meetings, in their language."""
    # One draft store or publish of the event at a time (the event's row is the lock).
    list(Event.objects.select_for_update().filter(pk=run.event_id).values_list("pk", flat=True))
    run = ForumRun.objects.select_for_update().select_related("event").get(pk=run.pk)
    if run.status != ForumRun.Status.READY:
        raise ValidationError(
            {"status": _("This run is %(status)s; only a ready run can be published.")
             % {"status": run.get_status_display().lower()}}
        )  # fmt: skip
    drafts = list(
        ForumMeeting.objects.filter(run=run, status=ForumMeeting.Status.DRAFT).select_related(
            "request", "first__delegation", "second__delegation", "slot", "table"
        )
    )
    stale = [
        str(m.request)
        for m in drafts
        if m.request.status not in (MeetingRequest.Status.REQUESTED, MeetingRequest.Status.ACCEPTED)
        or not (m.first.active and m.second.active)
    ]
    if stale:
        raise ValidationError(
            {"status": _("Requests changed since this run (withdrawn, declined or inactive): %(changes)s. Plan the "
                         "forum again, then publish.") % {"changes": "; ".join(stale[:5])}}
        )  # fmt: skip
    ForumMeeting.objects.filter(event=run.event, status=ForumMeeting.Status.PUBLISHED).delete()
    ForumMeeting.objects.filter(pk__in=[m.pk for m in drafts]).update(status=ForumMeeting.Status.PUBLISHED)
    run.status, run.published_at = ForumRun.Status.PUBLISHED, timezone.now()
    instance_save(instance=run, by=by, action="matchmaking.run.published")
    ForumRun.objects.filter(event=run.event, status=ForumRun.Status.READY).exclude(pk=run.pk).update(
        status=ForumRun.Status.SUPERSEDED
    )
    _tell_liaisons(run, drafts)
    return run


def _tell_liaisons(run: ForumRun, meetings: list[ForumMeeting]) -> None:
    """One notice per delegation's liaison: how many meetings its participants have, with the agenda link."""
    counts: dict[int, int] = defaultdict(int)
    for meeting in meetings:
        for side in {meeting.first.delegation_id, meeting.second.delegation_id} - {None}:
            counts[side] += 1  # type: ignore[index]
    if not counts:
        return
    event = run.event
    base = settings.PLANNER_BASE_URL.rstrip("/")

    def send() -> None:
        delegations = Delegation.objects.filter(pk__in=list(counts)).prefetch_related("liaisons")
        for delegation in delegations:
            liaisons = list(delegation.liaisons.all())
            values = {"count": counts[delegation.pk], "event": event}
            notify_users(
                users=liaisons,
                topic=f"forum-plan:{run.pk}:{delegation.pk}",
                title=partial(_planned_title, values),
                body=partial(_planned_body, values),
                link=base + reverse("portal:forum", args=[delegation.pk]),
                mail=True,
            )

    transaction.on_commit(send)


def _planned_title(values: dict) -> str:
    return _("Your business forum meetings at %(event)s are planned") % values


def _planned_body(values: dict) -> str:
    return (
        _(
            "%(count)s one-to-one meeting(s) of your participants at %(event)s have a table and a "
            "slot. Each participant's agenda (PDF and calendar file) is in the portal."
        )
        % values
    )
