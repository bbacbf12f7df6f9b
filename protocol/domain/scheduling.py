"""Placing bilateral meetings with OR-Tools CP-SAT: pure functions over a `Problem`, no database.

Time is a grid of `Problem.slot`-minute slots (15) over the event's days (bilateral hours only). For each request the
candidate placements are (room, first slot) pairs where, before any choice is made,

- the room is open, free of sessions and of bilaterals outside the plan (with the changeover after each),
- both principals are in town (arrival plus the transfer from the airport and the protocol buffer, until
  departure minus the same) and free of their other commitments *with the motorcade time* between the
  commitment's venue and the room's venue plus the buffer (the conflict engine's rule),
- the meeting lies inside one of the requester's preferred windows, when it gave any (they are hard).

The model has one Boolean per candidate (`x`), at most one per request, and:

- a room holds one meeting (plus changeover) per slot (`AddAtMostOne` per room and slot);
- a principal is in one meeting per slot;
- between two of a principal's meetings in different venues lies the transfer plus the buffer: a meeting at
  venue v casts a "tail" over the slots after it, and no meeting at another venue w may cover a slot under
  a v-tail whose length is the v → w transfer plus buffer. Each tail is one auxiliary Boolean per
  (principal, venue pair, slot), bounded below by the meetings that cast it, so the rule is exact on the grid.

It maximises the priority-weighted number of placed meetings. With `previous` placements (a re-plan after a
disruption) it keeps the value of what was placed first, then moves as few meetings as possible, then adds
what it can: the weights are lexicographic. A short-notice run (`place_first`) swaps the last two: it keeps
every placed meeting placed, then places the new request, then moves as few meetings as possible.

`solve()` splits the requests into independent parts (`components`: principals link requests on a day, rooms
only where their capacity can bind) and solves each alone. A part's linear relaxation (GLOP, over the same rows)
bounds it, and the greedy rounds it (requests the relaxation places most surely first): at summit size that is
within the gap, so CP-SAT runs only where a gap is left, hinted with the best plan so far. For that the lean model
writes the transfer rule as cliques (a person's meetings at v ending at one slot, with those at w under the tail)
and drops rows a neighbouring slot's row contains. `solve(whole=True)` is the single model of the whole problem
as it was before the split: the baseline of benchmark B3, with the greedy.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SLOT = 15  # minutes: the grid of durations, transfers and buffers
START_EVERY = 30  # minutes: meetings start on the hour or the half hour, as protocol offices book them


@dataclass(frozen=True, slots=True)
class Busy:
    """A fixed commitment of a principal (a session, a task, a bilateral outside the plan)."""

    start: dt.datetime
    end: dt.datetime
    venue: int | None = None
    end_venue: int | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class Request:
    key: int  # the BilateralMeeting pk
    label: str
    people: tuple[int | None, int | None]  # heads of the two delegations (None: not named yet)
    priority: int
    duration: int  # minutes
    windows: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
    names: tuple[str, str] = ("", "")  # the two partners, for reasons

    @property
    def principals(self) -> tuple[int, ...]:
        """The named heads (a request with a head missing has no candidate, so the solver never meets one)."""
        return tuple(p for p in self.people if p is not None)


@dataclass(frozen=True, slots=True)
class RoomSpec:
    pk: int
    venue: int
    label: str
    busy: tuple[tuple[dt.datetime, dt.datetime], ...] = ()  # sessions and bilaterals outside the plan
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    key: int
    room: int
    start: dt.datetime
    end: dt.datetime


@dataclass
class Problem:
    requests: list[Request]
    rooms: list[RoomSpec]
    days: list[tuple[dt.datetime, dt.datetime]]  # bilateral hours of each event day, local, aware
    busy: dict[int, list[Busy]] = field(default_factory=dict)  # person → fixed commitments
    earliest: dict[int, dt.datetime] = field(default_factory=dict)  # person → in town from (arrival + transfer)
    latest: dict[int, dt.datetime] = field(default_factory=dict)  # person → in town until
    transfer: dict[tuple[int, int], int] = field(default_factory=dict)  # (venue, venue) → minutes
    buffer: int = 15
    changeover: int = 15
    previous: dict[int, Placement] = field(default_factory=dict)  # a re-plan keeps these where it can
    # A short-notice run: placing the new requests outranks keeping `previous` where they are (never dropping one).
    place_first: bool = False
    # The grid: `slot` minutes per slot, meetings start every `start_every` minutes of the clock (bilaterals: on the
    # hour or the half hour), or only at `fixed_starts` when given (a business forum's fixed meeting slots).
    slot: int = SLOT
    start_every: int = START_EVERY
    fixed_starts: frozenset[dt.datetime] | None = None

    def minutes(self, a: int | None, b: int | None) -> int:
        """Transfer plus buffer between two venues; 0 in the same venue or when either is unknown."""
        if a is None or b is None or a == b:
            return 0
        known = self.transfer.get((a, b), self.transfer.get((b, a)))
        return (known if known is not None else 0) + self.buffer


@dataclass
class Plan:
    placed: list[Placement]
    unplaced: dict[int, str]  # request key → why it could not be placed
    objective: int  # priority-weighted placed meetings
    bound: int  # CP-SAT's proven upper bound on it (the greedy's own value for the greedy)
    status: str
    seconds: float
    moved: list[int] = field(default_factory=list)  # previously placed requests now elsewhere or dropped
    candidates: int = 0

    @property
    def gap(self) -> float:
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.objective) / self.bound)


# --- The grid and the candidates -------------------------------------------------------------------------------
@dataclass
class Grid:
    starts: list[dt.datetime]  # each slot's start, in order
    index: dict[dt.datetime, int]
    next_contiguous: list[bool]  # slot i+1 starts where slot i ends (same day)
    minutes: int = SLOT  # the length of a slot

    @classmethod
    def over(cls, days: Iterable[tuple[dt.datetime, dt.datetime]], minutes: int = SLOT) -> Grid:
        starts: list[dt.datetime] = []
        step = dt.timedelta(minutes=minutes)
        for first, last in sorted(days):
            moment = first
            while moment + step <= last:
                starts.append(moment)
                moment += step
        contiguous = [i + 1 < len(starts) and starts[i + 1] - starts[i] == step for i in range(len(starts))]
        return cls(
            starts=starts, index={s: i for i, s in enumerate(starts)}, next_contiguous=contiguous, minutes=minutes
        )

    def runs(self, free: Sequence[bool]) -> list[int]:
        """runs[i] = how many free, contiguous slots start at slot i."""
        runs = [0] * (len(free) + 1)
        for i in range(len(free) - 1, -1, -1):
            if free[i]:
                runs[i] = 1 + (runs[i + 1] if self.next_contiguous[i] else 0)
        return runs[:-1]

    def free_of(self, blocks: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[bool]:
        step = dt.timedelta(minutes=self.minutes)
        free = [True] * len(self.starts)
        for start, end in blocks:
            # The slots that overlap the block: start - step < slot < end (the starts are sorted).
            lo = 0 if not self.starts or start <= self.starts[0] else bisect_right(self.starts, start - step)
            for i in range(lo, bisect_left(self.starts, end)):
                free[i] = False
        return free


def _person_blocks(problem: Problem, person: int, venue: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """What a meeting at `venue` may not overlap: each commitment widened by the transfers to and from it,
    and the time before the person is in town and after they leave."""
    blocks = []
    for item in problem.busy.get(person, ()):
        before = dt.timedelta(minutes=problem.minutes(venue, item.venue))
        after = dt.timedelta(minutes=problem.minutes(item.end_venue or item.venue, venue))
        blocks.append((item.start - before, item.end + after))
    if person in problem.earliest:
        blocks.append((dt.datetime.min.replace(tzinfo=dt.UTC), problem.earliest[person]))
    if person in problem.latest:
        blocks.append((problem.latest[person], dt.datetime.max.replace(tzinfo=dt.UTC)))
    return blocks


def _room_free(grid: Grid, room: RoomSpec, changeover: int) -> list[bool]:
    pad = dt.timedelta(minutes=changeover)
    blocks = [(start - pad, end + pad) for start, end in room.busy]
    free = grid.free_of(blocks)
    if room.opens_at is not None and room.closes_at is not None:
        step = dt.timedelta(minutes=grid.minutes)
        for i, slot in enumerate(grid.starts):
            local = slot.astimezone(slot.tzinfo)
            if (
                local.time() < room.opens_at
                or (local + step).time() > room.closes_at
                or (local + step).date() != local.date()
            ):
                free[i] = False
    return free


@dataclass(frozen=True, slots=True)
class RoomClass:
    """Rooms of one venue with the same hours and bookings: interchangeable, so the model counts them."""

    rooms: tuple[int, ...]  # indexes into problem.rooms
    venue: int


@dataclass
class Candidates:
    grid: Grid
    classes: list[RoomClass]
    options: dict[int, list[tuple[int, int]]]  # request → [(room class index, first slot)]
    slots: dict[int, int]  # request → its length in slots
    reasons: dict[int, str]  # requests with no candidate → why


def room_classes(problem: Problem) -> list[RoomClass]:
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, room in enumerate(problem.rooms):
        groups[room.venue, tuple(sorted(room.busy)), room.opens_at, room.closes_at].append(index)
    return [RoomClass(tuple(indexes), key[0]) for key, indexes in sorted(groups.items(), key=lambda g: g[1][0])]


def candidates(problem: Problem) -> Candidates:
    grid = Grid.over(problem.days, problem.slot)
    classes = room_classes(problem)
    venues = sorted({room.venue for room in problem.rooms})
    class_runs = [grid.runs(_room_free(grid, problem.rooms[c.rooms[0]], problem.changeover)) for c in classes]
    person_runs: dict[tuple[int, int], list[int]] = {}
    in_town_runs: dict[int, list[int]] = {}

    shared_runs: dict[tuple[int, tuple[tuple[int, int], ...]], list[int]] = {}
    minutes: dict[tuple[int | None, int | None], int] = {}
    open_at: dict[int, list[int]] = {}

    def gap(a: int | None, b: int | None) -> int:
        if (a, b) not in minutes:
            minutes[a, b] = problem.minutes(a, b)
        return minutes[a, b]

    def runs_for(person: int, venue: int) -> list[int]:
        if (person, venue) not in person_runs:
            # Venues the same transfers away from each of the person's commitments share their free runs (the far
            # venues of a large problem, mostly), so each is computed once.
            reach = tuple(
                (gap(venue, item.venue), gap(item.end_venue or item.venue, venue))
                for item in problem.busy.get(person, ())
            )
            if (person, reach) not in shared_runs:
                shared_runs[person, reach] = grid.runs(grid.free_of(_person_blocks(problem, person, venue)))
            person_runs[person, venue] = shared_runs[person, reach]
        return person_runs[person, venue]

    def open_venues(person: int) -> list[int]:
        """The venues where the person has any free time."""
        if person not in open_at:
            open_at[person] = [v for v in venues if max(runs_for(person, v), default=0) > 0]
        return open_at[person]

    def in_town(person: int) -> list[int]:
        if person not in in_town_runs:
            blocks = []
            if person in problem.earliest:
                blocks.append((dt.datetime.min.replace(tzinfo=dt.UTC), problem.earliest[person]))
            if person in problem.latest:
                blocks.append((problem.latest[person], dt.datetime.max.replace(tzinfo=dt.UTC)))
            in_town_runs[person] = grid.runs(grid.free_of(blocks))
        return in_town_runs[person]

    classes_at: dict[int, list[int]] = defaultdict(list)
    for c, room_class in enumerate(classes):
        classes_at[room_class.venue].append(c)
    options: dict[int, list[tuple[int, int]]] = {}
    slots: dict[int, int] = {}
    reasons: dict[int, str] = {}
    step = dt.timedelta(minutes=problem.slot)
    n = len(grid.starts)
    if problem.fixed_starts is not None:
        on_start_grid = [s in problem.fixed_starts for s in grid.starts]
    else:
        on_start_grid = [(s.hour * 60 + s.minute) % problem.start_every == 0 for s in grid.starts]
    for request in problem.requests:
        k = -(-request.duration // problem.slot)
        slots[request.key] = k
        missing = [name for name, person in zip(request.names, request.people, strict=True) if person is None]
        if missing:
            reasons[request.key] = (
                _("No head of delegation is named for %(partner)s, so there is no principal to schedule.")
                % {"partner": missing[0]}
                if len(missing) == 1
                else _(
                    "No head of delegation is named for %(first)s and %(second)s, so there is no principal to schedule."
                )
                % {"first": missing[0], "second": missing[1]}
            )
            options[request.key] = []
            continue
        people = [p for p in request.people if p is not None]
        if request.windows:
            inside = [
                any(w0 <= grid.starts[i] and grid.starts[i] + k * step <= w1 for w0, w1 in request.windows)
                for i in range(n)
            ]
        else:
            inside = [True] * n
        common = [v for v in open_venues(people[0]) if all(v in open_venues(p) for p in people[1:])]
        both_free = {v: list(map(min, *(runs_for(p, v) for p in people))) for v in common}
        found = []
        for v, free in both_free.items():
            if max(free, default=0) < k:  # not free together there at all (mostly: far from their venues)
                continue
            fits = [i for i in range(n) if free[i] >= k and inside[i] and on_start_grid[i]]
            for c in classes_at[v]:
                found += [(c, i) for i in fits if class_runs[c][i] >= k]
        found.sort()
        options[request.key] = found
        if found:
            continue
        # Why not: in town together at all, then free together, then inside the windows, then a room.
        together = [min(in_town(p)[i] for p in people) for i in range(n)]
        if not any(run >= k for run in together):
            reasons[request.key] = _(
                "Outside the event: %(first)s and %(second)s are not both in town for %(minutes)s minutes during the "
                "bilateral hours of the event days (check their travel)."
            ) % {"first": request.names[0], "second": request.names[1], "minutes": request.duration}
        elif not any(both_free[v][i] >= k for v in both_free for i in range(n)):
            reasons[request.key] = _(
                "No common free time: the programmes of the two principals leave no %(minutes)s-minute gap, with "
                "motorcade transfers and buffers, at any venue with a bilateral room."
            ) % {"minutes": request.duration}
        elif not any(both_free[v][i] >= k and inside[i] for v in both_free for i in range(n)):
            reasons[request.key] = _(
                "No common free time inside the preferred windows: the principals are free together only outside "
                "them. Widen the windows or remove them."
            )
        else:
            reasons[request.key] = _(
                "No room: whenever both principals are free, every bilateral room is taken (or closed). Add a room "
                "or free one."
            )
    return Candidates(grid=grid, classes=classes, options=options, slots=slots, reasons=reasons)


def _room_slots(problem: Problem, grid: Grid, first: int, k: int) -> list[int]:
    """The slots a meeting of `k` slots from `first` holds its room: the meeting, then the changeover."""
    wanted = k + -(-problem.changeover // grid.minutes)
    length = 1
    while length < wanted and first + length < len(grid.starts) and grid.next_contiguous[first + length - 1]:
        length += 1
    return list(range(first, first + length))


def _tail(problem: Problem, grid: Grid, end_slot: int, minutes: int) -> list[int]:
    """Slots under the tail after a meeting ending before slot `end_slot` (same day only)."""
    count = -(-minutes // grid.minutes)
    slots = []
    i = end_slot
    while count > 0 and i < len(grid.starts) and grid.next_contiguous[i - 1]:
        slots.append(i)
        i += 1
        count -= 1
    return slots


def assign_rooms(
    problem: Problem, cands: Candidates, chosen: dict[int, tuple[int, int]]
) -> tuple[list[Placement], list[int]]:
    """Concrete rooms for (class, first slot) choices: interval colouring by start, which never fails for
    interchangeable rooms when no slot holds more meetings than the class has rooms. A meeting that stays
    where it was (a re-plan) keeps its room. Returns the placements and any key left without a room."""
    grid = cands.grid
    requests = {r.key: r for r in problem.requests}
    held: dict[int, list[tuple[int, int]]] = defaultdict(list)  # room index → [(first, last + 1)]
    placements, homeless = [], []
    room_index_of = {room.pk: i for i, room in enumerate(problem.rooms)}

    def free(room: int, first: int, end: int) -> bool:
        return all(end <= a or b <= first for a, b in held[room])

    order = sorted(chosen.items(), key=lambda item: (item[1][1], item[0]))
    staying = {}
    for key, (c, first) in order:
        before = problem.previous.get(key)
        if before is not None and grid.index.get(before.start) == first:
            room = room_index_of.get(before.room)
            if room is not None and room in cands.classes[c].rooms:
                staying[key] = room
    for key, room in staying.items():
        first = chosen[key][1]
        held[room].append((first, first + len(_room_slots(problem, grid, first, cands.slots[key]))))
    for key, (c, first) in order:
        end = first + len(_room_slots(problem, grid, first, cands.slots[key]))
        room = staying.get(key)
        if room is None:
            room = next((r for r in cands.classes[c].rooms if free(r, first, end)), None)
            if room is None:
                homeless.append(key)
                continue
            held[room].append((first, end))
        start = grid.starts[first]
        placements.append(
            Placement(key, problem.rooms[room].pk, start, start + dt.timedelta(minutes=requests[key].duration))
        )
    return placements, homeless


# --- Greedy baseline -------------------------------------------------------------------------------------------
def greedy(
    problem: Problem, cands: Candidates | None = None, *, guide: dict[tuple[int, tuple[int, int]], float] | None = None
) -> Plan:
    """Highest priority first (then fewest candidates), each at its earliest feasible candidate.

    With a `guide` (the linear relaxation's value of each (request, candidate)), the requests the relaxation
    places most surely go first, each at its candidate of highest value: rounding the relaxation."""
    began = time.perf_counter()
    cands = cands or candidates(problem)
    grid = cands.grid
    requests = {r.key: r for r in problem.requests}
    in_use: dict[tuple[int, int], int] = defaultdict(int)  # (class, slot) → meetings
    person_meetings: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # person → (first, last+1, venue)
    chosen: dict[int, tuple[int, int]] = {}
    unplaced = {}
    # A re-plan first keeps what was placed and still fits where it is, then places the rest.
    staying = _staying_options(problem, cands)
    if guide is None:
        order = sorted(
            problem.requests, key=lambda r: (r.key not in staying, -r.priority, len(cands.options[r.key]), r.key)
        )
    else:
        surest = {r.key: max((guide.get((r.key, o), 0.0) for o in cands.options[r.key]), default=0.0)
                  for r in problem.requests}  # fmt: skip
        order = sorted(problem.requests, key=lambda r: (r.key not in staying, -surest[r.key], -r.priority, r.key))
    for request in order:
        if not cands.options[request.key]:
            unplaced[request.key] = cands.reasons[request.key]
            continue
        k = cands.slots[request.key]
        if guide is None:
            tries = sorted(cands.options[request.key], key=lambda o: (o[1], o[0]))
        else:
            tries = sorted(cands.options[request.key], key=lambda o: (-guide.get((request.key, o), 0.0), o[1], o[0]))
        if request.key in staying:
            tries = [staying[request.key], *tries]
        for c, first in tries:
            size = len(cands.classes[c].rooms)
            room_slots = _room_slots(problem, grid, first, k)
            venue = cands.classes[c].venue
            if any(in_use[c, s] >= size for s in room_slots):
                continue
            if any(not _compatible(problem, grid, first, first + k, venue, other)
                   for p in request.principals for other in person_meetings[p]):  # fmt: skip
                continue
            for s in room_slots:
                in_use[c, s] += 1
            for p in request.principals:
                person_meetings[p].append((first, first + k, venue))
            chosen[request.key] = (c, first)
            break
        else:
            unplaced[request.key] = str(COMPETITION)
    placed, homeless = assign_rooms(problem, cands, chosen)
    for key in homeless:
        unplaced[key] = str(COMPETITION)
    value = sum(requests[p.key].priority for p in placed)
    return Plan(placed, unplaced, value, value, "greedy", time.perf_counter() - began, candidates=_count(cands))


def can_stay(problem: Problem, cands: Candidates | None = None) -> set[int]:
    """The previously placed requests whose current place is still a candidate (on the grid, free, in town)."""
    return set(_staying_options(problem, cands or candidates(problem)))


def _staying_options(problem: Problem, cands: Candidates) -> dict[int, tuple[int, int]]:
    """Previous placements that are still candidates: request → (room class, first slot)."""
    class_of_room = {room: c for c, room_class in enumerate(cands.classes) for room in room_class.rooms}
    room_index_of = {room.pk: i for i, room in enumerate(problem.rooms)}
    staying = {}
    for key, placement in problem.previous.items():
        c = class_of_room.get(room_index_of.get(placement.room, -1))
        first = cands.grid.index.get(placement.start)
        if c is not None and first is not None and (c, first) in cands.options.get(key, ()):
            staying[key] = (c, first)
    return staying


def _compatible(problem: Problem, grid: Grid, a0: int, a1: int, venue_a: int, other: tuple[int, int, int]) -> bool:
    b0, b1, venue_b = other
    if a0 < b1 and b0 < a1:
        return False
    if venue_a == venue_b:
        return True
    if b1 <= a0:  # other first: its tail must not reach a
        return a0 not in _tail(problem, grid, b1, problem.minutes(venue_b, venue_a))
    return b0 not in _tail(problem, grid, a1, problem.minutes(venue_a, venue_b))


COMPETITION = gettext_lazy(
    "Every time and room that suits both principals is taken by other meetings of theirs or of the rooms "
    "that the plan placed first (higher or equal priority). Raise its priority, add preferred windows "
    "elsewhere, or add a room."
)


def _count(cands: Candidates) -> int:
    return sum(len(o) for o in cands.options.values())


# --- Decomposition ---------------------------------------------------------------------------------------------
def components(problem: Problem, cands: Candidates) -> list[list[Request]]:
    """The requests with a candidate, split into parts that share no constraint, so each is solved on its own.

    Two requests are linked when they could put a principal in a meeting on the same day (the principal's one
    meeting a slot and the transfer tails never cross a day), or when at some slot more meetings could hold a room
    class than it has rooms (below that its capacity binds nobody). At most half the principals who could meet in
    it at that slot can (a forum's tables for everyone present), plus those whose changeover could fall on it. A
    request with candidates on two days links both days' parts. Every rule of the model lies inside one part, so
    the parts' optima add up to the optimum."""
    grid = cands.grid
    day_of, day = [], 0
    for i in range(len(grid.starts)):
        day_of.append(day)
        if not grid.next_contiguous[i]:
            day += 1
    parent: dict[Any, Any] = {}

    def find(node: Any) -> Any:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    def union(a: Any, b: Any) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb

    holders: dict[tuple[int, int], set[int]] = defaultdict(set)  # (room class, slot) → requests that could hold it
    meeting: dict[tuple[int, int], set[int]] = defaultdict(set)  # principals who could meet in it then
    changing: dict[tuple[int, int], set[int]] = defaultdict(set)  # requests whose changeover could hold it
    spans = _Spans(problem, grid)
    placeable = [r for r in problem.requests if cands.options[r.key]]
    for request in placeable:
        k = cands.slots[request.key]
        find(("r", request.key))
        for c, first in cands.options[request.key]:
            for person in request.principals:
                union(("r", request.key), ("p", person, day_of[first]))
            for s in spans.room(first, k):
                holders[c, s].add(request.key)
                if s < first + k:
                    meeting[c, s].update(request.principals)
                else:
                    changing[c, s].add(request.key)
    for (c, s), keys in holders.items():
        at_most = min(len(keys), len(meeting[c, s]) // 2 + len(changing[c, s]))
        if at_most > len(cands.classes[c].rooms):
            first_key, *rest = keys
            for key in rest:
                union(("r", first_key), ("r", key))
    parts: dict[Any, list[Request]] = defaultdict(list)
    for request in placeable:
        parts[find(("r", request.key))].append(request)
    return list(parts.values())


class _Spans:
    """`_room_slots` and `_tail` memoised: the model asks for the same few spans thousands of times."""

    def __init__(self, problem: Problem, grid: Grid) -> None:
        self.problem, self.grid = problem, grid
        self._room: dict[tuple[int, int], list[int]] = {}
        self._tail: dict[tuple[int, int], list[int]] = {}

    def room(self, first: int, k: int) -> list[int]:
        if (first, k) not in self._room:
            self._room[first, k] = _room_slots(self.problem, self.grid, first, k)
        return self._room[first, k]

    def tail(self, end_slot: int, minutes: int) -> list[int]:
        if (end_slot, minutes) not in self._tail:
            self._tail[end_slot, minutes] = _tail(self.problem, self.grid, end_slot, minutes)
        return self._tail[end_slot, minutes]


# --- CP-SAT ----------------------------------------------------------------------------------------------------
@dataclass
class Progress:
    """What the solver has found so far; read by the caller's thread while it runs."""

    solutions: int = 0
    objective: int = 0
    bound: int = 0
    seconds: float = 0.0


def solve(
    problem: Problem,
    *,
    seconds: float = 20.0,
    gap: float = 0.005,
    workers: int = 8,
    on_progress: Callable[[Progress], None] | None = None,
    hint: bool = True,
    whole: bool = False,
) -> Plan:
    """The CP-SAT plan; `on_progress` is called from this thread about twice a second while it searches.

    The problem is split into independent parts (`components`); a part of one request takes its earliest
    candidate, a part the greedy places completely (and, in a re-plan, leaves every meeting where it was) keeps
    the greedy's plan (proven optimal), and each other part gets its own CP-SAT model, with the greedy plan as a
    hint and a share of the time left in proportion to its candidates. The plans are merged, rooms assigned within
    their classes; the bound is the sum of the parts' bounds. `whole=True` solves one model of the whole problem
    with the settings used before the split (the baseline of benchmark B3)."""
    from ortools.sat.python import cp_model  # heavy: loaded when a solve starts, not with the web process

    began = time.perf_counter()
    cands = candidates(problem)
    if whole:
        build = _Build(problem=problem, part=problem.requests, cands=cands, cp=cp_model, model=cp_model.CpModel())
        _variables(build)
        _transfers(build)
        value, previous = _objective(build)
        if hint:
            _hint(build, _greedy_choices(problem, cands))
        solver, status = _search(
            build, seconds=seconds, gap=gap if not previous else 0.0, workers=workers, value=value,
            replan=bool(previous), on_progress=on_progress, began=began, tuned=False,
        )  # fmt: skip
        chosen, bound, name = _read(build, solver, status, previous)
        return _merge(problem, cands, chosen, bound, name, began)
    return _Split(problem, cands, seconds, gap, workers, hint, began).run(on_progress)


def _greedy_choices(
    problem: Problem, cands: Candidates, guide: dict[tuple[int, tuple[int, int]], float] | None = None
) -> dict[int, tuple[int, int]]:
    """The greedy plan as (room class, first slot) per request."""
    class_of_pk = {problem.rooms[room].pk: c for c, room_class in enumerate(cands.classes) for room in room_class.rooms}
    plan = greedy(problem, cands, guide=guide)
    return {p.key: (class_of_pk[p.room], cands.grid.index[p.start]) for p in plan.placed}


def _relaxation(build: _Build, until: float) -> tuple[int, dict[tuple[int, tuple[int, int]], float]] | None:
    """The lean model's linear relaxation (GLOP): its value rounded down bounds every plan of the part, and its
    values guide the greedy. None when it is not solved by `until` (a `time.perf_counter()` reading)."""
    from ortools.linear_solver import pywraplp  # with ortools, like CP-SAT

    lp = pywraplp.Solver.CreateSolver("GLOP")
    xs = {}
    objective = lp.Objective()
    for key, options in build.by_request.items():
        priority = build.requests[key].priority
        for _option, var in options:
            x = xs[id(var)] = lp.NumVar(0.0, 1.0, "")
            objective.SetCoefficient(x, priority)
    objective.SetMaximization()
    for group, limit in build.rows:
        row = lp.Constraint(0.0, float(limit))
        for var in group:
            row.SetCoefficient(xs[id(var)], 1.0)
    lp.SetTimeLimit(max(1, int((until - time.perf_counter()) * 1000)))
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    values = {(key, option): xs[id(var)].solution_value() for key, options in build.by_request.items()
              for option, var in options}  # fmt: skip
    return int(objective.Value() + 1e-6), values


class _Split:
    """Solve the independent parts one after the other, sharing the time budget and one progress report."""

    def __init__(
        self, problem: Problem, cands: Candidates, seconds: float, gap: float, workers: int, hint: bool, began: float
    ) -> None:
        self.problem, self.cands, self.gap, self.hint, self.began = problem, cands, gap, hint, began
        self.deadline = began + seconds
        # More workers than cores starve the LP worker that proves the bound (B3: bound 828 at 5 s with 8 workers
        # on 2 cores, 378 with 2).
        self.workers = max(
            1, min(workers, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
        )
        self.progress = Progress()
        self.chosen: dict[int, tuple[int, int]] = {}
        self.bound = 0
        self.optimal = True
        self.greedy = _greedy_choices(problem, cands)
        self.staying = _staying_options(problem, cands)
        self.priority = {r.key: r.priority for r in problem.requests}
        self.waiting = 0

    def run(self, on_progress: Callable[[Progress], None] | None) -> Plan:
        if on_progress is None:
            self._parts()
        else:
            failed: list[BaseException] = []

            def parts() -> None:
                try:
                    self._parts()
                except BaseException as exc:  # raised again below, in the caller's thread
                    failed.append(exc)

            thread = threading.Thread(target=parts)
            thread.start()
            while thread.is_alive():
                thread.join(0.5)
                self.progress.seconds = time.perf_counter() - self.began
                on_progress(self.progress)
            if failed:
                raise failed[0]
        return _merge(self.problem, self.cands, self.chosen, self.bound, "OPTIMAL" if self.optimal else "FEASIBLE",
                      self.began)  # fmt: skip

    def _parts(self) -> None:
        from ortools.sat.python import cp_model

        parts = sorted(components(self.problem, self.cands), key=self._size)
        pending = sum(self._size(part) for part in parts)
        waiting = sum(r.priority for part in parts for r in part)  # the parts not solved yet, at most all placed
        for part in parts:
            size, total = self._size(part), sum(r.priority for r in part)
            pending -= size
            waiting -= total
            self.waiting = waiting
            keys = [r.key for r in part]
            previous = [key for key in keys if key in self.problem.previous]
            if len(part) == 1:
                key = keys[0]
                options = self.cands.options[key]
                self._settle({key: self.staying.get(key) or min(options, key=lambda o: (o[1], o[0]))}, total)
                continue
            if all(key in self.greedy for key in keys) and all(
                self.greedy[key] == self.staying[key] for key in previous if key in self.staying
            ):
                # Everything placed, and every meeting that can stay stays: no plan of this part does better.
                self._settle({key: self.greedy[key] for key in keys}, total)
                continue
            left = max(0.0, self.deadline - time.perf_counter())
            share = left * size / (size + pending) if size + pending else left
            started = time.perf_counter()
            build = _Build(problem=self.problem, part=part, cands=self.cands, cp=cp_model, model=cp_model.CpModel(),
                           lean=True)  # fmt: skip
            _variables(build)
            _transfer_cliques(build)
            value, prev = _objective(build)
            start = {key: self.greedy[key] for key in keys if key in self.greedy}
            ceiling = total
            if not prev:
                # The relaxation bounds the part and, rounded by the greedy, mostly leaves CP-SAT nothing to do.
                relaxed = _relaxation(build, max(started + share, time.perf_counter() + 0.5))
                if relaxed is not None:
                    ceiling, guide = relaxed
                    rounded = _greedy_choices(replace(self.problem, requests=part), self.cands, guide)
                    if self._value(rounded) > self._value(start):
                        start = rounded
                    if ceiling - self._value(start) <= self.gap * ceiling:
                        self.optimal = self.optimal and self._value(start) >= ceiling
                        self._settle(start, ceiling)
                        continue
            if not prev and self.deadline - time.perf_counter() < 0.5:  # the budget is spent: the start stands
                self.optimal = self.optimal and self._value(start) >= ceiling
                self._settle(start, ceiling)
                continue
            _post(build)
            if self.hint:
                _hint(build, start)
            # The model's build is part of its share; a part late in a spent budget still gets a moment (its hint).
            now = time.perf_counter()
            search = max(share - (now - started), min(max(0.0, self.deadline - now), 1.0), 0.1)
            base = Progress(self.progress.solutions, self.progress.objective, self.bound + waiting)
            report = partial(self._report, base)
            solver, status = _search(
                build, seconds=search, gap=self.gap if not prev else 0.0, workers=self.workers,
                value=value, replan=bool(prev), on_progress=None, began=self.began, tuned=True, listen=report,
            )  # fmt: skip
            chosen, bound, name = _read(build, solver, status, prev)
            if name not in ("OPTIMAL", "FEASIBLE") or (not prev and self._value(chosen) < self._value(start)):
                # No plan in its share of the time, or none better than the start: the start stands.
                chosen, name = start, "FEASIBLE"
            self.optimal = self.optimal and name == "OPTIMAL"
            self._settle(chosen, min(bound, ceiling) if name in ("OPTIMAL", "FEASIBLE") else ceiling)

    def _value(self, chosen: dict[int, tuple[int, int]]) -> int:
        return sum(self.priority[key] for key in chosen)

    def _settle(self, chosen: dict[int, tuple[int, int]], bound: int) -> None:
        """A part's plan and bound join the whole's."""
        self.chosen.update(chosen)
        self.bound += max(bound, self._value(chosen))
        self.progress.solutions += 1
        self.progress.objective = self._value(self.chosen)
        self.progress.bound = self.bound + self.waiting  # the parts still to solve at most all placed

    def _report(self, base: Progress, progress: Progress) -> None:
        """A part's solution, reported with what the parts before it placed and proved."""
        self.progress.solutions = base.solutions + progress.solutions
        self.progress.objective = base.objective + progress.objective
        self.progress.bound = 0 if progress.bound == 0 else base.bound + progress.bound

    def _size(self, part: list[Request]) -> int:
        return sum(len(self.cands.options[r.key]) for r in part)


@dataclass
class _Build:
    """The CP-SAT model of some requests (a part, or all) under construction and what the phases share."""

    problem: Problem
    part: list[Request]
    cands: Candidates
    cp: Any  # the ortools cp_model module
    model: Any
    lean: bool = False  # drop constraints another one implies (the split solver); the whole model keeps them all
    # request → [((room class, first slot), its Boolean)]
    by_request: dict[int, list[tuple[tuple[int, int], Any]]] = field(default_factory=lambda: defaultdict(list))
    # (person, venue) → [(Boolean, end slot, slots)] of the meetings that would put the person there
    cast: dict[tuple[int, int], list[tuple[Any, int, list[int]]]] = field(default_factory=lambda: defaultdict(list))
    # transfer tails: (tail Boolean, the meetings that cast it)
    tails: list[tuple[Any, list[Any]]] = field(default_factory=list)
    spans: _Spans = field(init=False)
    # the lean model's rows, each at most `limit` of its Booleans on: the linear relaxation reads them
    rows: list[tuple[list[Any], int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.spans = _Spans(self.problem, self.cands.grid)

    @property
    def requests(self) -> dict[int, Request]:
        return {r.key: r for r in self.part}


def _maximal(groups: dict[tuple[int, int], list[Any]]) -> list[list[Any]]:
    """The groups (per resource and slot) that no neighbouring slot's group contains: a meeting covers a run of
    slots, so a slot's group inside its neighbour's adds nothing (mostly a half-hour meeting's second slot). Of
    equal neighbours the earlier stays; containment is transitive, so every dropped group lies in a kept one."""
    ids = {key: frozenset(map(id, group)) for key, group in groups.items()}
    kept = []
    for (resource, s), group in groups.items():
        mine = ids[resource, s]
        before, after = ids.get((resource, s - 1)), ids.get((resource, s + 1))
        if (before is not None and mine <= before) or (after is not None and mine < after):
            continue
        kept.append(group)
    return kept


def _variables(build: _Build) -> None:
    """A Boolean per candidate; at most one per request; room classes and people hold one meeting a slot."""
    cands, model, spans = build.cands, build.model, build.spans
    class_cover: dict[tuple[int, int], list[Any]] = defaultdict(list)
    person_cover: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for request in build.part:
        k = cands.slots[request.key]
        for c, first in cands.options[request.key]:
            var = model.NewBoolVar("" if build.lean else f"x{request.key}_{c}_{first}")
            build.by_request[request.key].append(((c, first), var))
            for s in spans.room(first, k):
                class_cover[c, s].append(var)
            slots = list(range(first, first + k))
            for p in request.principals:
                for s in slots:
                    person_cover[p, s].append(var)
                build.cast[p, cands.classes[c].venue].append((var, first + k, slots))
        if build.by_request[request.key]:
            _at_most(build, [var for _option, var in build.by_request[request.key]], 1)
    class_groups = _maximal(class_cover) if build.lean else class_cover.values()
    sizes = {id(group): len(cands.classes[c].rooms) for (c, _s), group in class_cover.items()}
    for group in class_groups:
        size = sizes[id(group)]
        if len(group) > size:
            _at_most(build, group, size)
    for group in _maximal(person_cover) if build.lean else person_cover.values():
        if len(group) > 1:
            _at_most(build, group, 1)


def _at_most(build: _Build, group: list[Any], limit: int) -> None:
    """At most `limit` of the group on. The lean model keeps the row: the relaxation reads it, and CP-SAT gets it
    (`_post`) only when the relaxation's rounding left a gap."""
    if build.lean:
        build.rows.append((group, limit))
    elif limit == 1:
        build.model.AddAtMostOne(group)
    else:
        build.model.Add(sum(group) <= limit)


def _post(build: _Build) -> None:
    for group, limit in build.rows:
        if limit == 1:
            build.model.AddAtMostOne(group)
        else:
            build.model.Add(sum(group) <= limit)


def _transfers(build: _Build) -> None:
    """A meeting at venue v casts a tail over the next slots (the transfer time); no meeting at w under it."""
    problem, model, spans = build.problem, build.model, build.spans
    venues_of: dict[int, set[int]] = defaultdict(set)
    for person, venue in build.cast:
        venues_of[person].add(venue)
    for person, venues in venues_of.items():
        for v in venues:
            for w in venues - {v}:
                minutes = problem.minutes(v, w)
                w_cover: dict[int, list[Any]] = defaultdict(list)
                for var, _end, slots in build.cast[person, w]:
                    for s in slots:
                        w_cover[s].append(var)
                under: dict[int, list[Any]] = defaultdict(list)
                for var, end_slot, _slots in build.cast[person, v]:
                    for s in spans.tail(end_slot, minutes):
                        if w_cover.get(s):
                            under[s].append(var)
                for s, casters in under.items():
                    if len(casters) == 1:
                        model.AddAtMostOne([casters[0], *w_cover[s]])
                        continue
                    tail = model.NewBoolVar("" if build.lean else f"t{person}_{v}_{w}_{s}")
                    for var in casters:
                        model.AddImplication(var, tail)
                    model.AddAtMostOne([tail, *w_cover[s]])
                    build.tails.append((tail, casters))


def _transfer_cliques(build: _Build) -> None:
    """The transfer rule without auxiliary Booleans: the person's meetings at v that end at slot e all hold slot
    e - 1, so at most one of them is on, and with any meeting at w covering a slot under the tail from e they form
    one at-most-one. Its relaxation is at least as tight as the tails' (a sum where the tail takes a maximum)."""
    problem, spans = build.problem, build.spans
    venues_of: dict[int, set[int]] = defaultdict(set)
    for person, venue in build.cast:
        venues_of[person].add(venue)
    for person, venues in venues_of.items():
        ending: dict[int, dict[int, list[Any]]] = {}
        cover: dict[int, dict[int, list[Any]]] = {}
        for v in venues:
            ending[v], cover[v] = defaultdict(list), defaultdict(list)
            for var, end_slot, slots in build.cast[person, v]:
                ending[v][end_slot].append(var)
                for s in slots:
                    cover[v][s].append(var)
        for v in venues:
            for w in venues - {v}:
                minutes = problem.minutes(v, w)
                for end_slot, enders in ending[v].items():
                    under = [(s, cover[w][s]) for s in spans.tail(end_slot, minutes) if cover[w].get(s)]
                    ids = [frozenset(map(id, group)) for _s, group in under]
                    for i, (_s, group) in enumerate(under):
                        if (i > 0 and ids[i] <= ids[i - 1]) or (i + 1 < len(under) and ids[i] < ids[i + 1]):
                            continue  # inside a neighbour's group: that clique implies this one
                        _at_most(build, [*enders, *group], 1)


def _objective(build: _Build) -> tuple[Any, dict[int, Placement]]:
    """The priority-weighted placed meetings (returned, for progress). With `previous` placements, the weights
    are lexicographic. A re-plan: keep the value of what was placed, then move as few as possible, then add new
    ones. A short-notice run (`place_first`): keep every placed meeting placed, then place the new ones, then move
    as few as possible: published meetings move only when the new ones cannot be placed otherwise. The weights
    come from the requests of the model (a part): the parts are independent, so the parts' lexicographic optima
    make the whole one's."""
    problem, cands, cp, requests = build.problem, build.cands, build.cp, build.requests
    by_request = build.by_request
    weights = [(var, requests[key].priority) for key, options in by_request.items() for _o, var in options]
    value = cp.LinearExpr.WeightedSum([v for v, _w in weights], [w for _v, w in weights])
    previous = {key: p for key, p in problem.previous.items() if key in requests}
    if not previous:
        build.model.Maximize(value)
        return value, previous
    class_of_room = {room: c for c, room_class in enumerate(cands.classes) for room in room_class.rooms}
    room_index_of = {room.pk: i for i, room in enumerate(problem.rooms)}
    stays = []
    for key, placement in previous.items():
        target = (class_of_room.get(room_index_of.get(placement.room, -1)), cands.grid.index.get(placement.start))
        stays += [var for option, var in by_request[key] if option == target]
    if problem.place_first:
        # One stay is worth 1, every stay together less than one priority point of a new meeting, and all new
        # meetings together less than one priority point of a placed one.
        stay_weight = 1
        new_weight = len(stays) + 1
        keep_weight = new_weight * (sum(r.priority for key, r in requests.items() if key not in previous) + 1)
    else:
        n = len(build.part) + 1
        stay_weight = sum(r.priority for r in build.part) + 1
        new_weight = 1
        keep_weight = stay_weight * n + 1
    kept = [(var, w * keep_weight) for key in previous for _o, var in by_request[key] for w in [requests[key].priority]]
    fresh = [
        (var, requests[key].priority * new_weight)
        for key in requests
        if key not in previous
        for _o, var in by_request[key]
    ]
    terms = kept + fresh + [(var, stay_weight) for var in stays]
    build.model.Maximize(cp.LinearExpr.WeightedSum([v for v, _w in terms], [w for _v, w in terms]))
    return value, previous


def _hint(build: _Build, chosen: dict[int, tuple[int, int]]) -> None:
    """A complete hint: the greedy plan, every other candidate off, tails where a caster is on."""
    model = build.model
    on = set()
    for key, options in build.by_request.items():
        for option, var in options:
            hit = chosen.get(key) == option
            model.AddHint(var, hit)
            if hit:
                on.add(var.Index())
    for tail, casters in build.tails:
        model.AddHint(tail, any(var.Index() in on for var in casters))


def _search(
    build: _Build,
    *,
    seconds: float,
    gap: float,
    workers: int,
    value: Any,
    replan: bool,
    on_progress: Callable[[Progress], None] | None,
    began: float,
    tuned: bool,
    listen: Callable[[Progress], None] | None = None,
) -> tuple[Any, int]:
    """Run CP-SAT; with `on_progress`, in a thread, reporting about twice a second; `listen` hears of each
    solution in the solver's thread."""
    from ortools.sat.python import cp_model  # loaded already by solve(); named here for the callback's base class

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.relative_gap_limit = gap
    solver.parameters.num_workers = workers
    # Probing and symmetry detection cost seconds on this model for nothing the search needs (measured, B3).
    solver.parameters.cp_model_probing_level = 0
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.symmetry_level = 0
    progress = Progress()
    done = threading.Event()

    class Listener(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            progress.solutions += 1
            progress.objective = int(self.Value(value))
            progress.bound = 0 if replan else int(self.BestObjectiveBound())
            if listen is not None:
                listen(progress)

    if on_progress is None:
        return solver, solver.Solve(build.model, Listener())
    outcome: list[int] = []

    def run() -> None:
        outcome.append(solver.Solve(build.model, Listener()))
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    while not done.wait(0.5):
        progress.seconds = time.perf_counter() - began
        on_progress(progress)
    thread.join()
    return solver, outcome[0]


def _read(
    build: _Build, solver: Any, status: int, previous: dict[int, Placement]
) -> tuple[dict[int, tuple[int, int]], int, str]:
    """The chosen candidates of the model's requests, its bound on the priority-weighted value, the status."""
    cp = build.cp
    name = solver.StatusName(status)
    has_solution = status in (cp.OPTIMAL, cp.FEASIBLE)
    chosen: dict[int, tuple[int, int]] = {}
    if has_solution:
        for key, options in build.by_request.items():
            hit = next((option for option, var in options if solver.BooleanValue(var)), None)
            if hit is not None:
                chosen[key] = hit
    objective = sum(build.requests[key].priority for key in chosen)
    total = sum(r.priority for r in build.part)
    if previous:
        bound = objective if name == "OPTIMAL" else total
    else:
        bound = int(solver.BestObjectiveBound()) if has_solution else total
    return chosen, max(bound, objective), name


def _merge(
    problem: Problem, cands: Candidates, chosen: dict[int, tuple[int, int]], bound: int, name: str, began: float
) -> Plan:
    """Assign rooms within their classes, and say why the rest stayed out."""
    requests = {r.key: r for r in problem.requests}
    unplaced: dict[int, str] = {}
    for request in problem.requests:
        if not cands.options[request.key]:
            unplaced[request.key] = cands.reasons[request.key]
        elif request.key not in chosen:
            unplaced[request.key] = str(COMPETITION)
    placed, homeless = assign_rooms(problem, cands, chosen)
    for key in homeless:
        unplaced[key] = str(COMPETITION)
    objective = sum(requests[p.key].priority for p in placed)
    now = {p.key: p for p in placed}
    previous = {key: p for key, p in problem.previous.items() if key in requests}
    moved = [key for key, p in previous.items() if now.get(key) != p]
    return Plan(
        placed, unplaced, objective, max(bound, objective), name, time.perf_counter() - began, moved, _count(cands)
    )
