"""rows_insert: thousands of rows in two statements on PostgreSQL (COPY), bulk_create elsewhere; ids set."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from asemplanner.domain.bulk import rows_insert
from asemplanner.models import AuditEntry
from delegations.models import Person
from tests.factories import DelegationFactory


def people(delegation, n: int, tag: str) -> list[Person]:
    return [
        Person(
            delegation=delegation,
            given_name=f"Zoë {tag}{i}",
            family_name='O\'Brien \\ "quoted"\ttab',  # what COPY's text format must escape
            function="Adviser",
            passport_expiry=dt.date(2031, 5, 31),
            nationality="IRL",
        )
        for i in range(n)
    ]


def test_rows_insert_sets_ids_and_stores_every_value(db):
    delegation = DelegationFactory()
    inserted = rows_insert(people(delegation, 3, "a"))
    stored = {p.pk: p for p in Person.objects.filter(delegation=delegation)}
    assert sorted(stored) == sorted(p.pk for p in inserted)
    for person in inserted:
        copy = stored[person.pk]
        assert (copy.given_name, copy.family_name) == (person.given_name, 'O\'Brien \\ "quoted"\ttab')
        assert copy.passport_expiry == dt.date(2031, 5, 31)
        assert copy.created_at is not None and not person._state.adding


def test_rows_insert_keeps_line_breaks_files_and_the_sequence(db):
    delegation = DelegationFactory()
    [person] = people(delegation, 1, "x")
    person.languages = "fr\nen\r\nkm"
    person.photo.name = "photos/abc.jpg"
    rows_insert([person])
    stored = Person.objects.get(pk=person.pk)
    assert (stored.languages, stored.photo.name) == ("fr\nen\r\nkm", "photos/abc.jpg")
    after = Person.objects.create(delegation=delegation, given_name="Next", family_name="One", function="x")
    assert after.pk > person.pk  # the ordinary insert continues the sequence COPY drew from


def test_rows_insert_round_trips_json(db):
    content_type = ContentType.objects.get_for_model(Person)
    changes = {"given_name": [None, 'Zoë "Z" \\ O\'Brien'], "rank": [None, 40], "flags": [None, [1, None, True]]}
    [entry] = rows_insert(
        [AuditEntry(action="x.y.z", content_type=content_type, object_id="1", object_repr="r", changes=changes)]
    )
    assert AuditEntry.objects.get(pk=entry.pk).changes == changes


@pytest.mark.postgres
def test_rows_insert_takes_two_statements_whatever_the_number_of_rows(db):
    delegation = DelegationFactory(quota=5000)
    counts = []
    for n in (10, 2000):
        with CaptureQueriesContext(connection) as captured:
            rows_insert(people(delegation, n, str(n)))
        counts.append(len(captured))
        assert captured.captured_queries[-1]["sql"].startswith('COPY "delegations_person"')
    assert counts == [2, 2]
    assert Person.objects.filter(delegation=delegation).count() == 2010
