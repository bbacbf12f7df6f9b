"""Bilateral meetings: requested by one delegation, answered by the other, scheduled by protocol staff."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from asemplanner.domain.audit import Actor, instance_save, instances_create
from asemplanner.domain.notifications import notify_users
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
    errors: dict[str, list[str]] = {}
    for number, row in enumerate(window_rows, start=1):
        try:
            row.full_clean()
        except ValidationError as exc:
            for message in exc.messages:
                errors.setdefault("windows", []).append(f"Preferred window {number}: {message}")
            continue
        length = int((row.end - row.start).total_seconds() // 60)
        if length < duration:
            errors.setdefault("windows", []).append(
                f"Preferred window {number} is {length} minutes long, shorter than the {duration}-minute meeting. "
                "Widen it or shorten the meeting."
            )
    if errors:
        raise ValidationError(errors)
    instances_create(instances=window_rows, by=by)
    _tell_liaisons(
        meeting,
        counterpart,
        verb="requested",
        title=f"Bilateral requested by {requester.partner}",
        body=f"{requester.partner} asks {counterpart.partner} for a {duration}-minute bilateral meeting at "
        f"{meeting.event}" + (f" on “{subject}”" if subject else "") + ". Accept or decline it on your delegation's "
        "bilaterals page.",
    )
    return meeting


def _tell_liaisons(meeting: BilateralMeeting, delegation: Delegation, *, verb: str, title: str, body: str) -> None:
    """A notice (inbox and mail) to the liaisons of `delegation`, once the change has committed."""

    def send() -> None:
        notify_users(
            users=delegation.liaisons.all(),
            topic=f"bilateral:{meeting.pk}:{verb}",
            title=title[:200],
            body=body,
            link=settings.PLANNER_BASE_URL.rstrip("/") + reverse("portal:bilaterals", args=[delegation.pk]),
            mail=True,
        )

    transaction.on_commit(send)


@transaction.atomic
def _answer(
    meeting: BilateralMeeting, status: str, by: Actor, verb: str, delegation: Delegation | None
) -> BilateralMeeting:
    # Locked, so two answers at once (both liaisons of the delegation, a double tap) cannot both pass.
    current = BilateralMeeting.objects.select_for_update(of=("self",)).values_list("status", flat=True)
    meeting.status = current.get(pk=meeting.pk)
    if delegation is not None and delegation.pk != meeting.counterpart_id:
        raise ValidationError({"status": "Only the invited delegation can answer this request."})
    if meeting.status != BilateralMeeting.Status.REQUESTED:
        raise ValidationError(
            {"status": f"Only a requested bilateral can be {verb}; this one is {meeting.get_status_display().lower()}."}
        )
    meeting.status = status
    instance_save(instance=meeting, by=by, action=f"protocol.bilateral.{verb}")
    counterpart = meeting.counterpart.partner
    _tell_liaisons(
        meeting,
        meeting.requester,
        verb=verb,
        title=f"Bilateral {verb} by {counterpart}",
        body=f"{counterpart} has {verb} your request for a bilateral meeting at {meeting.event}."
        + (" The protocol office will schedule it and tell you the time and room." if verb == "accepted" else ""),
    )
    return meeting


def bilateral_accept(*, meeting: BilateralMeeting, by: Actor, delegation: Delegation | None = None) -> BilateralMeeting:
    """Accept a request; `delegation` (the portal passes the liaison's) must be the invited one."""
    return _answer(meeting, BilateralMeeting.Status.ACCEPTED, by, "accepted", delegation)


def bilateral_decline(
    *, meeting: BilateralMeeting, by: Actor, delegation: Delegation | None = None
) -> BilateralMeeting:
    return _answer(meeting, BilateralMeeting.Status.DECLINED, by, "declined", delegation)


def bilateral_cancel(*, meeting: BilateralMeeting, delegation: Delegation, by: Actor) -> BilateralMeeting:
    """Either delegation calls off a bilateral that is not yet scheduled; the other one is told."""
    if meeting.status not in (BilateralMeeting.Status.REQUESTED, BilateralMeeting.Status.ACCEPTED):
        current = meeting.get_status_display().lower()
        raise ValidationError(
            {
                "status": f"This bilateral is {current}; only one not yet scheduled can be called off here. "
                "Ask the protocol office to cancel a scheduled one."
            }
        )
    meeting.status = BilateralMeeting.Status.CANCELLED
    instance_save(instance=meeting, by=by, action="protocol.bilateral.cancelled")
    other = meeting.counterpart if delegation.pk == meeting.requester_id else meeting.requester
    _tell_liaisons(
        meeting,
        other,
        verb="cancelled",
        title=f"Bilateral called off by {delegation.partner}",
        body=f"{delegation.partner} has called off the bilateral meeting with {other.partner} at {meeting.event}.",
    )
    return meeting


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
