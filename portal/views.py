"""The liaison portal's pages: one delegation at a time, reached only through `access_delegation`."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from asemplanner.i18n import local_date, local_digits
from delegations.domain.access import access_accreditation, access_person, liaison_delegations
from delegations.domain.delegations import (
    accreditation_withdraw,
    accreditations_request,
    delegation_set_head,
    person_add,
    person_remove,
    person_update,
    travel_set_party,
)
from delegations.domain.photos import person_set_photo, photo_response
from delegations.domain.readiness import readiness_for_delegations
from delegations.models import Accreditation, Person, Travel
from planning.domain.programme import programme_for, programme_ics
from planning.domain.run_of_show import run_of_show, run_of_show_days, run_of_show_pdf
from portal.common import FORM, WRITE, attach_errors, delegation_view, page
from portal.forms import AccreditationRequestForm, BilateralRequestForm, HeadForm, PersonForm, PhotoForm, TravelForm
from portal.ratelimit import write_limit
from protocol.domain.access import access_bilateral
from protocol.domain.bilaterals import bilateral_accept, bilateral_cancel, bilateral_decline, bilateral_request
from protocol.models import BilateralMeeting
from reminders.domain.inbox import checklist_for


@login_required
@require_http_methods(["GET", "HEAD"])
def home(request):
    """The liaison's delegations, each with how ready it is; straight to the one when there is one."""
    delegations = list(liaison_delegations(request.user).select_related("partner", "event"))
    if len(delegations) == 1:
        return redirect("portal:dashboard", delegations[0].pk)
    readiness = readiness_for_delegations({d.pk for d in delegations})
    rows = [(d, readiness[d.pk]) for d in delegations]
    return render(request, "portal/home.html", {"rows": rows})


@delegation_view(section="dashboard")
def dashboard(request, delegation):
    checklist = checklist_for(delegation)
    incoming = BilateralMeeting.objects.filter(counterpart=delegation, status=BilateralMeeting.Status.REQUESTED).count()
    return page(request, "portal/dashboard.html", delegation, checklist=checklist, incoming=incoming)


# --- Members --------------------------------------------------------------------------------------
@delegation_view(section="members")
def members(request, delegation):
    people = list(
        Person.objects.filter(delegation=delegation)
        .select_related("travel__hotel")
        .order_by("rank", "family_name", "given_name")
    )
    return page(
        request,
        "portal/members.html",
        delegation,
        people=people,
        head_form=HeadForm(delegation=delegation),
        places_left=max(delegation.quota - len(people), 0),
    )


