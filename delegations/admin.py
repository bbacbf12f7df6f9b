from __future__ import annotations

from typing import Any, Protocol

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from asemplanner.admin import AuditedModelAdmin
from asemplanner.crypto import passport_digest
from asemplanner.forms import form_field
from asemplanner.roles import SENSITIVE_PERMISSION
from asemplanner.timeranges import fmt
from delegations.domain.delegations import accreditations_approve
from delegations.domain.liaisons import invitation_errors, invitation_revoke, liaison_invite, liaison_withdraw
from delegations.domain.personal_data import person_sensitive_viewed
from delegations.domain.photos import photo_prepare, photo_response
from delegations.models import Accreditation, Delegation, LiaisonInvitation, Partner, Person, Travel, ZoneRule


@admin.register(Partner)
class PartnerAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "kind", "region", "joined_year", "joined_at_summit")
    list_filter = ("kind", "region", "joined_at_summit")
    search_fields = ("name", "name_fr", "name_km", "code")


class PersonInline(admin.TabularInline):
    model = Person
    fields = ("honorific", "given_name", "family_name", "function", "rank", "category")
    extra = 0
    show_change_link = True


class _WithMemberCount(Protocol):
    """A delegation as DelegationAdmin.get_queryset() annotates it."""

    _n_members: int


@admin.register(Delegation)
class DelegationAdmin(AuditedModelAdmin):
    list_display = ("partner", "event", "head", "status", "n_members", "quota")
    list_filter = ("event", "status", "partner__region", "partner__kind")
    search_fields = ("partner__name", "partner__code", "event__acronym")
    autocomplete_fields = ("partner", "event", "head")
    list_select_related = ("partner", "event", "head")
    inlines = [PersonInline]
    # Liaisons are granted by accepting an invitation and withdrawn on their own page, never through a raw field.
    exclude = ("liaisons",)

    def get_readonly_fields(self, request, obj=None):
        may_withdraw = request.user.has_perm("delegations.add_liaisoninvitation")
        return (*super().get_readonly_fields(request, obj), "liaison_officers" if may_withdraw else "liaisons_shown")

    @admin.display(description=gettext_lazy("liaison officers"))
    def liaisons_shown(self, delegation: Delegation) -> str:
        names = [user.get_username() for user in delegation.liaisons.all()] if delegation.pk else []
        return ", ".join(names) or _("none yet — invite one (Liaison invitations → Add)")

    @admin.display(description=gettext_lazy("liaison officers"))
    def liaison_officers(self, delegation: Delegation) -> str:
        if delegation.pk is None:
            return _("invite liaison officers once the delegation is saved (Liaison invitations → Add)")
        links = [
            format_html(
                '{} (<a href="{}">{}</a>)',
                user.get_username(),
                reverse("admin:delegations_delegation_withdraw_liaison", args=[delegation.pk, user.pk]),
                _("withdraw"),
            )
            for user in delegation.liaisons.all()
        ]
        invite = format_html(
            '<a href="{}?delegation={}">{}</a>',
            reverse("admin:delegations_liaisoninvitation_add"),
            delegation.pk,
            _("invite one"),
        )
        return format_html_join(", ", "{}", ((link,) for link in links)) + format_html(" — {}", invite)

    def get_urls(self):
        withdraw = path(
            "<int:delegation_id>/liaisons/<int:user_id>/withdraw/",
            self.admin_site.admin_view(self.withdraw_liaison_view),
            name="delegations_delegation_withdraw_liaison",
        )
        return [withdraw, *super().get_urls()]

    def withdraw_liaison_view(self, request, delegation_id: int, user_id: int):
        """Confirm, then take one liaison officer off the delegation (audited); the roles that invite may."""
        if not request.user.has_perm("delegations.add_liaisoninvitation"):
            raise PermissionDenied
        delegation = self.get_object(request, str(delegation_id))
        liaison = delegation.liaisons.filter(pk=user_id).first() if delegation is not None else None
        if delegation is None or liaison is None:
            raise Http404(_("No such liaison officer of this delegation."))
        if request.method == "POST":
            liaison_withdraw(delegation=delegation, user=liaison, by=request.user)
            self.message_user(
                request,
                _("%(user)s is no longer a liaison officer of %(delegation)s.")
                % {"user": liaison.get_username(), "delegation": delegation},
                messages.SUCCESS,
            )
            return redirect("admin:delegations_delegation_change", delegation.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Withdraw %(user)s from %(delegation)s?")
            % {"user": liaison.get_username(), "delegation": delegation},
            "opts": self.opts,
            "delegation": delegation,
            "liaison": liaison,
        }
        return TemplateResponse(request, "admin/delegations/withdraw_liaison.html", context)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_n_members=Count("members"))

    @admin.display(description=gettext_lazy("members"), ordering="_n_members")
    def n_members(self, delegation: _WithMemberCount) -> int:
        return delegation._n_members

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "head" in form.base_fields:
            # Only this delegation's members can lead it.
            head = form_field(form.base_fields, "head", forms.ModelChoiceField)
            head.queryset = Person.objects.filter(delegation=obj)
        return form


