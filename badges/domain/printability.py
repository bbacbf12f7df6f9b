"""Names the badges cannot print: characters no shipped font covers (asemplanner/typesetting.py).

Such a name is accepted — a delegation may spell a name in a script we have no font for — but accreditation staff
are told before anything is printed: which person, which field, which characters. The badge then prints without
the line that cannot be drawn (the name in own script) rather than with empty boxes; a Latin passport name that
cannot print is listed the same way.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from asemplanner.domain.changes import Change, Route, Routes, Verb, on_commit_batch, route_keys
from asemplanner.domain.notifications import notify_roles
from asemplanner.typesetting import uncovered
from delegations.models import Accreditation, Person

# The fields a badge prints, as the person's admin page labels them.
PRINTED_FIELDS = ("honorific", "given_name", "family_name", "native_name", "function")
ROLES = ["accreditation"]


@dataclass(frozen=True)
class Unprintable:
    person_id: int
    person: str
    delegation: str
    field: str  # the field's label
    characters: list[str]

    @property
    def described(self) -> str:
        """Each character with its code point and Unicode name: "𠀋 (U+2000B CJK UNIFIED IDEOGRAPH-2000B)"."""
        return ", ".join(f"{char} (U+{ord(char):04X} {unicodedata.name(char, 'unnamed')})" for char in self.characters)


def _field_label(name: str) -> str:
    field = Person._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def person_unprintable(person: Person) -> list[Unprintable]:
    found = []
    for name in PRINTED_FIELDS:
        characters = uncovered(getattr(person, name) or "")
        if characters:
            found.append(
                Unprintable(
                    person_id=person.pk,
                    person=str(person),
                    delegation=str(person.delegation.partner) if person.delegation_id else "",
                    field=str(_field_label(name)),
                    characters=characters,
                )
            )
    return found


def unprintable_names(people: QuerySet[Person] | None = None) -> list[Unprintable]:
    """Every person with a badge to print (an accreditation that has or will have one) whose printed fields hold
    a character no shipped font covers: one query."""
    if people is None:
        people = Person.objects.filter(accreditations__status__in=Accreditation.HAS_BADGE).distinct()
    people = people.select_related("delegation__partner").order_by("delegation__partner__name", "family_name")
    return [item for person in people for item in person_unprintable(person)]


def _tell(person_ids: set[int]) -> None:
    for person in Person.objects.filter(pk__in=person_ids).select_related("delegation__partner"):
        for item in person_unprintable(person):
            digest = hashlib.sha256("".join(item.characters).encode()).hexdigest()[:12]
            notify_roles(
                roles=ROLES,
                topic=f"unprintable:{person.pk}:{item.field}:{digest}",
                title=_("A name cannot print: %(person)s (%(delegation)s)")
                % {"person": item.person, "delegation": item.delegation},
                body=_(
                    "%(field)s holds characters no font of the planner covers: %(characters)s. The badge prints "
                    "without that line until the name is corrected or a font is added."
                )
                % {"field": capfirst(item.field), "characters": item.described},
                link=reverse("admin:badges_unprintable"),
            )


def _people(change: Change) -> set[int]:
    if change.verb == Verb.DELETED or not (change.fields & set(PRINTED_FIELDS)):
        return set()
    return {change.pk_int} if change.pk_int else set()


ROUTES: Routes = {Person: Route("accreditation told of a name no font prints", _people)}


def on_changes(changes: list[Change]) -> None:
    """Called inside the writing transaction; the check and the notices run once after it commits."""
    people = route_keys(ROUTES, changes)
    if people:
        on_commit_batch("badges.unprintable", people, _tell)
