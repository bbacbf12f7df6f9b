"""A room out of service across the apps: the stored clashes, the scheduler, the impact, the relocation proposal
(capacity, hours, zone, same venue then nearest, no double booking), accepting all, some or none, the notices,
and the admin pages per role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from asemplanner.models import AuditEntry, Notification
from events.domain.outages import outage_create, outage_lift
from events.models import Conflict, RoomOutage, Session
from planning.domain.bilateral_plans import problem_load
from planning.domain.conflict_checks import conflicts_check_all
from planning.domain.room_outages import outage_impact, relocation_proposal, relocations_accept
from protocol.domain.task_generation import tasks_generate
from protocol.models import BilateralMeeting, ProtocolTask
from tests.factories import (
    AccreditationFactory,
    DelegationFactory,
    PersonFactory,
    RoomFactory,
    SecurityZoneFactory,
    SessionFactory,
    TransferTimeFactory,
    UserFactory,
    VenueFactory,
    at,
)

pytestmark = pytest.mark.django_db
BY = "test"


@pytest.fixture
def place(event):
    """A palace with its hall (the room that goes out) and an annex; a hotel 10 min away, a far venue 40 min away."""
    palace, hotel, far = VenueFactory(name="Palace"), VenueFactory(name="Hotel"), VenueFactory(name="Far")
    TransferTimeFactory(from_venue=palace, to_venue=hotel, minutes=10)
    TransferTimeFactory(from_venue=palace, to_venue=far, minutes=40)

    class Place:
        pass

    p = Place()
    p.event, p.palace, p.hotel, p.far = event, palace, hotel, far
    p.hall = RoomFactory(venue=palace, name="Hall", capacity=500)
    p.annex = RoomFactory(venue=palace, name="Annex", capacity=400)
    p.ballroom = RoomFactory(venue=hotel, name="Ballroom", capacity=400)
    p.barn = RoomFactory(venue=far, name="Barn", capacity=400)
    p.plenary = SessionFactory(
        event=event, room=p.hall, title="Plenary", start=at(0, "10:00"), end=at(0, "11:00"), expected_attendance=300
    )
    return p


def _out(room, start="09:00", end="13:00"):
    return outage_create(room=room, start=at(0, start), end=at(0, end), reason="Power cut", by=BY)


def _target(proposal, session):
    return next(move for move in proposal.sessions if move.session.pk == session.pk)


# --- the proposal ------------------------------------------------------------------------------------------------
def test_proposal_prefers_the_same_venue(place):
    proposal = relocation_proposal(_out(place.hall))

    move = _target(proposal, place.plenary)
    assert move.room == place.annex
    assert "same venue" in move.why


def test_then_the_nearest_venue_by_transfer_time(place):
    SessionFactory(event=place.event, room=place.annex, start=at(0, "10:30"), end=at(0, "12:00"))

    move = _target(relocation_proposal(_out(place.hall)), place.plenary)

    assert move.room == place.ballroom
    assert "10 min" in move.why


def test_a_room_too_small_is_left_out(place):
    place.annex.capacity = 299
    place.annex.save()
    place.ballroom.capacity = 120
    place.ballroom.save()

    move = _target(relocation_proposal(_out(place.hall)), place.plenary)

    assert move.room == place.barn


def test_a_room_closed_then_is_left_out(place):
    place.annex.opens_at, place.annex.closes_at = dt.time(12, 0), dt.time(22, 0)
    place.annex.save()

    assert _target(relocation_proposal(_out(place.hall)), place.plenary).room == place.ballroom


def test_a_room_out_of_service_itself_is_left_out(place):
    _out(place.annex, "10:00", "10:15")

    assert _target(relocation_proposal(_out(place.hall)), place.plenary).room == place.ballroom


def test_a_bilateral_rooms_changeover_counts(place, settings):
    settings.PLANNER_BILATERAL_CHANGEOVER_MINUTES = 15
    meeting = BilateralMeetingScheduled(place.event, place.annex, at(0, "11:00"))

    move = _target(relocation_proposal(_out(place.hall)), place.plenary)

    assert move.room == place.ballroom, "the annex's meeting at 11:00 needs its 15 minutes after the plenary"
    assert meeting.pk


def test_zone_the_audience_may_not_enter_is_left_out(place):
    z3, z5 = SecurityZoneFactory(code="ZC", level=3), SecurityZoneFactory(code="ZL", level=5)
    z2 = SecurityZoneFactory(code="ZD", level=2)
    place.hall.zone = z3
    place.hall.save()
    place.annex.zone = z5  # leaders only
    place.annex.save()
    place.ballroom.zone = z2
    place.ballroom.save()
    delegate = PersonFactory(delegation=DelegationFactory(event=place.event))
    accreditation = AccreditationFactory(person=delegate, event=place.event)
    accreditation.zones.set([z2, z3])
    place.plenary.attendees.set([delegate])

    move = _target(relocation_proposal(_out(place.hall)), place.plenary)

    assert move.room == place.ballroom


def test_zone_falls_back_to_the_level_of_the_sessions_room_without_grants(place):
    place.hall.zone = SecurityZoneFactory(code="ZC", level=3)
    place.hall.save()
    place.annex.zone = SecurityZoneFactory(code="ZL", level=5)
    place.annex.save()

    assert _target(relocation_proposal(_out(place.hall)), place.plenary).room == place.ballroom


def test_no_room_fits_says_why(place):
    place.plenary.expected_attendance = 450
    place.plenary.save()

    move = _target(relocation_proposal(_out(place.hall)), place.plenary)

    assert move.room is None
    assert "450 seats needed" in move.why and "too small" in move.why


def test_two_relocated_sessions_never_share_a_room_at_once(place):
    # Two sessions back to back in the hall fit the annex one after the other, but a third in the annex then
    # overlaps: the overlapping pair must land in different rooms.
    second = SessionFactory(
        event=place.event, room=place.hall, title="Working lunch", start=at(0, "11:00"), end=at(0, "12:00")
    )
    proposal = relocation_proposal(_out(place.hall))

    placed = [(m.room.pk, m.session.start, m.session.end) for m in proposal.sessions if m.room]
    assert len(placed) == 2
    for i, (room, start, end) in enumerate(placed):
        for other_room, other_start, other_end in placed[i + 1 :]:
            assert room != other_room or end <= other_start or other_end <= start
    assert _target(proposal, second).room is not None


def test_back_to_back_sessions_stay_together_in_one_room(place):
    RoomFactory(venue=place.palace, name="Salon", capacity=150)  # the better fit for the lunch alone
    lunch = SessionFactory(
        event=place.event, room=place.hall, title="Lunch", start=at(0, "11:00"), end=at(0, "12:00"),
        expected_attendance=100,
    )  # fmt: skip

    proposal = relocation_proposal(_out(place.hall))

    assert _target(proposal, place.plenary).room == place.annex
    assert _target(proposal, lunch).room == place.annex


def test_a_session_follows_the_one_before_it_moved_by_an_earlier_accept(place):
    RoomFactory(venue=place.palace, name="Salon", capacity=150)  # the better fit for the lunch alone
    lunch = SessionFactory(
        event=place.event, room=place.hall, title="Lunch", start=at(0, "11:00"), end=at(0, "12:00"),
        expected_attendance=100,
    )  # fmt: skip
    outage = _out(place.hall)
    relocations_accept(outage=outage, session_moves={place.plenary.pk: place.annex.pk}, bilateral_moves={}, by=BY)

    proposal = relocation_proposal(outage)

    assert [move.session.pk for move in proposal.sessions] == [lunch.pk]
    assert _target(proposal, lunch).room == place.annex  # where the plenary it follows now is


def BilateralMeetingScheduled(event, room, start, minutes=30):  # noqa: N802 — reads as the factory it stands for
    """A scheduled bilateral between two fresh delegations with heads."""
    a, b = DelegationFactory(event=event), DelegationFactory(event=event)
    for delegation in (a, b):
        delegation.head = PersonFactory(delegation=delegation)
        delegation.save()
    return BilateralMeeting.objects.create(
        event=event,
        requester=a,
        counterpart=b,
        duration_minutes=minutes,
        priority=3,
        status=BilateralMeeting.Status.SCHEDULED,
        room=room,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
    )


@pytest.fixture
def bilateral_rooms(event):
    palace = VenueFactory(name="Palace")
    return (
        RoomFactory(venue=palace, name="Bilateral 1", kind="bilateral", capacity=12),
        RoomFactory(venue=palace, name="Bilateral 2", kind="bilateral", capacity=12),
    )


def test_bilateral_replaced_by_the_scheduler_clear_of_a_relocated_session(event, bilateral_rooms, settings):
    settings.PLANNER_SCHEDULER_WORKERS = 2
    settings.PLANNER_OUTAGE_SOLVER_SECONDS = 5
    one, two = bilateral_rooms
    meeting = BilateralMeetingScheduled(event, one, at(0, "17:00"))
    debrief = SessionFactory(event=event, room=one, title="Debrief", start=at(0, "17:30"), end=at(0, "18:30"))
    other = BilateralMeetingScheduled(event, two, at(0, "15:00"))

    outage = _out(one, "08:00", "20:00")  # the whole day: the meeting must share room two with the debrief
    proposal = relocation_proposal(outage)

    assert _target(proposal, debrief).room == two
    (move,) = proposal.bilaterals
    assert move.meeting == meeting and move.room == two
    assert abs(move.start - meeting.start) <= dt.timedelta(hours=2), "first tried near its own time"
    pad = dt.timedelta(minutes=settings.PLANNER_BILATERAL_CHANGEOVER_MINUTES)
    held = (
        [(outage.start, outage.end)] if move.room == one else [(debrief.start, debrief.end), (other.start, other.end)]
    )
    for start, end in held:
        assert move.end + pad <= start or end + pad <= move.start
    other.refresh_from_db()
    assert (other.room, other.start) == (two, at(0, "15:00")), "the proposal writes nothing"


def test_the_scheduler_leaves_a_room_out_while_out_of_service(event, bilateral_rooms):
    one, _two = bilateral_rooms
    outage = _out(one, "08:00", "20:00")

    problem, _meetings = problem_load(event)

    spec = next(room for room in problem.rooms if room.pk == one.pk)
    assert (outage.start, outage.end) in spec.busy
    outage_lift(outage=outage, by=BY)
    problem, _meetings = problem_load(event)
    assert not next(room for room in problem.rooms if room.pk == one.pk).busy


# --- the engine, through the database ----------------------------------------------------------------------------
def test_stored_clashes_for_session_bilateral_and_the_flags_task_then_resolved_when_lifted(event, bilateral_rooms):
    one, _two = bilateral_rooms
    meeting = BilateralMeetingScheduled(event, one, at(0, "10:00"))
    tasks_generate(event=event, by=BY)
    flags = ProtocolTask.objects.get(source_key=f"bilateral:{meeting.pk}:flags")
    session = SessionFactory(event=event, room=one, start=at(0, "11:00"), end=at(0, "11:30"))
    outage = _out(one, "09:00", "12:00")

    conflicts_check_all()

    out = Conflict.objects.filter(kind=Conflict.Kind.ROOM_OUT_OF_SERVICE, status=Conflict.Status.OPEN)
    assert set(out.values_list("first", flat=True)) == {f"session:{session.pk}", f"bilateral:{meeting.pk}",
                                                        f"task:{flags.pk}"}  # fmt: skip
    assert set(out.values_list("severity", flat=True)) == {"error"}
    outage_lift(outage=outage, by=BY)
    conflicts_check_all()
    assert not Conflict.objects.filter(kind=Conflict.Kind.ROOM_OUT_OF_SERVICE, status=Conflict.Status.OPEN).exists()


def test_impact_lists_what_is_hit_and_nothing_once_lifted(place):
    later = SessionFactory(event=place.event, room=place.hall, title="Later", start=at(0, "15:00"), end=at(0, "16:00"))
    outage = _out(place.hall)

    impact = outage_impact(outage)

    assert impact.sessions == [place.plenary]
    assert later not in impact.sessions
    outage_lift(outage=outage, by=BY)
    outage.refresh_from_db()
    assert outage_impact(outage).empty


# --- accepting -----------------------------------------------------------------------------------------------------
@pytest.fixture
def attended(place):
    """Two sessions in the hall: the plenary with people of delegations A and B, a briefing with B's. Liaison one
    serves A and B, liaison two serves B."""
    a, b = DelegationFactory(event=place.event), DelegationFactory(event=place.event)
    person_a, person_b = PersonFactory(delegation=a), PersonFactory(delegation=b)
    place.plenary.attendees.set([person_a, person_b])
    briefing = SessionFactory(
        event=place.event, room=place.hall, title="Briefing", start=at(0, "11:30"), end=at(0, "12:00"),
        audience=Session.Audience.NAMED,
    )  # fmt: skip
    briefing.attendees.set([person_b])
    one, two = (
        UserFactory(username="liaison-one", roles=["liaison"]),
        UserFactory(username="liaison-two", roles=["liaison"]),
    )
    a.liaisons.set([one])
    b.liaisons.set([one, two])
    place.briefing, place.liaisons = briefing, (one, two)
    return place


def test_accept_all_moves_and_tells_each_liaison_once(attended, django_capture_on_commit_callbacks):
    outage = _out(attended.hall)
    proposal = relocation_proposal(outage)
    moves = {m.session.pk: m.room.pk for m in proposal.sessions}

    with django_capture_on_commit_callbacks(execute=True):
        accepted = relocations_accept(outage=outage, session_moves=moves, bilateral_moves={}, by=BY)

    attended.plenary.refresh_from_db()
    attended.briefing.refresh_from_db()
    assert attended.plenary.room_id == moves[attended.plenary.pk] != attended.hall.pk
    assert attended.briefing.room_id != attended.hall.pk
    assert len(accepted.moved) == 2
    assert accepted.liaisons == ["liaison-one", "liaison-two"]
    one, two = attended.liaisons
    notices = Notification.objects.filter(topic__startswith=f"outage:{outage.pk}:relocated:")
    assert notices.filter(recipient=one).count() == 1 and notices.filter(recipient=two).count() == 1
    body_one = notices.get(recipient=one).body
    assert "Plenary" in body_one and "Briefing" in body_one
    assert "Plenary" in notices.get(recipient=two).body  # B's person attends both
    assert AuditEntry.objects.filter(object_id=str(attended.plenary.pk), action="events.session.changed").exists()


def test_accept_some_moves_only_those_and_tells_only_their_liaisons(attended, django_capture_on_commit_callbacks):
    outage = _out(attended.hall)
    proposal = relocation_proposal(outage)
    briefing_move = _target(proposal, attended.briefing)

    with django_capture_on_commit_callbacks(execute=True):
        relocations_accept(
            outage=outage, session_moves={attended.briefing.pk: briefing_move.room.pk}, bilateral_moves={}, by=BY
        )

    attended.plenary.refresh_from_db()
    assert attended.plenary.room_id == attended.hall.pk
    one, two = attended.liaisons
    notices = Notification.objects.filter(topic__startswith=f"outage:{outage.pk}:relocated:")
    assert set(notices.values_list("recipient__username", flat=True)) == {"liaison-one", "liaison-two"}
    assert "Plenary" not in notices.get(recipient=one).body


def test_relocation_into_a_room_that_became_busy_is_refused_and_nothing_moves(attended):
    outage = _out(attended.hall)
    proposal = relocation_proposal(outage)
    moves = {m.session.pk: m.room.pk for m in proposal.sessions}
    target = _target(proposal, attended.plenary).room
    SessionFactory(event=attended.event, room=target, title="Walk-in", start=at(0, "10:30"), end=at(0, "10:45"))

    with pytest.raises(ValidationError) as caught:
        relocations_accept(outage=outage, session_moves=moves, bilateral_moves={}, by=BY)

    assert "became busy meanwhile" in " ".join(caught.value.messages) and "Walk-in" in " ".join(caught.value.messages)
    assert Session.objects.filter(room=attended.hall).count() == 2, "the briefing's free move was not made either"
    assert not Notification.objects.filter(topic__startswith="outage:").exists()


def test_a_session_not_hit_cannot_be_moved_through_the_accept(attended):
    elsewhere = SessionFactory(event=attended.event, room=attended.barn, start=at(0, "15:00"), end=at(0, "16:00"))
    outage = _out(attended.hall)

    with pytest.raises(ValidationError) as caught:
        relocations_accept(outage=outage, session_moves={elsewhere.pk: attended.annex.pk}, bilateral_moves={}, by=BY)

    assert "no longer in" in caught.value.messages[0]
    elsewhere.refresh_from_db()
    assert elsewhere.room == attended.barn


def test_accept_into_a_room_too_small_is_refused(attended):
    outage = _out(attended.hall)
    tiny = RoomFactory(venue=attended.palace, name="Cupboard", capacity=10)

    with pytest.raises(ValidationError) as caught:
        relocations_accept(outage=outage, session_moves={attended.plenary.pk: tiny.pk}, bilateral_moves={}, by=BY)

    assert "holds 10" in caught.value.messages[0]


def test_accepting_nothing_is_refused_with_the_reason(attended):
    with pytest.raises(ValidationError) as caught:
        relocations_accept(outage=_out(attended.hall), session_moves={}, bilateral_moves={}, by=BY)

    assert "Tick at least one" in caught.value.messages[0]


def test_accept_after_the_outage_was_lifted_is_refused(attended):
    outage = _out(attended.hall)
    outage_lift(outage=outage, by=BY)

    with pytest.raises(ValidationError) as caught:
        relocations_accept(
            outage=outage, session_moves={attended.plenary.pk: attended.annex.pk}, bilateral_moves={}, by=BY
        )

    assert "back in service" in caught.value.messages[0]
    attended.plenary.refresh_from_db()
    assert attended.plenary.room == attended.hall


def test_accepting_a_bilateral_move(event, bilateral_rooms, settings, django_capture_on_commit_callbacks):
    settings.PLANNER_SCHEDULER_WORKERS = 2
    one, two = bilateral_rooms
    meeting = BilateralMeetingScheduled(event, one, at(0, "10:00"))
    liaison = UserFactory(username="liaison-req", roles=["liaison"])
    meeting.requester.liaisons.set([liaison])
    outage = _out(one)
    (move,) = relocation_proposal(outage).bilaterals

    with django_capture_on_commit_callbacks(execute=True):
        relocations_accept(
            outage=outage, session_moves={}, bilateral_moves={meeting.pk: (move.room.pk, move.start)}, by=BY
        )

    meeting.refresh_from_db()
    assert (meeting.room, meeting.start) == (move.room, move.start)
    assert meeting.end <= outage.start or meeting.start >= outage.end or meeting.room == two
    notice = Notification.objects.get(recipient=liaison, topic__startswith=f"outage:{outage.pk}:")
    assert "Bilateral with" in notice.body


# --- the admin ---------------------------------------------------------------------------------------------------
def test_logistics_adds_an_outage_and_lands_on_the_impact_page(role_client, place):
    client = role_client("logistics")
    response = client.post(
        reverse("admin:events_roomoutage_add"),
        {"room": place.hall.pk, "start_0": "2020-11-16", "start_1": "09:00", "end_0": "2020-11-16", "end_1": "13:00",
         "reason": "Power cut"},
    )  # fmt: skip

    outage = RoomOutage.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:outage_impact", args=[outage.pk])
    assert outage.created_by == client.user
    page = client.get(response.url)
    text = page.content.decode()
    assert "Plenary" in text and "Annex" in text and 'name="session"' in text and "Accept selected" in text


def test_the_add_form_refuses_an_overlap_naming_the_other(role_client, place):
    _out(place.hall)
    client = role_client("logistics")

    response = client.post(
        reverse("admin:events_roomoutage_add"),
        {"room": place.hall.pk, "start_0": "2020-11-16", "start_1": "10:00", "end_0": "2020-11-16", "end_1": "11:00",
         "reason": "Again"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "already out of service" in response.content.decode()
    assert RoomOutage.objects.count() == 1


def test_accept_through_the_admin(role_client, attended):
    outage = _out(attended.hall)
    client = role_client("logistics")
    move = _target(relocation_proposal(outage), attended.plenary)

    response = client.post(
        reverse("admin:outage_accept", args=[outage.pk]), {"session": f"{attended.plenary.pk}:{move.room.pk}"}
    )

    assert response.status_code == 302
    attended.plenary.refresh_from_db()
    assert attended.plenary.room == move.room
    assert "Moved 1" in client.get(response.url).content.decode()


def test_a_malformed_accept_moves_nothing_and_says_so(role_client, attended):
    outage = _out(attended.hall)
    client = role_client("logistics")

    response = client.post(
        reverse("admin:outage_accept", args=[outage.pk]), {"bilateral": "1:2:yesterday"}, follow=True
    )

    assert "not a bilateral move" in response.content.decode()
    attended.plenary.refresh_from_db()
    assert attended.plenary.room == attended.hall


def test_protocol_sees_the_impact_without_accepting(role_client, place):
    outage = _out(place.hall)
    client = role_client("protocol")

    page = client.get(reverse("admin:outage_impact", args=[outage.pk])).content.decode()
    refused = client.post(reverse("admin:outage_accept", args=[outage.pk]), {"session": f"{place.plenary.pk}:1"})

    assert "Plenary" in page and 'name="session"' not in page and "logistics or an administrator" in page
    assert refused.status_code == 403
    place.plenary.refresh_from_db()
    assert place.plenary.room == place.hall


def test_accreditation_may_not_see_the_impact(role_client, place):
    outage = _out(place.hall)

    assert role_client("accreditation").get(reverse("admin:outage_impact", args=[outage.pk])).status_code == 403


def test_back_in_service_action_lifts_and_keeps_the_record(role_client, place):
    outage = _out(place.hall)
    client = role_client("logistics")

    response = client.post(
        reverse("admin:events_roomoutage_changelist"),
        {"action": "back_in_service", "_selected_action": [outage.pk], "index": 0},
        follow=True,
    )

    outage.refresh_from_db()
    assert outage.lifted_at is not None
    assert "Back in service" in response.content.decode()
    assert RoomOutage.objects.filter(pk=outage.pk).exists()


def test_nobody_deletes_an_outage(role_client, place):
    outage = _out(place.hall)

    response = role_client("admin").post(reverse("admin:events_roomoutage_delete", args=[outage.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert RoomOutage.objects.filter(pk=outage.pk).exists()
