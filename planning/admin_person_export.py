"""The per-person export (JSON, PDF) linked from a person's admin page: passport data included, so only for
the roles with `delegations.view_sensitive_person` (security, accreditation); audited each time."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from asemplanner.admin_pages import site_pages
from asemplanner.roles import SENSITIVE_PERMISSION
from delegations.domain.personal_data import person_sensitive_viewed
from delegations.models import Person
from planning.domain.person_export import person_export_json, person_export_pdf

FORMATS = {
    "json": (person_export_json, "application/json"),
    "pdf": (person_export_pdf, "application/pdf"),
}


def person_export_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [
        path(
            "delegations/person/<int:pk>/export.<str:fmt>",
            wrap(person_export_view),
            name="delegations_person_export",
        )
    ]


def person_export_view(request: HttpRequest, pk: int, fmt: str, *, site: AdminSite) -> HttpResponse:
    if not (request.user.is_authenticated and request.user.has_perm(SENSITIVE_PERMISSION)):
        raise PermissionDenied
    if fmt not in FORMATS:
        raise Http404(_("No export as %(format)s: choose json or pdf.") % {"format": repr(fmt)})
    person = Person.objects.select_related("delegation__partner", "delegation__event").filter(pk=pk).first()
    if person is None:
        raise Http404(_("No such person."))
    render, content_type = FORMATS[fmt]
    body = render(person)
    person_sensitive_viewed(person=person, by=request.user, through=f"export: {fmt.upper()}")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response
