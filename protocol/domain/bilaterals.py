"""Bilateral meetings: requested by one delegation, answered by the other, scheduled by protocol staff."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save, instances_create
from delegations.domain.liaisons import liaisons_notify
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
                errors.setdefault("windows", []).append(
                    _("Preferred window %(number)s: %(message)s") % {"number": number, "message": message}
                )
            continue
        length = int((row.end - row.start).total_seconds() // 60)
        if length < duration:
            errors.setdefault("windows", []).append(
                _(
                    "Preferred window %(number)s is %(length)s minutes long, shorter than the %(duration)s-minute "
                    "meeting. Widen it or shorten the meeting."
                )
                % {"number": number, "length": length, "duration": duration}
            )
    if errors:
        raise ValidationError(errors)
    instances_create(instances=window_rows, by=by)
    names = {"requester": requester.partner, "counterpart": counterpart.partner, "event": meeting.event}

    def body() -> str:
        if subject:
            return _(
                "%(requester)s asks %(counterpart)s for a %(duration)s-minute bilateral meeting at %(event)s on "
                "“%(subject)s”. Accept or decline it on your delegation's bilaterals page."
            ) % {**names, "duration": duration, "subject": subject}
        return _(
            "%(requester)s asks %(counterpart)s for a %(duration)s-minute bilateral meeting at %(event)s. Accept or "
            "decline it on your delegation's bilaterals page."
        ) % {**names, "duration": duration}

    tell_liaisons(
        meeting,
        counterpart,
        verb="requested",
        title=lambda: _("Bilateral requested by %(requester)s") % names,
        body=body,
    )
    return meeting


Text = str | Callable[[], str]


def tell_liaisons(meeting: BilateralMeeting, delegation: Delegation, *, verb: str, title: Text, body: Text) -> None:
    """A notice (inbox and mail) to the liaisons of `delegation` about `meeting`, once the change has committed,
    each in their own language (see `liaisons_notify`)."""
    liaisons_notify(
        delegation.pk, topic=f"bilateral:{meeting.pk}:{verb}", title=title, body=body, page="portal:bilaterals"
    )


@transaction.atomic
def _answer(
    meeting: BilateralMeeting, status: str, by: Actor, verb: str, delegation: Delegation | None
) -> BilateralMeeting:
    # Locked, so two answers at once (both liaisons of the delegation, a double tap) cannot both pass.
    current = BilateralMeeting.objects.select_for_update(of=("self",)).values_list("status", flat=True)
    meeting.status = current.get(pk=meeting.pk)
    if delegation is not None and delegation.pk != meeting.counterpart_id:
        raise ValidationError({"status": _("Only the invited delegation can answer this request.")})
    if meeting.status != BilateralMeeting.Status.REQUESTED:
        shown = meeting.get_status_display().lower()
        refusal = (
            _("Only a requested bilateral can be accepted; this one is %(status)s.")
            if verb == "accepted"
            else _("Only a requested bilateral can be declined; this one is %(status)s.")
        )
        raise ValidationError({"status": refusal % {"status": shown}})
    meeting.status = status
    instance_save(instance=meeting, by=by, action=f"protocol.bilateral.{verb}")
    names = {"counterpart": meeting.counterpart.partner, "event": meeting.event}

    def title() -> str:
        if verb == "accepted":
            return _("Bilateral accepted by %(counterpart)s") % names
        return _("Bilateral declined by %(counterpart)s") % names

    def body() -> str:
        if verb == "accepted":
            return (
                _(
                    "%(counterpart)s has accepted your request for a bilateral meeting at %(event)s. The protocol "
                    "office will schedule it and tell you the time and room."
                )
                % names
            )
        return _("%(counterpart)s has declined your request for a bilateral meeting at %(event)s.") % names

    tell_liaisons(meeting, meeting.requester, verb=verb, title=title, body=body)
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
                "status": _(
                    "This bilateral is %(status)s; only one not yet scheduled can be called off here. "
                    "Ask the protocol office to cancel a scheduled one."
                )
                % {"status": current}
            }
        )
    meeting.status = BilateralMeeting.Status.CANCELLED
    instance_save(instance=meeting, by=by, action="protocol.bilateral.cancelled")
    other = meeting.counterpart if delegation.pk == meeting.requester_id else meeting.requester
    names = {"partner": delegation.partner, "other": other.partner, "event": meeting.event}
    tell_liaisons(
        meeting,
        other,
        verb="cancelled",
        title=lambda: _("Bilateral called off by %(partner)s") % names,
        body=lambda: _("%(partner)s has called off the bilateral meeting with %(other)s at %(event)s.") % names,
    )
    return meeting


def bilateral_schedule(*, meeting: BilateralMeeting, room, start, by: Actor) -> BilateralMeeting:
    """Place an accepted bilateral in a room; validation refuses a double-booked room or a time off the event."""
    if meeting.status not in (BilateralMeeting.Status.ACCEPTED, BilateralMeeting.Status.SCHEDULED):
        raise ValidationError({"status": _("Only an accepted bilateral can be scheduled.")})
    meeting.room = room
    meeting.start = start
    meeting.end = start + timedelta(minutes=meeting.duration_minutes)
    meeting.status = BilateralMeeting.Status.SCHEDULED
    instance_save(instance=meeting, by=by, action="protocol.bilateral.scheduled")
    return meeting
