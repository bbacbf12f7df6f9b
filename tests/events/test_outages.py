"""Rooms out of service (events/domain/outages.py) and the clash the engine finds for what uses them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from asemplanner.models import AuditEntry
from events.domain.conflicts import Commitment, Facts, Kind, OutageFacts, Severity, find_clashes
from events.domain.outages import outage_create, outage_lift, outage_update
from events.models import RoomOutage
from tests.factories import RoomFactory, UserFactory, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def logistics():
    return UserFactory(username="logistics-1", roles=["logistics"])


@pytest.fixture
def power_cut(room, logistics):
    return outage_create(room=room, start=at(0, "10:00"), end=at(0, "14:00"), reason="Power cut", by=logistics)


def test_create_is_audited_and_names_who(room, logistics):
    outage = outage_create(room=room, start=at(0, "10:00"), end=at(0, "14:00"), reason=" Power cut ", by=logistics)

    assert outage.pk and outage.reason == "Power cut" and outage.created_by == logistics and outage.is_active
    entry = AuditEntry.objects.get(object_id=str(outage.pk), action="events.roomoutage.created")
    assert entry.actor == logistics


def test_period_ending_before_it_starts_is_refused_on_the_end(room, logistics):
    with pytest.raises(ValidationError) as caught:
        outage_create(room=room, start=at(0, "14:00"), end=at(0, "10:00"), reason="Power cut", by=logistics)

    assert "not after its start" in caught.value.message_dict["end"][0]
    assert not RoomOutage.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [("09:00", "11:00"), ("13:00", "15:00"), ("11:00", "12:00"), ("09:00", "15:00")],
    ids=["partial_before", "partial_after", "contained", "containing"],
)
def test_overlapping_active_outage_is_refused_naming_the_other(power_cut, room, logistics, start, end):
    with pytest.raises(ValidationError) as caught:
        outage_create(room=room, start=at(0, start), end=at(0, end), reason="Repairs", by=logistics)

    message = caught.value.message_dict["start"][0]
    assert "already out of service" in message and "Power cut" in message
    assert RoomOutage.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "end"), [("08:00", "10:00"), ("14:00", "16:00")], ids=["touching_before", "touching_after"]
)
def test_touching_periods_are_both_kept(power_cut, room, logistics, start, end):
    outage_create(room=room, start=at(0, start), end=at(0, end), reason="Repairs", by=logistics)

    assert RoomOutage.objects.filter(room=room).count() == 2


def test_a_lifted_outage_stays_on_record_and_frees_the_period(power_cut, room, logistics):
    outage_lift(outage=power_cut, by=logistics)
    outage_create(room=room, start=at(0, "11:00"), end=at(0, "12:00"), reason="Repairs", by=logistics)

    power_cut.refresh_from_db()
    assert power_cut.lifted_at is not None and not power_cut.is_active
    assert RoomOutage.objects.filter(room=room).count() == 2
    assert AuditEntry.objects.filter(object_id=str(power_cut.pk), action="events.roomoutage.lifted").count() == 1


def test_lifting_twice_is_refused(power_cut, logistics):
    outage_lift(outage=power_cut, by=logistics)
    lifted_at = RoomOutage.objects.get(pk=power_cut.pk).lifted_at

    with pytest.raises(ValidationError) as caught:
        outage_lift(outage=power_cut, by=logistics)

    assert "already back in service" in caught.value.message_dict["lifted_at"][0]
    assert RoomOutage.objects.get(pk=power_cut.pk).lifted_at == lifted_at


def test_blank_reason_is_refused(room, logistics):
    with pytest.raises(ValidationError) as caught:
        outage_create(room=room, start=at(0, "10:00"), end=at(0, "14:00"), reason="  ", by=logistics)

    assert "Say why" in caught.value.message_dict["reason"][0]
    assert not RoomOutage.objects.exists()


def test_update_moves_the_period_and_rechecks_overlap(power_cut, room, logistics):
    other = outage_create(room=room, start=at(0, "15:00"), end=at(0, "16:00"), reason="Cleaning", by=logistics)

    with pytest.raises(ValidationError) as caught:
        outage_update(outage=other, end=at(0, "17:00"), start=at(0, "13:00"), by=logistics)
    assert "Power cut" in caught.value.message_dict["start"][0]
    other.refresh_from_db()
    assert other.start == at(0, "15:00")

    outage_update(outage=power_cut, end=at(0, "12:00"), by=logistics)
    assert RoomOutage.objects.get(pk=power_cut.pk).end == at(0, "12:00")


def test_update_to_an_end_before_the_start_changes_nothing(power_cut, logistics):
    with pytest.raises(ValidationError) as caught:
        outage_update(outage=power_cut, end=at(0, "09:00"), by=logistics)

    assert "end" in caught.value.message_dict
    assert RoomOutage.objects.get(pk=power_cut.pk).end == at(0, "14:00")


def test_a_lifted_outage_cannot_be_changed(power_cut, logistics):
    outage_lift(outage=power_cut, by=logistics)

    with pytest.raises(ValidationError) as caught:
        outage_update(outage=power_cut, reason="Something else", by=logistics)

    assert "kept on record" in caught.value.message_dict["lifted_at"][0]
    assert RoomOutage.objects.get(pk=power_cut.pk).reason == "Power cut"


def test_outage_in_another_room_does_not_overlap(power_cut, logistics):
    other_room = RoomFactory()

    outage_create(room=other_room, start=at(0, "10:00"), end=at(0, "14:00"), reason="Power cut", by=logistics)

    assert RoomOutage.objects.count() == 2


# --- the engine -------------------------------------------------------------------------------------------------
def _c(key: str, start: str, end: str, *, room: int | None = None, serves: str = "") -> Commitment:
    return Commitment(key=key, label=key, start=at(0, start), end=at(0, end), room_id=room, serves=serves, event_id=1)


def _facts(*outages: tuple[int, str, str]) -> Facts:
    facts = Facts()
    for pk, (room, start, end) in enumerate(outages, start=1):
        facts.outages.setdefault(room, []).append(
            OutageFacts(pk, room, at(0, start), at(0, end), "Power cut", f"Palace · Room {room}")
        )
    return facts


@pytest.mark.parametrize(
    ("start", "end", "hit"),
    [
        ("09:00", "10:00", False),
        ("09:00", "10:30", True),
        ("11:00", "12:00", True),
        ("13:30", "15:00", True),
        ("14:00", "15:00", False),
    ],
    ids=["touching_before", "partial_before", "contained", "partial_after", "touching_after"],
)
def test_engine_flags_a_session_in_a_room_out_of_service(start, end, hit):
    clashes = find_clashes([_c("session:1", start, end, room=7)], _facts((7, "10:00", "14:00")))

    mine = [c for c in clashes if c.kind == Kind.ROOM_OUT_OF_SERVICE]
    assert bool(mine) == hit
    if hit:
        assert mine[0].severity == Severity.ERROR
        assert (mine[0].resource, mine[0].first, mine[0].second) == ("room:7", "session:1", "outage:1")
        assert "out of service" in mine[0].message and "Power cut" in mine[0].message


def test_engine_flags_bilateral_and_the_task_that_prepares_it_but_no_double_booking():
    bilateral = _c("bilateral:3", "11:00", "11:30", room=7)
    flags = _c("task:9", "10:45", "11:00", serves="bilateral:3")
    elsewhere = _c("task:10", "10:45", "11:00")

    clashes = find_clashes([bilateral, flags, elsewhere], _facts((7, "10:00", "14:00")))

    out = {c.first for c in clashes if c.kind == Kind.ROOM_OUT_OF_SERVICE}
    assert out == {"bilateral:3", "task:9"}
    assert not [c for c in clashes if c.kind == Kind.ROOM_DOUBLE_BOOKED]


def test_engine_scoped_to_other_resources_leaves_the_outage_out():
    facts = _facts((7, "10:00", "14:00"))
    commitments = [_c("session:1", "11:00", "12:00", room=7)]

    assert find_clashes(commitments, facts, resources={"room:8"}) == []
    assert [c.kind for c in find_clashes(commitments, facts, resources={"room:7"})] == [Kind.ROOM_OUT_OF_SERVICE]


def test_the_fingerprint_stays_while_the_outage_is_extended():
    before = find_clashes([_c("session:1", "11:00", "12:00", room=7)], _facts((7, "10:00", "14:00")))
    after = find_clashes([_c("session:1", "11:00", "12:00", room=7)], _facts((7, "09:00", "16:00")))

    assert before[0].fingerprint == after[0].fingerprint


def test_a_later_day_is_not_hit():
    commitments = [Commitment("session:1", "s", at(1, "11:00"), at(1, "12:00"), room_id=7)]
    facts = _facts((7, "10:00", "14:00"))

    assert find_clashes(commitments, facts) == []
    assert at(1, "11:00") - at(0, "11:00") == dt.timedelta(days=1)
