"""Postponing an event or the whole summit with its side events: impact preview, then confirm (admin pages).

One page, `admin:events_postpone`: choose the event (optionally the summit with its side events) and the shift
(a number of days or a new first day). "Preview" shows the impact (`postponement_preview`, nothing written);
"Confirm" applies it (`event_postpone`), refused while blocking problems remain. Both are POST with CSRF and
need `events.change_event`. The event list's "Postpone" action leads here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asemplanner.admin_pages import site_pages
from asemplanner.timeranges import fmt
from events.models import Event
from planning.domain.postponement import MAX_DAYS, event_postpone, postponement_preview

PERMISSION = "events.change_event"


class PostponementForm(forms.Form):
    event = forms.ModelChoiceField(
        queryset=Event.objects.exclude(status__in=[Event.Status.CANCELLED, Event.Status.HELD]).order_by(
            "start_date", "acronym"
        ),
        label=gettext_lazy("Event"),
        help_text=gettext_lazy("Cancelled and held events cannot be postponed."),
    )
    include_side_events = forms.BooleanField(
        required=False,
        label=gettext_lazy("With its side events"),
        help_text=gettext_lazy("For a summit: move it together with all its side events (cancelled ones stay)."),
    )
    days = forms.IntegerField(
        required=False,
        min_value=-MAX_DAYS,
        max_value=MAX_DAYS,
        label=gettext_lazy("Shift by days"),
    )
    start_date = forms.DateField(
        required=False,
        label=gettext_lazy("Or new first day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The event keeps its length; everything dated in it moves by the same days."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Made per form, not at import: the text is in the reader's language.
        self.fields["days"].help_text = _(
            "Positive moves later, negative earlier; not 0, at most %(max_days)s. Or give a new first day."
        ) % {"max_days": MAX_DAYS}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.errors and (data.get("days") is None) == (data.get("start_date") is None):
            raise ValidationError(_("Give either a number of days or a new first day (one of the two)."))
        return data

    def shift(self) -> dict:
        data = self.cleaned_data
        return {
            "event": data["event"],
            "days": data["days"],
            "start_date": data["start_date"] if data["days"] is None else None,
            "include_side_events": data["include_side_events"],
        }


def postponement_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [path("events/postpone/", wrap(postpone_view), name="events_postpone")]


def postpone_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    if not (request.user.is_authenticated and request.user.has_perm(PERMISSION)):
        raise PermissionDenied
    impact = None
    if request.method == "POST":
        form = PostponementForm(request.POST)
        if form.is_valid():
            shift = form.shift()
            try:
                if "confirm" in request.POST:
                    result = event_postpone(**shift, by=request.user)
                    runs = "; ".join(
                        _("%(event)s now runs %(start)s–%(end)s")
                        % {"event": e, "start": fmt(e.start_date), "end": fmt(e.end_date)}
                        for e in result.events
                    )
                    messages.success(
                        request,
                        _(
                            "Postponement done: %(runs)s; %(summary)s. Every liaison concerned gets one notice; "
                            "delegations' own travel did not move (see the conflicts)."
                        )
                        % {"runs": runs, "summary": result.summary()},
                    )
                    return HttpResponseRedirect(reverse(f"{site.name}:events_event_changelist"))
                impact = postponement_preview(**shift)
            except ValidationError as exc:
                _add_errors(form, exc)
                if "confirm" in request.POST:
                    try:  # show why it was refused, with the full impact
                        impact = postponement_preview(**shift)
                    except ValidationError:
                        impact = None
    else:
        initial = {}
        if request.GET.get("event", "").isdigit():
            initial["event"] = int(request.GET["event"])
            event = Event.objects.filter(pk=initial["event"]).first()
            initial["include_side_events"] = bool(event and event.kind == Event.Kind.SUMMIT)
        form = PostponementForm(initial=initial)
    return TemplateResponse(
        request,
        "admin/events/event/postpone.html",
        {
            **site.each_context(request),
            "title": _("Postpone an event or the summit"),
            "form": form,
            "impact": impact,
            "opts": Event._meta,
        },
    )


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
