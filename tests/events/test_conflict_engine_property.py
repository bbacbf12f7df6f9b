"""The clash engine against its O(n²) oracle, and its edge cases, on plain `Commitment` and `Facts` objects.

No database: the engine is pure. Times sit on a 5-minute grid within a few hours so that touching, identical,
nested and partly overlapping ranges all turn up often.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.domain import conflicts as engine
from events.domain.conflicts import (
    Commitment,
    EventFacts,
    Facts,
    Kind,
    OutageFacts,
    Presence,
    RoomFacts,
    Severity,
    by_resource,
    event_dates,
    find_clashes,
    naive_clashes,
    out_of_service,
    presence,
    room_rules,
    short_transfers,
)

UTC = dt.UTC
PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
T0 = dt.datetime(2020, 11, 16, 1, 0, tzinfo=UTC)  # 08:00 in Phnom Penh
GRID = dt.timedelta(minutes=5)

DOUBLE_BOOKING_KINDS = {
    Kind.ROOM_DOUBLE_BOOKED,
    Kind.PERSON_DOUBLE_BOOKED,
    Kind.HEAD_DOUBLE_BOOKED,
    Kind.STAFF_DOUBLE_BOOKED,
    Kind.TEAM_DOUBLE_BOOKED,
    Kind.VEHICLE_DOUBLE_BOOKED,
}


def t(hhmm: str) -> dt.datetime:
    """An aware datetime on 16 Nov 2020 at local Phnom Penh time `hhmm`."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(2020, 11, 16, hour, minute, tzinfo=PHNOM_PENH)


def double_bookings(clashes) -> set[tuple[str, str, str, str]]:
    """The engine's double bookings in the oracle's shape: (kind, resource, first, second), pair sorted."""
    return {(str(c.kind), c.resource, *sorted((c.first, c.second))) for c in clashes if c.kind in DOUBLE_BOOKING_KINDS}


# --- property: the sweep finds exactly the pairs the oracle finds ------------------------------------------------


@st.composite
def commitment_lists(draw) -> list[Commitment]:
    count = draw(st.integers(min_value=0, max_value=14))
    commitments = []
    for index in range(count):
        start_slot = draw(st.integers(min_value=0, max_value=24))
        length = draw(st.integers(min_value=1, max_value=12))
        # The same instant in two zones: the engine must compare instants, not wall-clock readings.
        zone = draw(st.sampled_from([UTC, PHNOM_PENH]))
        source = draw(st.sampled_from(["session", "bilateral", "task"]))
        commitments.append(
            Commitment(
                key=f"{source}:{index}",
                label=f"{source} {index}",
                start=(T0 + start_slot * GRID).astimezone(zone),
                end=(T0 + (start_slot + length) * GRID).astimezone(zone),
                room_id=draw(st.none() | st.integers(min_value=1, max_value=3)),
                venue_id=draw(st.none() | st.integers(min_value=1, max_value=3)),
                people=tuple(draw(st.lists(st.integers(min_value=1, max_value=6), unique=True, max_size=4))),
                staff=tuple(draw(st.lists(st.integers(min_value=1, max_value=3), unique=True, max_size=2))),
                team_id=draw(st.none() | st.integers(min_value=1, max_value=3)),
                # Call signs are matched ignoring case and surrounding blanks: "m01" and " M01 " are one car.
                vehicle=draw(st.sampled_from(["", "M01", "m01", " M01 ", "M02"])),
            )
        )
    return commitments


@settings(max_examples=200, deadline=None)
@given(
    commitments=commitment_lists(),
    heads=st.frozensets(st.integers(min_value=1, max_value=6), max_size=3),
)
def test_find_clashes_double_bookings_equal_naive_oracle(commitments, heads):
    facts = Facts(heads=heads)

    clashes = find_clashes(commitments, facts)

    found = [c for c in clashes if c.kind in DOUBLE_BOOKING_KINDS]
    assert double_bookings(found) == naive_clashes(commitments, facts)
    assert len(found) == len(double_bookings(found)), "a double booking was reported twice"
    by_key = {c.key: c for c in commitments}
    for clash in found:
        a, b = by_key[clash.first], by_key[clash.second]
        assert clash.severity == Severity.ERROR
        assert clash.starts_at == max(a.start, b.start)


