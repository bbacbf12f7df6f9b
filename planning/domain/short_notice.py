"""Short-notice bilaterals: a request both delegations accepted today, placed by the scheduler around the
published programme and published at once.

1. `short_notice_start` (staff's "Place now (short notice)" on an accepted request) queues a `SHORT_NOTICE`
   scheduling run scoped to that meeting (`only`). Without `allow_moves` every scheduled (published) meeting is a
   fixed commitment and nothing else can move; with it, the few published meetings whose moving could make room
   (see `problem_load`) may move, and the solver's place-first objective moves as few as it must.
2. A Celery worker solves it within `PLANNER_SHORT_NOTICE_SECONDS` (5 s by default) — the same task and run page
   as any scheduling run, so staff watch its progress and preview the proposal (new, moves, stays).
3. `short_notice_publish` places it through the existing `scheduling_run_publish` (the conflict engine re-checks
   the hard rules under the meetings' locks) after refusing a run that went stale: any bilateral of the event
   written, or a principal's travel moved, since the run read the programme. Each liaison of both delegations
   (and of the delegations of any moved meeting) reads one notice.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor
from asemplanner.timeranges import fmt
from events.models import Event
from planning.domain.bilateral_plans import NOTIFY_PER_LIAISON, scheduling_run_publish, scheduling_run_start
from planning.domain.disruptions import run_stale_reasons
from protocol.models import BilateralMeeting, SchedulingRun


@transaction.atomic
def short_notice_start(*, meeting: BilateralMeeting, allow_moves: bool, by: Actor) -> SchedulingRun:
    """Queue the short-notice placement of an accepted request. Refused, with nothing changed, when the meeting
    is not accepted (or is already scheduled), or while another scheduling run of its event is open."""
    Event.objects.select_for_update().filter(pk=meeting.event_id).first()  # one start at a time per event
    meeting = (
        BilateralMeeting.objects.select_for_update(of=("self",))
        .select_related("requester__partner", "counterpart__partner", "room__venue", "event")
        .get(pk=meeting.pk)
    )
    if meeting.status == BilateralMeeting.Status.SCHEDULED:
        if meeting.start and meeting.room:
            refusal = _(
                "%(meeting)s is already scheduled for %(when)s in %(room)s. A short-notice placement is for an "
                "accepted request without a place; to move a scheduled meeting, edit it or re-plan the event."
            ) % {"meeting": meeting, "when": fmt(meeting.start), "room": meeting.room}
        else:
            refusal = _(
                "%(meeting)s is already scheduled. A short-notice placement is for an accepted request without a "
                "place; to move a scheduled meeting, edit it or re-plan the event."
            ) % {"meeting": meeting}
        raise ValidationError({"meeting": refusal})
    if meeting.status != BilateralMeeting.Status.ACCEPTED:
        raise ValidationError(
            {"meeting": _("%(meeting)s is %(status)s; only a request accepted by %(partner)s can be placed at "
                          "short notice.")
             % {"meeting": meeting, "status": meeting.get_status_display().lower(),
                "partner": meeting.counterpart.partner}}
        )  # fmt: skip
    try:
        return scheduling_run_start(
            event=meeting.event,
            kind=SchedulingRun.Kind.SHORT_NOTICE,
            by=by,
            only=[meeting.pk],
            allow_moves=allow_moves,
        )
    except ValidationError as exc:
        raise ValidationError({"meeting": " ".join(exc.messages)}) from exc


@transaction.atomic
def short_notice_publish(*, run: SchedulingRun, by: Actor) -> SchedulingRun:
    """Publish a ready short-notice run: refused, with nothing changed, when it is not a ready short-notice run,
    when it placed nothing, or when the programme changed since it was computed. Liaisons are told once each."""
    run = SchedulingRun.objects.select_for_update().select_related("event").get(pk=run.pk)
    if run.kind != SchedulingRun.Kind.SHORT_NOTICE:
        raise ValueError(f"Run {run.pk} is a {run.get_kind_display().lower()} run, not a short-notice one.")
    if run.status != SchedulingRun.Status.READY:
        raise ValidationError(
            {"status": _("This short-notice run is %(status)s; only a ready one can be published.")
             % {"status": run.get_status_display().lower()}}
        )  # fmt: skip
    if not any(row["meeting"] in run.only and not row["unchanged"] for row in run.proposal):
        reasons = "; ".join(row["reason"] for row in run.unplaced if row["meeting"] in run.only)
        raise ValidationError(
            {"status": _("The scheduler found no place for the request: %(reasons)s Nothing to publish; allow moving "
                         "published meetings, or change the request, and place it again.")
             % {"reasons": reasons or _("no reason given")}}
        )  # fmt: skip
    stale = run_stale_reasons(run)
    if stale:
        raise ValidationError(
            {"status": _("The programme changed since this placement was computed: %(changes)s. Place it again and "
                         "publish the new proposal. Nothing was changed.") % {"changes": "; ".join(stale[:5])}}
        )  # fmt: skip
    return scheduling_run_publish(run=run, by=by, notify=NOTIFY_PER_LIAISON)
