from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from asemplanner.admin import AuditedModelAdmin
from events.domain.conflict_checks import OPEN_STATES, conflict_acknowledge, conflict_resolve, conflicts_check_changes
from events.domain.sessions import session_warnings
from events.models import Conflict, Event, Room, Session, TransferTime, Venue


class ConflictsOnPageMixin:
    """Shows the object's open conflicts on its page and re-checks it on save, so a clash shows at once.

    `conflict_key` is the commitment prefix (session, bilateral, task); `conflict_resource` the resource
    prefix (person, room, team) for objects that are resources rather than commitments.
    """

    conflict_key = ""
    conflict_resource = ""

    def _conflict_filter(self, pk) -> Q:
        if self.conflict_key:
            key = f"{self.conflict_key}:{pk}"
            return Q(first=key) | Q(second=key)
        return Q(resource=f"{self.conflict_resource}:{pk}")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if request.user.has_perm("events.view_conflict"):
            extra_context["open_conflicts"] = list(
                Conflict.objects.filter(status__in=OPEN_STATES)
                .filter(self._conflict_filter(unquote(object_id)))
                .order_by("severity", "starts_at")
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not self.conflict_key:
            return
        key = f"{self.conflict_key}:{form.instance.pk}"
        conflicts_check_changes({key})
        for conflict in Conflict.objects.filter(status=Conflict.Status.OPEN).filter(
            self._conflict_filter(form.instance.pk)
        ):
            level = messages.ERROR if conflict.severity == Conflict.Severity.ERROR else messages.WARNING
            self.message_user(request, f"Clash — {conflict.get_kind_display()}: {conflict.message}", level=level)


class SessionInline(admin.TabularInline):
    model = Session
    fields = ("title", "kind", "room", "start", "end", "audience", "expected_attendance", "status")
    autocomplete_fields = ("room",)
    extra = 0
    show_change_link = True
    ordering = ("start",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("room__venue", "event")


@admin.register(Event)
class EventAdmin(AuditedModelAdmin):
    list_display = (
        "acronym",
        "name",
        "kind",
        "parent",
        "start_date",
        "end_date",
        "status",
        "mode",
        "n_sessions",
        "precedence_link",
    )
    list_filter = ("kind", "status", "mode")
    search_fields = ("acronym", "name", "theme")
    autocomplete_fields = ("parent", "host")
    date_hierarchy = "start_date"
    list_select_related = ("parent",)
    readonly_fields = ("precedence_link",)
    inlines = [SessionInline]
    actions = ["postpone_selected"]

    @admin.action(description="Postpone the selected event (preview the impact first)", permissions=["change"])
    def postpone_selected(self, request, queryset):
        events = list(queryset[:2])
        if len(events) != 1:
            self.message_user(request, "Select exactly one event to postpone; nothing was changed.", messages.ERROR)
            return None
        # The postponement page (events/admin_postponement.py) previews the impact before anything moves.
        return HttpResponseRedirect(f"{reverse('admin:events_postpone')}?event={events[0].pk}")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_n_sessions=Count("sessions", filter=~Q(sessions__status=Session.Status.CANCELLED)))
        )

    @admin.display(description="sessions", ordering="_n_sessions")
    def n_sessions(self, event: Event) -> int:
        return event._n_sessions

    @admin.display(description="precedence")
    def precedence_link(self, event: Event) -> str:
        # The order of precedence and seating plan page (protocol/admin_precedence.py) checks its own permission.
        if event.pk is None:
            return "Save the event first."
        return format_html(
            '<a href="{}">Order &amp; seating</a>', reverse("admin:protocol_precedence", args=[event.pk])
        )


class RoomInline(admin.TabularInline):
    model = Room
    fields = ("name", "kind", "capacity", "opens_at", "closes_at", "zone")
    autocomplete_fields = ("zone",)
    extra = 0
    show_change_link = True


@admin.register(Venue)
class VenueAdmin(AuditedModelAdmin):
    list_display = ("name", "short_name", "kind", "address", "n_rooms")
    list_filter = ("kind",)
    search_fields = ("name", "short_name", "address")
    inlines = [RoomInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_n_rooms=Count("rooms"))

    @admin.display(description="rooms", ordering="_n_rooms")
    def n_rooms(self, venue: Venue) -> int:
        return venue._n_rooms


@admin.register(Room)
class RoomAdmin(ConflictsOnPageMixin, AuditedModelAdmin):
    conflict_resource = "room"
    list_display = ("name", "venue", "kind", "capacity", "opens_at", "closes_at", "zone")
    list_filter = ("kind", "venue", "zone")
    search_fields = ("name", "venue__name", "venue__short_name")
    autocomplete_fields = ("venue", "zone")
    list_select_related = ("venue", "zone")