class TravelInline(admin.StackedInline):
    model = Travel
    fields = (
        ("arrival_flight", "arrival_at", "arrival_airport"),
        ("departure_flight", "departure_at", "departure_airport"),
        "hotel",
        "notes",
    )
    autocomplete_fields = ("arrival_airport", "departure_airport", "hotel")
    extra = 0
    max_num = 1


class AccreditationInline(admin.TabularInline):
    model = Accreditation
    fields = ("event", "category", "status", "badge_number", "badge_version")
    readonly_fields = ("badge_number", "badge_version")
    autocomplete_fields = ("event",)
    extra = 0
    show_change_link = True


class PersonAdminForm(forms.ModelForm):
    """The photo goes through the same checks and re-encoding as the liaison portal's upload (a plain file
    field: Django's image field would answer a fake with its own vaguer message first)."""

    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )

    class Meta:
        model = Person
        fields = "__all__"  # noqa: DJ007 — the admin's fieldsets choose what is shown

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo != self.initial.get("photo") and hasattr(photo, "read"):
            try:
                return photo_prepare(photo)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["photo"]) from None
        return photo


@admin.register(Person)
class PersonAdmin(AuditedModelAdmin):
    form = PersonAdminForm
    change_form_template = "admin/delegations/person/change_form.html"  # + the export links
    list_display = ("__str__", "function", "delegation", "rank", "category", "has_photo")
    list_filter = ("category", "rank", "delegation__event", "delegation__partner__region")
    search_fields = ("given_name", "family_name", "native_name", "function", "delegation__partner__name", "email")
    SEARCH_HELP = gettext_lazy("Search by name, function, delegation or e-mail.")
    SEARCH_HELP_SENSITIVE = gettext_lazy(
        "Search by name, function, delegation or e-mail, or by a complete passport number (exact match only: "
        "numbers are stored encrypted, so part of a number finds nothing)."
    )
    autocomplete_fields = ("delegation",)
    list_select_related = ("delegation__partner", "delegation__event")
    inlines = [TravelInline, AccreditationInline]
    fieldsets = [
        (
            None,
            {
                "fields": (
                    "delegation",
                    ("honorific", "given_name", "family_name"),
                    "native_name",
                    "function",
                    ("rank", "category"),
                )
            },
        ),
        (
            gettext_lazy("Contact and needs"),
            {"fields": ("nationality", "email", "phone", "languages", "photo", "photo_preview")},
        ),
        (gettext_lazy("Sensitive (security and accreditation only)"), {"fields": Person.SENSITIVE_FIELDS}),
    ]

    readonly_fields = ("photo_preview",)

    @admin.display(description=gettext_lazy("photo"), boolean=True)
    def has_photo(self, person: Person) -> bool:
        return bool(person.photo)

    @admin.display(description=gettext_lazy("current photo"))
    def photo_preview(self, person: Person) -> str:
        if not person.pk or not person.photo:
            return "—"
        url = reverse("admin:delegations_person_photo", args=[person.pk])
        return format_html(
            '<img src="{}" alt="{}" width="120">', url, _("Badge photo of %(name)s") % {"name": person.full_name}
        )

    def get_urls(self):
        photo = path("<int:pk>/photo.jpg", self.admin_site.admin_view(self.photo_view), name="delegations_person_photo")
        return [photo, *super().get_urls()]

    def photo_view(self, request, pk):
        """Photos are not public files (MEDIA_ROOT is never served): staff who may view people see them here."""
        person = Person.objects.filter(pk=pk).first()
        if person is None or not self.has_view_permission(request, person):
            raise Http404(_("No such person."))
        return photo_response(person)

    def save_model(self, request, obj, form, change):
        replaced = change and "photo" in form.changed_data and form.initial.get("photo")
        super().save_model(request, obj, form, change)
        if replaced:
            old, storage = form.initial["photo"].name, obj.photo.storage
            transaction.on_commit(lambda: storage.delete(old))

    @staticmethod
    def may_see_sensitive(request) -> bool:
        return request.user.has_perm(SENSITIVE_PERMISSION)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The page shows the passport data to the roles that may see it: each time it does, an audit entry
        names who saw whose (never the values)."""
        extra_context = {**(extra_context or {}), "may_export": self.may_see_sensitive(request)}
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and self.may_see_sensitive(request):
            person = self.get_object(request, object_id)
            if person is not None:
                person_sensitive_viewed(person=person, by=request.user, through="admin: the person's page")
        return response

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.may_see_sensitive(request):
            return fieldsets
        return [(name, opts) for name, opts in fieldsets if not set(opts["fields"]) & set(Person.SENSITIVE_FIELDS)]

    def get_search_results(self, request, queryset, search_term):
        """Names and the rest as usual; for the roles that see passport data, also the person whose passport
        number is exactly the term (compared by its keyed digest: the number itself is encrypted)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digest = passport_digest(search_term)
        if digest and self.may_see_sensitive(request):
            results = results | queryset.filter(passport_digest=digest)
        return results, may_have_duplicates

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)  # per request: the admin instance is shared
        changelist.search_help_text = str(
            self.SEARCH_HELP_SENSITIVE if self.may_see_sensitive(request) else self.SEARCH_HELP
        )
        return changelist

    def lookup_allowed(self, lookup, value, request=None):
        # Filtering by ?passport_number__startswith=… would leak the value one character at a time.
        if lookup.split("__")[0] in Person.SENSITIVE_FIELDS and not (request and self.may_see_sensitive(request)):
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(Travel)
class TravelAdmin(AuditedModelAdmin):
    list_display = ("person", "arrival_flight", "arrival_at", "departure_flight", "departure_at", "hotel")
    list_filter = ("hotel", "arrival_airport", "person__delegation__event")
    search_fields = ("person__given_name", "person__family_name", "arrival_flight", "departure_flight")
    autocomplete_fields = ("person", "arrival_airport", "departure_airport", "hotel")
    date_hierarchy = "arrival_at"
    list_select_related = ("person__delegation__partner", "hotel")


