"""The operations board in a real browser (headless Chromium through Playwright) on the seeded summit: protocol
opens the summit's first day; a room goes out of service and a flight is marked delayed in the database; the
board's body refreshes by itself (the fragment, no page reload) and shows both. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from delegations.models import Delegation, Travel
from events.models import Room, RoomOutage
from tests.browser import SHOTS, staff_page

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def seeded_live(seeded_live, settings):
    settings.PLANNER_OPS_REFRESH_SECONDS = 1  # the page's refresh interval: 30 s on the day, 1 s here
    return seeded_live


def test_the_board_refreshes_its_body_without_reloading(browser, seeded_live):
    base = seeded_live.url
    page = staff_page(browser, base, "protocol", width=1500, height=1000)

    page.goto(f"{base}/admin/ops/?day=2020-11-16&at=09:30")
    assert page.get_by_role("heading", name="Heads of delegation: now and next").is_visible()
    assert page.locator("#ops-heads tbody tr").count() >= 40  # a head per partner of the seeded summit
    assert "Every room is in service." in page.locator("#ops-outages").inner_text()
    page.screenshot(path=str(SHOTS / "ops-01-board.png"), full_page=True)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    first_update = page.locator("[data-ops-updated]").inner_text()

    tz = ZoneInfo("Asia/Phnom_Penh")
    room = Room.objects.filter(venue__kind="conference").order_by("pk").first()
    start, end = dt.datetime(2020, 11, 16, 9, 0, tzinfo=tz), dt.datetime(2020, 11, 16, 12, 0, tzinfo=tz)
    RoomOutage.objects.create(room=room, start=start, end=end, reason="Power cut in the east wing")
    delegation = Delegation.objects.filter(event__acronym="ASEM13", head__isnull=False).order_by("partner__name")[0]
    travel = Travel.objects.get(person=delegation.head)
    travel.arrival_status = Travel.ArrivalStatus.DELAYED  # as the flights page would, without its follow-ups
    travel.arrival_at = dt.datetime(2020, 11, 16, 11, 45, tzinfo=tz)
    travel.save(update_fields=["arrival_status", "arrival_at"])

    # The refresh swaps the new body in within a refresh interval (a locator wait: no eval, which CSP forbids).
    page.locator("#ops-outages").get_by_text("Power cut in the east wing").wait_for(timeout=15_000)
    assert page.evaluate("window.__sameDocument") is True  # the fragment was swapped in, the page not reloaded
    assert page.locator("[data-ops-updated]").inner_text() != first_update  # refreshed at least a second later
    outages = page.locator("#ops-outages").inner_text()
    assert room.name in outages and "(out now)" in outages
    row = page.locator(f'#ops-arrivals tr[data-partner="{delegation.partner.name}"]').inner_text()
    assert "Delayed, now 11:45" in row
    page.screenshot(path=str(SHOTS / "ops-02-refreshed.png"), full_page=True)
    assert page.evaluate("window.__violations") == []
    page.context.close()
