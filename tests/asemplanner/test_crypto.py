"""Passport data encrypted at rest: the fields, the keys from the environment, rotation, the digest search."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from asemplanner.crypto import UndecryptableValue, passport_digest
from asemplanner.domain.audit import instance_save
from asemplanner.models import AuditEntry
from delegations.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def stored(person: Person) -> dict[str, str | None]:
    """The columns as the database holds them, not as the model reads them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT passport_number, passport_expiry, date_of_birth, passport_digest FROM delegations_person "
            "WHERE id = %s",
            [person.pk],
        )
        number, expiry, birth, digest = cursor.fetchone()
    return {"passport_number": number, "passport_expiry": expiry, "date_of_birth": birth, "digest": digest}


@pytest.fixture
def person():
    return PersonFactory(
        passport_number="N1234567", passport_expiry=dt.date(2031, 5, 31), date_of_birth=dt.date(1970, 1, 15)
    )


def test_passport_data_is_stored_encrypted_and_read_back_plain(person):
    raw = stored(person)
    for value in ("N1234567", "2031-05-31", "1970-01-15"):
        assert not any(value in str(column) for column in raw.values())
    assert all(str(raw[name]).startswith("gAAAAA") for name in ("passport_number", "passport_expiry", "date_of_birth"))
    again = Person.objects.get(pk=person.pk)
    assert (again.passport_number, again.passport_expiry, again.date_of_birth) == (
        "N1234567",
        dt.date(2031, 5, 31),
        dt.date(1970, 1, 15),
    )
    assert list(Person.objects.filter(pk=person.pk).values_list("passport_expiry", flat=True)) == [dt.date(2031, 5, 31)]
    assert raw["digest"] == passport_digest("n 123-4567") != ""


def test_the_same_number_encrypts_differently_each_time():
    first, second = PersonFactory(passport_number="X1"), PersonFactory(passport_number="X1")
    assert stored(first)["passport_number"] != stored(second)["passport_number"]
    assert stored(first)["digest"] == stored(second)["digest"]


def test_no_passport_stays_empty_and_can_be_asked_for(person):
    blank = PersonFactory(passport_number="", passport_expiry=None)
    assert stored(blank)["passport_number"] == "" and stored(blank)["passport_expiry"] is None
    assert stored(blank)["digest"] == ""
    assert set(Person.objects.filter(passport_number="")) == {blank}
    assert set(Person.objects.filter(passport_expiry__isnull=True)) == {blank}


@pytest.mark.parametrize(
    "lookup",
    [
        pytest.param({"passport_number": "N1234567"}, id="exact_value"),
        pytest.param({"passport_number__startswith": "N12"}, id="prefix"),
        pytest.param({"passport_number__icontains": "123"}, id="partial"),
        pytest.param({"date_of_birth__year": 1970}, id="transform"),
        pytest.param({"passport_expiry__gt": dt.date(2030, 1, 1)}, id="range"),
    ],
)
def test_lookups_on_the_encrypted_value_are_refused(person, lookup):
    with pytest.raises(FieldError):
        list(Person.objects.filter(**lookup))


def test_rotation_keeps_old_rows_readable_then_reencrypts_them(settings):
    settings.PLANNER_FIELD_KEYS = [OLD]
    old_person = PersonFactory(passport_number="OLD1", date_of_birth=dt.date(1960, 2, 3))
    settings.PLANNER_FIELD_KEYS = [NEW, OLD]  # a new key first; the old one still reads
    assert Person.objects.get(pk=old_person.pk).passport_number == "OLD1"
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)  # a dry run by default
    assert "Dry run" in out.getvalue() and "would re-encrypt 2 value(s)" in out.getvalue()
    settings.PLANNER_FIELD_KEYS = [NEW]
    with pytest.raises(UndecryptableValue, match="PLANNER_FIELD_KEYS"):
        Person.objects.get(pk=old_person.pk)  # the dry run changed nothing: the new key alone cannot read it
    settings.PLANNER_FIELD_KEYS = [NEW, OLD]
    out = io.StringIO()
    call_command("rotate_field_keys", "--apply", stdout=out)
    assert "delegations.Person: 1 rows, re-encrypted 2 value(s)" in out.getvalue()
    settings.PLANNER_FIELD_KEYS = [NEW]  # the old key retired
    again = Person.objects.get(pk=old_person.pk)
    assert (again.passport_number, again.date_of_birth) == ("OLD1", dt.date(1960, 2, 3))
    out = io.StringIO()
    call_command("rotate_field_keys", "--apply", stdout=out)
    assert "re-encrypted 0 value(s), recomputed 0 digest(s)" in out.getvalue()  # a second run changes nothing


