"""The scheduler's grid is a property of the problem: bilaterals on 15-minute slots starting on the hour or the
half hour; a business forum's fixed meeting slots (`slot`, `fixed_starts`) with tables as rooms."""

from __future__ import annotations

import datetime as dt

from protocol.domain.scheduling import Busy, Problem, Request, RoomSpec, candidates, greedy, solve
from tests.factories import at

DAY = [(at(0, "14:00"), at(0, "16:00"))]
TABLES = [RoomSpec(pk=t, venue=1, label=f"Table {t}") for t in (1, 2)]


def forum(requests, **more) -> Problem:
    starts = frozenset(at(0, "14:00") + dt.timedelta(minutes=20 * i) for i in range(6))
    return Problem(requests=requests, rooms=TABLES, days=DAY, changeover=0, buffer=0, slot=20,
                   fixed_starts=starts, **more)  # fmt: skip


def test_fixed_slots_are_the_only_starts_and_one_slot_holds_a_meeting():
    cands = candidates(forum([Request(1, "A–B", (101, 102), 1, 20)]))
    starts = sorted({cands.grid.starts[first] for _class, first in cands.options[1]})
    assert [s.strftime("%H:%M") for s in starts] == ["14:00", "14:20", "14:40", "15:00", "15:20", "15:40"]
    assert cands.slots[1] == 1
    assert len(cands.classes) == 1  # the tables are interchangeable


def test_the_default_grid_is_unchanged_for_bilaterals():
    problem = Problem(requests=[Request(1, "A–B", (101, 102), 1, 30)], rooms=TABLES, days=DAY, changeover=0)
    cands = candidates(problem)
    starts = sorted({cands.grid.starts[first] for _class, first in cands.options[1]})
    assert starts[1] - starts[0] == dt.timedelta(minutes=30)
    assert cands.slots[1] == 2  # two 15-minute slots
    assert starts[-1] == at(0, "15:30")


def test_a_forum_plan_keeps_participants_and_tables_single_booked_and_respects_availability():
    # Five meetings for participant 101 in six slots, one of which it is away; two tables.
    requests = [Request(k, f"r{k}", (101, 200 + k), 1, 20) for k in range(1, 6)]
    requests += [Request(10 + k, f"s{k}", (300 + k, 400 + k), 1, 20) for k in range(1, 5)]
    away = {101: [Busy(at(0, "14:40"), at(0, "15:00"))]}
    for plan in (greedy(forum(requests, busy=away)), solve(forum(requests, busy=away), seconds=5)):
        by_slot: dict[dt.datetime, list[int]] = {}
        for p in plan.placed:
            by_slot.setdefault(p.start, []).append(p.room)
        assert all(len(rooms) == len(set(rooms)) <= 2 for rooms in by_slot.values())
        mine = sorted(p.start for p in plan.placed if p.key < 10)
        assert at(0, "14:40") not in mine
        assert len(mine) == len(set(mine)) == 5
        assert len(plan.placed) == 9  # 12 table-slots, 9 meetings, everyone fits
