"""Automatic bilateral scheduling: the pure solver on small problems, then runs, preview and publish on the
database, the seeded summit checked with the conflict engine, and the admin pages."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from celery.app.task import Task
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from kombu.exceptions import OperationalError

from asemplanner.models import AuditEntry, Notification
from events.domain.conflicts import Severity, find_clashes
from events.models import Event, Room
from planning.domain.bilateral_plans import (
    problem_load,
    scheduling_run_execute,
    scheduling_run_publish,
    scheduling_run_start,
)
from planning.domain.conflict_checks import gather
from protocol.domain.scheduling import Busy, Placement, Problem, Request, RoomSpec, candidates, greedy, solve
from protocol.models import BilateralMeeting, SchedulingRun
from tests.factories import (
    BilateralMeetingFactory,
    BilateralWindowFactory,
    DelegationFactory,
    EventFactory,
    PersonFactory,
    RoomFactory,
    SessionFactory,
    TransferTimeFactory,
    TravelFactory,
    UserFactory,
    VenueFactory,
    at,
)

A, B = 1, 2  # venues
DAY = [(at(0, "08:00"), at(0, "20:00"))]


def problem(requests, *, rooms=None, busy=None, days=DAY, transfer=None, **more) -> Problem:
    return Problem(
        requests=requests,
        rooms=rooms or [RoomSpec(pk=10, venue=A, label="A1")],
        days=days,
        busy=busy or {},
        transfer=transfer or {(A, B): 30},
        buffer=15,
        changeover=0,
        **more,
    )


def req(key, people, *, priority=3, duration=30, windows=()) -> Request:
    return Request(key, f"r{key}", people, priority, duration, tuple(windows), (f"P{people[0]}", f"P{people[1]}"))


def fast(p: Problem):
    return solve(p, seconds=10, workers=2)


def overlapping(a, b) -> bool:
    return a.start < b.end and b.start < a.end


# --- The pure solver -----------------------------------------------------------------------------------------
def test_a_principal_is_never_in_two_meetings_at_once_and_a_room_holds_one():
    requests = [req(1, (100, 200)), req(2, (100, 300)), req(3, (400, 500))]
    p = problem(requests, days=[(at(0, "09:00"), at(0, "10:30"))])
    plan = fast(p)
    assert len(plan.placed) == 3
    by_key = {x.key: x for x in plan.placed}
    assert not overlapping(by_key[1], by_key[2])
    for a in plan.placed:
        for b in plan.placed:
            if a.key < b.key and a.room == b.room:
                assert not overlapping(a, b)


def test_the_motorcade_time_and_buffer_separate_a_session_from_a_meeting_elsewhere():
    # The principal is in a session at venue A until 10:00; the only room is at venue B, 30 min away.
    busy = {100: [Busy(at(0, "09:00"), at(0, "10:00"), A, A, "plenary")]}
    p = problem([req(1, (100, 200))], rooms=[RoomSpec(pk=10, venue=B, label="B1")], busy=busy,
                days=[(at(0, "09:00"), at(0, "12:00"))])  # fmt: skip
    plan = fast(p)
    assert plan.placed[0].start >= at(0, "10:45")  # 30 min transfer + 15 min buffer, on the half-hour grid: 11:00
    assert plan.placed[0].start == at(0, "11:00")


def test_two_meetings_in_different_venues_leave_the_transfer_between_them():
    rooms = [RoomSpec(pk=10, venue=A, label="A1"), RoomSpec(pk=20, venue=B, label="B1")]
    # Both rooms are free only where it matters; the shared principal 100 meets 200 and 300.
    requests = [req(1, (100, 200)), req(2, (100, 300))]
    p = problem(requests, rooms=rooms, days=[(at(0, "09:00"), at(0, "11:00"))])
    plan = fast(p)
    assert len(plan.placed) == 2
    first, second = sorted(plan.placed, key=lambda x: x.start)
    if first.room != second.room:
        assert (second.start - first.end) >= dt.timedelta(minutes=45)


def test_preferred_windows_are_kept():
    window = (at(0, "15:00"), at(0, "16:00"))
    plan = fast(problem([req(1, (100, 200), windows=[window])]))
    assert window[0] <= plan.placed[0].start and plan.placed[0].end <= window[1]


def test_the_higher_priority_wins_the_only_slot():
    requests = [req(1, (100, 200), priority=2), req(2, (100, 300), priority=5)]
    plan = fast(problem(requests, days=[(at(0, "09:00"), at(0, "09:30"))]))
    assert [x.key for x in plan.placed] == [2]
    assert "taken by other meetings" in plan.unplaced[1]


def test_each_unplaceable_request_says_why():
    rooms = [RoomSpec(pk=10, venue=A, label="A1", busy=((at(0, "12:00"), at(0, "20:00")),))]
    busy = {
        300: [Busy(at(0, "08:00"), at(0, "20:00"), A, A, "all day")],
        500: [Busy(at(0, "08:00"), at(0, "12:00"), A, A, "morning")],
    }
    requests = [
        req(1, (100, 200)),  # fine
        req(2, (100, 300)),  # 300 is busy all day
        req(3, (400, 500)),  # 500 is free only after noon, when the room is taken
        req(4, (600, 700)),  # 700 arrives after the event
        req(5, (800, 900), windows=[(at(0, "12:30"), at(0, "13:30"))]),  # the window falls when the room is taken
        Request(6, "r6", (800, None), 3, 30, (), ("P800", "Nowhere")),  # no head named
    ]
    p = problem(requests, rooms=rooms, busy=busy, earliest={700: at(1, "09:00")})
    plan = fast(p)
    assert [x.key for x in plan.placed] == [1] or 1 in {x.key for x in plan.placed}
    assert plan.unplaced[2].startswith("No common free time")
    assert plan.unplaced[3].startswith("No room")
    assert plan.unplaced[4].startswith("Outside the event")
    assert plan.unplaced[5].startswith("No room") or plan.unplaced[5].startswith("No common free time inside")
    assert "No head of delegation is named for Nowhere" in plan.unplaced[6]


def test_windows_outside_the_principals_free_time_are_named():
    busy = {100: [Busy(at(0, "08:00"), at(0, "12:00"), A, A, "morning")]}
    plan = fast(problem([req(1, (100, 200), windows=[(at(0, "09:00"), at(0, "11:00"))])], busy=busy))
    assert plan.unplaced[1].startswith("No common free time inside the preferred windows")


def test_cp_sat_is_at_least_as_good_as_greedy_and_within_its_bound():
    rng = random.Random(5)
    people = list(range(100, 112))
    requests, pairs = [], set()
    while len(requests) < 30:
        a, b = rng.sample(people, 2)
        if (min(a, b), max(a, b)) in pairs:
            continue
        pairs.add((min(a, b), max(a, b)))
        requests.append(req(len(requests) + 1, (a, b), priority=rng.randint(1, 5), duration=rng.choice([30, 45])))
    rooms = [
        RoomSpec(pk=10, venue=A, label="A1"),
        RoomSpec(pk=11, venue=A, label="A2"),
        RoomSpec(pk=20, venue=B, label="B1"),
    ]
    p = problem(requests, rooms=rooms, days=[(at(0, "09:00"), at(0, "12:00"))])
    g, c = greedy(p), fast(p)
    assert c.objective >= g.objective
    assert c.bound >= c.objective
    assert_feasible(p, c.placed)
    assert_feasible(p, g.placed)


def assert_feasible(p: Problem, placed: list[Placement]) -> None:
    """The rules checked directly, pair by pair (the oracle for the model's encoding)."""
    requests = {r.key: r for r in p.requests}
    venue = {room.pk: room.venue for room in p.rooms}
    for i, a in enumerate(placed):
        assert a.end - a.start == dt.timedelta(minutes=requests[a.key].duration)
        for b in placed[i + 1 :]:
            if a.room == b.room:
                assert not overlapping(a, b), (a, b)
            shared = set(requests[a.key].people) & set(requests[b.key].people)
            if shared:
                assert not overlapping(a, b), (a, b)
                first, second = sorted((a, b), key=lambda x: x.start)
                gap = (second.start - first.end).total_seconds() / 60
                assert gap >= p.minutes(venue[first.room], venue[second.room]), (a, b)


def test_a_re_plan_moves_only_what_the_disruption_invalidates():
    rooms = [RoomSpec(pk=10, venue=A, label="A1"), RoomSpec(pk=11, venue=A, label="A2")]
    requests = [req(k, (100 + k, 200 + k)) for k in range(1, 7)] + [req(7, (100, 200))]
    p = problem(requests, rooms=rooms, days=[(at(0, "09:00"), at(0, "12:00"))])
    plan = fast(p)
    assert len(plan.placed) == 7
    before = {x.key: x for x in plan.placed}
    # Principal 100 now arrives at 11:00 (and the airport is venue A).
    slipped = problem(
        requests, rooms=rooms, days=[(at(0, "09:00"), at(0, "12:00"))],
        busy={100: [Busy(at(0, "10:59"), at(0, "11:00"), A, A, "arrival")]}, earliest={100: at(0, "11:00")},
        previous=before,
    )  # fmt: skip
    again = fast(slipped)
    invalid = [k for k, x in before.items() if 100 in requests[k - 1].people and x.start < at(0, "11:00")]
    after = {x.key: x for x in again.placed}
    assert len(again.placed) == 7
    assert after[7].start >= at(0, "11:00")
    assert len(again.moved) <= max(1, len(invalid)) * 2
    unchanged = [k for k in before if k not in again.moved]
    assert all(after[k] == before[k] for k in unchanged)


def test_candidates_put_requests_on_the_half_hour():
    cands = candidates(problem([req(1, (100, 200))]))
    assert cands.options[1]
    assert {cands.grid.starts[first].minute for _c, first in cands.options[1]} == {0, 30}


# --- On the database -----------------------------------------------------------------------------------------
@pytest.fixture
def summit(db, settings):
    settings.PLANNER_SCHEDULER_SECONDS = 10
    settings.PLANNER_SCHEDULER_WORKERS = 2
    event = EventFactory(acronym="SUM", start_date=dt.date(2020, 11, 16), end_date=dt.date(2020, 11, 16))
    centre, hotel = VenueFactory(name="Centre"), VenueFactory(name="Palace")
    TransferTimeFactory(from_venue=centre, to_venue=hotel, minutes=30)
    rooms = [RoomFactory(venue=centre, name=f"Bilateral {n}", kind=Room.Kind.BILATERAL) for n in (1, 2)]
    plenary = RoomFactory(venue=hotel, name="Plenary", kind=Room.Kind.PLENARY)
    delegations = []
    for n in range(4):
        delegation = DelegationFactory(event=event)
        head = PersonFactory(delegation=delegation)
        delegation.head = head
        delegation.save()
        TravelFactory(person=head)
        liaison = UserFactory(username=f"liaison{n}", roles=["liaison"])
        delegation.liaisons.add(liaison)
        delegations.append(delegation)
    session = SessionFactory(event=event, room=plenary, start=at(0, "09:00"), end=at(0, "12:00"))
    session.attendees.add(*[d.head for d in delegations])
    return {"event": event, "rooms": rooms, "delegations": delegations, "session": session}


def accepted(summit, a, b, **fields) -> BilateralMeeting:
    d = summit["delegations"]
    return BilateralMeetingFactory(
        event=summit["event"], requester=d[a], counterpart=d[b], status=BilateralMeeting.Status.ACCEPTED, **fields
    )


def run_now(event, kind="plan", by="system:test") -> SchedulingRun:
    run = scheduling_run_start(event=event, kind=kind, by=by)
    return scheduling_run_execute(run.pk)


def test_a_run_proposes_then_publishing_places_and_tells_both_liaisons(summit, django_capture_on_commit_callbacks):
    m1, m2 = accepted(summit, 0, 1, priority=5), accepted(summit, 2, 3)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = scheduling_run_start(event=summit["event"], kind="plan", by="system:test")
    assert len(queued) == 1  # the Celery task is sent once the run is committed
    run = scheduling_run_execute(run.pk)
    assert run.status == SchedulingRun.Status.READY and run.progress == 100
    assert {row["meeting"] for row in run.proposal} == {m1.pk, m2.pk}
    assert "2 of 2 meeting(s) placed" in run.message
    # The plenary at the palace ends at 12:00; 30 min transfer + 15 min buffer: nothing before 12:45.
    assert all(dt.datetime.fromisoformat(row["start"]) >= at(0, "12:45") for row in run.proposal)
    m1.refresh_from_db()
    assert m1.status == BilateralMeeting.Status.ACCEPTED  # a preview changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_run_publish(run=run, by="system:test")
    m1.refresh_from_db()
    assert m1.status == BilateralMeeting.Status.SCHEDULED and m1.room_id in {r.pk for r in summit["rooms"]}
    assert AuditEntry.objects.filter(action="protocol.bilateral.scheduled", object_id=str(m1.pk)).exists()
    for delegation in summit["delegations"]:
        notices = Notification.objects.filter(recipient__in=delegation.liaisons.all(), title__contains="scheduled")
        assert notices.count() == 1
    run.refresh_from_db()
    assert run.status == SchedulingRun.Status.PUBLISHED


def test_publishing_a_stale_run_is_refused_and_changes_nothing(summit):
    m1, m2 = accepted(summit, 0, 1), accepted(summit, 2, 3)
    run = run_now(summit["event"])
    BilateralMeeting.objects.filter(pk=m2.pk).update(status=BilateralMeeting.Status.CANCELLED)
    with pytest.raises(ValidationError, match="changed since this run"):
        scheduling_run_publish(run=run, by="system:test")
    m1.refresh_from_db()
    assert m1.status == BilateralMeeting.Status.ACCEPTED and m1.start is None


def test_a_second_run_waits_for_the_first_and_an_empty_plan_is_refused(summit):
    with pytest.raises(ValidationError, match="no accepted bilateral"):
        scheduling_run_start(event=summit["event"], kind="plan", by="system:test")
    accepted(summit, 0, 1)
    scheduling_run_start(event=summit["event"], kind="plan", by="system:test")
    with pytest.raises(ValidationError, match="already queued"):
        scheduling_run_start(event=summit["event"], kind="plan", by="system:test")
    with pytest.raises(ValidationError, match="Unknown kind"):
        scheduling_run_start(event=summit["event"], kind="everything", by="system:test")


def test_a_run_no_worker_finished_does_not_hold_the_event_for_ever(summit):
    accepted(summit, 0, 1)
    lost = scheduling_run_start(event=summit["event"], kind="plan", by="system:test")
    SchedulingRun.objects.filter(pk=lost.pk).update(requested_at=lost.requested_at - dt.timedelta(hours=1))
    fresh = scheduling_run_start(event=summit["event"], kind="plan", by="system:test")
    lost.refresh_from_db()
    assert lost.status == SchedulingRun.Status.FAILED and "No worker finished" in lost.message
    assert fresh.status == SchedulingRun.Status.QUEUED


def test_a_replan_after_an_arrival_slip_moves_the_invalidated_meeting_and_tells_its_liaisons(
    summit, django_capture_on_commit_callbacks
):
    m1, m2 = accepted(summit, 0, 1), accepted(summit, 2, 3)
    window = BilateralWindowFactory(meeting=m1, start=at(0, "13:00"), end=at(0, "13:30"))
    scheduling_run_publish(run=run_now(summit["event"]), by="system:test")
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert m1.start == at(0, "13:00")
    window.delete()
    # The head of delegation 0 now lands at 13:30, after m1's start: m1 is invalid, m2 is not.
    head = summit["delegations"][0].head
    head.travel.arrival_at = at(0, "13:30")
    head.travel.save()
    run = run_now(summit["event"], kind="replan")
    moved = {row["meeting"] for row in run.proposal if row["moved"]}
    assert moved == {m1.pk}
    assert any(row["unchanged"] and row["meeting"] == m2.pk for row in run.proposal)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_run_publish(run=run, by="system:test")
    old_start = m1.start
    m1.refresh_from_db()
    assert m1.start > old_start and m1.start >= head.travel.arrival_at
    told = Notification.objects.filter(title__contains="moved")
    d = summit["delegations"]
    assert sorted(n.recipient.username for n in told) == sorted(
        u.username for u in [*d[0].liaisons.all(), *d[1].liaisons.all()]
    )


def test_on_the_seeded_summit_a_published_plan_breaks_no_hard_rule(seeded, settings):
    settings.PLANNER_SCHEDULER_SECONDS = 15
    settings.PLANNER_SCHEDULER_WORKERS = 2
    event = Event.objects.get(acronym="ASEM13")
    rng = random.Random(7)
    delegations = list(event.delegations.exclude(status="declined"))
    pairs = {tuple(sorted(p)) for p in event.bilaterals.values_list("requester_id", "counterpart_id")}
    made = 0
    while made < 40:
        a, b = rng.sample(delegations, 2)
        if tuple(sorted((a.pk, b.pk))) in pairs:
            continue
        pairs.add(tuple(sorted((a.pk, b.pk))))
        BilateralMeetingFactory(event=event, requester=a, counterpart=b, status=BilateralMeeting.Status.ACCEPTED,
                                priority=rng.randint(1, 5))  # fmt: skip
        made += 1
    # A preferred window for one seeded request, to check windows hold on real data.
    seeded_one = event.bilaterals.filter(status=BilateralMeeting.Status.ACCEPTED).order_by("pk").first()
    BilateralWindowFactory(meeting=seeded_one, start=at(1, "08:00"), end=at(1, "12:00"))
    run = run_now(event)
    assert run.status == SchedulingRun.Status.READY
    assert len(run.proposal) > 10
    for row in run.unplaced:
        assert row["reason"]
    scheduling_run_publish(run=run, by="system:test")
    keys = {f"bilateral:{row['meeting']}" for row in run.proposal}
    commitments, facts = gather()
    clashes = [
        c for c in find_clashes(commitments, facts)
        if (c.first in keys or c.second in keys) and c.kind != "outside_opening_hours"
    ]  # fmt: skip
    assert [c.message for c in clashes if c.severity == Severity.ERROR] == []
    assert [c.message for c in clashes] == []  # not even a short-buffer warning
    windowed = BilateralMeeting.objects.get(pk=seeded_one.pk)
    if windowed.status == BilateralMeeting.Status.SCHEDULED:
        assert at(1, "08:00") <= windowed.start and windowed.end <= at(1, "12:00")


def test_reading_the_problem_takes_the_same_queries_at_two_sizes(summit):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            problem_load(summit["event"], replan=True)
        return len(ctx.captured_queries)

    accepted(summit, 0, 1)
    small = count()
    accepted(summit, 0, 2)
    accepted(summit, 1, 3)
    accepted(summit, 2, 3)
    assert count() == small


# --- Admin -----------------------------------------------------------------------------------------------------
def test_staff_start_preview_and_publish_from_the_admin(summit, role_client, django_capture_on_commit_callbacks):
    m1 = accepted(summit, 0, 1)
    client = role_client("protocol")
    page = reverse("admin:scheduling_event", args=[summit["event"].pk])
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("admin:scheduling_start", args=[summit["event"].pk]), {"kind": "plan"})
    assert response.status_code == 302
    run = SchedulingRun.objects.get(event=summit["event"])
    waiting = client.get(page).content.decode()
    assert "Waiting for a worker" in waiting and 'http-equiv="refresh"' in waiting
    scheduling_run_execute(run.pk)
    shown = client.get(page).content.decode()
    assert "Publish this plan" in shown and str(summit["delegations"][0].partner) in shown
    client.post(reverse("admin:scheduling_publish", args=[run.pk]))
    m1.refresh_from_db()
    assert m1.status == BilateralMeeting.Status.SCHEDULED


