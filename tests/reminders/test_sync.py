"""Rules materialise into reminders that follow their subjects: moved, cancelled, postponed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from events.domain.sessions import session_update
from events.models import Session
from planning.domain.postponement import event_postpone
from reminders.domain.sending import reminders_sweep
from reminders.models import Reminder, ReminderRule
from tests.factories import ReminderRuleFactory, RoomFactory, SessionFactory, UserFactory, at
from tests.reminders.conftest import sync_all

BEFORE = at(-60, "09:00")  # mid-September 2020, before any reminder is due


@pytest.fixture
def session_rule(summit):
    UserFactory(username="setup-1", roles=["logistics"])
    UserFactory(username="setup-2", roles=["logistics"])
    return ReminderRuleFactory(
        what=ReminderRule.What.SESSION, offset_minutes=-120, to_liaisons=False, to_role="logistics"
    )


def test_rule_materialises_one_reminder_per_subject_and_recipient(summit):
    ReminderRuleFactory(offset_minutes=-7 * 1440)
    ReminderRuleFactory(offset_minutes=-21 * 1440)
    with time_machine.travel(BEFORE, tick=False):
        result = sync_all()
    reminders = Reminder.objects.order_by("due_at")
    assert result.created == 2
    assert [r.due_at for r in reminders] == [at(-42, "17:00"), at(-28, "17:00")]
    assert {r.recipient for r in reminders} == {summit["liaison"]}
    assert all(r.anchor_at == summit["deadline"].due_at for r in reminders)


def test_sync_is_idempotent(summit, session_rule):
    SessionFactory(event=summit["event"])
    with time_machine.travel(BEFORE, tick=False):
        first = sync_all()
        second = sync_all()
    assert first.created == 2  # two people in logistics
    assert (second.created, second.moved, second.removed, second.notices) == (0, 0, 0, 0)
    assert Reminder.objects.count() == 2


def test_reminder_past_due_when_planned_is_not_made(summit):
    ReminderRuleFactory(offset_minutes=-7 * 1440)
    with time_machine.travel(at(-10, "09:00"), tick=False):  # D-7 (19 Oct) is over already
        assert sync_all().created == 0


def test_offset_landing_after_the_event_is_not_planned(summit, session_rule):
    SessionFactory(event=summit["event"], start=at(1, "22:00"), end=at(1, "23:00"))
    ReminderRuleFactory(
        what=ReminderRule.What.SESSION, offset_minutes=180, to_liaisons=False, to_role="logistics"
    )  # T+3h → 02:00 the day after the summit
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    assert set(Reminder.objects.values_list("rule", flat=True)) == {session_rule.pk}


def test_moving_a_session_moves_its_pending_reminders(summit, session_rule, django_capture_on_commit_callbacks):
    session = SessionFactory(event=summit["event"], start=at(0, "09:00"), end=at(0, "10:00"))
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
        with django_capture_on_commit_callbacks(execute=True):
            session_update(session=session, start=at(0, "14:00"), end=at(0, "15:00"), by="test")
    assert set(Reminder.objects.values_list("due_at", flat=True)) == {at(0, "12:00")}
    assert Reminder.objects.filter(purpose=Reminder.Purpose.CHANGE_NOTICE).count() == 0


def test_cancelling_a_session_removes_pending_reminders(summit, session_rule, django_capture_on_commit_callbacks):
    session = SessionFactory(event=summit["event"])
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
        assert Reminder.objects.count() == 2
        with django_capture_on_commit_callbacks(execute=True):
            session_update(session=session, status=Session.Status.CANCELLED, by="test")
    assert Reminder.objects.count() == 0


def test_sent_reminder_is_not_sent_again_after_a_move_and_one_change_notice_goes_out(
    summit, session_rule, django_capture_on_commit_callbacks
):
    session = SessionFactory(event=summit["event"], start=at(0, "09:00"), end=at(0, "10:00"))
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    with time_machine.travel(at(0, "07:00"), tick=False):
        reminders_sweep(send_inline=True)
    assert len(mail.outbox) == 2
    with time_machine.travel(at(0, "07:30"), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            session_update(session=session, start=at(0, "11:00"), end=at(0, "12:00"), by="test")
        sync_all()  # the periodic safety net on top: still one notice each
        reminders_sweep(send_inline=True)
    with time_machine.travel(at(0, "10:00"), tick=False):
        reminders_sweep(send_inline=True)
    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) == 4
    assert sum(s.startswith("Changed:") for s in subjects) == 2
    assert sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Changed:")) == [
        "setup-1@example.org",
        "setup-2@example.org",
    ]
    assert Reminder.objects.filter(purpose=Reminder.Purpose.REMINDER, status=Reminder.Status.SENT).count() == 2


def test_small_move_after_sending_sends_no_notice(summit, session_rule, django_capture_on_commit_callbacks):
    session = SessionFactory(event=summit["event"], start=at(0, "09:00"), end=at(0, "10:00"))
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    with time_machine.travel(at(0, "07:00"), tick=False):
        reminders_sweep(send_inline=True)
        with django_capture_on_commit_callbacks(execute=True):
            session_update(session=session, start=at(0, "09:10"), end=at(0, "10:10"), by="test")
        reminders_sweep(send_inline=True)
    assert len(mail.outbox) == 2


def test_cancelling_after_sending_sends_one_cancellation_notice(
    summit, session_rule, django_capture_on_commit_callbacks
):
    session = SessionFactory(event=summit["event"])
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    with time_machine.travel(at(0, "07:00"), tick=False):
        reminders_sweep(send_inline=True)
        with django_capture_on_commit_callbacks(execute=True):
            session_update(session=session, status=Session.Status.CANCELLED, by="test")
        sync_all()
        reminders_sweep(send_inline=True)
    assert [m.subject.split(":")[0] for m in mail.outbox].count("Cancelled") == 2
    assert len(mail.outbox) == 4


def test_postponing_the_event_moves_all_its_reminders(summit, session_rule, django_capture_on_commit_callbacks):
    ReminderRuleFactory(offset_minutes=-7 * 1440)
    room = RoomFactory()
    SessionFactory(event=summit["event"], room=room, start=at(0, "09:00"), end=at(0, "10:00"))
    SessionFactory(event=summit["event"], room=room, start=at(1, "09:00"), end=at(1, "10:00"))
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
        before = dict(Reminder.objects.values_list("key", "due_at"))
        with django_capture_on_commit_callbacks(execute=True):
            result = event_postpone(event=summit["event"], start_date=dt.date(2021, 3, 1), by="test")
    after = dict(Reminder.objects.values_list("key", "due_at"))
    shift = dt.date(2021, 3, 1) - dt.date(2020, 11, 16)
    assert result.moved["sessions"] == 2
    assert after.keys() == before.keys()
    assert len(after) == 5  # 2 sessions × 2 people + the liaison's passport reminder
    assert all(after[key] - before[key] == shift for key in before)


def test_liaison_added_later_gets_the_reminders_too(summit, django_capture_on_commit_callbacks):
    from delegations.domain.delegations import delegation_set_liaisons

    ReminderRuleFactory(offset_minutes=-7 * 1440)
    second = UserFactory(username="liaison-y", roles=["liaison"])
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
        with django_capture_on_commit_callbacks(execute=True):
            delegation_set_liaisons(delegation=summit["delegation"], liaisons=[summit["liaison"], second], by="test")
    assert set(Reminder.objects.values_list("recipient__username", flat=True)) == {"liaison-x", "liaison-y"}


def test_switching_a_rule_off_removes_its_pending_reminders(summit):
    rule = ReminderRuleFactory(offset_minutes=-7 * 1440)
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
        ReminderRule.objects.filter(pk=rule.pk).update(active=False)
        result = sync_all()
    assert result.removed == 1
    assert not Reminder.objects.exists()


def _move(session, start, capture):
    with capture(execute=True):
        session_update(session=session, start=start, end=start + dt.timedelta(hours=1), by="test")
    reminders_sweep(send_inline=True)


def test_every_material_move_after_sending_gets_its_own_notice(
    summit, session_rule, django_capture_on_commit_callbacks
):
    session = SessionFactory(event=summit["event"], start=at(0, "09:00"), end=at(0, "10:00"))
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    with time_machine.travel(at(0, "07:00"), tick=False):
        reminders_sweep(send_inline=True)
        for start in (at(0, "14:00"), at(0, "09:00"), at(0, "14:00")):  # away, back, away again
            _move(session, start, django_capture_on_commit_callbacks)
    notices = [m.subject for m in mail.outbox if m.to == ["setup-1@example.org"] and "Changed" in m.subject]
    assert len(notices) == 3
    assert [n.rsplit(" ", 2)[-1] for n in notices] == ["14:00", "09:00", "14:00"]


def test_cancelled_then_back_on_then_cancelled_tells_each_step_once(
    summit, session_rule, django_capture_on_commit_callbacks
):
    session = SessionFactory(event=summit["event"])
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    with time_machine.travel(at(0, "07:00"), tick=False):
        reminders_sweep(send_inline=True)
        for status in (Session.Status.CANCELLED, Session.Status.SCHEDULED, Session.Status.CANCELLED):
            with django_capture_on_commit_callbacks(execute=True):
                session_update(session=session, status=status, by="test")
            sync_all()  # the periodic sync on top adds nothing
            reminders_sweep(send_inline=True)
    told = [m.subject.split(":")[0] for m in mail.outbox if m.to == ["setup-1@example.org"]]
    assert told == ["T-2h", "Cancelled", "Back on", "Cancelled"]


def test_a_move_resets_late_on_a_pending_reminder(summit, session_rule, django_capture_on_commit_callbacks):
    session = SessionFactory(event=summit["event"], start=at(0, "09:00"), end=at(0, "10:00"))
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    with time_machine.travel(at(0, "08:00"), tick=False):
        reminders_sweep(enqueue=False)  # claimed an hour late; the message is still on its way
        assert set(Reminder.objects.values_list("late", flat=True)) == {True}
        with django_capture_on_commit_callbacks(execute=True):
            session_update(session=session, start=at(0, "14:00"), end=at(0, "15:00"), by="test")
    assert set(Reminder.objects.values_list("status", "late")) == {(Reminder.Status.PENDING, False)}
