"""The protocol task board: one team's tasks by day, status and assignee (admin pages).

`taskboard/` needs `protocol.view_protocoltask`; changing a task's status from the board and generating
tasks from travel need `protocol.change_protocoltask` (POST, CSRF-checked, audited). The page runs a fixed
number of queries however many tasks it lists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from asemplanner.admin_pages import site_pages
from events.models import Event
from protocol.domain.protocol_tasks import task_update
from protocol.domain.task_generation import tasks_generate
from protocol.models import ProtocolTask, Team

VIEW = "protocol.view_protocoltask"
CHANGE = "protocol.change_protocoltask"
UNASSIGNED = "unassigned"
FILTERS = ("team", "day", "status", "assignee", "event")


def taskboard_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [
        path("taskboard/", wrap(taskboard_view), name="taskboard"),
        path("taskboard/<int:task_pk>/status/", wrap(require_POST(task_status_view)), name="taskboard_status"),
        path("taskboard/generate/", wrap(require_POST(generate_view)), name="taskboard_generate"),
    ]


def _board_url(site: AdminSite, back: str) -> str:
    """The board with the filters it was showing (the form's `back` query), and nothing else."""
    params = QueryDict(back)
    query = urlencode({k: params[k][:40] for k in FILTERS if params.get(k)})
    return reverse(f"{site.name}:taskboard") + (f"?{query}" if query else "")


def _filters(request: HttpRequest) -> tuple[dict[str, str], list[str]]:
    """The board's filters from the query string, each checked; a bad one is dropped with a message."""
    raw = {name: request.GET.get(name, "").strip() for name in FILTERS}
    errors = []
    if raw["team"] and raw["team"] != UNASSIGNED and not raw["team"].isdigit():
        errors.append(
            _("Team “%(value)s” is not a team: choose one from the list or “Unassigned”.") % {"value": raw["team"][:40]}
        )
        raw["team"] = ""
    if raw["day"]:
        try:
            dt.date.fromisoformat(raw["day"])
        except ValueError:
            errors.append(
                _("Day “%(value)s” is not a date: give it as YYYY-MM-DD, e.g. 2020-11-16.") % {"value": raw["day"][:40]}
            )
            raw["day"] = ""
    if raw["status"] and raw["status"] not in ProtocolTask.Status.values:
        allowed = ", ".join(ProtocolTask.Status.values)
        errors.append(
            _("Status “%(value)s” is not a task status: use one of %(allowed)s.")
            % {"value": raw["status"][:40], "allowed": allowed}
        )
        raw["status"] = ""
    invalid = {
        "assignee": _("Assignee “%(value)s” is not valid: choose one from the list."),
        "event": _("Event “%(value)s” is not valid: choose one from the list."),
    }
    for name, message in invalid.items():
        if raw[name] and not raw[name].isdigit():
            errors.append(message % {"value": raw[name][:40]})
            raw[name] = ""
    return raw, errors


def taskboard_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    params, errors = _filters(request)
    teams = list(Team.objects.order_by("kind", "name"))
    team = next((t for t in teams if str(t.pk) == params["team"]), None)
    if params["team"].isdigit() and team is None:
        errors.append(_("There is no team with id %(id)s; showing all teams.") % {"id": params["team"]})
        params["team"] = ""

    tasks = ProtocolTask.objects.select_related(
        "event", "venue", "destination", "team", "assignee", "person", "delegation__partner"
    ).order_by("start", "kind", "pk")
    if params["team"] == UNASSIGNED:
        tasks = tasks.filter(team__isnull=True)
    elif team:
        tasks = tasks.filter(team=team)
    if params["event"]:
        tasks = tasks.filter(event_id=params["event"])
    if params["status"]:
        tasks = tasks.filter(status=params["status"])
    if params["assignee"]:
        tasks = tasks.filter(assignee_id=int(params["assignee"]))  # digits: checked by _filters
    # Days are the planner's local days (Phnom Penh): a 00:30 local task belongs to that day, not the UTC one.
    scope = tasks  # before the day filter: the day links list every day of the selection
    if params["day"]:
        day = dt.date.fromisoformat(params["day"])
        start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
        tasks = tasks.filter(start__gte=start, start__lt=start + dt.timedelta(days=1))

    days: dict[dt.date, list[ProtocolTask]] = {}
    counts = dict.fromkeys(ProtocolTask.Status.values, 0)
    for task in tasks:
        days.setdefault(timezone.localdate(task.start), []).append(task)
        counts[task.status] += 1
    all_days = sorted({timezone.localdate(start) for start in scope.values_list("start", flat=True)})
    assignees = get_user_model().objects.filter(protocol_tasks__isnull=False).distinct().order_by("username")
    events = Event.objects.order_by("start_date", "acronym")

    context: dict[str, Any] = {
        **site.each_context(request),
        "title": _("Task board — %(team)s")
        % {"team": team or (_("Unassigned tasks") if params["team"] == UNASSIGNED else _("all teams"))},
        "teams": teams,
        "team": team,
        "params": params,
        "unassigned": UNASSIGNED,
        "days": sorted(days.items()),
        "all_days": all_days,
        "statuses": ProtocolTask.Status.choices,
        "counts": [(value, label, counts[value]) for value, label in ProtocolTask.Status.choices],
        "assignees": list(assignees),
        "events": list(events),
        "errors": errors,
        "can_change": request.user.has_perm(CHANGE),
        "board_query": urlencode({k: v for k, v in params.items() if v}),
        "total": sum(counts.values()),
    }
    return TemplateResponse(request, "admin/protocol/taskboard.html", context, status=400 if errors else 200)


def task_status_view(request: HttpRequest, task_pk: int, *, site: AdminSite) -> HttpResponse:
    if not (request.user.is_authenticated and request.user.has_perm(CHANGE)):
        raise PermissionDenied
    task = get_object_or_404(ProtocolTask, pk=task_pk)
    status = request.POST.get("status", "")
    back = _board_url(site, request.POST.get("back", ""))
    if status not in ProtocolTask.Status.values:
        allowed = ", ".join(str(label) for _value, label in ProtocolTask.Status.choices)
        messages.error(
            request,
            _("Status “%(value)s” is not a task status: choose one of %(allowed)s.")
            % {"value": status[:40], "allowed": allowed},
        )
        return HttpResponseRedirect(back)
    if status != task.status:
        task_update(task=task, by=request.user, status=status)
        messages.success(
            request, _("“%(task)s” is now %(status)s.") % {"task": task, "status": task.get_status_display().lower()}
        )
    return HttpResponseRedirect(back)


def generate_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    user = request.user
    if not (user.is_authenticated and user.has_perm(CHANGE) and user.has_perm("protocol.add_protocoltask")):
        raise PermissionDenied
    back = _board_url(site, request.POST.get("back", ""))
    raw = request.POST.get("generate_event", "")
    event = Event.objects.filter(pk=raw).first() if raw.isdigit() else None
    if event is None:
        messages.error(request, _("Event: choose the event whose travel the tasks should be generated from."))
        return HttpResponseRedirect(back)
    summary = tasks_generate(event=event, by=user)
    messages.success(request, _("Protocol tasks for %(event)s: %(summary)s.") % {"event": event, "summary": summary})
    return HttpResponseRedirect(back)
