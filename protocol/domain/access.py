"""Permission-checked lookups for protocol objects (see delegations.domain.access)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from delegations.domain.access import parse_pk
from delegations.models import Delegation
from protocol.models import BilateralMeeting


def access_bilateral(delegation: Delegation, pk) -> BilateralMeeting:
    """A bilateral this delegation requested or was invited to (reached through `access_delegation`)."""
    meeting = (
        BilateralMeeting.objects.filter(Q(requester=delegation) | Q(counterpart=delegation), pk=parse_pk(pk))
        .select_related("requester__partner", "counterpart__partner", "event", "room__venue")
        .first()
    )
    if meeting is None:
        raise Http404("No such bilateral meeting of this delegation.")
    return meeting