@settings(max_examples=200, deadline=None)
@given(commitments=commitment_lists(), data=st.data())
def test_find_clashes_independent_of_input_order(commitments, data):
    facts = Facts(
        transfer_minutes={(1, 2): 10, (2, 3): 20},
        presence={1: Presence(arrival=T0 + 6 * GRID, departure=T0 + 30 * GRID)},
        heads=frozenset({2}),
    )
    presence_checked = [dataclasses.replace(c, checks_presence=True) for c in commitments]
    shuffled = data.draw(st.permutations(presence_checked))

    def summary(clashes):
        return sorted((c.fingerprint, c.severity, c.first, c.second, c.starts_at, c.message) for c in clashes)

    assert summary(find_clashes(shuffled, facts)) == summary(find_clashes(presence_checked, facts))


@settings(max_examples=200, deadline=None)
@given(commitments=commitment_lists(), data=st.data())
def test_find_clashes_equals_each_check_run_on_each_resource(commitments, data):
    """`find_clashes` sorts all commitments once, walks each resource by rank and sweeps for double bookings only
    where a pass finds an overlap: it must give what running each check on `by_resource`'s lists gives — the
    same clashes, messages and message arguments, in the same order — for a full scan and a scoped one."""
    facts = Facts(
        transfer_minutes={(1, 2): 10, (2, 3): 20},
        presence={1: Presence(arrival=T0 + 6 * GRID, departure=T0 + 30 * GRID), 3: Presence(None, T0 + 20 * GRID)},
        heads=frozenset({2}),
        rooms={1: RoomFacts(10, dt.time(9), dt.time(10, 30), "Hall A"), 2: RoomFacts(50, None, None, "Hall B")},
        events={7: EventFacts(dt.date(2020, 11, 16), dt.date(2020, 11, 16), "ASEM13")},
        outages={3: [OutageFacts(1, 3, T0 + 4 * GRID, T0 + 8 * GRID, "Flooded", "Hall C")]},
        venue_names={1: "Peace Palace", 2: "Sokha"},
        tz=PHNOM_PENH,
    )
    commitments = [
        dataclasses.replace(
            c,
            checks_presence=data.draw(st.booleans()),
            within_event=data.draw(st.booleans()),
            event_id=data.draw(st.sampled_from([None, 7])),
            expected=data.draw(st.sampled_from([None, 5, 20])),
            end_venue_id=data.draw(st.none() | st.integers(min_value=1, max_value=3)),
        )
        for c in commitments
    ]
    everything = sorted({r for c in commitments for r in c.resources()} | {"event:7", "room:3"})
    scope = data.draw(st.none() | st.sets(st.sampled_from(everything)) if everything else st.none())
    wanted = None if scope is None else scope.__contains__

    expected = []
    for resource, items in by_resource(commitments, wanted).items():
        expected += engine.double_bookings(resource, items, facts)
        if resource.startswith("person:"):
            expected += short_transfers(resource, items, facts)
            expected += presence(resource, items, facts)
        elif resource.startswith("room:"):
            expected += room_rules(resource, items, facts)
    expected += out_of_service(commitments, facts, wanted)
    if scope is None or "event:7" in scope:
        expected += event_dates(commitments, facts)

    def stored(clashes):
        return [(c, c.message, c.message_payload) for c in clashes]

    assert stored(find_clashes(commitments, facts, resources=scope)) == stored(expected)


# --- edge cases of one shared resource ---------------------------------------------------------------------------

RANGES = [
    pytest.param(("09:00", "10:00"), ("09:00", "10:00"), True, id="exact"),
    pytest.param(("09:00", "10:00"), ("10:00", "11:00"), False, id="touching"),
    pytest.param(("09:00", "12:00"), ("10:00", "11:00"), True, id="contained"),
    pytest.param(("09:00", "10:00"), ("09:00", "11:00"), True, id="shared_start"),
    pytest.param(("09:00", "11:00"), ("10:00", "11:00"), True, id="shared_end"),
    pytest.param(("09:00", "10:30"), ("10:00", "11:00"), True, id="partial"),
    pytest.param(("10:00", "11:00"), ("09:00", "10:30"), True, id="partial_before"),
    pytest.param(("09:00", "09:55"), ("10:00", "11:00"), False, id="apart"),
]

