"""Staff edit deadlines and reminder rules; they watch reminders (and retry failed ones) here."""

from __future__ import annotations

from typing import Protocol

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asemplanner.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from reminders.domain.sending import reminders_retry
from reminders.models import Deadline, Reminder, ReminderRule
from reminders.validators import OFFSET_HELP, PLACEHOLDER_HELP, offset_parse, rule_offset_label


@admin.register(Deadline)
class DeadlineAdmin(AuditedModelAdmin):
    list_display = ("event", "kind", "due_at")
    list_filter = ("event", "kind")
    list_select_related = ("event",)
    ordering = ("event__start_date", "due_at")


class ReminderRuleForm(forms.ModelForm):
    offset = forms.CharField(
        label=gettext_lazy("Offset"),
        max_length=20,
        help_text=OFFSET_HELP,
        widget=forms.TextInput(attrs={"placeholder": "D-7", "size": 8}),
    )

    class Meta:
        model = ReminderRule
        fields = (
            "name",
            "active",
            "what",
            "event",
            "to_role",
            "to_assignee",
            "to_liaisons",
            "by_email",
            "in_inbox",
            "subject_template",
            "body_template",
        )
        help_texts = {"subject_template": PLACEHOLDER_HELP, "body_template": PLACEHOLDER_HELP}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and self.instance.offset_minutes is not None:
            self.initial["offset"] = rule_offset_label(self.instance)

    def clean_offset(self) -> str:
        try:
            self.instance.offset_minutes = offset_parse(self.cleaned_data["offset"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return self.cleaned_data["offset"]

    def _update_errors(self, errors):
        # The model reports an offset problem on offset_minutes, which this form shows as `offset`.
        if hasattr(errors, "error_dict") and "offset_minutes" in errors.error_dict:
            error_dict = dict(errors.error_dict)
            error_dict["offset"] = error_dict.pop("offset_minutes")
            errors = forms.ValidationError(error_dict)
        super()._update_errors(errors)  # type: ignore[misc]  # why: django-stubs omits private BaseModelForm._update_errors


class _WithPendingCount(Protocol):
    """A rule as ReminderRuleAdmin.get_queryset() annotates it."""

    pending_count: int


@admin.register(ReminderRule)
class ReminderRuleAdmin(AuditedModelAdmin):
    form = ReminderRuleForm
    list_display = ("name", "what", "event", "offset_text", "recipients_text", "channels", "active", "pending")
    list_filter = ("active", "what", "event")
    search_fields = ("name",)
    list_select_related = ("event",)
    fieldsets = (
        (None, {"fields": ("name", "active", "what", "event", "offset")}),
        (gettext_lazy("To whom"), {"fields": ("to_role", "to_assignee", "to_liaisons")}),
        (gettext_lazy("Through what"), {"fields": ("by_email", "in_inbox", "subject_template", "body_template")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(pending_count=Count("reminders", filter=Q(reminders__status__in=Reminder.OPEN)))
        )

    @admin.display(description=gettext_lazy("when"), ordering="offset_minutes")
    def offset_text(self, rule: ReminderRule) -> str:
        return rule_offset_label(rule)

    @admin.display(description=gettext_lazy("to whom"))
    def recipients_text(self, rule: ReminderRule) -> str:
        parts = [_("role %(role)s") % {"role": rule.to_role}] if rule.to_role else []
        parts += [_("assignee")] if rule.to_assignee else []
        parts += [_("liaisons")] if rule.to_liaisons else []
        return ", ".join(parts)

    @admin.display(description=gettext_lazy("through"))
    def channels(self, rule: ReminderRule) -> str:
        return " + ".join(name for name, on in ((_("email"), rule.by_email), (_("inbox"), rule.in_inbox)) if on)

    @admin.display(description=gettext_lazy("pending"), ordering="pending_count")
    def pending(self, rule: _WithPendingCount) -> int:
        return rule.pending_count


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyModelAdmin):
    """Read-only: what is due, what went out, what failed and why. Failed ones can be retried."""

    list_display = ("due_at", "status_text", "late_text", "purpose", "recipient", "about", "rule", "attempts", "error")
    list_filter = ("status", "late", "purpose", "subject_kind", "event", "rule")
    search_fields = ("key", "about", "title", "recipient__username", "recipient__email")
    date_hierarchy = "due_at"
    list_select_related = ("recipient", "rule", "event")
    actions = ["retry"]
    readonly_fields = [f.name for f in Reminder._meta.fields]

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_text(self, reminder: Reminder) -> str:
        if reminder.status == Reminder.Status.FAILED:
            return format_html('<strong style="color:#ba2121">{}</strong>', reminder.get_status_display())
        return reminder.get_status_display()

    @admin.display(description=gettext_lazy("late"), ordering="late")
    def late_text(self, reminder: Reminder) -> str:
        return _("late") if reminder.late else ""

    @admin.display(description=gettext_lazy("last error"))
    def error(self, reminder: Reminder) -> str:
        text = reminder.last_error
        return text if len(text) <= 90 else text[:87] + "…"

    @admin.action(description=gettext_lazy("Retry the selected failed reminders"), permissions=["retry"])
    def retry(self, request, queryset):
        count = reminders_retry(queryset=queryset, by=request.user)
        if count:
            self.message_user(
                request, _("%(count)s reminder(s) put back in line; the next sweep sends them.") % {"count": count}
            )
        else:
            self.message_user(
                request, _("None of the selected reminders had failed; nothing changed."), messages.WARNING
            )

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("reminders.change_reminder")
