"""Flights on the day (admin pages): the day's arrivals and departures with their status, marked by hand, and the
airport's list uploaded as CSV.

- `flights/` (`admin:flights`): the day's flights (`?day=YYYY-MM-DD`, today by default), one row per delegation
  party; needs `delegations.view_travel`. Marking a party landed, delayed (new time), at hotel, departed or on
  schedule again is a POST to the same URL and needs `delegations.change_travel` (security sees, does not mark).
- `flights/import/` (`admin:flights_import`): upload the airport's list → preview (the changes and the row
  errors, nothing written) → "Apply". The file travels back with the preview as a hidden field, with the
  preview's digest: an apply re-reads and re-checks it under lock and refuses if the flights changed meanwhile.
  Needs `delegations.change_travel`.

The page runs a fixed number of queries however many flights the day has.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asemplanner.admin_pages import site_pages
from asemplanner.timeranges import fmt
from delegations.domain.flight_import import MAX_BYTES, FlightImport, flights_import_apply, flights_import_preview
from delegations.domain.flights import STATUSES, flight_days, flight_status_set, flights_on_day
from delegations.domain.member_import.errors import ImportRefused
from delegations.models import Travel
from delegations.validators import size_text

VIEW = "delegations.view_travel"
CHANGE = "delegations.change_travel"


def flights_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [
        path("flights/", wrap(flights_view), name="flights"),
        path("flights/import/", wrap(flights_import_view), name="flights_import"),
    ]


def _status_choices() -> list[tuple[str, str]]:
    """Every flight status, labelled in the active language (a callable: the labels are translated when used)."""
    return sorted(
        {(value, str(label)) for value, label in [*STATUSES["arrival"].items(), *STATUSES["departure"].items()]}
    )


class FlightMarkForm(forms.Form):
    travel = forms.IntegerField(widget=forms.HiddenInput)
    leg = forms.ChoiceField(
        choices=[("arrival", gettext_lazy("Arrival")), ("departure", gettext_lazy("Departure"))],
        widget=forms.HiddenInput,
    )
    status = forms.ChoiceField(
        choices=_status_choices,
        error_messages={"invalid_choice": gettext_lazy("Status: ‘%(value)s’ is not a flight status; use the buttons.")},
    )
    at = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        error_messages={
            "invalid": gettext_lazy("Time: enter the date and time as YYYY-MM-DD HH:MM (Phnom Penh time).")
        },
    )


class FlightUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("The airport's list (CSV)"),
        help_text=lazy(
            lambda: (
                _("Columns flight, date, direction, status, time; UTF-8; at most %(size)s.")
                % {"size": size_text(MAX_BYTES)}
            ),
            str,
        )(),
    )


def _day(request: HttpRequest) -> tuple[dt.date, str]:
    raw = request.GET.get("day", "").strip()
    if not raw:
        return timezone.localdate(), ""
    try:
        return dt.date.fromisoformat(raw), ""
    except ValueError:
        shown = raw[:40]
        return (
            timezone.localdate(),
            _("Day “%(day)s” is not a date: give it as YYYY-MM-DD, e.g. 2020-11-15. Showing today.") % {"day": shown},
        )


def _page_url(site: AdminSite, day: dt.date | str) -> str:
    return reverse(f"{site.name}:flights") + f"?day={day}"


def flights_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    if request.method == "POST":
        return _mark(request, site=site)
    day, error = _day(request)
    parties = flights_on_day(day)
    can_change = request.user.has_perm(CHANGE)
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": _("Flights on %(day)s") % {"day": fmt(day)},
        "day": day,
        "days": flight_days(),
        "arrivals": [p for p in parties if p.leg == "arrival"],
        "departures": [p for p in parties if p.leg == "departure"],
        "statuses": STATUSES,
        "errors": [error] if error else [],
        "can_change": can_change,
        "upload_form": FlightUploadForm() if can_change else None,
        "opts": Travel._meta,
    }
    return TemplateResponse(request, "admin/delegations/flights.html", context, status=400 if error else 200)


def _mark(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    if not (request.user.is_authenticated and request.user.has_perm(CHANGE)):
        raise PermissionDenied
    back = request.POST.get("day", "")[:10]
    try:
        back_url = _page_url(site, dt.date.fromisoformat(back))
    except ValueError:
        back_url = reverse(f"{site.name}:flights")
    form = FlightMarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(back_url)
    data = form.cleaned_data
    travel = Travel.objects.filter(pk=data["travel"]).select_related("person__delegation__partner").first()
    if travel is None:
        messages.error(request, _("This travel record no longer exists; the page was out of date."))
        return HttpResponseRedirect(back_url)
    try:
        party = flight_status_set(travel=travel, leg=data["leg"], status=data["status"], at=data["at"], by=request.user)
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
        return HttpResponseRedirect(back_url)
    first = party[0]
    at = first.arrival_at if data["leg"] == "arrival" else first.departure_at
    label = str(STATUSES[data["leg"]][data["status"]]).lower()
    who = str(first.person)
    if len(party) > 1:
        who = _("%(person)s and %(more)s more") % {"person": who, "more": len(party) - 1}
    if data["leg"] == "arrival":
        done = (
            _("%(who)s (%(code)s): arrival %(status)s, %(at)s.") if at else _("%(who)s (%(code)s): arrival %(status)s.")
        )
    else:
        done = (
            _("%(who)s (%(code)s): departure %(status)s, %(at)s.")
            if at
            else _("%(who)s (%(code)s): departure %(status)s.")
        )
    said = done % {
        "who": who,
        "code": first.person.delegation.partner.code,
        "status": label,
        "at": fmt(at) if at else "",
    }
    if at is not None and back and timezone.localdate(at).isoformat() != back:
        said += " " + _("It is now on the list of %(day)s.") % {"day": f"{timezone.localdate(at):%d %b %Y}"}
    messages.success(request, said)
    return HttpResponseRedirect(back_url)


def _refusal(exc: ValidationError) -> str:
    """The domain's refusal as one message naming the field."""
    names = {"at": _("Time"), "status": _("Status"), "leg": _("Leg"), "travel": _("Travel")}
    if hasattr(exc, "error_dict"):
        return " ".join(
            f"{names.get(name, name)}: {message}" for name, errors in exc.message_dict.items() for message in errors
        )
    return " ".join(exc.messages)


