"""The badge change feed: every change that alters what a printed badge shows gets the next sequence number.

Sequence numbers are handed out under a lock on one counter row held until the writer commits, so they follow
commit order: a station that has seen number N has seen every change up to N, even while other writes run.
A revoked badge stays in the feed as a tombstone; a reprint (a new version) is a change like any other.
"""

from __future__ import annotations

from django.db import transaction

from asemplanner.domain.changes import Change, Route, Routes, Verb
from badges.models import BadgeState, FeedCounter
from delegations.models import Accreditation, Delegation, Partner, Person
from protocol.models import SecurityZone

# What a printed badge shows: a change to any of these (and nothing else) is news for the stations.
PERSON_FIELDS = {"honorific", "given_name", "family_name", "native_name", "function", "photo", "delegation"}


def _none(change: Change) -> set[int]:
    return set()  # on_changes reads the changes itself: which fields changed decides


# Which writes can alter a printed badge (the fields that matter are checked in on_changes).
ROUTES: Routes = {
    Accreditation: Route("its badge", _none),
    Person: Route("their badges (name, function, photo, delegation)", _none),
    Partner: Route("its people's badges (name, code)", _none),
    Delegation: Route("its people's badges (partner)", _none),
    SecurityZone: Route("the badges with the zone", _none),
}


def on_changes(changes: list[Change]) -> None:
    """Called inside the writing transaction for the models subscribed in badges/apps.py."""
    accreditations: set[int] = set()
    people: set[int] = set()
    partners: set[int] = set()
    delegations: set[int] = set()
    zones: set[int] = set()
    zone_deleted = False
    for change in changes:
        pk = change.pk_int
        if pk is None:
            continue
        if change.model is Accreditation:
            accreditations.add(pk)
        elif change.model is Person and PERSON_FIELDS & change.fields and change.verb != Verb.CREATED:
            people.add(pk)  # a person just added has no badge yet: nothing to look up
        elif change.model is Partner and {"name", "code"} & change.fields:
            partners.add(pk)
        elif change.model is Delegation and "partner" in change.fields:
            delegations.add(pk)
        elif change.model is SecurityZone and change.fields:
            zones.add(pk)
            zone_deleted |= change.verb == Verb.DELETED
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
        if zone_deleted:
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
    fresh: list[BadgeState] = []
    moved: list[BadgeState] = []
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
