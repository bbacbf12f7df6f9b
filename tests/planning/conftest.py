"""Planning reads the programme: the same event, room and booked session as the events tests."""

from tests.events.conftest import booked, event, room

__all__ = ["booked", "event", "room"]
