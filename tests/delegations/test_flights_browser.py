"""The flights page in a real browser (headless Chromium through Playwright) on the seeded summit: protocol opens
the day before the summit, uploads the demo airport list (demo/data/asem13_airport_flights.csv), reads the
preview and applies it. Screenshots go to test-artifacts/screenshots/ (kept by CI as artefacts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from delegations.models import Travel
from tests.browser import SHOTS, staff_page

playwright_sync = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
DEMO_LIST = ROOT / "demo" / "data" / "asem13_airport_flights.csv"


def test_protocol_uploads_the_airport_list_previews_and_applies_it(browser, seeded_live):
    base = seeded_live.url
    page = staff_page(browser, base, "protocol", width=1400, height=900)

    page.goto(f"{base}/admin/flights/?day=2020-11-15")
    assert page.get_by_role("heading", name="Flights on 15 Nov 2020").is_visible()
    assert page.locator("table.fl-table").first.locator("tbody tr").count() >= 40  # a party per delegation landing
    page.screenshot(path=str(SHOTS / "flights-01-day.png"), full_page=True)

    page.get_by_label("The airport's list (CSV)").set_input_files(str(DEMO_LIST))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url(re.compile(r"/admin/flights/import/$"))
    changes = page.locator("#fl-changes tbody tr")
    assert changes.count() > 10
    assert page.locator("#fl-errors").count() == 1  # the demo list carries one deliberate error
    assert "is not a time" in page.locator("#fl-errors").inner_text()
    page.screenshot(path=str(SHOTS / "flights-02-preview.png"), full_page=True)

    page.get_by_role("button", name=re.compile(r"^Apply \d+ changes")).click()
    page.wait_for_url(re.compile(r"/admin/flights/\?day=2020-11-15$"))
    assert "Applied the airport's list" in page.locator(".messagelist").inner_text()
    page.screenshot(path=str(SHOTS / "flights-03-applied.png"), full_page=True)
    assert page.evaluate("window.__violations") == []
    assert Travel.objects.filter(arrival_status="delayed").count() >= 2
    page.context.close()
