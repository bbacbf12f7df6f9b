"""The migration that encrypts passport data rewrites the plaintext rows already in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from asemplanner.crypto import passport_digest
from delegations.models import Person

BEFORE = [("delegations", "0002_initial"), ("events", "0002_initial")]  # before encryption and retention


def migrate(targets=None):
    """Migrate to `targets` (default: the latest) and return the models as they were there."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_plaintext_rows_are_encrypted_and_read_back():
    old = migrate(BEFORE)
    try:
        event = old.get_model("events", "Event").objects.create(
            acronym="OLD", name="Old", kind="summit", start_date=dt.date(2020, 11, 16), end_date=dt.date(2020, 11, 17)
        )
        partner = old.get_model("delegations", "Partner").objects.create(
            code="FRA", name="France", region="Europe", joined_year=1996
        )
        delegation = old.get_model("delegations", "Delegation").objects.create(partner=partner, event=event)
        plain = old.get_model("delegations", "Person").objects.create(
            delegation=delegation,
            given_name="Jean",
            family_name="Martin",
            function="Sherpa",
            passport_number="PLAIN123",
            passport_expiry=dt.date(2031, 5, 31),
            date_of_birth=dt.date(1970, 1, 15),
        )
        empty = old.get_model("delegations", "Person").objects.create(
            delegation=delegation, given_name="Anne", family_name="Empty", function="Aide"
        )
    finally:
        migrate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT passport_number, passport_expiry, date_of_birth FROM delegations_person WHERE id = %s",
                       [plain.pk])  # fmt: skip
        raw = " ".join(str(value) for value in cursor.fetchone())
    assert "PLAIN123" not in raw and "2031-05-31" not in raw and "1970-01-15" not in raw
    person = Person.objects.get(pk=plain.pk)
    assert (person.passport_number, person.passport_expiry, person.date_of_birth) == (
        "PLAIN123",
        dt.date(2031, 5, 31),
        dt.date(1970, 1, 15),
    )
    assert person.passport_digest == passport_digest("PLAIN123")
    blank = Person.objects.get(pk=empty.pk)
    assert (blank.passport_number, blank.passport_expiry, blank.passport_digest) == ("", None, "")
