"""The liaison portal's forms: fields and widgets from the models, validation by the domain.

Each form only parses what the browser sent (types, required fields, choices). The view passes the result
to the domain write function, which runs the one set of rules the admin and the API use too; what it
refuses comes back onto the form's fields (`portal.common.attach_errors`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asemplanner.choices import LIAISON_CATEGORIES
from asemplanner.forms import form_field
from asemplanner.i18n import local_date, local_digits
from delegations.models import Delegation, Person, Travel
from events.models import Event, Venue


class DomainModelForm(forms.ModelForm):
    """A ModelForm whose model validation is left to the domain function the view calls (so a rule, and its
    message, lives in one place and a refused change is refused before anything is written)."""

    def _post_clean(self) -> None:
        return None


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class WriteOnlyInput(forms.TextInput):
    """Never renders a value: not the one on file, not the one just typed into a form that came back with
    errors. Passport data goes from the browser to the server only."""

    def format_value(self, value):
        return None


class WriteOnlyDateInput(DateInput):
    def format_value(self, value):
        return None


class PersonForm(DomainModelForm):
    """A member. Passport data is write-only here: once on file it is never shown again, only replaced."""

    class Meta:
        model = Person
        fields = [
            "honorific",
            "given_name",
            "family_name",
            "native_name",
            "function",
            "rank",
            "category",
            "nationality",
            "email",
            "phone",
            "languages",
            "passport_number",
            "passport_expiry",
            "date_of_birth",
        ]
        widgets = {
            "passport_number": WriteOnlyInput({"autocomplete": "off"}),
            "passport_expiry": WriteOnlyDateInput(),
            "date_of_birth": WriteOnlyDateInput(),
            "phone": forms.TextInput({"type": "tel"}),
        }
        labels = {
            "given_name": gettext_lazy("Given name(s)"),
            "family_name": gettext_lazy("Family name"),
            "languages": gettext_lazy("Interpretation needs"),
        }
        help_texts = {
            "nationality": gettext_lazy("Three capital letters (ISO 3166), e.g. FRA, KHM."),
            "category": gettext_lazy("Decides the badge and where it admits its holder."),
            "passport_number": gettext_lazy(
                "As printed in the passport. Only the security and accreditation offices see it."
            ),
        }

    SENSITIVE = Person.SENSITIVE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_field(self.fields, "category", forms.ChoiceField).choices = LIAISON_CATEGORIES
        self.fields["nationality"].widget.attrs.update({"autocapitalize": "characters", "maxlength": 3})
        for name in ("given_name", "family_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        stored = self.instance.pk is not None
        for name in self.SENSITIVE:
            self.initial[name] = None  # never sent back to the browser
            if stored and getattr(self.instance, name):
                self.fields[name].help_text = _("On file. Leave empty to keep it, or enter a new value to replace it.")
                self.fields[name].widget.attrs["placeholder"] = _("On file")

    def _keep(self, name: str):
        value = self.cleaned_data.get(name)
        if value in (None, "") and self.instance.pk is not None:
            return getattr(self.instance, name)
        return value

    def clean_passport_number(self):
        return (self._keep("passport_number") or "").strip().upper()

    def clean_passport_expiry(self):
        return self._keep("passport_expiry")

    def clean_date_of_birth(self):
        return self._keep("date_of_birth")

    def clean_nationality(self):
        return (self.cleaned_data.get("nationality") or "").strip().upper()


class HeadForm(forms.Form):
    head = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        label=gettext_lazy("Head of delegation"),
        empty_label=gettext_lazy("Choose a member"),
    )

    def __init__(self, *args, delegation: Delegation, **kwargs):
        super().__init__(*args, **kwargs)
        head = form_field(self.fields, "head", forms.ModelChoiceField)
        head.queryset = Person.objects.filter(delegation=delegation).order_by("rank", "family_name")
        head.initial = delegation.head_id


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=gettext_lazy("Photo"),
        help_text=gettext_lazy(
            "A recent passport-style photo, JPEG or PNG, at most 5 MB and at least 240 × 320 pixels. "
            "It is checked and re-saved without its metadata (such as location)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """The planner's own zone first, then UTC and every zone of Europe, Asia and Oceania, by name."""
    regions = ("Europe/", "Asia/", "Australia/", "Pacific/Auckland")
    names = sorted(z for z in zoneinfo.available_timezones() if z.startswith(regions))
    first = settings.TIME_ZONE
    city = first.split("/")[-1].replace("_", " ")
    # Lazy: the list is cached once per process, the label is read in each request's language.
    own = lazy(lambda: _("%(city)s time (%(zone)s)") % {"city": city, "zone": first}, str)()
    return [(first, own), ("UTC", "UTC")] + [(name, name.replace("_", " ")) for name in names if name != first]


