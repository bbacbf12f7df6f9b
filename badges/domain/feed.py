"""The badge change feed: every change that alters what a printed badge shows gets the next sequence number.

Sequence numbers are handed out under a lock on one counter row held until the writer commits, so they follow
commit order: a station that has seen number N has seen every change up to N, even while other writes run.
A revoked badge stays in the feed as a tombstone; a reprint (a new version) is a change like any other.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from badges.models import BadgeState, FeedCounter
from delegations.models import Accreditation

# What a printed badge shows: a change to any of these (and nothing else) is news for the stations.
PERSON_FIELDS = {"honorific", "given_name", "family_name", "function", "photo", "delegation"}


def _created(entry: Any) -> bool:
    return entry.action.endswith((".created", ".imported"))


def on_writes(entries: list[Any]) -> None:
    """Called inside the writing transaction for every audited write (asemplanner.domain.changes)."""
    accreditations: set[int] = set()
    people: set[int] = set()
    partners: set[int] = set()
    delegations: set[int] = set()
    zones: set[int] = set()
    for entry in entries:
        label = f"{entry.content_type.app_label}.{entry.content_type.model}"
        pk = int(entry.object_id) if str(entry.object_id).isdigit() else None
        if pk is None:
            continue
        if label == "delegations.accreditation":
            accreditations.add(pk)
        elif label == "delegations.person" and PERSON_FIELDS & set(entry.changes or {}) and not _created(entry):
            people.add(pk)  # a person just added has no badge yet: nothing to look up
        elif label == "delegations.partner" and {"name", "code"} & set(entry.changes or {}):
            partners.add(pk)
        elif label == "delegations.delegation" and "partner" in (entry.changes or {}):
            delegations.add(pk)
        elif label == "protocol.securityzone" and entry.changes:
            zones.add(pk)
    shown = Accreditation.objects.exclude(status=Accreditation.Status.REQUESTED)
    if people:
        accreditations |= set(shown.filter(person_id__in=people).values_list("pk", flat=True))
    if partners:
        accreditations |= set(shown.filter(person__delegation__partner_id__in=partners).values_list("pk", flat=True))
    if delegations:
        accreditations |= set(shown.filter(person__delegation_id__in=delegations).values_list("pk", flat=True))
    if zones:
        accreditations |= set(shown.filter(zones__in=zones).values_list("pk", flat=True))
        # A deleted zone's links are gone already: every badge still in the feed is sent again (it is rare).
        if any(e.action.endswith(".deleted") and e.content_type.model == "securityzone" for e in entries):
            accreditations |= set(BadgeState.objects.values_list("pk", flat=True))
    if accreditations:
        badges_touch(accreditations)


@transaction.atomic
def badges_touch(accreditation_ids: set[int]) -> int:
    """Give these badges the next sequence numbers: the shown ones (approved, printed, collected), and any that
    were shown before and are not any more (revoked, back to requested, deleted) — those become tombstones."""
    shown = {
        pk: (event_id, number)
        for pk, event_id, number in Accreditation.objects.filter(pk__in=accreditation_ids)
        .exclude(status=Accreditation.Status.REQUESTED)
        .values_list("pk", "event_id", "badge_number")
    }
    known = {
        pk: (event_id, number)
        for pk, event_id, number in BadgeState.objects.filter(pk__in=accreditation_ids).values_list(
            "pk", "event_id", "badge_number"
        )
    }
    touched = sorted(set(shown) | set(known))
    if not touched:
        return 0
    counter, _ = FeedCounter.objects.select_for_update().get_or_create(pk=1)
    first = counter.value + 1
    counter.value += len(touched)
    counter.save(update_fields=["value"])
    fresh, moved = [], []
    for offset, pk in enumerate(touched):
        # A badge keeps the event it was shown in: an approved accreditation cannot change event (its clean()),
        # and a tombstone must reach the stations of the event that printed it.
        event_id, number = known.get(pk) or shown[pk]
        if pk in shown:
            number = shown[pk][1] or number
        state = BadgeState(accreditation_id=pk, event_id=event_id, seq=first + offset, badge_number=number or "")
        (moved if pk in known else fresh).append(state)
    BadgeState.objects.bulk_create(fresh, batch_size=500)
    BadgeState.objects.bulk_update(moved, ["seq", "badge_number"], batch_size=500)
    return len(touched)
