"""The order of precedence and the plenary seating plan (HTML and PDF) (admin pages)."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.urls import URLPattern


def precedence_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""
    return []
