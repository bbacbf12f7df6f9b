"""The programme's commitments: each active session occupies its room and the people who attend it."""

from __future__ import annotations

from collections import defaultdict

from delegations.domain.people import PeopleIndex
from events.domain.conflicts import Commitment, Facts
from events.models import Session

# Read along with each commitment, so the checks need no separate queries for rooms and events.
ROOM_FACTS = ("room__capacity", "room__opens_at", "room__closes_at", "room__name", "room__venue__short_name",
              "room__venue__name")  # fmt: skip
EVENT_FACTS = ("event__start_date", "event__end_date", "event__acronym")


def learn_room_and_event(facts: Facts, room: int | None, venue: int | None, event: int | None, values) -> None:
    capacity, opens_at, closes_at, name, venue_short, venue_name, first_day, last_day, acronym = values
    facts.learn_room(room, capacity=capacity, opens_at=opens_at, closes_at=closes_at, name=name, venue_id=venue,
                     venue_short=venue_short, venue_name=venue_name)  # fmt: skip
    facts.learn_event(event, first_day=first_day, last_day=last_day, acronym=acronym)


def session_commitments(people: PeopleIndex, facts: Facts) -> list[Commitment]:
    """Two queries: the sessions (with their room, venue and event, learnt into `facts`) and their named
    attendees."""
    named: dict[int, set[int]] = defaultdict(set)
    for session_id, person_id in Session.attendees.through.objects.values_list("session_id", "person_id"):
        named[session_id].add(person_id)
    commitments = []
    rows = Session.objects.exclude(status=Session.Status.CANCELLED).values_list(
        "id", "title", "event_id", "room_id", "room__venue_id", "start", "end", "audience", "audience_category",
        "expected_attendance", *ROOM_FACTS, *EVENT_FACTS,
    )  # fmt: skip
    for pk, title, event, room, venue, start, end, audience, category, expected, *more in rows:
        learn_room_and_event(facts, room, venue, event, more)
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
