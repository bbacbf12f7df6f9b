"""Who is at which event, who leads each delegation, and when each person is in town — in two queries.

The conflict engine needs these to expand a session's audience into people and to check arrivals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from delegations.models import Accreditation, Person
from events.domain.conflicts import Presence


@dataclass
class PeopleIndex:
    at_event: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    category_at_event: dict[tuple[int, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    heads_at_event: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    head_of_delegation: dict[int, int] = field(default_factory=dict)
    presence: dict[int, Presence] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def heads(self) -> frozenset[int]:
        return frozenset(self.head_of_delegation.values())


def people_index(*, accreditations: bool = True) -> PeopleIndex:
    """Members of each event's delegations plus people accredited to an event (side events), by category;
    heads of delegation; arrival and departure from travel.

    With `accreditations=False`, one query: the delegations' members only, for a caller that reads the
    accreditations along with what it needs them for (planning's conflict scan, with the sessions)."""
    index = PeopleIndex()
    # No order: the index is sets and maps, and sorting 5,000 people (and 6,000 accreditations) by the models'
    # orderings — joins and locale-aware text comparison — took PostgreSQL longer than reading them.
    rows = Person.objects.order_by().values_list(
        "id",
        "honorific",
        "given_name",
        "family_name",
        "category",
        "delegation_id",
        "delegation__event_id",
        "delegation__head_id",
        "delegation__partner__name",
        "travel__arrival_at",
        "travel__departure_at",
    )
    category_of = {}
    for pk, honorific, given, family, category, delegation, event, head, partner, arrival, departure in rows:
        index.at_event[event].add(pk)
        index.category_at_event[(event, category)].add(pk)
        category_of[pk] = category
        if head == pk:
            index.head_of_delegation[delegation] = pk
            index.heads_at_event[event].add(pk)
        if arrival is not None or departure is not None:
            index.presence[pk] = Presence(arrival=arrival, departure=departure)
        name = " ".join(filter(None, (honorific, given, family)))
        index.labels[f"person:{pk}"] = f"{name} ({partner})"
    if not accreditations:
        return index
    accredited = (
        Accreditation.objects.exclude(status=Accreditation.Status.REVOKED)
        .order_by()
        .values_list("person_id", "event_id", "category")
    )
    for person, event, category in accredited:
        index.at_event[event].add(person)
        index.category_at_event[(event, category)].add(person)
    return index
