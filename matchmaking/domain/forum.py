"""The forum's writes (`<entity>_<action>`, keyword-only, validated, audited through `instance_save`): slots and
tables for the organiser, participants and their availability, meeting requests and their answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save, instances_create
from asemplanner.domain.notifications import Text
from asemplanner.i18n import local_date
from delegations.domain.liaisons import liaisons_notify
from delegations.models import Delegation
from events.models import Event
from matchmaking.models import ForumMeeting, ForumSlot, MeetingRequest, MeetingTable, Participant
from matchmaking.validators import overlapping, slot_errors

PARTICIPANT_FIELDS = ("kind", "organisation", "name", "sector", "profile", "email", "active")


# --- Slots and tables ------------------------------------------------------------------------------------------
@transaction.atomic
def forum_slots_generate(
    *,
    event: Event,
    day: dt.date,
    first: dt.time,
    minutes: int,
    count: int,
    breaks: Iterable[tuple[dt.time, dt.time]] = (),
    by: Actor,
) -> list[ForumSlot]:
    """`count` slots of `minutes` on `day` from `first`, skipping any that would touch a break; refused whole (with
    the field to change) when one falls outside the event's dates or overlaps a slot the forum already has."""
    if not 5 <= minutes <= 240:
        raise ValidationError({"minutes": _("A slot lasts 5 to 240 minutes; got %(value)s.") % {"value": minutes}})
    if not 1 <= count <= 48:
        raise ValidationError({"count": _("Make 1 to 48 slots at a time; got %(value)s.") % {"value": count}})
    tz = timezone.get_current_timezone()
    step = dt.timedelta(minutes=minutes)
    pauses = [(dt.datetime.combine(day, a, tzinfo=tz), dt.datetime.combine(day, b, tzinfo=tz)) for a, b in breaks]
    moment = dt.datetime.combine(day, first, tzinfo=tz)
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    while len(spans) < count:
        pause = next((p for p in pauses if moment < p[1] and p[0] < moment + step), None)
        if pause is not None:
            moment = pause[1]
            continue
        if (moment + step).date() != day and (moment + step).time() != dt.time(0):
            raise ValidationError(
                {"count": _("Only %(made)s slots of %(minutes)s minutes fit on %(day)s from %(first)s; make fewer.")
                 % {"made": len(spans), "minutes": minutes, "day": day, "first": first}}
            )  # fmt: skip
        spans.append((moment, moment + step))
        moment += step
    errors = slot_errors(start=spans[0][0], end=spans[-1][1], first_day=event.start_date, last_day=event.end_date)
    if errors:
        raise ValidationError({"day": next(iter(errors.values()))})
    existing = list(ForumSlot.objects.filter(event=event).values_list("start", "end"))
    clash = overlapping([*existing, *spans])
    if clash is not None:
        raise ValidationError(
            {"first": _("These slots overlap slots the forum already has (around %(when)s); choose another time.")
             % {"when": clash[0].astimezone(tz).strftime("%Y-%m-%d %H:%M")}}
        )  # fmt: skip
    slots = [ForumSlot(event=event, start=start, end=end) for start, end in spans]
    return instances_create(instances=slots, by=by, action="matchmaking.slot.created")  # type: ignore[return-value]


def table_add(*, event: Event, label: str, by: Actor, room=None) -> MeetingTable:
    table = MeetingTable(event=event, label=label.strip(), room=room)
    instance_save(instance=table, by=by, action="matchmaking.table.created")
    return table


# --- Participants ----------------------------------------------------------------------------------------------
def participant_add(*, event: Event, delegation: Delegation | None, by: Actor, **values) -> Participant:
    participant = Participant(event=event, delegation=delegation, **_only(values))
    instance_save(instance=participant, by=by, action="matchmaking.participant.created")
    return participant


def participant_update(*, participant: Participant, by: Actor, **values) -> Participant:
    for name, value in _only(values).items():
        setattr(participant, name, value)
    instance_save(instance=participant, by=by, action="matchmaking.participant.changed")
    return participant


def participant_set_unavailable(*, participant: Participant, slots: Iterable[ForumSlot], by: Actor) -> Participant:
    """The slots the participant cannot meet in: slots of its own forum only."""
    chosen = list(slots)
    foreign = [s for s in chosen if s.event_id != participant.event_id]
    if foreign:
        raise ValidationError(
            {"unavailable": _("%(slot)s is not a slot of %(event)s; choose among the forum's slots.")
             % {"slot": foreign[0], "event": participant.event}}
        )  # fmt: skip
    instance_save(
        instance=participant, by=by, action="matchmaking.participant.availability_changed", m2m={"unavailable": chosen}
    )
    return participant


def _only(values: dict) -> dict:
    unknown = set(values) - set(PARTICIPANT_FIELDS)
    if unknown:
        raise TypeError(f"unknown participant fields: {sorted(unknown)}")
    return values


