"""Writing delegations, their members, travel and accreditations — validated and audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from asemplanner.domain.audit import Actor, audit_entry, audit_log_many, diff, instance_save, snapshot
from delegations.models import Accreditation, Delegation, Partner, Person, Travel
from events.models import Event


def delegation_create(*, partner: Partner, event: Event, by: Actor, **fields: Any) -> Delegation:
    delegation = Delegation(partner=partner, event=event, **fields)
    instance_save(instance=delegation, by=by)
    return delegation


def delegation_set_head(*, delegation: Delegation, person: Person, by: Actor) -> Delegation:
    delegation.head = person
    instance_save(instance=delegation, by=by, action="delegations.delegation.head_set")
    return delegation


def delegation_set_liaisons(*, delegation: Delegation, liaisons, by: Actor) -> Delegation:
    """Who keeps this delegation's data current (and receives its reminders)."""
    instance_save(instance=delegation, by=by, m2m={"liaisons": list(liaisons)})
    return delegation


def person_add(*, delegation: Delegation, by: Actor, **fields: Any) -> Person:
    person = Person(delegation=delegation, **fields)
    instance_save(instance=person, by=by)
    return person


def person_update(*, person: Person, by: Actor, **changes: Any) -> Person:
    for name, value in changes.items():
        setattr(person, name, value)
    instance_save(instance=person, by=by)
    return person


def travel_set(*, person: Person, by: Actor, **fields: Any) -> Travel:
    travel = Travel.objects.filter(person=person).first() or Travel(person=person)
    for name, value in fields.items():
        setattr(travel, name, value)
    instance_save(instance=travel, by=by)
    return travel


def accreditation_request(*, person: Person, event: Event, category: str, by: Actor) -> Accreditation:
    accreditation = Accreditation(person=person, event=event, category=category)
    instance_save(instance=accreditation, by=by, action="delegations.accreditation.requested")
    return accreditation


def badge_number_for(accreditation: Accreditation) -> str:
    """Derived from the row id: unique by construction, so two approvals at once cannot collide."""
    return f"{accreditation.event.acronym}-{accreditation.pk:06d}"


@transaction.atomic
def accreditation_approve(*, accreditation: Accreditation, by: Actor) -> Accreditation:
    if accreditation.status != Accreditation.Status.REQUESTED:
        current = accreditation.get_status_display().lower()
        raise ValidationError({"status": f"Only requested accreditations can be approved; this one is {current}."})
    accreditation.status = Accreditation.Status.APPROVED
    accreditation.badge_number = accreditation.badge_number or badge_number_for(accreditation)
    accreditation.approved_at = timezone.now()
    accreditation.approved_by = by if not isinstance(by, str) else None
    instance_save(instance=accreditation, by=by, action="delegations.accreditation.approved")
    return accreditation


@transaction.atomic
def accreditations_approve(*, queryset, by: Actor) -> int:
    """Bulk approval (the admin action): one UPDATE per batch and one audit entry per accreditation.

    Rows that are not 'requested' are left alone; the count says how many were approved.
    """
    pending = list(
        queryset.filter(status=Accreditation.Status.REQUESTED).select_related("event").select_for_update(of=("self",))
    )
    befores = {accreditation.pk: snapshot(accreditation) for accreditation in pending}
    now = timezone.now()
    for accreditation in pending:
        accreditation.status = Accreditation.Status.APPROVED
        accreditation.badge_number = accreditation.badge_number or badge_number_for(accreditation)
        accreditation.approved_at = now
        accreditation.approved_by = by if not isinstance(by, str) else None
    Accreditation.objects.bulk_update(pending, ["status", "badge_number", "approved_at", "approved_by"], batch_size=500)
    audit_log_many(
        [
            audit_entry(
                action="delegations.accreditation.approved",
                instance=accreditation,
                by=by,
                changes=diff(befores[accreditation.pk], snapshot(accreditation)),
            )
            for accreditation in pending
        ]
    )
    return len(pending)


def accreditation_revoke(*, accreditation: Accreditation, reason: str, by: Actor) -> Accreditation:
    accreditation.status = Accreditation.Status.REVOKED
    accreditation.revoked_reason = reason
    instance_save(instance=accreditation, by=by, action="delegations.accreditation.revoked")
    return accreditation
