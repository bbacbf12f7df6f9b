"""Fixtures for the programme: an event, a room in it and a session already booked there."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import EventFactory, RoomFactory, SessionFactory, at


@pytest.fixture
def event():
    """ASEM13: 16–17 Nov 2020."""
    return EventFactory(acronym="ASEM13", name="13th ASEM Summit")


@pytest.fixture
def room():
    """Open 08:00–18:00 local time."""
    return RoomFactory(venue__name="Peace Palace", name="Hall A", opens_at=dt.time(8, 0), closes_at=dt.time(18, 0))


@pytest.fixture
def booked(event, room):
    """The session already in the room over [09:00, 10:00) on the first day."""
    return SessionFactory(event=event, room=room, title="Retreat", start=at(0, "09:00"), end=at(0, "10:00"))
