"""Everything held about one person, as JSON and PDF, for the roles that see passport data; audited."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from pypdf import PdfReader

from asemplanner.domain.audit import instance_save
from asemplanner.models import AuditEntry
from events.models import Venue
from tests.factories import AccreditationFactory, PersonFactory, TravelFactory, VenueFactory, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    person = PersonFactory(
        given_name="Claire",
        family_name="Dubois",
        function="Sherpa",
        passport_number="EXP12345",
        passport_expiry=dt.date(2031, 5, 31),
        date_of_birth=dt.date(1975, 4, 3),
    )
    TravelFactory(
        person=person,
        arrival_flight="PG931",
        arrival_at=at(0, "08:00"),
        departure_at=at(1, "20:00"),
        hotel=VenueFactory(name="Sokha Phnom Penh Hotel", kind=Venue.Kind.HOTEL),
    )
    AccreditationFactory(person=person, event=person.delegation.event)
    person.function = "Chief sherpa"
    instance_save(instance=person, by="liaison-fra")  # an entry about the person for the export's trail
    return person


def url(person, fmt: str) -> str:
    return reverse("admin:delegations_person_export", args=[person.pk, fmt])


@pytest.mark.parametrize("role", ["accreditation", "security"])
def test_json_export_holds_everything_and_is_audited(role_client, person, role):
    client = role_client(role)
    response = client.get(url(person, "json"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["person"]["passport_number"] == "EXP12345"
    assert (data["person"]["passport_expiry"], data["person"]["date_of_birth"]) == ("2031-05-31", "1975-04-03")
    assert data["delegation"]["event"] == str(person.delegation.event)
    assert data["travel"][0]["arrival_flight"] == "PG931" and data["travel"][0]["hotel"] == "Sokha Phnom Penh Hotel"
    assert [a["status"] for a in data["accreditations"]] == ["Requested"]
    (changed,) = [entry for entry in data["audit_trail"] if entry["action"] == "delegations.person.changed"]
    assert changed["by"] == "liaison-fra" and changed["changes"]["function"] == ["Sherpa", "Chief sherpa"]
    entry = AuditEntry.objects.get(action="delegations.person.passport_viewed", object_id=str(person.pk))
    assert entry.actor == client.user and entry.changes == {"through": [None, "export: JSON"]}


def test_pdf_export_holds_the_same_values(role_client, person):
    response = role_client("accreditation").get(url(person, "pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for value in (
        "Claire Dubois",
        "EXP12345",
        "2031-05-31",
        "1975-04-03",
        "PG931",
        "Sokha",
        "Requested",
        "Chief sherpa",
    ):
        assert value in text, value
    assert AuditEntry.objects.filter(action="delegations.person.passport_viewed", object_id=str(person.pk)).count() == 1


@pytest.mark.parametrize("role", ["admin", "protocol", "logistics"])
@pytest.mark.parametrize("fmt", ["json", "pdf"])
def test_other_roles_are_refused(role_client, person, role, fmt):
    response = role_client(role).get(url(person, fmt))
    assert response.status_code == 403
    assert b"EXP12345" not in response.content
    assert not AuditEntry.objects.filter(action="delegations.person.passport_viewed").exists()


def test_the_person_page_links_the_exports_for_the_roles_allowed(role_client, person):
    page = role_client("accreditation").get(reverse("admin:delegations_person_change", args=[person.pk]))
    assert url(person, "json") in page.content.decode() and url(person, "pdf") in page.content.decode()
    other = role_client("protocol").get(reverse("admin:delegations_person_change", args=[person.pk]))
    assert url(person, "json") not in other.content.decode()


def test_unknown_person_or_format_is_404(role_client, person):
    client = role_client("accreditation")
    assert client.get(reverse("admin:delegations_person_export", args=[person.pk + 999, "json"])).status_code == 404
    assert client.get(reverse("admin:delegations_person_export", args=[person.pk, "xml"])).status_code == 404
