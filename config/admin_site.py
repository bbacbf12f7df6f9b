"""The staff admin site: its index leads with the summit, its side events and what needs attention."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from badges.admin_printability import printability_urls
from delegations.admin_flights import flights_urls
from matchmaking.admin_forum import forum_urls
from planning.admin_disruptions import disruption_urls
from planning.admin_ops import ops_urls
from planning.admin_person_export import person_export_urls
from planning.admin_postponement import postponement_urls
from planning.admin_room_outages import outage_urls
from planning.admin_scheduling import scheduling_urls
from planning.admin_timeline import timeline_urls
from planning.domain.overview import attention_items, event_overview
from protocol.admin_precedence import precedence_urls
from protocol.admin_taskboard import taskboard_urls


class PlannerAdminSite(admin.AdminSite):
    site_header = _("ASEM13 Summit Planner")
    site_title = _("ASEM13 Planner")
    index_title = _("Summit overview")
    index_template = "admin/planner_index.html"

    def has_permission(self, request):
        # Staff pass the second factor before any admin page (asemplanner.middleware.SecondFactorMiddleware
        # sends them to it; this holds even if the middleware were left out).
        return super().has_permission(request) and request.user.is_verified()

    def index(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "planner_events": event_overview(),
            "planner_attention": attention_items(request.user),
        }
        return super().index(request, extra_context)

    def get_urls(self):
        # Ahead of the default URLs, whose catch-all would otherwise answer first.
        return [
            *timeline_urls(self),
            *precedence_urls(self),
            *taskboard_urls(self),
            *scheduling_urls(self),
            *forum_urls(self),
            *postponement_urls(self),
            *person_export_urls(self),
            *disruption_urls(self),
            *outage_urls(self),
            *ops_urls(self),
            *flights_urls(self),
            *printability_urls(self),
            *super().get_urls(),
        ]
