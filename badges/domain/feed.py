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


def on_writes(entries: list[Any]) -> None:
    """Called inside the writing transaction for every audited write (asemplanner.domain.changes)."""
    accreditations: set[int] = set()
    people: set[int] = set()
    for entry in entries:
        label = f"{entry.content_type.app_label}.{entry.content_type.model}"
        if label == "delegations.accreditation":
            accreditations.add(int(entry.object_id))
        elif label == "delegations.person" and entry.changes:
            people.add(int(entry.object_id))
    if people:
        accreditations |= set(
            Accreditation.objects.filter(person_id__in=people).exclude(status=Accreditation.Status.REQUESTED)
            .values_list("pk", flat=True)
        )  # fmt: skip
    if accreditations:
        badges_touch(accreditations)


@transaction.atomic
def badges_touch(accreditation_ids: set[int]) -> int:
    """Give these badges the next sequence numbers (approved, printed, collected or revoked ones)."""
    rows = list(
        Accreditation.objects.filter(pk__in=accreditation_ids)
        .exclude(status=Accreditation.Status.REQUESTED)
        .order_by("pk")
        .values_list("pk", "event_id")
    )
    if not rows:
        return 0
    counter, _ = FeedCounter.objects.select_for_update().get_or_create(pk=1)
    first = counter.value + 1
    counter.value += len(rows)
    counter.save(update_fields=["value"])
    existing = set(BadgeState.objects.filter(accreditation_id__in=[pk for pk, _ in rows]).values_list("pk", flat=True))
    fresh, moved = [], []
    for offset, (pk, event_id) in enumerate(rows):
        state = BadgeState(accreditation_id=pk, event_id=event_id, seq=first + offset)
        (moved if pk in existing else fresh).append(state)
    BadgeState.objects.bulk_create(fresh, batch_size=500)
    BadgeState.objects.bulk_update(moved, ["seq"], batch_size=500)
    return len(rows)
