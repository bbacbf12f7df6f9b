"""Bilateral meetings: requested by one delegation, answered by the other, scheduled by protocol staff."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from asemplanner.domain.audit import Actor, instance_save, instances_create
from delegations.models import Delegation
from protocol.models import BilateralMeeting, BilateralWindow


@transaction.atomic
def bilateral_request(
    *,
    requester: Delegation,
    counterpart: Delegation,
    duration: int,
    priority: int,
    by: Actor,
    subject: str = "",
    windows: Iterable[tuple] = (),
) -> BilateralMeeting:
    meeting = BilateralMeeting(
        event=requester.event,
        requester=requester,
        counterpart=counterpart,
        duration_minutes=duration,
        priority=priority,
        subject=subject,
    )
    instance_save(instance=meeting, by=by, action="protocol.bilateral.requested")
    window_rows = [BilateralWindow(meeting=meeting, start=start, end=end) for start, end in windows]
    for row in window_rows:
        row.full_clean()
    instances_create(instances=window_rows, by=by)
    return meeting


def _answer(meeting: BilateralMeeting, status: str, by: Actor, verb: str) -> BilateralMeeting:
    if meeting.status != BilateralMeeting.Status.REQUESTED:
        raise ValidationError(
            {"status": f"Only a requested bilateral can be {verb}; this one is {meeting.get_status_display().lower()}."}
        )
    meeting.status = status
    instance_save(instance=meeting, by=by, action=f"protocol.bilateral.{verb}")
    return meeting


def bilateral_accept(*, meeting: BilateralMeeting, by: Actor) -> BilateralMeeting:
    return _answer(meeting, BilateralMeeting.Status.ACCEPTED, by, "accepted")


def bilateral_decline(*, meeting: BilateralMeeting, by: Actor) -> BilateralMeeting:
    return _answer(meeting, BilateralMeeting.Status.DECLINED, by, "declined")


def bilateral_schedule(*, meeting: BilateralMeeting, room, start, by: Actor) -> BilateralMeeting:
    """Place an accepted bilateral in a room; validation refuses a double-booked room or a time off the event."""
    if meeting.status not in (BilateralMeeting.Status.ACCEPTED, BilateralMeeting.Status.SCHEDULED):
        raise ValidationError({"status": "Only an accepted bilateral can be scheduled."})
    meeting.room = room
    meeting.start = start
    meeting.end = start + timedelta(minutes=meeting.duration_minutes)
    meeting.status = BilateralMeeting.Status.SCHEDULED
    instance_save(instance=meeting, by=by, action="protocol.bilateral.scheduled")
    return meeting
