"""Staff edit rules and deadlines in the admin; bad input is refused with a message and changes nothing."""

from __future__ import annotations

import pytest
import time_machine

from asemplanner.models import AuditEntry
from reminders.models import Reminder, ReminderRule
from tests.factories import ReminderRuleFactory, UserFactory, at
from tests.signin import sign_in

ADD = "/admin/reminders/reminderrule/add/"


def rule_form(**overrides) -> dict:
    form = {
        "name": "Passports D-7",
        "active": "on",
        "what": "deadline_passports",
        "event": "",
        "offset": "D-7",
        "to_role": "",
        "to_liaisons": "on",
        "by_email": "on",
        "in_inbox": "on",
        "subject_template": "{{ what }} due {{ when }}",
        "body_template": "Dear {{ recipient }}, still missing: {{ missing }}",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


@pytest.fixture
def staff(client, summit):
    user = UserFactory(username="protocol-officer", roles=["protocol"])
    sign_in(client, user)
    return client


def test_staff_add_a_rule_and_reminders_follow(staff, summit, django_capture_on_commit_callbacks):
    with time_machine.travel(at(-60, "09:00"), tick=True), django_capture_on_commit_callbacks(execute=True):
        response = staff.post(ADD, rule_form())
    assert response.status_code == 302
    rule = ReminderRule.objects.get()
    assert rule.offset_minutes == -7 * 1440
    assert AuditEntry.objects.filter(action="reminders.reminderrule.created", object_id=str(rule.pk)).exists()
    reminder = Reminder.objects.get()
    assert (reminder.recipient, reminder.due_at) == (summit["liaison"], at(-28, "17:00"))


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        pytest.param({"offset": "7 days"}, "offset", "is not an offset", id="unreadable_offset"),
        pytest.param({"offset": "D+25", "event": "EVENT"}, "offset", "after ASEM13 ends", id="after_event_end"),
        pytest.param({"to_liaisons": None}, "to_role", "Nobody would receive", id="no_recipient"),
        pytest.param({"to_role": "chef"}, "to_role", "Select a valid choice", id="unknown_role"),
        pytest.param({"what": "session", "to_assignee": "on"}, "to_assignee", "has no assignee", id="no_assignee"),
        pytest.param({"body_template": ""}, "body_template", "This field is required", id="empty_body"),
        pytest.param({"subject_template": "{% if %}"}, "subject_template", "cannot be read", id="unrenderable"),
        pytest.param({"body_template": "{{ recipent }}"}, "body_template", "Unknown placeholder", id="typo"),
    ],
)
def test_bad_rule_is_refused_with_a_message_and_nothing_changes(staff, summit, overrides, field, fragment):
    if overrides.get("event") == "EVENT":
        overrides["event"] = str(summit["event"].pk)
    response = staff.post(ADD, rule_form(**overrides))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert fragment in " ".join(errors.get(field, [])), errors
    assert not ReminderRule.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="reminders.").exists()


def test_edit_form_shows_the_offset_in_staff_notation(staff):
    rule = ReminderRuleFactory(offset_minutes=-60, what="bilateral", to_assignee=True)
    response = staff.get(f"/admin/reminders/reminderrule/{rule.pk}/change/")
    assert response.context["adminform"].form.initial["offset"] == "T-1h"


def test_failed_reminders_are_listed_with_their_error_and_can_be_retried(staff, summit):
    rule = ReminderRuleFactory()
    failed = Reminder.objects.create(
        key="k1", rule=rule, event=summit["event"], subject_kind="delegation", subject_id=summit["delegation"].pk,
        recipient=summit["liaison"], anchor_at=at(-21, "17:00"), due_at=at(-28, "17:00"), status="failed",
        attempts=5, last_error="Mail failed (attempt 5 of 5): Connection refused",
    )  # fmt: skip
    listing = staff.get("/admin/reminders/reminder/?status__exact=failed")
    assert "Connection refused" in listing.content.decode()
    response = staff.post(
        "/admin/reminders/reminder/", {"action": "retry", "_selected_action": [failed.pk]}, follow=True
    )
    assert "1 reminder(s) put back in line" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    assert AuditEntry.objects.filter(action="reminders.reminder.retried", object_id=str(failed.pk)).exists()


def test_view_only_roles_cannot_retry(client, summit):
    sign_in(client, UserFactory(username="guard", roles=["security"]))
    response = client.get("/admin/reminders/reminder/")
    assert response.status_code == 200
    assert response.context["action_form"] is None  # no action this role may run
    assert "Retry the selected" not in response.content.decode()
    assert client.get("/admin/reminders/reminderrule/").status_code == 403
