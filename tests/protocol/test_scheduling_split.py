"""The scheduler splits a problem into independent parts (`components`) and solves each on its own: the same
optimum as one model of the whole, no person or room double booked after merging, the bound the sum of the
parts' bounds, and a business forum's many participants at one class of tables split too."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from protocol.domain.scheduling import Busy, Placement, Problem, Request, RoomSpec, candidates, components, solve
from tests.factories import at
from tests.protocol.test_scheduling import assert_feasible

A, B = 1, 2  # venues
TWO_DAYS = [(at(0, "09:00"), at(0, "12:00")), (at(1, "09:00"), at(1, "12:00"))]


def req(key, people, *, priority=3, duration=30, windows=()) -> Request:
    return Request(key, f"r{key}", people, priority, duration, tuple(windows), (f"P{people[0]}", f"P{people[1]}"))


def generated(seed: int, *, groups: int = 3) -> Problem:
    """`groups` circles of five principals (requests only inside a circle), two venues, three rooms, two days."""
    rng = random.Random(seed)
    requests: list[Request] = []
    busy: dict[int, list[Busy]] = {}
    for g in range(groups):
        people = [100 * (g + 1) + i for i in range(5)]
        pairs = [(a, b) for i, a in enumerate(people) for b in people[i + 1 :]]
        for a, b in rng.sample(pairs, 7):
            requests.append(req(len(requests) + 1, (a, b), priority=rng.randint(1, 5), duration=rng.choice([30, 45])))
        person = rng.choice(people)
        day = rng.randrange(2)
        busy[person] = [Busy(at(day, "10:00"), at(day, "11:00"), B, B, "session")]
    rooms = [RoomSpec(10, A, "A1"), RoomSpec(11, A, "A2"), RoomSpec(20, B, "B1")]
    return Problem(requests=requests, rooms=rooms, days=TWO_DAYS, busy=busy, transfer={(A, B): 30}, buffer=15,
                   changeover=15)  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_split_finds_the_optimum_of_the_whole_model(seed):
    problem = generated(seed)
    whole = solve(problem, seconds=20, workers=2, gap=0.0, whole=True)
    split = solve(problem, seconds=20, workers=2, gap=0.0)
    assert whole.status == split.status == "OPTIMAL"
    assert split.objective == whole.objective == split.bound == whole.bound
    assert_feasible(problem, split.placed)


@pytest.mark.parametrize("seed", [5, 6])
def test_the_split_re_plan_keeps_the_value_and_moves_no_more_than_the_whole_model(seed):
    problem = generated(seed)
    before = solve(problem, seconds=20, workers=2, gap=0.0)
    first = min(before.placed, key=lambda p: (p.start, p.key))
    person = next(r.people[0] for r in problem.requests if r.key == first.key)
    # That principal now arrives half an hour after the first meeting began.
    late = first.start + dt.timedelta(minutes=30)
    arrival = Busy(late - dt.timedelta(minutes=1), late, A, A, "arrival")
    problem.busy = {**problem.busy, person: [*problem.busy.get(person, []), arrival]}
    problem.earliest = {person: late}
    problem.previous = {p.key: p for p in before.placed}
    whole = solve(problem, seconds=20, workers=2, whole=True)
    split = solve(problem, seconds=20, workers=2)
    assert whole.status == split.status == "OPTIMAL"
    assert split.objective == whole.objective
    assert len(split.moved) == len(whole.moved)
    assert first.key in split.moved
    assert_feasible(problem, split.placed)


def test_requests_sharing_no_principal_and_no_busy_room_are_separate_parts():
    problem = generated(7, groups=3)
    problem.rooms = [RoomSpec(10 + i, A, f"A{i}") for i in range(40)]  # more rooms than meetings: never binding
    parts = components(problem, candidates(problem))
    assert len(parts) == 3
    for part in parts:
        assert len({p // 100 for r in part for p in r.principals}) == 1  # one circle of principals each


def test_a_scarce_room_links_requests_that_share_no_principal():
    requests = [req(1, (100, 200)), req(2, (300, 400))]
    problem = Problem(requests=requests, rooms=[RoomSpec(10, A, "A1")], days=[(at(0, "09:00"), at(0, "10:00"))],
                      changeover=0)  # fmt: skip
    assert len(components(problem, candidates(problem))) == 1
    plan = solve(problem, seconds=5, workers=2)
    assert len(plan.placed) == 2
    assert plan.placed[0].start != plan.placed[1].start


def test_a_principal_links_requests_only_on_a_day_both_could_take():
    day0, day1 = (at(0, "09:00"), at(0, "12:00")), (at(1, "09:00"), at(1, "12:00"))
    requests = [req(1, (100, 200), windows=[day0]), req(2, (100, 300), windows=[day1]), req(3, (100, 400))]
    rooms = [RoomSpec(10 + i, A, f"A{i}") for i in range(5)]
    problem = Problem(requests=requests, rooms=rooms, days=[day0, day1], changeover=0)
    without_3 = Problem(requests=requests[:2], rooms=rooms, days=[day0, day1], changeover=0)
    assert len(components(without_3, candidates(without_3))) == 2
    assert len(components(problem, candidates(problem))) == 1  # request 3 could be on either day


def test_merged_parts_never_double_book_a_person_or_a_room():
    problem = generated(8, groups=4)
    problem.rooms = problem.rooms[:2]  # two rooms at venue A for four circles: the parts meet in the rooms
    plan = solve(problem, seconds=20, workers=2)
    assert_feasible(problem, plan.placed)
    by_room: dict[int, list[Placement]] = {}
    for p in plan.placed:
        by_room.setdefault(p.room, []).append(p)
    for placed in by_room.values():
        placed.sort(key=lambda p: p.start)
        assert all(a.end + dt.timedelta(minutes=15) <= b.start for a, b in zip(placed, placed[1:], strict=False))


def test_the_bound_is_the_sum_of_the_parts_bounds():
    problem = generated(9, groups=3)
    problem.rooms = [RoomSpec(10 + i, A, f"A{i}") for i in range(40)]
    parts = components(problem, candidates(problem))
    assert len(parts) == 3
    split = solve(problem, seconds=20, workers=2, gap=0.0)
    alone = [solve(Problem(requests=part, rooms=problem.rooms, days=problem.days, busy=problem.busy,
                           transfer=problem.transfer, changeover=15), seconds=20, workers=2, gap=0.0)
             for part in parts]  # fmt: skip
    assert split.bound == sum(plan.bound for plan in alone)
    assert split.objective == sum(plan.objective for plan in alone)


def test_a_forum_of_many_participants_at_one_class_of_tables_splits_into_its_circles():
    starts = frozenset(at(0, "14:00") + dt.timedelta(minutes=20 * i) for i in range(6))
    tables = [RoomSpec(t, 1, f"Table {t}") for t in range(1, 13)]
    # Four circles of six participants; everyone in a circle asks to meet the next two.
    requests = []
    for circle in range(4):
        people = [1000 * (circle + 1) + i for i in range(6)]
        for i, a in enumerate(people):
            for b in (people[(i + 1) % 6], people[(i + 2) % 6]):
                requests.append(Request(len(requests) + 1, "", (a, b), 1, 20))
    problem = Problem(requests=requests, rooms=tables, days=[(at(0, "14:00"), at(0, "16:00"))], changeover=0,
                      buffer=0, slot=20, fixed_starts=starts)  # fmt: skip
    cands = candidates(problem)
    assert len(cands.classes) == 1
    assert len(components(problem, cands)) == 4
    plan = solve(problem, seconds=20, workers=2, gap=0.0)
    assert plan.status == "OPTIMAL"
    assert len(plan.placed) == len(requests)  # 12 a circle in six slots: each participant in four
    assert_feasible(problem, plan.placed)
