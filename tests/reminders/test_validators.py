"""Offsets, message templates and the checks that refuse bad rules and deadlines."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from reminders.models import ReminderRule
from reminders.validators import offset_label, offset_parse, template_errors, template_render
from tests.factories import DeadlineFactory, EventFactory, ReminderRuleFactory, at


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        pytest.param("D-21", -21 * 1440, id="days_before"),
        pytest.param("D-7", -7 * 1440, id="week_before"),
        pytest.param("T-24h", -24 * 60, id="hours_before"),
        pytest.param("T-1h", -60, id="hour_before"),
        pytest.param("t-30m", -30, id="lowercase_minutes"),
        pytest.param("D+2", 2 * 1440, id="days_after"),
        pytest.param("T+90m", 90, id="minutes_after"),
        pytest.param(" T - 2 d ", -2 * 1440, id="spaces"),
    ],
)
def test_offset_parse_reads_staff_notation(text, minutes):
    assert offset_parse(text) == minutes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "is not an offset", id="empty"),
        pytest.param("7 days", "is not an offset", id="prose"),
        pytest.param("T-24", "needs a unit", id="time_without_unit"),
        pytest.param("D-400", "more than a year", id="too_far"),
        pytest.param("X-1h", "is not an offset", id="unknown_base"),
    ],
)
def test_offset_parse_refuses_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        offset_parse(text)


@pytest.mark.parametrize("minutes", [-30240, -1440, -60, -30, 0, 45, 120, 2880, -4320])
@pytest.mark.parametrize("from_start", [False, True])
def test_offset_label_round_trips(minutes, from_start):
    assert offset_parse(offset_label(minutes, from_start=from_start)) == minutes


@pytest.mark.parametrize(
    ("minutes", "from_start", "label"),
    [
        pytest.param(-21 * 1440, False, "D-21", id="deadline_days"),
        pytest.param(2 * 1440, False, "D+2", id="deadline_after"),
        pytest.param(-1440, True, "T-24h", id="start_day_in_hours"),
        pytest.param(-3 * 1440, True, "T-3d", id="start_days"),
        pytest.param(-90, True, "T-90m", id="start_minutes"),
    ],
)
def test_offset_label_reads_as_staff_write_it(minutes, from_start, label):
    assert offset_label(minutes, from_start=from_start) == label


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        pytest.param("", "is empty", id="empty"),
        pytest.param("   ", "is empty", id="blank"),
        pytest.param("{% if %}", "cannot be read", id="syntax"),
        pytest.param("Dear {{ recipent }}", "Unknown placeholder(s) in the body: recipent", id="typo"),
        pytest.param("{{ what.__class__ }}", "cannot be read", id="attribute_probe"),
        pytest.param("{{ what.nothing }}", "Unknown placeholder(s) in the body: what.nothing", id="missing_attribute"),
        pytest.param('{% include "base.html" %}', "cannot be rendered", id="include_reads_no_files"),
        pytest.param("{% load static %}", "cannot be read", id="no_libraries"),
        pytest.param("{% if False %}x{% endif %}", "renders as empty", id="renders_empty"),
    ],
)
def test_template_errors_explain_what_is_wrong(source, fragment):
    problem = template_errors(source, field_label="body")
    assert problem is not None
    assert fragment in problem
    assert "{{ recipient }}" in problem or fragment == "cannot be rendered"


def test_template_render_fills_placeholders_and_leaves_text_unescaped():
    assert template_render("{{ who }} & {{ what }}", {"who": "Ms Chan", "what": "A<B"}) == "Ms Chan & A<B"


@pytest.mark.django_db
class TestRuleValidation:
    def test_a_valid_rule_passes(self):
        ReminderRuleFactory.build(event=EventFactory()).full_clean()

    def test_unknown_role_is_refused(self):
        rule = ReminderRuleFactory.build(to_role="chef", to_liaisons=False)
        with pytest.raises(ValidationError) as info:
            rule.full_clean()
        assert "to_role" in info.value.message_dict

    def test_no_recipient_is_refused(self):
        rule = ReminderRuleFactory.build(to_liaisons=False)
        with pytest.raises(ValidationError) as info:
            rule.full_clean()
        assert "Nobody would receive" in info.value.message_dict["to_role"][0]

    def test_assignee_for_a_session_is_an_unknown_recipient(self):
        rule = ReminderRuleFactory.build(what=ReminderRule.What.SESSION, to_liaisons=False, to_assignee=True)
        with pytest.raises(ValidationError) as info:
            rule.full_clean()
        assert "has no assignee" in info.value.message_dict["to_assignee"][0]

    def test_liaisons_for_accreditation_approvals_are_refused(self):
        rule = ReminderRuleFactory.build(what=ReminderRule.What.DEADLINE_ACCREDITATIONS, to_role="accreditation")
        with pytest.raises(ValidationError) as info:
            rule.full_clean()
        assert "no liaisons" in info.value.message_dict["to_liaisons"][0]

    def test_no_channel_is_refused(self):
        rule = ReminderRuleFactory.build(by_email=False, in_inbox=False)
        with pytest.raises(ValidationError) as info:
            rule.full_clean()
        assert "at least one channel" in info.value.message_dict["by_email"][0]

    def test_offset_landing_after_the_event_ends_is_refused(self):
        event = EventFactory()  # 16–17 Nov 2020
        DeadlineFactory(event=event, due_at=at(-2, "17:00"))
        rule = ReminderRuleFactory.build(event=event, offset_minutes=4 * 1440)  # D+4 → 18 Nov
        with pytest.raises(ValidationError) as info:
            rule.full_clean()
        message = info.value.message_dict["offset_minutes"][0]
        assert "D+4" in message
        assert "after ASEM13 ends" in message or "ends" in message

    def test_start_offset_longer_than_the_event_is_refused(self):
        rule = ReminderRuleFactory.build(
            event=EventFactory(),
            what=ReminderRule.What.SESSION,
            to_liaisons=False,
            to_role="logistics",
            offset_minutes=3 * 1440,
        )
        with pytest.raises(ValidationError) as info:
            rule.full_clean()
        assert "lands after" in info.value.message_dict["offset_minutes"][0]

    def test_deadline_after_the_event_is_refused(self):
        deadline = DeadlineFactory.build(event=EventFactory(), due_at=at(2, "09:00"))
        with pytest.raises(ValidationError) as info:
            deadline.full_clean()
        assert "must fall before the end" in info.value.message_dict["due_at"][0]
