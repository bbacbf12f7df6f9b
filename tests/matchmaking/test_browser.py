"""The business forum in a real browser (headless Chromium through Playwright), on a phone-sized screen: France's
liaison asks for a meeting for its participant, Germany's liaison accepts it, the organisers plan and publish,
and France's liaison opens the participant's agenda. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaking.domain.planning import forum_run_execute, forum_run_publish, forum_run_start
from matchmaking.models import ForumMeeting, MeetingRequest

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

pytest.importorskip("playwright.sync_api")


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()


def test_liaisons_request_accept_and_read_the_agenda(browser, transactional_db, live_server, forum, settings):
    settings.PLANNER_FORUM_SOLVER_SECONDS = 5
    SHOTS.mkdir(parents=True, exist_ok=True)
    alpha = forum.participant("FRA", "Alpha Énergie", sector="Energy", profile="Grid storage and hydro engineering.")
    beta = forum.participant("DEU", "Solarwerk AG", sector="Energy", profile="Solar inverters and batteries.")
    forum.participant(None, "ធនាគារ​អភិវឌ្ឍន៍", sector="Finance", profile="Development bank.", email="bank@x.example")
    base = live_server.url

    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, base, "liaison-fra")
    page.goto(f"{base}/portal/{forum.france.pk}/forum/participants/{alpha.pk}/directory/")
    shot(page, "forum-directory")
    page.get_by_role("link", name="Ask to meet Solarwerk AG (Rep)").click()
    page.get_by_label("Priority").select_option("5")
    page.get_by_label("Message").fill("Batteries for our hydro projects")
    page.get_by_role("button", name="Send the request").click()
    assert "asked to meet" in page.content()
    context.close()
    request = MeetingRequest.objects.get(sender=alpha, receiver=beta)
    assert request.priority == 5

    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, base, "liaison-deu")
    page.goto(f"{base}/portal/{forum.germany.pk}/forum/")
    shot(page, "forum-incoming-request")
    page.get_by_role("button", name="Accept").first.click()
    page.wait_for_load_state()
    context.close()
    request.refresh_from_db()
    assert request.status == MeetingRequest.Status.ACCEPTED

    run = forum_run_start(event=forum.event, allow_one_sided=False, by="system:test")
    forum_run_execute(run.pk)
    run.refresh_from_db()
    forum_run_publish(run=run, by="system:test")
    meeting = ForumMeeting.objects.get(status=ForumMeeting.Status.PUBLISHED)

    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, base, "liaison-fra")
    page.goto(f"{base}/portal/{forum.france.pk}/forum/participants/{alpha.pk}/agenda/")
    text = page.content()
    assert "Solarwerk AG" in text and meeting.table.label in text
    shot(page, "forum-agenda")
    context.close()