def flights_import_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    if not (request.user.is_authenticated and request.user.has_perm(CHANGE)):
        raise PermissionDenied
    result: FlightImport | None = None
    data = b""
    form = FlightUploadForm()
    if request.method == "POST" and "apply" in request.POST:
        try:
            data = base64.b64decode(request.POST.get("data", ""), validate=True)
        except (binascii.Error, ValueError):
            data = b""
        try:
            result = flights_import_apply(file=data, by=request.user, expected=request.POST.get("digest", ""))
        except ImportRefused as refused:
            messages.error(request, " ".join(refused.messages) + " " + _("Nothing was applied."))
            return HttpResponseRedirect(reverse(f"{site.name}:flights_import"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            result = flights_import_preview(file=data)  # the new preview, to apply again
        else:
            messages.success(request, _("Applied the airport's list: %(summary)s") % {"summary": result.summary()})
            days = sorted({change.day for change in result.changes})
            return HttpResponseRedirect(_page_url(site, days[0]) if days else reverse(f"{site.name}:flights"))
    elif request.method == "POST":
        form = FlightUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read(MAX_BYTES + 1)
            result = flights_import_preview(file=data)
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": _("The airport's flight list"),
        "form": form,
        "result": result,
        "data": base64.b64encode(data).decode() if result and not result.refused else "",
        "max_size": size_text(MAX_BYTES),
        "opts": Travel._meta,
    }
    status = 400 if (form.errors or (result and result.refused)) else 200
    return TemplateResponse(request, "admin/delegations/flights_import.html", context, status=status)
