"""The staff timeline pages in the admin: a day's rooms and teams, the heads of delegation, one leader's day.

The views parse the request, check access and render; the shaping is `planning/domain/timeline/`. All three
are wrapped by the admin site's `admin_view` (staff only, login redirect) and need `events.view_session`.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.admin_pages import site_pages
from asemplanner.i18n import local_date
from delegations.models import Person
from planning.domain.timeline.axis import Link
from planning.domain.timeline.day import day_timeline, default_day, timeline_events
from planning.domain.timeline.leader import leader_day, summit_leaders

PERMISSION = "events.view_session"

# Key prefix → the admin page of its model, linked only for users who may view that model.
ADMIN_PAGES = {
    "session": ("events", "session"),
    "room": ("events", "room"),
    "bilateral": ("protocol", "bilateralmeeting"),
    "task": ("protocol", "protocoltask"),
    "team": ("protocol", "team"),
    "person": ("delegations", "person"),
    "conflict": ("events", "conflict"),
}


def timeline_urls(site: AdminSite) -> list[URLPattern]:
    """The timeline URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [
        path("timeline/", wrap(day_timeline_view), name="timeline"),
        path("timeline/leaders/", wrap(leaders_view), name="timeline_leaders"),
        path("timeline/leader/<int:person_pk>/", wrap(leader_day_view), name="timeline_leader"),
    ]


def _check_access(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _admin_links(request: HttpRequest, site: AdminSite) -> Link:
    allowed: dict[str, bool] = {}

    def link(key: str) -> str:
        prefix, _sep, pk = key.partition(":")
        if prefix not in ADMIN_PAGES or not pk:
            return ""
        app, model = ADMIN_PAGES[prefix]
        if prefix not in allowed:
            allowed[prefix] = request.user.has_perm(f"{app}.view_{model}")
        if not allowed[prefix]:
            return ""
        try:
            return reverse(f"{site.name}:{app}_{model}_change", args=[pk])
        except NoReverseMatch:  # the model is not registered on this site
            return ""

    return link


def _parse_day(raw: str | None, default: dt.date) -> tuple[dt.date, str]:
    """The `?day=` value, or the default with a note saying why it was not used."""
    if not raw:
        return default, ""
    try:
        return dt.date.fromisoformat(raw.strip()), ""
    except ValueError:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        return default, _(
            "“%(value)s” is not a date. Give the day as YYYY-MM-DD, e.g. %(example)s; showing %(day)s instead."
        ) % {"value": shown, "example": default.isoformat(), "day": local_date(default, "d M Y")}


def _render(request, site, template, title, context, *, status=200) -> TemplateResponse:
    return TemplateResponse(
        request,
        template,
        {**site.each_context(request), "title": title, **context},
        status=status,
    )


def day_timeline_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    _check_access(request)
    events = timeline_events()
    day, error = _parse_day(request.GET.get("day"), default_day(events, timezone.localdate()))
    event = request.GET.get("event", "").strip()
    known = {e.acronym for e in events}
    if event and event not in known:
        error = " ".join(
            filter(None, [error, _("There is no event “%(event)s”; showing all events.") % {"event": event[:40]}])
        )
        event = ""
    timeline = day_timeline(day=day, event=event, link=_admin_links(request, site))
    return _render(
        request,
        site,
        "admin/events/timeline.html",
        _("Timeline — %(day)s") % {"day": local_date(day, "l d F Y")},
        {"timeline": timeline, "events": events, "event": event, "error": error},
        status=400 if error else 200,
    )


def leaders_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    _check_access(request)
    summit, leaders = summit_leaders(with_clashes=True)
    fallback = summit.start_date if summit else timezone.localdate()
    day, error = _parse_day(request.GET.get("day"), fallback)
    person = request.GET.get("person", "")
    if person.isdigit() and not error:  # the leader page's switcher submits here
        url = reverse(f"{site.name}:timeline_leader", args=[int(person)])
        return HttpResponseRedirect(f"{url}?day={day.isoformat()}")
    days = []
    if summit:
        days = [summit.start_date + dt.timedelta(days=n) for n in range((summit.end_date - summit.start_date).days + 1)]
    return _render(
        request,
        site,
        "admin/events/leaders.html",
        _("Leaders' days"),
        {"summit": summit, "leaders": leaders, "days": days, "day": day, "error": error},
        status=400 if error else 200,
    )


def leader_day_view(request: HttpRequest, person_pk: int, *, site: AdminSite) -> HttpResponse:
    _check_access(request)
    person = get_object_or_404(Person.objects.select_related("delegation__partner", "delegation__event"), pk=person_pk)
    summit, leaders = summit_leaders()
    fallback = summit.start_date if summit else timezone.localdate()
    day, error = _parse_day(request.GET.get("day"), fallback)
    link = _admin_links(request, site)
    plan = leader_day(person_id=person.pk, day=day, link=link)
    return _render(
        request,
        site,
        "admin/events/leader_day.html",
        _("%(person)s — %(day)s") % {"person": person, "day": local_date(day, "l d F Y")},
        {
            "plan": plan,
            "person": person,
            "person_url": link(f"person:{person.pk}"),
            "leaders": leaders,
            "summit": summit,
            "error": error,
        },
        status=400 if error else 200,
    )