class LocalDateTimeField(forms.DateTimeField):
    """A date and time as typed, without a zone yet: the form applies the zone chosen beside it."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value):
        value = super().to_python(value)
        return timezone.make_naive(value) if value is not None and timezone.is_aware(value) else value

    def prepare_value(self, value):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value


class TravelForm(DomainModelForm):
    arrival_at = LocalDateTimeField(label=gettext_lazy("Arrival (date and time)"), required=False)
    arrival_zone = forms.ChoiceField(label=gettext_lazy("Time zone of the arrival time"), choices=(), required=False)
    departure_at = LocalDateTimeField(label=gettext_lazy("Departure (date and time)"), required=False)
    departure_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone of the departure time"), choices=(), required=False
    )
    also_for = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Same flights and hotel for"),
        help_text=gettext_lazy("Members travelling together: their travel is set to the same."),
    )

    class Meta:
        model = Travel
        fields = [
            "arrival_flight",
            "arrival_at",
            "arrival_zone",
            "arrival_airport",
            "departure_flight",
            "departure_at",
            "departure_zone",
            "departure_airport",
            "hotel",
            "also_for",
        ]
        labels = {
            "arrival_flight": gettext_lazy("Arrival flight"),
            "departure_flight": gettext_lazy("Departure flight"),
        }
        help_texts = {"arrival_flight": gettext_lazy("e.g. PG931"), "departure_flight": gettext_lazy("e.g. PG932")}

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("arrival_zone", "departure_zone"):
            form_field(self.fields, name, forms.ChoiceField).choices = time_zone_choices()
            self.fields[name].initial = settings.TIME_ZONE
        for name, kind in (
            ("arrival_airport", Venue.Kind.AIRPORT),
            ("departure_airport", Venue.Kind.AIRPORT),
            ("hotel", Venue.Kind.HOTEL),
        ):
            form_field(self.fields, name, forms.ModelChoiceField).queryset = Venue.objects.filter(kind=kind)
        also_for = form_field(self.fields, "also_for", forms.ModelMultipleChoiceField)
        also_for.queryset = (
            Person.objects.filter(delegation_id=person.delegation_id).exclude(pk=person.pk).order_by("family_name")
        )
        for name in ("arrival_flight", "departure_flight"):
            self.fields[name].widget.attrs["autocapitalize"] = "characters"

    def clean_arrival_flight(self):
        return (self.cleaned_data.get("arrival_flight") or "").strip().upper()

    def clean_departure_flight(self):
        return (self.cleaned_data.get("departure_flight") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("arrival", "departure"):
            value, zone = data.get(f"{name}_at"), data.get(f"{name}_zone") or settings.TIME_ZONE
            if value is None:
                continue
            tz = zoneinfo.ZoneInfo(zone)
            aware = value.replace(tzinfo=tz)
            if aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != value:
                self.add_error(
                    f"{name}_at",
                    _(
                        "%(time)s on %(date)s does not exist in %(zone)s: the clocks go forward then. "
                        "Check the time, or the time zone."
                    )
                    % {"time": f"{value:%H:%M}", "date": date_format(value, "d M Y"), "zone": zone},
                )
            elif value.replace(tzinfo=tz, fold=1).utcoffset() != aware.utcoffset():
                self.add_error(
                    f"{name}_at",
                    _(
                        "%(time)s on %(date)s happens twice in %(zone)s: the clocks go back then. Enter it "
                        "in UTC, or in Phnom Penh time."
                    )
                    % {"time": f"{value:%H:%M}", "date": date_format(value, "d M Y"), "zone": zone},
                )
            else:
                data[f"{name}_at"] = aware
        return data

    TRAVEL_FIELDS = ("arrival_flight", "arrival_at", "arrival_airport", "departure_flight", "departure_at",
                     "departure_airport", "hotel")  # fmt: skip

    def travel_fields(self) -> dict:
        """What `travel_set` takes: the model's fields, times made aware in the chosen zones."""
        return {name: self.cleaned_data.get(name) for name in self.TRAVEL_FIELDS}


class EventChoiceField(forms.ModelChoiceField):
    """Events listed by acronym and name."""

    def label_from_instance(self, obj: Event) -> str:
        return f"{obj.acronym} — {obj.name}"


