"""The live operations board (admin:ops, admin:ops_board): a small summit with the day's flights, heads moving
between venues, a disruption, an error, a room out of service; what each role sees; the same number of queries
for a small and a doubled world."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from asemplanner.choices import Category, Rank
from delegations.domain.flights import flight_status_set, flights_on_day
from delegations.models import Travel
from events.models import Conflict, Room, RoomOutage, Session, Venue
from planning.domain.ops_board import SECTIONS, flight_parties, ops_board, sections_for
from planning.models import Disruption
from protocol.domain.task_generation import tasks_generate
from protocol.models import BilateralMeeting, Team
from tests.factories import (
    BilateralMeetingFactory,
    DelegationFactory,
    EventFactory,
    PartnerFactory,
    PersonFactory,
    RoomFactory,
    SessionFactory,
    TeamFactory,
    TransferTimeFactory,
    TravelFactory,
    UserFactory,
    VenueFactory,
    at,
)

pytestmark = pytest.mark.django_db


def _add_delegations(world: dict, count: int) -> None:
    """`count` more delegations, each with a head and an adviser travelling together on day 0 at 14:00 (and
    leaving on day 1 at 18:00), a bilateral with the previous one on day 0, and one more plenary session."""
    event, airport, hotel = world["event"], world["airport"], world["hotel"]
    start = len(world["delegations"])
    for n in range(start, start + count):
        code = "D" + "".join(chr(65 + int(d)) for d in f"{n:03d}")
        delegation = DelegationFactory(event=event, partner=PartnerFactory(code=code, name=f"Country {n:03d}"))
        head = PersonFactory(delegation=delegation, family_name=f"Head{n:03d}", rank=Rank.HEAD_OF_GOVERNMENT,
                             category=Category.PRINCIPAL)  # fmt: skip
        delegation.head = head
        delegation.save()
        adviser = PersonFactory(delegation=delegation, family_name=f"Adviser{n:03d}", rank=Rank.OTHER)
        for person in (head, adviser):
            TravelFactory(person=person, arrival_flight=f"PG{100 + n}", arrival_at=at(0, "14:00"),
                          arrival_airport=airport, departure_flight=f"PG{500 + n}", departure_at=at(1, "18:00"),
                          departure_airport=airport, hotel=hotel)  # fmt: skip
        world["delegations"].append(delegation)
        if len(world["delegations"]) > 1:
            other = world["delegations"][-2]
            room = world["bilateral_rooms"][n % 2]
            hour = 12 + (n // 2) % 8  # a free slot of the two salons for each of up to 16 delegations
            BilateralMeetingFactory(
                event=event, requester=delegation, counterpart=other, status=BilateralMeeting.Status.SCHEDULED,
                room=room, start=at(1, f"{hour}:00"), end=at(1, f"{hour}:30"), duration_minutes=30,
            )  # fmt: skip
        plenary = RoomFactory(venue=world["palace"], name=f"Hall {n:03d}", kind=Room.Kind.PLENARY)
        SessionFactory(event=event, room=plenary, title=f"Working group {n:03d}", start=at(1, "11:00"),
                       end=at(1, "12:00"), audience=Session.Audience.NAMED)  # fmt: skip
        RoomOutage.objects.create(room=plenary, start=at(1, "06:00"), end=at(1, "07:00"), reason=f"Check {n:03d}")
        Conflict.objects.create(
            fingerprint=f"fp-{n:05d}", kind=Conflict.Kind.ROOM_DOUBLE_BOOKED, severity=Conflict.Severity.ERROR,
            resource=f"room:{plenary.pk}", resource_label=str(plenary), first=f"session:{n}",
            message=f"Clash {n:03d}", starts_at=at(1, "11:00"), first_seen=timezone.now(), last_seen=timezone.now(),
        )  # fmt: skip


@pytest.fixture
def world():
    """SUM on 16–17 Nov 2020: the airport, a hotel, the Centre (bilateral rooms, the plenary) and the Palace
    20 minutes away; a reception and a motorcade team; France and Germany, whose heads land on day 0 at 14:00.
    Day 1: the heads' retreat 09:00–10:30 at the Centre, France–Germany bilateral 11:00 at the Palace, the
    gala at 19:00 (all delegates)."""
    event = EventFactory(acronym="SUM", start_date=dt.date(2020, 11, 16), end_date=dt.date(2020, 11, 17))
    airport = VenueFactory(name="Phnom Penh International Airport", short_name="PNH", kind=Venue.Kind.AIRPORT)
    hotel = VenueFactory(name="Sokha Hotel", short_name="Sokha", kind=Venue.Kind.HOTEL)
    centre = VenueFactory(name="Conference Centre", short_name="Centre")
    palace = VenueFactory(name="Peace Palace", short_name="Palace")
    for a, b, minutes in (
        (airport, hotel, 35),
        (hotel, centre, 15),
        (centre, palace, 20),
        (hotel, airport, 35),
        (palace, centre, 20),
        (centre, hotel, 15),
        (palace, hotel, 15),
        (hotel, palace, 15),
    ):
        TransferTimeFactory(from_venue=a, to_venue=b, minutes=minutes)  # fmt: skip
    TeamFactory(name="Reception Alpha", kind=Team.Kind.RECEPTION)
    TeamFactory(name="Motorcade One", kind=Team.Kind.MOTORCADE)
    world = {
        "event": event, "airport": airport, "hotel": hotel, "centre": centre, "palace": palace, "delegations": [],
        "bilateral_rooms": [RoomFactory(venue=palace, name=f"Salon {n}", kind=Room.Kind.BILATERAL) for n in (1, 2)],
    }  # fmt: skip
    plenary = RoomFactory(venue=centre, name="Plenary", kind=Room.Kind.PLENARY, capacity=500)
    world["plenary"] = plenary
    world["retreat"] = SessionFactory(event=event, room=plenary, title="Leaders' retreat", start=at(1, "09:00"),
                                      end=at(1, "10:30"), audience=Session.Audience.HEADS)  # fmt: skip
    world["gala"] = SessionFactory(event=event, room=plenary, title="Gala dinner", start=at(1, "19:00"),
                                   end=at(1, "21:00"), audience=Session.Audience.ALL_DELEGATES)  # fmt: skip
    for code, name in (("FRA", "France"), ("DEU", "Germany")):
        delegation = DelegationFactory(event=event, partner=PartnerFactory(code=code, name=name))
        head = PersonFactory(delegation=delegation, family_name=f"Head {code}", rank=Rank.HEAD_OF_STATE,
                             category=Category.PRINCIPAL)  # fmt: skip
        delegation.head = head
        delegation.save()
        TravelFactory(person=head, arrival_flight=f"AF{len(world['delegations'])}", arrival_at=at(0, "14:00"),
                      arrival_airport=airport, departure_flight="PG900", departure_at=at(2, "10:00"),
                      departure_airport=airport, hotel=hotel)  # fmt: skip
        world["delegations"].append(delegation)
    fra, deu = world["delegations"]
    world["fra"], world["deu"] = fra, deu
    world["bilateral"] = BilateralMeetingFactory(
        event=event, requester=fra, counterpart=deu, status=BilateralMeeting.Status.SCHEDULED,
        room=world["bilateral_rooms"][0], start=at(1, "11:00"), end=at(1, "11:30"), duration_minutes=30,
    )  # fmt: skip
    tasks_generate(event=event, by="test")
    return world


def _admin():
    return UserFactory(username="ops-admin", roles=["admin"])


def test_a_delayed_arrival_shows_delayed_with_its_new_time_and_its_reception_team(world):
    fra_head = world["fra"].head
    flight_status_set(travel=fra_head.travel, leg="arrival", status="delayed", at=at(0, "16:30"), by="test")
    tasks_generate(event=world["event"], by="test")  # what the travel change's follow-up does after the commit
    board = ops_board(dt.date(2020, 11, 16), _admin(), at=at(0, "12:00"))
    (france,) = [row for row in board.arrivals if row.partner == "France"]
    assert france.status == "delayed"
    assert france.status_label == "Delayed"
    assert france.at == at(0, "16:30")
    by_kind = {task.kind: task for task in france.tasks}
    assert by_kind["Airport reception"].team == "Reception Alpha"
    assert by_kind["Airport reception"].start == at(0, "16:00")  # moved with the flight: 30 min before landing
    assert by_kind["Motorcade"].team == "Motorcade One"
    assert by_kind["Motorcade"].minutes == 35
    (germany,) = [row for row in board.arrivals if row.partner == "Germany"]
    assert (germany.status, germany.at) == ("scheduled", at(0, "14:00"))
    assert board.departures == []  # nobody leaves on day 0


def test_the_page_shows_the_delayed_arrival_and_the_updated_time(world, role_client):
    travel = world["fra"].head.travel
    flight_status_set(travel=travel, leg="arrival", status="delayed", at=at(0, "16:30"), by="test")
    Disruption.objects.create(
        event=world["event"],
        person=travel.person,
        kind=Disruption.Kind.LATE_ARRIVAL,
        arrival_was=at(0, "14:00"),
        arrival_now=at(0, "16:30"),
        summary="Lands 2 h 30 later",
    )
    client = role_client("protocol")
    response = client.get(reverse("admin:ops"), {"day": "2020-11-16", "at": "12:00"})
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr class="ops-flight" data-partner="France">(.*?)</tr>', html, re.S).group(1)
    assert "Delayed, now 16:30" in row
    assert "(was 14:00)" in row
    assert "Reception Alpha" in row
    assert re.search(r"updated <time data-ops-updated>\d\d:\d\d:\d\d</time>", html)
    assert 'src="/static/planning/ops-board.js"' in html
    assert "<script>" not in html  # no inline script (CSP)


def test_an_error_line_names_its_resource_once(world, role_client):
    now = timezone.now()
    common = {"first": "session:1", "first_seen": now, "last_seen": now, "severity": Conflict.Severity.ERROR,
              "kind": Conflict.Kind.BEFORE_ARRIVAL, "starts_at": at(1, "09:00")}  # fmt: skip
    head = "H.E. Ana Head (France)"
    Conflict.objects.create(fingerprint="in", resource="person:1", resource_label=head,
                            message=f"{head} is expected at the retreat before landing.", **common)  # fmt: skip
    Conflict.objects.create(fingerprint="out", resource="room:1", resource_label="Centre · Plenary",
                            message="Booked twice at 09:00.", **common)  # fmt: skip
    html = role_client("protocol").get(reverse("admin:ops"), {"day": "2020-11-17", "at": "08:00"}).content.decode()
    assert html.count(head) == 1
    assert "Centre · Plenary — Booked twice at 09:00." in html


def test_a_heads_now_and_next_come_from_the_programme(world):
    admin = _admin()
    during = ops_board(dt.date(2020, 11, 17), admin, at=at(1, "10:00"))
    heads = {row.name: row for row in during.heads}
    fra = heads[str(world["fra"].head)]
    assert fra.now.title == "Leaders' retreat"
    assert fra.now.where == "Centre · Plenary"
    assert fra.next.title == "Bilateral France – Germany"
    assert fra.next.where == "Palace · Salon 1"
    assert fra.next.start == at(1, "11:00")
    between = ops_board(dt.date(2020, 11, 17), admin, at=at(1, "10:45"))
    fra = {row.name: row for row in between.heads}[str(world["fra"].head)]
    assert fra.now is None
    assert fra.state == "Free (last: Centre · Plenary)"
    assert fra.next.key == f"bilateral:{world['bilateral'].pk}"
    evening = ops_board(dt.date(2020, 11, 17), admin, at=at(1, "19:30"))
    fra = {row.name: row for row in evening.heads}[str(world["fra"].head)]
    assert fra.now.title == "Gala dinner"  # all delegates: the heads too
    assert fra.next is None
    before_landing = ops_board(dt.date(2020, 11, 16), admin, at=at(0, "09:00"))
    fra = {row.name: row for row in before_landing.heads}[str(world["fra"].head)]
    assert fra.state == "Not yet arrived (lands 16 Nov 14:00)"
    assert fra.next.title.startswith("Airport reception")  # the reception serving the head, from the programme


def test_a_head_who_has_not_landed_is_in_no_session_of_the_programme(world):
    """The gala is for all delegates, but a head whose flight lands after it starts is not there yet."""
    Travel.objects.filter(person=world["fra"].head).update(arrival_at=at(1, "20:00"), arrival_status="delayed")
    board = ops_board(dt.date(2020, 11, 17), _admin(), at=at(1, "19:30"))
    heads = {row.name: row for row in board.heads}
    fra, deu = heads[str(world["fra"].head)], heads[str(world["deu"].head)]
    assert fra.now is None
    assert fra.state == "Not yet arrived (delayed, lands 17 Nov 20:00)"
    assert deu.now.title == "Gala dinner"  # Germany's head landed the day before


def test_open_disruptions_and_errors_are_listed_closed_and_warnings_are_not(world):
    head = world["fra"].head
    Disruption.objects.create(event=world["event"], person=head, kind=Disruption.Kind.LATE_ARRIVAL,
                              summary="Lands 3 h later")  # fmt: skip
    Disruption.objects.create(event=world["event"], person=world["deu"].head, kind=Disruption.Kind.EARLY_DEPARTURE,
                              status=Disruption.Status.CLOSED, summary="Old")  # fmt: skip
    now = timezone.now()
    common = {"resource": "person:1", "resource_label": "someone", "first": "session:1", "first_seen": now,
              "last_seen": now, "kind": Conflict.Kind.PERSON_DOUBLE_BOOKED}  # fmt: skip
    Conflict.objects.create(fingerprint="e1", severity=Conflict.Severity.ERROR, message="In two places", **common)
    Conflict.objects.create(fingerprint="w1", severity=Conflict.Severity.WARNING, message="Tight", **common)
    Conflict.objects.create(fingerprint="e2", severity=Conflict.Severity.ERROR, message="Gone", status="resolved",
                            **common)  # fmt: skip
    board = ops_board(dt.date(2020, 11, 17), _admin(), at=at(1, "10:00"))
    shown = [(d.kind, d.summary, d.partner) for d in board.disruptions]
    assert shown == [("Late arrival", "Lands 3 h later", "France")]
    assert [c.message for c in board.conflicts] == ["In two places"]
    assert board.conflicts_total == 1


def test_rooms_out_of_service_today_and_now(world):
    RoomOutage.objects.create(room=world["plenary"], start=at(1, "09:30"), end=at(1, "12:00"), reason="Power cut")
    RoomOutage.objects.create(room=world["bilateral_rooms"][1], start=at(1, "15:00"), end=at(1, "16:00"),
                              reason="Sweep")  # fmt: skip
    RoomOutage.objects.create(room=world["bilateral_rooms"][0], start=at(1, "08:00"), end=at(1, "09:00"),
                              reason="Lifted", lifted_at=at(1, "08:10"))  # fmt: skip
    RoomOutage.objects.create(room=world["bilateral_rooms"][0], start=at(0, "08:00"), end=at(0, "09:00"),
                              reason="Yesterday")  # fmt: skip
    board = ops_board(dt.date(2020, 11, 17), _admin(), at=at(1, "10:00"))
    assert [(o.room, o.venue, o.reason, o.now) for o in board.outages] == [
        ("Plenary", "Centre", "Power cut", True),
        ("Salon 2", "Palace", "Sweep", False),
    ]


def test_next_two_hours_per_venue(world):
    SessionFactory(event=world["event"], room=world["bilateral_rooms"][1], title="Press briefing",
                   start=at(1, "12:30"), end=at(1, "13:00"))  # fmt: skip  # starts after 12:00: outside the window
    board = ops_board(dt.date(2020, 11, 17), _admin(), at=at(1, "10:00"))
    venues = {row.venue: [(i.title, i.running) for i in row.items] for row in board.venues}
    assert venues == {
        "Centre": [("Leaders' retreat", True)],
        "Palace": [("Bilateral France – Germany", False)],
    }
    assert board.window_end == at(1, "12:00")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param("admin", set(SECTIONS), id="admin"),
        pytest.param("protocol", set(SECTIONS), id="protocol"),
        pytest.param("security", set(SECTIONS), id="security"),
        pytest.param("logistics", set(SECTIONS) - {"disruptions"}, id="logistics"),
        pytest.param("accreditation", set(), id="accreditation"),
    ],
)
def test_sections_follow_the_roles_view_permissions(world, role, expected):
    user = UserFactory(username=f"ops-{role}", roles=[role])
    assert set(sections_for(user)) == expected
    board = ops_board(dt.date(2020, 11, 17), user, at=at(1, "10:00"))
    for name, value in (
        ("flights", board.flights),
        ("heads", board.heads),
        ("disruptions", board.disruptions),
        ("conflicts", board.conflicts),
        ("outages", board.outages),
        ("venues", board.venues),
    ):
        assert (value is not None) == (name in expected), name  # fmt: skip


def test_the_page_leaves_out_what_the_role_may_not_see(world, role_client):
    Disruption.objects.create(event=world["event"], person=world["fra"].head, kind=Disruption.Kind.LATE_ARRIVAL,
                              summary="Lands later")  # fmt: skip
    logistics = role_client("logistics").get(reverse("admin:ops"), {"day": "2020-11-17", "at": "10:00"})
    html = logistics.content.decode()
    assert 'id="ops-heads"' in html and 'id="ops-outages"' in html
    assert 'id="ops-disruptions"' not in html and "Lands later" not in html
    accreditation = role_client("accreditation").get(reverse("admin:ops"), {"day": "2020-11-17"})
    html = accreditation.content.decode()
    assert accreditation.status_code == 200
    assert "Your role sees no section of the operations board" in html
    assert "Head FRA" not in html and 'id="ops-arrivals"' not in html
    fragment = role_client("accreditation").get(reverse("admin:ops_board"), {"day": "2020-11-17"})
    assert "Head FRA" not in fragment.content.decode()


def test_the_fragment_is_the_boards_body_without_the_admin_around_it(world, role_client):
    response = role_client("security").get(reverse("admin:ops_board"), {"day": "2020-11-17", "at": "10:00"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="ops-heads"' in html
    assert "Leaders&#x27; retreat" in html  # escaped by the template
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            {"day": "2021-05-01"}, "01 May 2021 is outside the summit's days (15 Nov – 18 Nov 2020", id="after"
        ),
        pytest.param({"day": "2019-01-01"}, "showing 15 Nov 2020", id="before"),
    ],
)
def test_a_day_outside_the_summit_is_clamped_with_a_message(world, role_client, query, message):
    response = role_client("protocol").get(reverse("admin:ops"), query)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param({"day": "16/11/2020"}, "“16/11/2020” is not a date: give the day as YYYY-MM-DD", id="bad-day"),
        pytest.param(
            {"day": "2020-11-17", "at": "25:99"}, "“25:99” is not a time of day: give it as HH:MM", id="bad-at"
        ),
    ],
)
def test_unreadable_day_or_time_is_a_400_naming_what_is_wrong(world, role_client, query, message):
    response = role_client("protocol").get(reverse("admin:ops"), query)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())


def test_today_by_default_is_clamped_to_the_summit(world):
    board = ops_board(None, _admin())
    # The summit (with its arrival and departure days) is in 2020: today is after it, so its last day shows.
    assert board.day == dt.date(2020, 11, 18)
    assert any("is outside the summit's days" in note for note in board.notes)


def test_the_query_count_does_not_grow_with_the_world(world):
    admin = _admin()
    sections_for(admin)  # the role's permissions, read once per request whatever the board holds
    _add_delegations(world, 6)
    tasks_generate(event=world["event"], by="test")
    with CaptureQueriesContext(connection) as small:
        board = ops_board(dt.date(2020, 11, 17), admin, at=at(1, "10:00"))
    small_sizes = (len(board.heads), len(board.departures), len(board.outages), len(board.conflicts))
    _add_delegations(world, 8)
    tasks_generate(event=world["event"], by="test")
    with CaptureQueriesContext(connection) as doubled:
        board = ops_board(dt.date(2020, 11, 17), admin, at=at(1, "10:00"))
    sizes = (len(board.heads), len(board.departures), len(board.outages), len(board.conflicts))
    assert small_sizes == (8, 6, 6, 6)
    assert sizes == (16, 14, 14, 14)  # doubled: the heads, the departing parties, the outages, the errors
    assert all(row.tasks for row in board.departures)  # each party's motorcade and farewell are read too
    assert len(doubled.captured_queries) == len(small.captured_queries)
    assert len(small.captured_queries) <= 14


def test_the_boards_flight_parties_are_the_flights_pages(world):
    """The board reads the day's flights as plain rows; they group and sort exactly as the flights page's."""
    _add_delegations(world, 3)
    flight_status_set(travel=world["fra"].head.travel, leg="arrival", status="delayed", at=at(0, "13:00"), by="test")
    for day in (dt.date(2020, 11, 16), dt.date(2020, 11, 17), dt.date(2020, 11, 18)):
        page = [
            (p.leg, p.flight, p.delegation.partner.name, [t.person_id for t in p.travels], p.status, p.at)
            for p in flights_on_day(day)
        ]
        board = [
            (p.leg, p.flight, p.partner, [t.person_id for t in p.travellers], p.first.status, p.first.at)
            for p in flight_parties(day)
        ]
        assert board == page
        assert board  # each of the three days has flights


def test_the_admin_index_links_the_board_for_roles_that_see_it(world, role_client):
    link = f'href="{reverse("admin:ops")}"'
    assert link in role_client("security").get(reverse("admin:index")).content.decode()
    assert link not in role_client("accreditation").get(reverse("admin:index")).content.decode()
