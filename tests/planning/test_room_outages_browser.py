"""A room out of service in a real browser (headless Chromium through Playwright) on the seeded summit: logistics
takes the Plenary Hall out of service through the admin's add form, lands on the impact page, reads the proposal
(every move ticked) and accepts it. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest

from events.models import Room, RoomOutage, Session
from tests.browser import SHOTS, staff_page

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def seeded_live(seeded_live, settings):
    settings.PLANNER_SCHEDULER_WORKERS = 2
    return seeded_live


def test_logistics_takes_the_hall_out_of_service_and_accepts_the_proposal(browser, seeded_live):
    base = seeded_live.url
    hall = Room.objects.get(venue__name="Peace Palace", name="Plenary Hall")
    page = staff_page(browser, base, "logistics", width=1400, height=900)

    page.goto(f"{base}/admin/")
    page.get_by_role("link", name="add one").click()
    page.wait_for_url(re.compile(r"/admin/events/roomoutage/add/$"))
    # The room field is an autocomplete (select2): give the underlying select its value as a pick would.
    page.evaluate(
        "([pk, label]) => { const s = document.querySelector('#id_room'); s.add(new Option(label, pk, true, true)); }",
        [str(hall.pk), str(hall)],
    )
    page.fill("#id_start_0", "2020-11-16")
    page.fill("#id_start_1", "09:00")
    page.fill("#id_end_0", "2020-11-16")
    page.fill("#id_end_1", "13:00")
    page.fill("#id_reason", "Power cut in the east wing")
    page.screenshot(path=str(SHOTS / "outage-01-add.png"), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()

    page.wait_for_url(re.compile(r"/admin/outages/\d+/impact/$"))
    assert "is out of service" in page.locator(".messagelist").inner_text()
    assert page.locator("#hit-sessions li").count() == 2
    boxes = page.locator("#proposal-table input[type=checkbox]")
    assert boxes.count() == 2 and all(boxes.nth(i).is_checked() for i in range(2))
    page.screenshot(path=str(SHOTS / "outage-02-impact.png"), full_page=True)

    page.get_by_role("button", name="Accept selected").click()
    page.wait_for_url(re.compile(r"/admin/outages/\d+/impact/$"))
    assert "Moved 2" in page.locator(".messagelist").inner_text()
    assert "Nothing uses" in page.locator("#content-main").inner_text()
    page.screenshot(path=str(SHOTS / "outage-03-accepted.png"), full_page=True)
    assert page.evaluate("window.__violations") == []
    outage = RoomOutage.objects.get()
    assert not Session.objects.filter(room=hall, start__lt=outage.end, end__gt=outage.start).exists()
    page.context.close()
