"""B0 — staff admin changelists at two sizes, side by side with a naive ModelAdmin in the same run.

The planner's admins select related rows and annotate counts, so a page of 100 rows costs a fixed number of
queries; the naive baseline (the same columns with no joins and counts per row) costs queries per row.
Prints a table and, last, one JSON object.

    .venv/bin/python benchmarks/admin_changelists.py [--sizes 1000 5000] [--repeat 5]

Uses a throwaway test database on whatever DATABASE_URL points at (SQLite by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from delegations.admin import AccreditationAdmin, DelegationAdmin, PersonAdmin  # noqa: E402
from delegations.models import Accreditation, Delegation, Partner, Person  # noqa: E402
from events.models import Event  # noqa: E402


class NaiveDelegationAdmin(DelegationAdmin):
    list_select_related = ()  # no joins at all: each related column costs a query per row

    def get_queryset(self, request):
        return Delegation.objects.all()

    def n_members(self, delegation):
        return delegation.members.count()


class NaivePersonAdmin(PersonAdmin):
    list_select_related = ()  # no joins at all: each related column costs a query per row


class NaiveAccreditationAdmin(AccreditationAdmin):
    list_select_related = ()  # no joins at all: each related column costs a query per row


PAIRS = {
    "delegation": (Delegation, admin.site._registry[Delegation], NaiveDelegationAdmin(Delegation, admin.site)),
    "person": (Person, admin.site._registry[Person], NaivePersonAdmin(Person, admin.site)),
    "accreditation": (
        Accreditation,
        admin.site._registry[Accreditation],
        NaiveAccreditationAdmin(Accreditation, admin.site),
    ),
}


def fill(people: int) -> None:
    """Grow the data to `people` people, 4 per delegation, each with an approved accreditation."""
    event, _ = Event.objects.get_or_create(
        acronym="BENCH",
        defaults={"name": "Bench", "start_date": dt.date(2020, 11, 16), "end_date": dt.date(2020, 11, 17)},
    )
    have = Person.objects.count()
    delegations_needed = (people - have) // 4
    start = Partner.objects.count()
    partners = Partner.objects.bulk_create(
        Partner(code=f"B{n:07d}".replace("0", "A"), name=f"Partner {n}", region="Asia", joined_year=1996)
        for n in range(start, start + delegations_needed)
    )
    delegations = Delegation.objects.bulk_create(Delegation(partner=p, event=event, quota=8) for p in partners)
    persons = Person.objects.bulk_create(
        Person(delegation=d, given_name=f"G{i}", family_name=f"F{d.pk}", function="Delegate")
        for d in delegations
        for i in range(4)
    )
    Accreditation.objects.bulk_create(
        Accreditation(person=p, event=event, category="delegate", status="approved", badge_number=f"B-{p.pk:07d}")
        for p in persons
    )
    heads = {d.pk: p for p in persons for d in [p.delegation] if p.given_name == "G0"}
    for d in delegations:
        d.head = heads[d.pk]
    Delegation.objects.bulk_update(delegations, ["head"])


def measure(model_admin, request, repeat: int) -> tuple[int, float]:
    timings, queries = [], 0
    model_admin.changelist_view(request).render()  # warm caches (content types, templates)
    for _ in range(repeat):
        connection.queries_log.clear()  # the log keeps 9,000 queries; the naive pages would overflow it
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = model_admin.changelist_view(request)
            response.render()
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
        assert response.status_code == 200
    return queries, statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = get_user_model().objects.create_superuser("bench", "bench@example.org", "bench-password-123")
        request = RequestFactory().get("/admin/")
        request.user = user
        from django.contrib.messages.storage.fallback import FallbackStorage
        from django.contrib.sessions.backends.cache import SessionStore

        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        results = []
        print(f"{'changelist':<15}{'people':>8}{'planner q':>11}{'naive q':>9}{'planner ms':>12}{'naive ms':>10}")
        for size in sorted(args.sizes):
            fill(size)
            for name, (_model, planner, naive) in PAIRS.items():
                pq, pms = measure(planner, request, args.repeat)
                nq, nms = measure(naive, request, args.repeat)
                results.append(
                    {"changelist": name, "people": size, "planner_queries": pq, "naive_queries": nq,
                     "planner_ms": round(pms, 1), "naive_ms": round(nms, 1)}
                )  # fmt: skip
                print(f"{name:<15}{size:>8}{pq:>11}{nq:>9}{pms:>12.1f}{nms:>10.1f}")
        flat = all(
            r["planner_queries"] == next(s for s in results if s["changelist"] == r["changelist"])["planner_queries"]
            for r in results
        )
        print(json.dumps({"benchmark": "admin_changelists", "database": connection.vendor,
                          "query_count_flat_across_sizes": flat, "results": results}))  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
