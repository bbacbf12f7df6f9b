"""The sweep claims due reminders and each is sent exactly once; failures are retried, then shown."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from asemplanner.models import Notification
from reminders.domain.sending import reminders_retry, reminders_send, reminders_sweep
from reminders.models import Reminder, ReminderRule
from tests.factories import ReminderRuleFactory, SessionFactory, UserFactory, at
from tests.reminders.conftest import sync_all
from tests.reminders.mailbackends import FlakyBackend

BEFORE = at(-60, "09:00")
DUE = at(-28, "17:00")  # D-7 before the 26 Oct passport deadline


@pytest.fixture
def planned(summit):
    rule = ReminderRuleFactory(offset_minutes=-7 * 1440)
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    return {**summit, "rule": rule, "reminder": Reminder.objects.get()}


def test_nothing_is_sent_before_it_is_due(planned):
    with time_machine.travel(DUE - dt.timedelta(seconds=1), tick=False):
        assert reminders_sweep(send_inline=True).claimed == 0
    assert mail.outbox == []


def test_due_reminder_is_sent_once_within_one_sweep(planned):
    with time_machine.travel(DUE, tick=False):
        result = reminders_sweep(send_inline=True)
    assert result.claimed == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["liaison-x@example.org"]
    assert message.subject == "D-7: Passport data — " + f"{planned['delegation']} due 26 Oct 2020 17:00"
    assert "passport data for 1 of 1 members: Jean Martin" in message.body
    assert message.extra_headers["Message-ID"].startswith("<reminder.")
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.sent_at, reminder.late) == (Reminder.Status.SENT, DUE, False)
    inbox = Notification.objects.get(recipient=planned["liaison"])
    assert inbox.title == message.subject
    assert inbox.link.endswith("/portal/")  # liaisons act on their delegation's portal


def test_sweeping_again_or_redelivering_the_batch_sends_nothing_more(planned):
    with time_machine.travel(DUE, tick=False):
        batches = reminders_sweep(send_inline=True).batches
        assert reminders_sweep(send_inline=True).claimed == 0
        again = reminders_send(ids=batches[0])  # the same task delivered a second time
    assert again.outcomes == {"not ours": 1}
    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1


def test_claimed_rows_are_not_claimed_by_a_second_sweep(planned):
    with time_machine.travel(DUE, tick=False):
        first = reminders_sweep()  # claimed and handed to the broker; not sent yet
        second = reminders_sweep()
    assert (first.claimed, second.claimed) == (1, 0)
    assert Reminder.objects.get().status == Reminder.Status.QUEUED


def test_claim_whose_message_was_lost_is_handed_out_again_after_the_requeue_time(planned, settings):
    with time_machine.travel(DUE, tick=False):
        reminders_sweep()  # the message is lost (say Redis restarted before a worker took it)
    with time_machine.travel(DUE + dt.timedelta(seconds=settings.PLANNER_REMINDER_REQUEUE_AFTER - 1), tick=False):
        assert reminders_sweep(send_inline=True).claimed == 0
    with time_machine.travel(DUE + dt.timedelta(seconds=settings.PLANNER_REMINDER_REQUEUE_AFTER + 1), tick=False):
        assert reminders_sweep(send_inline=True).claimed == 1
    assert len(mail.outbox) == 1


def test_reminder_swept_long_after_it_fell_due_is_sent_once_and_marked_late(planned):
    with time_machine.travel(DUE + dt.timedelta(hours=2), tick=False):
        result = reminders_sweep(send_inline=True)
    assert (result.claimed, result.late) == (1, 1)
    assert Reminder.objects.get().late is True
    assert len(mail.outbox) == 1


def test_nothing_missing_at_send_time_means_nothing_is_sent(planned):
    person = planned["delegation"].members.get()
    person.passport_number, person.passport_expiry = "X1234567", dt.date(2030, 1, 1)
    person.save()
    with time_machine.travel(DUE, tick=False):
        reminders_sweep(send_inline=True)
    reminder = Reminder.objects.get()
    assert reminder.status == Reminder.Status.SKIPPED
    assert "nothing is missing" in reminder.last_error
    assert mail.outbox == []


def test_mail_failure_is_retried_with_backoff_then_sent(planned, settings):
    settings.EMAIL_BACKEND = "tests.reminders.mailbackends.FlakyBackend"
    FlakyBackend.failures = 2
    mail.outbox = []
    wait = dt.timedelta(seconds=settings.PLANNER_REMINDER_RETRY_SECONDS)
    with time_machine.travel(DUE, tick=False):
        assert reminders_sweep(send_inline=True).claimed == 1
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts, reminder.retry_at) == (Reminder.Status.PENDING, 1, DUE + wait)
    assert "attempt 1 of 5" in reminder.last_error
    assert not Notification.objects.exists()  # rolled back with the failed send
    with time_machine.travel(DUE + wait - dt.timedelta(seconds=1), tick=False):
        assert reminders_sweep(send_inline=True).claimed == 0
    with time_machine.travel(DUE + wait, tick=False):
        reminders_sweep(send_inline=True)
    assert Reminder.objects.get().retry_at == DUE + wait + 2 * wait  # the wait doubles
    with time_machine.travel(DUE + 3 * wait, tick=False):
        reminders_sweep(send_inline=True)
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENT, 3)
    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1


def test_mail_failing_every_time_ends_failed_and_can_be_retried(planned, settings):
    settings.EMAIL_BACKEND = "tests.reminders.mailbackends.FlakyBackend"
    settings.PLANNER_REMINDER_MAX_ATTEMPTS = 3
    FlakyBackend.failures = 3
    mail.outbox = []
    now = DUE
    for _ in range(3):
        with time_machine.travel(now, tick=False):
            reminders_sweep(send_inline=True)
        now += dt.timedelta(hours=1)
    reminder = Reminder.objects.get()
    assert reminder.status == Reminder.Status.FAILED
    assert "Mail failed 3 times; sending stopped" in reminder.last_error
    assert "Retry" in reminder.last_error
    admin = UserFactory(username="boss", roles=["admin"])
    assert reminders_retry(queryset=Reminder.objects.all(), by=admin) == 1
    with time_machine.travel(now, tick=False):
        reminders_sweep(send_inline=True)
    assert Reminder.objects.get().status == Reminder.Status.SENT
    assert len(mail.outbox) == 1


def test_template_error_at_send_time_fails_that_reminder_not_the_sweep(planned):
    SessionFactory(event=planned["event"], start=at(-28, "20:00") + dt.timedelta(days=1))
    UserFactory(username="setup", roles=["logistics"])
    broken = ReminderRuleFactory(
        what=ReminderRule.What.SESSION, offset_minutes=0, to_liaisons=False, to_role="logistics"
    )
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    # Written past validation (a direct database edit, a bad migration): the sender must still cope.
    ReminderRule.objects.filter(pk=broken.pk).update(body_template="{% if %}")
    with time_machine.travel(at(0, "12:00"), tick=False):
        result = reminders_sweep(send_inline=True)
    assert result.claimed == 2
    statuses = dict(Reminder.objects.values_list("rule_id", "status"))
    assert statuses == {planned["rule"].pk: Reminder.Status.SENT, broken.pk: Reminder.Status.FAILED}
    assert "Template error" in Reminder.objects.get(rule=broken).last_error
    assert len(mail.outbox) == 1


def test_email_only_rule_for_a_user_without_address_fails_with_the_fix(planned):
    ReminderRule.objects.filter(pk=planned["rule"].pk).update(in_inbox=False)
    planned["liaison"].email = ""
    planned["liaison"].save()
    with time_machine.travel(DUE, tick=False):
        reminders_sweep(send_inline=True)
    reminder = Reminder.objects.get()
    assert reminder.status == Reminder.Status.FAILED
    assert "no email address" in reminder.last_error


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_claim_each_reminder_once(summit):
    ReminderRuleFactory(offset_minutes=-7 * 1440)
    for n in range(40):
        user = UserFactory(username=f"extra-liaison-{n}", roles=["liaison"])
        summit["delegation"].liaisons.add(user)
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    total = Reminder.objects.count()
    claimed: list[list[int]] = []
    barrier = threading.Barrier(2)

    def sweep():
        barrier.wait()
        try:
            result = reminders_sweep(now=DUE, enqueue=False)
            claimed.append([pk for batch in result.batches for pk in batch])
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = claimed[0] + claimed[1]
    assert total == 41
    assert len(everything) == len(set(everything)) == total


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_batch_send_each_reminder_once(summit):
    ReminderRuleFactory(offset_minutes=-7 * 1440)
    for n in range(30):
        summit["delegation"].liaisons.add(UserFactory(username=f"extra-liaison-{n}", roles=["liaison"]))
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    ids = [pk for batch in reminders_sweep(now=DUE, enqueue=False).batches for pk in batch]
    mail.outbox = []
    barrier = threading.Barrier(2)
    outcomes = []

    def send():
        barrier.wait()
        try:
            outcomes.append(reminders_send(ids=ids, now=DUE).outcomes)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 31
    assert outcomes[0]["sent"] + outcomes[1]["sent"] == 31
    assert len(mail.outbox) == 31
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 31
    assert Notification.objects.count() == 31


def test_a_batch_handed_out_again_is_sent_by_the_newer_claim_only(planned, settings):
    with time_machine.travel(DUE, tick=False):
        first = reminders_sweep(enqueue=False)  # this claim's message is slow or lost
    later = DUE + dt.timedelta(seconds=settings.PLANNER_REMINDER_REQUEUE_AFTER + 1)
    with time_machine.travel(later, tick=False):
        second = reminders_sweep(enqueue=False)
        old = reminders_send(ids=first.batches[0], claim=DUE)
        new = reminders_send(ids=second.batches[0], claim=later)
    assert (old.outcomes, new.outcomes) == ({"not ours": 1}, {"sent": 1})
    assert len(mail.outbox) == 1


def test_one_unsendable_reminder_fails_alone_and_the_batch_goes_on(planned):
    second = UserFactory(username="liaison-z", email="broken\nheader@example.org", roles=["liaison"])
    planned["delegation"].liaisons.add(second)
    long_name = "Extraordinarily long delegation name " * 8
    planned["delegation"].partner.name = long_name[:100]
    planned["delegation"].partner.save()
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    with time_machine.travel(DUE, tick=False):
        result = reminders_sweep(send_inline=True)
    statuses = dict(Reminder.objects.values_list("recipient__username", "status"))
    assert result.claimed == 2
    assert statuses == {"liaison-x": Reminder.Status.SENT, "liaison-z": Reminder.Status.FAILED}
    error = Reminder.objects.get(recipient=second).last_error
    assert "The mail could not be made (BadHeaderError" in error
    assert "Check liaison-z's email address" in error
    assert len(mail.outbox) == 1
    notice = Notification.objects.get(recipient=planned["liaison"])
    assert len(notice.title) <= 200
