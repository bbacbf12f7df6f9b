"""The protocol task board: one team's tasks by day, status and assignee (admin pages)."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.urls import URLPattern


def taskboard_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""
    return []
