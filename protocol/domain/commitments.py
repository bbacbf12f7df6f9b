"""Protocol's commitments: scheduled bilaterals (a room and both principals) and protocol tasks (a team,
a vehicle, the assignee and the principal served, moving from one venue to another)."""

from __future__ import annotations

from delegations.domain.people import PeopleIndex
from events.domain.conflicts import Commitment
from protocol.models import BilateralMeeting, ProtocolTask


def bilateral_commitments(people: PeopleIndex) -> list[Commitment]:
    rows = BilateralMeeting.objects.filter(status__in=BilateralMeeting.PLACED).values_list(
        "id", "event_id", "room_id", "room__venue_id", "start", "end", "requester_id", "counterpart_id",
        "requester__partner__name", "counterpart__partner__name", "protocol_officer_id",
    )  # fmt: skip
    commitments = []
    for pk, event, room, venue, start, end, requester, counterpart, name_a, name_b, officer in rows:
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


def task_commitments() -> list[Commitment]:
    rows = ProtocolTask.objects.exclude(status=ProtocolTask.Status.CANCELLED).values_list(
        "id", "title", "event_id", "start", "end", "venue_id", "destination_id", "person_id", "assignee_id",
        "team_id", "vehicle",
    )  # fmt: skip
    return [
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
        for pk, title, event, start, end, venue, destination, person, assignee, team, vehicle in rows
    ]
