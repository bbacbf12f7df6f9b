"""Writing delegations, their members, travel and accreditations — validated and audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asemplanner.domain.audit import (
    Actor,
    audit_entry,
    audit_log_many,
    diff,
    instance_delete,
    instance_save,
    snapshot,
)
from delegations.models import Accreditation, Delegation, Partner, Person, Travel, ZoneRule
from events.models import Event


def delegation_create(*, partner: Partner, event: Event, by: Actor, **fields: Any) -> Delegation:
    delegation = Delegation(partner=partner, event=event, **fields)
    instance_save(instance=delegation, by=by)
    return delegation


def delegation_set_head(*, delegation: Delegation, person: Person, by: Actor) -> Delegation:
    delegation.head = person
    instance_save(instance=delegation, by=by, action="delegations.delegation.head_set")
    return delegation


def delegation_set_liaisons(*, delegation: Delegation, liaisons, by: Actor, action: str | None = None) -> Delegation:
    """Who keeps this delegation's data current (and receives its reminders)."""
    instance_save(instance=delegation, by=by, m2m={"liaisons": list(liaisons)}, action=action)
    return delegation


@transaction.atomic
def person_add(*, delegation: Delegation, by: Actor, **fields: Any) -> Person:
    # The delegation row is locked so that two adds (or an add and an import) cannot both take the last place.
    Delegation.objects.select_for_update().filter(pk=delegation.pk).first()
    person = Person(delegation=delegation, **fields)
    instance_save(instance=person, by=by)
    return person


def person_update(*, person: Person, by: Actor, **changes: Any) -> Person:
    for name, value in changes.items():
        setattr(person, name, value)
    instance_save(instance=person, by=by)
    return person


@transaction.atomic
def person_remove(*, person: Person, by: Actor) -> None:
    """Take a member off the delegation, with their travel record and unanswered accreditation requests.

    Refused while a badge exists (approved, printed, collected or revoked: the accreditation office keeps
    that record) or protocol tasks are planned for them (the protocol office must re-plan them first)."""
    kept = list(person.accreditations.exclude(status=Accreditation.Status.REQUESTED).select_related("event"))
    if kept:
        which = ", ".join(f"{a.event} ({a.get_status_display().lower()})" for a in kept)
        raise ValidationError(
            {
                "person": _(
                    "%(person)s has a badge record for %(which)s. Ask the accreditation office to revoke and "
                    "remove it before taking them off the delegation."
                )
                % {"person": person, "which": which}
            }
        )
    tasks = person.protocol_tasks.count()
    if tasks:
        raise ValidationError(
            {
                "person": ngettext(
                    "%(count)s protocol task(s) are planned for %(person)s (airport reception, motorcade…). "
                    "Ask the protocol office to re-plan them before taking them off the delegation.",
                    "%(count)s protocol task(s) are planned for %(person)s (airport reception, motorcade…). "
                    "Ask the protocol office to re-plan them before taking them off the delegation.",
                    tasks,
                )
                % {"count": tasks, "person": person}
            }
        )
    delegation = person.delegation
    if delegation.head_id == person.pk:
        delegation.head = None
        instance_save(instance=delegation, by=by, action="delegations.delegation.head_cleared")
    for accreditation in person.accreditations.all():
        instance_delete(instance=accreditation, by=by, action="delegations.accreditation.withdrawn")
    photo = person.photo.name if person.photo else ""
    instance_delete(instance=person, by=by, action="delegations.person.removed")
    if photo:
        storage = Person._meta.get_field("photo").storage
        transaction.on_commit(lambda: storage.delete(photo))


def travel_set(*, person: Person, by: Actor, **fields: Any) -> Travel:
    travel = Travel.objects.filter(person=person).first() or Travel(person=person)
    for name, value in fields.items():
        setattr(travel, name, value)
    instance_save(instance=travel, by=by)
    return travel


@transaction.atomic
def travel_set_party(*, people: Sequence[Person], by: Actor, **fields: Any) -> list[Travel]:
    """The same flights and hotel for members travelling together: all of them or, if one is refused,
    none (the message names whom it was about)."""
    saved = []
    for number, person in enumerate(people):
        try:
            saved.append(travel_set(person=person, by=by, **fields))
        except ValidationError as exc:
            if number == 0:
                raise
            raise ValidationError(
                _("For %(person)s: %(reasons)s") % {"person": person, "reasons": " ".join(exc.messages)}
            ) from exc
    return saved


def accreditation_request(*, person: Person, event: Event, category: str, by: Actor) -> Accreditation:
    accreditation = Accreditation(person=person, event=event, category=category)
    instance_save(instance=accreditation, by=by, action="delegations.accreditation.requested")
    return accreditation


@transaction.atomic
def accreditations_request(*, people: Sequence[Person], event: Event, by: Actor, category: str = "") -> list:
    """Request accreditations for several members at once (each in their own category unless one is given):
    all or none, the message naming the member a refusal is about."""
    requested = []
    for person in people:
        try:
            requested.append(
                accreditation_request(person=person, event=event, category=category or person.category, by=by)
            )
        except ValidationError as exc:
            raise ValidationError(
                _("%(person)s: %(reasons)s") % {"person": person, "reasons": " ".join(exc.messages)}
            ) from exc
    return requested