# How each kind of resource is shared by the two commitments, and the clash kind and resource expected.
SHARED = [
    pytest.param({"room_id": 7}, Kind.ROOM_DOUBLE_BOOKED, "room:7", id="room"),
    pytest.param({"people": (40,)}, Kind.PERSON_DOUBLE_BOOKED, "person:40", id="person"),
    pytest.param({"people": (1,)}, Kind.HEAD_DOUBLE_BOOKED, "person:1", id="head"),
    pytest.param({"staff": (5,)}, Kind.STAFF_DOUBLE_BOOKED, "staff:5", id="staff"),
    pytest.param({"team_id": 3}, Kind.TEAM_DOUBLE_BOOKED, "team:3", id="team"),
    pytest.param({"vehicle": "M01"}, Kind.VEHICLE_DOUBLE_BOOKED, "vehicle:M01", id="vehicle"),
]


@pytest.mark.parametrize(("shared", "kind", "resource"), SHARED)
@pytest.mark.parametrize(("first", "second", "clash"), RANGES)
def test_find_clashes_double_booking_edges(first, second, clash, shared, kind, resource):
    a = Commitment(key="session:1", label="Retreat", start=t(first[0]), end=t(first[1]), **shared)
    b = Commitment(key="task:2", label="Motorcade", start=t(second[0]), end=t(second[1]), **shared)
    facts = Facts(heads=frozenset({1}))

    clashes = find_clashes([a, b], facts)

    expected = {(str(kind), resource, "session:1", "task:2")} if clash else set()
    assert double_bookings(clashes) == expected
    assert naive_clashes([a, b], facts) == expected
    if clash:
        (found,) = clashes
        assert found.severity == Severity.ERROR
        assert found.starts_at == max(a.start, b.start)


def test_find_clashes_different_resources_never_clash():
    a = Commitment(key="session:1", label="A", start=t("09:00"), end=t("10:00"), room_id=1, people=(1,), team_id=1)
    b = Commitment(key="session:2", label="B", start=t("09:00"), end=t("10:00"), room_id=2, people=(2,), team_id=2)

    assert find_clashes([a, b], Facts()) == []


def test_find_clashes_vehicle_call_signs_match_ignoring_case_and_blanks():
    a = Commitment(key="task:1", label="Motorcade A", start=t("09:00"), end=t("10:00"), vehicle=" m01")
    b = Commitment(key="task:2", label="Motorcade B", start=t("09:30"), end=t("10:30"), vehicle="M01 ")

    assert double_bookings(find_clashes([a, b], Facts())) == {
        ("vehicle_double_booked", "vehicle:M01", "task:1", "task:2")
    }


def test_find_clashes_three_overlapping_commitments_give_every_pair():
    items = [
        Commitment(key=f"session:{n}", label=f"S{n}", start=t(start), end=t(end), room_id=1)
        for n, (start, end) in enumerate([("09:00", "12:00"), ("10:00", "11:00"), ("10:30", "11:30")])
    ]

    assert double_bookings(find_clashes(items, Facts())) == {
        ("room_double_booked", "room:1", "session:0", "session:1"),
        ("room_double_booked", "room:1", "session:0", "session:2"),
        ("room_double_booked", "room:1", "session:1", "session:2"),
    }


# --- transfers between venues ------------------------------------------------------------------------------------
# Venue 1 → venue 2 takes 30 minutes by motorcade, plus the 15-minute protocol buffer: 45 minutes are enough.

TRANSFER = {(1, 2): 30}
BUFFER = 15


