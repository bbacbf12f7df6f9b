"""Protocol tasks generated from travel and bilaterals: times, venues, levels, idempotency, hand edits kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from asemplanner.choices import Rank
from asemplanner.domain.audit import instance_delete, instance_save
from asemplanner.models import AuditEntry
from config.celery import app as celery_app
from delegations.models import Person
from events.models import Venue
from protocol.domain.protocol_tasks import task_update
from protocol.domain.task_generation import SYSTEM_ACTOR, needs_interpretation, tasks_generate
from protocol.models import BilateralMeeting, ProtocolTask, Team
from tests.factories import (
    BilateralMeetingFactory,
    DelegationFactory,
    EventFactory,
    PersonFactory,
    RoomFactory,
    TeamFactory,
    TransferTimeFactory,
    TravelFactory,
    UserFactory,
    VenueFactory,
    at,
)

pytestmark = pytest.mark.django_db


def principal(event, *, rank, languages="", head=True):
    delegation = DelegationFactory(event=event)
    person = PersonFactory(delegation=delegation, rank=rank, languages=languages)
    if head:
        delegation.head = person
        delegation.save()
    return person


@pytest.fixture
def world():
    event = EventFactory()
    airport = VenueFactory(name="PNH airport", kind=Venue.Kind.AIRPORT)
    hotel = VenueFactory(name="Sokha hotel", kind=Venue.Kind.HOTEL)
    other_hotel = VenueFactory(name="Raffles hotel", kind=Venue.Kind.HOTEL)
    palace = VenueFactory(name="Peace Palace", kind=Venue.Kind.PALACE)
    TransferTimeFactory(from_venue=airport, to_venue=hotel, minutes=25)
    TransferTimeFactory(from_venue=hotel, to_venue=airport, minutes=35)
    teams = {
        "reception": [
            TeamFactory(name="Reception A", kind=Team.Kind.RECEPTION),
            TeamFactory(name="Reception B", kind=Team.Kind.RECEPTION),
        ],
        "motorcade": [TeamFactory(name="Motorcade 1", kind=Team.Kind.MOTORCADE)],
        "protocol": [TeamFactory(name="Protocol desk", kind=Team.Kind.PROTOCOL)],
        "interpretation": [TeamFactory(name="Interpreters", kind=Team.Kind.INTERPRETATION)],
    }
    king = principal(event, rank=Rank.HEAD_OF_STATE, languages="fr")
    premier = principal(event, rank=Rank.HEAD_OF_GOVERNMENT, languages="en, km")
    king_travel = TravelFactory(
        person=king,
        arrival_at=at(-1, "14:00"),
        arrival_airport=airport,
        departure_at=at(2, "10:00"),
        departure_airport=airport,
        hotel=hotel,
    )
    # No transfer time is known between the airport and this hotel: the default applies, with a note.
    TravelFactory(
        person=premier,
        arrival_at=at(-1, "16:00"),
        arrival_airport=airport,
        departure_at=at(2, "12:00"),
        departure_airport=airport,
        hotel=other_hotel,
    )
    room = RoomFactory(venue=palace, name="Bilateral room 1")
    meeting = BilateralMeetingFactory(
        event=event,
        requester=king.delegation,
        counterpart=premier.delegation,
        status=BilateralMeeting.Status.SCHEDULED,
        room=room,
        start=at(0, "15:00"),
        end=at(0, "15:30"),
    )
    return {
        "event": event, "airport": airport, "hotel": hotel, "other_hotel": other_hotel, "palace": palace,
        "teams": teams, "king": king, "premier": premier, "king_travel": king_travel, "meeting": meeting,
    }  # fmt: skip


def tasks(event):
    return {task.source_key: task for task in ProtocolTask.objects.filter(event=event)}


def test_generation_creates_the_expected_tasks(world):
    king, premier, meeting = world["king"], world["premier"], world["meeting"]
    summary = tasks_generate(event=world["event"], by=SYSTEM_ACTOR)

    made = tasks(world["event"])
    assert summary.created == len(made) == 10
    reception = made[f"travel:{king.pk}:reception"]
    assert reception.kind == ProtocolTask.Kind.AIRPORT_RECEPTION
    assert (reception.start, reception.end) == (at(-1, "13:30"), at(-1, "14:30"))
    assert reception.venue == world["airport"]
    assert "Minister-level, guard of honour" in reception.title and str(king) in reception.title
    assert "guard of honour" in reception.notes
    assert reception.person == king and reception.delegation == king.delegation
    assert reception.team in world["teams"]["reception"]
    assert "Minister-level" in made[f"travel:{premier.pk}:reception"].title
    assert "guard of honour" not in made[f"travel:{premier.pk}:reception"].title

    inbound = made[f"travel:{king.pk}:motorcade-arrival"]
    assert (inbound.venue, inbound.destination) == (world["airport"], world["hotel"])
    assert (inbound.start, inbound.end) == (at(-1, "14:30"), at(-1, "14:55"))  # 25-minute transfer
    assert inbound.team == world["teams"]["motorcade"][0]
    outbound = made[f"travel:{king.pk}:motorcade-departure"]
    assert (outbound.venue, outbound.destination) == (world["hotel"], world["airport"])
    assert (outbound.start, outbound.end) == (at(2, "08:25"), at(2, "09:00"))  # 35 min, at the airport 1 h before
    farewell = made[f"travel:{king.pk}:farewell"]
    assert farewell.kind == ProtocolTask.Kind.AIRPORT_FAREWELL
    assert (farewell.start, farewell.end) == (at(2, "09:00"), at(2, "10:00"))

    default = made[f"travel:{premier.pk}:motorcade-arrival"]
    assert default.end - default.start == dt.timedelta(minutes=45)
    assert "No transfer time is known" in default.notes

    flags = made[f"bilateral:{meeting.pk}:flags"]
    assert flags.kind == ProtocolTask.Kind.FLAGS
    assert flags.venue == world["palace"] and flags.end <= meeting.start
    assert flags.team == world["teams"]["protocol"][0]
    interpretation = made[f"bilateral:{meeting.pk}:interpretation"]  # fr and en/km share nothing
    assert (interpretation.start, interpretation.end) == (meeting.start, meeting.end)
    assert interpretation.team == world["teams"]["interpretation"][0]

    entries = AuditEntry.objects.filter(action="protocol.protocoltask.generated")
    assert entries.count() == 10 and set(entries.values_list("actor_name", flat=True)) == {SYSTEM_ACTOR}


def test_receptions_spread_over_the_teams_of_their_kind(world):
    people = [principal(world["event"], rank=Rank.MINISTER) for _ in range(16)]
    for n, person in enumerate(people):  # an hour and a half apart: no reception overlaps another
        arrival = at(-2, "00:00") + dt.timedelta(minutes=90 * n)
        TravelFactory(person=person, arrival_at=arrival, arrival_airport=world["airport"])
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    made = tasks(world["event"])
    teams = [made[f"travel:{p.pk}:reception"].team for p in people]
    assert set(teams) == set(world["teams"]["reception"])  # both teams get work (a pk hash, not pk parity)
    Team.objects.create(name="Reception C", kind=Team.Kind.RECEPTION)
    assert tasks_generate(event=world["event"], by=SYSTEM_ACTOR).created == 0
    made = tasks(world["event"])
    moved = sum(made[f"travel:{p.pk}:reception"].team != team for p, team in zip(people, teams, strict=True))
    assert moved < len(people)  # deterministic: a new team takes some tasks over, it does not reshuffle all


def test_a_team_is_never_given_two_tasks_at_once_the_rest_stay_unassigned(world):
    people = [principal(world["event"], rank=Rank.MINISTER) for _ in range(5)]
    for person in people:  # five principals land together; there are two reception teams
        TravelFactory(person=person, arrival_at=at(-1, "18:00"), arrival_airport=world["airport"])
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    made = tasks(world["event"])
    teams = [made[f"travel:{p.pk}:reception"].team for p in people]
    assigned = [team for team in teams if team is not None]
    assert sorted(t.pk for t in assigned) == sorted(t.pk for t in world["teams"]["reception"])
    assert teams.count(None) == 3


def test_ranked_members_count_as_principals_others_do_not(world):
    vice = PersonFactory(delegation=world["king"].delegation, rank=Rank.VICE)
    minister = PersonFactory(delegation=world["king"].delegation, rank=Rank.MINISTER)
    for person in (vice, minister):
        TravelFactory(person=person, arrival_at=at(-1, "18:00"), arrival_airport=world["airport"])
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    made = tasks(world["event"])
    assert "Secretary of State-level" in made[f"travel:{vice.pk}:reception"].title
    assert f"travel:{minister.pk}:reception" not in made


def test_second_run_creates_and_changes_nothing(world):
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    before = {
        key: (t.title, t.start, t.end, t.team_id, t.status, t.generated) for key, t in tasks(world["event"]).items()
    }
    entries = AuditEntry.objects.count()

    summary = tasks_generate(event=world["event"], by=SYSTEM_ACTOR)

    after = {
        key: (t.title, t.start, t.end, t.team_id, t.status, t.generated) for key, t in tasks(world["event"]).items()
    }
    assert (summary.created, summary.updated, summary.cancelled, summary.kept_manual) == (0, 0, 0, 0)
    assert after == before
    assert AuditEntry.objects.count() == entries


def test_changed_arrival_moves_the_tasks_without_duplicates(world):
    king, travel = world["king"], world["king_travel"]
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    count = ProtocolTask.objects.count()

    travel.arrival_at = at(-1, "20:00")
    instance_save(instance=travel, by="test", validate=False)
    summary = tasks_generate(event=world["event"], by=SYSTEM_ACTOR)

    assert ProtocolTask.objects.count() == count
    assert (summary.created, summary.updated, summary.moved) == (0, 2, 2)
    made = tasks(world["event"])
    assert made[f"travel:{king.pk}:reception"].start == at(-1, "19:30")
    assert made[f"travel:{king.pk}:motorcade-arrival"].end == at(-1, "20:55")
    entry = AuditEntry.objects.filter(action="protocol.protocoltask.regenerated").first()
    assert entry is not None and "start" in entry.changes


def test_hand_edited_fields_survive_regeneration(world):
    king, travel = world["king"], world["king_travel"]
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    reception = tasks(world["event"])[f"travel:{king.pk}:reception"]
    other_team = next(t for t in world["teams"]["reception"] if t != reception.team)
    officer = UserFactory()
    task_update(
        task=reception,
        by=officer,
        team=other_team,
        assignee=officer,
        title="Reception: the King",
        start=at(-1, "13:00"),
    )

    travel.arrival_at = at(-1, "15:00")
    instance_save(instance=travel, by="test", validate=False)
    summary = tasks_generate(event=world["event"], by=SYSTEM_ACTOR)

    reception.refresh_from_db()
    assert reception.team == other_team  # kept
    assert reception.assignee == officer  # never generated: untouched
    assert reception.title == "Reception: the King"  # kept
    assert reception.start == at(-1, "13:00")  # kept although the arrival moved
    assert reception.end == at(-1, "15:30")  # not edited: follows the new arrival
    assert summary.kept_manual == 3  # team, title and start differ from what the generator would write
    summary = tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    reception.refresh_from_db()
    assert (reception.team, reception.start, summary.updated) == (other_team, at(-1, "13:00"), 0)


def test_removed_travel_cancels_and_returning_travel_reopens(world):
    king, travel = world["king"], world["king_travel"]
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    instance_delete(instance=travel, by="test")

    summary = tasks_generate(event=world["event"], by=SYSTEM_ACTOR)

    made = tasks(world["event"])
    mine = [task for key, task in made.items() if key.startswith(f"travel:{king.pk}:")]
    assert summary.cancelled == len(mine) == 4
    assert {task.status for task in mine} == {ProtocolTask.Status.CANCELLED}
    assert made[f"travel:{world['premier'].pk}:reception"].status == ProtocolTask.Status.OPEN

    TravelFactory(person=king, arrival_at=at(-1, "14:00"), arrival_airport=world["airport"])
    summary = tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    made = tasks(world["event"])
    assert summary.reopened == 1 and made[f"travel:{king.pk}:reception"].status == ProtocolTask.Status.OPEN
    assert made[f"travel:{king.pk}:farewell"].status == ProtocolTask.Status.CANCELLED


def test_cancelled_bilateral_cancels_its_flags(world):
    meeting = world["meeting"]
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    meeting.status = BilateralMeeting.Status.CANCELLED
    instance_save(instance=meeting, by="test", validate=False)

    summary = tasks_generate(event=world["event"], by=SYSTEM_ACTOR)

    made = tasks(world["event"])
    assert made[f"bilateral:{meeting.pk}:flags"].status == ProtocolTask.Status.CANCELLED
    assert made[f"bilateral:{meeting.pk}:interpretation"].status == ProtocolTask.Status.CANCELLED
    assert summary.cancelled == 2
    assert AuditEntry.objects.filter(action="protocol.protocoltask.cancelled").count() == 2


def test_hand_done_task_is_not_cancelled(world):
    meeting = world["meeting"]
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    flags = tasks(world["event"])[f"bilateral:{meeting.pk}:flags"]
    task_update(task=flags, by="test", status=ProtocolTask.Status.DONE)
    meeting.status = BilateralMeeting.Status.CANCELLED
    instance_save(instance=meeting, by="test", validate=False)
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    flags.refresh_from_db()
    assert flags.status == ProtocolTask.Status.DONE


@pytest.mark.parametrize(
    ("first", "second", "needed"),
    [
        ("fr", "en, km", True),
        ("fr, en", "en", False),
        ("fr", "fr", False),
        ("km", "", True),
        ("", "en", False),
        ("", "", False),
        ("ZH; EN", "en", False),
    ],
    ids=[
        "no_common",
        "shared_english",
        "shared_french",
        "one_known_no_english",
        "one_known_english",
        "unknown",
        "case",
    ],
)
def test_interpretation_rule(first, second, needed):
    assert needs_interpretation(Person(languages=first), Person(languages=second)) is needed


def test_no_interpretation_task_when_principals_share_a_language(world):
    Person.objects.filter(pk=world["king"].pk).update(languages="fr, en")
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)
    assert f"bilateral:{world['meeting'].pk}:interpretation" not in tasks(world["event"])


@pytest.fixture
def eager_celery():
    """Run queued Celery tasks in-process (the broker is the outside boundary here)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.mark.usefixtures("eager_celery")