def badge_number_for(accreditation: Accreditation) -> str:
    """Derived from the row id: unique by construction, so two approvals at once cannot collide."""
    return f"{accreditation.event.acronym}-{accreditation.pk:06d}"


def accreditation_withdraw(*, accreditation: Accreditation, by: Actor) -> None:
    """A request the accreditation office has not answered yet can be taken back."""
    if accreditation.status != Accreditation.Status.REQUESTED:
        current = accreditation.get_status_display().lower()
        raise ValidationError(
            {
                "status": _("Only a request waiting for approval can be withdrawn; this accreditation is %(current)s.")
                % {"current": current}
            }
        )
    instance_delete(instance=accreditation, by=by, action="delegations.accreditation.withdrawn")


def zone_rule_for(*, event: Event, category: str) -> ZoneRule | None:
    """The event's own rule for the category, else the rule for all events, else None."""
    candidates = ZoneRule.objects.filter(Q(event=event) | Q(event__isnull=True), category=category)
    rules = {rule.event_id: rule for rule in candidates}
    return rules.get(event.pk) or rules.get(None)


def accreditation_zones_default(*, accreditation: Accreditation) -> list:
    """The zones approval grants: none if zones were chosen by hand (those stand), else the zone rule's."""
    if accreditation.zones.exists():
        return []
    rule = zone_rule_for(event=accreditation.event, category=accreditation.category)
    return list(rule.zones.all()) if rule else []


@transaction.atomic
def accreditation_approve(*, accreditation: Accreditation, by: Actor) -> Accreditation:
    if accreditation.status != Accreditation.Status.REQUESTED:
        current = accreditation.get_status_display().lower()
        raise ValidationError(
            {
                "status": _("Only requested accreditations can be approved; this one is %(current)s.")
                % {"current": current}
            }
        )
    accreditation.status = Accreditation.Status.APPROVED
    accreditation.badge_number = accreditation.badge_number or badge_number_for(accreditation)
    accreditation.approved_at = timezone.now()
    accreditation.approved_by = by if not isinstance(by, str) else None
    granted = accreditation_zones_default(accreditation=accreditation)
    m2m = {"zones": granted} if granted else None
    instance_save(instance=accreditation, by=by, action="delegations.accreditation.approved", m2m=m2m)
    return accreditation


@transaction.atomic
def accreditations_approve(*, queryset, by: Actor) -> int:
    """Bulk approval (the admin action): one UPDATE per batch and one audit entry per accreditation.

    Rows that are not 'requested' are left alone; the count says how many were approved.
    """
    pending = list(
        queryset.filter(status=Accreditation.Status.REQUESTED)
        .select_related("event", "person")  # the audit entry names the person
        .select_for_update(of=("self",))
    )
    befores = {accreditation.pk: snapshot(accreditation) for accreditation in pending}
    now = timezone.now()
    for accreditation in pending:
        accreditation.status = Accreditation.Status.APPROVED
        accreditation.badge_number = accreditation.badge_number or badge_number_for(accreditation)
        accreditation.approved_at = now
        accreditation.approved_by = by if not isinstance(by, str) else None
    Accreditation.objects.bulk_update(pending, ["status", "badge_number", "approved_at", "approved_by"], batch_size=500)
    granted = _zones_grant_many(pending)
    audit_log_many(
        [
            audit_entry(
                action="delegations.accreditation.approved",
                instance=accreditation,
                by=by,
                changes=diff(befores[accreditation.pk], snapshot(accreditation))
                | ({"zones": [[], granted[accreditation.pk]]} if accreditation.pk in granted else {}),
            )
            for accreditation in pending
        ]
    )
    return len(pending)


def _zones_grant_many(accreditations: Sequence[Accreditation]) -> dict[int, list[int]]:
    """The zone rules' zones for those without hand-chosen zones, in three queries however many: {pk: zone ids}."""
    through = Accreditation.zones.through
    ids = [a.pk for a in accreditations]
    chosen = set(through.objects.filter(accreditation_id__in=ids).values_list("accreditation_id", flat=True))
    bare = [a for a in accreditations if a.pk not in chosen]
    if not bare:
        return {}
    rule_zones: dict[tuple[int | None, str], list[int]] = {}
    rules = ZoneRule.objects.filter(
        Q(event_id__in={a.event_id for a in bare}) | Q(event__isnull=True), category__in={a.category for a in bare}
    )
    for event_id, category, zone_id in rules.values_list("event_id", "category", "zones"):
        listed = rule_zones.setdefault((event_id, category), [])  # a rule without zones still counts
        if zone_id is not None:
            listed.append(zone_id)
    granted = {}
    for accreditation in bare:
        zones = rule_zones.get((accreditation.event_id, accreditation.category))
        if zones is None:
            zones = rule_zones.get((None, accreditation.category), [])
        if zones:
            granted[accreditation.pk] = sorted(zones)
    through.objects.bulk_create(
        [through(accreditation_id=pk, securityzone_id=zone) for pk, zones in granted.items() for zone in zones],
        batch_size=1000,
    )
    return granted


def accreditation_revoke(*, accreditation: Accreditation, reason: str, by: Actor) -> Accreditation:
    accreditation.status = Accreditation.Status.REVOKED
    accreditation.revoked_reason = reason
    instance_save(instance=accreditation, by=by, action="delegations.accreditation.revoked")
    return accreditation
