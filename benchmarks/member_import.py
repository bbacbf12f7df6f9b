"""B7 — importing a delegation list of 5,000 rows: the planner's bulk import against a per-row save.

One event, and a delegation per run with a quota of 6,000. The same generated CSV (realistic names with
accents, functions, ranks and categories by label, e-mails, phones, passports, dates) goes through:

  - planner: `member_import_stage` (read, check every row, check duplicates against the members, keep the
    list) + `member_import_confirm` (lock, check again, one bulk INSERT of the people and one of their audit
    entries, the after-commit follow-ups) — wall time, rows/s, queries; at 5,000 rows and at 500, to show the
    query count does not grow. Median of --repeat runs, each into a fresh delegation.
  - baseline: the same file read and checked by the same pure functions, then `person_add` per row —
    validated (`full_clean`), saved and audited one at a time, each in its own transaction, as a loop over
    the member form would do. Once.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/member_import.py
    .venv/bin/python benchmarks/member_import.py [--rows 5000 --small 500 --repeat 3] [--profile]

Makes and drops its own database (on PostgreSQL `test_b7_member_import`, whatever DATABASE_URL names; on
SQLite an in-memory one). The timed runs run with DEBUG off, as in production. Queries are counted in
separate, untimed runs with `CaptureQueriesContext` (BEGIN, savepoints and COMMIT included): the planner
at both sizes, the baseline over the small file (its count is the same for every row). Prints a table; the
last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import datetime as dt
import io
import itertools
import json
import os
import pstats
import random
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from delegations.domain.delegations import person_add  # noqa: E402
from delegations.domain.member_import.checking import rows_check  # noqa: E402
from delegations.domain.member_import.columns import COLUMNS  # noqa: E402
from delegations.domain.member_import.reading import table_read  # noqa: E402
from delegations.domain.member_import.staging import member_import_confirm, member_import_stage  # noqa: E402
from delegations.models import Delegation, Partner, Person  # noqa: E402
from events.models import Event  # noqa: E402

GIVEN = ["Dara", "Sophea", "Vannak", "Claire", "Jean-Luc", "José", "Zoë", "Søren", "Hiroshi", "Mei", "Nguyễn Văn",
         "Thị Hồng", "Ahmad", "Siti", "Rajesh", "Priya", "Jürgen", "Małgorzata", "Ioana", "Eleni", "Piotr", "Aoife",
         "Matteo", "Ines", "Kim", "Min-jun", "Somchai", "Ploy", "Bayarmaa", "Tenzin", "Olga", "Ana", "Luis", "Marta",
         "Jan", "Eva", "Lars", "Ingrid", "Hamid", "Farah", "Wei", "Li", "Arjun", "Nadia", "Tomás", "Ülle", "Gábor",
         "Zsófia", "Milan", "Petra", "Andrei", "Darius", "Lina", "Oskar", "Freya", "Mateus", "Rui", "Chloé", "Aziz",
         "Yuki"]  # fmt: skip
FAMILY = ["Sok", "Chea", "Dubois", "Martin", "García", "Müller", "Nielsen", "Tanaka", "Wang", "Nguyen", "Tran",
          "Abdullah", "Rahman", "Sharma", "Patel", "Schmidt", "Kowalska", "Popescu", "Papadopoulou", "Nowak",
          "O'Brien", "Rossi", "Ferreira", "Kim", "Park", "Srisai", "Bold", "Dorji", "Ivanova", "Silva", "López",
          "Fernández", "de Vries", "Jansen", "Andersson", "Hansen", "Karimi", "Haddad", "Zhang", "Liu", "Gupta",
          "Khan", "Novák", "Tamm", "Nagy", "Horváth", "Kovač", "Dvořák", "Ionescu", "Balodis", "Jonaitis", "Berg",
          "Lindqvist", "Costa", "Santos", "Lefèvre", "Yılmaz", "Suzuki", "Sato", "Watanabe", "Ito", "Yamamoto",
          "Nakamura", "Kobayashi", "Lim", "Tan", "Lee", "Ng", "Wong", "Chan", "Ong", "Goh", "Teo", "Chua", "Koh",
          "Phan", "Vo", "Do", "Bui", "Hoang", "Huynh", "Pham", "Le", "Vu", "Dang", "Ngo", "Duong", "Ly", "Mai"]  # fmt: skip
FUNCTIONS = [("Prime Minister", "Head of government", "Head of delegation"), ("Minister of Foreign Affairs", "Minister",
             "Delegate"), ("Ambassador", "Senior official", "Delegate"), ("Senior official", "Senior official",
             "Delegate"), ("Adviser", "Other", "Delegate"), ("Press officer", "Other", "Media"), ("Camera operator",
             "Other", "Media"), ("Close protection officer", "Other", "Security officer"), ("Interpreter", "Other",
             "Support staff"), ("Liaison officer", "Other", "Liaison officer")]  # fmt: skip
NATIONALITIES = ["KHM", "FRA", "DEU", "JPN", "VNM", "IDN", "IND", "POL", "ROU", "GRC", "ITA", "KOR", "THA", "MNG"]


def member_rows(n: int, *, seed: int, tag: str) -> bytes:
    """n distinct members as a CSV file (UTF-8, comma-separated), in the template's columns."""
    rng = random.Random(seed)
    names = list(itertools.product(GIVEN, FAMILY))
    rng.shuffle(names)
    if n > len(names):
        names = [(g, f"{f} {i // len(names)}") for i, (g, f) in enumerate(names * (n // len(names) + 1))]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS.values())
    for i, (given, family) in enumerate(names[:n]):
        function, rank, category = rng.choice(FUNCTIONS)
        writer.writerow([
            rng.choice(["H.E.", "Mr", "Ms", "Dr", ""]), given, family, function, rank, category,
            rng.choice(NATIONALITIES), f"member{i}.{tag}@delegation.example", f"+855 {rng.randint(10, 99)} {rng.randint(100000, 999999)}",
            rng.choice(["en", "fr, en", "km", "ja, en", ""]), f"{tag}{i:07d}",
            (dt.date(2027, 1, 1) + dt.timedelta(days=rng.randint(0, 3000))).isoformat(),
            (dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 18000))).isoformat(),
        ])  # fmt: skip
    return buffer.getvalue().encode()


def fresh_delegation(event: Event, code: str) -> Delegation:
    partner = Partner.objects.create(code=code, name=f"Partner {code}", region="Asia", joined_year=1996)
    return Delegation.objects.create(partner=partner, event=event, quota=6000)


def counted(enabled: bool):
    """Count the queries of a run (CaptureQueriesContext) — only in the counting runs: Django's query log
    formats every statement, which on SQLite costs a quoting query each and would slow the timed runs."""
    return CaptureQueriesContext(connection) if enabled else contextlib.nullcontext([])


def planner(event: Event, code: str, data: bytes, n: int, *, count: bool = False) -> dict:
    delegation = fresh_delegation(event, code)
    with counted(count) as captured:
        started = time.perf_counter()
        member_import, errors = member_import_stage(delegation=delegation, file_name="list.csv", data=data, by="bench")
        staged = time.perf_counter()
        assert not errors, errors[:3]
        people = member_import_confirm(member_import=member_import, by="bench")
        done = time.perf_counter()
    assert len(people) == n == Person.objects.filter(delegation=delegation).count()
    return {"s": done - started, "stage_s": staged - started, "confirm_s": done - staged, "queries": len(captured)}


def baseline(event: Event, code: str, data: bytes, n: int, *, count: bool = False) -> dict:
    delegation = fresh_delegation(event, code)
    with counted(count) as captured:
        started = time.perf_counter()
        table, errors = table_read(data=data)
        assert not errors
        check = rows_check(table=table, event_end=event.end_date, event=str(event))
        assert check.ok, check.errors[:3]
        parsed = time.perf_counter()
        for row in check.rows:
            person_add(delegation=delegation, by="bench", **{k: v for k, v in row.items() if k != "_row"})
        done = time.perf_counter()
    assert Person.objects.filter(delegation=delegation).count() == n
    return {"s": done - started, "parse_s": parsed - started, "queries": len(captured)}


def median_run(runs: list[dict]) -> dict:
    ordered = sorted(runs, key=lambda run: run["s"])
    return {**ordered[len(runs) // 2], "runs_s": [round(run["s"], 2) for run in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile one planner run and print the top functions")
    args = parser.parse_args()
    setup_test_environment(debug=False)  # as in production: no query log in the timed runs
    # Django's query log keeps the last 9,000 statements; a counted run may hold more.
    connection.queries_limit = 1_000_000
    connection.queries_log = deque(maxlen=connection.queries_limit)
    if connection.vendor != "sqlite":
        # Never the database DATABASE_URL names, nor the test database a test run on it would use.
        connection.settings_dict["TEST"]["NAME"] = "test_b7_member_import"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        event = Event.objects.create(acronym="B7", name="Benchmark summit", kind="summit",
                                     start_date=dt.date(2026, 12, 1), end_date=dt.date(2026, 12, 2))  # fmt: skip
        big, small = member_rows(args.rows, seed=7, tag="P"), member_rows(args.small, seed=8, tag="S")
        planner(event, "WARM", member_rows(20, seed=1, tag="W"), 20)  # warm-up: content-type cache, imports
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            planner(event, "PROF", big, args.rows)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        ours = median_run([planner(event, f"P{i}", big, args.rows) for i in range(args.repeat)])
        ours_small = median_run([planner(event, f"S{i}", small, args.small) for i in range(args.repeat)])
        theirs = baseline(event, "BASE", big, args.rows)
        # Counting runs, untimed, into fresh delegations.
        ours["queries"] = planner(event, "PCNT", big, args.rows, count=True)["queries"]
        ours_small["queries"] = planner(event, "SCNT", small, args.small, count=True)["queries"]
        # The baseline's queries are the same for every row; counted over the small file to save minutes.
        per_row = baseline(event, "BCNT", small, args.small, count=True)["queries"] / args.small
        theirs["queries"] = round(per_row * args.rows)

        speedup = theirs["s"] / ours["s"]
        flat = ours["queries"] == ours_small["queries"]
        rows, small_rows = args.rows, args.small
        print(
            f"B7 — importing {rows:,} members, {connection.vendor} (planner: median of {args.repeat} runs: {ours['runs_s']} s)"
        )
        print(f"{'':38}{'rows':>7}{'seconds':>10}{'rows/s':>10}{'queries':>9}")
        print(
            f"{'planner: stage + confirm':38}{rows:>7,}{ours['s']:>10.2f}{rows / ours['s']:>10,.0f}{ours['queries']:>9,}"
        )
        print(f"{'  stage (read, check, keep the list)':38}{'':>7}{ours['stage_s']:>10.2f}")
        print(f"{'  confirm (bulk insert + audit)':38}{'':>7}{ours['confirm_s']:>10.2f}")
        print(
            f"{'planner: stage + confirm':38}{small_rows:>7,}{ours_small['s']:>10.2f}"
            f"{small_rows / ours_small['s']:>10,.0f}{ours_small['queries']:>9,}"
        )
        print(
            f"{'baseline: person_add per row':38}{rows:>7,}{theirs['s']:>10.2f}{rows / theirs['s']:>10,.0f}"
            f"{theirs['queries']:>9,}"
        )
        print(f"{'  reading and checking the file':38}{'':>7}{theirs['parse_s']:>10.2f}")
        print(
            f"speed-up {speedup:.1f}× (goal ≥ 50×: {'met' if speedup >= 50 else 'not met'}); planner queries "
            f"{ours_small['queries']} at {small_rows:,} rows and {ours['queries']} at {rows:,} "
            f"({'constant' if flat else 'growing'}); baseline {theirs['queries'] / rows:.1f} per row"
        )
        print(
            json.dumps(
                {
                    "benchmark": "member_import",
                    "database": connection.vendor,
                    "rows": rows,
                    "small_rows": small_rows,
                    "planner_s": round(ours["s"], 3),
                    "planner_stage_s": round(ours["stage_s"], 3),
                    "planner_confirm_s": round(ours["confirm_s"], 3),
                    "planner_rows_per_s": round(rows / ours["s"]),
                    "planner_queries": ours["queries"],
                    "planner_runs_s": ours["runs_s"],
                    "planner_small_s": round(ours_small["s"], 3),
                    "planner_small_rows_per_s": round(small_rows / ours_small["s"]),
                    "planner_small_queries": ours_small["queries"],
                    "baseline_s": round(theirs["s"], 2),
                    "baseline_parse_s": round(theirs["parse_s"], 3),
                    "baseline_rows_per_s": round(rows / theirs["s"]),
                    "baseline_queries": theirs["queries"],
                    "baseline_queries_per_row": round(per_row, 2),
                    "speedup": round(speedup, 1),
                    "queries_constant": flat,
                    "goal_met": speedup >= 50 and flat,
                }
            )
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
