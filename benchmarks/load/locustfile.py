"""The load test's users, for Locust (benchmarks/load_test.py runs it; it imports nothing of the planner).

Environment: LOAD_ACTORS (the JSON of benchmarks/load/actors.py), LOAD_RESULTS (where each request is written
at the end: name, start, milliseconds, error), LOAD_TIMEOUT (seconds before a request counts as failed, default
60), LOAD_STATIONS, LOAD_CHECKPOINTS, LOAD_LIAISONS, LOAD_STAFF (how many users of each class; each gets its own
token or account).

Think times (wait between one iteration and the next, uniform):

- print station: polls the badge feed with its cursor and ETag every 3-7 s (mostly 304); on one poll in six it
  prints a badge, as when a delegate reaches the desk (about 2 badges a minute per desk): the PDF, then the print
  record with a fresh Idempotency-Key. It starts the day with a full sync of the feed (pages of 500).
- checkpoint: scans a badge every 0.6-1.4 s (about 60 a minute: the "busy gate" of docs/checkpoints.md, half of
  PLANNER_RATE_CHECKPOINT_SCAN), and fetches the holder's photo when the answer links one.
- liaison: signs in once, then every 5-15 s opens one of the delegation's pages; on two visits in five it edits and
  saves a form (a member's phone, or a member's travel as it is), with the CSRF token from the page. Far below
  PLANNER_RATE_PORTAL_WRITE (60 saves a minute).
- staff: signs in once with password and TOTP, then every 5-20 s opens the day timeline, the leaders' days or
  the operations board, or refreshes the board's body as its page does every 30 s.

A request fails when its status is not the expected one (a form that comes back with errors instead of the
redirect is a failure, a scan judged forged or unknown is a failure), so "0 failures" means every action did
what a person or device would have wanted.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import os
import random
import re
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urljoin, urlparse

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import page_form, replace_field, totp  # noqa: E402

# A request still unanswered after this many seconds is an error: the person or device gave up (and the user
# goes on). Without it a hung request would never be counted, only dropped when the run stops.
TIMEOUT = float(os.environ.get("LOAD_TIMEOUT", "60"))
ACTORS = json.loads(Path(os.environ["LOAD_ACTORS"]).read_text()) if os.environ.get("LOAD_ACTORS") else {}
RECORDS: list[tuple[str, float, float, str]] = []  # name, start (epoch s), response ms, error ("" when fine)


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, start_time=None, **kwargs):
    RECORDS.append((f"{request_type} {name}", start_time or time.time(), response_time, str(exception or "")))


@events.quitting.add_listener
def _write(environment, **kwargs):
    target = os.environ.get("LOAD_RESULTS")
    if target:
        Path(target).write_text(json.dumps(RECORDS))


def _fail(response, why: str) -> None:
    where = f"{response.request.method} {urlparse(response.url).path}"
    moved = f" to {response.headers['Location']}" if response.headers.get("Location") else ""
    response.failure(f"{why} (status {response.status_code}{moved}, {where})")


def _expect(response, *statuses: int) -> bool:
    if response.status_code in statuses:
        response.success()
        return True
    _fail(response, f"expected {' or '.join(map(str, statuses))}")
    return False


class Actor(HttpUser):
    abstract = True
    _numbers: itertools.count
    actor_key = ""

    def on_start(self) -> None:
        pool = ACTORS[self.actor_key]
        self.actor = pool[next(type(self)._numbers) % len(pool)]
        self.client.request = functools.partial(self.client.request, timeout=TIMEOUT)  # get(), post() go through it


# --- Devices ------------------------------------------------------------------------------------------------
class PrintStation(Actor):
    fixed_count = int(os.environ.get("LOAD_STATIONS", "50"))
    wait_time = between(3, 7)
    _numbers = itertools.count()
    actor_key = "stations"

    def on_start(self) -> None:
        super().on_start()
        self.client.headers["Authorization"] = f"Bearer {self.actor['token']}"
        self.badges: dict[str, dict] = {}
        self.cursor, self.etag = 0, ""
        self.sync(name="/api/v1/feed/ (full sync)")

    def sync(self, *, name: str) -> None:
        more = True
        while more:
            headers = {"If-None-Match": self.etag} if self.etag else {}
            with self.client.get(
                f"/api/v1/feed/?cursor={self.cursor}&limit=500", headers=headers, name=name, catch_response=True
            ) as response:
                if response.status_code == 304:
                    response.success()
                    return
                if not _expect(response, 200):
                    return
                body = response.json()
                for change in body["changes"]:
                    if change["type"] == "badge":
                        self.badges[change["badge_number"]] = change["badge"]
                    else:
                        self.badges.pop(change["badge_number"], None)
                self.cursor, more = body["cursor"], body["more"]
                self.etag = response.headers.get("ETag", "")

    @task
    def poll_and_print(self) -> None:
        self.sync(name="/api/v1/feed/ (poll)")
        if self.badges and random.random() < 1 / 6:
            self.print_badge(random.choice(list(self.badges.values())))

    def print_badge(self, badge: dict) -> None:
        number = badge["badge_number"]
        with self.client.get(
            f"/api/v1/badges/{number}/pdf",
            headers={"Accept": "application/pdf"},
            name="/api/v1/badges/[n]/pdf",
            catch_response=True,
        ) as response:
            if not _expect(response, 200):
                return
            if not response.content.startswith(b"%PDF"):
                _fail(response, "not a PDF")
                return
        printed_at = dt.datetime.now(dt.UTC).isoformat()
        with self.client.post(
            f"/api/v1/badges/{number}/prints",
            json={"version": badge["version"], "printed_at": printed_at},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            name="/api/v1/badges/[n]/prints",
            catch_response=True,
        ) as response:
            _expect(response, 201)


class Checkpoint(Actor):
    fixed_count = int(os.environ.get("LOAD_CHECKPOINTS", "20"))
    wait_time = between(0.6, 1.4)
    _numbers = itertools.count()
    actor_key = "checkpoints"
    JUDGED = {"allowed": "allowed", "wrong_zone": "denied"}  # what a genuine, current badge can be at a gate

    def on_start(self) -> None:
        super().on_start()
        self.client.headers["Authorization"] = f"Bearer {self.actor['token']}"

    @task
    def scan(self) -> None:
        with self.client.post(
            "/api/v1/checkpoint/scans",
            json={"payload": random.choice(ACTORS["qr"])},
            name="/api/v1/checkpoint/scans",
            catch_response=True,
        ) as response:
            if not _expect(response, 200):
                return
            body = response.json()
            if body["result"] == "allowed" or body["reason"] == "wrong_zone":
                response.success()
            else:
                hint = " — is SECRET_KEY the server's?" if body["reason"] == "forged" else ""
                _fail(response, f"a genuine badge judged {body['result']} ({body['reason']}){hint}")
                return
        photo = (body.get("holder") or {}).get("photo_url")
        if photo:
            with self.client.get(
                urlparse(photo).path,
                headers={"Accept": "image/jpeg"},
                name="/api/v1/badges/[n]/photo.jpg",
                catch_response=True,
            ) as response:
                _expect(response, 200)


# --- People in a browser -----------------------------------------------------------------------------------
class Browser(Actor):
    abstract = True

    def get_page(self, path: str, name: str, *, expect: int = 200, to: str = ""):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as response:
            if _expect(response, expect) and to and response.headers.get("Location", "") != to:
                _fail(response, f"expected a redirect to {to}")
            return response

    def submit(self, page, *, with_field: str, name: str, change=None, expect_redirect: str = ""):
        """Post the page's form as a browser would (its CSRF token included), with `change` applied to the
        fields; success is the redirect a valid form answers with."""
        form = page_form(page.text, with_field=with_field)
        fields = list(form["fields"])
        if change:
            fields = change(fields)
        target = urljoin(page.url, form["action"]) if form["action"] else page.url
        with self.client.post(
            urlparse(target).path + (f"?{urlparse(target).query}" if urlparse(target).query else ""),
            data=fields,
            headers={"Referer": page.url},
            name=name,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302:
                errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.text, re.S)[:2]
                _fail(response, f"the form was not accepted: {' '.join(errors)[:300]}")
            elif expect_redirect and expect_redirect not in location:
                _fail(response, f"redirected to {location}, not {expect_redirect}")
            else:
                response.success()
            return response


class Liaison(Browser):
    fixed_count = int(os.environ.get("LOAD_LIAISONS", "100"))
    wait_time = between(5, 15)
    _numbers = itertools.count()
    actor_key = "liaisons"

    def on_start(self) -> None:
        super().on_start()
        self.d = self.actor["delegation_id"]
        page = self.get_page("/accounts/login/", "/accounts/login/")
        username, password = self.actor["username"], ACTORS["password"]

        def credentials(fields):
            return replace_field(replace_field(fields, "username", username), "password", password)

        self.submit(page, with_field="password", name="/accounts/login/ (sign in)", change=credentials)
        self.get_page("/portal/", "/portal/", expect=302, to=f"/portal/{self.d}/")

    @task(2)
    def dashboard(self) -> None:
        self.get_page(f"/portal/{self.d}/", "/portal/[d]/")

    @task(2)
    def members(self) -> None:
        self.get_page(f"/portal/{self.d}/members/", "/portal/[d]/members/")

    @task(1)
    def programme(self) -> None:
        self.get_page(f"/portal/{self.d}/programme/", "/portal/[d]/programme/")

    @task(1)
    def accreditations(self) -> None:
        self.get_page(f"/portal/{self.d}/accreditations/", "/portal/[d]/accreditations/")

    @task(1)
    def bilaterals(self) -> None:
        self.get_page(f"/portal/{self.d}/bilaterals/", "/portal/[d]/bilaterals/")

    @task(3)
    def edit_member(self) -> None:
        person = random.choice(self.actor["members"])
        page = self.get_page(f"/portal/{self.d}/members/{person}/", "/portal/[d]/members/[p]/")
        if page.status_code != 200:
            return
        phone = f"+855 12 {random.randint(100000, 999999)}"

        def new_phone(fields):
            return replace_field(fields, "phone", phone)

        self.submit(
            page,
            with_field="given_name",
            name="/portal/[d]/members/[p]/ (save)",
            change=new_phone,
            expect_redirect=f"/portal/{self.d}/members/",
        )

    @task(1)
    def edit_travel(self) -> None:
        person = random.choice(self.actor["with_travel"])
        page = self.get_page(f"/portal/{self.d}/members/{person}/travel/", "/portal/[d]/members/[p]/travel/")
        if page.status_code == 200:
            self.submit(
                page,
                with_field="arrival_flight",
                name="/portal/[d]/members/[p]/travel/ (save)",
                expect_redirect=f"/portal/{self.d}/members/",
            )


class Staff(Browser):
    fixed_count = int(os.environ.get("LOAD_STAFF", "10"))
    wait_time = between(5, 20)
    _numbers = itertools.count()
    actor_key = "staff"

    def on_start(self) -> None:
        super().on_start()
        page = self.get_page("/admin/login/?next=/admin/", "/admin/login/")
        username, password = self.actor["username"], ACTORS["password"]

        def credentials(fields):
            return replace_field(replace_field(fields, "username", username), "password", password)

        self.submit(page, with_field="password", name="/admin/login/ (sign in)", change=credentials)
        # The admin sends a signed-in staff member without a verified second factor to the code page.
        with self.client.get("/admin/", name="/admin/ → /accounts/second-factor/", catch_response=True) as page:
            if _expect(page, 200) and "/accounts/second-factor/" not in page.url:
                _fail(page, f"expected the second-factor page, got {page.url}")
        key = self.actor["totp_key_hex"]

        def code(fields):
            return replace_field(fields, "token", totp(key))

        self.submit(
            page, with_field="token", name="/accounts/second-factor/ (code)", change=code, expect_redirect="/admin/"
        )

    def day(self) -> str:
        return random.choice(ACTORS["days"])

    @task(3)
    def timeline(self) -> None:
        self.get_page(f"/admin/timeline/?day={self.day()}", "/admin/timeline/")

    @task(1)
    def leaders(self) -> None:
        self.get_page(f"/admin/timeline/leaders/?day={self.day()}", "/admin/timeline/leaders/")

    @task(2)
    def ops(self) -> None:
        self.get_page(f"/admin/ops/?day={self.day()}", "/admin/ops/")

    @task(4)
    def ops_refresh(self) -> None:
        self.get_page(f"/admin/ops/board/?day={self.day()}", "/admin/ops/board/")
