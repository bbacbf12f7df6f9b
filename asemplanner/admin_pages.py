"""What the planner's own admin pages (timeline, scheduling, disruptions, flights, the operations board, …) share:
their views run as the admin site's own views, and check the model permission their work needs."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib.admin import AdminSite
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def site_pages(site: AdminSite) -> Callable[[View], View]:
    """A wrapper for views `view(request, …, site=site)`: the site's `admin_view` (signed-in staff past the second
    factor, else the admin login; never cached), with the site passed in for its context and URL names."""

    def wrap(view: View) -> View:
        return site.admin_view(partial(view, site=site))

    return wrap


def user_with(request: HttpRequest, permission: str) -> User:
    """The signed-in user, if they hold `permission` (an anonymous visitor holds none); else 403."""
    user = request.user
    if not (user.is_authenticated and user.has_perm(permission)):
        raise PermissionDenied
    return user
