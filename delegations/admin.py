from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count

from asemplanner.admin import AuditedModelAdmin
from asemplanner.roles import SENSITIVE_PERMISSION
from delegations.domain.delegations import accreditations_approve
from delegations.models import Accreditation, Delegation, Partner, Person, Travel
from events.admin import ConflictsOnPageMixin


@admin.register(Partner)
class PartnerAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "kind", "region", "joined_year", "joined_at_summit")
    list_filter = ("kind", "region", "joined_at_summit")
    search_fields = ("name", "code")


class PersonInline(admin.TabularInline):
    model = Person
    fields = ("honorific", "given_name", "family_name", "function", "rank", "category")
    extra = 0
    show_change_link = True


@admin.register(Delegation)
class DelegationAdmin(AuditedModelAdmin):
    list_display = ("partner", "event", "head", "status", "n_members", "quota")
    list_filter = ("event", "status", "partner__region", "partner__kind")
    search_fields = ("partner__name", "partner__code", "event__acronym")
    autocomplete_fields = ("partner", "event", "head", "liaisons")
    list_select_related = ("partner", "event", "head")
    inlines = [PersonInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_n_members=Count("members"))

    @admin.display(description="members", ordering="_n_members")
    def n_members(self, delegation: Delegation) -> int:
        return delegation._n_members

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "head" in form.base_fields:
            # Only this delegation's members can lead it.
            form.base_fields["head"].queryset = Person.objects.filter(delegation=obj)
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


@admin.register(Person)
class PersonAdmin(ConflictsOnPageMixin, AuditedModelAdmin):
    conflict_resource = "person"
    list_display = ("__str__", "function", "delegation", "rank", "category", "has_photo")
    list_filter = ("category", "rank", "delegation__event", "delegation__partner__region")
    search_fields = ("given_name", "family_name", "function", "delegation__partner__name", "email")
    autocomplete_fields = ("delegation",)
    list_select_related = ("delegation__partner", "delegation__event")
    inlines = [TravelInline, AccreditationInline]
    fieldsets = [
        (
            None,
            {"fields": ("delegation", ("honorific", "given_name", "family_name"), "function", ("rank", "category"))},
        ),
        ("Contact and needs", {"fields": ("nationality", "email", "phone", "languages", "photo")}),
        ("Sensitive (security and accreditation only)", {"fields": Person.SENSITIVE_FIELDS}),
    ]

    @admin.display(description="photo", boolean=True)
    def has_photo(self, person: Person) -> bool:
        return bool(person.photo)

    @staticmethod
    def may_see_sensitive(request) -> bool:
        return request.user.has_perm(SENSITIVE_PERMISSION)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.may_see_sensitive(request):
            return fieldsets
        return [(name, opts) for name, opts in fieldsets if not set(opts["fields"]) & set(Person.SENSITIVE_FIELDS)]

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

    @admin.display(description="delegation", ordering="person__delegation__partner__name")
    def delegation(self, accreditation: Accreditation) -> str:
        return str(accreditation.person.delegation.partner)

    @admin.action(description="Approve selected accreditations (assigns badge numbers)", permissions=["change"])
    def approve_selected(self, request, queryset):
        selected = queryset.count()
        approved = accreditations_approve(queryset=queryset, by=request.user)
        self.message_user(request, f"Approved {approved} accreditation(s).", messages.SUCCESS)
        if approved < selected:
            self.message_user(
                request,
                f"{selected - approved} selected accreditation(s) were not in 'requested' status "
                "and were left unchanged.",
                messages.WARNING,
            )
