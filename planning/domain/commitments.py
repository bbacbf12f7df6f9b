"""What occupies whom, read from every app: each active session occupies its room and the people who attend it;
a scheduled bilateral its room and both principals; a protocol task its team, vehicle, assignee and the principal
served, moving from one venue to another."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection

from delegations.domain.people import PeopleIndex
from delegations.models import Accreditation
from events.domain.conflicts import Commitment, Facts
from events.models import Event, Room, Session, Venue
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
    rows = Session.objects.exclude(status=Session.Status.CANCELLED).values_list(*SESSION_COLUMNS)
    commitments = []
    for pk, title, event, room, venue, start, end, audience, category, expected, *more in rows:
        learn_room_and_event(facts, room, venue, event, more)
        attendees = _audience(people, audience, event, category)
        people_there = tuple(sorted(attendees | named.get(pk, set())))
        commitments.append(_session(pk, title, event, room, venue, start, end, expected, people_there))
    return commitments


def _audience(people: PeopleIndex, audience: str, event: int, category: str) -> set[int]:
    if audience == Session.Audience.HEADS:
        return people.heads_at_event.get(event, set())
    if audience == Session.Audience.ALL_DELEGATES:
        return people.at_event.get(event, set())
    if audience == Session.Audience.CATEGORY:
        return people.category_at_event.get((event, category), set())
    return set()


SESSION_COLUMNS = ("id", "title", "event_id", "room_id", "room__venue_id", "start", "end", "audience",
                   "audience_category", "expected_attendance", *ROOM_FACTS, *EVENT_FACTS)  # fmt: skip


def _session(pk, title, event, room, venue, start, end, expected, people: tuple[int, ...]) -> Commitment:
    return Commitment(
        key=f"session:{pk}",
        label=title,
        start=start,
        end=end,
        event_id=event,
        room_id=room,
        venue_id=venue,
        people=people,
        expected=expected,
        checks_presence=True,
        within_event=True,
    )


def session_commitments_flat(people: PeopleIndex, facts: Facts) -> list[Commitment]:
    """`session_commitments` in one query, PostgreSQL only, with a people index read without accreditations:
    each session row brings its named attendees and, for an audience of all delegates or of one category, the
    people accredited to its event (of that category) as arrays aggregated by the database. 30,000
    person-commitments then cross as 225 rows instead of 18,000 rows of attendees and accreditations."""
    sql, params = _flat_sessions_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    commitments = []
    for pk, title, event, room, venue, start, end, audience, category, expected, *more, named, accredited in rows:
        learn_room_and_event(facts, room, venue, event, more)
        attendees = _audience(people, audience, event, category)
        people_there = tuple(sorted(attendees.union(accredited, named)))
        commitments.append(_session(pk, title, event, room, venue, start, end, expected, people_there))
    return commitments


def _flat_sessions_sql() -> tuple[str, list[str]]:
    """The rows `session_commitments` reads, in the order of `Session.Meta.ordering` (start, then the room's
    venue and name; then id), each with `named int[]` and `accredited int[]`: the people accredited to the event
    and not revoked — all of them for an audience of all delegates, those accredited in the audience's category
    for an audience of one category, none otherwise, as `people_index` counts them. Grouped once per event and
    category and joined, not a subquery per session: PostgreSQL's estimate for those grew past the point where it
    compiles the query (JIT), which alone cost more than the whole scan."""
    t = {model.__name__: connection.ops.quote_name(model._meta.db_table)
         for model in (Session, Session.attendees.through, Accreditation, Room, Venue, Event)}  # fmt: skip
    A, cancelled, revoked = Session.Audience, Session.Status.CANCELLED, Accreditation.Status.REVOKED
    # Only table names from the models' own metadata are interpolated; the values travel as parameters.
    sql = f"""
WITH named AS (
    SELECT session_id, array_agg(person_id) AS people FROM {t["Session_attendees"]} GROUP BY session_id
), by_category AS (
    SELECT event_id, category, array_agg(person_id) AS people FROM {t["Accreditation"]} WHERE status <> %s
    GROUP BY event_id, category
), by_event AS (
    SELECT event_id, array_agg(person_id) AS people FROM {t["Accreditation"]} WHERE status <> %s GROUP BY event_id
)
SELECT x.id, x.title, x.event_id, x.room_id, r.venue_id, x.start, x."end", x.audience, x.audience_category,
       x.expected_attendance, r.capacity, r.opens_at, r.closes_at, r.name, v.short_name, v.name, e.start_date,
       e.end_date, e.acronym, COALESCE(n.people, '{{}}'),
       COALESCE(CASE x.audience WHEN %s THEN ev.people WHEN %s THEN ca.people END, '{{}}')
FROM {t["Session"]} x
LEFT JOIN {t["Room"]} r ON r.id = x.room_id LEFT JOIN {t["Venue"]} v ON v.id = r.venue_id
LEFT JOIN {t["Event"]} e ON e.id = x.event_id LEFT JOIN named n ON n.session_id = x.id
LEFT JOIN by_event ev ON ev.event_id = x.event_id
LEFT JOIN by_category ca ON ca.event_id = x.event_id AND ca.category = x.audience_category
WHERE x.status <> %s
ORDER BY x.start, v.name, r.name, x.id
"""  # noqa: S608
    return sql, [revoked, revoked, A.ALL_DELEGATES, A.CATEGORY, cancelled]


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
