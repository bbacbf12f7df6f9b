"""Disruptions in the admin: a principal's moved arrival or departure, what it breaks, its re-plan, publish.

- `admin:disruptions` lists them, open ones first;
- `admin:disruption_detail` shows what changed (old → new, who reported it), the impact, the re-plan's progress
  (refreshed by planning/static/planning/disruption-poll.js from `admin:disruption_status`) and its moves;
- POST `admin:disruption_publish`, `admin:disruption_close`, `admin:disruption_replan`.

Viewing needs `planning.view_disruption` (admin, protocol, security); acting `planning.change_disruption`
(admin, protocol). The work is planning/domain/disruptions.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from asemplanner.admin_pages import site_pages, user_with
from planning.domain.bilateral_plans import OPEN_RUNS
from planning.domain.disruptions import (
    disruption_close,
    disruption_publish,
    disruption_replan,
    moved_meetings,
)
from planning.models import Disruption
from protocol.models import ProtocolTask, SchedulingRun

VIEW, CHANGE = "planning.view_disruption", "planning.change_disruption"


def disruption_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [
        path("disruptions/", wrap(require_GET(list_view)), name="disruptions"),
        path("disruptions/<int:pk>/", wrap(require_GET(detail_view)), name="disruption_detail"),
        path("disruptions/<int:pk>/status/", wrap(require_GET(status_view)), name="disruption_status"),
        path("disruptions/<int:pk>/publish/", wrap(require_POST(publish_view)), name="disruption_publish"),
        path("disruptions/<int:pk>/close/", wrap(require_POST(close_view)), name="disruption_close"),
        path("disruptions/<int:pk>/replan/", wrap(require_POST(replan_view)), name="disruption_replan"),
    ]


def _times(rows: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    """The stored ISO texts of the named keys as datetimes, for the template's date filter."""
    return [
        {**row, **{f"{name}_dt": dt.datetime.fromisoformat(row[name]) if row.get(name) else None for name in names}}
        for row in rows
    ]


def list_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    user_with(request, VIEW)
    open_first = Case(When(status=Disruption.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    disruptions = (
        Disruption.objects.select_related("event", "person__delegation__partner", "run")
        .annotate(open_first=open_first)
        .order_by("open_first", "-opened_at", "-pk")[:200]
    )
    return TemplateResponse(
        request,
        "admin/planning/disruptions.html",
        {**site.each_context(request), "title": _("Disruptions"), "disruptions": disruptions},
    )


def detail_view(request: HttpRequest, pk: int, *, site: AdminSite) -> HttpResponse:
    user_with(request, VIEW)
    disruption = get_object_or_404(
        Disruption.objects.select_related("event", "person__delegation__partner", "run", "closed_by"), pk=pk
    )
    impact = disruption.impact or {}
    run = disruption.run
    tasks = _times(impact.get("tasks", []), "was_start", "was_end", "start", "end")
    # Where the tasks are now (the generator may have moved them since the impact was computed).
    current = ProtocolTask.objects.in_bulk([row["task"] for row in tasks])
    for row in tasks:
        task = current.get(row["task"])
        row["now_start"], row["now_end"] = (task.start, task.end) if task else (None, None)
        row["moved"] = bool(row["was_start_dt"] and task and row["was_start_dt"] != task.start)
    context = {
        **site.each_context(request),
        "title": _("%(kind)s: %(person)s") % {"kind": disruption.get_kind_display(), "person": disruption.person},
        "disruption": disruption,
        "impact": impact,
        "sessions": _times(impact.get("sessions_missed", []), "start", "end"),
        "bilaterals": _times(impact.get("bilaterals", []), "start", "end"),
        "tasks": tasks,
        "replan": impact.get("replan", {}),
        "run": run,
        "running": run is not None and run.status in OPEN_RUNS,
        "moves": moved_meetings(run)
        if run is not None and run.status in (SchedulingRun.Status.READY, SchedulingRun.Status.PUBLISHED)
        else None,  # fmt: skip
        "can_change": request.user.has_perm(CHANGE) and disruption.status == Disruption.Status.OPEN,
        "is_open": disruption.status == Disruption.Status.OPEN,
    }
    return TemplateResponse(request, "admin/planning/disruption_detail.html", context)


def status_view(request: HttpRequest, pk: int, *, site: AdminSite) -> HttpResponse:
    """What the page's poll reads: the disruption's state and its run's progress (JSON)."""
    user_with(request, VIEW)
    disruption = get_object_or_404(Disruption.objects.select_related("run"), pk=pk)
    run = disruption.run
    return JsonResponse(
        {
            "disruption": disruption.status,
            "assessed": bool((disruption.impact or {}).get("assessed")),
            "replan": (disruption.impact or {}).get("replan", {}).get("state", ""),
            "run": None
            if run is None
            else {"id": run.pk, "status": run.status, "progress": run.progress, "message": run.message},
        }
    )


def _back(site: AdminSite, disruption: Disruption) -> HttpResponse:
    return HttpResponseRedirect(reverse(f"{site.name}:disruption_detail", args=[disruption.pk]))


def publish_view(request: HttpRequest, pk: int, *, site: AdminSite) -> HttpResponse:
    user = user_with(request, CHANGE)
    disruption = get_object_or_404(Disruption, pk=pk)
    seen = request.POST.get("run", "")
    run = SchedulingRun.objects.filter(pk=int(seen)).first() if seen.isdigit() else None
    try:
        disruption_publish(disruption=disruption, by=user, run=run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "Published: the moved bilaterals are in place, and each liaison of the delegations concerned got one "
                "notice listing their meetings."
            ),
        )
    return _back(site, disruption)


def close_view(request: HttpRequest, pk: int, *, site: AdminSite) -> HttpResponse:
    user = user_with(request, CHANGE)
    disruption = get_object_or_404(Disruption, pk=pk)
    try:
        disruption_close(disruption=disruption, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Closed: nothing was published; any re-plan it had stays as it was."))
    return _back(site, disruption)


def replan_view(request: HttpRequest, pk: int, *, site: AdminSite) -> HttpResponse:
    user = user_with(request, CHANGE)
    disruption = get_object_or_404(Disruption, pk=pk)
    try:
        run = disruption_replan(disruption=disruption, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if run is None:
            disruption.refresh_from_db()
            messages.warning(request, (disruption.impact or {}).get("replan", {}).get("message", _("Not started.")))
        else:
            messages.info(request, _("The scheduler is re-planning; this page follows its progress."))
    return _back(site, disruption)
