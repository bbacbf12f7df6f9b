"""Headless Chromium for the browser tests (Debian's `chromium`, driven by Playwright): the `browser` fixture,
one per test module. Registered for the whole suite in tests/conftest.py (`pytest_plugins`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = os.environ.get("PLANNER_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def browser():
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_sync.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# --- What the staff pages' browser tests share (the flights page, the bad day's pages) ------------------------
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
CSP_WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective));
"""


@pytest.fixture
def seeded_live(transactional_db, live_server, settings, tmp_path):
    """The live server over a freshly seeded summit (media in a temporary folder); screenshots' folder made."""
    from demo.seed import seed_asem13

    settings.MEDIA_ROOT = tmp_path / "media"
    seed_asem13()
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server


def staff_page(browser, base: str, username: str, *, width: int = 1400, height: int = 900):
    """A page signed in as a staff member (the session made by the test client, second factor passed), with
    content-policy violations collected in `window.__violations`."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.signin import sign_in

    session = Client()
    sign_in(session, get_user_model().objects.get(username=username))
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(CSP_WATCH)
    context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": base}])
    return context.new_page()
