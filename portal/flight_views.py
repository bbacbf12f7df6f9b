"""On the day, a liaison marks their own delegation's flights: an arrival delayed (with the new time), landed or at
the hotel, a departure delayed or departed. The same domain function as the staff's flights page
(`delegations.domain.flights.flight_status_set`): everyone of the delegation on that flight is marked together,
and nobody of another delegation (their party never reaches across delegations)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asemplanner.i18n import local_digits
from asemplanner.timeranges import fmt
from delegations.domain.access import access_person
from delegations.domain.flights import STATUSES, flight_status_set
from portal.common import WRITE, attach_errors, delegation_view, page
from portal.forms import LocalDateTimeField, TravelForm
from portal.ratelimit import write_limit

# What a liaison may report; putting a flight back on schedule is the staff's (they see the airport's list).
LIAISON_STATUSES = {"arrival": ("delayed", "landed", "at_hotel"), "departure": ("delayed", "departed")}


class FlightStatusForm(forms.Form):
    leg = forms.ChoiceField(
        choices=[("arrival", gettext_lazy("Arrival")), ("departure", gettext_lazy("Departure"))],
        widget=forms.HiddenInput,
    )
    status = forms.ChoiceField(
        choices=sorted({*STATUSES["arrival"].items(), *STATUSES["departure"].items()}),
        error_messages={"invalid_choice": gettext_lazy("‘%(value)s’ is not a flight status; use the buttons.")},
    )
    at = LocalDateTimeField(
        label=gettext_lazy("Time (Phnom Penh)"),
        required=False,
        help_text=gettext_lazy("Delayed: the expected time. Landed or departed: the actual time (now if left empty)."),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        leg, status = data.get("leg"), data.get("status")
        if leg and status and status not in LIAISON_STATUSES[leg]:
            allowed = ", ".join(str(STATUSES[leg][s]).lower() for s in LIAISON_STATUSES[leg])
            if leg == "arrival":
                refusal = _("A liaison marks an arrival %(allowed)s.")
            else:
                refusal = _("A liaison marks a departure %(allowed)s.")
            self.add_error("status", refusal % {"allowed": allowed})
        if data.get("at") is not None:
            data["at"] = timezone.make_aware(data["at"])  # the airport's time: Phnom Penh, the planner's zone
        return data


@write_limit
@delegation_view(WRITE, section="members")
def member_flight(request, delegation, person_id):
    person = access_person(delegation, person_id)
    travel = getattr(person, "travel", None)
    form = FlightStatusForm(request.POST)
    if travel is None:
        messages.error(request, _("No travel is on file for %(person)s: save the flights first.") % {"person": person})
        return redirect("portal:member_travel", delegation.pk, person.pk)
    if form.is_valid():
        leg, status = form.cleaned_data["leg"], form.cleaned_data["status"]
        try:
            party = flight_status_set(
                travel=travel, leg=leg, status=status, at=form.cleaned_data["at"], by=request.user
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            first = party[0]
            at = first.arrival_at if leg == "arrival" else first.departure_at
            marked = str(STATUSES[leg][status]).lower()
            if at and status != "at_hotel":
                marked += f" ({local_digits(fmt(at))})"
            values = {"person": person, "more": local_digits(len(party) - 1), "marked": marked}
            if len(party) > 1 and leg == "arrival":
                text = _("%(person)s and %(more)s more on the same flight: arrival %(marked)s. Protocol sees it now.")
            elif len(party) > 1:
                text = _("%(person)s and %(more)s more on the same flight: departure %(marked)s. Protocol sees it now.")
            elif leg == "arrival":
                text = _("%(person)s: arrival %(marked)s. Protocol sees it now.")
            else:
                text = _("%(person)s: departure %(marked)s. Protocol sees it now.")
            messages.success(request, text % values)
            return redirect("portal:member_travel", delegation.pk, person.pk)
    return page(
        request,
        "portal/member_travel.html",
        delegation,
        form=TravelForm(instance=travel, person=person),
        person=person,
        flight_form=form,
        flight_leg=request.POST.get("leg", ""),
    )
