from __future__ import annotations

from typing import Protocol

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asemplanner.admin import AuditedModelAdmin
from asemplanner.timeranges import fmt
from events.domain.outages import outage_create, outage_lift, outage_update
from events.domain.sessions import session_warnings
from events.models import Event, Room, RoomOutage, Session, TransferTime, Venue


class SessionInline(admin.TabularInline):
    model = Session
    fields = ("title", "kind", "room", "start", "end", "audience", "expected_attendance", "status")
    autocomplete_fields = ("room",)
    extra = 0
    show_change_link = True
    ordering = ("start",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("room__venue", "event")


class _WithSessionCount(Protocol):
    """An event as EventAdmin.get_queryset() annotates it."""

    _n_sessions: int


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

    @admin.action(
        description=gettext_lazy("Postpone the selected event (preview the impact first)"), permissions=["change"]
    )
    def postpone_selected(self, request, queryset):
        events = list(queryset[:2])
        if len(events) != 1:
            self.message_user(request, _("Select exactly one event to postpone; nothing was changed."), messages.ERROR)
            return None
        # The postponement page (planning/admin_postponement.py) previews the impact before anything moves.
        return HttpResponseRedirect(f"{reverse('admin:events_postpone')}?event={events[0].pk}")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_n_sessions=Count("sessions", filter=~Q(sessions__status=Session.Status.CANCELLED)))
        )

    @admin.display(description=gettext_lazy("sessions"), ordering="_n_sessions")
    def n_sessions(self, event: _WithSessionCount) -> int:
        return event._n_sessions

    @admin.display(description=gettext_lazy("precedence"))
    def precedence_link(self, event: Event) -> str:
        # The order of precedence and seating plan page (protocol/admin_precedence.py) checks its own permission.
        if event.pk is None:
            return _("Save the event first.")
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:protocol_precedence", args=[event.pk]), _("Order & seating")
        )


class RoomInline(admin.TabularInline):
    model = Room
    fields = ("name", "kind", "capacity", "opens_at", "closes_at", "zone")
    autocomplete_fields = ("zone",)
    extra = 0
    show_change_link = True


class _WithRoomCount(Protocol):
    """A venue as VenueAdmin.get_queryset() annotates it."""

    _n_rooms: int


@admin.register(Venue)
class VenueAdmin(AuditedModelAdmin):
    list_display = ("name", "short_name", "kind", "address", "n_rooms")
    list_filter = ("kind",)
    search_fields = ("name", "short_name", "address")
    inlines = [RoomInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_n_rooms=Count("rooms"))

    @admin.display(description=gettext_lazy("rooms"), ordering="_n_rooms")
    def n_rooms(self, venue: _WithRoomCount) -> int:
        return venue._n_rooms


@admin.register(Room)
class RoomAdmin(AuditedModelAdmin):
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
    title = gettext_lazy("capacity")
    parameter_name = "capacity"

    def lookups(self, request, model_admin):
        return [("over", _("Expected attendance above capacity"))]

    def queryset(self, request, queryset):
        if self.value() == "over":
            return queryset.filter(expected_attendance__gt=F("room__capacity"))
        return queryset


@admin.register(Session)
class SessionAdmin(AuditedModelAdmin):
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
        (gettext_lazy("When and where"), {"fields": ("room", "start", "end")}),
        (
            gettext_lazy("Who attends"),
            {"fields": ("audience", "audience_category", "attendees", "expected_attendance")},
        ),
        (gettext_lazy("Notes"), {"fields": ("notes",), "classes": ("collapse",)}),
    ]

    @admin.display(description=gettext_lazy("fits room"), boolean=True)
    def capacity_ok(self, session: Session) -> bool | None:
        if session.expected_attendance is None:
            return None
        return session.expected_attendance <= session.room.capacity

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for warning in session_warnings(obj):
            self.message_user(request, warning, level=messages.WARNING)


class ActiveFilter(admin.SimpleListFilter):
    title = gettext_lazy("whether lifted")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Out of service (not lifted)")), ("no", _("Back in service (lifted)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


@admin.register(RoomOutage)
class RoomOutageAdmin(AuditedModelAdmin):
    """Rooms out of service. Adding, changing and lifting go through events/domain/outages.py (the room's row is
    locked and the overlap re-checked); after adding, staff land on the impact page with the relocation proposal.
    Outages are lifted, never deleted: they stay on record."""

    list_display = ("room", "period", "reason", "active", "created_by", "impact_link")
    list_filter = (ActiveFilter, "room__venue")
    search_fields = ("room__name", "room__venue__name", "reason")
    autocomplete_fields = ("room",)
    list_select_related = ("room__venue", "created_by")
    date_hierarchy = "start"
    fields = ("room", "start", "end", "reason", "created_by", "created_at", "lifted_at", "impact_link")
    readonly_fields = ("created_by", "created_at", "lifted_at", "impact_link")
    actions = ["back_in_service"]

    @admin.display(description=gettext_lazy("period"), ordering="start")
    def period(self, outage: RoomOutage) -> str:
        return f"{fmt(outage.start)} – {fmt(outage.end)}"

    @admin.display(description=gettext_lazy("out of service"), boolean=True)
    def active(self, outage: RoomOutage) -> bool:
        return outage.is_active

    @admin.display(description=gettext_lazy("impact"))
    def impact_link(self, outage: RoomOutage) -> str:
        if outage.pk is None:
            return _("Save first: the impact page then lists what is hit and proposes new rooms.")
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:outage_impact", args=[outage.pk]), _("What it hits, relocation")
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # kept on record; "Back in service" lifts it

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_active:  # a lifted outage is history: nothing changes
            return ("room", "start", "end", "reason", *self.readonly_fields)
        return self.readonly_fields

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form ran the same checks; a refusal here is the re-check under the room's lock losing a race with
        # another writer. The admin's transaction has rolled back: say why and show the form again, unsaved.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(
                request, _("Not saved: %(reasons)s") % {"reasons": " ".join(exc.messages)}, messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if not change:
            saved = outage_create(room=obj.room, start=obj.start, end=obj.end, reason=obj.reason, by=request.user)
        else:
            changed = {
                name: getattr(obj, name) for name in form.changed_data if name in ("room", "start", "end", "reason")
            }
            saved = outage_update(outage=obj, by=request.user, **changed) if changed else obj
        obj.pk, obj.created_by, obj.created_at = saved.pk, saved.created_by, saved.created_at

    def save_related(self, request, form, formsets, change):
        return None  # no many-to-many fields; the domain function has audited the outage

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            _(
                "%(room)s is out of service %(start)s – %(end)s. Below: what it hits and where it could go; tick "
                "what to accept."
            )
            % {"room": obj.room, "start": fmt(obj.start), "end": fmt(obj.end)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:outage_impact", args=[obj.pk]))

    @admin.action(
        description=gettext_lazy("Back in service (lift the selected outages; they stay on record)"),
        permissions=["change"],
    )
    def back_in_service(self, request, queryset):
        lifted, skipped = [], []
        for outage in queryset.select_related("room__venue"):
            try:
                outage_lift(outage=outage, by=request.user)
            except ValidationError:
                skipped.append(str(outage.room))
            else:
                lifted.append(str(outage.room))
        if lifted:
            self.message_user(
                request,
                _("Back in service at %(time)s: %(rooms)s. The clashes they caused are re-checked now.")
                % {"time": f"{timezone.localtime():%H:%M}", "rooms": ", ".join(lifted)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("Already back in service, left as they were: %(rooms)s.") % {"rooms": ", ".join(skipped)},
                messages.WARNING,
            )