class AccreditationRequestForm(forms.Form):
    people = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Members")
    )
    event = EventChoiceField(
        queryset=Event.objects.none(), label=gettext_lazy("Event"), empty_label=gettext_lazy("Choose an event")
    )
    category = forms.ChoiceField(
        choices=[("", gettext_lazy("Each member's own category")), *LIAISON_CATEGORIES],
        required=False,
        label=gettext_lazy("Category"),
    )

    def __init__(self, *args, delegation: Delegation, **kwargs):
        super().__init__(*args, **kwargs)
        people = form_field(self.fields, "people", forms.ModelMultipleChoiceField)
        people.queryset = Person.objects.filter(delegation=delegation).order_by("family_name")
        home = delegation.event  # its own event and, for a summit's delegation, the side events (Accreditation.clean)
        form_field(self.fields, "event", forms.ModelChoiceField).queryset = (
            Event.objects.filter(Q(pk=home.pk) | Q(parent=home))
            .exclude(status=Event.Status.CANCELLED)
            .order_by("start_date")
        )


class DelegationChoiceField(forms.ModelChoiceField):
    """Delegations listed by their partner's name."""

    def label_from_instance(self, obj: Delegation) -> str:
        return obj.partner.name  # the queryset selects the partner


class BilateralRequestForm(forms.Form):
    DURATIONS = [(15, gettext_lazy("15 minutes")), (20, gettext_lazy("20 minutes")), (30, gettext_lazy("30 minutes")),
                 (45, gettext_lazy("45 minutes")), (60, gettext_lazy("1 hour")),
                 (90, gettext_lazy("1 hour 30 minutes"))]  # fmt: skip
    PRIORITIES = [(5, gettext_lazy("5 — essential")), (4, gettext_lazy("4 — high")), (3, gettext_lazy("3 — normal")),
                  (2, gettext_lazy("2 — low")), (1, gettext_lazy("1 — if time allows"))]  # fmt: skip

    counterpart = DelegationChoiceField(
        queryset=Delegation.objects.none(),
        label=gettext_lazy("Meet with"),
        empty_label=gettext_lazy("Choose a delegation"),
    )
    duration = forms.TypedChoiceField(choices=DURATIONS, coerce=int, initial=30, label=gettext_lazy("Duration"))
    priority = forms.TypedChoiceField(
        choices=PRIORITIES, coerce=int, initial=3, label=gettext_lazy("Priority for your delegation")
    )
    subject = forms.CharField(
        max_length=300, required=False, label=gettext_lazy("Subject"), help_text=gettext_lazy("e.g. Trade and climate")
    )

    WINDOWS = 3

    def __init__(self, *args, delegation: Delegation, **kwargs):
        super().__init__(*args, **kwargs)
        self.delegation = delegation
        form_field(self.fields, "counterpart", forms.ModelChoiceField).queryset = (
            Delegation.objects.filter(event_id=delegation.event_id)
            .exclude(pk=delegation.pk)
            .exclude(status=Delegation.Status.DECLINED)
            .select_related("partner")
            .order_by("partner__name")
        )
        event = delegation.event
        days = [event.start_date + dt.timedelta(days=n) for n in range((event.end_date - event.start_date).days + 1)]
        day_choices = [("", "—")] + [(d.isoformat(), local_date(d, "D j M Y")) for d in days]
        for n in range(1, self.WINDOWS + 1):
            self.fields[f"window{n}_day"] = forms.ChoiceField(choices=day_choices, required=False, label=_("Day"))
            self.fields[f"window{n}_from"] = forms.TimeField(
                required=False, label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            )
            self.fields[f"window{n}_to"] = forms.TimeField(
                required=False, label=_("To"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            )

    def window_groups(self):
        return [
            (n, self[f"window{n}_day"], self[f"window{n}_from"], self[f"window{n}_to"])
            for n in range(1, self.WINDOWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        windows = []
        tz = timezone.get_current_timezone()
        for n in range(1, self.WINDOWS + 1):
            day, start, end = data.get(f"window{n}_day"), data.get(f"window{n}_from"), data.get(f"window{n}_to")
            if not (day or start or end):
                continue
            if not (day and start and end):
                self.add_error(
                    f"window{n}_day",
                    _("Preferred window %(n)s: give the day, a from time and a to time.") % {"n": local_digits(n)},
                )
                continue
            date = dt.date.fromisoformat(day)
            windows.append((dt.datetime.combine(date, start, tzinfo=tz), dt.datetime.combine(date, end, tzinfo=tz)))
        data["windows"] = windows
        return data
