"""Drill: a principal lands late: disruption record, background re-plan, publish.

On the seeded summit Japan's head has a scheduled bilateral with Cambodia at 17:35 on day 1. Japan's liaison
saves a later arrival (half an hour after that meeting starts) through the same travel write the portal uses;
the follow-ups run (eager: the drill is its own worker): the conflict check flags the sessions now missed, the
disruption opens with its impact, and the re-plan run solves. Staff publish the re-plan in one click; the
liaisons of both delegations of each moved meeting get one notice each."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from delegations.domain.delegations import travel_set
from delegations.models import Travel
from events.models import Event
from planning.domain.disruptions import disruption_publish
from planning.domain.drills.base import DRILL_ACTOR, NOT_SEEDED, DrillReport, Watch, liaison_usernames, seeded_summit
from planning.models import Disruption
from protocol.models import BilateralMeeting

LATE_BY = dt.timedelta(minutes=30)  # after the bilateral's start: the meeting cannot stay


def _placements(event: Event) -> dict[int, tuple[str, int | None, dt.datetime | None]]:
    return {
        pk: (status, room, start)
        for pk, status, room, start in BilateralMeeting.objects.filter(event=event).values_list(
            "pk", "status", "room_id", "start"
        )
    }


def drill() -> DrillReport:
    report = DrillReport(name="late-arrival")
    summit = seeded_summit()
    if summit is None:
        report.action = "no seeded summit: nothing to rehearse"
        report.notes.append(NOT_SEEDED)
        return report
    scheduled = BilateralMeeting.objects.filter(event=summit, status=BilateralMeeting.Status.SCHEDULED).select_related(
        "requester__partner", "counterpart__partner", "counterpart__head", "room__venue"
    )
    meeting = (
        scheduled.filter(requester__partner__code="KHM", counterpart__partner__code="JPN").first()
        or scheduled.filter(counterpart__head__travel__arrival_at__isnull=False).order_by("start").first()
    )
    if meeting is None or meeting.start is None or meeting.counterpart.head is None:
        report.action = "no scheduled bilateral with a principal who has travel: nothing to rehearse"
        report.notes.append(NOT_SEEDED)
        return report
    head = meeting.counterpart.head
    travel = Travel.objects.get(person=head)
    liaison = meeting.counterpart.liaisons.filter(is_active=True).order_by("pk").first()
    landing = meeting.start + LATE_BY
    tz = timezone.get_current_timezone()
    report.action = (
        f"{head} ({meeting.counterpart.partner}) lands {landing.astimezone(tz):%a %d %b %H:%M} instead of "
        f"{travel.arrival_at.astimezone(tz):%a %d %b %H:%M}"
        if travel.arrival_at
        else f"{head} lands late"
    ) + f", after the start of {meeting}; {liaison or 'staff'} saves it, staff publish the re-plan"
    before = _placements(summit)
    watch = Watch()

    # The staff action: the liaison's travel write (portal and admin go through the same domain function).
    travel_set(person=head, by=liaison or DRILL_ACTOR, arrival_at=landing)
    disruption = Disruption.objects.filter(person=head, status=Disruption.Status.OPEN).select_related("run").first()
    if disruption is None:
        report.notes.append("No disruption opened after the travel write.")
        return watch.collect(report)
    impact = disruption.impact or {}
    report.notes.append(
        f"Disruption {disruption.pk} ({disruption.get_kind_display()}): {len(impact.get('sessions_missed', []))} "
        f"session(s) now missed, {impact.get('bilaterals_outside', 0)} bilateral(s) outside the new stay, "
        f"{len(impact.get('transfers', []))} transfer(s) too short, {len(impact.get('tasks', []))} reception/"
        "motorcade/farewell task(s) shown."
    )
    tasks = impact.get("tasks", [])
    follow = sum(1 for row in tasks if row.get("generated"))
    report.notes.append(
        f"Tasks: {follow} generated from travel follow the flight (protocol.generate_tasks); {len(tasks) - follow} "
        "made by hand (the seed's) are shown to staff to move on the task board."
    )
    run = disruption.run
    if run is None:
        report.notes.append("No re-plan: " + impact.get("replan", {}).get("message", "not started."))
        return watch.collect(report)
    report.notes.append(f"Re-plan run {run.pk}: {run.message}")
    disruption_publish(disruption=disruption, by=DRILL_ACTOR, run=run)

    after = _placements(summit)
    changed = [pk for pk, place in after.items() if before.get(pk) != place]
    moved = list(
        BilateralMeeting.objects.filter(pk__in=changed).select_related(
            "requester__partner", "counterpart__partner", "room__venue"
        )
    )
    for m in moved:
        status, room, start = before[m.pk]
        was = f"{start.astimezone(tz):%a %d %b %H:%M}" if start else status
        now = f"{m.start.astimezone(tz):%a %d %b %H:%M} in {m.room}" if m.start else m.status
        report.moved.append(f"“{m}” {was} → {now}")
    report.expected = liaison_usernames({d for m in moved for d in (m.requester_id, m.counterpart_id)})
    meeting.refresh_from_db()
    if meeting.start is not None and meeting.start < landing:
        report.notes.append(f"{meeting} still starts before the arrival ({meeting.start.astimezone(tz):%H:%M}).")
    disruption.refresh_from_db()
    report.notes.append(f"Disruption {disruption.pk} is {disruption.get_status_display().lower()}.")
    stayed = BilateralMeeting.objects.filter(event=summit, status=BilateralMeeting.Status.SCHEDULED).exclude(
        pk__in=changed
    )
    report.notes.append(f"{stayed.count()} other scheduled bilateral(s) stayed where they were.")
    return watch.collect(report)
