"""One walk of one URL pattern: every client, every method of the route, and the four checks.

- no server error (5xx) for any request;
- every status as the route's Access says;
- no passport number or birth date of the world in any body a client may not see (MAY_SEE_SENSITIVE);
- no write by any request but the route's writers' POSTs: every table's checksum is the same after the walk
  (when it is not, the walk is run again request by request, to name the one that wrote).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict
from django.urls import reverse

from tests.security.probes import body_text, changed_tables, leaked, table_checksums
from tests.security.routes import (
    ANONYMOUS,
    API_CLIENTS,
    LIAISON_A,
    LIAISONS,
    MAY_SEE_SENSITIVE,
    STAFF,
    WEB_CLIENTS,
    Access,
    Route,
    Status,
)
from tests.security.world import World


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    status: int
    location: str
    text: str


def expected(access: Access, client: str, method: str) -> Status:
    if method in access.exceptions.get(client, {}):
        return access.exceptions[client][method]
    if client in access.allowed:
        return access.ok.get(method, 405)
    if access.kind == "api":
        return 401 if not client.startswith("token:") else 403
    if client == ANONYMOUS:
        return 302
    if access.kind == "admin":
        return 302 if client in LIAISONS else 403
    if access.kind == "portal":
        return 404
    raise AssertionError(f"{client} is refused on a {access.kind} route without a status for it")


def sign_in_url(access: Access) -> str:
    return reverse("admin:login") if access.kind == "admin" else reverse("login")


def send(client: Any, method: str, url: str, route: Route, world: World) -> Sent:
    body = route.body(world) if route.body and method != "get" else None
    if route.json:
        response = getattr(client, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"suite-{method}-{url}")
    elif method == "get":
        response = client.get(url)
    else:
        response = getattr(client, method)(url, body or {})
    return Sent(method=method, url=url, status=response.status_code,
                location=response.get("Location", ""), text=body_text(response))  # fmt: skip


def requests_of(route: Route) -> list[tuple[str, str]]:
    names = API_CLIENTS if route.access.kind == "api" else WEB_CLIENTS
    return [
        (name, method) for name in names for method in route.methods if method == "get" or name not in route.writers
    ]


def walk(
    key: str, route: Route, clients: dict[str, Any], world: World, before: dict[str, str] | None = None
) -> list[str]:
    """The problems found on one pattern, each a line naming the client, method, URL and what is wrong.

    `before`: the tables' checksums as every test of the module starts (each test's savepoint is rolled back, so
    they are the same for all); without it they are taken here."""
    url = route.build(world)
    problems: list[str] = []
    with transaction.atomic():
        before = before or table_checksums()
        for name, method in requests_of(route):
            sent = send(clients[name], method, url, route, world)
            problems += judge(key, route, name, sent, world)
        after = table_checksums()
        transaction.set_rollback(True)
    if before != after:
        problems += name_the_writer(key, route, clients, world, url)
    return problems


def judge(key: str, route: Route, name: str, sent: Sent, world: World) -> list[str]:
    where = f"{key}: {name} {sent.method.upper()} {sent.url}"
    problems = []
    if sent.status >= 500:
        problems.append(f"{where} → {sent.status}, a server error")
    want = expected(route.access, name, sent.method)
    if sent.status not in (want if isinstance(want, tuple) else (want,)):
        problems.append(f"{where} → {sent.status}, expected {want}")
    elif (
        want == 302
        and name == ANONYMOUS
        and route.access.kind in ("admin", "portal", "signed_in")
        and sent.method not in route.access.exceptions.get(name, {})
    ) and not sent.location.startswith(sign_in_url(route.access)):
        problems.append(f"{where} → redirect to {sent.location}, expected the sign-in page")
    if name not in MAY_SEE_SENSITIVE:
        found = leaked(sent.text, world.needles)
        if found:
            problems.append(f"{where} → shows passport data or a birth date: {sorted(found)}")
    return problems


def name_the_writer(key: str, route: Route, clients: dict[str, Any], world: World, url: str) -> list[str]:
    problems = []
    for name, method in requests_of(route):
        with transaction.atomic():
            before = table_checksums()
            send(clients[name], method, url, route, world)
            after = table_checksums()
            transaction.set_rollback(True)
        if before != after:
            problems.append(
                f"{key}: {name} {method.upper()} {url} wrote to {changed_tables(before, after)} and may not"
            )
    return problems or [f"{key}: the tables changed during the walk, but no single request changed them"]


# --- The admin's per-model pages ------------------------------------------------------------------------------


def admin_model_route(label: str, view: str, sample: Any) -> Route:
    """The Route of one per-model admin page, from README's role table as asemplanner/roles.py writes it."""
    from django.apps import apps

    from tests.security.routes import ADMIN_EXCEPTIONS, has_perm

    app, model_name = label.split(".")
    model = apps.get_model(label)

    def perm(action: str) -> frozenset[str]:
        return frozenset(role for role in STAFF if has_perm(role, f"{app}.{action}_{model_name}"))

    viewers = perm("view") | perm("change")
    route = _admin_model_route(app, model, model_name, view, sample, perm, viewers)
    exceptions = ADMIN_EXCEPTIONS.get((label, view))
    if exceptions:
        access = route.access
        route = replace(route, access=replace(access, exceptions={**access.exceptions, **exceptions}))
    return route


def _admin_model_route(app, model, model_name, view, sample, perm, viewers) -> Route:
    if view == "redirect":
        return Route(
            lambda w: f"/admin/{app}/{model_name}/{sample(w)}/",
            Access("admin", frozenset(STAFF), {"get": 302}),
            methods=("get",),
        )
    url = {
        "changelist": lambda w: reverse(f"admin:{app}_{model_name}_changelist"),
        "add": lambda w: reverse(f"admin:{app}_{model_name}_add"),
        "change": lambda w: reverse(f"admin:{app}_{model_name}_change", args=[sample(w)]),
        "delete": lambda w: reverse(f"admin:{app}_{model_name}_delete", args=[sample(w)]),
        "history": lambda w: reverse(f"admin:{app}_{model_name}_history", args=[sample(w)]),
    }[view]

    def form_body(w: World) -> dict[str, Any]:
        instance = model._default_manager.get(pk=sample(w))
        data = model_to_dict(instance)
        return {k: ([getattr(v, "pk", v) for v in value] if isinstance(value, list) else value)
                for k, value in data.items() if value is not None and k != "id"}  # fmt: skip

    if view == "changelist":
        body = lambda w: {"action": "delete_selected", "_selected_action": [sample(w)], "post": "yes", "index": 0}  # noqa: E731
        # A role that may view the list but not delete gets the list back, or is sent back to it with "no action
        # selected" when the admin has other actions; others 403.
        return Route(url, Access("admin", viewers, {"get": 200, "post": (200, 302)}), body=body, writers=perm("delete"))
    if view == "add":
        return Route(url, Access("admin", perm("add"), {"get": 200}), body=form_body, writers=perm("add"))
    if view == "change":
        return Route(url, Access("admin", viewers, {"get": 200, "post": 403}), body=form_body, writers=perm("change"))
    if view == "delete":
        return Route(url, Access("admin", perm("delete"), {"get": 200}), body=lambda w: {"post": "yes"},
                     writers=perm("delete"))  # fmt: skip
    return Route(url, Access("admin", viewers, {"get": 200, "post": 200}), body=lambda w: {"post": "yes"})


__all__ = ["LIAISON_A", "admin_model_route", "walk"]
