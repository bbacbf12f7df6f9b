"""Writing the programme: sessions are created, moved and cancelled here, validated and audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from asemplanner.domain.audit import Actor, instance_save
from events.models import Event, Room, Session


def session_create(
    *,
    event: Event,
    title: str,
    room: Room,
    start,
    end,
    by: Actor,
    attendees: Iterable[models.Model] = (),
    **fields: Any,
) -> Session:
    session = Session(event=event, title=title, room=room, start=start, end=end, **fields)
    instance_save(instance=session, by=by, m2m={"attendees": list(attendees)})
    return session


def session_update(
    *, session: Session, by: Actor, attendees: Iterable[models.Model] | None = None, **changes: Any
) -> Session:
    for name, value in changes.items():
        setattr(session, name, value)
    m2m = {"attendees": list(attendees)} if attendees is not None else None
    instance_save(instance=session, by=by, m2m=m2m)
    return session


def session_cancel(*, session: Session, by: Actor) -> Session:
    session.status = Session.Status.CANCELLED
    instance_save(instance=session, by=by, action="events.session.cancelled")
    return session


def session_warnings(session: Session) -> list[str]:
    """Things the user should see but may accept (the session is still saved)."""
    warnings = []
    if session.expected_attendance and session.room_id and session.expected_attendance > session.room.capacity:
        warnings.append(
            _(
                "“%(title)s” expects %(expected)s people but %(room)s holds %(capacity)s. Choose a larger room or "
                "lower the expected attendance."
            )
            % {
                "title": session.title,
                "expected": session.expected_attendance,
                "room": session.room,
                "capacity": session.room.capacity,
            }
        )
    return warnings
