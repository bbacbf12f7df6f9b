"""Planning's admin: the conflict list, and every commitment's or resource's page showing its open clashes.

The apps below planning register their own admins without knowing the conflict engine; this module, loaded
after them (INSTALLED_APPS order), re-registers the admins named in CONFLICT_PAGES with ConflictsOnPageMixin
in front, so saving a session, bilateral or task re-checks it at once and its page lists its open clashes.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from asemplanner.admin import AuditedModelAdmin
from delegations.models import Person
from events.models import Conflict, Room, Session
from planning.domain.conflict_checks import OPEN_STATES, conflict_acknowledge, conflict_resolve, conflicts_check_changes
from protocol.models import BilateralMeeting, ProtocolTask, Team


class ConflictsOnPageMixin(admin.ModelAdmin):
    """Shows the object's open conflicts on its page and re-checks it on save, so a clash shows at once.

    `conflict_key` is the commitment prefix (session, bilateral, task); `conflict_resource` the resource
    prefix (person, room, team) for objects that are resources rather than commitments. Planning adds it to the
    lower apps' admins (CONFLICT_PAGES below), so those apps need not know about the conflict engine.
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
            self.message_user(
                request,
                _("Clash — %(kind)s: %(message)s")
                % {"kind": conflict.get_kind_display(), "message": conflict.display_message},
                level=level,
            )


# Model → (commitment prefix, resource prefix): which admin pages show clashes, and how they are keyed.
CONFLICT_PAGES: dict[type[models.Model], tuple[str, str]] = {
    Session: ("session", ""),
    BilateralMeeting: ("bilateral", ""),
    ProtocolTask: ("task", ""),
    Room: ("", "room"),
    Person: ("", "person"),
    Team: ("", "team"),
}


def _with_conflicts(model: type[models.Model], key: str, resource: str) -> None:
    base = type(admin.site._registry[model])
    admin.site.unregister(model)
    attrs = {"conflict_key": key, "conflict_resource": resource, "__module__": base.__module__}
    admin.site.register(model, type(base.__name__, (ConflictsOnPageMixin, base), attrs))


for _model, (_key, _resource) in CONFLICT_PAGES.items():
    _with_conflicts(_model, _key, _resource)


class AcknowledgeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy(
            "Why this clash is acceptable, e.g. 'the Prime Minister leaves the plenary at 17:20'. Kept."
        ),
    )


@admin.register(Conflict)
class ConflictAdmin(AuditedModelAdmin):
    list_display = ("severity_badge", "kind", "shown_message", "event", "status", "starts_at")
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

    @admin.display(description=gettext_lazy("message"), ordering="message")
    def shown_message(self, conflict: Conflict) -> str:
        """The clash in the reader's language (the stored English for the API and the trail)."""
        return conflict.display_message

    @admin.display(description=gettext_lazy("severity"), ordering="severity")
    def severity_badge(self, conflict: Conflict) -> str:
        colour = "#ba2121" if conflict.severity == Conflict.Severity.ERROR else "#b26b00"
        return format_html('<strong style="color:{}">{}</strong>', colour, conflict.get_severity_display().upper())

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(
        description=gettext_lazy("Acknowledge selected conflicts (asks for a reason)"), permissions=["change"]
    )
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
                        self.message_user(
                            request,
                            _("%(conflict)s: %(why)s") % {"conflict": conflict, "why": " ".join(exc.messages)},
                            messages.WARNING,
                        )
                self.message_user(
                    request,
                    ngettext("Acknowledged %(count)d conflict(s).", "Acknowledged %(count)d conflict(s).", done)
                    % {"count": done},
                    messages.SUCCESS,
                )
                return None
            self.message_user(request, _("Give a reason to acknowledge: it is kept on record."), messages.ERROR)
        return TemplateResponse(
            request,
            "admin/events/conflict/acknowledge.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Acknowledge conflicts"),
                "conflicts": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(
        description=gettext_lazy("Mark selected conflicts resolved (a re-check reopens what is still there)"),
        permissions=["change"],
    )
    def resolve_selected(self, request, queryset):
        count = 0
        for conflict in queryset.exclude(status=Conflict.Status.RESOLVED):
            conflict_resolve(conflict=conflict, by=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("Marked %(count)d conflict(s) resolved.", "Marked %(count)d conflict(s) resolved.", count)
            % {"count": count},
            messages.SUCCESS,
        )
