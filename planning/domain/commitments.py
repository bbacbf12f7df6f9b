"""What occupies whom, read from every app: each active session occupies its room and the people who attend it;
a scheduled bilateral its room and both principals; a protocol task its team, vehicle, assignee and the principal
served, moving from one venue to another."""

from __future__ import annotations

from collections import defaultdict

from delegations.domain.people import PeopleIndex
from events.domain.conflicts import Commitment, Facts
from events.models import Session
from protocol.models import BilateralMeeting, ProtocolTask

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


def bilateral_commitments(people: PeopleIndex, facts: Facts) -> list[Commitment]:
    rows = BilateralMeeting.objects.filter(status__in=BilateralMeeting.PLACED).values_list(
        "id", "event_id", "room_id", "room__venue_id", "start", "end", "requester_id", "counterpart_id",
        "requester__partner__name", "counterpart__partner__name", "protocol_officer_id", "protocol_officer__username",
        *ROOM_FACTS, *EVENT_FACTS,
    )  # fmt: skip
    commitments = []
    for pk, event, room, venue, start, end, requester, counterpart, name_a, name_b, officer, username, *more in rows:
        learn_room_and_event(facts, room, venue, event, more)
        if officer:
            facts.labels[f"staff:{officer}"] = f"Staff member {username}"
        principals = {people.head_of_delegation.get(requester), people.head_of_delegation.get(counterpart)}
        commitments.append(
            Commitment(
                key=f"bilateral:{pk}",
                label=f"Bilateral {name_a} – {name_b}",
                start=start,
                end=end,
                event_id=event,
                room_id=room,
                venue_id=venue,
                people=tuple(sorted(p for p in principals if p is not None)),
                staff=(officer,) if officer else (),
                within_event=True,
            )
        )
    return commitments


def task_commitments(facts: Facts) -> list[Commitment]:
    rows = ProtocolTask.objects.exclude(status=ProtocolTask.Status.CANCELLED).values_list(
        "id", "title", "event_id", "start", "end", "venue_id", "destination_id", "person_id", "assignee_id",
        "team_id", "vehicle", "venue__short_name", "venue__name", "destination__short_name", "destination__name",
        "team__name", "assignee__username", "source_key",
    )  # fmt: skip
    commitments = []
    for (pk, title, event, start, end, venue, destination, person, assignee, team, vehicle, venue_short, venue_name,
         destination_short, destination_name, team_name, username, source_key) in rows:  # fmt: skip
        facts.venue_names[venue] = venue_short or venue_name
        if destination:
            facts.venue_names[destination] = destination_short or destination_name
        if team:
            facts.labels[f"team:{team}"] = team_name
        if assignee:
            facts.labels[f"staff:{assignee}"] = f"Staff member {username}"
        commitments.append(
            Commitment(
                key=f"task:{pk}",
                label=title,
                start=start,
                end=end,
                event_id=event,
                venue_id=venue,
                end_venue_id=destination,
                people=(person,) if person else (),
                staff=(assignee,) if assignee else (),
                team_id=team,
                vehicle=vehicle,
                serves=served(source_key),
            )
        )
    return commitments


def served(source_key: str | None) -> str:
    """The bilateral a generated task prepares (`bilateral:3:flags` → `bilateral:3`): it uses that room."""
    if source_key and source_key.startswith("bilateral:"):
        return ":".join(source_key.split(":", 2)[:2])
    return ""
