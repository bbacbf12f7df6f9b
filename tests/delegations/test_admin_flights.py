"""The flights page (`admin:flights`) and the airport's list upload (`admin:flights_import`): who sees and who
marks, the marks and their messages, the preview then apply, and a query count that does not grow."""

from __future__ import annotations

import base64
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from asemplanner.choices import Category, Rank
from asemplanner.models import AuditEntry
from delegations.models import Travel
from tests.factories import DelegationFactory, EventFactory, PartnerFactory, PersonFactory, TravelFactory, at

DAY = "2020-11-15"


@pytest.fixture
def flights(db):
    event = EventFactory(acronym="ASEM13")
    sweden = DelegationFactory(event=event, partner=PartnerFactory(code="SWE", name="Sweden"))
    king = PersonFactory(
        delegation=sweden, family_name="Bernadotte", rank=Rank.HEAD_OF_STATE, category=Category.PRINCIPAL
    )
    minister = PersonFactory(delegation=sweden, family_name="Lind")
    return [TravelFactory(person=person, arrival_flight="SK971") for person in (king, minister)]


def page_url(day: str = DAY) -> str:
    return reverse("admin:flights") + f"?day={day}"


def mark(client, travel: Travel, status: str, at_text: str = "", leg: str = "arrival"):
    data = {"travel": travel.pk, "leg": leg, "status": status, "at": at_text, "day": DAY}
    return client.post(reverse("admin:flights"), data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_day_lists_arrivals_and_departures_with_their_status(flights, role_client):
    html = role_client("protocol").get(page_url()).content.decode()
    assert "Flights on 15 Nov 2020" in html
    assert re.search(r"SK971</th>\s*<td>Sweden</td>", html)
    assert "Bernadotte" in html and "Lind" in html
    assert 'value="landed"' in html and 'value="delayed"' in html  # protocol marks
    departures = role_client("protocol").get(page_url("2020-11-18")).content.decode()
    assert "PG932" in departures and "Departures (1)" in departures


def test_security_sees_the_flights_but_cannot_mark_them(flights, role_client):
    client = role_client("security")
    html = client.get(page_url()).content.decode()
    assert "Bernadotte" in html
    assert 'name="status"' not in html and "airport's list" not in html
    assert mark(client, flights[0], "landed", "2020-11-15T13:58").status_code == 403
    assert client.get(reverse("admin:flights_import")).status_code == 403
    assert Travel.objects.get(pk=flights[0].pk).arrival_status == "scheduled"


def test_accreditation_staff_do_not_see_flights(flights, role_client):
    assert role_client("accreditation").get(page_url()).status_code == 403


@pytest.mark.parametrize("role", ["protocol", "logistics", "admin"])
def test_marking_landed_marks_the_party(flights, role_client, role):
    response = mark(role_client(role), flights[0], "landed", "2020-11-15T13:58")
    assert messages_of(response) == [f"{flights[0].person} and 1 more (SWE): arrival landed, 15 Nov 2020 13:58."]
    for travel in flights:
        row = Travel.objects.get(pk=travel.pk)
        assert (row.arrival_status, row.arrival_at) == ("landed", at(-1, "13:58"))
    assert (
        AuditEntry.objects.filter(action="delegations.travel.flight_status", actor_name=f"{role}-tester").count() == 2
    )


def test_a_delay_past_midnight_says_which_day_lists_it_now(flights, role_client):
    response = mark(role_client("protocol"), flights[0], "delayed", "2020-11-16T01:10")
    assert messages_of(response) == [
        f"{flights[0].person} and 1 more (SWE): arrival delayed, 16 Nov 2020 01:10. It is now on the list of "
        "16 Nov 2020."
    ]
    assert response.redirect_chain[-1][0] == page_url()  # staff stay on the day they were marking


def test_a_refused_mark_says_which_field_and_changes_nothing(flights, role_client):
    response = mark(role_client("protocol"), flights[0], "delayed")
    assert messages_of(response) == [
        "Time: A delayed arrival needs its new time: enter the expected time of the arrival (Phnom Penh time)."
    ]
    assert response.redirect_chain[-1][0] == page_url()
    assert Travel.objects.get(pk=flights[0].pk).arrival_status == "scheduled"


def test_a_bad_time_is_refused_by_the_form(flights, role_client):
    response = mark(role_client("protocol"), flights[0], "delayed", "tomorrow-ish")
    assert messages_of(response) == ["Time: enter the date and time as YYYY-MM-DD HH:MM (Phnom Penh time)."]


def test_a_bad_day_is_named(flights, role_client):
    response = role_client("protocol").get(page_url("15/11/2020"))
    assert response.status_code == 400
    assert "Day “15/11/2020” is not a date: give it as YYYY-MM-DD" in response.content.decode()


def test_upload_preview_then_apply(flights, role_client):
    client = role_client("logistics")
    data = b"Flight,Date,Direction,Status,Time\nSK971,2020-11-15,A,delayed,16:40\nXX1,2020-11-15,A,landed,09:00\n"
    response = client.post(reverse("admin:flights_import"), {"file": SimpleUploadedFile("airport.csv", data)})
    html = response.content.decode()
    assert "Preview — nothing is written yet." in html
    assert "No arrival on XX1 on 15 Nov 2020 in the planner" in html
    assert re.search(r"<td>3</td><td>Flight</td>", html)  # the row and the column as the file names it
    assert "15 Nov 14:00 → <strong>15 Nov 16:40</strong>" in html
    assert Travel.objects.get(pk=flights[0].pk).arrival_status == "scheduled"

    digest = response.context["result"].digest
    applied = client.post(
        reverse("admin:flights_import"),
        {"apply": "1", "data": base64.b64encode(data).decode(), "digest": digest},
        follow=True,
    )
    assert messages_of(applied) == [
        "Applied the airport's list: 1 flight(s) changed (2 traveller(s)); 1 delayed; 1 row error(s), not applied."
    ]
    assert applied.redirect_chain[-1][0] == page_url()
    assert {Travel.objects.get(pk=t.pk).arrival_at for t in flights} == {at(-1, "16:40")}


def test_an_unreadable_upload_is_refused_with_the_reason(flights, role_client):
    data = "flight,date,direction,status,time\nSK971,2020-11-15,A,delayed,16:40 Göteborg\n".encode("cp1252")
    response = role_client("protocol").post(
        reverse("admin:flights_import"), {"file": SimpleUploadedFile("airport.csv", data)}
    )
    assert response.status_code == 400
    assert "The file is not UTF-8 text (byte 0xF6 on line 2)" in response.content.decode()
    assert 'name="apply"' not in response.content.decode()


def test_apply_of_a_damaged_form_applies_nothing(flights, role_client):
    response = role_client("protocol").post(
        reverse("admin:flights_import"), {"apply": "1", "data": "not base64!", "digest": "x"}, follow=True
    )
    assert messages_of(response)[0].startswith("The file is empty.")
    assert not AuditEntry.objects.filter(action="delegations.travel.flight_status").exists()


def _many_flights(n: int) -> None:
    event = EventFactory(acronym="ASEM13")
    for i in range(n):
        code = "P" + chr(65 + i // 26) + chr(65 + i % 26)
        delegation = DelegationFactory(event=event, partner=PartnerFactory(code=code))
        for _ in range(2):
            person = PersonFactory(delegation=delegation)
            TravelFactory(person=person, arrival_flight=f"QQ{100 + i}", arrival_at=at(-1, f"{8 + i % 12:02d}:00"))


@pytest.mark.parametrize("size", [2, 12])
def test_the_page_runs_a_fixed_number_of_queries(size, role_client, django_assert_num_queries):
    _many_flights(size)
    client = role_client("protocol")
    client.get(page_url())  # warm the session and the permission cache
    with django_assert_num_queries(8):
        response = client.get(page_url())
    assert response.content.decode().count('name="travel"') == size  # one party per delegation
