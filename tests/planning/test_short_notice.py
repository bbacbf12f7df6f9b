"""Short-notice bilaterals: the scoped problem (only the new request is a variable; everything published is fixed,
or, with moves allowed, the few meetings that could make room), placement without moving any published meeting,
a minimal move when staff allow it and there is no other way, the refusals, the admin action per role, and each
liaison told once. The solver runs in Celery eager mode (the broker is the outside boundary)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from asemplanner.choices import Category, Rank
from asemplanner.domain.audit import instance_save
from asemplanner.models import AuditEntry, Notification
from events.models import Room, Venue
from planning.domain.bilateral_plans import problem_load
from planning.domain.short_notice import short_notice_publish, short_notice_start
from protocol.domain.bilaterals import bilateral_accept, bilateral_request
from protocol.models import BilateralMeeting, SchedulingRun
from tests.factories import (
    BilateralMeetingFactory,
    BilateralWindowFactory,
    DelegationFactory,
    EventFactory,
    PartnerFactory,
    PersonFactory,
    RoomFactory,
    TransferTimeFactory,
    TravelFactory,
    UserFactory,
    VenueFactory,
    at,
)
from tests.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True)
CODES = ("FRA", "DEU", "JPN", "KOR", "IND")


@pytest.fixture(autouse=True)
def eager_celery(celery_eager, settings):
    settings.PLANNER_SHORT_NOTICE_SECONDS = 5


@pytest.fixture
def summit():
    """Five delegations with a head each (in town throughout) and one liaison each, France two; ONE bilateral
    room. Published: Japan–Korea 10:00 (in the room at the time France–Germany want), France–Japan 14:00 (shares
    France's head), India–Korea 16:00 (neither). France asks Germany for a bilateral today; Germany accepts."""
    event = EventFactory(acronym="SUM", start_date=dt.date(2020, 11, 16), end_date=dt.date(2020, 11, 16))
    airport = VenueFactory(name="PNH airport", short_name="PNH", kind=Venue.Kind.AIRPORT)
    centre = VenueFactory(name="Centre", short_name="Centre")
    TransferTimeFactory(from_venue=airport, to_venue=centre, minutes=30)
    room = RoomFactory(venue=centre, name="Bilateral 1", kind=Room.Kind.BILATERAL)
    delegations, liaisons = {}, {}
    for code in CODES:
        delegation = DelegationFactory(event=event, partner=PartnerFactory(code=code, name=code))
        delegation.head = PersonFactory(
            delegation=delegation, family_name=f"Head {code}", rank=Rank.HEAD_OF_STATE, category=Category.PRINCIPAL
        )
        delegation.save()
        TravelFactory(person=delegation.head, arrival_at=at(-1, "14:00"), arrival_airport=airport,
                      departure_at=at(2, "10:00"), departure_airport=airport)  # fmt: skip
        liaisons[code] = [UserFactory(username=f"liaison-{code.lower()}", roles=["liaison"])]
        delegation.liaisons.add(*liaisons[code])
        delegations[code] = delegation
    second = UserFactory(username="liaison-fra-2", roles=["liaison"])
    delegations["FRA"].liaisons.add(second)
    liaisons["FRA"].append(second)

    def published(a, b, hhmm):
        start = at(0, hhmm)
        return BilateralMeetingFactory(
            event=event, requester=delegations[a], counterpart=delegations[b], status=BilateralMeeting.Status.SCHEDULED,
            room=room, start=start, end=start + dt.timedelta(minutes=30), duration_minutes=30,
        )  # fmt: skip

    fixed = {"jpn_kor": published("JPN", "KOR", "10:00"), "fra_jpn": published("FRA", "JPN", "14:00"),
             "ind_kor": published("IND", "KOR", "16:00")}  # fmt: skip
    new = bilateral_request(requester=delegations["FRA"], counterpart=delegations["DEU"], duration=30, priority=4,
                            by=liaisons["FRA"][0], subject="Energy")  # fmt: skip
    bilateral_accept(meeting=new, by=liaisons["DEU"][0], delegation=delegations["DEU"])
    protocol = UserFactory(username="protocol-1", roles=["protocol"])
    return {"event": event, "room": room, "delegations": delegations, "liaisons": liaisons, "new": new,
            "protocol": protocol, **fixed}  # fmt: skip


def only_at_ten(summit):
    """France and Germany can meet only 10:00–10:30: the one slot Japan–Korea holds the room."""
    BilateralWindowFactory(meeting=summit["new"], start=at(0, "10:00"), end=at(0, "10:30"))


def placements(event):
    return {
        pk: (status, room, start)
        for pk, status, room, start in BilateralMeeting.objects.filter(event=event).values_list(
            "pk", "status", "room_id", "start"
        )
    }


def notices_since(mark: int) -> list[str]:
    return sorted(Notification.objects.filter(pk__gt=mark).values_list("recipient__username", flat=True))


def last_notice() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def ready(run: SchedulingRun) -> SchedulingRun:
    run.refresh_from_db()
    assert run.status == SchedulingRun.Status.READY, run.message
    return run


# --- The scoped problem ----------------------------------------------------------------------------------------
def test_scoped_problem_has_only_the_new_request_and_the_published_ones_are_fixed(summit):
    problem, meetings = problem_load(summit["event"], only=[summit["new"].pk])

    assert [r.key for r in problem.requests] == [summit["new"].pk] and set(meetings) == {summit["new"].pk}
    assert problem.previous == {}
    # The three published meetings hold the one room; France–Japan is also a fixed commitment of France's head.
    assert sorted(problem.rooms[0].busy) == [
        (at(0, hhmm), at(0, hhmm) + dt.timedelta(minutes=30)) for hhmm in ("10:00", "14:00", "16:00")
    ]
    fra_head = summit["delegations"]["FRA"].head_id
    assert (at(0, "14:00"), at(0, "14:30")) in [(b.start, b.end) for b in problem.busy[fra_head]]


def test_with_moves_allowed_the_scope_grows_by_the_meetings_that_could_make_room_only(summit):
    only_at_ten(summit)

    problem, _meetings = problem_load(summit["event"], only=[summit["new"].pk], allow_moves=True)

    keys = {r.key for r in problem.requests}
    # Japan–Korea holds the room at the only time; France–Japan shares France's head; India–Korea does neither.
    assert keys == {summit["new"].pk, summit["jpn_kor"].pk, summit["fra_jpn"].pk}
    assert set(problem.previous) == {summit["jpn_kor"].pk, summit["fra_jpn"].pk}
    assert problem.rooms[0].busy == ((at(0, "16:00"), at(0, "16:30")),)


def test_with_moves_allowed_a_request_that_fits_as_it_is_brings_nothing_else_in(summit):
    problem, _meetings = problem_load(summit["event"], only=[summit["new"].pk], allow_moves=True)

    assert [r.key for r in problem.requests] == [summit["new"].pk] and problem.previous == {}


def test_a_published_meeting_that_could_not_stay_where_it_is_is_left_fixed_not_moved(summit):
    # France–Japan at 14:05 is off the half-hour start grid (as the seed's deliberate clashes are): moving it
    # would "repair" it behind staff's back, so it stays a fixed commitment even with moves allowed.
    BilateralMeeting.objects.filter(pk=summit["fra_jpn"].pk).update(start=at(0, "14:05"), end=at(0, "14:35"))
    only_at_ten(summit)

    problem, _meetings = problem_load(summit["event"], only=[summit["new"].pk], allow_moves=True)

    assert {r.key for r in problem.requests} == {summit["new"].pk, summit["jpn_kor"].pk}
    fra_head = summit["delegations"]["FRA"].head_id
    assert (at(0, "14:05"), at(0, "14:35")) in [(b.start, b.end) for b in problem.busy[fra_head]]


def test_a_scoped_replan_takes_just_the_named_scheduled_meetings(summit):
    problem, _meetings = problem_load(summit["event"], replan=True, only=[summit["fra_jpn"].pk])

    assert [r.key for r in problem.requests] == [summit["fra_jpn"].pk]
    assert set(problem.previous) == {summit["fra_jpn"].pk}
    assert summit["new"].pk not in {r.key for r in problem.requests}  # accepted but outside the scope


# --- Placing and publishing ------------------------------------------------------------------------------------
def test_placed_without_moving_any_published_meeting_and_each_liaison_told_once(summit):
    before = placements(summit["event"])
    run = short_notice_start(meeting=summit["new"], allow_moves=False, by=summit["protocol"])
    run = ready(run)

    assert run.kind == SchedulingRun.Kind.SHORT_NOTICE and run.only == [summit["new"].pk] and not run.allow_moves
    assert [row["meeting"] for row in run.proposal] == [summit["new"].pk]
    assert run.figures["moved"] == 0 and run.unplaced == []
    mark = last_notice()
    short_notice_publish(run=run, by=summit["protocol"])

    after = placements(summit["event"])
    new = summit["new"]
    new.refresh_from_db()
    assert new.status == BilateralMeeting.Status.SCHEDULED
    assert {pk: place for pk, place in after.items() if pk != new.pk} == {
        pk: place for pk, place in before.items() if pk != new.pk
    }
    # The room is free of the three published meetings (with the changeover) at the new one's time.
    for other in (summit["jpn_kor"], summit["fra_jpn"], summit["ind_kor"]):
        assert not (
            new.start < other.end + dt.timedelta(minutes=15) and other.start - dt.timedelta(minutes=15) < new.end
        )
    assert notices_since(mark) == sorted(["liaison-fra", "liaison-fra-2", "liaison-deu"])
    text = Notification.objects.filter(pk__gt=mark, recipient__username="liaison-deu").get()
    assert "short notice" in text.title and "FRA" in text.body
    run.refresh_from_db()
    assert run.status == SchedulingRun.Status.PUBLISHED
    assert AuditEntry.objects.filter(action="protocol.bilateral.scheduled", object_id=str(new.pk)).count() == 1


def test_without_moves_a_request_with_no_free_room_is_not_placed_and_publish_is_refused(summit):
    only_at_ten(summit)
    before = placements(summit["event"])

    run = ready(short_notice_start(meeting=summit["new"], allow_moves=False, by=summit["protocol"]))

    assert run.proposal == []
    assert [row["meeting"] for row in run.unplaced] == [summit["new"].pk]
    assert "No room" in run.unplaced[0]["reason"]
    with pytest.raises(ValidationError, match="found no place for the request: No room"):
        short_notice_publish(run=run, by=summit["protocol"])
    assert placements(summit["event"]) == before


def test_with_moves_allowed_the_one_meeting_in_the_way_moves_and_nothing_else(summit):
    only_at_ten(summit)
    before = placements(summit["event"])

    run = ready(short_notice_start(meeting=summit["new"], allow_moves=True, by=summit["protocol"]))

    rows = {row["meeting"]: row for row in run.proposal}
    assert rows[summit["new"].pk]["start"] == at(0, "10:00").isoformat()
    assert rows[summit["jpn_kor"].pk]["moved"] is True
    assert rows[summit["fra_jpn"].pk]["unchanged"] is True  # in scope, but no need to move it
    assert run.figures["moved"] == 1 and run.unplaced == []
    mark = last_notice()
    short_notice_publish(run=run, by=summit["protocol"])

    after = placements(summit["event"])
    changed = {pk for pk in after if after[pk] != before[pk]}
    assert changed == {summit["new"].pk, summit["jpn_kor"].pk}
    summit["jpn_kor"].refresh_from_db()
    assert summit["jpn_kor"].status == BilateralMeeting.Status.SCHEDULED
    moved, pad = summit["jpn_kor"], dt.timedelta(minutes=15)  # clear of the new one, with the changeover
    assert moved.end + pad <= at(0, "10:00") or at(0, "10:30") + pad <= moved.start, moved.start
    # Both sides of each changed meeting, once each: France (two liaisons), Germany, Japan, Korea; India not.
    assert notices_since(mark) == sorted(["liaison-fra", "liaison-fra-2", "liaison-deu", "liaison-jpn", "liaison-kor"])


# --- Refusals --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "message"),
    [
        pytest.param(BilateralMeeting.Status.REQUESTED, "is requested; only a request accepted by", id="requested"),
        pytest.param(BilateralMeeting.Status.DECLINED, "is declined; only a request accepted by", id="declined"),
    ],
)
def test_a_request_not_accepted_is_refused(summit, status, message):
    meeting = summit["new"]
    meeting.status = status
    instance_save(instance=meeting, by="test", action="test.status")

    with pytest.raises(ValidationError, match=message):
        short_notice_start(meeting=meeting, allow_moves=False, by=summit["protocol"])
    assert not SchedulingRun.objects.exists()


