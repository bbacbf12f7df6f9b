"""On the seeded summit, moving the clock: the liaisons whose delegations miss data get their reminders at
the right times, a moved deadline moves them, and the rehearsal command shows the same without storing it."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from reminders.domain.sending import reminders_sweep
from reminders.models import Deadline, Reminder
from tests.reminders.conftest import sync_all
from tests.signin import sign_in

TZ = ZoneInfo("Asia/Phnom_Penh")


def local(day: str, hhmm: str = "17:00") -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(hhmm), tzinfo=TZ)


def mails_to(username: str) -> list[str]:
    return [m.subject for m in mail.outbox if m.to == [f"{username}@asem13.example"]]


def run_clock(start: dt.datetime, end: dt.datetime, step: dt.timedelta = dt.timedelta(hours=1)) -> None:
    now = start
    while now <= end:
        with time_machine.travel(now, tick=False):
            reminders_sweep(send_inline=True)
        now += step


@pytest.mark.django_db
def test_seeded_liaisons_missing_data_get_their_reminders_on_time(seeded):
    with time_machine.travel(local("2020-09-01"), tick=False):
        sync_all()
    # Passport data is due 26 Oct 17:00: D-21 is 5 Oct 17:00. France's liaison has entered none.
    run_clock(local("2020-10-05", "15:00"), local("2020-10-05", "16:00"))
    assert mails_to("liaison-fra") == []
    run_clock(local("2020-10-05", "17:00"), local("2020-10-05", "18:00"))
    assert mails_to("liaison-fra") == ["ASEM13 reminder: Passport data — France @ ASEM13 due 26 Oct 2020 17:00"]
    fra = Reminder.objects.get(recipient__username="liaison-fra", rule__name="Liaisons: passport data, D-21")
    assert (fra.status, fra.sent_at) == (Reminder.Status.SENT, local("2020-10-05"))
    # Cambodia's liaison has entered every passport: that reminder is not needed, and not sent.
    khm = Reminder.objects.get(recipient__username="liaison-khm", rule__name="Liaisons: passport data, D-21")
    assert khm.status == Reminder.Status.SKIPPED
    assert mails_to("liaison-khm") == []
    # Hotels and travel are missing for both (only the head and the minister have them): D-7 is 26 Oct.
    run_clock(local("2020-10-26", "17:00"), local("2020-10-26", "17:00"))
    assert any("Travel (flights) — Cambodia" in s for s in mails_to("liaison-khm"))
    assert any("Hotel — France" in s for s in mails_to("liaison-fra"))
    body = next(m.body for m in mail.outbox if "Hotel — France" in m.subject)
    assert "a hotel for 2 of 4 members" in body


@pytest.mark.django_db
def test_seeded_deadline_moved_in_the_admin_moves_the_reminders(seeded, client, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    with time_machine.travel(local("2020-09-01"), tick=False):
        sync_all()
        deadline = Deadline.objects.get(event__acronym="ASEM13", kind=Deadline.Kind.PASSPORTS)
        sign_in(client, get_user_model().objects.get(username="protocol"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/admin/reminders/deadline/{deadline.pk}/change/",
                {"event": deadline.event_id, "kind": "passports", "due_at_0": "2020-11-02", "due_at_1": "17:00"},
            )
    assert response.status_code == 302, response.content.decode()[:2000]
    due = set(
        Reminder.objects.filter(
            rule__name="Liaisons: passport data, D-21", recipient__username="liaison-fra"
        ).values_list("due_at", flat=True)
    )
    assert due == {local("2020-10-12")}


@pytest.mark.django_db
def test_rehearsal_command_shows_the_timeline_and_stores_nothing(seeded):
    out = StringIO()
    call_command("reminders_rehearse", "--user", "liaison-fra", stdout=out)
    text = out.getvalue()
    assert " 5 Oct 2020 17:00  liaison-fra    sent     ASEM13 reminder: Passport data — France" in text
    assert "nothing is missing any more" in text  # the member list is complete
    assert "6 reminder(s) sent" in text
    assert not Reminder.objects.exists()
    assert not mail.outbox


@pytest.mark.django_db
def test_rehearsal_command_refuses_an_unknown_event(seeded):
    with pytest.raises(CommandError, match="no event “ASEM99”. Known: .*ASEM13"):
        call_command("reminders_rehearse", "--event", "ASEM99")
