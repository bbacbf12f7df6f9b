"""The business forum in the liaison portal: the delegation's participants (and their availability), the
directory of the forum's other participants (no contact details), meeting requests sent and received, and after
publication each participant's agenda (page, PDF, ICS). Every object is reached through matchmaking's `access_*`
lookups from the liaison's own delegation: another delegation's participant or request is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.utils.translation import gettext as _

from matchmaking.domain.access import (
    access_counterpart,
    access_forum,
    access_incoming_request,
    access_outgoing_request,
    access_participant,
    forums_for,
)
from matchmaking.domain.agendas import agenda_ics, agenda_pdf, agendas_for
from matchmaking.domain.forum import (
    meeting_request_answer,
    meeting_request_send,
    meeting_request_withdraw,
    participant_add,
    participant_set_unavailable,
    participant_update,
)
from matchmaking.models import ForumMeeting, MeetingRequest, Participant
from portal.common import FORM, WRITE, attach_errors, delegation_view, page
from portal.forum_forms import MeetingRequestForm, ParticipantForm
from portal.ratelimit import write_limit

SECTION = "forum"


@delegation_view(section=SECTION)
def forum(request, delegation):
    """The delegation's participants, the requests they sent and received, and whether agendas are out."""
    participants = list(
        Participant.objects.filter(delegation=delegation).select_related("event").order_by("event", "organisation")
    )
    requests = list(
        MeetingRequest.objects.filter(Q(sender__delegation=delegation) | Q(receiver__delegation=delegation))
        .select_related("sender", "receiver")
        .order_by("-created_at")
    )
    mine = {p.pk for p in participants}
    incoming = [r for r in requests if r.receiver_id in mine and r.status == MeetingRequest.Status.REQUESTED]
    outgoing = [r for r in requests if r.sender_id in mine and r.status == MeetingRequest.Status.REQUESTED]
    agreed = [r for r in requests if r.status == MeetingRequest.Status.ACCEPTED]
    closed = [r for r in requests if r.status in (MeetingRequest.Status.DECLINED, MeetingRequest.Status.WITHDRAWN)]
    published = ForumMeeting.objects.filter(
        Q(first__delegation=delegation) | Q(second__delegation=delegation), status=ForumMeeting.Status.PUBLISHED
    ).exists()
    return page(
        request,
        "portal/forum.html",
        delegation,
        participants=participants,
        forums=list(forums_for(delegation)),
        incoming=incoming,
        outgoing=outgoing,
        agreed=agreed,
        closed=closed,
        mine=mine,
        published=published,
    )


@write_limit
@delegation_view(FORM, section=SECTION)
def participant_new(request, delegation):
    """`?forum=<event pk>` chooses the forum when the delegation has more than one (the only one otherwise)."""
    forums = list(forums_for(delegation)[:2])
    chosen = request.GET.get("forum")
    event = access_forum(delegation, chosen) if chosen or len(forums) != 1 else forums[0]
    form = ParticipantForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unavailable = data.pop("unavailable")
        try:
            participant = participant_add(event=event, delegation=delegation, by=request.user, **data)
            participant_set_unavailable(participant=participant, slots=unavailable, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("%(participant)s takes part in the forum.") % {"participant": participant})
            return redirect("portal:forum", delegation.pk)
    return page(request, "portal/forum_participant_form.html", delegation, form=form, participant=None, event=event)


@write_limit
@delegation_view(FORM, section=SECTION)
def participant_edit(request, delegation, participant_id):
    participant = access_participant(delegation, participant_id)
    form = ParticipantForm(request.POST or None, instance=participant, event=participant.event)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unavailable = data.pop("unavailable")
        try:
            participant_update(participant=participant, by=request.user, **data)
            participant_set_unavailable(participant=participant, slots=unavailable, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, _("%(participant)s was saved.") % {"participant": participant})
            return redirect("portal:forum", delegation.pk)
    return page(
        request,
        "portal/forum_participant_form.html",
        delegation,
        form=form,
        participant=participant,
        event=participant.event,
    )


