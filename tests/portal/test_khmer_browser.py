"""The portal on a phone in Khmer: Khmer words are longer than English ones, yet no page is wider than the
screen (the nav, buttons and stacked tables wrap). Headless Chromium, as tests/portal/test_browser.py."""

from __future__ import annotations

import re

import pytest

from delegations.models import Delegation, Person

PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def seeded_live(transactional_db, live_server, settings, tmp_path):
    from demo.seed import seed_asem13

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PLANNER_BASE_URL = live_server.url
    seed_asem13()
    return live_server


def test_khmer_portal_fits_a_phone(browser, seeded_live):
    base = seeded_live.url
    france = Delegation.objects.get(partner__code="FRA", event__acronym="ASEM13")
    person = Person.objects.filter(delegation=france).order_by("pk").first()
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("liaison-fra")
    page.get_by_label("Password").fill("asem13-liaison-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/portal/{france.pk}/$"))
    page.get_by_role("button", name="ខ្មែរ").click()  # the header's language switch
    page.wait_for_url(re.compile(rf"/portal/{france.pk}/$"))
    assert "រួចរាល់" in page.get_by_role("heading", level=1).inner_text()
    for path in ("", "members/", f"members/{person.pk}/", f"members/{person.pk}/travel/", "accreditations/",
                 "bilaterals/", "bilaterals/request/", "programme/", "import/"):  # fmt: skip
        page.goto(f"{base}/portal/{france.pk}/{path}")
        assert page.locator("html").get_attribute("lang") == "km"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"/{path} is {overflow}px wider than the phone's screen in Khmer"