@admin.register(TransferTime)
class TransferTimeAdmin(AuditedModelAdmin):
    list_display = ("from_venue", "to_venue", "minutes")
    list_filter = ("from_venue", "to_venue")
    search_fields = ("from_venue__name", "to_venue__name")
    autocomplete_fields = ("from_venue", "to_venue")
    list_select_related = ("from_venue", "to_venue")


class CapacityFilter(admin.SimpleListFilter):
    title = "capacity"
    parameter_name = "capacity"

    def lookups(self, request, model_admin):
        return [("over", "Expected attendance above capacity")]

    def queryset(self, request, queryset):
        if self.value() == "over":
            return queryset.filter(expected_attendance__gt=F("room__capacity"))
        return queryset


@admin.register(Session)
class SessionAdmin(ConflictsOnPageMixin, AuditedModelAdmin):
    conflict_key = "session"
    list_display = (
        "title",
        "event",
        "kind",
        "start",
        "end",
        "room",
        "audience",
        "expected_attendance",
        "capacity_ok",
        "status",
    )
    list_filter = ("event", "kind", "status", "audience", CapacityFilter, "room__venue")
    search_fields = ("title", "event__acronym", "room__name", "room__venue__name")
    autocomplete_fields = ("event", "room", "attendees")
    date_hierarchy = "start"
    list_select_related = ("event", "room__venue")
    fieldsets = [
        (None, {"fields": ("event", "title", "kind", "status")}),
        ("When and where", {"fields": ("room", "start", "end")}),
        ("Who attends", {"fields": ("audience", "audience_category", "attendees", "expected_attendance")}),
        ("Notes", {"fields": ("notes",), "classes": ("collapse",)}),
    ]

    @admin.display(description="fits room", boolean=True)
    def capacity_ok(self, session: Session) -> bool | None:
        if session.expected_attendance is None:
            return None
        return session.expected_attendance <= session.room.capacity

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for warning in session_warnings(obj):
            self.message_user(request, warning, level=messages.WARNING)


class AcknowledgeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why this clash is acceptable, e.g. 'the Prime Minister leaves the plenary at 17:20'. Kept.",
    )


@admin.register(Conflict)
class ConflictAdmin(AuditedModelAdmin):
    list_display = ("severity_badge", "kind", "message", "event", "status", "starts_at")
    list_filter = ("status", "severity", "kind", "event")
    search_fields = ("message", "resource_label", "resource", "first", "second")
    date_hierarchy = "starts_at"
    list_select_related = ("event",)
    actions = ["acknowledge_selected", "resolve_selected"]
    fields = (
        "kind", "severity", "status", "event", "resource", "resource_label", "first", "second", "message",
        "starts_at", "first_seen", "last_seen", "acknowledged_by", "acknowledged_at", "acknowledge_reason",
        "resolved_at",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, conflict: Conflict) -> str:
        colour = "#ba2121" if conflict.severity == Conflict.Severity.ERROR else "#b26b00"
        return format_html('<strong style="color:{}">{}</strong>', colour, conflict.get_severity_display().upper())

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Acknowledge selected conflicts (asks for a reason)", permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        form = AcknowledgeForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST:
            if form.is_valid():
                done = 0
                for conflict in queryset:
                    try:
                        conflict_acknowledge(conflict=conflict, reason=form.cleaned_data["reason"], by=request.user)
                        done += 1
                    except ValidationError as exc:
                        self.message_user(request, f"{conflict}: {' '.join(exc.messages)}", messages.WARNING)
                self.message_user(request, f"Acknowledged {done} conflict(s).", messages.SUCCESS)
                return None
            self.message_user(request, "Give a reason to acknowledge: it is kept on record.", messages.ERROR)
        return TemplateResponse(
            request,
            "admin/events/conflict/acknowledge.html",
            {
                **self.admin_site.each_context(request),
                "title": "Acknowledge conflicts",
                "conflicts": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(
        description="Mark selected conflicts resolved (a re-check reopens what is still there)", permissions=["change"]
    )
    def resolve_selected(self, request, queryset):
        count = 0
        for conflict in queryset.exclude(status=Conflict.Status.RESOLVED):
            conflict_resolve(conflict=conflict, by=request.user)
            count += 1
        self.message_user(request, f"Marked {count} conflict(s) resolved.", messages.SUCCESS)
