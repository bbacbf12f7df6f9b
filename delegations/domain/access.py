"""Permission-checked lookups (Zulip's `access_*`): each returns the object or raises Http404.

A liaison officer reaches a delegation only through `Delegation.liaisons`, and everything else (members,
accreditations, imports) only through a delegation they reach. Anything else is "not found", never
"forbidden", so a liaison cannot even learn that another delegation's object exists. Every page, download,
form target and photo of the liaison portal goes through one of these.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from delegations.models import Accreditation, Delegation, MemberImport, Person


def parse_pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404(_("No such object.")) from None


def liaison_delegations(user) -> QuerySet[Delegation]:
    """The delegations this user keeps current; none for anonymous visitors, staff or inactive users."""
    if not (user and user.is_authenticated and user.is_active) or user.is_staff:
        return Delegation.objects.none()
    return Delegation.objects.filter(liaisons=user)


def access_delegation(user, pk) -> Delegation:
    delegation = (
        liaison_delegations(user).filter(pk=parse_pk(pk)).select_related("partner", "event", "event__parent").first()
    )
    if delegation is None:
        raise Http404(_("No such delegation among yours."))
    return delegation


def access_person(delegation: Delegation, pk) -> Person:
    """A member of a delegation the caller already reached with `access_delegation`."""
    person = Person.objects.filter(delegation=delegation, pk=parse_pk(pk)).select_related("travel").first()
    if person is None:
        raise Http404(_("No such member of this delegation."))
    return person


def access_accreditation(delegation: Delegation, pk) -> Accreditation:
    accreditation = (
        Accreditation.objects.filter(person__delegation=delegation, pk=parse_pk(pk))
        .select_related("person", "event")
        .first()
    )
    if accreditation is None:
        raise Http404(_("No such accreditation in this delegation."))
    return accreditation


def access_member_import(delegation: Delegation, pk) -> MemberImport:
    member_import = MemberImport.objects.filter(delegation=delegation, pk=parse_pk(pk)).first()
    if member_import is None:
        raise Http404(_("No such import for this delegation."))
    return member_import
