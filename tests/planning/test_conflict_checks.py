"""Conflict records against the database: what the seeded summit contains, re-checks, acknowledgements,
auto-resolution, notices, the command, and batched after-commit checks."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import random
from collections import Counter

import pytest
from celery.signals import before_task_publish
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from asemplanner.models import Notification
from demo.seed import DELIBERATE_CLASHES
from events.domain.conflicts import find_clashes
from events.domain.sessions import session_create, session_update
from events.models import Conflict, ConflictCheckRequest, Session
from planning.domain.conflict_checks import (
    conflict_acknowledge,
    conflicts_check_all,
    conflicts_check_changes,
    gather,
    gather_for_scan,
)
from planning.domain.conflict_triggers import CHECK_TASK, SCHEDULED_FLAG
from protocol.models import BilateralMeeting
from tests.factories import (
    AccreditationFactory,
    BilateralMeetingFactory,
    DelegationFactory,
    EventFactory,
    PersonFactory,
    ProtocolTaskFactory,
    RoomFactory,
    SessionFactory,
    SideEventFactory,
    TeamFactory,
    TravelFactory,
    UserFactory,
    VenueFactory,
    at,
)


@pytest.fixture
def room_clash(db):
    """A session and a scheduled bilateral in one room, overlapping 10:30–11:00."""
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory(name="Bilateral Room 2")
    session = session_create(
        event=event, title="Debrief", room=room, start=at(0, "10:00"), end=at(0, "11:00"), by="test"
    )
    bilateral = BilateralMeetingFactory(
        event=event, status="scheduled", room=room, start=at(0, "10:30"), end=at(0, "11:00"), duration_minutes=30
    )
    return session, bilateral


def test_seeded_summit_contains_exactly_the_deliberate_clashes(seeded):
    _result, clashes = conflicts_check_all()
    errors = Counter(c.kind.value for c in clashes if c.severity == "error")
    warnings = Counter(c.kind.value for c in clashes if c.severity == "warning")
    expected_errors = {k: n for k, n in DELIBERATE_CLASHES.items() if k != "over_capacity"}
    assert dict(errors) == expected_errors
    # The capacity warning is deliberate; so are the two leaders with only 15 minutes Peace Palace → Sokha
    # before the gala dinner (a warning: enough for the motorcade, not for the protocol buffer).
    assert dict(warnings) == {"over_capacity": 1, "transfer_too_short": 2}
    assert Conflict.objects.filter(status="open").count() == len(clashes)


def test_recheck_updates_instead_of_duplicating(room_clash):
    first, _ = conflicts_check_all()
    assert len(first.created) == 1
    conflict = Conflict.objects.get()
    seen = conflict.last_seen
    again, _ = conflicts_check_all()
    assert again.created == []
    assert Conflict.objects.count() == 1
    conflict.refresh_from_db()
    assert conflict.last_seen >= seen
    assert conflict.kind == "room_double_booked"
    assert {conflict.first, conflict.second} == {f"session:{room_clash[0].pk}", f"bilateral:{room_clash[1].pk}"}


def test_acknowledgement_survives_rechecks(room_clash):
    conflicts_check_all()
    user = UserFactory(roles=["logistics"])
    conflict_acknowledge(conflict=Conflict.objects.get(), reason="Debrief moves out at 10:25", by=user)
    conflicts_check_all()
    conflicts_check_changes({f"session:{room_clash[0].pk}"})
    conflict = Conflict.objects.get()
    assert conflict.status == "acknowledged"
    assert conflict.acknowledge_reason == "Debrief moves out at 10:25"
    assert conflict.acknowledged_by == user


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_acknowledge_without_reason_is_refused(room_clash, reason):
    conflicts_check_all()
    conflict = Conflict.objects.get()
    with pytest.raises(ValidationError) as exc:
        conflict_acknowledge(conflict=conflict, reason=reason, by="test")
    assert "acknowledge_reason" in exc.value.message_dict
    conflict.refresh_from_db()
    assert conflict.status == "open"


def test_fixing_a_clash_resolves_it_and_breaking_it_again_reopens_it(room_clash):
    session, bilateral = room_clash
    conflicts_check_all()
    session_update(session=session, end=at(0, "10:30"), by="test")  # now touching: no clash
    result = conflicts_check_changes({f"session:{session.pk}"})
    assert result.resolved == 1
    conflict = Conflict.objects.get()
    assert conflict.status == "resolved"
    assert conflict.resolved_at is not None
    session_update(session=session, end=at(0, "10:45"), by="test")
    result = conflicts_check_changes({f"session:{session.pk}"})
    assert result.reopened == 1
    conflict.refresh_from_db()
    assert conflict.status == "open"
    assert conflict.resolved_at is None


def test_moving_a_session_to_another_room_resolves_the_old_room_clash(room_clash):
    session, _ = room_clash
    conflicts_check_all()
    session_update(session=session, room=RoomFactory(name="Elsewhere"), by="test")
    conflicts_check_changes({f"session:{session.pk}"})
    assert Conflict.objects.get().status == "resolved"


def test_deleted_bilateral_resolves_its_clash(room_clash):
    from asemplanner.domain.audit import instance_delete

    _, bilateral = room_clash
    conflicts_check_all()
    key = f"bilateral:{bilateral.pk}"
    instance_delete(instance=bilateral, by="test")
    conflicts_check_changes({key})
    assert Conflict.objects.get().status == "resolved"


def test_scoped_check_leaves_other_resources_alone(room_clash):
    conflicts_check_all()
    other_room = RoomFactory(name="Other")
    # A clash elsewhere that the scoped check must not touch or create.
    Session.objects.create(
        event=room_clash[0].event, title="A", room=other_room, start=at(0, "12:00"), end=at(0, "13:00")
    )
    BilateralMeetingFactory(
        event=room_clash[0].event, status="scheduled", room=other_room, start=at(0, "12:00"), end=at(0, "12:30")
    )
    conflicts_check_changes({f"session:{room_clash[0].pk}"})
    assert Conflict.objects.count() == 1
    conflicts_check_all()
    assert Conflict.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_new_error_notifies_the_responsible_role_once_after_commit():
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory(name="Bilateral Room 2")
    Session.objects.create(event=event, title="Debrief", room=room, start=at(0, "10:00"), end=at(0, "11:00"))
    BilateralMeetingFactory(event=event, status="scheduled", room=room, start=at(0, "10:30"), end=at(0, "11:00"))
    logistics = UserFactory(username="log1", roles=["logistics"])
    accreditation = UserFactory(username="acc1", roles=["accreditation"])
    conflicts_check_all()
    conflicts_check_all()
    notices = Notification.objects.filter(recipient=logistics)
    assert notices.count() == 1
    assert "Room booked twice" in notices.get().title
    assert not Notification.objects.filter(recipient=accreditation).exists()


@pytest.mark.django_db(transaction=True)
def test_many_new_errors_in_one_check_reach_a_role_as_one_digest():
    """A postponement can leave hundreds of clashes at once: each responsible role reads one digest, not a
    notice per clash; a handful still come one by one (the test above)."""
    event = EventFactory(acronym="ASEM13")
    logistics = UserFactory(username="log1", roles=["logistics"])
    rooms = [RoomFactory(name=f"Bilateral Room {n}") for n in range(7)]
    for room in rooms:
        Session.objects.create(event=event, title="Debrief", room=room, start=at(0, "10:00"), end=at(0, "11:00"))
        BilateralMeetingFactory(event=event, status="scheduled", room=room, start=at(0, "10:30"), end=at(0, "11:00"))
    conflicts_check_all()
    conflicts_check_all()
    assert Conflict.objects.filter(kind=Conflict.Kind.ROOM_DOUBLE_BOOKED).count() == 7
    digest = Notification.objects.get(recipient=logistics)
    assert digest.title == "7 new clashes after one change"
    assert "7 × Room booked twice" in digest.body
    assert digest.link.endswith("?status__exact=open")


def test_check_conflicts_command_prints_and_returns_json(room_clash):
    out = io.StringIO()
    call_command("check_conflicts", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["errors"] == 1
    assert data["clashes"][0]["kind"] == "room_double_booked"
    assert data["clashes"][0]["resource_label"].endswith("Bilateral Room 2")
    text = io.StringIO()
    call_command("check_conflicts", "--event", "asem13", stdout=text)
    assert "room_double_booked" in text.getvalue()
    assert "1 clash(es)" in text.getvalue()


def test_check_conflicts_unknown_event_says_so_and_fails(room_clash):
    with pytest.raises(CommandError, match="Unknown event 'XYZ'. Known events: ASEM13"):
        call_command("check_conflicts", "--event", "XYZ", stdout=io.StringIO())


class Published:
    """Counts task messages as Celery publishes them to the broker (the real outside boundary)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, sender=None, **kwargs) -> None:
        self.names.append(sender)