@admin.register(Accreditation)
class AccreditationAdmin(AuditedModelAdmin):
    list_display = ("person", "delegation", "event", "category", "status", "badge_number", "badge_version")
    list_filter = ("event", "status", "category")
    search_fields = ("person__given_name", "person__family_name", "badge_number", "person__delegation__partner__name")
    autocomplete_fields = ("person", "event", "zones")
    readonly_fields = ("badge_number", "badge_version", "requested_at", "approved_at", "approved_by")
    list_select_related = ("person__delegation__partner", "event")
    actions = ["approve_selected"]

    @admin.display(description=gettext_lazy("delegation"), ordering="person__delegation__partner__name")
    def delegation(self, accreditation: Accreditation) -> str:
        return str(accreditation.person.delegation.partner)

    @admin.action(
        description=gettext_lazy("Approve selected accreditations (assigns badge numbers)"), permissions=["change"]
    )
    def approve_selected(self, request, queryset):
        selected = queryset.count()
        approved = accreditations_approve(queryset=queryset, by=request.user)
        self.message_user(
            request,
            ngettext("Approved %(count)s accreditation(s).", "Approved %(count)s accreditation(s).", approved)
            % {"count": approved},
            messages.SUCCESS,
        )
        if approved < selected:
            self.message_user(
                request,
                ngettext(
                    "%(count)s selected accreditation(s) were not in 'requested' status and were left unchanged.",
                    "%(count)s selected accreditation(s) were not in 'requested' status and were left unchanged.",
                    selected - approved,
                )
                % {"count": selected - approved},
                messages.WARNING,
            )


