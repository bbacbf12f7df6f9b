"""Permission-checked lookups for the liaison portal: a delegation's participants and requests only; anything
else is 404 (delegations.domain.access's rule: "not found", never "forbidden")."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from delegations.domain.access import parse_pk
from delegations.models import Delegation
from events.models import Event
from matchmaking.models import MeetingRequest, Participant


def forums_for(delegation: Delegation) -> QuerySet[Event]:
    """The forums a delegation's liaison may add participants to: its own event, or a side event of it, that
    has forum slots."""
    return (
        Event.objects.filter(Q(pk=delegation.event_id) | Q(parent_id=delegation.event_id), forum_slots__isnull=False)
        .distinct()
        .order_by("start_date", "acronym")
    )


def access_forum(delegation: Delegation, pk) -> Event:
    event = forums_for(delegation).filter(pk=parse_pk(pk)).first()
    if event is None:
        raise Http404(_("No such forum for this delegation."))
    return event


def access_participant(delegation: Delegation, pk) -> Participant:
    participant = (
        Participant.objects.filter(delegation=delegation, pk=parse_pk(pk)).select_related("event", "delegation").first()
    )
    if participant is None:
        raise Http404(_("No such participant of this delegation."))
    return participant


def access_counterpart(participant: Participant, pk) -> Participant:
    """Another active participant of the same forum (any delegation, or none), for a request."""
    other = Participant.objects.filter(event_id=participant.event_id, active=True, pk=parse_pk(pk)).first()
    if other is None:
        raise Http404(_("No such participant in this forum."))
    return other


def access_incoming_request(delegation: Delegation, pk) -> MeetingRequest:
    """A request sent to one of the delegation's participants (to accept or decline)."""
    return _request(MeetingRequest.objects.filter(receiver__delegation=delegation), pk)


def access_outgoing_request(delegation: Delegation, pk) -> MeetingRequest:
    """A request one of the delegation's participants sent (to withdraw)."""
    return _request(MeetingRequest.objects.filter(sender__delegation=delegation), pk)


def _request(queryset: QuerySet[MeetingRequest], pk) -> MeetingRequest:
    request = queryset.filter(pk=parse_pk(pk)).select_related("sender", "receiver", "event").first()
    if request is None:
        raise Http404(_("No such meeting request of this delegation."))
    return request
