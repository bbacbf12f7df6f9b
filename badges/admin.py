"""Device tokens, made (the secret is shown once) and revoked by who may issue their kind: print stations by
accreditation, checkpoints by accreditation and security, both by admin. Security staff read the checkpoints' scan
log."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from asemplanner.admin import ReadOnlyModelAdmin
from asemplanner.forms import form_field
from asemplanner.i18n import local_date
from asemplanner.timeranges import local_day_bounds
from badges.domain.tokens import token_create, token_errors, token_revoke, token_scopes_allowed
from badges.models import DeviceToken, PrintRecord, ScanLog


class DeviceTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=DeviceToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[DeviceToken.Scope.READ],
        label=gettext_lazy("Scopes"),
    )
    user: User | None = None  # set by DeviceTokenAdmin.get_form: who issues the token

    class Meta:
        model = DeviceToken
        fields = ("name", "event", "scopes", "zone", "expires_at")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        zone = cleaned.get("zone")
        errors = token_errors(
            scopes=cleaned.get("scopes") or [],
            zone_id=zone.pk if zone is not None else None,
            expires_at=cleaned.get("expires_at"),
            by=self.user,
        )
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    form = DeviceTokenForm
    list_display = ("name", "event", "prefix", "scope_list", "zone", "expires_at", "last_used_at", "state")
    list_filter = ("event", "zone", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix")
    list_select_related = ("event", "zone")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "name",
            "event",
            "scopes",
            "zone",
            "expires_at",
            "prefix",
            "created_at",
            "created_by",
            "last_used_at",
            "revoked_at",
        )

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) or ("name", "event", "scopes", "zone", "expires_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            # Offer only the scopes this role may issue (the domain refuses the others anyway).
            form = type(form.__name__, (form,), {"user": request.user})
            allowed = token_scopes_allowed(request.user)
            # A copy: declared fields are shared by every form class made from DeviceTokenForm.
            scopes = copy.deepcopy(form_field(form.base_fields, "scopes", forms.MultipleChoiceField))
            form.base_fields["scopes"] = scopes
            scopes.choices = [(value, label) for value, label in DeviceToken.Scope.choices if value in allowed]
            scopes.initial = [scope for scope in scopes.initial if scope in allowed] or allowed[:1]
        return form

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and bool(token_scopes_allowed(request.user))

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.display(description=gettext_lazy("scopes"))
    def scope_list(self, token: DeviceToken) -> str:
        return ", ".join(token.scopes)

    @admin.display(description=gettext_lazy("state"))
    def state(self, token: DeviceToken) -> str:
        if token.revoked_at:
            return pgettext("device token state", "revoked")
        if token.expires_at <= timezone.now():
            return pgettext("device token state", "expired")
        return pgettext("device token state", "active")

    def save_model(self, request, obj, form, change):
        try:
            token, raw = token_create(
                name=obj.name, event=obj.event, scopes=form.cleaned_data["scopes"], expires_at=obj.expires_at,
                zone=obj.zone, by=request.user,
            )  # fmt: skip
        except ValidationError as exc:  # checked again in the form's clean; this is the race with another add
            raise forms.ValidationError(exc.messages) from exc
        form.instance = token
        obj.pk = token.pk
        messages.warning(
            request,
            _(
                "Token for “%(name)s”: %(token)s — copy it into the station now. It is shown only this once and "
                "cannot be recovered; if it is lost, revoke this token and make a new one."
            )
            % {"name": token.name, "token": raw},
        )

    def save_related(self, request, form, formsets, change):
        pass  # no relations; token_create saved and audited everything

    def log_addition(self, request, obj, message):
        pass  # audited by token_create

    @admin.action(
        description=gettext_lazy("Revoke the selected tokens (effective on the next request)"), permissions=["delete"]
    )
    def revoke(self, request, queryset):
        allowed = set(token_scopes_allowed(request.user))
        tokens = list(queryset.filter(revoked_at__isnull=True))
        mine = [token for token in tokens if set(token.scopes) <= allowed]
        for token in mine:
            token_revoke(token=token, by=request.user)
        self.message_user(request, _("%(count)s token(s) revoked.") % {"count": len(mine)})
        if len(mine) < len(tokens):
            others = ", ".join(token.name for token in tokens if token not in mine)
            self.message_user(
                request,
                _("Not revoked: %(tokens)s. Your role may revoke only tokens with the scopes %(scopes)s.")
                % {"tokens": others, "scopes": ", ".join(sorted(allowed))},
                messages.ERROR,
            )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Tokens are revoked, not deleted (the print log refers to them); the permission gates revoking.
        return request.user.has_perm("badges.delete_devicetoken") and obj is None

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(PrintRecord)
class PrintRecordAdmin(ReadOnlyModelAdmin):
    list_display = ("received_at", "accreditation", "version", "station", "printed_at")
    list_filter = ("station",)
    search_fields = ("accreditation__badge_number", "accreditation__person__family_name")
    list_select_related = ("accreditation__person", "accreditation__event", "station")


class ScanDayFilter(admin.SimpleListFilter):
    """Days in Phnom Penh time (the planner's zone), the days that have scans, newest first."""

    title = gettext_lazy("day")
    parameter_name = "day"

    def lookups(self, request, model_admin):
        # order_by() first: the model's ordering would otherwise join the DISTINCT and repeat each day
        days = ScanLog.objects.order_by().annotate(day=TruncDate("scanned_at")).values_list("day", flat=True).distinct()
        # The active language's day and month names (and Khmer digits on Khmer pages); "Mon 16 Nov 2020" in English.
        return [(day.isoformat(), local_date(day, "D d M Y")) for day in sorted(days, reverse=True)[:60]]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return queryset.none()
        start, end = local_day_bounds(day, day)
        return queryset.filter(scanned_at__gte=start, scanned_at__lt=end)


@admin.register(ScanLog)
class ScanLogAdmin(ReadOnlyModelAdmin):
    """Read-only: the log is written by the checkpoints alone."""

    list_display = ("scanned_at", "zone", "result", "reason", "badge_number", "holder", "token")
    list_filter = ("zone", "result", "reason", ScanDayFilter, "event")
    search_fields = ("badge_number", "payload_hash", "token__name")
    list_select_related = ("zone", "token", "accreditation__person")
    show_full_result_count = False  # the log grows by thousands a day: no COUNT(*) over all of it per page
    list_per_page = 100

    @admin.display(description=gettext_lazy("holder"))
    def holder(self, scan: ScanLog) -> str:
        return str(scan.accreditation.person) if scan.accreditation else "—"
