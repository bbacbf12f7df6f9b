"""The flights page in a real browser (headless Chromium through Playwright) on the seeded summit: protocol opens
the day before the summit, uploads the demo airport list (demo/data/asem13_airport_flights.csv), reads the
preview and applies it. Screenshots go to test-artifacts/screenshots/ (kept by CI as artefacts)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from delegations.models import Travel
from tests.signin import sign_in

playwright_sync = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
DEMO_LIST = ROOT / "demo" / "data" / "asem13_airport_flights.csv"
CSP_WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective));
"""


@pytest.fixture
def seeded_live(transactional_db, live_server, settings, tmp_path):
    from demo.seed import seed_asem13

    settings.MEDIA_ROOT = tmp_path / "media"
    seed_asem13()
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server


def test_protocol_uploads_the_airport_list_previews_and_applies_it(browser, seeded_live):
    base = seeded_live.url
    session = Client()
    sign_in(session, get_user_model().objects.get(username="protocol"))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(CSP_WATCH)
    context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": base}])
    page = context.new_page()

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
    context.close()
