"""The staff timelines: the day's rooms and teams, the leaders' index and one leader's day."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.domain.conflicts import Commitment, Facts
from events.models import Conflict, Session
from planning.domain.timeline.axis import Axis, lanes
from planning.domain.timeline.leader import OverlapEntry, TransferEntry, leader_entries
from protocol.models import BilateralMeeting, ProtocolTask
from tests.factories import (
    BilateralMeetingFactory,
    DelegationFactory,
    EventFactory,
    PersonFactory,
    ProtocolTaskFactory,
    RoomFactory,
    SessionFactory,
    TeamFactory,
    TransferTimeFactory,
    TravelFactory,
    VenueFactory,
    at,
)

DAY = "2020-11-16"


def timeline_url(**query: str) -> str:
    url = reverse("admin:timeline")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def leader_url(person_pk: int, day: str = DAY) -> str:
    return reverse("admin:timeline_leader", args=[person_pk]) + f"?day={day}"


def open_conflict(first: str, second: str = "", *, severity: str = "error", **fields) -> Conflict:
    now = timezone.now()
    values = {
        "fingerprint": uuid.uuid4().hex,
        "kind": Conflict.Kind.ROOM_DOUBLE_BOOKED,
        "severity": severity,
        "resource": "room:0",
        "resource_label": "Peace Palace · Hall A",
        "first": first,
        "second": second,
        "message": f"Clash between {first} and {second or 'nothing'}.",
        "first_seen": now,
        "last_seen": now,
    } | fields
    return Conflict.objects.create(**values)


def bar(html: str, key: str) -> tuple[str, str]:
    """(the bar's opening tag, its text) for the bar of `key`; fails if the page has no such bar."""
    match = re.search(rf'<a href="[^"]*"\s+class="([^"]*)"\s+data-key="{re.escape(key)}"[^>]*>(.*?)</a>', html, re.S)
    assert match, f"no linked bar for {key}"
    return match.group(1), re.sub(r"<[^>]+>|\s+", " ", match.group(2)).strip()


@pytest.fixture
def summit(db):
    return EventFactory(acronym="ASEM13", name="13th ASEM Summit")


@pytest.fixture
def hall(summit):
    return RoomFactory(venue__name="Peace Palace", name="Hall A")


@pytest.fixture
def day_plan(summit, hall):
    """A plenary and a scheduled bilateral in Hall A on the first day, plus what must not show."""
    plenary = SessionFactory(event=summit, room=hall, title="Opening plenary", start=at(0, "09:00"), end=at(0, "10:30"))
    bilateral = BilateralMeetingFactory(
        event=summit,
        status=BilateralMeeting.Status.SCHEDULED,
        room=hall,
        start=at(0, "11:00"),
        end=at(0, "11:30"),
        subject="Trade",
    )
    SessionFactory(event=summit, room=hall, title="Dropped session", start=at(0, "14:00"), end=at(0, "15:00"),
                   status=Session.Status.CANCELLED)  # fmt: skip
    SessionFactory(event=summit, room=hall, title="Tomorrow's retreat", start=at(1, "09:00"), end=at(1, "10:00"))
    team = TeamFactory(name="Motorcade Alpha")
    task = ProtocolTaskFactory(event=summit, team=team, title="Flags at the Peace Palace")
    ProtocolTaskFactory(event=summit, team=team, title="Called-off sweep", status=ProtocolTask.Status.CANCELLED)
    return {"plenary": plenary, "bilateral": bilateral, "task": task}


# --- the day timeline ---------------------------------------------------------------------------------------


def test_timeline_lists_a_rooms_sessions_and_bilaterals(role_client, day_plan):
    response = role_client("protocol").get(timeline_url(day=DAY))

    assert response.status_code == 200
    html = response.content.decode()
    plenary, bilateral = day_plan["plenary"], day_plan["bilateral"]
    bilateral_title = f"Bilateral {bilateral.requester.partner.name} – {bilateral.counterpart.partner.name}"
    assert "Peace Palace" in html
    assert "Hall A" in html
    _, plenary_text = bar(html, f"session:{plenary.pk}")
    assert "Opening plenary" in plenary_text
    assert "09:00–10:30" in plenary_text
    _, bilateral_text = bar(html, f"bilateral:{bilateral.pk}")
    assert bilateral_title in bilateral_text
    assert "11:00–11:30" in bilateral_text
    assert reverse("admin:events_session_change", args=[plenary.pk]) in html
    assert reverse("admin:protocol_bilateralmeeting_change", args=[bilateral.pk]) in html
    assert "Dropped session" not in html
    assert "Tomorrow&#x27;s retreat" not in html


def test_timeline_places_bars_on_the_six_to_midnight_axis(role_client, day_plan):
    html = role_client("protocol").get(timeline_url(day=DAY)).content.decode()

    # 09:00 is 3 of the axis' 18 hours in; 90 minutes are 1.5 of them.
    tag = re.search(rf'data-key="session:{day_plan["plenary"].pk}"[^>]*style="([^"]*)"', html, re.S).group(1)
    assert "left: 16.667%" in tag
    assert "width: 8.333%" in tag


def test_timeline_groups_tasks_by_team(role_client, day_plan):
    html = role_client("protocol").get(timeline_url(day=DAY)).content.decode()

    assert "Protocol tasks by team" in html
    assert "Motorcade Alpha" in html
    _, text = bar(html, f"task:{day_plan['task'].pk}")
    assert "Flags at the Peace Palace" in text
    assert "Called-off sweep" not in html


def test_timeline_defaults_to_the_summits_first_day(role_client, day_plan):
    response = role_client("logistics").get(timeline_url())

    assert response.status_code == 200
    assert "Opening plenary" in response.content.decode()
    assert response.context["timeline"].day == dt.date(2020, 11, 16)


def test_timeline_marks_bars_with_open_conflicts(role_client, day_plan):
    plenary, bilateral = day_plan["plenary"], day_plan["bilateral"]
    open_conflict(f"session:{plenary.pk}", f"bilateral:{bilateral.pk}", message="Hall A is booked twice.")
    open_conflict(f"task:{day_plan['task'].pk}", severity="warning", kind=Conflict.Kind.TEAM_DOUBLE_BOOKED)

    html = role_client("protocol").get(timeline_url(day=DAY)).content.decode()

    classes, text = bar(html, f"session:{plenary.pk}")
    assert "error" in classes.split()
    assert "⚠ clash" in text
    classes, text = bar(html, f"bilateral:{bilateral.pk}")
    assert "error" in classes.split()
    classes, text = bar(html, f"task:{day_plan['task'].pk}")
    assert "warning" in classes.split()
    assert "⚠ warning" in text
    assert "⚠ clash" not in text
    assert "Hall A is booked twice." in html


@pytest.mark.parametrize(
    ("status", "marked"),
    [
        pytest.param(Conflict.Status.OPEN, True, id="open"),
        pytest.param(Conflict.Status.ACKNOWLEDGED, True, id="acknowledged"),
        pytest.param(Conflict.Status.RESOLVED, False, id="resolved"),
    ],
)
def test_timeline_marks_only_unresolved_conflicts(role_client, day_plan, status, marked):
    plenary = day_plan["plenary"]
    reason = "The leader leaves early." if status == Conflict.Status.ACKNOWLEDGED else ""
    open_conflict(f"session:{plenary.pk}", status=status, acknowledge_reason=reason)

    html = role_client("protocol").get(timeline_url(day=DAY)).content.decode()

    classes, text = bar(html, f"session:{plenary.pk}")
    assert ("error" in classes.split()) is marked
    assert ("⚠ clash" in text) is marked


def test_timeline_filters_by_event(role_client, day_plan, hall, summit):
    side = EventFactory(acronym="AEBF", kind="side_event", parent=summit)
    SessionFactory(event=side, room=RoomFactory(name="Ballroom"), title="Business forum panel")

    html = role_client("logistics").get(timeline_url(day=DAY, event="AEBF")).content.decode()

    assert "Business forum panel" in html
    assert "Opening plenary" not in html


def test_timeline_unknown_event_is_explained(role_client, day_plan):
    response = role_client("logistics").get(timeline_url(day=DAY, event="NOPE"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is no event “NOPE”" in html
    assert "Opening plenary" in html


def test_timeline_bad_day_is_explained_not_a_server_error(role_client, day_plan):
    response = role_client("logistics").get(timeline_url(day="notadate"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "“notadate” is not a date" in html
    assert "YYYY-MM-DD" in html
    assert "Opening plenary" in html  # the default day is shown instead


def test_timeline_links_to_neighbouring_days_and_leaders(role_client, day_plan):
    html = role_client("logistics").get(timeline_url(day=DAY)).content.decode()

    assert "?day=2020-11-15" in html
    assert "?day=2020-11-17" in html
    assert reverse("admin:timeline_leaders") in html
    assert "Leaders' days" in html


def test_timeline_links_only_to_pages_the_role_may_open(role_client, day_plan):
    # Logistics may not view bilaterals: the bar is shown, but not as a link.
    html = role_client("logistics").get(timeline_url(day=DAY)).content.decode()

    bilateral = day_plan["bilateral"]
    assert f'data-key="bilateral:{bilateral.pk}"' in html
    assert reverse("admin:protocol_bilateralmeeting_change", args=[bilateral.pk]) not in html
    assert reverse("admin:events_session_change", args=[day_plan["plenary"].pk]) in html


def test_admin_index_links_to_the_timeline(role_client):
    html = role_client("logistics").get(reverse("admin:index")).content.decode()

    assert f'href="{reverse("admin:timeline")}"' in html


# --- access ------------------------------------------------------------------------------------------------


@pytest.fixture
def pages(day_plan):
    head = PersonFactory()
    return [timeline_url(day=DAY), reverse("admin:timeline_leaders"), leader_url(head.pk)]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        pytest.param("accreditation", 403, id="accreditation_lacks_view_session"),
        pytest.param("logistics", 200, id="logistics"),
        pytest.param("security", 200, id="security"),
    ],
)
def test_timeline_pages_need_view_session(role_client, pages, role, status):
    client = role_client(role)

    assert [client.get(url).status_code for url in pages] == [status] * 3


def test_timeline_pages_send_anonymous_users_to_login(client, pages):
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_admin_index_hides_the_timeline_link_without_view_session(role_client):
    html = role_client("accreditation").get(reverse("admin:index")).content.decode()

    assert reverse("admin:timeline") not in html


# --- query counts ------------------------------------------------------------------------------------------


def grow_day(summit, n: int) -> None:
    """n more rooms (each at its own venue), each with a session, a bilateral and a clash; n more team tasks."""
    for i in range(n):
        room = RoomFactory()
        session = SessionFactory(event=summit, room=room, start=at(0, "09:00"), end=at(0, "10:00"))
        meeting = BilateralMeetingFactory(
            event=summit, status="scheduled", room=room, start=at(0, "10:00"), end=at(0, "10:30")
        )
        task = ProtocolTaskFactory(event=summit, team=TeamFactory(), destination=VenueFactory(), vehicle=f"M{i}")
        open_conflict(f"session:{session.pk}", f"bilateral:{meeting.pk}")
        open_conflict(f"task:{task.pk}", severity="warning")


def test_timeline_query_count_does_not_grow_with_rows(role_client, summit):
    client = role_client("protocol")
    client.get(timeline_url(day=DAY))  # warm the permission and content-type caches
    grow_day(summit, 2)
    with CaptureQueriesContext(connection) as small:
        first = client.get(timeline_url(day=DAY))
    grow_day(summit, 5)
    with CaptureQueriesContext(connection) as large:
        second = client.get(timeline_url(day=DAY))

    assert first.context["timeline"].n_sessions == 2
    assert second.context["timeline"].n_sessions == 7
    assert second.content.decode().count("⚠ clash") > first.content.decode().count("⚠ clash")
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_leader_and_leaders_query_count_does_not_grow_with_rows(role_client, summit):
    client = role_client("protocol")
    delegation = DelegationFactory(event=summit)
    head = PersonFactory(delegation=delegation)
    delegation.head = head
    delegation.save()
    urls = [leader_url(head.pk), reverse("admin:timeline_leaders")]
    for url in urls:
        client.get(url)

    def grow(n: int, offset: int) -> None:
        for i in range(n):
            session = SessionFactory(
                event=summit, start=at(0, f"{8 + offset + i:02d}:00"), end=at(0, f"{8 + offset + i:02d}:30")
            )
            session.attendees.add(head)
            other = DelegationFactory(event=summit)
            other.head = PersonFactory(delegation=other)
            other.save()
            open_conflict(f"session:{session.pk}", resource=f"person:{head.pk}")

    grow(2, 0)
    with CaptureQueriesContext(connection) as small:
        responses = [client.get(url) for url in urls]
    small_counts = [len(small)]
    grow(4, 2)
    with CaptureQueriesContext(connection) as large:
        responses += [client.get(url) for url in urls]

    assert responses[0].context["plan"].n_commitments == 2
    assert responses[2].context["plan"].n_commitments == 6
    assert len(responses[3].context["leaders"]) == 7
    assert [len(large)] == small_counts


# --- the leaders' index and one leader's day ---------------------------------------------------------------


@pytest.fixture
def leader(summit):
    delegation = DelegationFactory(event=summit, partner__name="France")
    person = PersonFactory(delegation=delegation, honorific="H.E.", given_name="Anne", family_name="Martin",
                           function="President")  # fmt: skip
    delegation.head = person
    delegation.save()
    TravelFactory(person=person, arrival_at=at(-1, "14:00"), departure_at=at(2, "10:00"))
    return person


@pytest.fixture
def tight_day(leader, settings):
    """Two sessions the leader attends at two venues, 10 minutes apart, 30 minutes' drive between them."""
    settings.PLANNER_PROTOCOL_BUFFER_MINUTES = 15
    palace = VenueFactory(name="Peace Palace", short_name="Palace")
    sokha = VenueFactory(name="Sokha Phnom Penh Hotel", short_name="Sokha")
    TransferTimeFactory(from_venue=palace, to_venue=sokha, minutes=30)
    event = leader.delegation.event
    retreat = SessionFactory(event=event, room=RoomFactory(venue=palace, name="Hall A"), title="Leaders' retreat",
                             start=at(0, "09:00"), end=at(0, "10:00"))  # fmt: skip
    lunch = SessionFactory(event=event, room=RoomFactory(venue=sokha, name="Ballroom"), title="Working lunch",
                           start=at(0, "10:10"), end=at(0, "11:30"))  # fmt: skip
    retreat.attendees.add(leader)
    lunch.attendees.add(leader)
    return retreat, lunch


def test_leaders_index_lists_heads_of_delegation(role_client, leader):
    PersonFactory(delegation=leader.delegation, given_name="Paul", family_name="Aide")  # a member, not the head

    html = role_client("protocol").get(reverse("admin:timeline_leaders")).content.decode()

    assert "H.E. Anne Martin" in html
    assert "France" in html
    assert reverse("admin:timeline_leader", args=[leader.pk]) + "?day=2020-11-17" in html
    assert "Paul Aide" not in html


def test_leaders_index_switches_to_the_chosen_leader(role_client, leader):
    response = role_client("protocol").get(reverse("admin:timeline_leaders") + f"?person={leader.pk}&day=2020-11-17")

    assert response.status_code == 302
    assert response["Location"] == leader_url(leader.pk, "2020-11-17")


def test_leader_day_shows_a_too_short_transfer(role_client, tight_day, leader):
    response = role_client("protocol").get(leader_url(leader.pk))

    assert response.status_code == 200
    html = response.content.decode()
    in_order = html[html.index("In time order") :]
    assert in_order.index("Leaders&#x27; retreat") < in_order.index("Transfer Palace → Sokha")
    assert in_order.index("Transfer Palace → Sokha") < in_order.index("Working lunch")
    assert "10 min available" in html
    assert "⚠ too short" in html
    assert "needs 30 min motorcade + 15 min buffer = 45 min, 35 min short" in html
    transfers = [e for e in response.context["plan"].entries if isinstance(e, TransferEntry)]
    assert [(t.gap_minutes, t.transfer_minutes, t.severity) for t in transfers] == [(10, 30, "error")]


def test_leader_day_shows_presence_and_the_clashes_that_concern_the_person(role_client, tight_day, leader):
    retreat, lunch = tight_day
    open_conflict(
        f"session:{retreat.pk}",
        f"session:{lunch.pk}",
        kind=Conflict.Kind.TRANSFER_TOO_SHORT,
        resource=f"person:{leader.pk}",
        message="H.E. Anne Martin has 10 min from the retreat to lunch.",
        starts_at=at(0, "10:00"),
    )
    open_conflict(f"session:{retreat.pk}", resource="person:999999", message="Someone else's clash.")
    open_conflict(f"session:{lunch.pk}", resource=f"room:{lunch.room_id}", message="The ballroom is booked twice.")

    html = role_client("protocol").get(leader_url(leader.pk)).content.decode()

    assert "arrives <strong>Sun 15 Nov 14:00</strong>" in html
    assert "departs <strong>Wed 18 Nov 10:00</strong>" in html
    clashes = html[html.index("Open clashes for") :]
    assert "H.E. Anne Martin has 10 min from the retreat to lunch." in clashes
    assert "The ballroom is booked twice." not in clashes  # not the person's own clash…
    assert "The ballroom is booked twice." in html  # …but it marks the lunch they attend
    assert "Someone else&#x27;s clash." not in html  # another attendee's problem is left out


def test_leader_day_offers_the_other_heads(role_client, leader, summit):
    other = DelegationFactory(event=summit, partner__name="Japan")
    other.head = PersonFactory(delegation=other, given_name="Taro", family_name="Sato")
    other.save()

    html = role_client("protocol").get(leader_url(leader.pk)).content.decode()

    assert f'<option value="{other.head.pk}">Japan — Taro Sato</option>' in html
    assert f'<option value="{leader.pk}" selected>' in html


def test_leader_day_bad_day_is_explained(role_client, leader):
    response = role_client("protocol").get(leader_url(leader.pk, "2020-13-45"))

    assert response.status_code == 400
    assert "“2020-13-45” is not a date" in response.content.decode()


def test_leader_day_unknown_person_is_404(role_client, summit):
    assert role_client("protocol").get(leader_url(987654)).status_code == 404


# --- the domain, without the database ----------------------------------------------------------------------

FACTS = Facts(transfer_minutes={(1, 2): 30}, venue_names={1: "Palace", 2: "Sokha"}, buffer_minutes=15)


def commitment(key: str, start: str, end: str, venue: int) -> Commitment:
    return Commitment(key=key, label=key, start=at(0, start), end=at(0, end), venue_id=venue, people=(7,))


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        pytest.param(("10:45", "11:00", 2), [("transfer", "")], id="transfer_exactly_at_buffer"),
        pytest.param(("10:40", "11:00", 2), [("transfer", "warning")], id="inside_buffer"),
        pytest.param(("10:30", "11:00", 2), [("transfer", "warning")], id="exactly_the_drive"),
        pytest.param(("10:10", "11:00", 2), [("transfer", "error")], id="shorter_than_the_drive"),
        pytest.param(("10:00", "11:00", 2), [("transfer", "error")], id="touching"),
        pytest.param(("10:00", "11:00", 1), [], id="same_venue"),
        pytest.param(("09:30", "11:00", 2), [("overlap", "error")], id="partial_overlap"),
        pytest.param(("09:00", "09:30", 2), [("overlap", "error")], id="shared_start"),
    ],
)
def test_leader_entries_judge_transfers_as_the_engine_does(second, expected):
    items = [commitment("session:1", "09:00", "10:00", 1), commitment("session:2", *second)]
    items.sort(key=lambda c: (c.start, c.end, c.key))

    entries = leader_entries(items, FACTS)

    between = [(e.kind, e.severity) for e in entries if isinstance(e, TransferEntry | OverlapEntry)]
    assert between == expected


def test_leader_entries_measure_from_the_commitment_that_ends_last():
    # A short call inside a long meeting does not hide the move after the meeting.
    items = [
        commitment("session:1", "09:00", "11:00", 1),
        commitment("session:2", "09:30", "09:45", 1),
        commitment("session:3", "11:20", "12:00", 2),
    ]

    entries = leader_entries(items, FACTS)

    transfer = next(e for e in entries if isinstance(e, TransferEntry))
    assert (transfer.gap_minutes, transfer.severity) == (20, "error")


def test_leader_entries_without_a_transfer_time_say_so():
    items = [commitment("session:1", "09:00", "10:00", 1), commitment("session:2", "10:05", "11:00", 3)]

    transfer = next(e for e in leader_entries(items, FACTS) if isinstance(e, TransferEntry))

    assert (transfer.transfer_minutes, transfer.severity, transfer.destination) == (None, "", "venue 3")


@pytest.mark.parametrize(
    ("start", "end", "placed"),
    [
        pytest.param("06:00", "24:00", (0.0, 100.0, False), id="whole_axis"),
        pytest.param("12:00", "15:00", (100 * 6 / 18, 100 * 3 / 18, False), id="inside"),
        pytest.param("05:00", "07:00", (0.0, 100 / 18, True), id="starts_before_axis"),
        pytest.param("02:00", "04:00", (0.0, 0.6, True), id="wholly_before_axis"),
    ],
)
def test_axis_places_and_clips(start, end, placed):
    axis = Axis.for_day(dt.date(2020, 11, 16))
    end_at = at(1, "00:00") if end == "24:00" else at(0, end)

    left, width, clipped = axis.place(at(0, start), end_at)

    assert (left, width, clipped) == (pytest.approx(placed[0]), pytest.approx(placed[1]), placed[2])


def test_lanes_stack_overlapping_spans_only():
    spans = [(at(0, "09:00"), at(0, "10:00")), (at(0, "09:30"), at(0, "10:30")), (at(0, "10:00"), at(0, "11:00"))]

    assert lanes(spans) == ([0, 1, 0], 2)