@pytest.fixture
def published(settings):
    settings.PLANNER_CONFLICT_CHECK_DELAY = 60  # long enough that no test run drains the window
    cache.delete(SCHEDULED_FLAG)
    counter = Published()
    before_task_publish.connect(counter, weak=False)
    yield counter
    before_task_publish.disconnect(counter)
    cache.delete(SCHEDULED_FLAG)
    from config.celery import app

    with app.connection_for_write() as conn:
        for queue in app.conf.task_queues:  # the check tasks are routed to their own queue (conflicts)
            conn.default_channel.queue_purge(queue.name)


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_enqueues_nothing(published):
    event, room = EventFactory(), RoomFactory()

    def write_then_fail() -> None:
        with transaction.atomic():
            session_create(event=event, title="Gone", room=room, start=at(0, "10:00"), end=at(0, "11:00"), by="t")
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert published.names == []
    assert not ConflictCheckRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_many_saves_in_one_transaction_store_one_batch_and_enqueue_one_task(published):
    event, room = EventFactory(), RoomFactory()
    with transaction.atomic():
        for hour in range(7, 17):
            session_create(
                event=event, title=f"S{hour}", room=room, start=at(0, f"{hour}:00"), end=at(0, f"{hour}:30"), by="t"
            )
        assert published.names == []  # nothing before the commit
    assert published.names == [CHECK_TASK]
    assert ConflictCheckRequest.objects.count() == 10


