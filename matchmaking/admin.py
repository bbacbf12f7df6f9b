"""The organiser's lists of the business forum: participants, tables, slots, requests, meetings and runs (the
forum page with planning, imports and slots is `matchmaking/admin_forum.py`)."""

from __future__ import annotations

from django.contrib import admin

from asemplanner.admin import AuditedModelAdmin
from matchmaking.models import ForumMeeting, ForumRun, ForumSlot, MeetingRequest, MeetingTable, Participant


@admin.register(Participant)
class ParticipantAdmin(AuditedModelAdmin):
    list_display = ("organisation", "name", "kind", "sector", "delegation", "event", "active")
    list_filter = ("event", "kind", "active", "sector")
    list_select_related = ("event", "delegation__partner", "delegation__event")
    search_fields = ("organisation", "name", "sector", "email")
    filter_horizontal = ("unavailable",)


@admin.register(MeetingTable)
class MeetingTableAdmin(AuditedModelAdmin):
    list_display = ("label", "event", "room", "active")
    list_filter = ("event", "active")
    list_select_related = ("event", "room__venue")


@admin.register(ForumSlot)
class ForumSlotAdmin(AuditedModelAdmin):
    list_display = ("__str__", "event", "start", "end")
    list_filter = ("event",)
    list_select_related = ("event",)


@admin.register(MeetingRequest)
class MeetingRequestAdmin(AuditedModelAdmin):
    list_display = ("sender", "receiver", "priority", "status", "event", "created_at")
    list_filter = ("event", "status", "priority")
    list_select_related = ("sender", "receiver", "event")
    search_fields = ("sender__organisation", "receiver__organisation")
    raw_id_fields = ("sender", "receiver")


@admin.register(ForumMeeting)
class ForumMeetingAdmin(admin.ModelAdmin):
    list_display = ("slot", "table", "first", "second", "mutual", "status", "event")
    list_filter = ("event", "status", "mutual")
    list_select_related = ("slot", "table__room__venue", "first", "second", "event")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ForumRun)
class ForumRunAdmin(admin.ModelAdmin):
    list_display = ("event", "status", "allow_one_sided", "requested_at", "message")
    list_filter = ("event", "status")
    list_select_related = ("event",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