def test_scheduling_pages_need_the_bilateral_permissions(summit, role_client):
    accepted(summit, 0, 1)
    page = reverse("admin:scheduling_event", args=[summit["event"].pk])
    security = role_client("security")  # no bilateral permissions
    assert security.get(page).status_code == 403
    assert (
        security.post(reverse("admin:scheduling_start", args=[summit["event"].pk]), {"kind": "plan"}).status_code == 403
    )
    assert not SchedulingRun.objects.exists()
    assert role_client("protocol").get(reverse("admin:scheduling")).content.decode().count("SUM") >= 1


def test_a_broker_outage_fails_the_run_at_once_and_the_start_still_answers(
    summit, django_capture_on_commit_callbacks, monkeypatch
):
    accepted(summit, 0, 1)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", broker_down)  # the broker is the outside boundary
    with django_capture_on_commit_callbacks(execute=True):
        run = scheduling_run_start(event=summit["event"], kind="plan", by="system:test")
    run.refresh_from_db()
    assert run.status == SchedulingRun.Status.FAILED
    assert "task queue could not be reached" in run.message
    # The event is not held by the dead run: a new one can start once the broker is back.
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=False):
        again = scheduling_run_start(event=summit["event"], kind="plan", by="system:test")
    assert again.pk != run.pk and again.status == SchedulingRun.Status.QUEUED
