"""A room out of service in the admin: what it hits, the relocation proposal, accept all, some or none.

- `admin:outage_impact` (GET) lists the sessions, bilaterals and tasks in the room during the outage and the
  proposal, a ticked checkbox per proposed move;
- `admin:outage_accept` (POST) moves the ticked ones (planning/domain/room_outages.py `relocations_accept`: all or
  nothing, target rooms re-checked under a lock, one notice per liaison).

Viewing needs `events.view_roomoutage` (admin, logistics, protocol, security); accepting
`events.change_roomoutage` (admin, logistics). The outage itself is added and lifted on its admin list.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from asemplanner.admin_pages import site_pages, user_with
from events.models import RoomOutage
from planning.domain.room_outages import relocation_proposal, relocations_accept

VIEW, CHANGE = "events.view_roomoutage", "events.change_roomoutage"


def outage_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [
        path("outages/<int:pk>/impact/", wrap(require_GET(impact_view)), name="outage_impact"),
        path("outages/<int:pk>/accept/", wrap(require_POST(accept_view)), name="outage_accept"),
    ]


def impact_view(request: HttpRequest, pk: int, *, site: AdminSite) -> HttpResponse:
    user_with(request, VIEW)
    outage = get_object_or_404(RoomOutage.objects.select_related("room__venue", "created_by"), pk=pk)
    proposal = relocation_proposal(outage)
    impact = proposal.impact
    context = {
        **site.each_context(request),
        "title": _("%(room)s out of service") % {"room": outage.room},
        "outage": outage,
        "impact": impact,
        "proposal": proposal,
        "can_accept": request.user.has_perm(CHANGE) and outage.is_active and proposal.placed > 0,
        "opts": RoomOutage._meta,
    }
    return TemplateResponse(request, "admin/planning/outage_impact.html", context)


def _parse(request: HttpRequest) -> tuple[dict[int, int], dict[int, tuple[int, dt.datetime]], list[str]]:
    """The ticked moves: `session` = "<session>:<room>", `bilateral` = "<meeting>:<room>:<ISO start>"."""
    sessions: dict[int, int] = {}
    bilaterals: dict[int, tuple[int, dt.datetime]] = {}
    errors = []
    for value in request.POST.getlist("session"):
        item, _sep, room = value.partition(":")
        if not (item.isdigit() and room.isdigit()):
            errors.append(
                _("“%(value)s” is not a session move (session:room); reload the page.") % {"value": value[:40]}
            )
            continue
        sessions[int(item)] = int(room)
    for value in request.POST.getlist("bilateral"):
        item, room, start = (value.split(":", 2) + ["", ""])[:3]
        try:
            when = dt.datetime.fromisoformat(start)
        except ValueError:
            when = None
        if not (item.isdigit() and room.isdigit()) or when is None or timezone.is_naive(when):
            errors.append(
                _("“%(value)s” is not a bilateral move (meeting:room:time with its zone); reload the page.")
                % {"value": value[:60]}
            )
            continue
        bilaterals[int(item)] = (int(room), when)
    return sessions, bilaterals, errors


def accept_view(request: HttpRequest, pk: int, *, site: AdminSite) -> HttpResponse:
    user = user_with(request, CHANGE)
    outage = get_object_or_404(RoomOutage.objects.select_related("room__venue"), pk=pk)
    back = HttpResponseRedirect(reverse(f"{site.name}:outage_impact", args=[outage.pk]))
    sessions, bilaterals, errors = _parse(request)
    if errors:
        messages.error(request, _("Nothing was moved: %(why)s") % {"why": " ".join(errors)})
        return back
    try:
        accepted = relocations_accept(outage=outage, session_moves=sessions, bilateral_moves=bilaterals, by=user)
    except ValidationError as exc:
        messages.error(request, _("Nothing was moved: %(why)s") % {"why": " ".join(exc.messages)})
        return back
    messages.success(
        request,
        ngettext(
            "Moved %(count)s: %(items)s. %(liaisons)s liaison(s) got one notice each listing their delegation's "
            "moved items.",
            "Moved %(count)s: %(items)s. %(liaisons)s liaison(s) got one notice each listing their delegation's "
            "moved items.",
            len(accepted.moved),
        )
        % {
            "count": len(accepted.moved),
            "items": "; ".join(accepted.moved),
            "liaisons": len(accepted.liaisons),
        },
    )
    for warning in accepted.warnings:
        messages.warning(request, _("New clash, flagged for staff: %(clash)s") % {"clash": warning})
    return back
