"""Names the badges cannot print (admin page): who, which field, which characters — before anything is printed.

Accreditation staff are told by an inbox notice when such a name is saved (badges/domain/printability.py); this
page lists them all. Open to whoever may view accreditations (`delegations.view_accreditation`).
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from asemplanner.admin_pages import site_pages, user_with
from badges.domain.printability import unprintable_names

PERMISSION = "delegations.view_accreditation"


def printability_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""
    wrap = site_pages(site)
    return [path("badges/unprintable/", wrap(unprintable_view), name="badges_unprintable")]


@require_safe
def unprintable_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    user_with(request, PERMISSION)
    return TemplateResponse(
        request,
        "admin/badges/unprintable.html",
        {
            **site.each_context(request),
            "title": _("Names the badges cannot print"),
            "items": unprintable_names(),
        },
    )
