"""Disruptions: a principal's moved arrival or departure opens a record after the commit, with its impact and a
bilateral re-plan solved in the background (Celery eager: the broker is the outside boundary); staff publish it
in one click, each liaison of the delegations concerned told once; refusals change nothing; the admin pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from asemplanner.choices import Category, Rank
from asemplanner.domain.audit import instance_save
from asemplanner.models import Notification
from delegations.domain.delegations import travel_set
from delegations.domain.flights import flight_status_set
from delegations.models import Travel
from events.models import Room, Session, Venue
from planning.domain.disruptions import disruption_close, disruption_publish, disruption_replan
from planning.models import Disruption
from protocol.domain.bilaterals import bilateral_schedule
from protocol.models import BilateralMeeting, SchedulingRun
from tests.factories import (
    BilateralMeetingFactory,
    DelegationFactory,
    EventFactory,
    PartnerFactory,
    PersonFactory,
    RoomFactory,
    SessionFactory,
    TransferTimeFactory,
    TravelFactory,
    UserFactory,
    VenueFactory,
    at,
)
from tests.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def eager_celery(celery_eager, settings):
    settings.PLANNER_SCHEDULER_SECONDS = 5


@pytest.fixture
def summit():
    """Three delegations (France with two liaisons), their heads in town from the day before; France's head has
    bilaterals with Germany at 10:00 and with Japan at 14:00 on day 0, Germany and Japan meet at 16:00; the
    heads' retreat runs 09:00–09:30. France's adviser is no principal."""
    event = EventFactory(acronym="SUM", start_date=dt.date(2020, 11, 16), end_date=dt.date(2020, 11, 17))
    airport = VenueFactory(name="PNH airport", short_name="PNH", kind=Venue.Kind.AIRPORT)
    centre = VenueFactory(name="Centre", short_name="Centre")
    TransferTimeFactory(from_venue=airport, to_venue=centre, minutes=30)
    TransferTimeFactory(from_venue=centre, to_venue=airport, minutes=30)
    rooms = [RoomFactory(venue=centre, name=f"Bilateral {n}", kind=Room.Kind.BILATERAL) for n in (1, 2, 3)]
    plenary = RoomFactory(venue=centre, name="Plenary", kind=Room.Kind.PLENARY)
    delegations, liaisons = {}, {}
    for code, name in (("FRA", "France"), ("DEU", "Germany"), ("JPN", "Japan")):
        delegation = DelegationFactory(event=event, partner=PartnerFactory(code=code, name=name))
        head = PersonFactory(
            delegation=delegation, family_name=f"Head {code}", rank=Rank.HEAD_OF_STATE, category=Category.PRINCIPAL
        )
        delegation.head = head
        delegation.save()
        TravelFactory(person=head, arrival_at=at(-1, "14:00"), arrival_airport=airport, departure_at=at(2, "10:00"),
                      departure_airport=airport)  # fmt: skip
        delegations[code] = delegation
        liaisons[code] = [UserFactory(username=f"liaison-{code.lower()}", roles=["liaison"])]
        delegation.liaisons.add(*liaisons[code])
    second = UserFactory(username="liaison-fra-2", roles=["liaison"])
    delegations["FRA"].liaisons.add(second)
    liaisons["FRA"].append(second)
    adviser = PersonFactory(delegation=delegations["FRA"], family_name="Adviser", rank=Rank.OTHER)
    TravelFactory(person=adviser, arrival_at=at(-1, "14:00"), departure_at=at(2, "10:00"))

    def meeting(a, b, start, room):
        return BilateralMeetingFactory(
            event=event, requester=delegations[a], counterpart=delegations[b], status=BilateralMeeting.Status.SCHEDULED,
            room=room, start=start, end=start + dt.timedelta(minutes=30), duration_minutes=30,
        )  # fmt: skip

    retreat = SessionFactory(event=event, room=plenary, title="Leaders' retreat", start=at(0, "09:00"),
                             end=at(0, "09:30"), audience=Session.Audience.HEADS)  # fmt: skip
    staff = {role: UserFactory(username=f"{role}-1", roles=[role]) for role in ("protocol", "security", "logistics")}
    return {
        "event": event, "delegations": delegations, "liaisons": liaisons, "adviser": adviser, "rooms": rooms,
        "fra_deu": meeting("FRA", "DEU", at(0, "10:00"), rooms[0]),
        "fra_jpn": meeting("FRA", "JPN", at(0, "14:00"), rooms[1]),
        "deu_jpn": meeting("DEU", "JPN", at(0, "16:00"), rooms[2]),
        "retreat": retreat, "staff": staff,
    }  # fmt: skip


def head(summit, code="FRA"):
    return summit["delegations"][code].head


def land(summit, when, code="FRA", by="liaison-fra"):
    travel_set(person=head(summit, code), by=by, arrival_at=when)


def notices(topic_prefix: str) -> list[str]:
    return sorted(
        Notification.objects.filter(topic__startswith=topic_prefix).values_list("recipient__username", flat=True)
    )


def test_a_non_principals_travel_change_opens_nothing(summit):
    travel_set(person=summit["adviser"], by="liaison-fra", arrival_at=at(0, "15:00"))
    assert not Disruption.objects.exists()
    assert notices("disruption:") == []


def test_a_principals_late_arrival_opens_a_disruption_with_its_impact_and_a_replan(summit):
    land(summit, at(0, "12:00"))

    disruption = Disruption.objects.get()
    assert disruption.person == head(summit) and disruption.event == summit["event"]
    assert disruption.kind == Disruption.Kind.LATE_ARRIVAL and disruption.status == Disruption.Status.OPEN
    assert (disruption.arrival_was, disruption.arrival_now) == (at(-1, "14:00"), at(0, "12:00"))
    assert disruption.reported_by == "liaison-fra"
    impact = disruption.impact
    assert [row["label"] for row in impact["sessions_missed"]] == ["Leaders' retreat"]
    outside = {row["meeting"]: row["outside"] for row in impact["bilaterals"]}
    assert outside == {summit["fra_deu"].pk: "before arrival", summit["fra_jpn"].pk: ""}
    # Protocol and security told once; logistics not.
    assert notices(f"disruption:{disruption.pk}") == ["protocol-1", "security-1"]
    # The re-plan ran in the background (eager) and moves only what the arrival invalidates.
    run = disruption.run
    assert run is not None and run.kind == SchedulingRun.Kind.REPLAN and run.status == SchedulingRun.Status.READY
    assert {row["meeting"] for row in run.proposal if row["moved"]} == {summit["fra_deu"].pk}
    assert sorted(run.only) == sorted([summit["fra_deu"].pk, summit["fra_jpn"].pk])
    summit["fra_deu"].refresh_from_db()
    assert summit["fra_deu"].start == at(0, "10:00")  # a proposal moves nothing until published


def test_a_second_change_updates_the_open_disruption(summit):
    land(summit, at(0, "12:00"))
    first = Disruption.objects.get()
    land(summit, at(0, "13:00"), by="protocol-1")

    disruption = Disruption.objects.get()
    assert disruption.pk == first.pk
    assert (disruption.arrival_was, disruption.arrival_now) == (at(-1, "14:00"), at(0, "13:00"))
    assert disruption.reported_by == "protocol-1"
    assert "arrives 16 Nov 2020 13:00 instead of 15 Nov 2020 14:00" in disruption.summary
    assert notices(f"disruption:{disruption.pk}") == ["protocol-1", "security-1"]  # still once each
    # A fresh re-plan answers the new time: the 10:00 bilateral cannot stay, the second run replaced the first.
    assert disruption.run is not None and disruption.run.pk != first.run.pk


@pytest.mark.parametrize(
    ("field", "when", "kind"),
    [
        pytest.param("arrival_at", at(-1, "10:00"), Disruption.Kind.EARLY_ARRIVAL, id="early_arrival"),
        pytest.param("departure_at", at(2, "18:00"), Disruption.Kind.LATE_DEPARTURE, id="late_departure"),
        pytest.param("departure_at", at(0, "12:00"), Disruption.Kind.EARLY_DEPARTURE, id="early_departure"),
    ],
)
def test_each_kind_of_move_opens_its_kind(summit, field, when, kind):
    travel_set(person=head(summit), by="liaison-fra", **{field: when})
    disruption = Disruption.objects.get()
    assert disruption.kind == kind
    now = disruption.arrival_now if field == "arrival_at" else disruption.departure_now
    assert now == when
    if kind == Disruption.Kind.EARLY_DEPARTURE:
        outside = {row["meeting"]: row["outside"] for row in disruption.impact["bilaterals"]}
        assert outside[summit["fra_jpn"].pk] == "after departure"


def test_publish_moves_the_meetings_and_tells_each_liaison_once(summit):
    # France's head now lands at 15:00: both of France's bilaterals (10:00, 14:00) must move.
    land(summit, at(0, "15:00"))
    disruption = Disruption.objects.get()
    moved = {row["meeting"] for row in disruption.run.proposal if row["moved"]}
    assert moved == {summit["fra_deu"].pk, summit["fra_jpn"].pk}

    disruption_publish(disruption=disruption, by="protocol-1", run=disruption.run)

    disruption.refresh_from_db()
    assert disruption.status == Disruption.Status.PUBLISHED
    assert SchedulingRun.objects.get(pk=disruption.run_id).status == SchedulingRun.Status.PUBLISHED
    for key in ("fra_deu", "fra_jpn"):
        summit[key].refresh_from_db()
        assert summit[key].start >= at(0, "15:00") + dt.timedelta(minutes=30)  # landed, then the motorcade
    summit["deu_jpn"].refresh_from_db()
    assert summit["deu_jpn"].start == at(0, "16:00")
    # One notice per liaison: France's two liaisons, Germany's and Japan's, each listing their meetings.
    told = Notification.objects.filter(topic=f"replan:{disruption.run_id}")
    assert sorted(told.values_list("recipient__username", flat=True)) == [
        "liaison-deu", "liaison-fra", "liaison-fra-2", "liaison-jpn",
    ]  # fmt: skip
    french = told.get(recipient__username="liaison-fra")
    assert "2 bilateral meeting(s) changed" in french.title
    assert "With Germany: moved to" in french.body and "With Japan: moved to" in french.body
    assert not Notification.objects.filter(topic__startswith="bilateral:").exists()  # not per meeting and side


def test_publishing_a_stale_replan_is_refused_and_changes_nothing(summit):
    land(summit, at(0, "12:00"))
    disruption = Disruption.objects.get()
    run = disruption.run
    # Meanwhile protocol moves Germany–Japan by hand.
    deu_jpn = summit["deu_jpn"]
    bilateral_schedule(meeting=deu_jpn, room=summit["rooms"][2], start=at(0, "17:00"), by="protocol-1")

    with pytest.raises(ValidationError, match="changed since this re-plan"):
        disruption_publish(disruption=disruption, by="protocol-1", run=run)

    disruption.refresh_from_db()
    run.refresh_from_db()
    summit["fra_deu"].refresh_from_db()
    assert disruption.status == Disruption.Status.OPEN and run.status == SchedulingRun.Status.READY
    assert summit["fra_deu"].start == at(0, "10:00")
    assert not Notification.objects.filter(recipient__username__startswith="liaison-").exists()


def test_a_run_not_ready_or_a_newer_one_is_refused(summit):
    land(summit, at(0, "12:00"))
    disruption = Disruption.objects.get()
    first = disruption.run
    land(summit, at(0, "13:00"))
    disruption.refresh_from_db()
    with pytest.raises(ValidationError, match="newer re-plan replaced"):
        disruption_publish(disruption=disruption, by="protocol-1", run=first)
    SchedulingRun.objects.filter(pk=disruption.run_id).update(status=SchedulingRun.Status.FAILED, message="boom")
    with pytest.raises(ValidationError, match="failed"):
        disruption_publish(disruption=disruption, by="protocol-1")
    assert Disruption.objects.get().status == Disruption.Status.OPEN


def test_a_disruption_waits_for_the_events_open_run_then_gets_its_own(summit):
    busy = SchedulingRun.objects.create(event=summit["event"], kind="plan", status=SchedulingRun.Status.RUNNING)
    land(summit, at(0, "12:00"))
    disruption = Disruption.objects.get()
    assert disruption.run is None
    assert disruption.impact["replan"]["state"] == "waiting"
    assert "re-plan starts when it finishes" in disruption.impact["replan"]["message"]
    # Nothing to publish yet: said so, nothing changed.
    with pytest.raises(ValidationError, match="no re-plan to publish"):
        disruption_publish(disruption=disruption, by="protocol-1")

    busy.status = SchedulingRun.Status.READY  # the worker finishes the other run (an audited write)
    instance_save(instance=busy, by="system:scheduler")

    disruption.refresh_from_db()
    assert disruption.impact["replan"]["state"] == "started"
    assert disruption.run is not None and disruption.run.status == SchedulingRun.Status.READY


def test_replan_now_while_a_run_is_open_waits_without_an_error(summit):
    land(summit, at(0, "12:00"))
    disruption = Disruption.objects.get()
    SchedulingRun.objects.create(event=summit["event"], kind="plan", status=SchedulingRun.Status.QUEUED)
    assert disruption_replan(disruption=disruption, by="protocol-1") is None
    disruption.refresh_from_db()
    assert disruption.impact["replan"]["state"] == "waiting"


def test_close_ends_it_and_a_closed_one_cannot_be_published(summit):
    land(summit, at(0, "12:00"))
    disruption = Disruption.objects.get()
    disruption_close(disruption=disruption, by="protocol-1")
    disruption.refresh_from_db()
    assert disruption.status == Disruption.Status.CLOSED and disruption.closed_at is not None
    with pytest.raises(ValidationError, match="only an open one"):
        disruption_publish(disruption=disruption, by="protocol-1")
    summit["fra_deu"].refresh_from_db()
    assert summit["fra_deu"].start == at(0, "10:00")
    # The next slip opens a new disruption.
    land(summit, at(0, "13:00"))
    assert Disruption.objects.filter(status=Disruption.Status.OPEN).count() == 1
    assert Disruption.objects.count() == 2


def test_the_liaison_changes_the_heads_arrival_in_the_portal_and_the_disruption_exists(client, summit):
    sign_in(client, summit["liaisons"]["FRA"][0])
    fra = summit["delegations"]["FRA"]
    travel = head(summit).travel
    response = client.post(
        reverse("portal:member_travel", args=[fra.pk, head(summit).pk]),
        {
            "arrival_flight": "AF274",
            "arrival_at": "2020-11-16T12:00",
            "arrival_zone": "Asia/Phnom_Penh",
            "arrival_airport": travel.arrival_airport_id,
            "departure_flight": "AF275",
            "departure_at": "2020-11-18T10:00",
            "departure_zone": "Asia/Phnom_Penh",
            "departure_airport": travel.departure_airport_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    disruption = Disruption.objects.get()
    assert disruption.arrival_now == at(0, "12:00") and disruption.reported_by == "liaison-fra"
    assert disruption.kind == Disruption.Kind.LATE_ARRIVAL


# --- Admin ------------------------------------------------------------------------------------------------------
def test_protocol_sees_the_impact_and_the_moves_and_publishes_from_the_page(client, summit):
    land(summit, at(0, "12:00"))
    disruption = Disruption.objects.get()
    sign_in(client, summit["staff"]["protocol"])
    listing = client.get(reverse("admin:disruptions")).content.decode()
    assert reverse("admin:disruption_detail", args=[disruption.pk]) in listing and "Late arrival" in listing
    page = client.get(reverse("admin:disruption_detail", args=[disruption.pk])).content.decode()
    assert "Leaders&#x27; retreat" in page  # the session now missed
    assert "France – Germany" in page and "moves" in page  # the proposal's move
    assert "Publish the re-plan" in page and "planning/disruption-poll.js" in page
    status = client.get(reverse("admin:disruption_status", args=[disruption.pk])).json()
    assert status["run"]["status"] == "ready" and status["assessed"] is True

    response = client.post(reverse("admin:disruption_publish", args=[disruption.pk]), {"run": disruption.run_id})
    assert response.status_code == 302
    assert Disruption.objects.get().status == Disruption.Status.PUBLISHED
    assert notices("replan:") == ["liaison-deu", "liaison-fra", "liaison-fra-2"]  # France–Germany moved
    after = client.get(reverse("admin:disruption_detail", args=[disruption.pk])).content.decode()
    assert "Status: <strong>Re-plan published</strong> — the re-plan was published" in after
    assert "is re-planning" not in after  # the run's own line says where it stands, not the start's message


@pytest.mark.parametrize(
    ("role", "view", "act"),
    [
        pytest.param("protocol", 200, 302, id="protocol_acts"),
        pytest.param("admin", 200, 302, id="admin_acts"),
        pytest.param("security", 200, 403, id="security_views"),
        pytest.param("logistics", 403, 403, id="logistics_neither"),
    ],
)
def test_who_may_view_and_act(client, summit, role, view, act):
    land(summit, at(0, "12:00"))
    disruption = Disruption.objects.get()
    sign_in(client, UserFactory(username=f"{role}-tester", roles=[role]))
    assert client.get(reverse("admin:disruptions")).status_code == view
    assert client.get(reverse("admin:disruption_detail", args=[disruption.pk])).status_code == view
    assert client.post(reverse("admin:disruption_close", args=[disruption.pk])).status_code == act
    expected = Disruption.Status.CLOSED if act == 302 else Disruption.Status.OPEN
    assert Disruption.objects.get().status == expected


def test_a_liaison_gets_no_admin_page(client, summit):
    land(summit, at(0, "12:00"))
    disruption = Disruption.objects.get()
    sign_in(client, summit["liaisons"]["FRA"][0])
    response = client.get(reverse("admin:disruption_detail", args=[disruption.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
    client.post(reverse("admin:disruption_close", args=[disruption.pk]))
    assert Disruption.objects.get().status == Disruption.Status.OPEN


def test_a_delayed_flight_marked_by_staff_opens_the_disruption(summit):
    """Flight status (delegations/domain/flights.py) writes travel like any other path: a principal's delay opens
    the disruption with the new time, reported by the staff member who marked it."""
    travel = Travel.objects.get(person=head(summit))
    travel.arrival_flight = "AF274"
    travel.save()
    flight_status_set(travel=travel, leg="arrival", status=Travel.ArrivalStatus.DELAYED, at=at(0, "12:00"),
                      by=summit["staff"]["protocol"])  # fmt: skip

    disruption = Disruption.objects.get()
    assert disruption.kind == Disruption.Kind.LATE_ARRIVAL
    assert (disruption.arrival_was, disruption.arrival_now) == (at(-1, "14:00"), at(0, "12:00"))
    assert disruption.reported_by == "protocol-1"
