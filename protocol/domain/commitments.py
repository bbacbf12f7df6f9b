"""Protocol's commitments: scheduled bilaterals (a room and both principals) and protocol tasks (a team,
a vehicle, the assignee and the principal served, moving from one venue to another)."""

from __future__ import annotations

from delegations.domain.people import PeopleIndex
from events.domain.commitments import EVENT_FACTS, ROOM_FACTS, learn_room_and_event
from events.domain.conflicts import Commitment, Facts
from protocol.models import BilateralMeeting, ProtocolTask


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
        "team__name", "assignee__username",
    )  # fmt: skip
    commitments = []
    for (pk, title, event, start, end, venue, destination, person, assignee, team, vehicle, venue_short, venue_name,
         destination_short, destination_name, team_name, username) in rows:  # fmt: skip
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
            )
        )
    return commitments
