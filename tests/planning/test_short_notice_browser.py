"""Short notice in a real browser (headless Chromium through Playwright) on the seeded summit: Cambodia and Viet Nam
agree a bilateral; protocol opens it, presses "Place now (short notice)", reads the proposal on the scheduling page
and publishes it. Celery runs eagerly in the live server (the broker is the outside boundary). Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest

from delegations.models import Delegation
from protocol.domain.bilaterals import bilateral_accept, bilateral_request
from protocol.models import BilateralMeeting, SchedulingRun
from tests.browser import SHOTS, staff_page

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def seeded_live(seeded_live, celery_eager):
    return seeded_live


def test_protocol_places_a_short_notice_bilateral_and_publishes_it(browser, seeded_live):
    delegations = {
        d.partner.code: d for d in Delegation.objects.filter(event__acronym="ASEM13").select_related("partner")
    }
    meeting = bilateral_request(requester=delegations["KHM"], counterpart=delegations["VNM"], duration=30, priority=4,
                                by="liaison-khm", subject="Mekong")  # fmt: skip
    bilateral_accept(meeting=meeting, by="test", delegation=delegations["VNM"])
    published = dict(BilateralMeeting.objects.filter(status="scheduled").values_list("pk", "start"))
    base = seeded_live.url
    page = staff_page(browser, base, "protocol", width=1400, height=900)

    page.goto(f"{base}/admin/protocol/bilateralmeeting/{meeting.pk}/change/")
    assert page.get_by_role("button", name="Place now (short notice)").is_visible()
    assert not page.get_by_label(re.compile("allow moving published meetings")).is_checked()
    page.screenshot(path=str(SHOTS / "short-notice-01-request.png"), full_page=True)

    page.get_by_role("button", name="Place now (short notice)").click()
    page.wait_for_url(re.compile(rf"/admin/scheduling/{meeting.event_id}/$"))
    assert "published meetings stay where they are" in page.locator(".sched-scope").inner_text()
    rows = page.locator("#proposal tbody tr")
    assert rows.count() == 1 and "Cambodia – Viet Nam" in rows.first.inner_text() and "new" in rows.first.inner_text()
    page.screenshot(path=str(SHOTS / "short-notice-02-proposal.png"), full_page=True)

    page.get_by_role("button", name="Publish this plan").click()
    page.wait_for_url(re.compile(rf"/admin/scheduling/{meeting.event_id}/$"))
    assert "Published: 1 bilateral(s) placed" in page.locator(".messagelist").inner_text()
    page.screenshot(path=str(SHOTS / "short-notice-03-published.png"), full_page=True)
    assert page.evaluate("window.__violations") == []
    page.context.close()

    meeting.refresh_from_db()
    assert meeting.status == BilateralMeeting.Status.SCHEDULED
    assert dict(BilateralMeeting.objects.filter(pk__in=published).values_list("pk", "start")) == published
    assert SchedulingRun.objects.get(kind="short_notice").status == SchedulingRun.Status.PUBLISHED
