"""The liaison portal in a real browser (headless Chromium through Playwright), on a phone-sized screen.

France's liaison signs in on the seeded summit, completes the delegation to 100% (passports, photos, one
flight for the whole party), requests a bilateral with Italy, and Italy's new liaison — invited by staff —
accepts the invitation, signs in and accepts the bilateral; France's liaison then downloads the programme.
Screenshots go to test-artifacts/screenshots/ (kept by CI as artefacts).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail

from delegations.domain.liaisons import liaison_invite
from delegations.models import Delegation, Person
from protocol.models import BilateralMeeting
from tests.delegations.images import jpeg_bytes

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def seeded_live(transactional_db, live_server, settings, tmp_path):
    from demo.seed import seed_asem13

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PLANNER_BASE_URL = live_server.url
    seed_asem13()
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_liaison_completes_the_delegation_and_gets_a_bilateral_accepted(browser, seeded_live, tmp_path):
    base = seeded_live.url
    france = Delegation.objects.get(partner__code="FRA", event__acronym="ASEM13")
    italy = Delegation.objects.get(partner__code="ITA", event__acronym="ASEM13")
    photo = tmp_path / "portrait.jpg"
    photo.write_bytes(jpeg_bytes(size=(600, 800)))

    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, base, "liaison-fra", "asem13-liaison-demo")
    page.wait_for_url(re.compile(rf"/portal/{france.pk}/$"))
    heading = page.get_by_role("heading", level=1).inner_text()
    assert "% ready" in heading and "100%" not in heading
    shot(page, "01-france-dashboard-before")

    members = list(Person.objects.filter(delegation=france).order_by("pk"))
    for number, person in enumerate(members):
        page.goto(f"{base}/portal/{france.pk}/members/{person.pk}/")
        page.get_by_label("Passport number").fill(f"FR{number:07d}")
        page.get_by_label("Passport expiry").fill("2031-05-31")
        page.get_by_label("Date of birth").fill("1970-04-0" + str(number + 1))
        page.get_by_role("button", name="Save changes").click()
        page.wait_for_url(re.compile(r"/members/$"))
        page.goto(f"{base}/portal/{france.pk}/members/{person.pk}/photo/")
        page.get_by_label("Photo").set_input_files(str(photo))
        page.get_by_role("button", name=re.compile("photo")).click()
        page.wait_for_url(re.compile(r"/members/$"))
    shot(page, "02-france-members")

    page.goto(f"{base}/portal/{france.pk}/members/{members[0].pk}/travel/")
    page.get_by_label("Arrival flight").fill("af 274")
    page.get_by_label("Arrival (date and time)").fill("2020-11-15T09:40")
    page.get_by_label("Arrival (date and time)").press("Tab")
    page.get_by_label("Departure flight").fill("AF275")
    page.get_by_label("Departure (date and time)").fill("2020-11-18T11:05")
    page.get_by_label("Hotel").select_option(label="Sokha")
    for other in members[1:]:
        page.get_by_label(str(other)).check()
    shot(page, "03-france-travel-form")
    page.get_by_role("button", name="Save travel").click()
    page.wait_for_url(re.compile(r"/members/$"))
    assert "Travel saved for" in page.locator(".messages").inner_text()

    page.goto(f"{base}/portal/{france.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "France: 100% ready"
    assert page.get_by_text("Everything is in.").is_visible()
    shot(page, "04-france-dashboard-ready")

    page.goto(f"{base}/portal/{france.pk}/bilaterals/request/")
    page.get_by_label("Meet with").select_option(label="Italy")
    page.get_by_label("Subject").fill("Mekong heritage cooperation")
    page.get_by_label("Duration").select_option(label="45 minutes")
    page.locator("#id_window1_day").select_option(index=1)
    page.locator("#id_window1_from").fill("14:00")
    page.locator("#id_window1_to").fill("17:00")
    shot(page, "05-france-bilateral-request")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url(re.compile(r"/bilaterals/$"))
    meeting = BilateralMeeting.objects.get(requester=france, counterpart=italy)
    assert meeting.status == BilateralMeeting.Status.REQUESTED

    # Staff invite Italy's liaison; the link in the mail opens the account page.
    liaison_invite(delegation=italy, email="liaison@esteri.example", name="Dott.ssa Rossi", by="protocol-staff")
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", mail.outbox[-1].body).group(0)
    italian = browser.new_context(**PHONE).new_page()
    italian.goto(link)
    italian.get_by_label("Given name(s)").fill("Giulia")
    italian.get_by_label("Family name").fill("Rossi")
    italian.get_by_label("Choose a password").fill("tevere-mekong-20")
    italian.get_by_label("The same password again").fill("tevere-mekong-20")
    shot(italian, "06-italy-accept-invitation")
    italian.get_by_role("button", name="Accept and sign in").click()
    italian.wait_for_url(re.compile(rf"/portal/{italy.pk}/$"))
    assert "1 request waiting for your answer" in italian.content()
    italian.goto(f"{base}/portal/{italy.pk}/bilaterals/")
    shot(italian, "07-italy-incoming-request")
    italian.get_by_role("button", name="Accept the bilateral with France").click()
    italian.wait_for_url(re.compile(r"/bilaterals/$"))
    meeting.refresh_from_db()
    assert meeting.status == BilateralMeeting.Status.ACCEPTED

    page.goto(f"{base}/portal/{france.pk}/bilaterals/")
    agreed = page.locator("section", has=page.get_by_role("heading", name=re.compile("Agreed")))
    assert "With Italy" in agreed.inner_text() and "Mekong heritage cooperation" in agreed.inner_text()
    shot(page, "08-france-bilateral-accepted")
    page.goto(f"{base}/inbox/")
    assert "Bilateral accepted by Italy" in page.content()

    page.goto(f"{base}/portal/{france.pk}/programme/")
    shot(page, "09-france-programme")
    with page.expect_download() as download:
        page.get_by_role("link", name="The whole delegation (.ics)").click()
    calendar = Path(download.value.path()).read_text()
    assert calendar.startswith("BEGIN:VCALENDAR") and "Plenary" in calendar
    context.close()
