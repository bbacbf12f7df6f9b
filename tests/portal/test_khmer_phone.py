"""The liaison portal on a phone, in Khmer (headless Chromium): every page in Khmer, in the shipped Khmer font,
nothing wider than the screen. Screenshots in test-artifacts/screenshots/khmer-*.png."""

from __future__ import annotations

import re

import pytest

from delegations.models import Delegation, Person
from tests.browser import SHOTS

playwright_sync = pytest.importorskip("playwright.sync_api")
PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
KHMER = re.compile("[\u1780-\u17ff]")
# Elements wider than the screen, outside the containers that scroll sideways on purpose (wide tables).
OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".table-wrap") || el.closest("nav.portal")) continue;
    const box = el.getBoundingClientRect();
    // Overflow to the right makes a page scroll sideways (the skip link waits off-screen on the left on purpose).
    if (box.width && box.right > width + 1) out.push(el.tagName + "." + el.className + ": " + el.innerText.slice(0, 9));
  }
  return {page: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
}
"""
FONT = """
async () => {
  await document.fonts.ready;
  const loaded = [...document.fonts].filter(f => f.status === "loaded").map(f => f.family.replace(/"/g, ""));
  return {family: getComputedStyle(document.body).fontFamily, loaded};
}
"""


@pytest.fixture
def seeded_live(transactional_db, live_server, settings, tmp_path):
    from demo.seed import seed_asem13

    settings.MEDIA_ROOT = tmp_path / "media"
    seed_asem13()
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server


def test_a_liaison_switches_the_portal_to_khmer_and_every_page_fits_a_phone(browser, seeded_live):
    base = seeded_live.url
    cambodia = Delegation.objects.get(partner__code="KHM", event__acronym="ASEM13")
    member = Person.objects.filter(delegation=cambodia).order_by("pk").first()
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill("liaison-khm")
    page.get_by_label("Password").fill("asem13-liaison-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/portal/{cambodia.pk}/$"))
    assert page.evaluate("document.documentElement.lang") == "en"

    page.get_by_role("button", name="ខ្មែរ").click()  # the switch in the header
    page.wait_for_url(re.compile(rf"/portal/{cambodia.pk}/$"))
    assert page.evaluate("document.documentElement.lang") == "km"

    pages = {
        "dashboard": f"/portal/{cambodia.pk}/",
        "members": f"/portal/{cambodia.pk}/members/",
        "member-form": f"/portal/{cambodia.pk}/members/{member.pk}/",
        "travel": f"/portal/{cambodia.pk}/members/{member.pk}/travel/",
        "accreditations": f"/portal/{cambodia.pk}/accreditations/",
        "bilaterals": f"/portal/{cambodia.pk}/bilaterals/",
        "bilateral-request": f"/portal/{cambodia.pk}/bilaterals/request/",
        "programme": f"/portal/{cambodia.pk}/programme/",
        "import": f"/portal/{cambodia.pk}/import/",
        "inbox": "/inbox/",
        "sign-in-security": "/accounts/security/",
    }
    for number, (name, path) in enumerate(pages.items(), start=1):
        response = page.goto(base + path)
        assert response.status == 200, (name, response.status)
        page.screenshot(path=str(SHOTS / f"khmer-{number:02d}-{name}.png"), full_page=True)
        assert page.evaluate("document.documentElement.lang") == "km", name
        # The page's own words are Khmer: its labels, buttons, column and section headings (data — names,
        # partners, events — stays as entered).
        words = [t for t in page.locator("main label, main button, main th, main h2").all_inner_texts() if t.strip()]
        khmer = [text for text in words if KHMER.search(text)]
        assert words and len(khmer) * 2 >= len(words), f"{name}: not in Khmer: {words}"
        fit = page.evaluate(OVERFLOW)
        assert fit["page"] <= fit["width"] + 1 and not fit["out"], f"{name}: wider than the phone: {fit}"
        font = page.evaluate(FONT)
        assert font["family"].replace('"', "").startswith("Noto Sans Khmer"), (name, font)
        assert "Noto Sans Khmer" in font["loaded"], f"{name}: the Khmer font did not load: {font}"

    # Back to English from the same switch; the choice is the account's.
    page.goto(f"{base}/portal/{cambodia.pk}/")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(re.compile(rf"/portal/{cambodia.pk}/$"))
    assert page.evaluate("document.documentElement.lang") == "en"
    assert not KHMER.search(page.locator("h1").first.inner_text())