def test_an_already_scheduled_meeting_is_refused(summit):
    with pytest.raises(ValidationError, match=r"is already scheduled for .* in .*Bilateral 1"):
        short_notice_start(meeting=summit["jpn_kor"], allow_moves=True, by=summit["protocol"])
    assert not SchedulingRun.objects.exists()


def test_an_open_run_of_the_event_is_refused(summit):
    SchedulingRun.objects.create(
        event=summit["event"], kind=SchedulingRun.Kind.PLAN, status=SchedulingRun.Status.QUEUED
    )

    with pytest.raises(ValidationError, match="already queued"):
        short_notice_start(meeting=summit["new"], allow_moves=False, by=summit["protocol"])
    assert SchedulingRun.objects.count() == 1


def test_a_stale_run_is_refused_at_publish_and_nothing_changes(summit):
    run = ready(short_notice_start(meeting=summit["new"], allow_moves=False, by=summit["protocol"]))
    india_korea = summit["ind_kor"]
    india_korea.notes = "moved by hand meanwhile"
    instance_save(instance=india_korea, by="protocol-1", action="protocol.bilateral.changed")
    before = placements(summit["event"])
    mark = last_notice()

    with pytest.raises(ValidationError, match="changed since this placement was computed: IND"):
        short_notice_publish(run=run, by=summit["protocol"])

    assert placements(summit["event"]) == before
    run.refresh_from_db()
    assert run.status == SchedulingRun.Status.READY
    assert notices_since(mark) == []


