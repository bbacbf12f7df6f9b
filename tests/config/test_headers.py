"""Every kind of page carries the Content-Security-Policy and the other security headers, and none has a
script the policy would block: no inline script code, no on*= handler, no javascript: URL.

The walk covers, each as the role that can see it: the admin (index and overview, a change list, a change form,
the conflicts, the custom pages — timeline, leaders, task board, scheduling, precedence, postponement), the
liaison portal (with a form's error summary), the inbox, the sign-in and password pages, and the API docs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from delegations.models import Delegation, Person
from events.models import Conflict, Event
from tests.config.html_checks import directives, inline_script_problems
from tests.factories import DelegationFactory, UserFactory
from tests.signin import sign_in

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def page_list(seeded) -> list[tuple[str | None, str, str]]:
    """(username or None for anonymous, URL, what it is)."""
    summit = Event.objects.get(acronym="ASEM13")
    france = Delegation.objects.get(partner__code="FRA", event=summit)
    member = Person.objects.filter(delegation=france).order_by("pk").first()
    assert member is not None
    conflict = Conflict.objects.order_by("pk").first()
    staff = [
        ("admin", reverse("admin:index"), "admin index and overview"),
        ("admin", reverse("admin:delegations_person_changelist"), "a change list"),
        ("accreditation", reverse("admin:delegations_person_change", args=[member.pk]), "a change form"),
        ("admin", reverse("admin:events_session_add"), "an add form"),
        ("admin", reverse("admin:events_conflict_changelist"), "conflicts"),
        ("admin", reverse("admin:timeline") + "?day=2020-11-16", "timeline"),
        ("admin", reverse("admin:timeline_leaders"), "leaders' days"),
        ("protocol", reverse("admin:taskboard"), "task board"),
        ("admin", reverse("admin:scheduling"), "scheduling"),
        ("admin", reverse("admin:scheduling_event", args=[summit.pk]), "scheduling of one event"),
        ("protocol", reverse("admin:protocol_precedence", args=[summit.pk]), "precedence"),
        ("admin", reverse("admin:events_postpone"), "postponement"),
    ]
    if conflict is not None:
        staff.append(("admin", reverse("admin:events_conflict_change", args=[conflict.pk]), "a conflict"))
    liaison = [
        ("liaison-fra", reverse("portal:dashboard", args=[france.pk]), "portal dashboard"),
        ("liaison-fra", reverse("portal:members", args=[france.pk]), "portal members"),
        ("liaison-fra", reverse("portal:member_edit", args=[france.pk, member.pk]), "portal member form"),
        ("liaison-fra", reverse("portal:bilaterals", args=[france.pk]), "portal bilaterals"),
        ("liaison-fra", reverse("portal:programme", args=[france.pk]), "portal programme"),
        ("liaison-fra", reverse("portal:import_upload", args=[france.pk]), "portal import"),
        ("liaison-fra", reverse("reminders:inbox"), "inbox"),
        ("liaison-fra", reverse("password_change"), "password change"),
    ]
    anonymous = [
        (None, reverse("login"), "sign in"),
        (None, reverse("password_reset"), "password reset"),
        (None, "/api/docs/", "API docs"),
    ]
    return staff + liaison + anonymous


def test_every_kind_of_page_has_the_policy_and_no_inline_script(client, seeded):
    users = {user.username: user for user in get_user_model().objects.all()}
    pages = page_list(seeded)
    failures = []
    external_scripts = 0
    for username, url, what in pages:
        client.logout()
        if username:
            sign_in(client, users[username])
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"{what} {url}: status {response.status_code}")
            continue
        failures += [f"{what} {url}: {name} is {response.get(name)!r}" for name, value in SECURITY_HEADERS.items()
                     if response.get(name) != value]  # fmt: skip
        policy = directives(response.get("Content-Security-Policy", ""))
        scripts = policy.get("script-src") or policy.get("default-src") or []
        if scripts != ["'self'"]:
            failures.append(f"{what} {url}: script-src is {scripts}")
        if policy.get("frame-ancestors") != ["'none'"] or policy.get("object-src") != ["'none'"]:
            failures.append(f"{what} {url}: frame-ancestors/object-src are {policy}")
        problems, count = inline_script_problems(response.content.decode())
        external_scripts += count
        failures += [f"{what} {url}: {problem}" for problem in problems]
    assert failures == []
    assert external_scripts >= len(pages) // 2  # the pages do use scripts: all of them from files


def test_a_form_with_errors_focuses_its_summary_from_a_file(client, db):
    france = DelegationFactory()
    liaison = UserFactory(username="liaison-fra", roles=["liaison"])
    france.liaisons.add(liaison)
    sign_in(client, liaison)
    response = client.post(reverse("portal:member_add", args=[france.pk]), {"given_name": ""})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="error-summary"' in html
    assert inline_script_problems(html) == ([], 1)
    assert "/static/portal/error-summary.js" in html
    assert "unsafe-inline" not in directives(response["Content-Security-Policy"])["script-src"]


def test_the_api_docs_start_up_script_is_a_file_of_javascript(client, db):
    page = client.get("/api/docs/").content.decode()
    problems, scripts = inline_script_problems(page)
    assert problems == [] and scripts == 3  # Swagger UI's bundle, its preset, and our start-up script
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()  # no badge from Swagger's online validator


def test_json_responses_of_the_api_carry_the_headers_too(client, db):
    response = client.get("/api/v1/badges/")
    assert response.status_code == 401
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        pytest.param("<script>alert(1)</script>", "<script>alert(1)", id="inline_script"),
        pytest.param('<script type="module">go()</script>', "<script type=module>go()", id="inline_module"),
        pytest.param('<button onclick="go()">x</button>', "<button onclick='go()'>", id="handler"),
        pytest.param('<img src=x ONERROR="go()">', "<img onerror='go()'>", id="handler_upper_case"),
        pytest.param('<a href=" javascript:go()">x</a>', "<a href=' javascript:go()'>", id="javascript_url"),
    ],
)
def test_the_checker_finds_what_the_policy_blocks(html, problem):
    assert inline_script_problems(html) == ([problem], 0)


@pytest.mark.parametrize(
    "html",
    [
        pytest.param('<script id="d" type="application/json">{"a": 1}</script>', id="json_script"),
        pytest.param('<script src="/static/x.js"></script>', id="external"),
        pytest.param("<script>  </script>", id="empty"),
        pytest.param('<p data-onclick="x">online</p>', id="data_attribute_is_not_a_handler"),
    ],
)
def test_the_checker_lets_through_what_the_policy_allows(html):
    assert inline_script_problems(html)[0] == []
