"""A leader's run-of-show: the day in order (arrival, motorcade with minutes, transfers, sessions, bilaterals,
departure), as a PDF read back with pypdf; staff open it from the board, a liaison only their own head's."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from asemplanner.choices import Category, Rank
from delegations.domain.flights import flight_status_set
from planning.domain.run_of_show import run_of_show, run_of_show_pdf
from protocol.domain.task_generation import tasks_generate
from protocol.models import ProtocolTask, Team
from tests.factories import ProtocolTaskFactory, TeamFactory, UserFactory, at
from tests.planning.test_ops_board import world  # the board's small summit
from tests.signin import sign_in

__all__ = ["world"]
pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[ \t]+", " ", text)


def test_the_day_in_order_arrival_motorcade_programme_and_departure(world):
    head = world["fra"].head
    travel = head.travel
    travel.departure_at = at(1, "23:30")  # leaves after the gala: arrival and departure on the same day
    travel.arrival_at = at(1, "07:00")
    travel.save()
    tasks_generate(event=world["event"], by="test")
    # A security sweep served to the head is staff work: not on the delegation's run-of-show.
    ProtocolTaskFactory(event=world["event"], kind=ProtocolTask.Kind.SECURITY_SWEEP, title="Sweep of the salon",
                        person=head, venue=world["palace"], start=at(1, "10:40"), end=at(1, "10:55"))  # fmt: skip
    show = run_of_show(person=head, day=dt.date(2020, 11, 17))
    kinds = [(item.kind, item.title.split(":")[0]) for item in show.items]
    assert kinds == [
        ("task", "Airport reception (Minister-level, guard of honour)"),
        ("arrival", "Arrives on AF0"),
        ("motorcade", "Motorcade PNH → Sokha"),
        ("transfer", "Sokha → Centre"),
        ("session", "Leaders' retreat"),
        ("transfer", "Centre → Palace"),
        ("bilateral", "Bilateral France – Germany"),
        ("transfer", "Palace → Centre"),
        ("session", "Gala dinner"),
        ("transfer", "Centre → Sokha"),
        ("motorcade", "Motorcade Sokha → PNH"),
        ("task", "Airport farewell (Minister-level, guard of honour)"),
        ("departure", "Departs on PG900"),
    ]
    motorcade = next(item for item in show.items if item.kind == "motorcade")
    assert (motorcade.minutes, motorcade.start, motorcade.end) == (35, at(1, "07:30"), at(1, "08:05"))
    to_palace = next(item for item in show.items if item.title == "Centre → Palace")
    assert (to_palace.kind, to_palace.minutes, to_palace.where) == ("transfer", 20, "By motorcade")
    # 30 min between the retreat and the bilateral: 20 min by road fit, with the 15 min buffer they do not.
    assert to_palace.note == "Leave by 10:25 (tight: less than the buffer)"
    to_gala = next(item for item in show.items if item.title == "Palace → Centre")
    assert to_gala.note == "Leave by 18:25"  # 19:00 less 20 min by road and the 15 min buffer
    assert all("Sweep" not in item.title for item in show.items)


def test_the_pdf_reads_back_in_order_with_places_and_times(world):
    head = world["fra"].head
    flight_status_set(travel=head.travel, leg="arrival", status="delayed", at=at(0, "16:30"), by="test")
    tasks_generate(event=world["event"], by="test")
    day0 = pdf_text(run_of_show_pdf(run_of_show(person=head, day=dt.date(2020, 11, 16))))
    assert "Run-of-show" in day0 and str(head) in day0 and "France" in day0
    assert "Monday 16 November 2020" in day0
    assert "16:30" in day0 and "Delayed" in day0  # the arrival at its new time, with its status
    assert day0.index("Airport reception") < day0.index("Arrival: Arrives on AF0") < day0.index("Motorcade")
    assert "PNH → Sokha" in day0 and "35" in day0  # the motorcade's route and minutes
    day1 = pdf_text(run_of_show_pdf(run_of_show(person=head, day=dt.date(2020, 11, 17))))
    order = [day1.index(text) for text in ("Leaders' retreat", "Centre → Palace", "Bilateral France",
                                           "Gala dinner")]  # fmt: skip
    assert order == sorted(order)
    assert "09:00–10:30" in day1 and "Centre · Plenary" in day1
    assert "11:00–11:30" in day1 and "Palace · Salon 1" in day1


def test_an_empty_day_says_so(world):
    text = pdf_text(run_of_show_pdf(run_of_show(person=world["deu"].head, day=dt.date(2020, 11, 15))))
    assert "Nothing planned for this day." in text


def test_staff_open_it_from_the_board(world, role_client):
    client = role_client("security")
    board = client.get(reverse("admin:ops"), {"day": "2020-11-17", "at": "10:00"}).content.decode()
    url = reverse("admin:run_of_show", args=[world["fra"].head.pk]) + "?day=2020-11-17"
    assert f'href="{url}"' in board.replace("&amp;", "&")
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert "Leaders' retreat" in pdf_text(response.content)
    bad = client.get(reverse("admin:run_of_show", args=[world["fra"].head.pk]), {"day": "17 Nov"})
    assert bad.status_code == 400
    assert "“17 Nov” is not a date: give the day as YYYY-MM-DD" in bad.content.decode()
    outside = client.get(reverse("admin:run_of_show", args=[world["fra"].head.pk]), {"day": "2021-01-01"})
    assert outside.status_code == 400
    assert "outside the summit's days" in outside.content.decode()
    refused = role_client("accreditation").get(url)  # signs the same test client in as accreditation
    assert refused.status_code == 403


@pytest.fixture
def liaisons(world):
    fra = UserFactory(username="liaison-fra", roles=["liaison"])
    deu = UserFactory(username="liaison-deu", roles=["liaison"])
    world["fra"].liaisons.add(fra)
    world["deu"].liaisons.add(deu)
    return {"fra": fra, "deu": deu}


def test_a_liaison_gets_their_own_heads_run_of_show_and_a_404_for_another(world, liaisons, client):
    sign_in(client, liaisons["fra"])
    programme = client.get(reverse("portal:programme", args=[world["fra"].pk])).content.decode()
    own = reverse("portal:run_of_show", args=[world["fra"].pk]) + "?day=2020-11-17"
    assert f'href="{own}"' in programme.replace("&amp;", "&")
    response = client.get(own)
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert str(world["fra"].head) in text and "Bilateral France – Germany" in text
    other = reverse("portal:run_of_show", args=[world["deu"].pk]) + "?day=2020-11-17"
    assert client.get(other).status_code == 404
    for bad in ("2020-13-01", "2030-01-01"):
        response = client.get(reverse("portal:run_of_show", args=[world["fra"].pk]), {"day": bad}, follow=True)
        assert f"“{bad}” is not a day of the run-of-show: give a date from" in response.content.decode()


def test_a_delegation_without_a_head_is_told_to_choose_one(world, liaisons, client):
    world["deu"].head = None
    world["deu"].save()
    sign_in(client, liaisons["deu"])
    response = client.get(reverse("portal:run_of_show", args=[world["deu"].pk]), follow=True)
    assert "Your delegation has no head of delegation yet" in response.content.decode()


def test_motorcade_team_is_not_on_the_liaisons_copy(world):
    """The run-of-show names the route and minutes; teams and vehicles stay in the staff's task board."""
    TeamFactory(name="Motorcade Two", kind=Team.Kind.MOTORCADE)
    text = pdf_text(run_of_show_pdf(run_of_show(person=world["fra"].head, day=dt.date(2020, 11, 16))))
    assert "Motorcade One" not in text
    assert "Motorcade PNH → Sokha" in text
    assert Category.PRINCIPAL and Rank.HEAD_OF_STATE  # the world's heads are principals (reception level)