def test_travel_change_regenerates_on_commit(world, django_capture_on_commit_callbacks):
    king, travel = world["king"], world["king_travel"]
    tasks_generate(event=world["event"], by=SYSTEM_ACTOR)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        travel.arrival_at = at(-1, "21:00")
        instance_save(instance=travel, by="test", validate=False)

    reception = ProtocolTask.objects.get(source_key=f"travel:{king.pk}:reception")
    assert reception.start == at(-1, "20:30")
    assert AuditEntry.objects.filter(action="protocol.protocoltask.regenerated", actor_name=SYSTEM_ACTOR).exists()


def _world_of(size: int):
    event = EventFactory()
    airport = VenueFactory(kind=Venue.Kind.AIRPORT)
    hotel = VenueFactory(kind=Venue.Kind.HOTEL)
    room = RoomFactory()
    TeamFactory(kind=Team.Kind.RECEPTION)
    people = []
    for index in range(size):
        person = principal(event, rank=Rank.HEAD_OF_STATE, languages="fr" if index % 2 else "en")
        TravelFactory(person=person, arrival_airport=airport, departure_airport=airport, hotel=hotel)
        people.append(person)
    for index in range(0, size - 1, 2):
        BilateralMeetingFactory(
            event=event,
            requester=people[index].delegation,
            counterpart=people[index + 1].delegation,
            status=BilateralMeeting.Status.SCHEDULED,
            room=room,
            start=at(0, "09:00") + dt.timedelta(hours=index),
            end=at(0, "09:30") + dt.timedelta(hours=index),
        )
    return event


def test_query_count_does_not_grow_with_principals():
    counts = []
    for size in (2, 8):
        event = _world_of(size)
        with CaptureQueriesContext(connection) as first:
            tasks_generate(event=event, by=SYSTEM_ACTOR)
        ProtocolTask.objects.filter(event=event, source_key__contains=":reception").update(start=at(-2, "08:00"))
        with CaptureQueriesContext(connection) as second:
            summary = tasks_generate(event=event, by=SYSTEM_ACTOR)
        assert summary.kept_manual == size  # the moved receptions count as edited by hand
        counts.append((len(first), ProtocolTask.objects.filter(event=event).count()))
        assert len(second) <= len(first)
    assert counts[0][0] == counts[1][0]
    assert counts[1][1] > counts[0][1]


@pytest.mark.usefixtures("eager_celery")
def test_travel_change_does_not_start_generation_for_an_event_never_generated(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        world["king_travel"].arrival_at = at(-1, "21:00")
        instance_save(instance=world["king_travel"], by="test", validate=False)
    assert not ProtocolTask.objects.filter(event=world["event"]).exists()
