"""B14 — business forum matchmaking at b2match size: a forum of 400 participants, 30 tables, 16 slots of 30 minutes
(two days of 8) and 3,000 one-to-one requests, planned by the CP-SAT scheduler against its greedy baseline and its
proven bound.

The requests are made with a fixed seed: each of 3,000 random pairs of distinct participants, priority 1–5; 60 %
mutual (weight 10 + 2 × priority), the rest one-sided (weight = priority), all planned (the organiser allowed
one-sided requests); a tenth of the participants are unavailable for 4 random slots. Capacity is 30 × 16 = 480
meetings, so most requests cannot be placed: the question is which. The problem is built by the same mapping the
Celery task uses (`matchmaking.domain.planning.problem_of`: one table class, the forum's fixed slot starts, the
participants' unavailable slots as busy time); no database is needed.

Figures: meetings placed (share of requests and of the 480 places), mutual meetings placed, weighted value against
the CP-SAT bound (no plan can beat it), and seconds; greedy is the scheduler's own `greedy` (highest weight first,
each at its earliest free slot).

    .venv/bin/python benchmarks/forum_matchmaking.py [--participants 400 --tables 30 --slots 16 --requests 3000 --seconds 60]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from zoneinfo import ZoneInfo  # noqa: E402

from matchmaking.domain.planning import problem_of, weight  # noqa: E402
from protocol.domain.scheduling import Plan, greedy, solve  # noqa: E402

TZ = ZoneInfo("Asia/Phnom_Penh")


def forum(participants: int, tables: int, slots: int, requests: int, seed: int = 14):
    rng = random.Random(seed)
    per_day = max(1, slots // 2)
    starts = []
    for n in range(slots):
        day, k = divmod(n, per_day)
        starts.append(dt.datetime(2020, 11, 14 + day, 9, 0, tzinfo=TZ) + dt.timedelta(minutes=30 * k))
    spans = [(s, s + dt.timedelta(minutes=30)) for s in starts]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < requests:
        a, b = rng.sample(range(1, participants + 1), 2)
        pairs.add((min(a, b), max(a, b)))
    meetings = []
    mutual = set()
    for key, (a, b) in enumerate(sorted(pairs), start=1):
        is_mutual = rng.random() < 0.6
        priority = rng.randint(1, 5)
        if is_mutual:
            mutual.add(key)
        meetings.append((key, a, b, weight(priority, mutual=is_mutual), (f"P{a}", f"P{b}")))
    unavailable = {p: rng.sample(spans, 4) for p in rng.sample(range(1, participants + 1), participants // 10)}
    problem = problem_of(
        meetings, slots=spans, tables=[(t, f"T{t}") for t in range(1, tables + 1)], unavailable=unavailable
    )
    return problem, mutual, unavailable


def check(plan: Plan, problem, unavailable) -> None:
    """The plan keeps the forum's rules: one meeting per participant and slot, per table and slot, none in a
    participant's unavailable slot, every start a slot start."""
    people = {r.key: r.people for r in problem.requests}
    per_person = Counter((p, placement.start) for placement in plan.placed for p in people[placement.key])
    per_table = Counter((placement.room, placement.start) for placement in plan.placed)
    assert max(per_person.values(), default=1) == 1, "a participant in two meetings at once"
    assert max(per_table.values(), default=1) == 1, "a table with two meetings at once"
    assert all(placement.start in problem.fixed_starts for placement in plan.placed), "off the slot grid"
    for placement in plan.placed:
        for p in people[placement.key]:
            assert all(placement.start != s for s, _e in unavailable.get(p, ())), "in an unavailable slot"


def row(name: str, plan: Plan, requests: int, places: int, mutual: set[int], bound: int) -> dict:
    placed_mutual = sum(1 for p in plan.placed if p.key in mutual)
    return {
        "method": name,
        "placed": len(plan.placed),
        "placed_share_of_requests": round(len(plan.placed) / requests, 4),
        "placed_share_of_places": round(len(plan.placed) / places, 4),
        "placed_mutual": placed_mutual,
        "mutual_share": round(placed_mutual / max(1, len(mutual)), 4),
        "value": plan.objective,
        "value_share_of_bound": round(plan.objective / bound, 4) if bound else None,
        "seconds": round(plan.seconds, 2),
        "status": plan.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=400)
    parser.add_argument("--tables", type=int, default=30)
    parser.add_argument("--slots", type=int, default=16)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    began = time.perf_counter()
    problem, mutual, unavailable = forum(args.participants, args.tables, args.slots, args.requests)
    build = time.perf_counter() - began
    places = args.tables * args.slots
    baseline = greedy(problem)
    check(baseline, problem, unavailable)
    plan = solve(problem, seconds=args.seconds, gap=0.005, workers=args.workers)
    check(plan, problem, unavailable)
    bound = plan.bound
    rows = [
        row("greedy", baseline, args.requests, places, mutual, bound),
        row("CP-SAT", plan, args.requests, places, mutual, bound),
    ]
    print(
        f"B14 forum: {args.participants} participants, {args.tables} tables, {args.slots} slots ({places} places), "
        f"{args.requests} requests ({len(mutual)} mutual); problem built in {build:.2f} s; CP-SAT bound {bound}"
    )
    header = f"{'method':8} {'placed':>7} {'of reqs':>8} {'of places':>9} {'mutual':>7} {'value':>7} {'of bound':>9} {'s':>7}"
    print(header)
    for r in rows:
        print(
            f"{r['method']:8} {r['placed']:>7} {r['placed_share_of_requests']:>8.1%} {r['placed_share_of_places']:>9.1%} "
            f"{r['placed_mutual']:>7} {r['value']:>7} {(r['value_share_of_bound'] or 0):>9.2%} {r['seconds']:>7.2f}"
        )
    print(
        json.dumps(
            {
                "benchmark": "B14 forum matchmaking",
                "participants": args.participants,
                "tables": args.tables,
                "slots": args.slots,
                "requests": args.requests,
                "mutual_requests": len(mutual),
                "places": places,
                "bound": bound,
                "gap": round(plan.gap, 4),
                "build_seconds": round(build, 2),
                "rows": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