def test_a_published_run_cannot_be_published_twice(summit):
    run = ready(short_notice_start(meeting=summit["new"], allow_moves=False, by=summit["protocol"]))
    short_notice_publish(run=run, by=summit["protocol"])
    mark = last_notice()

    with pytest.raises(ValidationError, match="is published; only a ready one"):
        short_notice_publish(run=run, by=summit["protocol"])
    assert notices_since(mark) == []


# --- The admin -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "status"),
    [
        pytest.param("protocol", 302, id="protocol"),
        pytest.param("admin", 302, id="admin"),
        pytest.param("security", 403, id="security"),
        pytest.param("logistics", 403, id="logistics"),
        pytest.param("accreditation", 403, id="accreditation"),
    ],
)
def test_place_now_per_role(client, summit, role, status):
    sign_in(client, UserFactory(username=f"{role}-x", roles=[role]))
    url = reverse("admin:scheduling_short_notice", args=[summit["event"].pk])

    response = client.post(url, {"meeting": summit["new"].pk, "allow_moves": "on"})

    assert response.status_code == status
    runs = list(SchedulingRun.objects.all())
    if status == 302:
        assert [(r.kind, r.only, r.allow_moves) for r in runs] == [
            (SchedulingRun.Kind.SHORT_NOTICE, [summit["new"].pk], True)
        ]
    else:
        assert runs == []