# --- Requests --------------------------------------------------------------------------------------------------
@transaction.atomic
def meeting_request_send(
    *, sender: Participant, receiver: Participant, priority: int, message: str = "", by: Actor
) -> MeetingRequest:
    """Ask to meet. One request per ordered pair: asking again after a decline or a withdrawal re-opens it. The
    receiver's liaisons are told (in their language)."""
    existing = MeetingRequest.objects.select_for_update().filter(sender=sender, receiver=receiver).first()
    if existing is not None and existing.status in (MeetingRequest.Status.REQUESTED, MeetingRequest.Status.ACCEPTED):
        raise ValidationError(
            {"receiver": _("%(sender)s has already asked to meet %(receiver)s (%(status)s).")
             % {"sender": sender, "receiver": receiver, "status": existing.get_status_display().lower()}}
        )  # fmt: skip
    request = existing or MeetingRequest(sender=sender, receiver=receiver)
    request.event_id = sender.event_id
    request.priority, request.message = priority, message
    request.status, request.answered_at = MeetingRequest.Status.REQUESTED, None
    instance_save(instance=request, by=by, action="matchmaking.request.sent")
    _tell(
        receiver,
        topic=f"forum-request:{request.pk}:sent:{timezone.now().timestamp():.0f}",
        title=lambda: _("%(sender)s asks to meet %(receiver)s") % {"sender": sender, "receiver": receiver},
        body=lambda: _("%(sender)s (%(sector)s) asks to meet %(receiver)s at %(event)s. Accept or decline it in the "
                       "portal.") % {"sender": sender, "sector": sender.sector or "—", "receiver": receiver,
                                     "event": sender.event},
    )  # fmt: skip
    return request


@transaction.atomic
def meeting_request_answer(*, request: MeetingRequest, accept: bool, by: Actor) -> MeetingRequest:
    """The receiver accepts or declines a requested meeting; the sender's liaisons are told."""
    request.status = MeetingRequest.objects.select_for_update().values_list("status", flat=True).get(pk=request.pk)
    if request.status != MeetingRequest.Status.REQUESTED:
        raise ValidationError(
            {"status": _("Only a request waiting for an answer can be answered; this one is %(status)s.")
             % {"status": request.get_status_display().lower()}}
        )  # fmt: skip
    request.status = MeetingRequest.Status.ACCEPTED if accept else MeetingRequest.Status.DECLINED
    request.answered_at = timezone.now()
    instance_save(instance=request, by=by, action=f"matchmaking.request.{request.status}")
    sender, receiver = request.sender, request.receiver
    values = {"sender": sender, "receiver": receiver}
    _tell(
        sender,
        topic=f"forum-request:{request.pk}:{request.status}",
        title=(lambda: _("%(receiver)s accepted to meet %(sender)s") % values)
        if accept
        else (lambda: _("%(receiver)s declined to meet %(sender)s") % values),
        body=(lambda: _("The meeting will be placed at a table when the organisers plan the forum.") if accept else ""),
    )
    return request


@transaction.atomic
def meeting_request_withdraw(*, request: MeetingRequest, by: Actor) -> MeetingRequest:
    request.status = MeetingRequest.objects.select_for_update().values_list("status", flat=True).get(pk=request.pk)
    if request.status not in (MeetingRequest.Status.REQUESTED, MeetingRequest.Status.ACCEPTED):
        raise ValidationError(
            {"status": _("Only a requested or accepted meeting can be withdrawn; this one is %(status)s.")
             % {"status": request.get_status_display().lower()}}
        )  # fmt: skip
    request.status = MeetingRequest.Status.WITHDRAWN
    instance_save(instance=request, by=by, action="matchmaking.request.withdrawn")
    # A published meeting of the request goes with it (its record is the withdrawal's audit entry); the other side
    # is told, since the meeting was on its agenda.
    published = ForumMeeting.objects.filter(request=request, status=ForumMeeting.Status.PUBLISHED)
    slots = [meeting.slot for meeting in published.select_related("slot")]
    if slots:
        published.delete()
        sender, receiver = request.sender, request.receiver

        def when() -> str:  # worded in each reader's language, with its digits
            return ", ".join(local_date(timezone.localtime(slot.start), "D j M, H:i") for slot in slots)

        _tell(
            receiver,
            topic=f"forum-request:{request.pk}:withdrawn:{timezone.now().timestamp():.0f}",
            title=lambda: (
                _("%(sender)s withdrew the meeting with %(receiver)s") % {"sender": sender, "receiver": receiver}
            ),
            body=lambda: (
                _("The meeting planned for %(when)s is cancelled and no longer on the agenda.") % {"when": when()}
            ),
        )
    return request


def _tell(participant: Participant, *, topic: str, title: Text, body: Text) -> None:
    """A notice to the liaisons of the participant's delegation (none for one without), after the commit."""
    if participant.delegation_id is not None:
        liaisons_notify(participant.delegation_id, topic=topic, title=title, body=body, page="portal:forum")


def active_requests(event: Event) -> QuerySet[MeetingRequest]:
    return MeetingRequest.objects.filter(
        event=event,
        status__in=(MeetingRequest.Status.REQUESTED, MeetingRequest.Status.ACCEPTED),
        sender__active=True,
        receiver__active=True,
    )
