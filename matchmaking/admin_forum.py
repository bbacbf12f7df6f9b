"""The organiser's forum page (`admin:forum`): generate slots, import participants and requests, plan the forum,
follow the run, preview the draft and publish it.

Viewing the forum page needs `matchmaking.view_meetingrequest`; planning and publishing
`matchmaking.change_meetingrequest`; the imports the matching add permission; generating slots
`matchmaking.add_forumslot`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from asemplanner.admin_pages import site_pages, user_with
from events.models import Event
from matchmaking.domain.forum import forum_slots_generate
from matchmaking.domain.imports import ImportRefused, participants_import, requests_import
from matchmaking.domain.planning import OPEN_RUNS, forum_pairs, forum_run_publish, forum_run_start, run_is_stale
from matchmaking.models import ForumMeeting, ForumRun, ForumSlot, MeetingRequest, MeetingTable, Participant

VIEW, CHANGE = "matchmaking.view_meetingrequest", "matchmaking.change_meetingrequest"


# --- The forum page --------------------------------------------------------------------------------------------
class SlotsForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    first = forms.TimeField(label=gettext_lazy("First slot starts at"), widget=forms.TimeInput(attrs={"type": "time"}))
    minutes = forms.IntegerField(label=gettext_lazy("Minutes per slot"), min_value=5, max_value=240, initial=30)
    count = forms.IntegerField(label=gettext_lazy("Number of slots"), min_value=1, max_value=48, initial=8)
    break_start = forms.TimeField(
        label=gettext_lazy("Break from"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    break_end = forms.TimeField(
        label=gettext_lazy("Break until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )

    def clean(self):
        data = super().clean() or {}
        if bool(data.get("break_start")) != bool(data.get("break_end")):
            self.add_error("break_end", _("Give both the start and the end of the break, or neither."))
        elif data.get("break_start") and data["break_end"] <= data["break_start"]:
            self.add_error("break_end", _("The break must end after it starts."))
        return data


class ImportForm(forms.Form):
    what = forms.ChoiceField(
        label=gettext_lazy("Import"),
        choices=[("participants", gettext_lazy("Participants")), ("requests", gettext_lazy("Meeting requests"))],
    )
    file = forms.FileField(label=gettext_lazy("Spreadsheet (CSV UTF-8 or XLSX)"))


def forum_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""
    wrap = site_pages(site)
    return [
        path("forum/", wrap(forums_view), name="forum"),
        path("forum/<int:event_pk>/", wrap(forum_view), name="forum_event"),
        path("forum/<int:event_pk>/slots/", wrap(require_POST(slots_view)), name="forum_slots"),
        path("forum/<int:event_pk>/import/", wrap(require_POST(import_view)), name="forum_import"),
        path("forum/<int:event_pk>/plan/", wrap(require_POST(plan_view)), name="forum_plan"),
        path("forum/run/<int:run_pk>/publish/", wrap(require_POST(publish_view)), name="forum_publish"),
    ]


def forums_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    user_with(request, VIEW)
    events = Event.objects.annotate(
        n_participants=Count("participants", distinct=True),
        n_requests=Count("meeting_requests", distinct=True),
        n_slots=Count("forum_slots", distinct=True),
    ).order_by("start_date", "acronym")
    return TemplateResponse(
        request,
        "admin/matchmaking/forums.html",
        {**site.each_context(request), "title": _("Business forum matchmaking"), "events": events},
    )


def forum_view(request: HttpRequest, event_pk: int, *, site: AdminSite, slots_form=None, import_form=None):
    user_with(request, VIEW)
    event = get_object_or_404(Event, pk=event_pk)
    runs = list(ForumRun.objects.filter(event=event).select_related("requested_by")[:10])
    latest = runs[0] if runs else None
    statuses = dict(MeetingRequest.objects.filter(event=event).values_list("status").annotate(n=Count("pk")).order_by())
    context = {
        **site.each_context(request),
        "title": _("Business forum — %(event)s") % {"event": event},
        "event": event,
        "runs": runs,
        "latest": latest,
        # A run whose worker died stays open: once stale, the form is back (planning again marks it failed).
        "running": latest is not None and latest.status in OPEN_RUNS and not run_is_stale(latest),
        "can_change": request.user.has_perm(CHANGE),
        "counts": {label: statuses.get(value, 0) for value, label in MeetingRequest.Status.choices},
        "participants": Participant.objects.filter(event=event, active=True).count(),
        "tables": MeetingTable.objects.filter(event=event, active=True).count(),
        "slots": list(ForumSlot.objects.filter(event=event)),
        "mutual_pairs": len(forum_pairs(event, allow_one_sided=False)),
        "all_pairs": len(forum_pairs(event, allow_one_sided=True)),
        "slots_form": slots_form or SlotsForm(initial={"day": event.start_date}),
        "import_form": import_form or ImportForm(),
        "published": ForumMeeting.objects.filter(event=event, status=ForumMeeting.Status.PUBLISHED).count(),
    }
    if latest is not None and latest.status in (ForumRun.Status.READY, ForumRun.Status.PUBLISHED):
        drafts = ForumMeeting.objects.filter(run=latest).select_related("slot", "table", "first", "second")
        requests = MeetingRequest.objects.in_bulk([row["request"] for row in latest.unplaced])
        context["proposal"] = list(drafts.order_by("slot__start", "table__label"))
        context["unplaced"] = [{**row, "request_obj": requests.get(row["request"])} for row in latest.unplaced]
    return TemplateResponse(request, "admin/matchmaking/forum.html", context)


def _back(site: AdminSite, event: Event) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"{site.name}:forum_event", args=[event.pk]))


def slots_view(request: HttpRequest, event_pk: int, *, site: AdminSite) -> HttpResponse:
    user = user_with(request, "matchmaking.add_forumslot")
    event = get_object_or_404(Event, pk=event_pk)
    form = SlotsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        breaks = [(data["break_start"], data["break_end"])] if data.get("break_start") else []
        try:
            made = forum_slots_generate(
                event=event,
                day=data["day"],
                first=data["first"],
                minutes=data["minutes"],
                count=data["count"],
                breaks=breaks,
                by=user,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("%(count)s slot(s) added.") % {"count": len(made)})
            return _back(site, event)
    return forum_view(request, event_pk, site=site, slots_form=form)


def import_view(request: HttpRequest, event_pk: int, *, site: AdminSite) -> HttpResponse:
    event = get_object_or_404(Event, pk=event_pk)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        user_with(request, VIEW)
        return forum_view(request, event_pk, site=site, import_form=form)
    what = form.cleaned_data["what"]
    user = user_with(
        request, "matchmaking.add_participant" if what == "participants" else "matchmaking.add_meetingrequest"
    )
    upload = form.cleaned_data["file"]
    importer = participants_import if what == "participants" else requests_import
    try:
        result = importer(event=event, data=upload.read(), filename=upload.name, by=user)
    except ImportRefused as exc:
        form.add_error("file", str(exc))
        return forum_view(request, event_pk, site=site, import_form=form)
    if result.errors:
        form.add_error("file", _("Nothing was imported; correct these rows and upload the file again."))
        for error in result.errors[:50]:
            form.add_error("file", str(error))
        if len(result.errors) > 50:
            form.add_error("file", _("… and %(count)s more.") % {"count": len(result.errors) - 50})
        return forum_view(request, event_pk, site=site, import_form=form)
    messages.success(request, _("%(count)s row(s) imported.") % {"count": result.created})
    return _back(site, event)


def plan_view(request: HttpRequest, event_pk: int, *, site: AdminSite) -> HttpResponse:
    user = user_with(request, CHANGE)
    event = get_object_or_404(Event, pk=event_pk)
    try:
        forum_run_start(event=event, allow_one_sided=request.POST.get("allow_one_sided") == "on", by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, _("The solver is planning the forum; this page follows its progress."))
    return _back(site, event)


def publish_view(request: HttpRequest, run_pk: int, *, site: AdminSite) -> HttpResponse:
    user = user_with(request, CHANGE)
    run = get_object_or_404(ForumRun, pk=run_pk)
    try:
        forum_run_publish(run=run, by=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        count = ForumMeeting.objects.filter(run=run, status=ForumMeeting.Status.PUBLISHED).count()
        messages.success(
            request,
            _("Published: %(count)s meeting(s); the participants' liaisons were told.") % {"count": count},
        )
    return _back(site, run.event)
