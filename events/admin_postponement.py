"""Postponing an event or the whole summit with its side events: impact preview, then confirm (admin pages)."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.urls import URLPattern


def postponement_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""
    return []