@delegation_view(section=SECTION)
def directory(request, delegation, participant_id):
    """The forum's other active participants, from the point of view of one of ours: organisation, sector,
    profile (no contact details), and whether a request already goes either way."""
    participant = access_participant(delegation, participant_id)
    sector = request.GET.get("sector", "").strip()
    others = Participant.objects.filter(event=participant.event, active=True).exclude(pk=participant.pk)
    if sector:
        others = others.filter(sector__iexact=sector)
    others = others.select_related("delegation__partner").only(
        "pk",
        "kind",
        "organisation",
        "name",
        "sector",
        "profile",
        "delegation__partner__name",
        "delegation__partner__code",
    )
    sent = dict(MeetingRequest.objects.filter(sender=participant).values_list("receiver_id", "status"))
    received = dict(MeetingRequest.objects.filter(receiver=participant).values_list("sender_id", "status"))
    sectors = (
        Participant.objects.filter(event=participant.event, active=True)
        .exclude(sector="")
        .values_list("sector", flat=True)
        .distinct()
        .order_by("sector")
    )
    rows = [(other, sent.get(other.pk), received.get(other.pk)) for other in others.order_by("organisation", "pk")]
    return page(
        request,
        "portal/forum_directory.html",
        delegation,
        participant=participant,
        rows=rows,
        sectors=list(sectors),
        sector=sector,
    )


@write_limit
@delegation_view(FORM, section=SECTION)
def request_new(request, delegation, participant_id, other_id):
    participant = access_participant(delegation, participant_id)
    other = access_counterpart(participant, other_id)
    form = MeetingRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting_request_send(
                sender=participant,
                receiver=other,
                priority=form.cleaned_data["priority"],
                message=form.cleaned_data["message"],
                by=request.user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(sender)s asked to meet %(receiver)s; the other side is told.")
                % {"sender": participant, "receiver": other},
            )
            return redirect("portal:forum_directory", delegation.pk, participant.pk)
    return page(request, "portal/forum_request_form.html", delegation, form=form, participant=participant, other=other)


def _act(request, delegation, act, done: str):
    try:
        act()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("portal:forum", delegation.pk)


@write_limit
@delegation_view(WRITE, section=SECTION)
def request_accept(request, delegation, request_id):
    meeting_request = access_incoming_request(delegation, request_id)
    return _act(
        request,
        delegation,
        lambda: meeting_request_answer(request=meeting_request, accept=True, by=request.user),
        _("Accepted: %(request)s.") % {"request": meeting_request},
    )


@write_limit
@delegation_view(WRITE, section=SECTION)
def request_decline(request, delegation, request_id):
    meeting_request = access_incoming_request(delegation, request_id)
    return _act(
        request,
        delegation,
        lambda: meeting_request_answer(request=meeting_request, accept=False, by=request.user),
        _("Declined: %(request)s.") % {"request": meeting_request},
    )


@write_limit
@delegation_view(WRITE, section=SECTION)
def request_withdraw(request, delegation, request_id):
    meeting_request = access_outgoing_request(delegation, request_id)
    return _act(
        request,
        delegation,
        lambda: meeting_request_withdraw(request=meeting_request, by=request.user),
        _("Withdrawn: %(request)s.") % {"request": meeting_request},
    )


@delegation_view(section=SECTION)
def agenda(request, delegation, participant_id):
    participant = access_participant(delegation, participant_id)
    items = agendas_for([participant]).get(participant.pk, [])
    return page(request, "portal/forum_agenda.html", delegation, participant=participant, items=items)


@delegation_view(section=SECTION)
def agenda_pdf_view(request, delegation, participant_id):
    participant = access_participant(delegation, participant_id)
    content = agenda_pdf([participant], agendas_for([participant]))
    return _download(content, "application/pdf", f"agenda-{slugify(participant.organisation) or participant.pk}.pdf")


@delegation_view(section=SECTION)
def agenda_ics_view(request, delegation, participant_id):
    participant = access_participant(delegation, participant_id)
    content = agenda_ics(participant, agendas_for([participant]).get(participant.pk, []))
    return _download(content, "text/calendar; charset=utf-8", f"agenda-{participant.pk}.ics")


@delegation_view(section=SECTION)
def agendas_pdf_view(request, delegation):
    """All of the delegation's participants' agendas in one PDF, one participant a page."""
    participants = list(
        Participant.objects.filter(delegation=delegation, active=True).select_related("event").order_by("organisation")
    )
    content = agenda_pdf(participants, agendas_for(participants))
    return _download(content, "application/pdf", f"forum-agendas-{slugify(delegation.partner.code)}.pdf")


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
