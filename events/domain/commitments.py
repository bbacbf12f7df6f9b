"""The programme's commitments: each active session occupies its room and the people who attend it."""

from __future__ import annotations

from collections import defaultdict

from delegations.domain.people import PeopleIndex
from events.domain.conflicts import Commitment
from events.models import Session


def session_commitments(people: PeopleIndex) -> list[Commitment]:
    """Two queries: the sessions (with room and venue) and their named attendees."""
    named: dict[int, set[int]] = defaultdict(set)
    for session_id, person_id in Session.attendees.through.objects.values_list("session_id", "person_id"):
        named[session_id].add(person_id)
    commitments = []
    rows = Session.objects.exclude(status=Session.Status.CANCELLED).values_list(
        "id", "title", "event_id", "room_id", "room__venue_id", "start", "end", "audience", "audience_category",
        "expected_attendance",
    )  # fmt: skip
    for pk, title, event, room, venue, start, end, audience, category, expected in rows:
        if audience == Session.Audience.HEADS:
            attendees = people.heads_at_event.get(event, set())
        elif audience == Session.Audience.ALL_DELEGATES:
            attendees = people.at_event.get(event, set())
        elif audience == Session.Audience.CATEGORY:
            attendees = people.category_at_event.get((event, category), set())
        else:
            attendees = set()
        commitments.append(
            Commitment(
                key=f"session:{pk}",
                label=title,
                start=start,
                end=end,
                event_id=event,
                room_id=room,
                venue_id=venue,
                people=tuple(sorted(attendees | named.get(pk, set()))),
                expected=expected,
                checks_presence=True,
                within_event=True,
            )
        )
    return commitments
