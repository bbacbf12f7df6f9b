"""Short notice in a real browser (headless Chromium through Playwright) on the seeded summit: Cambodia and Viet Nam
agree a bilateral; protocol opens it, presses "Place now (short notice)", reads the proposal on the scheduling page
and publishes it. Celery runs eagerly in the live server (the broker is the outside boundary). Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from config.celery import app as celery_app
from delegations.models import Delegation
from protocol.domain.bilaterals import bilateral_accept, bilateral_request
from protocol.models import BilateralMeeting, SchedulingRun
from tests.signin import sign_in

playwright_sync = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CSP_WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective));
"""


@pytest.fixture
def seeded_live(transactional_db, live_server, settings, tmp_path):
    from demo.seed import seed_asem13

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PLANNER_SCHEDULER_WORKERS = 2
    settings.PLANNER_CONFLICT_CHECK_DELAY = 0
    seed_asem13()
    SHOTS.mkdir(parents=True, exist_ok=True)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield live_server
    celery_app.conf.task_always_eager = previous


def test_protocol_places_a_short_notice_bilateral_and_publishes_it(browser, seeded_live):
    delegations = {
        d.partner.code: d for d in Delegation.objects.filter(event__acronym="ASEM13").select_related("partner")
    }
    meeting = bilateral_request(requester=delegations["KHM"], counterpart=delegations["VNM"], duration=30, priority=4,
                                by="liaison-khm", subject="Mekong")  # fmt: skip
    bilateral_accept(meeting=meeting, by="test", delegation=delegations["VNM"])
    published = dict(BilateralMeeting.objects.filter(status="scheduled").values_list("pk", "start"))
    base = seeded_live.url
    session = Client()
    sign_in(session, get_user_model().objects.get(username="protocol"))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(CSP_WATCH)
    context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": base}])
    page = context.new_page()

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
    context.close()

    meeting.refresh_from_db()
    assert meeting.status == BilateralMeeting.Status.SCHEDULED
    assert dict(BilateralMeeting.objects.filter(pk__in=published).values_list("pk", "start")) == published
    assert SchedulingRun.objects.get(kind="short_notice").status == SchedulingRun.Status.PUBLISHED