@pytest.mark.parametrize(
    ("gap", "second_venue", "transfers", "severity"),
    [
        pytest.param(45, 2, TRANSFER, None, id="transfer_exactly_at_buffer"),
        pytest.param(44, 2, TRANSFER, Severity.WARNING, id="one_minute_short"),
        pytest.param(30, 2, TRANSFER, Severity.WARNING, id="exactly_transfer_no_buffer"),
        pytest.param(29, 2, TRANSFER, Severity.ERROR, id="shorter_than_transfer"),
        pytest.param(0, 2, TRANSFER, Severity.ERROR, id="back_to_back"),
        pytest.param(0, 1, TRANSFER, None, id="same_venue"),
        pytest.param(29, 2, {(2, 1): 30}, Severity.ERROR, id="only_reverse_direction_known"),
        pytest.param(0, 3, TRANSFER, None, id="no_transfer_time_known"),
    ],
)
def test_find_clashes_transfer(gap, second_venue, transfers, severity):
    first_end = t("10:00")
    a = Commitment(key="session:1", label="Plenary", start=t("09:00"), end=first_end, venue_id=1, people=(40,))
    b = Commitment(
        key="session:2",
        label="Lunch",
        start=first_end + dt.timedelta(minutes=gap),
        end=t("13:00"),
        venue_id=second_venue,
        people=(40,),
    )
    facts = Facts(transfer_minutes=transfers, buffer_minutes=BUFFER)

    clashes = find_clashes([b, a], facts)

    transfer = [(c.kind, c.severity, c.resource, c.first, c.second, c.starts_at) for c in clashes]
    expected = (
        []
        if severity is None
        else [(Kind.TRANSFER_TOO_SHORT, severity, "person:40", "session:1", "session:2", first_end)]
    )
    assert transfer == expected


def test_find_clashes_transfer_counts_from_where_the_motorcade_arrives():
    """A motorcade from venue 2 to venue 1 ends at venue 1: a session at venue 1 right after is reachable."""
    motorcade = Commitment(
        key="task:1", label="Motorcade", start=t("08:30"), end=t("09:00"), venue_id=2, end_venue_id=1, people=(40,)
    )
    session = Commitment(key="session:1", label="Plenary", start=t("09:00"), end=t("10:00"), venue_id=1, people=(40,))

    assert find_clashes([motorcade, session], Facts(transfer_minutes=TRANSFER)) == []


def test_find_clashes_transfer_measured_from_the_latest_end():
    """A short item inside a long one does not hide that the long one ends too late to reach the next venue."""
    long = Commitment(key="session:1", label="Retreat", start=t("09:00"), end=t("12:00"), venue_id=1, people=(40,))
    inside = Commitment(key="task:1", label="Call", start=t("10:00"), end=t("10:30"), venue_id=1, people=(40,))
    after = Commitment(key="session:2", label="Lunch", start=t("12:10"), end=t("13:00"), venue_id=2, people=(40,))

    clashes = find_clashes([long, inside, after], Facts(transfer_minutes=TRANSFER))

    assert {(c.kind, c.severity, c.first, c.second) for c in clashes} == {
        (Kind.PERSON_DOUBLE_BOOKED, Severity.ERROR, "session:1", "task:1"),
        (Kind.TRANSFER_TOO_SHORT, Severity.ERROR, "session:1", "session:2"),
    }


# --- presence: arrival and departure -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "checks_presence", "expected"),
    [
        pytest.param("09:00", "10:00", True, [Kind.BEFORE_ARRIVAL], id="before_arrival"),
        pytest.param("09:30", "10:00", True, [], id="starts_at_arrival"),
        pytest.param("15:00", "16:30", True, [Kind.AFTER_DEPARTURE], id="after_departure"),
        pytest.param("15:00", "16:00", True, [], id="ends_at_departure"),
        pytest.param("08:00", "17:00", True, [Kind.BEFORE_ARRIVAL, Kind.AFTER_DEPARTURE], id="whole_day"),
        pytest.param("09:00", "10:00", False, [], id="tasks_not_checked"),
    ],
)
def test_find_clashes_presence(start, end, checks_presence, expected):
    item = Commitment(
        key="session:1", label="Plenary", start=t(start), end=t(end), people=(40,), checks_presence=checks_presence
    )
    facts = Facts(presence={40: Presence(arrival=t("09:30"), departure=t("16:00"))})

    clashes = find_clashes([item], facts)

    assert [(c.kind, c.resource, c.first, c.second) for c in clashes] == [
        (kind, "person:40", "session:1", "") for kind in expected
    ]
    assert all(c.severity == Severity.ERROR for c in clashes)


def test_find_clashes_presence_unknown_travel_is_not_a_clash():
    item = Commitment(
        key="session:1", label="Plenary", start=t("06:00"), end=t("23:00"), people=(40,), checks_presence=True
    )

    assert find_clashes([item], Facts(presence={41: Presence(arrival=t("09:30"), departure=None)})) == []
