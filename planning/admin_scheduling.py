"""Automatic bilateral scheduling in the admin: start a run (plan or re-plan), watch its progress, preview the
proposal with what could not be placed and why, publish it. "Place now (short notice)" on an accepted request
starts a short-notice run for that meeting alone (published meetings stay unless staff allow moves); it is
followed and published on the same page.

Viewing needs `protocol.view_bilateralmeeting`; starting and publishing need `protocol.change_bilateralmeeting`.
The work is `planning/domain/bilateral_plans.py`; the solving happens in a Celery worker.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from asemplanner.admin_pages import site_pages, user_with
from events.models import Event, Room
from planning.domain.bilateral_plans import OPEN_RUNS, scheduling_run_publish, scheduling_run_start
from planning.domain.short_notice import short_notice_publish, short_notice_start
from protocol.models import BilateralMeeting, SchedulingRun

VIEW, CHANGE = "protocol.view_bilateralmeeting", "protocol.change_bilateralmeeting"


def scheduling_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [
        path("scheduling/", wrap(events_view), name="scheduling"),
        path("scheduling/<int:event_pk>/", wrap(event_view), name="scheduling_event"),
        path("scheduling/<int:event_pk>/start/", wrap(require_POST(start_view)), name="scheduling_start"),
        path("scheduling/run/<int:run_pk>/publish/", wrap(require_POST(publish_view)), name="scheduling_publish"),
        path(
            "scheduling/<int:event_pk>/short-notice/",
            wrap(require_POST(short_notice_view)),
            name="scheduling_short_notice",
        ),
    ]


def events_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    user_with(request, VIEW)
    events = Event.objects.annotate(
        n_accepted=Count("bilaterals", filter=Q(bilaterals__status=BilateralMeeting.Status.ACCEPTED)),
        n_scheduled=Count("bilaterals", filter=Q(bilaterals__status=BilateralMeeting.Status.SCHEDULED)),
    ).order_by("start_date", "acronym")
    return TemplateResponse(
        request,
        "admin/protocol/scheduling_events.html",
        {**site.each_context(request), "title": _("Bilateral scheduling"), "events": events},
    )


def event_view(request: HttpRequest, event_pk: int, *, site: AdminSite) -> HttpResponse:
    user_with(request, VIEW)
    event = get_object_or_404(Event, pk=event_pk)
    runs = list(SchedulingRun.objects.filter(event=event).select_related("requested_by", "published_by")[:10])
    latest = runs[0] if runs else None
    counts = dict(BilateralMeeting.objects.filter(event=event).values_list("status").annotate(n=Count("pk")).order_by())
    context = {
        **site.each_context(request),
        "title": _("Bilateral scheduling — %(event)s") % {"event": event},
        "event": event,
        "runs": runs,
        "latest": latest,
        "counts": {label: counts.get(value, 0) for value, label in BilateralMeeting.Status.choices},
        "can_change": request.user.has_perm(CHANGE),
        "running": latest is not None and latest.status in OPEN_RUNS,
        "kinds": SchedulingRun.Kind.choices,
        "accepted": BilateralMeeting.objects.filter(event=event, status=BilateralMeeting.Status.ACCEPTED)
        .select_related("requester__partner", "counterpart__partner")
        .order_by("-priority", "pk"),
    }
    if latest is not None and latest.only:
        context["latest_scope"] = list(
            BilateralMeeting.objects.filter(pk__in=latest.only).select_related(
                "requester__partner", "counterpart__partner"
            )
        )
    if latest is not None and latest.status in (SchedulingRun.Status.READY, SchedulingRun.Status.PUBLISHED):
        context |= _preview(latest)
    return TemplateResponse(request, "admin/protocol/scheduling_event.html", context)


def _preview(run: SchedulingRun) -> dict:
    keys = [row["meeting"] for row in run.proposal] + [row["meeting"] for row in run.unplaced]
    meetings = {
        m.pk: m
        for m in BilateralMeeting.objects.filter(pk__in=keys).select_related(
            "requester__partner", "counterpart__partner"
        )
    }
    rooms = Room.objects.select_related("venue").in_bulk({row["room"] for row in run.proposal})
    proposal = [
        {
            **row,
            "meeting_obj": meetings.get(row["meeting"]),
            "room_obj": rooms.get(row["room"]),
            "start_dt": dt.datetime.fromisoformat(row["start"]),
            "end_dt": dt.datetime.fromisoformat(row["end"]),
        }
        for row in run.proposal
    ]
    unplaced = [{**row, "meeting_obj": meetings.get(row["meeting"])} for row in run.unplaced]
    return {"proposal": proposal, "unplaced": unplaced}


def start_view(request: HttpRequest, event_pk: int, *, site: AdminSite) -> HttpResponse:
    user = user_with(request, CHANGE)
    event = get_object_or_404(Event, pk=event_pk)
    kind = request.POST.get("kind", "")
    try:
        scheduling_run_start(event=event, kind=kind, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, _("The scheduler is working on it; this page follows its progress."))
    return HttpResponseRedirect(reverse(f"{site.name}:scheduling_event", args=[event.pk]))


def publish_view(request: HttpRequest, run_pk: int, *, site: AdminSite) -> HttpResponse:
    user = user_with(request, CHANGE)
    run = get_object_or_404(SchedulingRun, pk=run_pk)
    try:
        if run.kind == SchedulingRun.Kind.SHORT_NOTICE:
            short_notice_publish(run=run, by=user)
        else:
            scheduling_run_publish(run=run, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        placed = sum(1 for row in run.proposal if not row["unchanged"])
        messages.success(
            request,
            ngettext(
                "Published: %(count)s bilateral(s) placed or moved; both delegations' liaisons were told.",
                "Published: %(count)s bilateral(s) placed or moved; both delegations' liaisons were told.",
                placed,
            )
            % {"count": placed},
        )
    return HttpResponseRedirect(reverse(f"{site.name}:scheduling_event", args=[run.event_id]))


def short_notice_view(request: HttpRequest, event_pk: int, *, site: AdminSite) -> HttpResponse:
    """Start the short-notice placement of one accepted request of the event ("Place now (short notice)")."""
    user = user_with(request, CHANGE)
    event = get_object_or_404(Event, pk=event_pk)
    raw = request.POST.get("meeting", "")
    meeting = get_object_or_404(BilateralMeeting, pk=int(raw), event=event) if raw.isdigit() else None
    if meeting is None:
        messages.error(
            request, _("Choose the accepted bilateral to place (the meeting field was missing or not a number).")
        )
        return HttpResponseRedirect(reverse(f"{site.name}:scheduling_event", args=[event.pk]))
    allow_moves = request.POST.get("allow_moves") == "on"
    try:
        short_notice_start(meeting=meeting, allow_moves=allow_moves, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(
            request,
            (
                _(
                    "The scheduler is placing %(meeting)s (published meetings may move if that is the only way); "
                    "this page follows its progress."
                )
                if allow_moves
                else _(
                    "The scheduler is placing %(meeting)s around the published meetings; this page follows its "
                    "progress."
                )
            )
            % {"meeting": meeting},
        )
    return HttpResponseRedirect(reverse(f"{site.name}:scheduling_event", args=[event.pk]))
