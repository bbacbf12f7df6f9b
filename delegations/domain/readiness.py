"""How ready a delegation is: its data checked against what the organisers need by each deadline.

One table of checks (`MEMBER_CHECKS`) serves the liaison's dashboard, their reminders page and the reminder
mails, so "what is missing" reads the same everywhere. The texts name people only: they go into mail and
inboxes, so they never carry passport numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from delegations.models import Accreditation, Delegation, Person, Travel

NAMES_SHOWN = 8

# Readiness kind → (does this member, with this travel record and these accreditation event ids, lack it?,
# how to say what is lacking). The first four are also deadline kinds (reminders.Deadline.Kind).
Check = Callable[[Person, Travel | None, set[int], int], bool]
MEMBER_CHECKS: dict[str, tuple[Check, str]] = {
    "photos": (lambda p, t, accredited, event: not p.photo, gettext_noop("a photo")),
    "passports": (
        lambda p, t, accredited, event: not (p.passport_number and p.passport_expiry),
        gettext_noop("passport data"),
    ),
    "travel": (
        lambda p, t, accredited, event: not (t and t.arrival_at and t.departure_at),
        gettext_noop("arrival and departure"),
    ),
    "hotel": (lambda p, t, accredited, event: not (t and t.hotel_id), gettext_noop("a hotel")),
    "accreditations": (
        lambda p, t, accredited, event: event not in accredited,
        gettext_noop("an accreditation request"),
    ),
}
# What is missing, as whole sentences per kind (the texts go into the dashboard, reminders and mail, in the
# reader's language): for some members (names follow), and when there are no members yet.
MISSING_FOR = {
    "photos": gettext_noop("a photo for %(count)s of %(total)s members: %(names)s"),
    "passports": gettext_noop("passport data for %(count)s of %(total)s members: %(names)s"),
    "travel": gettext_noop("arrival and departure for %(count)s of %(total)s members: %(names)s"),
    "hotel": gettext_noop("a hotel for %(count)s of %(total)s members: %(names)s"),
    "accreditations": gettext_noop("an accreditation request for %(count)s of %(total)s members: %(names)s"),
}
MISSING_NO_MEMBERS = {
    "photos": gettext_noop("a photo: no members entered yet"),
    "passports": gettext_noop("passport data: no members entered yet"),
    "travel": gettext_noop("arrival and departure: no members entered yet"),
    "hotel": gettext_noop("a hotel: no members entered yet"),
    "accreditations": gettext_noop("an accreditation request: no members entered yet"),
}
LABELS = {
    "members": gettext_lazy("Member list and head of delegation"),
    "photos": gettext_lazy("Photos"),
    "passports": gettext_lazy("Passport data"),
    "travel": gettext_lazy("Travel (flights)"),
    "hotel": gettext_lazy("Hotel"),
    "accreditations": gettext_lazy("Accreditation requests"),
}


@dataclass
class ReadinessItem:
    kind: str
    label: str
    done: int  # members who have it (for "members": 0, 1 or 2 of members entered and head chosen)
    total: int
    missing: str  # what is still missing, naming people ('' when complete)
    lacking: list[Person] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def percent(self) -> int:
        if self.complete:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


@dataclass
class Readiness:
    delegation_id: int
    n_members: int
    items: dict[str, ReadinessItem]

    @property
    def percent(self) -> int:
        """The mean of the items, rounded down: 100 only when every item is complete."""
        return sum(item.percent for item in self.items.values()) // len(self.items)

    @property
    def complete(self) -> bool:
        return all(item.complete for item in self.items.values())

    def missing(self) -> dict[str, str]:
        return {kind: item.missing for kind, item in self.items.items()}


def _names(people: list[Person], total: int, kind: str) -> str:
    shown = ", ".join(p.full_name for p in people[:NAMES_SHOWN])
    if len(people) > NAMES_SHOWN:
        shown = gettext("%(names)s and %(more)s more") % {"names": shown, "more": len(people) - NAMES_SHOWN}
    return gettext(MISSING_FOR[kind]) % {"count": len(people), "total": total, "names": shown}


def readiness_for_delegations(delegation_ids: set[int]) -> dict[int, Readiness]:
    """delegation id → its readiness (unknown ids are left out). Three queries, whatever the number of
    delegations or members."""
    delegations = {
        pk: (head_id, event_id)
        for pk, head_id, event_id in Delegation.objects.filter(pk__in=delegation_ids).values_list(
            "pk", "head_id", "event_id"
        )
    }
    people: dict[int, list[Person]] = defaultdict(list)
    for person in (
        Person.objects.filter(delegation_id__in=delegation_ids)
        .select_related("travel")
        .only(
            "delegation_id",
            "honorific",
            "given_name",
            "family_name",
            "photo",
            "passport_number",
            "passport_expiry",
            "travel__arrival_at",
            "travel__departure_at",
            "travel__hotel_id",
        )
        .order_by("family_name", "given_name")
    ):
        people[person.delegation_id].append(person)
    accredited: dict[int, set[int]] = defaultdict(set)
    for person_id, event_id in (
        Accreditation.objects.filter(person__delegation_id__in=delegation_ids)
        .exclude(status=Accreditation.Status.REVOKED)
        .values_list("person_id", "event_id")
    ):
        accredited[person_id].add(event_id)
    result: dict[int, Readiness] = {}
    for delegation_id in delegation_ids:
        if delegation_id not in delegations:
            continue
        members = people.get(delegation_id, [])
        head_id, event = delegations[delegation_id]
        has_head = bool(head_id)
        if not members:
            members_missing = gettext("the member list: no members entered yet")
        elif not has_head:
            members_missing = gettext("the head of delegation: none chosen among the members")
        else:
            members_missing = ""
        items = {
            "members": ReadinessItem(
                "members", str(LABELS["members"]), int(bool(members)) + int(has_head), 2, members_missing
            )
        }
        for kind, (lacks, _label) in MEMBER_CHECKS.items():
            found = [p for p in members if lacks(p, getattr(p, "travel", None), accredited[p.pk], event)]
            missing = _names(found, len(members), kind) if found else ""
            if not members:
                missing = gettext(MISSING_NO_MEMBERS[kind])
            items[kind] = ReadinessItem(
                kind, str(LABELS[kind]), len(members) - len(found), len(members), missing, found
            )
        result[delegation_id] = Readiness(delegation_id, len(members), items)
    return result


def readiness_for(delegation: Delegation) -> Readiness:
    return readiness_for_delegations({delegation.pk})[delegation.pk]