@write_limit
@delegation_view(WRITE, section="members")
def set_head(request, delegation):
    form = HeadForm(request.POST, delegation=delegation)
    if form.is_valid():
        try:
            delegation_set_head(delegation=delegation, person=form.cleaned_data["head"], by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(person)s now leads the delegation.") % {"person": form.cleaned_data["head"]})
    else:
        messages.error(request, _("Choose one of the delegation's members as head of delegation."))
    return redirect("portal:members", delegation.pk)


@write_limit
@sensitive_post_parameters(*Person.SENSITIVE_FIELDS)  # never in an error report
@delegation_view(FORM, section="members")
def member_add(request, delegation):
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = person_add(delegation=delegation, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("%(person)s was added. Next: a photo for the badge.") % {"person": person})
            return redirect("portal:member_photo", delegation.pk, person.pk)
    return page(request, "portal/member_form.html", delegation, form=form, person=None)


@write_limit
@sensitive_post_parameters(*Person.SENSITIVE_FIELDS)
@delegation_view(FORM, section="members")
def member_edit(request, delegation, person_id):
    person = access_person(delegation, person_id)
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            person_update(person=person, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            person.refresh_from_db()
            attach_errors(form, exc)
        else:
            messages.success(request, _("Saved the changes to %(person)s.") % {"person": person})
            return redirect("portal:members", delegation.pk)
    return page(request, "portal/member_form.html", delegation, form=form, person=person)


@write_limit
@delegation_view(FORM, section="members")
def member_remove(request, delegation, person_id):
    person = access_person(delegation, person_id)
    if request.method == "POST":
        try:
            person_remove(person=person, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("portal:member_edit", delegation.pk, person.pk)
        messages.success(request, _("%(person)s is no longer a member of the delegation.") % {"person": person})
        return redirect("portal:members", delegation.pk)
    return page(request, "portal/member_remove.html", delegation, person=person)


@write_limit
@delegation_view(FORM, section="members")
def member_photo(request, delegation, person_id):
    person = access_person(delegation, person_id)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            person_set_photo(person=person, upload=form.cleaned_data["photo"], by=request.user)
        except ValidationError as exc:
            person.refresh_from_db()
            attach_errors(form, exc)
        else:
            messages.success(request, _("The photo of %(person)s was saved.") % {"person": person})
            return redirect("portal:members", delegation.pk)
    return page(request, "portal/member_photo.html", delegation, form=form, person=person)


@delegation_view(section="members")
def member_photo_file(request, delegation, person_id):
    """The stored (already re-encoded) photo, to the delegation's liaisons only; never cached by proxies."""
    person = access_person(delegation, person_id)
    return photo_response(person)


@write_limit
@delegation_view(FORM, section="members")
def member_travel(request, delegation, person_id):
    person = access_person(delegation, person_id)
    travel = getattr(person, "travel", None) or Travel(person=person)  # read with the member by access_person
    form = TravelForm(request.POST or None, instance=travel, person=person)
    if request.method == "POST" and form.is_valid():
        companions = list(form.cleaned_data["also_for"])
        try:
            travel_set_party(people=[person, *companions], by=request.user, **form.travel_fields())
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if companions:
                text = _("Travel saved for %(person)s and %(more)s more.")
            else:
                text = _("Travel saved for %(person)s.")
            messages.success(request, text % {"person": person, "more": local_digits(len(companions))})
            return redirect("portal:members", delegation.pk)
    return page(request, "portal/member_travel.html", delegation, form=form, person=person)


# --- Accreditations -------------------------------------------------------------------------------
@write_limit
@delegation_view(FORM, section="accreditations")
def accreditations(request, delegation):
    form = AccreditationRequestForm(request.POST or None, delegation=delegation)
    if request.method == "POST" and form.is_valid():
        event, people = form.cleaned_data["event"], form.cleaned_data["people"]
        try:
            accreditations_request(people=people, event=event, category=form.cleaned_data["category"], by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Requested %(count)s accreditation(s) for %(event)s. The accreditation office approves them.")
                % {"count": local_digits(len(people)), "event": event},
            )
            return redirect("portal:accreditations", delegation.pk)
    rows = (
        Accreditation.objects.filter(person__delegation=delegation)
        .select_related("person", "event")
        .order_by("person__family_name", "person__given_name", "event__start_date")
    )
    return page(request, "portal/accreditations.html", delegation, form=form, accreditations=rows)


@write_limit
@delegation_view(WRITE, section="accreditations")
def accreditation_withdraw_view(request, delegation, accreditation_id):
    accreditation = access_accreditation(delegation, accreditation_id)
    try:
        accreditation_withdraw(accreditation=accreditation, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Withdrew the request for %(person)s at %(event)s.")
            % {"person": accreditation.person, "event": accreditation.event},
        )
    return redirect("portal:accreditations", delegation.pk)


# --- Bilaterals -----------------------------------------------------------------------------------
@delegation_view(section="bilaterals")
def bilaterals(request, delegation):
    meetings = list(
        BilateralMeeting.objects.filter(Q(requester=delegation) | Q(counterpart=delegation))
        .select_related("requester__partner", "counterpart__partner", "room__venue", "event")
        .prefetch_related("windows")
        .order_by("start", "-priority", "requested_at")
    )
    status = BilateralMeeting.Status
    incoming = [m for m in meetings if m.counterpart_id == delegation.pk and m.status == status.REQUESTED]
    outgoing = [m for m in meetings if m.requester_id == delegation.pk and m.status == status.REQUESTED]
    accepted = [m for m in meetings if m.status == status.ACCEPTED]
    scheduled = [m for m in meetings if m.status in BilateralMeeting.PLACED]
    closed = [m for m in meetings if m.status in (status.DECLINED, status.CANCELLED)]
    return page(
        request,
        "portal/bilaterals.html",
        delegation,
        incoming=incoming,
        outgoing=outgoing,
        accepted=accepted,
        scheduled=scheduled,
        closed=closed,
    )


@write_limit
@delegation_view(FORM, section="bilaterals")
def bilateral_new(request, delegation):
    form = BilateralRequestForm(request.POST or None, delegation=delegation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = bilateral_request(
                requester=delegation,
                counterpart=data["counterpart"],
                duration=data["duration"],
                priority=data["priority"],
                subject=data["subject"],
                windows=data["windows"],
                by=request.user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("Requested a bilateral with %(partner)s. Their liaison officers have been told.")
                % {"partner": meeting.counterpart.partner},
            )
            return redirect("portal:bilaterals", delegation.pk)
    return page(request, "portal/bilateral_form.html", delegation, form=form)


def _bilateral_action(request, delegation, bilateral_id, act, done: str):
    """`done` is the whole success sentence with a %(partner)s placeholder (translated by the caller)."""
    meeting = access_bilateral(delegation, bilateral_id)
    try:
        act(meeting)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        other = meeting.counterpart if meeting.requester_id == delegation.pk else meeting.requester
        messages.success(request, done % {"partner": other.partner})
    return redirect("portal:bilaterals", delegation.pk)


@write_limit
@delegation_view(WRITE, section="bilaterals")
def bilateral_accept_view(request, delegation, bilateral_id):
    def act(meeting):
        bilateral_accept(meeting=meeting, delegation=delegation, by=request.user)

    return _bilateral_action(request, delegation, bilateral_id, act, _("Accepted the bilateral with %(partner)s."))


@write_limit
@delegation_view(WRITE, section="bilaterals")
def bilateral_decline_view(request, delegation, bilateral_id):
    def act(meeting):
        bilateral_decline(meeting=meeting, delegation=delegation, by=request.user)

    return _bilateral_action(request, delegation, bilateral_id, act, _("Declined the bilateral with %(partner)s."))


@write_limit
@delegation_view(WRITE, section="bilaterals")
def bilateral_cancel_view(request, delegation, bilateral_id):
    def act(meeting):
        bilateral_cancel(meeting=meeting, delegation=delegation, by=request.user)

    return _bilateral_action(request, delegation, bilateral_id, act, _("Called off the bilateral with %(partner)s."))


# --- Programme ------------------------------------------------------------------------------------
@delegation_view(section="programme")
def programme(request, delegation):
    items = programme_for(delegation)
    days = [(day, list(entries)) for day, entries in groupby(items, key=lambda item: item.day)]
    people = Person.objects.filter(delegation=delegation).order_by("rank", "family_name")
    return page(request, "portal/programme.html", delegation, days=days, people=people, head=delegation.head)


@delegation_view(section="programme")
def run_of_show_view(request, delegation):
    """The head of delegation's run-of-show for one day (`?day=YYYY-MM-DD`), as a PDF: only ever this
    delegation's own head (another delegation's is a 404 by the access check)."""
    head = delegation.head
    if head is None:
        messages.error(request, _("Your delegation has no head of delegation yet: choose one under Members first."))
        return redirect("portal:programme", delegation_id=delegation.pk)
    first, last = run_of_show_days(delegation)
    raw = request.GET.get("day", "").strip()
    try:
        day = dt.date.fromisoformat(raw) if raw else first
    except ValueError:
        day = None
    if day is None or not first <= day <= last:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        messages.error(
            request,
            _(
                "“%(shown)s” is not a day of the run-of-show: give a date from %(first)s to %(last)s as "
                "YYYY-MM-DD, e.g. %(example)s."
            )
            % {
                "shown": shown,
                "first": local_date(first, "d M"),
                "last": local_date(last, "d M Y"),
                "example": first.isoformat(),
            },
        )
        return redirect("portal:programme", delegation_id=delegation.pk)
    response = HttpResponse(run_of_show_pdf(run_of_show(person=head, day=day)), content_type="application/pdf")
    filename = slugify(f"run-of-show-{head.full_name}-{day.isoformat()}")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _calendar(items, *, name: str, filename: str) -> HttpResponse:
    response = HttpResponse(programme_ics(items, name=name), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@delegation_view(section="programme")
def programme_calendar(request, delegation):
    name = _("%(event)s programme — %(who)s") % {"event": delegation.event, "who": delegation.partner}
    filename = slugify(f"{delegation.event}-{delegation.partner.code}-programme")
    return _calendar(programme_for(delegation), name=name, filename=filename)


@delegation_view(section="programme")
def member_calendar(request, delegation, person_id):
    person = access_person(delegation, person_id)
    name = _("%(event)s programme — %(who)s") % {"event": delegation.event, "who": person.full_name}
    filename = slugify(f"{delegation.event}-{person.full_name}-programme")
    return _calendar(programme_for(delegation, person=person), name=name, filename=filename)
