"""Reminders in Khmer: the inbox page, a default rule's text per recipient, change notices, staff-facing refusals."""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import translation

from asemplanner.i18n import set_language_of
from asemplanner.models import Notification
from events.domain.sessions import session_update
from reminders import defaults
from reminders.domain.sending import reminders_sweep
from reminders.models import Reminder, ReminderRule
from reminders.validators import offset_parse, rule_errors
from tests.factories import ReminderRuleFactory, SessionFactory, UserFactory, at
from tests.reminders.conftest import sync_all
from tests.signin import sign_in

BEFORE = at(-60, "09:00")
DUE = at(-28, "17:00")  # D-7 before the 26 Oct passport deadline


@pytest.fixture(autouse=True)
def _english_again():
    """A request in Khmer leaves Khmer active in this thread (LocaleMiddleware activates, nothing deactivates):
    start and end each test in the default language, so no other test inherits it."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def default_rule(summit):
    """A passport rule that still has the seed's default texts."""
    return ReminderRuleFactory(subject_template=defaults.DEADLINE_SUBJECT, body_template=defaults.DEADLINE_BODY)


def _send_due():
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    with time_machine.travel(DUE, tick=False):
        reminders_sweep(send_inline=True)


def test_default_rule_reaches_a_khmer_recipient_in_khmer(summit, default_rule):
    set_language_of(summit["liaison"], "km")
    _send_due()
    message = mail.outbox[0]
    assert message.subject.startswith("ការរំលឹក ASEM13៖ ")
    assert "ASEM13 reminder" not in message.subject
    assert "២៦" in message.subject  # the date in Khmer digits
    assert message.body.startswith("ជូនចំពោះ Lia Ison,")
    assert "Please complete it" not in message.body
    notice = Notification.objects.get(recipient=summit["liaison"])  # the inbox notice is stored in Khmer
    assert notice.title == message.subject
    assert "គណៈកម្មាធិការជាតិរៀបចំ ASEM13" in notice.body


def test_default_rule_reaches_an_english_recipient_unchanged(summit, default_rule):
    _send_due()
    message = mail.outbox[0]
    assert message.subject == f"ASEM13 reminder: Passport data — {summit['delegation']} due 26 Oct 2020 17:00"
    assert message.body.startswith("Dear Lia Ison,\n\nPassport data — ")
    assert message.body.endswith("ASEM13 National Organising Committee")


def test_a_rule_staff_rewrote_is_sent_as_written_to_a_khmer_recipient(summit):
    ReminderRuleFactory(subject_template="Passports: {{ what }}", body_template="{{ missing }}")
    set_language_of(summit["liaison"], "km")
    _send_due()
    # Staff's own words stay as written; what the planner fills in is in the recipient's language.
    assert mail.outbox[0].subject.startswith("Passports: ទិន្នន័យលិខិតឆ្លងដែន — ")


def test_the_seed_writes_the_defaults_the_sender_translates():
    from demo import seed

    assert (seed.LIAISON_SUBJECT, seed.LIAISON_BODY, seed.START_SUBJECT, seed.START_BODY) == (
        defaults.DEADLINE_SUBJECT,
        defaults.DEADLINE_BODY,
        defaults.START_SUBJECT,
        defaults.START_BODY,
    )


def test_change_notice_is_worded_in_each_recipients_language(summit, django_capture_on_commit_callbacks):
    khmer = UserFactory(username="setup-km", roles=["logistics"])
    UserFactory(username="setup-en", roles=["logistics"])
    set_language_of(khmer, "km")
    ReminderRuleFactory(what=ReminderRule.What.SESSION, offset_minutes=-120, to_liaisons=False, to_role="logistics")
    session = SessionFactory(event=summit["event"], start=at(0, "09:00"), end=at(0, "10:00"))
    with time_machine.travel(BEFORE, tick=False):
        sync_all()
    with time_machine.travel(at(0, "07:00"), tick=False):
        reminders_sweep(send_inline=True)
    with time_machine.travel(at(0, "07:30"), tick=False):
        with translation.override("km"), django_capture_on_commit_callbacks(execute=True):
            # A Khmer page's save: the stored labels stay in English all the same.
            session_update(session=session, start=at(0, "11:00"), end=at(0, "12:00"), by="test")
        reminders_sweep(send_inline=True)
    notices = {r.recipient.username: r for r in Reminder.objects.filter(purpose=Reminder.Purpose.CHANGE_NOTICE)}
    assert notices["setup-km"].title.startswith("បានផ្លាស់ប្តូរ៖ ")
    assert "១១:០០" in notices["setup-km"].title
    assert notices["setup-en"].title.startswith("Changed: ")
    assert notices["setup-en"].title.endswith("11:00")
    assert all(" in " in r.about for r in Reminder.objects.all())  # "<session> in <room>", as stored: English


def test_inbox_page_in_khmer(client, summit):
    sign_in(client, summit["liaison"])
    client.post("/language/", {"language": "km", "next": "/"})
    page = client.get("/inbox/").content.decode()
    assert "<h1>កាលកំណត់ និងការរំលឹក</h1>" in page
    assert "Deadlines and reminders" not in page
    assert "ការរំលឹកនាពេលខាងមុខ" in page


def test_inbox_page_in_english_unchanged(client, summit):
    sign_in(client, summit["liaison"])
    page = client.get("/inbox/").content.decode()
    assert "<h1>Deadlines and reminders</h1>" in page
    assert "<h2>Coming reminders</h2>" in page


def test_rule_refusals_in_khmer_for_khmer_staff(summit):
    rule = ReminderRule(what=ReminderRule.What.SESSION, subject_template="x", body_template="y", offset_minutes=0)
    with translation.override("km"):
        errors = rule_errors(rule)
        with pytest.raises(ValueError, match="មិនមែនជាគម្លាតពេលទេ"):
            offset_parse("soon")
    assert errors["to_role"].startswith("គ្មាននរណាម្នាក់នឹងទទួលការរំលឹកនេះទេ")
    assert rule_errors(rule)["to_role"].startswith("Nobody would receive this reminder")
