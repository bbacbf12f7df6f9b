"""Admin building blocks shared by the apps: audited saves and deletes, and the per-object audit trail."""

from __future__ import annotations

from typing import Protocol

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_celery_beat.admin import IntervalScheduleAdmin, SolarScheduleAdmin
from django_celery_beat.models import IntervalSchedule, SolarSchedule
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from asemplanner.domain.audit import (
    audit_entry,
    audit_log,
    audit_log_many,
    default_action,
    diff,
    instance_delete,
    m2m_names,
    queryset_delete,
    snapshot,
)
from asemplanner.domain.notifications import notifications_mark_read
from asemplanner.domain.privileges import other_admins, privileges_granted, privileges_of
from asemplanner.domain.signin import second_factor_reset, user_sessions_end
from asemplanner.models import AuditEntry, Notification


def render_changes(changes: dict) -> str:
    if not changes:
        return "—"
    return format_html(
        "<ul class='audit-changes'>{}</ul>",
        format_html_join(
            "",
            "<li><b>{}</b>: {} → {}</li>",
            ((name, _short(old), _short(new)) for name, (old, new) in changes.items()),
        ),
    )


def _short(value) -> str:
    if value in (None, ""):
        return "∅"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


class AuditedModelAdmin(admin.ModelAdmin):
    """Every admin write leaves audit entries: the object, its many-to-many fields, its inlines, deletes."""

    change_form_template = "admin/audited_change_form.html"
    audit_trail_length = 50

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The object's audit trail, newest first, read-only, under the form (one query)."""
        extra_context = extra_context or {}
        if request.user.has_perm("asemplanner.view_auditentry"):
            content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=True)
            extra_context["audit_entries"] = [
                (entry, render_changes(entry.changes))
                for entry in AuditEntry.objects.filter(
                    content_type=content_type, object_id=str(unquote(object_id))
                ).order_by("-at", "-id")[: self.audit_trail_length]
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        request._audit_before = snapshot(stored, m2m=m2m_names(type(obj))) if stored else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_audit_before", None)
        changes = diff(before, snapshot(obj, m2m=m2m_names(type(obj))))
        if before is None or changes:
            verb = "changed" if before is not None else "created"
            audit_log(action=default_action(obj, verb), instance=obj, by=request.user, changes=changes)

    def save_formset(self, request, form, formset, change):
        known = [f.instance for f in formset.initial_forms if f.instance.pk is not None]
        stored = formset.model._default_manager.in_bulk([obj.pk for obj in known])
        befores = {id(obj): (obj.pk, snapshot(stored[obj.pk])) for obj in known if obj.pk in stored}
        super().save_formset(request, form, formset, change)
        entries = [
            audit_entry(
                action=default_action(obj, "created"), instance=obj, by=request.user, changes=diff(None, snapshot(obj))
            )
            for obj in formset.new_objects
        ]
        for obj, _fields in formset.changed_objects:
            changes = diff(befores[id(obj)][1], snapshot(obj))
            if changes:
                entries.append(
                    audit_entry(action=default_action(obj, "changed"), instance=obj, by=request.user, changes=changes)
                )
        for obj in formset.deleted_objects:
            pk, before = befores[id(obj)]
            entries.append(
                audit_entry(
                    action=default_action(obj, "deleted"),
                    instance=obj,
                    by=request.user,
                    changes=diff(before, None),
                    object_id=pk,
                )
            )
        audit_log_many(entries)

    def delete_model(self, request, obj):
        instance_delete(instance=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        queryset_delete(queryset=queryset, by=request.user)


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A log in the admin: listed and read, never added, changed or deleted there."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("when", "who", "action", "object_link")
    # By name, not the user: system writers (beat, imports, stations) have no user, and a deleted
    # user's entries keep only the name.
    list_filter = ("action", "actor_name", ("content_type", admin.RelatedOnlyFieldListFilter))
    search_fields = ("action", "object_repr", "actor_name", "object_id")
    date_hierarchy = "at"
    list_select_related = ("content_type",)
    fields = ("at", "actor_name", "action", "object_link", "object_id", "changes_display")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        # Only the view permission (Django would also accept change, which no one should hold here).
        return request.user.has_perm("asemplanner.view_auditentry")

    @admin.display(description=gettext_lazy("when"), ordering="at")
    def when(self, entry: AuditEntry):
        return entry.at

    @admin.display(description=gettext_lazy("who"), ordering="actor_name")
    def who(self, entry: AuditEntry) -> str:
        return entry.actor_name

    def get_queryset(self, request):
        # Which rows may link to their object, worked out once per request (permissions are cached on
        # the user, content types in memory), so the list's query count does not grow with its rows.
        viewable = [
            model
            for model, model_admin in self.admin_site._registry.items()
            if model_admin.has_view_permission(request)
        ]
        content_types = ContentType.objects.get_for_models(*viewable, for_concrete_models=True).values()
        return super().get_queryset(request).annotate(linkable=Q(content_type__in=[ct.pk for ct in content_types]))

    @admin.display(description=gettext_lazy("object"))
    def object_link(self, entry: AuditEntry) -> str:
        """Model and object, linked to the object's admin page when its model has one the user may view."""
        label = format_html("{}: {}", entry.content_type, entry.object_repr)
        if not getattr(entry, "linkable", False):
            return label
        ct = entry.content_type
        url = reverse(f"{self.admin_site.name}:{ct.app_label}_{ct.model}_change", args=[quote(entry.object_id)])
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=gettext_lazy("changes (before → after)"))
    def changes_display(self, entry: AuditEntry) -> str:
        return render_changes(entry.changes)


admin.site.unregister(User)
admin.site.unregister(Group)

# Lockouts (django-axes): admins see them and unlock by deleting one (AXES_ENABLE_ADMIN is off so the access
# logs stay out of the admin).
admin.site.register(AccessAttempt, AccessAttemptAdmin)


class SecondFactorDeviceAdmin(admin.ModelAdmin):
    """Who has a second factor, never its secret. Devices are made by enrolment and removed by the user
    action 'Reset the second factor' (audited); django-otp's own admin, which would show keys, stays out."""

    list_display = ("user", "name", "confirmed", "last_used_at")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed", "last_used_at")
    readonly_fields = fields
    search_fields = ("user__username",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(TOTPDevice, SecondFactorDeviceAdmin)
admin.site.register(StaticDevice, SecondFactorDeviceAdmin)


@admin.register(User)
class PlannerUserAdmin(AuditedModelAdmin, UserAdmin):
    """Users, with their writes audited (password hashes are masked in the trail)."""

    list_display = ("username", "email", "first_name", "last_name", "is_staff", "roles", "is_active")
    list_filter = ("is_staff", "is_active", "groups")
    actions = ["reset_second_factor", "sign_out_everywhere"]

    @admin.action(
        description=gettext_lazy("Reset the second factor (lost phone): enrol again at next sign-in"),
        permissions=["change"],
    )
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            removed = second_factor_reset(user=user, by=request.user)
            self.message_user(
                request,
                _("%(user)s: second factor reset (%(removed)s device(s) removed), sessions ended.")
                % {"user": user, "removed": removed},
            )

    @admin.action(description=gettext_lazy("Sign out everywhere (end all their sessions)"), permissions=["change"])
    def sign_out_everywhere(self, request, queryset):
        for user in queryset:
            keep = request.session.session_key if user.pk == request.user.pk else None
            ended = user_sessions_end(user=user, by=request.user, keep=keep)
            self.message_user(request, _("%(user)s: %(ended)s session(s) ended.") % {"user": user, "ended": ended})

    # Granting oneself roles, permissions or superuser is impossible: on one's own page these are read-only (and
    # privileges_granted refuses a self-grant that got past the form).
    SELF_READONLY = ("is_superuser", "is_staff", "groups", "user_permissions")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            readonly += self.SELF_READONLY
        elif not request.user.is_superuser:
            readonly.append("is_superuser")  # only a superuser makes a superuser
        return readonly

    def save_model(self, request, obj, form, change):
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        request._privileges_before = privileges_of(stored) if stored is not None else set()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        gained = privileges_granted(user=form.instance, before=request._privileges_before, by=request.user)
        if gained:
            values = {"granted": ", ".join(sorted(gained)), "user": form.instance.get_username()}
            if other_admins(request.user):
                text = _(
                    "Granted %(granted)s to %(user)s; every other admin has been told (inbox); the grant is in the "
                    "audit trail."
                )
            else:
                text = _(
                    "Granted %(granted)s to %(user)s; there is no other admin to tell: add a second admin so grants "
                    "are seen by another pair of eyes; the grant is in the audit trail."
                )
            self.message_user(request, text % values, messages.WARNING)

    @admin.display(description=gettext_lazy("roles"))
    def roles(self, user) -> str:
        return ", ".join(group.name for group in user.groups.all())

    def user_change_password(self, request, id, form_url=""):
        # Django's password view saves the form itself, past save_model: audit it here.
        user = self.get_object(request, unquote(id))
        before = snapshot(user) if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and user is not None:
            user.refresh_from_db()
            changes = diff(before, snapshot(user))
            if changes:
                audit_log(action="auth.user.password_changed", instance=user, by=request.user, changes=changes)
        return response


class _GroupWithCounts(Protocol):
    """A group as PlannerGroupAdmin.get_queryset() annotates it."""

    n_members: int
    n_permissions: int


@admin.register(Group)
class PlannerGroupAdmin(AuditedModelAdmin, GroupAdmin):
    """Groups are the staff roles (asemplanner.roles)."""

    list_display = ("name", "n_members", "n_permissions")

    def get_queryset(self, request):
        # distinct: the two joins would otherwise multiply each other's rows
        return (
            super()
            .get_queryset(request)
            .annotate(n_members=Count("user", distinct=True), n_permissions=Count("permissions", distinct=True))
        )

    @admin.display(description=gettext_lazy("members"), ordering="n_members")
    def n_members(self, group: _GroupWithCounts) -> int:
        return group.n_members

    @admin.display(description=gettext_lazy("permissions"), ordering="n_permissions")
    def n_permissions(self, group: _GroupWithCounts) -> int:
        return group.n_permissions


# django_celery_beat lists these two by `__str__` alone; give them sortable columns.
admin.site.unregister([IntervalSchedule, SolarSchedule])


@admin.register(IntervalSchedule)
class PlannerIntervalScheduleAdmin(IntervalScheduleAdmin):
    list_display = ("every", "period")


@admin.register(SolarSchedule)
class PlannerSolarScheduleAdmin(SolarScheduleAdmin):
    list_display = ("event", "latitude", "longitude")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Each staff member's inbox: only their own notices."""

    list_display = ("unread", "title", "created_at", "open_link")
    list_filter = (("read_at", admin.EmptyFieldListFilter),)
    search_fields = ("title", "body")
    date_hierarchy = "created_at"
    fields = ("title", "body", "open_link", "created_at", "read_at")
    readonly_fields = fields
    actions = ["mark_read"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recipient=request.user)

    @admin.display(description=gettext_lazy("new"), boolean=True)
    def unread(self, notification: Notification) -> bool:
        return notification.read_at is None

    @admin.display(description=gettext_lazy("act on it"))
    def open_link(self, notification: Notification) -> str:
        return format_html('<a href="{}">{}</a>', notification.link, _("open")) if notification.link else "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        notifications_mark_read(queryset=self.get_queryset(request).filter(pk=unquote(object_id)))
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=gettext_lazy("Mark selected as read"), permissions=["change"])
    def mark_read(self, request, queryset):
        count = notifications_mark_read(queryset=queryset)
        self.message_user(request, _("Marked %(count)s notice(s) read.") % {"count": count})
