"""Drill: a short-notice bilateral placed without moving published meetings.

On the first day of the seeded summit Cambodia's head asks Viet Nam's for a bilateral that afternoon (a preferred
window 13:00–20:00); Viet Nam accepts — both through the protocol domain functions the portal uses. Staff then
press "Place now (short notice)" without allowing moves: the short-notice run (eager: the drill is its own worker)
places it around the published meetings, and staff publish it. The report: the new meeting placed, no published
meeting moved, each liaison of both delegations told once (one notice per liaison), nothing left unflagged.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from delegations.models import Delegation
from events.models import Event
from planning.domain.drills.base import DRILL_ACTOR, NOT_SEEDED, DrillReport, Watch, liaison_usernames, seeded_summit
from planning.domain.short_notice import short_notice_publish, short_notice_start
from protocol.domain.bilaterals import bilateral_accept, bilateral_request
from protocol.models import BilateralMeeting, SchedulingRun

PAIR = ("KHM", "VNM")  # the host and a neighbour: no open bilateral between them in the seed
AFTERNOON = (dt.time(13, 0), dt.time(20, 0))
ACTIVE = (BilateralMeeting.Status.REQUESTED, BilateralMeeting.Status.ACCEPTED, BilateralMeeting.Status.SCHEDULED)


def _pair(summit: Event) -> tuple[Delegation, Delegation] | None:
    """Cambodia and Viet Nam; failing that (a changed seed), the first two delegations with heads and no open
    bilateral between them, those with liaisons first."""
    delegations = list(
        Delegation.objects.filter(event=summit, head__isnull=False)
        .select_related("partner", "head")
        .order_by("partner__code")
    )
    by_code = {d.partner.code: d for d in delegations}
    busy_pairs = {
        frozenset(pair)
        for pair in BilateralMeeting.objects.filter(event=summit, status__in=ACTIVE).values_list(
            "requester_id", "counterpart_id"
        )
    }
    preferred = [by_code.get(code) for code in PAIR]
    if all(preferred) and frozenset(d.pk for d in preferred if d) not in busy_pairs:
        return preferred[0], preferred[1]  # type: ignore[return-value]
    with_liaisons = set(Delegation.objects.filter(event=summit, liaisons__isnull=False).values_list("pk", flat=True))
    ordered = sorted(delegations, key=lambda d: (d.pk not in with_liaisons, d.partner.code))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if frozenset((a.pk, b.pk)) not in busy_pairs:
                return a, b
    return None


def _placements(event: Event) -> dict[int, tuple[int | None, dt.datetime | None]]:
    return {
        pk: (room, start)
        for pk, room, start in BilateralMeeting.objects.filter(
            event=event, status=BilateralMeeting.Status.SCHEDULED
        ).values_list("pk", "room_id", "start")
    }


def drill() -> DrillReport:
    report = DrillReport(name="short-notice")
    summit = seeded_summit()
    pair = _pair(summit) if summit is not None else None
    if summit is None or pair is None:
        report.action = "no summit with two delegations free to meet: nothing to rehearse"
        report.notes.append(NOT_SEEDED)
        return report
    requester, counterpart = pair
    tz = timezone.get_current_timezone()
    window = tuple(dt.datetime.combine(summit.start_date, t, tzinfo=tz) for t in AFTERNOON)
    report.action = (
        f"{requester.partner} asks {counterpart.partner} for a bilateral on the afternoon of "
        f"{summit.start_date:%a %d %b}; {counterpart.partner} accepts; staff place it at short notice (no published "
        "meeting may move) and publish"
    )
    asking = requester.liaisons.filter(is_active=True).order_by("pk").first()
    answering = counterpart.liaisons.filter(is_active=True).order_by("pk").first()
    meeting = bilateral_request(
        requester=requester,
        counterpart=counterpart,
        duration=30,
        priority=4,
        subject="Short-notice bilateral (drill)",
        windows=[window],
        by=asking or DRILL_ACTOR,
    )
    bilateral_accept(meeting=meeting, by=answering or DRILL_ACTOR, delegation=counterpart)
    before = _placements(summit)
    watch = Watch()  # the staff action starts here: the request and its answer are the delegations' own

    run = short_notice_start(meeting=meeting, allow_moves=False, by=DRILL_ACTOR)
    run.refresh_from_db()
    report.notes.append(f"Short-notice run {run.pk}: {run.get_status_display().lower()} — {run.message}")
    if run.status != SchedulingRun.Status.READY:
        return watch.collect(report)
    short_notice_publish(run=run, by=DRILL_ACTOR)

    meeting.refresh_from_db()
    after = _placements(summit)
    moved = sorted(pk for pk, place in before.items() if after.get(pk) != place)
    if meeting.start is not None:
        report.moved.append(
            f"“{meeting}” placed {meeting.start.astimezone(tz):%a %d %b %H:%M} in {meeting.room} (new, short notice)"
        )
    else:
        report.notes.append(f"{meeting} was not placed ({meeting.get_status_display().lower()}).")
    for m in BilateralMeeting.objects.filter(pk__in=moved).select_related(
        "requester__partner", "counterpart__partner", "room"
    ):
        report.moved.append(f"“{m}” published meeting MOVED")
    report.notes.append(f"Published meetings moved: {len(moved)}; {len(before) - len(moved)} stayed where they were.")
    report.notes.append(f"Solver: {run.figures.get('seconds')} s ({run.figures.get('status')}).")
    report.expected = liaison_usernames([requester, counterpart])
    return watch.collect(report)
