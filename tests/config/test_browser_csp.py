"""The Content-Security-Policy in a real browser (headless Chromium through Playwright): the admin with its
timeline, precedence page and a change form, the liaison portal, the sign-in page and the API docs load with no
violation reported, and their scripts still work — the Print button prints, a form's error summary takes the
focus, Swagger UI renders the API's operations."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from delegations.models import Delegation, Person
from events.models import Event
from tests.signin import sign_in

playwright_sync = pytest.importorskip("playwright.sync_api")

# Every violation the page sees, reported by the browser's own event (an init script runs outside the page's CSP).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def seeded_live(transactional_db, live_server, settings, tmp_path):
    from demo.seed import seed_asem13

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PLANNER_BASE_URL = live_server.url
    seed_asem13()
    return live_server


class Watched:
    """A browser context signed in as `username` (or anonymous) whose pages report CSP violations."""

    def __init__(self, browser, base: str, username: str | None):
        self.context = browser.new_context()
        self.context.add_init_script(WATCH)
        if username:
            session = Client()
            sign_in(session, get_user_model().objects.get(username=username))
            cookie = session.cookies["sessionid"]
            self.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": base}])
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.base = base

    def open(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.page.wait_for_load_state("load")
        return self.page

    def violations(self) -> list[str]:
        reported = self.page.evaluate("window.__violations")
        logged = [text for text in self.console if "Content Security Policy" in text]
        return reported + logged


def test_pages_load_without_violations_and_their_scripts_work(browser, seeded_live):
    base = seeded_live.url
    summit = Event.objects.get(acronym="ASEM13")
    france = Delegation.objects.get(partner__code="FRA", event=summit)
    member = Person.objects.filter(delegation=france).order_by("pk").first()
    assert member is not None
    found: dict[str, list[str]] = {}

    staff = Watched(browser, base, "admin")
    staff.open("/admin/")
    found["admin index"] = staff.violations()
    page = staff.open("/admin/timeline/?day=2020-11-16")
    assert page.locator(".tl-bar").count() > 10  # the timeline drew its bars (styles, no script)
    found["timeline"] = staff.violations()
    page = staff.open(f"/admin/delegations/person/{member.pk}/change/")
    assert page.locator("#person_form").is_visible()
    found["change form"] = staff.violations()
    page = staff.open(f"/admin/precedence/{summit.pk}/")
    page.evaluate("window.print = () => { window.__printed = true; }")  # no dialog in a headless test
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed === true")  # the Print button's script ran
    found["precedence"] = staff.violations()
    staff.context.close()

    liaison = Watched(browser, base, "liaison-fra")
    liaison.open(f"/portal/{france.pk}/")
    found["portal dashboard"] = liaison.violations()
    page = liaison.open(f"/portal/{france.pk}/members/add/")
    # Sent empty past the browser's own checks, so that the server answers with the error summary.
    page.evaluate("for (const form of document.forms) { form.noValidate = true; }")
    page.get_by_role("button", name="Add member").click()
    page.wait_for_selector("#error-summary")
    page.wait_for_load_state("load")  # the summary's script is deferred: it has run by now
    assert page.evaluate("document.activeElement ? document.activeElement.id : null") == "error-summary"
    found["portal form with errors"] = liaison.violations()
    liaison.context.close()

    visitor = Watched(browser, base, None)
    visitor.open("/accounts/login/")
    found["sign in"] = visitor.violations()
    page = visitor.open("/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    assert any(re.search(r"/api/v1/checkpoint/scans", text) for text in operations)
    assert len(operations) >= 10  # Swagger UI read the schema and rendered every operation
    found["API docs"] = visitor.violations()
    visitor.context.close()

    assert {name: problems for name, problems in found.items() if problems} == {}
