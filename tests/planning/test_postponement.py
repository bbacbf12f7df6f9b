"""Postponing an event moves it whole, audited, all or nothing; staff do it from the event list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from asemplanner.models import AuditEntry, Notification
from delegations.models import Delegation
from events.models import Event, Session
from planning.domain.postponement import event_postpone, postponement_preview, summit_postpone
from protocol.models import BilateralMeeting, BilateralWindow, ProtocolTask
from reminders.models import Deadline, Reminder
from tests.factories import (
    PHNOM_PENH,
    AccreditationFactory,
    BilateralMeetingFactory,
    BilateralWindowFactory,
    DeadlineFactory,
    DelegationFactory,
    EventFactory,
    PersonFactory,
    ProtocolTaskFactory,
    ReminderRuleFactory,
    RoomFactory,
    SessionFactory,
    SideEventFactory,
    TravelFactory,
    UserFactory,
    at,
)

pytestmark = pytest.mark.django_db
NEW_START = dt.date(2021, 3, 1)
SHIFT = NEW_START - dt.date(2020, 11, 16)


@pytest.fixture
def summit():
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory()
    sessions = [
        SessionFactory(event=event, room=room, start=at(0, "09:00"), end=at(0, "10:00")),
        SessionFactory(event=event, room=room, start=at(1, "09:00"), end=at(1, "10:00")),
    ]
    meeting = BilateralMeetingFactory(
        event=event, status=BilateralMeeting.Status.SCHEDULED, room=RoomFactory(), start=at(0, "15:00"),
        end=at(0, "15:30"),
    )  # fmt: skip
    task = ProtocolTaskFactory(event=event)
    deadline = DeadlineFactory(event=event)
    return {"event": event, "room": room, "sessions": sessions, "meeting": meeting, "task": task, "deadline": deadline}


def test_postponing_moves_everything_dated_in_the_event(summit):
    result = event_postpone(event=summit["event"], start_date=NEW_START, by="test")
    event = Event.objects.get()
    assert (event.start_date, event.end_date, event.status) == (
        NEW_START,
        NEW_START + dt.timedelta(days=1),
        "postponed",
    )
    assert result.moved == {
        "sessions": 2, "bilaterals": 1, "bilateral windows": 0, "protocol tasks": 1, "deadlines": 1,
        "pending reminders": 0,
    }  # fmt: skip
    starts = sorted(Session.objects.values_list("start", flat=True))
    assert starts == [at(0, "09:00") + SHIFT, at(1, "09:00") + SHIFT]
    summit["meeting"].refresh_from_db()
    summit["deadline"].refresh_from_db()
    assert summit["meeting"].start == at(0, "15:00") + SHIFT
    assert summit["deadline"].due_at == at(-21, "17:00") + SHIFT
    assert AuditEntry.objects.filter(action="events.event.postponed").count() == 1
    assert AuditEntry.objects.filter(action="events.session.changed").count() == 2


def test_postponing_by_one_day_does_not_trip_over_its_own_sessions(summit):
    # Day 0 moves onto day 1's slot in the same room while day 1 is still there: no false clash.
    event_postpone(event=summit["event"], start_date=dt.date(2020, 11, 17), by="test")
    assert sorted(Session.objects.values_list("start", flat=True)) == [at(1, "09:00"), at(2, "09:00")]


def test_postponing_onto_another_events_booking_changes_nothing(summit):
    other = EventFactory(acronym="OTHER", start_date=NEW_START, end_date=NEW_START + dt.timedelta(days=1))
    SessionFactory(
        event=other, room=summit["room"], start=at(0, "09:30") + SHIFT, end=at(0, "10:30") + SHIFT, title="Blocker"
    )
    with pytest.raises(ValidationError) as info:
        event_postpone(event=summit["event"], start_date=NEW_START, by="test")
    text = " ".join(info.value.messages)
    assert "Blocker" in text and "refused" in text
    assert "Move or cancel the other booking first" in text
    assert Event.objects.get(acronym="ASEM13").start_date == dt.date(2020, 11, 16)
    assert not AuditEntry.objects.filter(action="events.event.postponed").exists()


def test_postponing_to_the_same_day_is_refused(summit):
    with pytest.raises(ValidationError, match="already starts"):
        event_postpone(event=summit["event"], start_date=dt.date(2020, 11, 16), by="test")


def test_changing_event_dates_under_its_programme_is_refused_and_points_to_postpone(summit):
    event = summit["event"]
    event.start_date, event.end_date = NEW_START, NEW_START + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as info:
        event.full_clean()
    message = info.value.message_dict["start_date"][0]
    assert "2 session(s) of ASEM13 would fall outside" in message
    assert "Postpone" in message


def test_widening_event_dates_is_fine(summit):
    event = summit["event"]
    event.end_date = dt.date(2020, 11, 18)
    event.full_clean()


@pytest.mark.parametrize("status", [Event.Status.CANCELLED, Event.Status.HELD])
def test_a_cancelled_or_held_event_cannot_be_postponed(summit, status):
    Event.objects.filter(pk=summit["event"].pk).update(status=status)
    summit["event"].refresh_from_db()
    with pytest.raises(ValidationError, match="only planned, confirmed or postponed"):
        event_postpone(event=summit["event"], start_date=NEW_START, by="test")
    assert Event.objects.get().start_date == dt.date(2020, 11, 16)


# --- Shifting by days, the summit with its side events, reminders, preview, notices ------------------------


@pytest.fixture
def plan():
    """ASEM13 (days 0–1) with a side event SOM (days -2..-1), each with a programme; OTHER, not moved, on day 7."""
    summit = EventFactory(acronym="ASEM13")
    som = SideEventFactory(
        acronym="SOM", parent=summit, start_date=dt.date(2020, 11, 14), end_date=dt.date(2020, 11, 15)
    )
    other = EventFactory(acronym="OTHER", start_date=dt.date(2020, 11, 23), end_date=dt.date(2020, 11, 24))
    room, shared = RoomFactory(), RoomFactory()
    SessionFactory(event=summit, room=room, start=at(0, "09:00"), end=at(0, "10:00"), title="Plenary")
    SessionFactory(event=summit, room=room, start=at(1, "14:00"), end=at(1, "15:30"), title="Retreat")
    SessionFactory(event=som, room=room, start=at(-2, "10:00"), end=at(-2, "12:00"), title="SOM opening")
    meeting = BilateralMeetingFactory(
        event=summit, status=BilateralMeeting.Status.SCHEDULED, room=shared, start=at(0, "15:00"), end=at(0, "15:30")
    )
    BilateralWindowFactory(meeting=meeting, start=at(0, "14:00"), end=at(0, "16:00"))
    ProtocolTaskFactory(event=summit, start=at(0, "07:00"), end=at(0, "07:30"))
    ProtocolTaskFactory(event=som, start=at(-2, "08:00"), end=at(-2, "08:30"))
    deadline = DeadlineFactory(event=summit, due_at=at(-21, "17:00"))
    som_deadline = DeadlineFactory(event=som, due_at=at(-20, "12:00"))
    # OTHER books the bilateral's room a week on: moving by 7 days makes a clash there (a session and a
    # bilateral: the engine reports it, no model refuses it).
    SessionFactory(event=other, room=shared, start=at(7, "15:00"), end=at(7, "16:00"), title="Other meeting")
    return {"summit": summit, "som": som, "other": other, "meeting": meeting, "deadline": deadline,
            "som_deadline": som_deadline}  # fmt: skip


def _offsets(event_ids):
    """Every dated row's offset from its event's first day (local midnight), as (kind, pk, offset, length)."""
    events = {e.pk: e for e in Event.objects.filter(pk__in=event_ids)}

    def offset(event_id, value):
        first = dt.datetime.combine(events[event_id].start_date, dt.time.min, tzinfo=PHNOM_PENH)
        return value.astimezone(PHNOM_PENH) - first

    rows = []
    for model, kind in ((Session, "session"), (BilateralMeeting, "bilateral"), (ProtocolTask, "task")):
        for row in model.objects.filter(event_id__in=event_ids, start__isnull=False):
            rows.append((kind, row.pk, offset(row.event_id, row.start), row.end - row.start))
    for window in BilateralWindow.objects.filter(meeting__event_id__in=event_ids).select_related("meeting"):
        rows.append(("window", window.pk, offset(window.meeting.event_id, window.start), window.end - window.start))
    for deadline in Deadline.objects.filter(event_id__in=event_ids):
        rows.append(("deadline", deadline.pk, offset(deadline.event_id, deadline.due_at), None))
    return sorted(rows)


def _reminder(event, recipient, *, due_at, status=Reminder.Status.PENDING, key=None, subject_id=None):
    return Reminder.objects.create(
        key=key or f"test:{event.pk}:{recipient.pk}:{due_at.isoformat()}:{status}",
        event=event, subject_kind="event", subject_id=subject_id or event.pk, recipient=recipient,
        anchor_at=due_at + dt.timedelta(days=7), due_at=due_at, status=status,
        sent_at=at(-60, "09:00") if status == Reminder.Status.SENT else None,
    )  # fmt: skip


def test_summit_and_side_events_move_together_keeping_every_relative_time(plan):
    ids = [plan["summit"].pk, plan["som"].pk]
    before = _offsets(ids)
    result = summit_postpone(summit=plan["summit"], days=7, by="test")
    dates = dict(Event.objects.values_list("acronym", "start_date"))
    assert dates == {"ASEM13": dt.date(2020, 11, 23), "SOM": dt.date(2020, 11, 21), "OTHER": dt.date(2020, 11, 23)}
    assert _offsets(ids) == before
    assert result.moved == {"sessions": 3, "bilaterals": 1, "bilateral windows": 1, "protocol tasks": 2,
                            "deadlines": 2, "pending reminders": 0}  # fmt: skip
    assert set(Event.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"postponed"}
    # The sessions keep their wall-clock times: the plenary is on 23 Nov at 09:00 local.
    assert Session.objects.get(title="Plenary").start == at(7, "09:00")
    assert Session.objects.get(title="Other meeting").start == at(7, "15:00")  # not moved


def test_summit_postponement_is_audited_once_plus_every_row(plan):
    summit_postpone(summit=plan["summit"], days=7, by="test")
    summary = AuditEntry.objects.get(action="events.event.postponed")
    assert summary.object_repr == "ASEM13"
    assert summary.changes["days"] == [None, 7]
    assert set(summary.changes["events"][1]) == {"ASEM13", "SOM"}
    assert summary.changes["moved"][1]["sessions"] == 3
    assert AuditEntry.objects.filter(action="events.session.changed").count() == 3
    assert AuditEntry.objects.filter(action="events.event.changed").count() == 2


def test_moving_earlier_works_and_keeps_relative_times(plan):
    ids = [plan["summit"].pk, plan["som"].pk]
    before = _offsets(ids)
    event_postpone(event=plan["summit"], days=-3, include_side_events=True, by="test")
    assert Event.objects.get(acronym="SOM").start_date == dt.date(2020, 11, 11)
    assert _offsets(ids) == before


@pytest.mark.parametrize(
    ("days", "message"),
    [(0, "0 days moves nothing"), (366, "outside the allowed range"), (-400, "outside the allowed range")],
    ids=["zero", "too_late", "too_early"],
)
def test_shift_out_of_range_is_refused_naming_the_field(plan, days, message):
    with pytest.raises(ValidationError) as info:
        postponement_preview(event=plan["summit"], days=days)
    assert message in info.value.message_dict["days"][0]


def test_a_side_event_cannot_take_side_events_along(plan):
    with pytest.raises(ValidationError) as info:
        event_postpone(event=plan["som"], days=7, include_side_events=True, by="test")
    assert "choose its summit (ASEM13)" in info.value.message_dict["include_side_events"][0]


def test_pending_reminders_move_and_none_is_left_at_the_old_time_sent_ones_untouched(plan):
    liaison = UserFactory(username="liaison-a")
    old_due = at(-28, "09:00")
    pending = _reminder(plan["summit"], liaison, due_at=old_due)
    queued = _reminder(plan["som"], liaison, due_at=at(-25, "09:00"), status=Reminder.Status.QUEUED)
    sent = _reminder(plan["summit"], liaison, due_at=at(-35, "09:00"), status=Reminder.Status.SENT)
    untouched = _reminder(plan["other"], liaison, due_at=old_due)
    sent_before = Reminder.objects.filter(pk=sent.pk).values("due_at", "anchor_at", "status", "sent_at").get()
    result = summit_postpone(summit=plan["summit"], days=7, by="test")
    assert result.moved["pending reminders"] == 2
    pending.refresh_from_db()
    queued.refresh_from_db()
    assert (pending.due_at, pending.anchor_at, pending.status) == (at(-21, "09:00"), at(-14, "09:00"), "pending")
    assert (queued.due_at, queued.status, queued.queued_at) == (at(-18, "09:00"), "pending", None)
    moved_events = [plan["summit"].pk, plan["som"].pk]
    left = Reminder.objects.filter(event_id__in=moved_events, status__in=Reminder.OPEN, due_at__in=[old_due,
                                   at(-25, "09:00")])  # fmt: skip
    assert not left.exists()
    assert Reminder.objects.filter(pk=sent.pk).values("due_at", "anchor_at", "status", "sent_at").get() == sent_before
    untouched.refresh_from_db()
    assert untouched.due_at == old_due


def test_deadline_reminders_follow_through_the_sync_after_commit(plan, django_capture_on_commit_callbacks):
    # The real path: a rule materialises reminders for the deadline; after the move, the sync finds them moved.
    from reminders.domain.subjects import Scope
    from reminders.domain.sync import reminders_sync

    liaison = UserFactory(username="liaison-sync", roles=["liaison"])
    DelegationFactory(event=plan["summit"]).liaisons.add(liaison)
    ReminderRuleFactory(what="deadline_passports", offset_minutes=-7 * 1440, to_liaisons=True)
    with time_machine.travel(at(-60, "09:00"), tick=False):
        reminders_sync(scope=Scope(all=True))
        old = list(Reminder.objects.filter(event=plan["summit"], purpose="reminder").values_list("due_at", flat=True))
        assert old == [at(-28, "17:00")]
        with django_capture_on_commit_callbacks(execute=True):
            summit_postpone(summit=plan["summit"], days=7, by="test")
    rows = list(Reminder.objects.filter(event=plan["summit"], purpose="reminder").values_list("due_at", "status"))
    assert rows == [(at(-21, "17:00"), "pending")]


def test_preview_writes_nothing_and_lists_new_and_vanishing_conflicts(plan, django_assert_num_queries):
    # An existing clash that the move takes away: the bilateral's room is booked by OTHER on day 0 as well.
    SessionFactory(event=plan["other"], room=plan["meeting"].room, start=at(0, "15:00"), end=at(0, "15:45"),
                   title="Early other meeting")  # fmt: skip

    def state():
        return (
            list(Session.objects.order_by("pk").values_list("start", "end")),
            list(Event.objects.order_by("pk").values_list("start_date", "end_date", "status")),
            list(Deadline.objects.order_by("pk").values_list("due_at", flat=True)),
            AuditEntry.objects.count(), Reminder.objects.count(), Notification.objects.count(),
        )  # fmt: skip

    before = state()
    impact = postponement_preview(event=plan["summit"], days=7, include_side_events=True)
    assert state() == before
    assert [e.acronym for e in impact.events] == ["ASEM13", "SOM"]
    assert impact.new_dates[plan["som"].pk] == (dt.date(2020, 11, 21), dt.date(2020, 11, 22))
    assert impact.counts["sessions"] == 3 and impact.counts["deadlines"] == 2
    new = [(c.kind, c.message) for c in impact.new_conflicts]
    assert len(new) == 1
    assert new[0][0] == "room_double_booked" and "Other meeting" in new[0][1] and "Bilateral" in new[0][1]
    gone = [c.message for c in impact.gone_conflicts]
    assert len(gone) == 1 and "Early other meeting" in gone[0]
    assert impact.blocking == []
    plenary = next(c for c in impact.changes if c.label == "Plenary")
    assert (plenary.old, plenary.new) == (at(0, "09:00"), at(7, "09:00"))


def test_preview_shows_a_travel_clash_the_move_creates(plan):
    person = PersonFactory(delegation=DelegationFactory(event=plan["summit"]))
    AccreditationFactory(person=person, event=plan["summit"])
    TravelFactory(person=person, arrival_at=at(-1, "14:00"), departure_at=at(2, "10:00"))
    Session.objects.get(title="Plenary").attendees.add(person)
    impact = postponement_preview(event=plan["summit"], days=7, include_side_events=True)
    kinds = {c.kind for c in impact.new_conflicts}
    assert "after_departure" in kinds
    assert any(str(person.family_name) in c.message or "departs" in c.message for c in impact.new_conflicts)


def test_blocking_problem_is_listed_and_confirm_refused_with_what_and_how(plan):
    SessionFactory(event=plan["other"], room=Session.objects.get(title="Plenary").room, start=at(7, "09:30"),
                   end=at(7, "10:30"), title="Blocker")  # fmt: skip
    impact = postponement_preview(event=plan["summit"], days=7, include_side_events=True)
    assert len(impact.blocking) == 1
    assert "Plenary" in impact.blocking[0].reason and "Blocker" in impact.blocking[0].reason
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as info:
        summit_postpone(summit=plan["summit"], days=7, by="test")
    text = " ".join(info.value.message_dict["days"])
    assert "refused: 1 problem(s)" in text and "Blocker" in text and "Move or cancel the other booking" in text
    assert Event.objects.get(acronym="ASEM13").start_date == dt.date(2020, 11, 16)
    assert AuditEntry.objects.count() == audits


def test_one_notice_per_liaison_listing_their_events(plan, django_capture_on_commit_callbacks, mailoutbox):
    both = UserFactory(username="liaison-both", roles=["liaison"])
    som_only = UserFactory(username="liaison-som", roles=["liaison"])
    outsider = UserFactory(username="liaison-other", roles=["liaison"])
    DelegationFactory(event=plan["summit"]).liaisons.add(both)
    DelegationFactory(event=plan["summit"]).liaisons.add(both)  # two delegations to the summit
    DelegationFactory(event=plan["som"]).liaisons.add(both, som_only)
    DelegationFactory(event=plan["other"]).liaisons.add(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        summit_postpone(summit=plan["summit"], days=7, by="test")
    notices = Notification.objects.filter(topic__startswith="postponement:")
    assert sorted(notices.values_list("recipient__username", flat=True)) == ["liaison-both", "liaison-som"]
    mine = notices.get(recipient=both)
    assert "ASEM13" in mine.body and "SOM" in mine.body and "23 Nov 2020" in mine.body
    assert "ASEM13" not in notices.get(recipient=som_only).title
    postponement_mails = [m for m in mailoutbox if m.subject.startswith("Postponed")]
    assert sorted(m.to[0] for m in postponement_mails) == ["liaison-both@example.org", "liaison-som@example.org"]


def test_preview_query_count_does_not_grow_with_the_rows(plan):
    def count():
        with CaptureQueriesContext(connection) as queries:
            postponement_preview(event=plan["summit"], days=7, include_side_events=True)
        return len(queries)

    small = count()
    room = RoomFactory()
    for hour in range(7, 22):
        SessionFactory(event=plan["summit"], room=room, start=at(1, f"{hour:02d}:00"), end=at(1, f"{hour:02d}:30"))
        ProtocolTaskFactory(event=plan["som"], start=at(-1, f"{hour:02d}:00"), end=at(-1, f"{hour:02d}:30"))
    assert count() == small


def test_postponing_the_seeded_summit_by_a_week(seeded, django_capture_on_commit_callbacks):
    summit = Event.objects.get(kind=Event.Kind.SUMMIT, parent__isnull=True, acronym="ASEM13")
    side = list(Event.objects.filter(parent=summit).exclude(status__in=["cancelled", "held"]))
    ids = [summit.pk, *(e.pk for e in side)]
    before = _offsets(ids)
    impact = postponement_preview(event=summit, days=7, include_side_events=True)
    assert impact.blocking == []
    with django_capture_on_commit_callbacks(execute=True):
        result = summit_postpone(summit=summit, days=7, by="test")
    assert _offsets(ids) == before
    assert {e.pk for e in result.events} == set(ids)
    summit.refresh_from_db()
    assert summit.start_date == impact.new_dates[summit.pk][0]
    assert result.moved["sessions"] > 0
    liaisons = set(Delegation.objects.filter(event_id__in=ids).values_list("liaisons", flat=True)) - {None}
    notices = Notification.objects.filter(topic__startswith="postponement:")
    assert notices.count() == len(liaisons) > 0
