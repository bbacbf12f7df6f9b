"""Signing in: the second factor, the lockout and the session limits (asemplanner/domain/signin.py, the
middleware and portal/second_factor.py), through the pages a person uses."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from asemplanner.models import AuditEntry, UserSession
from tests.factories import UserFactory
from tests.signin import sign_in

PASSWORD = "correct-horse-battery"  # the factories' password
T0 = dt.datetime(2020, 11, 16, 9, 0, tzinfo=dt.UTC)


def code_for(device: TOTPDevice, *, later: int = 0) -> str:
    totp = TOTP(device.bin_key)
    totp.time += later
    return f"{totp.token():06d}"


def password_sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def staff(db):
    return UserFactory(username="officer", roles=["protocol"])


@pytest.fixture
def enrolled(staff):
    return TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)


# --- Second factor: enrolment ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["admin:index", "admin:events_session_changelist", "home"])
def test_staff_without_a_device_are_sent_to_enrol_before_any_page(client, staff, url):
    client.force_login(staff)
    response = client.get(reverse(url))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_enrol") + "?next=")


def test_enrolment_shows_a_server_made_qr_and_confirms_with_a_code(client, staff):
    client.force_login(staff)
    page = client.get(reverse("second_factor_enrol"))
    html = page.content.decode()
    assert "<svg" in html and "<script" not in html and "cdn" not in html.lower()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    secret = page.context["secret"]
    assert len(secret) == 32 and secret.isalnum()
    key_before = client.session.session_key

    wrong = client.post(reverse("second_factor_enrol"), {"token": "000000" if code_for(device) != "000000" else "1"})
    assert wrong.status_code == 200
    assert "not the one your app shows now" in " ".join(wrong.context["form"].errors["token"])
    device.refresh_from_db()
    assert not device.confirmed and not StaticDevice.objects.filter(user=staff).exists()

    done = client.post(reverse("second_factor_enrol"), {"token": code_for(device)})
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.session.session_key != key_before  # rotated on the factor change
    assert client.get(reverse("admin:index")).status_code == 200
    entry = AuditEntry.objects.get(action="auth.user.second_factor_enrolled", object_id=str(staff.pk))
    assert device.key not in str(entry.changes) and secret not in str(entry.changes)
    # Shown once: the page does not show them again.
    again = client.get(reverse("second_factor_enrol"))
    assert again.status_code == 302 and not any(
        code in client.get(again["Location"]).content.decode() for code in codes
    )


@pytest.mark.parametrize(
    ("token", "message"),
    [
        pytest.param("", "Type a code", id="empty"),
        pytest.param("12345", "must be the 6 digits", id="too_short"),
        pytest.param("abcdef", "must be the 6 digits", id="letters"),
    ],
)
def test_enrolment_refuses_a_malformed_code_on_its_field(client, staff, token, message):
    client.force_login(staff)
    client.get(reverse("second_factor_enrol"))
    response = client.post(reverse("second_factor_enrol"), {"token": token})
    errors = " ".join(response.context["form"].errors["token"])
    assert message in errors or (token == "" and "required" in errors)
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists()


# --- Second factor: verification at sign-in ---------------------------------------------------------------------


def test_staff_with_a_device_enter_a_code_after_the_password(client, enrolled, staff):
    with time_machine.travel(T0, tick=False):
        assert password_sign_in(client, "officer").status_code == 302
        blocked = client.get(reverse("admin:index"))
        assert blocked["Location"].startswith(reverse("second_factor_verify"))
        wrong = client.post(reverse("second_factor_verify"), {"token": code_for(enrolled, later=300)})
        assert "is wrong, expired" in " ".join(wrong.context["form"].errors["token"])
        assert client.get(reverse("admin:index")).status_code == 302
        key_before = client.session.session_key
        ok = client.post(reverse("second_factor_verify") + "?next=/admin/", {"token": code_for(enrolled)})
        assert ok["Location"] == "/admin/"
        assert client.session.session_key != key_before
        assert client.get(reverse("admin:index")).status_code == 200

        # The same code again, in another browser: refused as used.
        other = Client()
        password_sign_in(other, "officer")
        reused = other.post(reverse("second_factor_verify"), {"token": code_for(enrolled)})
        assert "already used" in " ".join(reused.context["form"].errors["token"])
        assert other.get(reverse("admin:index")).status_code == 302


def test_an_expired_code_is_refused(client, enrolled):
    with time_machine.travel(T0, tick=False):
        old = code_for(enrolled, later=-120)  # four 30-second steps ago; one step of drift is tolerated
        password_sign_in(client, "officer")
        response = client.post(reverse("second_factor_verify"), {"token": old})
    assert "expired" in " ".join(response.context["form"].errors["token"])


def test_a_recovery_code_works_once(client, staff):
    from asemplanner.domain.signin import recovery_codes_replace

    TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    codes = recovery_codes_replace(user=staff)
    password_sign_in(client, "officer")
    ok = client.post(reverse("second_factor_verify"), {"token": codes[0].upper()})
    assert ok.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200

    replay = Client()
    password_sign_in(replay, "officer")
    refused = replay.post(reverse("second_factor_verify"), {"token": codes[0]})
    assert "was used already" in " ".join(refused.context["form"].errors["token"])
    assert StaticDevice.objects.get(user=staff).token_set.count() == 9  # nothing else changed


def test_wrong_codes_count_towards_the_lockout(client, enrolled, settings):
    settings.AXES_FAILURE_LIMIT = 3
    password_sign_in(client, "officer")
    wrong = "111111" if code_for(enrolled) != "111111" else "222222"
    for _ in range(2):
        assert client.post(reverse("second_factor_verify"), {"token": wrong}).status_code == 200
    locked = client.post(reverse("second_factor_verify"), {"token": wrong})
    assert locked.status_code == 429
    assert "Too many failed sign-ins; try again after" in locked.content.decode()
    # Locked: even the right code is refused until the cool-off passes or an admin unlocks.
    assert client.post(reverse("second_factor_verify"), {"token": code_for(enrolled)}).status_code == 429


# --- Second factor: admin reset, liaisons ----------------------------------------------------------------------


def test_an_admin_resets_a_lost_factor_and_the_user_enrols_again(client, enrolled, staff):
    victim_browser = sign_in(Client(), staff)
    assert victim_browser.get(reverse("admin:index")).status_code == 200
    admin_user = UserFactory(username="boss", roles=["admin"])
    sign_in(client, admin_user)
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [staff.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    entry = AuditEntry.objects.get(action="auth.user.second_factor_reset", object_id=str(staff.pk))
    assert entry.actor == admin_user
    # Their sessions ended: the stolen-phone holder's browser is signed out.
    assert victim_browser.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))
    password_sign_in(victim_browser, "officer")
    assert victim_browser.get(reverse("admin:index"))["Location"].startswith(reverse("second_factor_enrol"))


def test_staff_of_other_roles_cannot_reset_a_factor(client, enrolled, staff):
    sign_in(client, UserFactory(username="guard", roles=["security"]))
    client.post(
        reverse("admin:auth_user_changelist"), {"action": "reset_second_factor", "_selected_action": [staff.pk]}
    )
    assert TOTPDevice.objects.filter(user=staff).exists()


def test_a_liaison_may_enrol_and_then_needs_the_code(client, db):
    liaison = UserFactory(username="lia@example.org", roles=["liaison"])
    password_sign_in(client, "lia@example.org")
    assert client.get(reverse("account_security")).status_code == 200  # optional: no redirect
    page = client.get(reverse("account_security")).content.decode()
    assert reverse("second_factor_enrol") in page
    client.get(reverse("second_factor_enrol"))
    device = TOTPDevice.objects.get(user=liaison)
    client.post(reverse("second_factor_enrol"), {"token": code_for(device)})
    client.post(reverse("logout"))

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=60)):
        password_sign_in(client, "lia@example.org")
        assert client.get(reverse("account_security"))["Location"].startswith(reverse("second_factor_verify"))
        device.refresh_from_db()
        client.post(reverse("second_factor_verify"), {"token": code_for(device)})
        assert client.get(reverse("account_security")).status_code == 200


# --- Lockout ---------------------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_with_a_clear_page(client, staff):
    for _ in range(4):
        assert password_sign_in(client, "officer", "wrong-password").status_code == 200
    locked = password_sign_in(client, "officer", "wrong-password")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert re.search(r"Too many failed sign-ins; try again after \d\d:\d\d", html)
    assert "ask an admin" in html
    # The right password does not get in while locked.
    assert password_sign_in(client, "officer").status_code == 429
    entries = AuditEntry.objects.filter(action="auth.user.locked_out", object_id=str(staff.pk))
    assert entries.count() == 1
    # An admin unlocks by deleting the lockout in the admin.
    admin_client = sign_in(Client(), UserFactory(username="boss", roles=["admin"]))
    attempts = AccessAttempt.objects.all()
    assert attempts.exists()
    admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    assert password_sign_in(client, "officer").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, staff, settings):
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            password_sign_in(client, "officer", "wrong-password")
        assert password_sign_in(client, "officer").status_code == 429
    with time_machine.travel(T0 + settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1), tick=False):
        assert password_sign_in(client, "officer").status_code == 302


def test_wrong_passwords_for_an_unknown_account_get_the_same_answer(client, staff):
    known = password_sign_in(client, "officer", "wrong-password")
    unknown = password_sign_in(client, "nobody-here", "wrong-password")
    assert known.status_code == unknown.status_code == 200
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|value="(officer|nobody-here)"')
    assert strip.sub("", known.content.decode()) == strip.sub("", unknown.content.decode())


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client, staff):
    known = client.post(reverse("password_reset"), {"email": staff.email})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")


def test_wrong_reset_links_lock_the_address(client, db):
    for n in range(5):
        client.get(f"/accounts/reset/MQ/wrong-token-{n}/", follow=True)
    assert client.get("/accounts/reset/MQ/wrong-token-x/").status_code == 429


def test_wrong_invitation_links_lock_the_address(client, db):
    for n in range(4):
        assert client.get(reverse("accept_invitation", args=[f"guess-{n}"])).status_code == 404
    # The fifth wrong link is answered with the lockout, and so is every link after it.
    for n in (4, 5):
        response = client.get(reverse("accept_invitation", args=[f"guess-{n}"]))
        assert response.status_code == 429
        assert "Too many failed sign-ins" in response.content.decode()


def test_wrong_device_tokens_lock_the_address_out_of_the_api(client, db):
    from badges.domain.tokens import token_create
    from tests.factories import EventFactory

    event = EventFactory()
    _token, raw = token_create(
        name="Desk 1",
        event=event,
        scopes=["badges:read"],
        expires_at=dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=1),
        by="test",
    )
    url = reverse("badges-list")
    for n in range(4):
        assert client.get(url, HTTP_AUTHORIZATION=f"Bearer wrong-{n}").status_code == 401
    client.get(url, HTTP_AUTHORIZATION="Bearer wrong-4")  # the fifth: the address is now locked out
    locked = client.get(url, HTTP_AUTHORIZATION="Bearer wrong-5")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] in {"throttled", "locked_out"}
    assert int(locked["Retry-After"]) > 0
    # The address is locked: even a good token waits (the token itself is not burnt).
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 429
    AccessAttempt.objects.all().delete()  # an admin unlocks
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


# --- Sessions --------------------------------------------------------------------------------------------------


def test_staff_are_signed_out_after_the_idle_time(client, staff, settings):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, staff)
        clock.shift(dt.timedelta(minutes=settings.PLANNER_STAFF_IDLE_MINUTES - 1))
        assert client.get(reverse("admin:index")).status_code == 200
        clock.shift(dt.timedelta(minutes=settings.PLANNER_STAFF_IDLE_MINUTES - 1))
        assert client.get(reverse("admin:index")).status_code == 200  # activity kept it alive
        clock.shift(dt.timedelta(minutes=settings.PLANNER_STAFF_IDLE_MINUTES + 1))
        response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert "_auth_user_id" not in client.session


def test_liaisons_have_a_longer_idle_time(client, db, settings):
    liaison = UserFactory(username="lia2@example.org", roles=["liaison"])
    assert settings.PLANNER_LIAISON_IDLE_MINUTES > settings.PLANNER_STAFF_IDLE_MINUTES
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, liaison)
        clock.shift(dt.timedelta(minutes=settings.PLANNER_STAFF_IDLE_MINUTES + 5))
        assert client.get(reverse("account_security")).status_code == 200
        clock.shift(dt.timedelta(minutes=settings.PLANNER_LIAISON_IDLE_MINUTES + 1))
        assert client.get(reverse("account_security")).status_code == 302


def test_sessions_end_after_the_absolute_lifetime_whatever_the_activity(client, staff, settings):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, staff)
        for _ in range(settings.PLANNER_SESSION_MAX_HOURS * 3):  # a request every 20 minutes
            clock.shift(dt.timedelta(minutes=20))
            assert client.get(reverse("admin:index")).status_code == 200
        clock.shift(dt.timedelta(minutes=20))
        response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert settings.SESSION_COOKIE_AGE == settings.PLANNER_SESSION_MAX_HOURS * 3600


def test_sign_out_other_sessions_keeps_this_one(staff):
    laptop, phone = sign_in(Client(), staff), sign_in(Client(), staff)
    assert UserSession.objects.filter(user=staff).count() == 2
    response = laptop.post(reverse("sign_out_other_sessions"))
    assert response["Location"] == reverse("account_security")
    assert laptop.get(reverse("admin:index")).status_code == 200
    assert phone.get(reverse("admin:index")).status_code == 302
    assert UserSession.objects.filter(user=staff).count() == 1
    assert AuditEntry.objects.filter(action="auth.user.sessions_ended", object_id=str(staff.pk)).exists()


def test_an_admin_signs_another_user_out_everywhere(staff):
    victim = sign_in(Client(), staff)
    boss = sign_in(Client(), UserFactory(username="boss", roles=["admin"]))
    boss.post(reverse("admin:auth_user_changelist"), {"action": "sign_out_everywhere", "_selected_action": [staff.pk]})
    assert victim.get(reverse("admin:index")).status_code == 302
    assert boss.get(reverse("admin:index")).status_code == 200


def test_the_session_key_changes_at_sign_in(client, staff):
    client.get(reverse("login"))
    before = client.cookies.get("sessionid")
    password_sign_in(client, "officer")
    assert client.session.session_key and (before is None or before.value != client.session.session_key)


def test_production_cookies_are_secure_httponly_and_same_site():
    import subprocess
    import sys

    env = {"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "planner.example", "PATH": "/usr/bin:/bin",
           # production refuses to start without the passport-data keys
           "PLANNER_FIELD_KEYS": "bm90LWEtcmVhbC1rZXktYnV0LTMyLWJ5dGVzLWxvbmc=",
           "PLANNER_DIGEST_KEY": "y" * 40}  # fmt: skip
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,"
        " s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY, s.CSRF_COOKIE_SAMESITE)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.split() == ["True", "True", "Lax", "True", "True", "Lax"]


def _post_wrong_password(base: str, username: str) -> int:
    """One browser: fetch the sign-in page for its CSRF cookie, post a wrong password; the status it got."""
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/", timeout=30).read()
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    data = urllib.parse.urlencode({"username": username, "password": "wrong", "csrfmiddlewaretoken": csrf}).encode()
    request = urllib.request.Request(f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/"})  # noqa: S310 — the live server
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# PostgreSQL only: on SQLite the test database is in memory and Django's live server shares its one connection
# between the request threads, which then collide ("cannot start a transaction within a transaction"); a real
# SQLite deployment has one connection per thread and IMMEDIATE transactions.
@pytest.mark.postgres
def test_fifty_wrong_passwords_in_parallel_lock_the_account_and_never_fail(transactional_db, live_server):
    """50 wrong passwords from 10 threads at once against the live server: all answered 200 (the form again) or
    429 (locked out), none 500, and the account ends up locked even for the right password."""
    from concurrent.futures import ThreadPoolExecutor

    UserFactory(username="target", roles=["protocol"])
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda _: _post_wrong_password(live_server.url, "target"), range(50)))
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(429) >= 40  # at most a few raced past the limit before the first lockout was stored
    client = Client()
    assert password_sign_in(client, "target").status_code == 429
    assert AuditEntry.objects.filter(action="auth.user.locked_out").count() >= 1