class LiaisonInvitationForm(forms.ModelForm):
    class Meta:
        model = LiaisonInvitation
        fields = ("delegation", "email", "name")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("delegation") and data.get("email"):
            for field, message in invitation_errors(delegation=data["delegation"], email=data["email"]).items():
                self.add_error(field, message)
        return data


@admin.register(LiaisonInvitation)
class LiaisonInvitationAdmin(admin.ModelAdmin):
    """Invite a liaison officer: the mail carries a link that works once and expires. Audited by the domain."""

    form = LiaisonInvitationForm
    list_display = ("email", "name", "delegation", "status_display", "created_at", "expires_at", "invited_by")
    list_filter = ("delegation__event", ("accepted_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "name", "delegation__partner__name")
    autocomplete_fields = ("delegation",)
    list_select_related = ("delegation__partner", "delegation__event", "invited_by")
    actions = ["resend", "revoke"]
    SHOWN = ("delegation", "email", "name", "status_display", "created_at", "expires_at", "invited_by",
             "accepted_at", "accepted_by", "revoked_at")  # fmt: skip

    @admin.display(description=gettext_lazy("status"))
    def status_display(self, invitation: LiaisonInvitation) -> str:
        shown = {"accepted": _("accepted"), "revoked": _("revoked"), "expired": _("expired"), "pending": _("pending")}
        return shown.get(invitation.status, invitation.status)

    def get_fields(self, request, obj=None):
        return ("delegation", "email", "name") if obj is None else self.SHOWN

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.SHOWN

    def has_change_permission(self, request, obj=None) -> bool:
        # An invitation is sent, resent or withdrawn, never edited: the change right is for the actions.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        invitation, _token = liaison_invite(delegation=obj.delegation, email=obj.email, name=obj.name, by=request.user)
        obj.pk = invitation.pk
        self.message_user(
            request,
            _(
                "Invitation saved and being mailed to %(email)s; the link works once, until %(expires)s. Should the "
                "mail fail, a notice in your inbox says so."
            )
            % {"email": invitation.email, "expires": fmt(invitation.expires_at)},
        )

    def save_related(self, request, form, formsets, change):
        return None  # no many-to-many fields; the domain function has audited the invitation

    @admin.action(
        description=gettext_lazy("Send again (a new link; the old one stops working)"), permissions=["change"]
    )
    def resend(self, request, queryset):
        sent = 0
        for invitation in queryset.select_related("delegation"):
            if invitation.accepted_at or invitation_errors(delegation=invitation.delegation, email=invitation.email):
                continue
            liaison_invite(
                delegation=invitation.delegation, email=invitation.email, name=invitation.name, by=request.user
            )
            sent += 1
        self.message_user(
            request,
            ngettext(
                "Sent %(count)s new invitation(s); accepted ones and those no longer valid were skipped.",
                "Sent %(count)s new invitation(s); accepted ones and those no longer valid were skipped.",
                sent,
            )
            % {"count": sent},
        )

    @admin.action(description=gettext_lazy("Withdraw (the link stops working)"), permissions=["change"])
    def revoke(self, request, queryset):
        withdrawn = 0
        for invitation in queryset:
            if invitation.status == "pending":
                invitation_revoke(invitation=invitation, by=request.user)
                withdrawn += 1
        self.message_user(
            request,
            ngettext(
                "Withdrew %(count)s pending invitation(s).", "Withdrew %(count)s pending invitation(s).", withdrawn
            )
            % {"count": withdrawn},
        )


@admin.register(ZoneRule)
class ZoneRuleAdmin(AuditedModelAdmin):
    """The category → zones map that approval applies to accreditations without hand-chosen zones."""

    list_display = ("category", "event_or_all", "zone_codes")
    list_filter = ("event", "category")
    filter_horizontal = ("zones",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event").prefetch_related("zones")

    @admin.display(description=gettext_lazy("event"), ordering="event")
    def event_or_all(self, rule: ZoneRule) -> str:
        return str(rule.event) if rule.event else _("All events (unless the event has its own rule)")

    @admin.display(description=gettext_lazy("zones"))
    def zone_codes(self, rule: ZoneRule) -> str:
        return ", ".join(zone.code for zone in rule.zones.all()) or _("none")
