"""A dump of the database holds no passport number and no date of birth in clear (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from asemplanner.domain.audit import instance_save
from delegations.models import Person
from tests.factories import DelegationFactory

PG_DUMP = next(
    (p for p in ("/usr/lib/postgresql/15/bin/pg_dump", shutil.which("pg_dump")) if p and Path(p).exists()), None
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # committed rows: pg_dump reads from its own connection
def test_pg_dump_holds_no_passport_number_or_birth_date():
    if PG_DUMP is None:
        pytest.fail("pg_dump is not installed (Debian: postgresql-client).")
    delegation = DelegationFactory()
    people = []
    for i in range(5):
        person = Person(
            delegation=delegation,
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            function="Delegate",
            passport_number=f"ZX{i}9{i}7{i}5{i}",
            passport_expiry=dt.date(2031, 1, 10 + i),
            date_of_birth=dt.date(1961, 2, 10 + i),
        )
        instance_save(instance=person, by="test")  # audited, as every write is
        people.append(person)
    settings = connection.settings_dict
    result = subprocess.run(  # noqa: S603 — the PostgreSQL client on the test database
        [PG_DUMP, "--no-owner", "-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432),
         "-U", settings["USER"], settings["NAME"]],
        env={"PGPASSWORD": settings["PASSWORD"] or "", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    dump = result.stdout
    assert "delegations_person" in dump and "Family3" in dump  # the dump holds the people
    for person in people:
        for secret in (person.passport_number, person.passport_expiry.isoformat(), person.date_of_birth.isoformat()):
            assert secret not in dump, secret
