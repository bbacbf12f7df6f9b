"""The order of precedence and the plenary seating plan (HTML and PDF) (admin pages).

Both pages are wrapped by the admin site's `admin_view` (staff only, login redirect) and need
`delegations.view_delegation`: protocol staff have it, liaison officers do not. The order and the seats come
from `protocol/domain/precedence.py`.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from asemplanner.admin_pages import site_pages
from events.models import Event
from protocol.domain.precedence import precedence_order, seating_pdf, seating_plan, seating_rows

PERMISSION = "delegations.view_delegation"


def precedence_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [
        path("precedence/<int:event_pk>/", wrap(precedence_view), name="protocol_precedence"),
        path("precedence/<int:event_pk>/seating.pdf", wrap(seating_pdf_view), name="protocol_seating_pdf"),
    ]


def _event(request: HttpRequest, event_pk: int) -> Event:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    return get_object_or_404(Event, pk=event_pk)


def precedence_view(request: HttpRequest, event_pk: int, *, site: AdminSite) -> HttpResponse:
    event = _event(request, event_pk)
    precedence = precedence_order(event=event)
    seats = seating_plan(precedence)
    return TemplateResponse(
        request,
        "admin/protocol/precedence.html",
        {
            **site.each_context(request),
            "title": _("Order of precedence and plenary seating — %(event)s") % {"event": event.acronym},
            "event": event,
            "precedence": precedence,
            "chair_seat": seats[0],
            "seats": seats[1:],
            "rows": seating_rows(seats),
            "can_change_event": request.user.has_perm("events.change_event"),
        },
    )


def seating_pdf_view(request: HttpRequest, event_pk: int, *, site: AdminSite) -> HttpResponse:
    event = _event(request, event_pk)
    pdf = seating_pdf(precedence_order(event=event))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="seating-{event.acronym}.pdf"'
    return response
