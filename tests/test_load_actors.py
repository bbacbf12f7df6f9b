"""The load test's actor setup (benchmarks/load/actors.py) makes credentials that work, used the way the load test's
users use them (benchmarks/load/browser.py). The load itself never runs in the suite; Locust is not needed here.

On the seeded summit: a print station's token reads the feed and records a print, a checkpoint's token gets a
real badge's QR judged (never forged or unknown), a liaison signs in with the password, lands on the delegation
it was given and saves a member's form as a browser would post it, a staff member signs in with the password
and the TOTP code computed from the key the setup wrote. Preparing again revokes the previous run's tokens.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django_otp.oath import TOTP

from delegations.models import Person

LOAD = Path(__file__).resolve().parent.parent / "benchmarks" / "load"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"load_{name}", LOAD / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


browser = _module("browser")


@pytest.mark.parametrize("at", [0, 59, 1_111_111_109, 1_234_567_890, 2_000_000_000])
def test_totp_is_the_code_django_otp_accepts(at):
    key = "3132333435363738393031323334353637383930"
    expected = TOTP(bytes.fromhex(key), step=30, digits=6)
    expected.time = at
    assert browser.totp(key, at=at) == f"{expected.token():06d}"


def test_form_parser_posts_what_a_browser_would():
    html = """<form action="/language/" method="post"><input name="csrfmiddlewaretoken" value="x">
    <select name="language"><option value="en">English</option><option value="km" selected>Khmer</option></select>
    </form><form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="t">
    <input name="given_name" value="Claire &amp; co"><input type="checkbox" name="also_for" value="3" checked>
    <input type="checkbox" name="also_for" value="4"><select name="rank"><option value="1">a</option>
    <option value="2">b</option></select><select name="hotel" multiple><option value="7" selected>h</option>
    </select><textarea name="notes">
line</textarea><input type="submit" name="save" value="Save"><input type="file" name="photo"></form>"""
    form = browser.page_form(html, with_field="given_name")
    assert form["action"] == ""
    assert form["fields"] == [
        ("csrfmiddlewaretoken", "t"),
        ("given_name", "Claire & co"),
        ("also_for", "3"),
        ("rank", "1"),
        ("hotel", "7"),
        ("notes", "line"),
    ]
    assert browser.page_form(html, with_field="language")["action"] == "/language/"
    with pytest.raises(LookupError):
        browser.page_form(html, with_field="passport_number")


@pytest.mark.django_db(transaction=False)
def test_prepared_actors_can_do_their_work(seeded):
    actors_module = _module("actors")
    actors = actors_module.prepare(stations=2, checkpoints=2, liaisons=3, staff=2)
    json.dumps(actors)  # the file the locustfile reads
    assert len(actors["stations"]) == 2 and len(actors["checkpoints"]) == 2
    assert len(actors["liaisons"]) == 3 and len(actors["staff"]) == 2
    assert len({row["delegation_id"] for row in actors["liaisons"]}) == 3

    # A print station: reads the feed, prints a badge it saw there.
    station = Client(HTTP_AUTHORIZATION=f"Bearer {actors['stations'][0]['token']}")
    feed = station.get("/api/v1/feed/?cursor=0&limit=500")
    assert feed.status_code == 200
    badge = next(change["badge"] for change in feed.json()["changes"] if change["type"] == "badge")
    printed = station.post(
        f"/api/v1/badges/{badge['badge_number']}/prints",
        {"version": badge["version"], "printed_at": "2020-11-15T09:30:00+07:00"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert printed.status_code == 201, printed.content

    # A checkpoint: every prepared QR is a genuine, current badge of the summit.
    gate = Client(HTTP_AUTHORIZATION=f"Bearer {actors['checkpoints'][1]['token']}")
    for payload in actors["qr"][:5]:
        scan = gate.post("/api/v1/checkpoint/scans", {"payload": payload}, content_type="application/json")
        assert scan.status_code == 200
        assert scan.json()["result"] == "allowed" or scan.json()["reason"] == "wrong_zone", scan.json()
        assert scan.json()["zone"] == actors["checkpoints"][1]["zone"]

    # A liaison: signs in, lands on its delegation, saves a member's phone through the page's own form.
    liaison, row = Client(), actors["liaisons"][2]
    login = browser.page_form(liaison.get("/accounts/login/").content.decode(), with_field="password")
    fields = browser.replace_field(login["fields"], "username", row["username"])
    fields = browser.replace_field(fields, "password", actors["password"])
    assert liaison.post("/accounts/login/", dict(fields)).status_code == 302
    assert liaison.get("/portal/")["Location"] == f"/portal/{row['delegation_id']}/"
    person_id = row["with_travel"][0]
    page = liaison.get(f"/portal/{row['delegation_id']}/members/{person_id}/")
    assert page.status_code == 200
    form = browser.page_form(page.content.decode(), with_field="given_name")
    data: dict[str, list[str]] = {}
    for name, value in browser.replace_field(form["fields"], "phone", "+855 12 345 678"):
        data.setdefault(name, []).append(value)
    saved = liaison.post(f"/portal/{row['delegation_id']}/members/{person_id}/", data)
    assert saved.status_code == 302 and saved["Location"] == f"/portal/{row['delegation_id']}/members/"
    assert Person.objects.get(pk=person_id).phone == "+855 12 345 678"

    # Staff: the password, then the code from the key the setup wrote; the admin opens.
    staff, row = Client(), actors["staff"][1]
    assert staff.post("/admin/login/?next=/admin/", {"username": row["username"], "password": actors["password"]})[
        "Location"
    ].startswith("/admin/")
    assert "/accounts/second-factor/" in staff.get("/admin/")["Location"]
    verified = staff.post("/accounts/second-factor/?next=/admin/", {"token": browser.totp(row["totp_key_hex"])})
    assert verified.status_code == 302 and verified["Location"] == "/admin/"
    assert staff.get("/admin/timeline/").status_code == 200

    # Preparing again (the deployment script runs the load test repeatedly): the old tokens stop working.
    actors_module.prepare(stations=1, checkpoints=0, liaisons=1, staff=0)
    assert station.get("/api/v1/feed/?cursor=0").status_code == 401