def test_protocol_places_and_publishes_from_the_pages(client, summit):
    sign_in(client, summit["protocol"])
    change = client.get(reverse("admin:protocol_bilateralmeeting_change", args=[summit["new"].pk]))
    assert b"Place now (short notice)" in change.content and b"allow moving published meetings" in change.content
    page = reverse("admin:scheduling_event", args=[summit["event"].pk])
    assert b'id="short-notice-requests"' in client.get(page).content

    response = client.post(reverse("admin:scheduling_short_notice", args=[summit["event"].pk]),
                           {"meeting": summit["new"].pk}, follow=True)  # fmt: skip

    run = SchedulingRun.objects.get()
    assert run.allow_moves is False and run.status == SchedulingRun.Status.READY
    body = response.content.decode()
    assert "published meetings stay where they are" in body and "Publish this plan" in body
    response = client.post(reverse("admin:scheduling_publish", args=[run.pk]), follow=True)
    assert "Published: 1 bilateral(s) placed" in response.content.decode()
    summit["new"].refresh_from_db()
    assert summit["new"].status == BilateralMeeting.Status.SCHEDULED
    assert Notification.objects.filter(recipient__username="liaison-deu", topic=f"replan:{run.pk}").count() == 1


def test_the_change_page_offers_no_placement_for_a_scheduled_meeting(client, summit):
    sign_in(client, summit["protocol"])
    change = client.get(reverse("admin:protocol_bilateralmeeting_change", args=[summit["jpn_kor"].pk]))
    assert change.status_code == 200
    assert b"Place now (short notice)" not in change.content
    assert b"Japan" in change.content or b"JPN" in change.content


def test_a_meeting_of_another_event_is_not_found(client, summit):
    sign_in(client, summit["protocol"])
    other = EventFactory(acronym="OTHER", start_date=dt.date(2020, 11, 20), end_date=dt.date(2020, 11, 20))

    response = client.post(reverse("admin:scheduling_short_notice", args=[other.pk]), {"meeting": summit["new"].pk})

    assert response.status_code == 404
    assert not SchedulingRun.objects.exists()


def test_a_missing_meeting_field_is_refused_with_the_reason(client, summit):
    sign_in(client, summit["protocol"])

    response = client.post(reverse("admin:scheduling_short_notice", args=[summit["event"].pk]), {"meeting": "x"},
                           follow=True)  # fmt: skip

    assert "the meeting field was missing or not a number" in response.content.decode()
    assert not SchedulingRun.objects.exists()