@pytest.mark.django_db(transaction=True)
def test_a_transaction_touching_hundreds_of_objects_asks_for_one_full_scan(published):
    """A spreadsheet import adds thousands of people at once: one full scan, not thousands of requests."""
    from asemplanner.domain.audit import audit_entries_created, audit_log_many
    from asemplanner.domain.bulk import rows_insert
    from delegations.models import Person
    from planning.domain.conflict_triggers import FULL_SCAN_ABOVE

    delegation = DelegationFactory()
    with transaction.atomic():
        people = rows_insert(
            [
                Person(delegation=delegation, given_name=f"G{i}", family_name="F", function="x")
                for i in range(FULL_SCAN_ABOVE + 100)
            ]
        )
        audit_log_many(audit_entries_created(instances=people, action="delegations.person.imported", by="t"))
    assert published.names == [CHECK_TASK]
    assert list(ConflictCheckRequest.objects.values_list("key", flat=True)) == ["all"]


@pytest.mark.django_db(transaction=True)
def test_burst_of_100_separate_saves_enqueues_a_handful_of_tasks(published):
    event, room = EventFactory(), RoomFactory()
    session = session_create(event=event, title="S", room=room, start=at(0, "10:00"), end=at(0, "10:30"), by="t")
    for minute in range(100):
        session_update(session=session, notes=f"edit {minute}", by="t")  # each its own transaction
    assert 1 <= len(published.names) <= 3
    assert set(ConflictCheckRequest.objects.values_list("key", flat=True)) == {f"session:{session.pk}"}


@pytest.mark.django_db(transaction=True)
def test_unrelated_write_enqueues_nothing(published):
    DelegationFactory.build()  # nothing saved
    from asemplanner.domain.audit import instance_save
    from delegations.models import Partner

    instance_save(instance=Partner(code="ZZZ", name="Nowhere", region="Asia", joined_year=2000), by="t")
    assert published.names == []


