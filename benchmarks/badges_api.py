"""B5 / B6 — the print-station API at summit size and beyond.

B5: N approved badges (5,000 by default; the export also at 50,000). Side by side in the same run:
  - planner: GET /api/v1/badges/?limit=500 through the whole Django/DRF stack (auth, filters, rows, zones, JSON),
    every page of the list; median per page; queries per page.
  - floor: the same columns with `.values()` and orjson, no HTTP stack (what a page costs at the least).
  - naive: a nested DRF ModelSerializer over the same page (person, delegation, partner, zones), no joins.
  - export: GET /api/v1/badges/export streamed to the end: server time and peak Python memory (tracemalloc),
    at N and at 10×N, to show memory stays flat.
B6: after a full pull of the change feed, 1% of the badges change; the pull of just those changes, against a
full dump (the export), in time and bytes. Also PDF throughput: single badges per second and a 90-badge sheet.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/badges_api.py [--badges 5000]

Prints a table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework import serializers  # noqa: E402

from badges.domain.badges import BADGE_COLUMNS  # noqa: E402
from badges.domain.feed import badges_touch  # noqa: E402
from badges.domain.tokens import token_create  # noqa: E402
from delegations.models import Accreditation, Delegation, Partner, Person  # noqa: E402
from events.models import Event  # noqa: E402
from protocol.models import SecurityZone  # noqa: E402


def build(n: int, event: Event, zones: list[SecurityZone], start: int = 0) -> None:
    partners = Partner.objects.bulk_create(
        Partner(code=f"B{start // 20 + i:05d}", name=f"Partner {start // 20 + i}", region="europe", joined_year=1996)
        for i in range(n // 20)
    )
    delegations = Delegation.objects.bulk_create(Delegation(partner=p, event=event) for p in partners)
    people = Person.objects.bulk_create(
        Person(delegation=delegations[i // 20], given_name=f"Given{start + i}", family_name=f"Family{start + i}",
               function="Delegate", passport_number=f"P{start + i:08d}")
        for i in range(n)
    )  # fmt: skip
    accreditations = Accreditation.objects.bulk_create(
        Accreditation(person=p, event=event, category="delegate", status="approved", badge_number=f"B-{start + i:07d}",
                      approved_at=timezone.now())
        for i, p in enumerate(people)
    )  # fmt: skip
    Through = Accreditation.zones.through
    Through.objects.bulk_create(
        [Through(accreditation_id=a.pk, securityzone_id=z.pk) for a in accreditations for z in zones[:3]],
        batch_size=5000,
    )
    badges_touch({a.pk for a in accreditations})


class NaiveZone(serializers.ModelSerializer):
    class Meta:
        model = SecurityZone
        fields = ["code", "name", "level"]


class NaivePartner(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["code", "name"]


class NaiveDelegation(serializers.ModelSerializer):
    partner = NaivePartner()

    class Meta:
        model = Delegation
        fields = ["id", "partner"]


class NaivePerson(serializers.ModelSerializer):
    delegation = NaiveDelegation()

    class Meta:
        model = Person
        fields = ["honorific", "given_name", "family_name", "function", "delegation"]


class NaiveBadge(serializers.ModelSerializer):
    person = NaivePerson()
    zones = NaiveZone(many=True)

    class Meta:
        model = Accreditation
        fields = ["id", "badge_number", "badge_version", "status", "category", "person", "zones"]


def analyze() -> None:
    """Fresh planner statistics after bulk loading, as autovacuum would give a live database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(fn, repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def export(client: Client, headers: dict) -> tuple[float, int, int]:
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get("/api/v1/badges/export", **headers)
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--badges", type=int, default=5000)
    args = parser.parse_args()
    n = args.badges - args.badges % 20
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        event = Event.objects.create(acronym="B5", name="Benchmark", kind="summit", start_date=dt.date(2026, 12, 1),
                                     end_date=dt.date(2026, 12, 2))  # fmt: skip
        zones = SecurityZone.objects.bulk_create(
            SecurityZone(code=f"Z{i}", name=f"Zone {i}", level=i) for i in (1, 2, 3)
        )
        build(n, event, zones)
        analyze()
        _, raw = token_create(name="bench", event=event, scopes=["badges:read"],
                              expires_at=timezone.now() + dt.timedelta(days=1), by="bench")  # fmt: skip
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        client = Client()

        # B5: every page of 500 through the API; queries on one page.
        pages, url = [], "/api/v1/badges/?limit=500"
        client.get(url, **headers)  # warm
        with CaptureQueriesContext(connection) as captured:
            client.get(url, **headers)
        queries = len(captured)
        while url:
            started = time.perf_counter()
            body = orjson.loads(client.get(url, **headers).content)
            pages.append((time.perf_counter() - started) * 1000)
            url = body["next"]
        planner_ms = statistics.median(pages)
        page_qs = Accreditation.objects.filter(event=event, status__in=Accreditation.HAS_BADGE).order_by("pk")[:500]
        floor_ms = timed(lambda: orjson.dumps(list(page_qs.all().values(*BADGE_COLUMNS.values()))), repeat=7)
        through = Accreditation.zones.through.objects

        def floor_with_zones() -> bytes:
            rows = list(page_qs.all().values(*BADGE_COLUMNS.values()))
            pairs = list(through.filter(accreditation_id__in=page_qs.values("pk")).values_list(
                "accreditation_id", "securityzone__code"))  # fmt: skip
            return orjson.dumps([rows, pairs])

        floor_zones_ms = timed(floor_with_zones, repeat=7)
        naive_ms = timed(lambda: json.dumps(NaiveBadge(page_qs.all(), many=True).data), repeat=1)
        with CaptureQueriesContext(connection) as captured:
            NaiveBadge(page_qs.all(), many=True).data  # noqa: B018
        naive_queries = len(captured)  # now: the query log is a bounded deque that later requests rotate
        export_s, export_peak, export_lines = export(client, headers)

        # B6: 1% changes after a full sync: feed pull vs full dump.
        cursor = 0
        while True:
            body = orjson.loads(client.get(f"/api/v1/feed/?cursor={cursor}", **headers).content)
            cursor = body["cursor"]
            if not body["more"]:
                break
        changed = list(Accreditation.objects.filter(event=event).order_by("?").values_list("pk", flat=True)[: n // 100])
        badges_touch(set(changed))
        feed_ms = timed(lambda: client.get(f"/api/v1/feed/?cursor={cursor}", **headers), repeat=7)
        delta = client.get(f"/api/v1/feed/?cursor={cursor}", **headers)
        delta_changes = len(orjson.loads(delta.content)["changes"])
        dump_ms = timed(lambda: sum(len(c) for c in client.get("/api/v1/badges/export", **headers).streaming_content))
        dump_bytes = sum(len(c) for c in client.get("/api/v1/badges/export", **headers).streaming_content)

        # PDFs.
        numbers = list(
            Accreditation.objects.filter(event=event).order_by("pk").values_list("badge_number", flat=True)[:20]
        )
        started = time.perf_counter()
        for number in numbers:
            client.get(f"/api/v1/badges/{number}/pdf", **headers)
        pdf_per_s = len(numbers) / (time.perf_counter() - started)
        batch = list(
            Accreditation.objects.filter(event=event).order_by("pk").values_list("badge_number", flat=True)[:90]
        )
        started = time.perf_counter()
        sheet = client.post("/api/v1/badges/pdf", {"badge_numbers": batch}, content_type="application/json", **headers)
        sheet_s = time.perf_counter() - started

        # The export again at 10×: memory must not grow with the number of badges.
        build(9 * n, event, zones, start=n)
        analyze()
        big_s, big_peak, big_lines = export(client, headers)

        print(f"B5 — {n:,} approved badges, {connection.vendor}")
        print(
            f"  list page of 500: planner {planner_ms:.1f} ms ({queries} queries) | floor .values()+orjson "
            f"{floor_ms:.1f} ms (with zones {floor_zones_ms:.1f} ms) | naive ModelSerializer {naive_ms:.0f} ms ({naive_queries} queries)"
        )
        print(
            f"  planner / floor {planner_ms / floor_ms:.1f}× (with zones {planner_ms / floor_zones_ms:.1f}×; goal ≤ 2×); "
            f"naive / planner {naive_ms / planner_ms:.0f}× (goal ≥ 20×)"
        )
        print(
            f"  export {export_lines:,} badges: {export_s:.2f} s, peak {export_peak / 1e6:.1f} MB; "
            f"{big_lines:,} badges: {big_s:.2f} s, peak {big_peak / 1e6:.1f} MB"
        )
        print(
            f"B6 — {delta_changes} changes (1%): feed pull {feed_ms:.1f} ms, {len(delta.content):,} B | full dump "
            f"{dump_ms:.0f} ms, {dump_bytes:,} B | pull/dump {feed_ms / dump_ms:.1%} time, {len(delta.content) / dump_bytes:.1%} bytes"
        )
        print(f"PDF — single {pdf_per_s:.1f}/s; sheet of 90 (10 pages) {sheet_s:.2f} s, {len(sheet.content):,} B")
        print(json.dumps({
            "benchmark": "badges_api", "database": connection.vendor, "badges": n,
            "page_ms": round(planner_ms, 1), "page_queries": queries, "floor_ms": round(floor_ms, 1), "floor_with_zones_ms": round(floor_zones_ms, 1),
            "planner_vs_floor_with_zones": round(planner_ms / floor_zones_ms, 2),
            "naive_ms": round(naive_ms), "naive_queries": naive_queries,
            "planner_vs_floor": round(planner_ms / floor_ms, 2), "naive_vs_planner": round(naive_ms / planner_ms, 1),
            "export_s": round(export_s, 2), "export_peak_mb": round(export_peak / 1e6, 1),
            "export_10x_badges": big_lines, "export_10x_s": round(big_s, 2), "export_10x_peak_mb": round(big_peak / 1e6, 1),
            "feed_changes": delta_changes, "feed_ms": round(feed_ms, 1), "dump_ms": round(dump_ms),
            "feed_vs_dump_time": round(feed_ms / dump_ms, 4), "feed_vs_dump_bytes": round(len(delta.content) / dump_bytes, 4),
            "pdf_per_s": round(pdf_per_s, 1), "sheet_90_s": round(sheet_s, 2),
        }))  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
