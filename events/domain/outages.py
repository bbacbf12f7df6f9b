"""Taking a room out of service for a period, changing that period, and putting the room back in service.

Each write runs in one transaction that first locks the room's row: two staff entering overlapping outages of
the same room at once are serialised there, and the second one's overlap check (RoomOutage.clean(), run again
by `instance_save` under the lock) sees the first. There is deliberately no exclusion constraint on outages
(events/models.py says why); this lock is what keeps two active outages of a room from overlapping.

Writes are audited (`events.roomoutage.created` / `.changed` / `.lifted`) and publish a `Change(RoomOutage)`,
so planning re-checks what uses the room (planning/domain/conflict_triggers.py).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save
from events.models import Room, RoomOutage

EDITABLE = ("room", "start", "end", "reason")


def _lock_rooms(*room_ids: int | None) -> None:
    """Lock the rooms' rows, in pk order so two writers moving an outage between rooms cannot deadlock."""
    ids = sorted({pk for pk in room_ids if pk is not None})
    if ids:
        list(Room.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def _refuse_blank_reason(reason: str | None) -> None:
    if not (reason or "").strip():
        raise ValidationError(
            {"reason": _("Say why the room is out of service (e.g. “power cut in the east wing”); staff and the "
                         "impact page show it.")}
        )  # fmt: skip


def _user(by: Actor):
    return by if by is not None and not isinstance(by, str) else None


@transaction.atomic
def outage_create(*, room: Room, start: dt.datetime, end: dt.datetime, reason: str, by: Actor) -> RoomOutage:
    """A room out of service over `[start, end)`. Refused (nothing written) when the period ends before it
    starts, has no reason, or overlaps another active outage of the room (named, with its reason)."""
    _refuse_blank_reason(reason)
    _lock_rooms(room.pk)
    outage = RoomOutage(room=room, start=start, end=end, reason=(reason or "").strip(), created_by=_user(by))
    instance_save(instance=outage, by=by)  # full_clean(): the overlap check, now under the room's lock
    return outage


@transaction.atomic
def outage_update(*, outage: RoomOutage, by: Actor, **changes) -> RoomOutage:
    """Change the room, period or reason of an outage that is still active."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValueError(f"outage_update() changes only {', '.join(EDITABLE)}, not {', '.join(unknown)}")
    stored = RoomOutage.objects.get(pk=outage.pk)
    new_room = changes.get("room", stored.room)
    _lock_rooms(stored.room_id, new_room.pk if new_room is not None else None)
    stored = RoomOutage.objects.select_for_update().get(pk=outage.pk)
    if not stored.is_active:
        raise ValidationError(
            {"lifted_at": _("This outage was lifted on %(lifted)s; it is kept on record and cannot be changed. "
                            "Enter a new outage if the room is out of service again.")
             % {"lifted": f"{timezone.localtime(stored.lifted_at):%d %b %Y %H:%M}"}}
        )  # fmt: skip
    if "reason" in changes:
        _refuse_blank_reason(changes["reason"])
        changes["reason"] = changes["reason"].strip()
    for name, value in changes.items():
        setattr(stored, name, value)
    instance_save(instance=stored, by=by)
    return stored


@transaction.atomic
def outage_lift(*, outage: RoomOutage, by: Actor) -> RoomOutage:
    """The room is back in service: the outage stays on record with the time it was lifted."""
    _lock_rooms(outage.room_id)
    stored = RoomOutage.objects.select_for_update().get(pk=outage.pk)
    if not stored.is_active:
        raise ValidationError(
            {"lifted_at": _("%(room)s was already back in service (lifted %(lifted)s); nothing was changed.")
             % {"room": stored.room, "lifted": f"{timezone.localtime(stored.lifted_at):%d %b %Y %H:%M}"}}
        )  # fmt: skip
    stored.lifted_at = timezone.now()
    instance_save(instance=stored, by=by, action="events.roomoutage.lifted")
    return stored