def test_a_new_digest_key_is_applied_by_the_rotation(person, settings, role_client):
    settings.PLANNER_DIGEST_KEY = "a-new-digest-key"
    client = role_client("security")
    url = reverse("admin:delegations_person_changelist")
    assert person not in client.get(url, {"q": "N1234567"}).context["cl"].result_list  # old digests
    out = io.StringIO()
    call_command("rotate_field_keys", "--apply", stdout=out)
    assert "recomputed 1 digest(s)" in out.getvalue()
    assert list(client.get(url, {"q": "N1234567"}).context["cl"].result_list) == [person]


@pytest.mark.parametrize(
    ("role", "term", "found"),
    [
        pytest.param("security", "N1234567", True, id="security_exact"),
        pytest.param("accreditation", "n 1234567", True, id="accreditation_exact_normalised"),
        pytest.param("accreditation", "N1234", False, id="prefix_finds_nothing"),
        pytest.param("accreditation", "1234567", False, id="partial_finds_nothing"),
        pytest.param("protocol", "N1234567", False, id="role_without_the_permission"),
    ],
)
def test_admin_search_by_exact_passport_number(person, role_client, role, term, found):
    PersonFactory(passport_number="N1234568")
    response = role_client(role).get(reverse("admin:delegations_person_changelist"), {"q": term})
    assert response.status_code == 200
    assert (person in response.context["cl"].result_list) is found
    page = response.content.decode()
    if role == "protocol":
        assert "passport" not in response.context["cl"].search_help_text
    else:
        assert "exact match only" in page and "part of a number finds nothing" in page


def test_the_audit_trail_never_holds_a_passport_value(person):
    person.passport_number, person.date_of_birth = "N7654321", dt.date(1971, 1, 1)
    instance_save(instance=person, by="test")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT changes::text FROM asemplanner_auditentry"
            if connection.vendor == "postgresql"
            else "SELECT changes FROM asemplanner_auditentry"
        )
        trail = " ".join(str(row[0]) for row in cursor.fetchall())
    entry = AuditEntry.objects.get(action="delegations.person.changed")
    assert set(entry.changes) == {"passport_number", "date_of_birth"}  # recorded as changed, masked
    for value in ("N1234567", "N7654321", "1970-01-15", "1971-01-01", "2031-05-31", passport_digest("N1234567")):
        assert value not in trail


def _start(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Load the settings as a production process would, with only the given variables set."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PLANNER_", "DEBUG", "SECRET_KEY"))}
    return subprocess.run(  # noqa: S603 — our own interpreter and settings
        [sys.executable, "-c", "from django.conf import settings; settings.INSTALLED_APPS"],
        cwd=ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "SECRET_KEY": "x" * 50} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        pytest.param({"PLANNER_DIGEST_KEY": "d"}, "PLANNER_FIELD_KEYS (or PLANNER_FIELD_KEYS_FILE) must be set",
                     id="no_field_keys"),
        pytest.param({"PLANNER_FIELD_KEYS": NEW}, "PLANNER_DIGEST_KEY (or PLANNER_DIGEST_KEY_FILE) must be set",
                     id="no_digest_key"),
        pytest.param({"PLANNER_FIELD_KEYS": f"{NEW},not-a-key", "PLANNER_DIGEST_KEY": "d"},
                     "PLANNER_FIELD_KEYS: key 2 is not a Fernet key", id="malformed_key"),
    ],
)  # fmt: skip
def test_production_refuses_to_start_without_good_keys(env, named):
    result = _start(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


def test_production_starts_with_keys_from_files(tmp_path):
    keys, digest = tmp_path / "keys", tmp_path / "digest"
    keys.write_text(f"{NEW}\n{OLD}\n")
    digest.write_text("a-digest-key\n")
    result = _start({"PLANNER_FIELD_KEYS_FILE": str(keys), "PLANNER_DIGEST_KEY_FILE": str(digest)})
    assert result.returncode == 0, result.stderr
