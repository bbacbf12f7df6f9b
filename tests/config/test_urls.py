"""The URL table: every route is defined once, so no earlier pattern silently shadows a later one."""

from __future__ import annotations

from collections import Counter

from django.urls import URLPattern, URLResolver, get_resolver


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    routes: list[str] = []
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes.extend(_routes(entry, pattern))
        elif isinstance(entry, URLPattern):
            routes.append(pattern)
    return routes


def test_no_route_pattern_is_defined_twice():
    routes = _routes(get_resolver())
    duplicates = sorted(route for route, count in Counter(routes).items() if count > 1)
    assert duplicates == []
    # The walk really reaches the included tables (it is not vacuously empty).
    assert "accounts/login/" in routes and "accounts/password_reset/" in routes


def test_the_sign_in_and_password_change_routes_are_ours():
    from django.urls import resolve

    assert resolve("/accounts/login/").url_name == "login"
    match = resolve("/accounts/password_change/")
    assert match.func.view_initkwargs["template_name"] == "accounts/password_change_form.html"
