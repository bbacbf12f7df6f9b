"""The table of every URL pattern: how to build its URL from the world, who may reach it, what to POST.

Every pattern of the URLconf is in exactly one place here, keyed by its name (or, for an unnamed one, its route):

- ROUTES: the named pages outside the admin's per-model pages (site, portal, inbox, API, custom admin pages);
- ADMIN_MODELS: every model registered in the admin, with the object its change, delete and history pages open.
  Its changelist, add, change, delete and history patterns (ADMIN_MODEL_VIEWS) and its unnamed
  `<path:object_id>/` redirect are covered by the model being listed;
- SKIPPED: a pattern not walked, with the reason.

`tests/security/test_coverage.py` fails, naming the pattern, when the URLconf has one that none of these list
(or when they list one that is gone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from asemplanner.roles import ROLE_MODEL_PERMISSIONS, SENSITIVE_PERMISSION, STAFF_ROLES
from tests.security.world import World

ANONYMOUS, LIAISON_A, LIAISON_B = "anonymous", "liaison_a", "liaison_b"
STAFF = tuple(STAFF_ROLES)  # admin, protocol, security, logistics, accreditation
LIAISONS = (LIAISON_A, LIAISON_B)
WEB_CLIENTS = (ANONYMOUS, LIAISON_A, LIAISON_B, *STAFF)
TOKENS = ("token:badges:read", "token:badges:print", "token:checkpoint:scan")
API_CLIENTS = (ANONYMOUS, *TOKENS, LIAISON_A, "admin")  # a session is no way into the API
# Roles that may see passport numbers and birth dates: README's role table (`delegations.view_sensitive_person`).
MAY_SEE_SENSITIVE = frozenset({"security", "accreditation"})

Build = Callable[[World], str]
Status = int | tuple[int, ...]  # one status, or the ones that are all right


@dataclass(frozen=True)
class Access:
    """What each client gets. `allowed` clients get `ok` (per method); the others get what their kind gets when
    refused: anonymous a redirect to sign-in (or 401 on the API), a liaison 404 in the portal and a redirect in the
    admin, staff 403 in the admin and 404 in the portal, a token without the scope 403."""

    kind: str  # "admin", "portal", "public", "signed_in", "api"
    allowed: frozenset[str]
    ok: dict[str, Status]  # method → status for an allowed client (a method not named: 405)
    exceptions: dict[str, dict[str, Status]] = field(default_factory=dict)  # client → method → status, before all


@dataclass(frozen=True)
class Route:
    build: Build
    access: Access
    methods: tuple[str, ...] = ("get", "post")
    body: Callable[[World], dict[str, Any]] | None = None  # what a POST (PUT, PATCH) sends
    writers: frozenset[str] = frozenset()  # clients whose POST may write: not sent
    json: bool = False  # the body goes as JSON (the API)


@dataclass(frozen=True)
class Skip:
    reason: str


def _admin(perm: str | None, *, get: int = 200, post: int = 200, post_only: bool = False) -> Access:
    """A custom admin page needing `perm` (None: any staff). POST-only views answer GET with 405 once the admin
    has let staff in (require_POST runs inside admin_view, before the view's own permission check)."""
    allowed = frozenset(STAFF if perm is None else (role for role in STAFF if has_perm(role, perm)))
    exceptions = {role: {"get": 405} for role in STAFF} if post_only else {}
    return Access("admin", allowed, {"get": get, "post": post}, exceptions)


def _portal(get: int = 200, post: int = 405, *, post_only: bool = False) -> Access:
    """Liaison A's pages; a page without a form answers POST with 405 (after the access check: B gets 404)."""
    return Access(
        "portal", frozenset({LIAISON_A}), {"get": 405 if post_only else get, "post": 200 if post_only else post}
    )


def _api(scope: str, **ok: int) -> Access:
    return Access("api", frozenset({f"token:{scope}"}), ok)


def has_perm(role: str, perm: str) -> bool:
    """What README's role table, as written in asemplanner/roles.py, grants: "events.view_session" etc."""
    if perm == SENSITIVE_PERMISSION:
        return role in ("security", "accreditation")
    app, codename = perm.split(".")
    action, model = codename.split("_", 1)
    letters = ROLE_MODEL_PERMISSIONS[role].get(f"{app}.{model}", "")
    return action[0] in letters


PUBLIC_GET = Access("public", frozenset(WEB_CLIENTS), {"get": 200, "post": 200})
PUBLIC_GET_ONLY = Access("public", frozenset(WEB_CLIENTS), {"get": 200})


def _portal_url(name: str, *keys: str) -> Build:
    def build(w: World) -> str:
        values = {
            "person_id": w.person_a,
            "accreditation_id": w.accreditation_a_requested,
            "bilateral_id": w.bilateral_a,
            "import_id": w.import_a,
            "kind": "csv",
        }
        return reverse(f"portal:{name}", kwargs={"delegation_id": w.delegation_a, **{k: values[k] for k in keys}})

    return build


def _forum_participant(w: World) -> int:
    """France's first participant in the business forum (the seed's)."""
    return _first("matchmaking.Participant", delegation_id=w.delegation_a)


def _forum_url(name: str, *, other: bool = False) -> Build:
    def build(w: World) -> str:
        kwargs = {"delegation_id": w.delegation_a, "participant_id": _forum_participant(w)}
        if other:
            kwargs["other_id"] = _first("matchmaking.Participant", delegation__partner__code="DEU")
        return reverse(f"portal:{name}", kwargs=kwargs)

    return build


def _forum_request_url(name: str, *, incoming: bool) -> Build:
    def build(w: World) -> str:
        side = "receiver" if incoming else "sender"
        pk = _first("matchmaking.MeetingRequest", **{f"{side}__delegation_id": w.delegation_a, "status": "requested"})
        return reverse(f"portal:{name}", kwargs={"delegation_id": w.delegation_a, "request_id": pk})

    return build


def _person_body(w: World) -> dict[str, Any]:
    return {
        "honorific": "Mr",
        "given_name": "Intruder",
        "family_name": "Written",
        "function": "Adviser",
        "rank": "90",
        "category": "delegate",
        "nationality": "FRA",
        "passport_number": "ZZ0000001",
        "passport_expiry": "2035-01-01",
        "date_of_birth": "1970-01-01",
    }


def _token(scope: str) -> str:
    return f"token:{scope}"


def _badge(path: str) -> Build:
    return lambda w: f"/api/v1/badges/{w.badge_number}/{path}"


FORUM_VIEW, FORUM_CHANGE = "matchmaking.view_meetingrequest", "matchmaking.change_meetingrequest"


def _forum(w: World) -> int:
    return _first("events.Event", acronym="AEBF")


DISRUPTION_VIEW, DISRUPTION_CHANGE = "planning.view_disruption", "planning.change_disruption"
OUTAGE_VIEW, OUTAGE_CHANGE = "events.view_roomoutage", "events.change_roomoutage"
READ = "badges:read"
PRINT = "badges:print"
SCAN = "checkpoint:scan"
API_WRITE = ("post", "put", "patch", "delete")

ROUTES: dict[str, Route] = {
    # --- The site: home, accounts, invitations ---------------------------------------------------------------
    "home": Route(lambda w: "/", Access("public", frozenset(WEB_CLIENTS), {"get": 302, "post": 302})),
    "login": Route(
        lambda w: reverse("login"),
        PUBLIC_GET,
        body=lambda w: {"username": "liaison-fra", "password": "not-the-password"},
    ),
    "logout": Route(
        lambda w: reverse("logout"),
        Access("public", frozenset(WEB_CLIENTS), {"get": 405, "post": 302}),
        methods=("get",),  # signing out is everyone's right; the portal tests cover it
    ),
    "password_change": Route(
        lambda w: reverse("password_change"),
        Access("signed_in", frozenset((*LIAISONS, *STAFF)), {"get": 200, "post": 200}),
        body=lambda w: {
            "old_password": "wrong",
            "new_password1": "Xy7!long-enough",
            "new_password2": "Xy7!long-enough",
        },
    ),
    "password_change_done": Route(
        lambda w: reverse("password_change_done"),
        Access("signed_in", frozenset((*LIAISONS, *STAFF)), {"get": 200}),
    ),
    "password_reset": Route(
        lambda w: reverse("password_reset"),
        Access("public", frozenset(WEB_CLIENTS), {"get": 200, "post": 302}),
        body=lambda w: {"email": "liaison-fra@asem13.example"},
    ),
    "password_reset_done": Route(lambda w: reverse("password_reset_done"), PUBLIC_GET_ONLY),
    "password_reset_confirm": Route(
        lambda w: reverse("password_reset_confirm", args=["MQ", "bogus-token"]),
        PUBLIC_GET,
        body=lambda w: {"new_password1": "Xy7!long-enough", "new_password2": "Xy7!long-enough"},
    ),
    "password_reset_complete": Route(lambda w: reverse("password_reset_complete"), PUBLIC_GET_ONLY),
    "accept_invitation": Route(
        lambda w: reverse("accept_invitation", args=["not-a-real-invitation-token"]),
        Access("public", frozenset(WEB_CLIENTS), {"get": 404, "post": 404}),
        body=lambda w: {"password1": "Xy7!long-enough", "password2": "Xy7!long-enough"},
    ),
    # --- The language switch: anyone may choose (a visitor's choice goes in a cookie, a user's with the account)
    "choose_language": Route(
        lambda w: reverse("choose_language"),
        Access("public", frozenset(WEB_CLIENTS), {"get": 405, "post": 302}),
        body=lambda w: {"language": "km", "next": "/"},
        writers=frozenset(WEB_CLIENTS),
    ),
    # --- The liaison's inbox ------------------------------------------------------------------------------------
    "reminders:inbox": Route(
        lambda w: reverse("reminders:inbox"), Access("signed_in", frozenset((*LIAISONS, *STAFF)), {"get": 200})
    ),
    "reminders:mark_read": Route(
        lambda w: reverse("reminders:mark_read"),
        Access("signed_in", frozenset((*LIAISONS, *STAFF)), {"get": 405, "post": 302}),
        writers=frozenset((*LIAISONS, *STAFF)),  # everyone marks their own notices read
    ),
    # --- The liaison portal (France is liaison A's; Cambodia's liaison B must get 404 on all of it) -----------
    "portal:home": Route(
        lambda w: reverse("portal:home"),
        # One delegation: straight to its dashboard. Staff have none: an empty list.
        Access("signed_in", frozenset((*LIAISONS, *STAFF)), {"get": 302}, {r: {"get": 200} for r in STAFF}),
        methods=("get",),
    ),
    "portal:dashboard": Route(_portal_url("dashboard"), _portal()),
    "portal:members": Route(_portal_url("members"), _portal()),
    "portal:member_add": Route(_portal_url("member_add"), _portal(), body=_person_body, writers=frozenset({LIAISON_A})),
    "portal:set_head": Route(
        _portal_url("set_head"),
        _portal(post_only=True),
        body=lambda w: {"head": w.person_a},
        writers=frozenset({LIAISON_A}),
    ),
    "portal:member_edit": Route(
        _portal_url("member_edit", "person_id"), _portal(), body=_person_body, writers=frozenset({LIAISON_A})
    ),
    "portal:member_remove": Route(_portal_url("member_remove", "person_id"), _portal(), writers=frozenset({LIAISON_A})),
    "portal:member_photo": Route(_portal_url("member_photo", "person_id"), _portal(), writers=frozenset({LIAISON_A})),
    "portal:member_photo_file": Route(_portal_url("member_photo_file", "person_id"), _portal()),
    "portal:member_travel": Route(
        _portal_url("member_travel", "person_id"),
        _portal(),
        body=lambda w: {"arrival_flight": "AF274", "departure_flight": "AF275"},
        writers=frozenset({LIAISON_A}),
    ),
    "portal:member_flight": Route(
        _portal_url("member_flight", "person_id"),
        _portal(post_only=True),
        body=lambda w: {"leg": "arrival", "status": "delayed", "at": "2020-11-15T23:00"},
        writers=frozenset({LIAISON_A}),
    ),
    "portal:member_calendar": Route(_portal_url("member_calendar", "person_id"), _portal()),
    "portal:accreditations": Route(
        _portal_url("accreditations"),
        _portal(),
        body=lambda w: {"people": [w.person_a], "event": w.side_event, "category": "delegate"},
        writers=frozenset({LIAISON_A}),
    ),
    "portal:accreditation_withdraw": Route(
        _portal_url("accreditation_withdraw", "accreditation_id"),
        _portal(post_only=True),
        writers=frozenset({LIAISON_A}),
    ),
    "portal:bilaterals": Route(_portal_url("bilaterals"), _portal()),
    "portal:bilateral_request": Route(
        _portal_url("bilateral_request"),
        _portal(),
        body=lambda w: {"counterpart": w.delegation_b, "duration": "30", "priority": "3", "subject": "Trade"},
        writers=frozenset({LIAISON_A}),
    ),
    "portal:bilateral_accept": Route(
        _portal_url("bilateral_accept", "bilateral_id"), _portal(post_only=True), writers=frozenset({LIAISON_A})
    ),
    "portal:bilateral_decline": Route(
        _portal_url("bilateral_decline", "bilateral_id"), _portal(post_only=True), writers=frozenset({LIAISON_A})
    ),
    "portal:bilateral_cancel": Route(
        _portal_url("bilateral_cancel", "bilateral_id"), _portal(post_only=True), writers=frozenset({LIAISON_A})
    ),
    "portal:programme": Route(_portal_url("programme"), _portal()),
    "portal:programme_calendar": Route(_portal_url("programme_calendar"), _portal()),
    "portal:run_of_show": Route(lambda w: _portal_url("run_of_show")(w) + "?day=2020-11-16", _portal()),
    # The business forum (issue 17): France's participant, a request sent to it (accept, decline) and one it sent.
    "portal:forum": Route(_portal_url("forum"), _portal()),
    "portal:forum_participant_add": Route(
        _portal_url("forum_participant_add"),
        _portal(),
        body=lambda w: {"kind": "company", "organisation": "Written By A Test", "active": "on"},
        writers=frozenset({LIAISON_A}),
    ),
    "portal:forum_participant": Route(
        _forum_url("forum_participant"),
        _portal(),
        body=lambda w: {"kind": "company", "organisation": "Renamed By A Test", "active": "on"},
        writers=frozenset({LIAISON_A}),
    ),
    "portal:forum_directory": Route(_forum_url("forum_directory"), _portal()),
    "portal:forum_request": Route(
        _forum_url("forum_request", other=True),
        _portal(),
        body=lambda w: {"priority": "3"},
        writers=frozenset({LIAISON_A}),
    ),
    "portal:forum_agenda": Route(_forum_url("forum_agenda"), _portal()),
    "portal:forum_agenda_pdf": Route(_forum_url("forum_agenda_pdf"), _portal()),
    "portal:forum_agenda_ics": Route(_forum_url("forum_agenda_ics"), _portal()),
    "portal:forum_agendas_pdf": Route(_portal_url("forum_agendas_pdf"), _portal()),
    "portal:forum_request_accept": Route(
        _forum_request_url("forum_request_accept", incoming=True),
        _portal(post_only=True),
        writers=frozenset({LIAISON_A}),
    ),
    "portal:forum_request_decline": Route(
        _forum_request_url("forum_request_decline", incoming=True),
        _portal(post_only=True),
        writers=frozenset({LIAISON_A}),
    ),
    "portal:forum_request_withdraw": Route(
        _forum_request_url("forum_request_withdraw", incoming=False),
        _portal(post_only=True),
        writers=frozenset({LIAISON_A}),
    ),
    "portal:import_upload": Route(_portal_url("import_upload"), _portal(), writers=frozenset({LIAISON_A})),
    "portal:import_template": Route(_portal_url("import_template", "kind"), _portal()),
    "portal:import_preview": Route(_portal_url("import_preview", "import_id"), _portal()),
    "portal:import_confirm": Route(
        _portal_url("import_confirm", "import_id"), _portal(post_only=True), writers=frozenset({LIAISON_A})
    ),
    "portal:import_discard": Route(
        _portal_url("import_discard", "import_id"), _portal(post_only=True), writers=frozenset({LIAISON_A})
    ),
    # --- The API's contract: public, like any OpenAPI document ------------------------------------------------
    "api-schema": Route(lambda w: reverse("api-schema"), PUBLIC_GET, methods=("get",)),
    "api-docs": Route(lambda w: reverse("api-docs"), PUBLIC_GET, methods=("get",)),
    # --- The print-station and checkpoint API (device tokens only) --------------------------------------------
    "badges-list": Route(lambda w: "/api/v1/badges/", _api(READ, get=200), methods=("get", *API_WRITE), json=True),
    "badges-batch-pdf": Route(
        lambda w: "/api/v1/badges/pdf",
        _api(READ, post=200),
        methods=API_WRITE,
        body=lambda w: {"badge_numbers": [w.badge_number]},
        json=True,
    ),
    "badges-export": Route(lambda w: "/api/v1/badges/export", _api(READ, get=200), json=True),
    "badges-detail": Route(_badge(""), _api(READ, get=200), methods=("get", *API_WRITE), json=True),
    "badges-photo": Route(
        lambda w: f"/api/v1/badges/{w.badge_number}/photo.jpg",
        # A gate compares the face with the photo (docs/checkpoints.md).
        Access("api", frozenset({_token(READ), _token(SCAN)}), {"get": 200}),
        json=True,
    ),
    "badges-pdf": Route(_badge("pdf"), _api(READ, get=200), json=True),
    "badges-prints": Route(
        _badge("prints"),
        _api(PRINT),
        methods=API_WRITE,
        body=lambda w: {"version": w.badge_version, "printed_at": "2020-11-14T09:00:00+07:00"},
        writers=frozenset({_token(PRINT)}),
        json=True,
    ),
    "badges-reprint": Route(
        _badge("reprint"), _api(PRINT), methods=API_WRITE, writers=frozenset({_token(PRINT)}), json=True
    ),
    "feed": Route(lambda w: "/api/v1/feed/", _api(READ, get=200), methods=("get", *API_WRITE), json=True),
    "verify": Route(
        lambda w: "/api/v1/verify",
        _api(READ, post=200),
        methods=("get", *API_WRITE),
        body=lambda w: {"payload": "ASEM13:forged"},
        json=True,
    ),
    "checkpoint-scans": Route(
        lambda w: "/api/v1/checkpoint/scans",
        _api(SCAN),
        methods=("get", *API_WRITE),
        body=lambda w: {"payload": "ASEM13:forged"},
        writers=frozenset({_token(SCAN)}),
        json=True,
    ),
    "api/v1/^(?P<rest>.*)$": Route(
        lambda w: "/api/v1/no-such-endpoint",
        Access("api", frozenset(API_CLIENTS), dict.fromkeys(("get", *API_WRITE), 404)),
        methods=("get", *API_WRITE),
        json=True,
    ),
    # --- Custom admin pages ---------------------------------------------------------------------------------
    "admin:index": Route(lambda w: reverse("admin:index"), _admin(None), methods=("get",)),
    "admin:login": Route(
        lambda w: reverse("admin:login"),
        # Staff already signed in are sent on to the index.
        Access("public", frozenset(WEB_CLIENTS), {"get": 200, "post": 200}, {r: {"get": 302} for r in STAFF}),
        body=lambda w: {"username": "admin", "password": "not-the-password"},
    ),
    "admin:logout": Route(
        lambda w: reverse("admin:logout"),
        # Signed out already: Django's admin sends the visitor to its index (and from there to sign in).
        Access("admin", frozenset(STAFF), {"get": 405}, {c: {"get": 302} for c in (ANONYMOUS, *LIAISONS)}),
        methods=("get",),
    ),
    "admin:password_change": Route(
        lambda w: reverse("admin:password_change"),
        _admin(None),
        body=lambda w: {
            "old_password": "wrong",
            "new_password1": "Xy7!long-enough",
            "new_password2": "Xy7!long-enough",
        },
    ),
    "admin:password_change_done": Route(
        lambda w: reverse("admin:password_change_done"), _admin(None), methods=("get",)
    ),
    "admin:jsi18n": Route(lambda w: reverse("admin:jsi18n"), _admin(None), methods=("get",)),
    "admin:autocomplete": Route(
        lambda w: (
            reverse("admin:autocomplete") + "?app_label=delegations&model_name=accreditation&field_name=person&term=a"
        ),
        _admin("delegations.view_person"),  # the admin checks the view permission of the model it lists
        methods=("get",),
    ),
    "admin:view_on_site": Route(
        lambda w: reverse("admin:view_on_site", args=[1, 1]),
        _admin(None, get=404),  # no model of ours has a public URL to send to
        methods=("get",),
    ),
    "admin:app_list": Route(lambda w: reverse("admin:app_list", args=["delegations"]), _admin(None), methods=("get",)),
    "admin/(?P<url>.*)$": Route(lambda w: "/admin/no-such-page/", _admin(None, get=404, post=404)),
    "admin:timeline": Route(lambda w: reverse("admin:timeline"), _admin("events.view_session"), methods=("get",)),
    "admin:timeline_leaders": Route(
        lambda w: reverse("admin:timeline_leaders"), _admin("events.view_session"), methods=("get",)
    ),
    "admin:timeline_leader": Route(
        lambda w: reverse("admin:timeline_leader", args=[w.person_a]), _admin("events.view_session"), methods=("get",)
    ),
    "admin:protocol_precedence": Route(
        lambda w: reverse("admin:protocol_precedence", args=[w.summit]), _admin("delegations.view_delegation")
    ),
    "admin:protocol_seating_pdf": Route(
        lambda w: reverse("admin:protocol_seating_pdf", args=[w.summit]),
        _admin("delegations.view_delegation"),
        methods=("get",),
    ),
    "admin:taskboard": Route(lambda w: reverse("admin:taskboard"), _admin("protocol.view_protocoltask")),
    "admin:taskboard_status": Route(
        lambda w: reverse("admin:taskboard_status", args=[w.task]),
        _admin("protocol.change_protocoltask", post_only=True, post=302),
        body=lambda w: {"status": "done"},
        writers=frozenset(role for role in STAFF if has_perm(role, "protocol.change_protocoltask")),
    ),
    "admin:taskboard_generate": Route(
        lambda w: reverse("admin:taskboard_generate"),
        _admin("protocol.change_protocoltask", post_only=True, post=302),
        writers=frozenset(role for role in STAFF if has_perm(role, "protocol.change_protocoltask")),
    ),
    "admin:scheduling": Route(
        lambda w: reverse("admin:scheduling"), _admin("protocol.view_bilateralmeeting"), methods=("get",)
    ),
    "admin:scheduling_event": Route(
        lambda w: reverse("admin:scheduling_event", args=[w.summit]),
        _admin("protocol.view_bilateralmeeting"),
        methods=("get",),
    ),
    "admin:scheduling_start": Route(
        lambda w: reverse("admin:scheduling_start", args=[w.summit]),
        _admin("protocol.change_bilateralmeeting", post_only=True, post=302),
        body=lambda w: {"kind": "plan"},
        writers=frozenset(role for role in STAFF if has_perm(role, "protocol.change_bilateralmeeting")),
    ),
    "admin:scheduling_publish": Route(
        lambda w: reverse("admin:scheduling_publish", args=[w.scheduling_run]),
        _admin("protocol.change_bilateralmeeting", post_only=True, post=302),
        writers=frozenset(role for role in STAFF if has_perm(role, "protocol.change_bilateralmeeting")),
    ),
    "admin:scheduling_short_notice": Route(
        lambda w: reverse("admin:scheduling_short_notice", args=[w.summit]),
        _admin("protocol.change_bilateralmeeting", post_only=True, post=302),
        body=lambda w: {"meeting": str(w.bilateral_a), "allow_moves": "on"},
        writers=frozenset(role for role in STAFF if has_perm(role, "protocol.change_bilateralmeeting")),
    ),
    "admin:forum": Route(lambda w: reverse("admin:forum"), _admin(FORUM_VIEW), methods=("get",)),
    "admin:forum_event": Route(
        lambda w: reverse("admin:forum_event", args=[_forum(w)]), _admin(FORUM_VIEW), methods=("get",)
    ),
    "admin:forum_slots": Route(
        lambda w: reverse("admin:forum_slots", args=[_forum(w)]),
        _admin("matchmaking.add_forumslot", post_only=True, post=200),
        body=lambda w: {"day": "", "first": ""},  # refused on its fields: the page again, nothing written
        writers=frozenset(role for role in STAFF if has_perm(role, "matchmaking.add_forumslot")),
    ),
    "admin:forum_import": Route(
        lambda w: reverse("admin:forum_import", args=[_forum(w)]),
        _admin(FORUM_VIEW, post_only=True, post=200),
        body=lambda w: {"what": "participants"},  # no file: the page again with the error, nothing written
        writers=frozenset(role for role in STAFF if has_perm(role, "matchmaking.add_participant")),
    ),
    "admin:forum_plan": Route(
        lambda w: reverse("admin:forum_plan", args=[_forum(w)]),
        _admin(FORUM_CHANGE, post_only=True, post=302),
        writers=frozenset(role for role in STAFF if has_perm(role, FORUM_CHANGE)),
    ),
    "admin:forum_publish": Route(
        lambda w: reverse("admin:forum_publish", args=[_first("matchmaking.ForumRun")]),
        _admin(FORUM_CHANGE, post_only=True, post=302),
        writers=frozenset(role for role in STAFF if has_perm(role, FORUM_CHANGE)),
    ),
    "admin:disruptions": Route(lambda w: reverse("admin:disruptions"), _admin(DISRUPTION_VIEW), methods=("get",)),
    "admin:disruption_detail": Route(
        lambda w: reverse("admin:disruption_detail", args=[_first("planning.Disruption")]),
        _admin(DISRUPTION_VIEW),
        methods=("get",),
    ),
    "admin:disruption_status": Route(
        lambda w: reverse("admin:disruption_status", args=[_first("planning.Disruption")]),
        _admin(DISRUPTION_VIEW),
        methods=("get",),
    ),
    **{
        f"admin:disruption_{action}": Route(
            lambda w, action=action: reverse(f"admin:disruption_{action}", args=[_first("planning.Disruption")]),
            _admin(DISRUPTION_CHANGE, post_only=True, post=302),
            body=lambda w: {"run": str(w.scheduling_run)},
            writers=frozenset(role for role in STAFF if has_perm(role, DISRUPTION_CHANGE)),
        )
        for action in ("publish", "close", "replan")
    },
    # A room out of service (issue 15): the impact page for those who see outages, accepting for those who change.
    "admin:outage_impact": Route(
        lambda w: reverse("admin:outage_impact", args=[_first("events.RoomOutage")]),
        _admin(OUTAGE_VIEW),
        methods=("get",),
    ),
    "admin:outage_accept": Route(
        lambda w: reverse("admin:outage_accept", args=[_first("events.RoomOutage")]),
        _admin(OUTAGE_CHANGE, post_only=True, post=302),
        body=lambda w: {"session": "1:2"},
        writers=frozenset(role for role in STAFF if has_perm(role, OUTAGE_CHANGE)),
    ),
    # The operations board: any staff member opens it (each section shows by the role's view permissions; the
    # page says when a role sees none); the run-of-show PDF needs the programme and the travel.
    "admin:ops": Route(lambda w: reverse("admin:ops"), _admin(None), methods=("get",)),
    "admin:ops_board": Route(lambda w: reverse("admin:ops_board") + "?day=2020-11-16", _admin(None), methods=("get",)),
    "admin:run_of_show": Route(
        lambda w: reverse("admin:run_of_show", args=[w.person_a]) + "?day=2020-11-16",
        Access(
            "admin",
            frozenset(
                r for r in STAFF if has_perm(r, "events.view_session") and has_perm(r, "delegations.view_travel")
            ),
            {"get": 200},
        ),
        methods=("get",),
    ),
    "admin:events_postpone": Route(
        lambda w: reverse("admin:events_postpone"),
        _admin("events.change_event"),
        body=lambda w: {"event": w.summit, "days": "7", "confirm": "1"},
        writers=frozenset(role for role in STAFF if has_perm(role, "events.change_event")),
    ),
    # The day's flights: security sees them; marking a flight and the airport's list need the change permission.
    "admin:badges_unprintable": Route(
        lambda w: reverse("admin:badges_unprintable"), _admin("delegations.view_accreditation"), methods=("get",)
    ),
    "admin:flights": Route(
        lambda w: reverse("admin:flights") + "?day=2020-11-15",
        Access(
            "admin",
            frozenset(role for role in STAFF if has_perm(role, "delegations.view_travel")),
            {"get": 200, "post": 302},
            {role: {"post": 403} for role in STAFF if not has_perm(role, "delegations.change_travel")},
        ),
        body=lambda w: {
            "travel": _first("delegations.Travel", person_id=w.person_a),
            "leg": "arrival",
            "status": "delayed",
            "at": "2020-11-15T23:00",
            "day": "2020-11-15",
        },
        writers=frozenset(role for role in STAFF if has_perm(role, "delegations.change_travel")),
    ),
    "admin:flights_import": Route(
        lambda w: reverse("admin:flights_import"),
        _admin("delegations.change_travel"),
        body=lambda w: {"apply": "1", "data": "Zmxp", "digest": "x"},
        writers=frozenset(role for role in STAFF if has_perm(role, "delegations.change_travel")),
    ),
    "admin:auth_user_password_change": Route(
        lambda w: reverse("admin:auth_user_password_change", args=[w.users["liaison-fra"]]),
        _admin("auth.change_user"),
        body=lambda w: {"password1": "Xy7!long-enough", "password2": "Xy7!long-enough"},
        writers=frozenset(role for role in STAFF if has_perm(role, "auth.change_user")),
    ),
    "^api/": Route(  # any unknown path under /api/ (a version that does not exist): the API's JSON 404
        lambda w: "/api/v2/badges/",
        Access("public", frozenset((*WEB_CLIENTS, *TOKENS)), {"get": 404, "post": 404}),
    ),
    "admin:delegations_delegation_withdraw_liaison": Route(
        lambda w: reverse(
            "admin:delegations_delegation_withdraw_liaison", args=[w.delegation_a, w.users["liaison-fra"]]
        ),
        _admin("delegations.add_liaisoninvitation"),
        writers=frozenset(role for role in STAFF if has_perm(role, "delegations.add_liaisoninvitation")),
    ),
    "admin:delegations_person_export": Route(
        lambda w: reverse("admin:delegations_person_export", args=[w.person_a, "json"]),
        _admin(SENSITIVE_PERMISSION),
        methods=("get",),
    ),
    "admin:delegations_person_photo": Route(
        lambda w: reverse("admin:delegations_person_photo", args=[w.person_a]),
        _admin("delegations.view_person"),
        methods=("get",),
    ),
}

# Every model registered in the admin → the object its change, delete and history pages open (a pk, from the
# world). France's objects where there are any, so the pages show what a leak would leak.
ADMIN_MODELS: dict[str, Callable[[World], Any]] = {
    "asemplanner.auditentry": lambda w: _first("asemplanner.AuditEntry", object_id=str(w.person_a)),
    "asemplanner.notification": lambda w: _first("asemplanner.Notification"),
    "auth.group": lambda w: _first("auth.Group", name="security"),
    "auth.user": lambda w: w.users["liaison-fra"],
    "badges.devicetoken": lambda w: w.token_ids["badges:print"],
    "badges.printrecord": lambda w: _first("badges.PrintRecord"),
    "badges.scanlog": lambda w: _first("badges.ScanLog"),
    "delegations.accreditation": lambda w: w.accreditation_a,
    "delegations.delegation": lambda w: w.delegation_a,
    "delegations.liaisoninvitation": lambda w: w.invitation,
    "delegations.partner": lambda w: _first("delegations.Partner", code="FRA"),
    "delegations.person": lambda w: w.person_a,
    "delegations.travel": lambda w: _first("delegations.Travel", person_id=w.person_a),
    "delegations.zonerule": lambda w: _first("delegations.ZoneRule"),
    "django_celery_beat.clockedschedule": lambda w: _first("django_celery_beat.ClockedSchedule"),
    "django_celery_beat.crontabschedule": lambda w: _first("django_celery_beat.CrontabSchedule"),
    "django_celery_beat.intervalschedule": lambda w: _first("django_celery_beat.IntervalSchedule"),
    "django_celery_beat.periodictask": lambda w: _first("django_celery_beat.PeriodicTask"),
    "django_celery_beat.solarschedule": lambda w: _first("django_celery_beat.SolarSchedule"),
    "events.conflict": lambda w: _first("events.Conflict"),
    "events.roomoutage": lambda w: _first("events.RoomOutage"),
    "events.event": lambda w: _last("events.Event"),  # a side event: its delete page lists less
    "events.room": lambda w: _first("events.Room"),
    "events.session": lambda w: _first("events.Session"),
    "events.transfertime": lambda w: _first("events.TransferTime"),
    "events.venue": lambda w: _first("events.Venue"),
    "matchmaking.forummeeting": lambda w: _first("matchmaking.ForumMeeting"),
    "matchmaking.forumrun": lambda w: _first("matchmaking.ForumRun"),
    "matchmaking.forumslot": lambda w: _first("matchmaking.ForumSlot"),
    "matchmaking.meetingrequest": lambda w: _first("matchmaking.MeetingRequest", sender__delegation_id=w.delegation_a),
    "matchmaking.meetingtable": lambda w: _first("matchmaking.MeetingTable"),
    "matchmaking.participant": lambda w: _first("matchmaking.Participant", delegation_id=w.delegation_a),
    "protocol.bilateralmeeting": lambda w: w.bilateral_a,
    "protocol.bilateralwindow": lambda w: _first("protocol.BilateralWindow", meeting_id=w.bilateral_a),
    "protocol.protocoltask": lambda w: w.task,
    "protocol.securityzone": lambda w: _first("protocol.SecurityZone", code="Z3"),
    "protocol.team": lambda w: _first("protocol.Team"),
    "reminders.deadline": lambda w: _first("reminders.Deadline"),
    "reminders.reminder": lambda w: _first("reminders.Reminder"),
    "reminders.reminderrule": lambda w: _first("reminders.ReminderRule"),
}
ADMIN_MODEL_VIEWS = ("changelist", "add", "change", "delete", "history")

# Where a model's admin grants less than the role's model permissions, on purpose: (model, view) → client →
# method → status.
NOBODY_BUT_THE_RECIPIENT = {role: {"get": 302, "post": 302} for role in STAFF}
ADMIN_EXCEPTIONS: dict[tuple[str, str], dict[str, dict[str, Status]]] = {
    # Tokens are revoked, not deleted: the print log refers to them (the delete permission gates revoking).
    ("badges.devicetoken", "delete"): {role: {"get": 403} for role in STAFF},
    # Each staff member sees only their own notices; the sample is liaison A's, so the admin answers as for a
    # notice that does not exist (a redirect to the index) — and opening one's own marks it read.
    ("asemplanner.notification", "change"): NOBODY_BUT_THE_RECIPIENT,
    ("asemplanner.notification", "history"): NOBODY_BUT_THE_RECIPIENT,
}

# The sign-in pages and the admins of django-axes and django-otp are walked by their own tests
# (tests/asemplanner/test_signin.py: enrolment, verification, lockout and unlock, signing out other sessions, who
# may see devices), which go through the second factor step by step as this matrix's pre-verified clients cannot.
_SIGNIN_TESTS = "walked step by step in tests/asemplanner/test_signin.py (the matrix's clients are pre-verified)"
SKIPPED: dict[str, Skip] = {
    **{name: Skip(_SIGNIN_TESTS) for name in
       ("account_security", "sign_out_other_sessions", "second_factor_enrol", "second_factor_verify")},
    **{
        key: Skip(f"{app}.{model}: the library's own admin (lockouts, devices); " + _SIGNIN_TESTS)
        for app, model in (("axes", "accessattempt"), ("otp_static", "staticdevice"), ("otp_totp", "totpdevice"))
        for key in (
            f"admin/{app}/{model}/<path:object_id>/",
            *(f"admin:{app}_{model}_{view}" for view in ("add", "change", "changelist", "delete", "history")),
        )
    },
}  # fmt: skip


def _first(label: str, **lookup: Any) -> int:
    from django.apps import apps

    pk = apps.get_model(label)._default_manager.filter(**lookup).order_by("pk").values_list("pk", flat=True).first()
    assert pk is not None, f"the world has no {label} {lookup}"
    return pk


def _last(label: str, **lookup: Any) -> int:
    from django.apps import apps

    pk = apps.get_model(label)._default_manager.filter(**lookup).order_by("-pk").values_list("pk", flat=True).first()
    assert pk is not None, f"the world has no {label}"
    return pk


# --- The URLconf, walked -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str  # the name with its namespace, or the route when unnamed
    route: str


def url_patterns() -> list[Pattern]:
    """Every pattern of the URLconf, depth first, with its namespaced name or its full route."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> list[Pattern]:
        found: list[Pattern] = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, (namespace, pattern.namespace))) if pattern.namespace else namespace
                found += walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                key = ":".join(filter(None, (namespace, pattern.name))) if pattern.name else route
                found.append(Pattern(key, route))
        return found

    return walk(get_resolver().url_patterns, "", "")


def admin_model_keys() -> dict[str, tuple[str, str]]:
    """Pattern key → (model label, view) for the per-model admin pages of the models in ADMIN_MODELS."""
    keys = {}
    for label in ADMIN_MODELS:
        app, model = label.split(".")
        for view in ADMIN_MODEL_VIEWS:
            keys[f"admin:{app}_{model}_{view}"] = (label, view)
        keys[f"admin/{app}/{model}/<path:object_id>/"] = (label, "redirect")
    return keys