def test_person_double_booked_in_two_sessions_they_attend(db):
    event = EventFactory(acronym="ASEM13", start_date=dt.date(2020, 11, 16))
    person = PersonFactory(delegation=DelegationFactory(event=event))
    a = session_create(event=event, title="A", room=RoomFactory(), start=at(0, "10:00"), end=at(0, "11:00"), by="t",
                       attendees=[person])  # fmt: skip
    b = session_create(event=event, title="B", room=RoomFactory(), start=at(0, "10:30"), end=at(0, "11:30"), by="t",
                       attendees=[person])  # fmt: skip
    conflicts_check_all()
    conflict = Conflict.objects.get(kind="person_double_booked")
    assert conflict.resource == f"person:{person.pk}"
    assert {conflict.first, conflict.second} == {f"session:{a.pk}", f"session:{b.pk}"}
    assert person.family_name in conflict.resource_label


def test_bilateral_counts_for_both_heads(db):
    event = EventFactory(acronym="ASEM13")
    heads = []
    for _ in range(2):
        head = PersonFactory(delegation=DelegationFactory(event=event), category="principal")
        head.delegation.head = head
        head.delegation.save()
        heads.append(head)
    session_create(event=event, title="Retreat", room=RoomFactory(), start=at(0, "09:00"), end=at(0, "11:00"),
                   by="t", audience="heads")  # fmt: skip
    BilateralMeeting.objects.create(
        event=event, requester=heads[0].delegation, counterpart=heads[1].delegation, status="scheduled",
        room=RoomFactory(), start=at(0, "10:45"), end=at(0, "11:15"), duration_minutes=30,
    )  # fmt: skip
    conflicts_check_all()
    kinds = Counter(Conflict.objects.values_list("kind", flat=True))
    assert kinds["head_double_booked"] == 2


@pytest.mark.postgres
def test_booking_that_races_past_validation_gets_the_constraint_message_not_a_server_error(room_clash):
    """Two writers both pass validation; the exclusion constraint refuses the second, as a ValidationError."""
    from asemplanner.domain.audit import instance_save

    session, _ = room_clash
    racer = Session(event=session.event, title="Racer", room=session.room, start=at(0, "10:15"), end=at(0, "10:45"))
    with pytest.raises(ValidationError) as exc:
        instance_save(instance=racer, by="t", validate=False)  # as if validation ran before the other commit
    assert exc.value.message_dict["room"] == ["This room is already booked for an overlapping time."]
    assert not Session.objects.filter(title="Racer").exists()


def test_conflict_record_kinds_and_severities_match_the_engine():
    """The pure engine and the model keep their own enums (models never import domain code): same values."""
    from events.domain import conflicts

    assert {k.value for k in conflicts.Kind} == set(Conflict.Kind.values)
    assert {s.value for s in conflicts.Severity} == set(Conflict.Severity.values)


def test_gather_costs_seven_queries_whatever_the_data_size(seeded, django_assert_num_queries):
    from planning.domain.conflict_checks import gather

    with django_assert_num_queries(7):
        small, _ = gather()
    event = EventFactory(acronym="MORE")
    for hour in range(8, 20):
        SessionFactory(event=event, room=RoomFactory(), start=at(0, f"{hour}:00"), end=at(0, f"{hour}:30"),
                       audience="all_delegates")  # fmt: skip
        PersonFactory(delegation=DelegationFactory(event=event))
    with django_assert_num_queries(7):
        large, _ = gather()
    assert len(large) == len(small) + 12


def test_event_scoped_scan_leaves_other_events_conflicts_alone(room_clash):
    conflicts_check_all()
    other = EventFactory(acronym="AEBF")
    result, clashes = conflicts_check_all(event=other)
    assert clashes == []
    assert result.resolved == 0
    assert Conflict.objects.get().status == "open"


# --- the scan's own gather on PostgreSQL: the same commitments, facts and clashes as gather() in ≤ 5 queries -------


def stored(clashes):
    """Everything conflicts_sync stores of each clash, in the engine's order."""
    return [(c, c.message, c.message_payload) for c in clashes]


def assert_scan_gathers_what_gather_gathers():
    commitments, facts = gather()
    scan_commitments, scan_facts = gather_for_scan()
    assert scan_commitments == commitments
    assert scan_facts == facts
    assert stored(find_clashes(scan_commitments, scan_facts)) == stored(find_clashes(commitments, facts))
    return commitments, find_clashes(commitments, facts)


