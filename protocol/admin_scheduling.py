"""Automatic bilateral scheduling: run, preview, publish (admin pages)."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.urls import URLPattern


def scheduling_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""
    return []
