from __future__ import annotations

from typing import Protocol

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asemplanner.admin import AuditedModelAdmin
from events.models import Event
from protocol.domain.task_generation import tasks_generate
from protocol.models import BilateralMeeting, BilateralWindow, ProtocolTask, SecurityZone, Team


class _WithRoomCount(Protocol):
    """A zone as SecurityZoneAdmin.get_queryset() annotates it."""

    _n_rooms: int


class _WithMemberCount(Protocol):
    """A team as TeamAdmin.get_queryset() annotates it."""

    _n_members: int


@admin.register(SecurityZone)
class SecurityZoneAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "level", "colour", "n_rooms")
    list_filter = ("level",)
    search_fields = ("code", "name")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_n_rooms=Count("rooms"))

    @admin.display(description=gettext_lazy("rooms"), ordering="_n_rooms")
    def n_rooms(self, zone: _WithRoomCount) -> int:
        return zone._n_rooms


@admin.register(Team)
class TeamAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "lead", "n_members")
    list_filter = ("kind",)
    search_fields = ("name",)
    autocomplete_fields = ("lead", "members")
    list_select_related = ("lead",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_n_members=Count("members"))

    @admin.display(description=gettext_lazy("members"), ordering="_n_members")
    def n_members(self, team: _WithMemberCount) -> int:
        return team._n_members


class BilateralWindowInline(admin.TabularInline):
    model = BilateralWindow
    fields = ("start", "end")
    extra = 0


@admin.register(BilateralMeeting)
class BilateralMeetingAdmin(AuditedModelAdmin):
    list_display = ("__str__", "event", "status", "priority", "duration_minutes", "start", "room")
    list_filter = ("event", "status", "priority")
    search_fields = ("requester__partner__name", "counterpart__partner__name", "subject")
    autocomplete_fields = ("event", "requester", "counterpart", "room", "protocol_officer")
    date_hierarchy = "start"
    list_select_related = ("event", "requester__partner", "counterpart__partner", "room__venue")
    inlines = [BilateralWindowInline]
    # The audited change form plus "Place now (short notice)" on an accepted request (posts to the scheduling page).
    change_form_template = "admin/protocol/bilateralmeeting/change_form.html"
    fieldsets = [
        (
            None,
            {"fields": ("event", ("requester", "counterpart"), "subject", ("priority", "duration_minutes"), "status")},
        ),
        (gettext_lazy("Schedule"), {"fields": ("room", "start", "end", "protocol_officer")}),
        (gettext_lazy("Notes"), {"fields": ("notes",), "classes": ("collapse",)}),
    ]


@admin.register(ProtocolTask)
class ProtocolTaskAdmin(AuditedModelAdmin):
    list_display = ("title", "kind", "event", "start", "end", "venue", "destination", "team", "assignee", "status")
    list_filter = (
        "event",
        "kind",
        "status",
        "team",
        ("team__kind", admin.ChoicesFieldListFilter),
        ("assignee", admin.RelatedOnlyFieldListFilter),
        ("source_key", admin.EmptyFieldListFilter),  # empty = made by hand; set = generated from travel
    )
    search_fields = ("title", "vehicle", "person__family_name", "delegation__partner__name")
    autocomplete_fields = ("event", "venue", "destination", "team", "assignee", "person", "delegation")
    date_hierarchy = "start"
    list_select_related = ("event", "venue", "destination", "team", "assignee")
    list_editable = ("status",)
    actions = ["generate_from_travel"]

    @admin.action(
        description=gettext_lazy("Generate protocol tasks from travel (for the events of the selected tasks)")
    )
    def generate_from_travel(self, request, queryset):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        for event in Event.objects.filter(pk__in=queryset.values("event_id")):
            summary = tasks_generate(event=event, by=request.user)
            self.message_user(
                request,
                _("Protocol tasks for %(event)s: %(summary)s.") % {"event": event, "summary": summary},
                messages.SUCCESS,
            )


@admin.register(BilateralWindow)
class BilateralWindowAdmin(AuditedModelAdmin):
    list_display = ("meeting", "start", "end")
    list_filter = ("meeting__event",)
    search_fields = ("meeting__requester__partner__name", "meeting__counterpart__partner__name")
    autocomplete_fields = ("meeting",)
    date_hierarchy = "start"
    list_select_related = ("meeting__requester__partner", "meeting__counterpart__partner", "meeting__event")