@pytest.mark.postgres
def test_scan_gathers_the_seeded_summit_as_gather_does(seeded):
    commitments, clashes = assert_scan_gathers_what_gather_gathers()
    assert sum(len(c.people) for c in commitments) > len(commitments)  # audiences expanded, not empty
    assert {"head_double_booked", "transfer_too_short", "before_arrival"} <= {c.kind.value for c in clashes}


def generated_summit(seed: int) -> None:
    """A summit and two side events drawn at random: delegations whose members have different categories and
    heads; accreditations to the summit and the side events in categories of their own, some revoked; sessions
    for every audience (a few cancelled) with named attendees who are often in the audience already;
    scheduled and cancelled bilaterals; tasks with people, staff, teams and call signs; travel for some."""
    rng = random.Random(seed)
    summit = EventFactory(acronym=f"GEN{seed}")
    sides = [SideEventFactory(acronym=f"GEN{seed}S{k}", parent=summit) for k in range(2)]
    events = [summit, *sides]
    categories = ["principal", "delegate", "security", "media", "liaison"]
    delegations, people = [], []
    for n in range(6):
        delegation = DelegationFactory(event=summit if n < 4 else rng.choice(events))
        members = [PersonFactory(delegation=delegation, category=rng.choice(categories)) for _ in range(5)]
        if rng.random() < 0.8:
            delegation.head = members[0]
            delegation.save(update_fields=["head"])
        delegations.append(delegation)
        people += members
    for person in rng.sample(people, 18):
        for event in rng.sample(events, rng.randint(1, 2)):
            AccreditationFactory(person=person, event=event, category=rng.choice(categories),
                                 status=rng.choice(["requested", "approved", "revoked"]),
                                 badge_number=f"G{seed}-{person.pk}-{event.pk}")  # fmt: skip
    for person in rng.sample(people, 6):
        TravelFactory(person=person, arrival_at=at(0, rng.choice(["08:00", "10:00"])),
                      departure_at=at(1, rng.choice(["12:00", "20:00"])))  # fmt: skip
    venues = [VenueFactory() for _ in range(3)]
    slots = [at(day, f"{hour:02d}:{minute:02d}") for day in (0, 1) for hour in range(8, 18) for minute in (0, 30)]
    for n in range(30):
        start = rng.choice(slots)
        session = SessionFactory(
            event=rng.choice(events), room=RoomFactory(venue=rng.choice(venues)), start=start,
            end=start + dt.timedelta(minutes=rng.choice([30, 60, 90])),
            audience=rng.choice(["heads", "all_delegates", "category", "named"]),
            audience_category=rng.choice(categories), status="cancelled" if n % 9 == 4 else "scheduled",
        )  # fmt: skip
        session.attendees.set(rng.sample(people, rng.randint(0, 6)))
    pairs = list(itertools.combinations([d for d in delegations if d.event_id == summit.pk], 2))
    for n, (a, b) in enumerate(rng.sample(pairs, 6)):  # one active bilateral per pair
        start = rng.choice(slots)
        BilateralMeetingFactory(event=summit, requester=a, counterpart=b, start=start,
                                end=start + dt.timedelta(minutes=30), room=RoomFactory(venue=rng.choice(venues)),
                                status="cancelled" if n == 5 else "scheduled",
                                protocol_officer=UserFactory() if n % 2 else None)  # fmt: skip
    team = TeamFactory()
    for n in range(8):
        start = rng.choice(slots)
        ProtocolTaskFactory(event=summit, start=start, end=start + dt.timedelta(minutes=45),
                            venue=rng.choice(venues), destination=rng.choice([None, *venues]),
                            person=rng.choice([None, *people]), team=team, vehicle=rng.choice(["", "hc-01", " HC-01 "]),
                            status="cancelled" if n == 7 else "open")  # fmt: skip


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scan_gathers_a_generated_summit_as_gather_does(db, seed):
    generated_summit(seed)
    commitments, clashes = assert_scan_gathers_what_gather_gathers()
    assert sum(len(c.people) for c in commitments) > 30
    assert any(c.kind.value in ("person_double_booked", "head_double_booked") for c in clashes)


@pytest.mark.postgres
def test_scan_gathers_in_five_queries_whatever_the_data_size(seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        small, _ = gather_for_scan()
    generated_summit(7)
    with django_assert_max_num_queries(5):
        large, _ = gather_for_scan()
    assert len(large) > len(small) + 30
