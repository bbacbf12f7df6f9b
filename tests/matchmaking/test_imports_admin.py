"""The organiser's side: slots and their validation, the spreadsheet imports (good file, bad rows: nothing saved),
the forum page (plan, preview, publish) and who may use it, the admin lists' query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from asemplanner.models import AuditEntry
from matchmaking.domain.forum import forum_slots_generate, meeting_request_answer, meeting_request_send
from matchmaking.domain.imports import ImportRefused, participants_import, requests_import
from matchmaking.models import ForumMeeting, ForumRun, ForumSlot, MeetingRequest, Participant
from tests.factories import UserFactory
from tests.signin import sign_in

BY = "system:test"


# --- Slots -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "first", "minutes", "count", "field"),
    [
        pytest.param(dt.date(2020, 11, 20), dt.time(9), 30, 2, "day", id="outside_event"),
        pytest.param(dt.date(2020, 11, 14), dt.time(9, 30), 30, 2, "first", id="overlaps_existing"),
        pytest.param(dt.date(2020, 11, 14), dt.time(23), 30, 4, "count", id="past_midnight"),
        pytest.param(dt.date(2020, 11, 15), dt.time(9), 3, 2, "minutes", id="too_short"),
        pytest.param(dt.date(2020, 11, 15), dt.time(9), 30, 0, "count", id="no_slot"),
    ],
)
def test_slot_generation_refuses_naming_the_field(forum, day, first, minutes, count, field):
    before = ForumSlot.objects.count()
    with pytest.raises(ValidationError) as refused:
        forum_slots_generate(event=forum.event, day=day, first=first, minutes=minutes, count=count, by=BY)
    assert field in refused.value.message_dict
    assert ForumSlot.objects.count() == before


def test_slots_skip_the_break_and_touching_slots_are_fine(forum):
    made = forum_slots_generate(
        event=forum.event,
        day=dt.date(2020, 11, 14),
        first=dt.time(11),  # right after the fixture's 09:00–11:00 slots
        minutes=30,
        count=4,
        breaks=[(dt.time(12), dt.time(13))],
        by=BY,
    )
    assert [timezone.localtime(s.start).strftime("%H:%M") for s in made] == ["11:00", "11:30", "13:00", "13:30"]


def test_participant_delegation_must_be_at_the_forum_or_its_summit(forum):
    from tests.factories import DelegationFactory, EventFactory, PartnerFactory

    elsewhere = DelegationFactory(
        event=EventFactory(acronym="OTHER", name="Other summit"), partner=PartnerFactory(code="ESP", name="Spain")
    )
    with pytest.raises(ValidationError) as refused:
        Participant(event=forum.event, delegation=elsewhere, organisation="X").full_clean()
    assert "delegation" in refused.value.message_dict


def test_request_to_self_is_refused(forum):
    a = forum.participant("FRA", "Alpha")
    with pytest.raises(ValidationError) as refused:
        meeting_request_send(sender=a, receiver=a, priority=3, by=BY)
    assert "receiver" in refused.value.message_dict
    assert not MeetingRequest.objects.exists()


# --- Imports ---------------------------------------------------------------------------------------------------
def _csv(text: str) -> bytes:
    return text.strip().replace("\n", "\r\n").encode()


def test_participants_import_good_file(forum):
    data = _csv(
        """organisation,name,kind,sector,profile,email,delegation,unavailable
Mekong Solar,Dara Sok,company,Energy,Rooftop solar,dara@mekong.example,fra,2020-11-14 09:00; 2020-11-14 09:30
Thames Advisory,Oliver Smith,person,Finance,,oliver@thames.example,,"""
    )
    result = participants_import(event=forum.event, data=data, filename="people.csv", by=BY)
    assert (result.created, result.errors) == (2, [])
    solar = Participant.objects.get(organisation="Mekong Solar")
    assert solar.delegation == forum.france
    assert [s.pk for s in solar.unavailable.order_by("start")] == [forum.slots[0].pk, forum.slots[1].pk]
    assert AuditEntry.objects.filter(action="matchmaking.participant.imported").count() == 2


def test_participants_import_bad_rows_save_nothing_and_name_row_and_column(forum):
    data = _csv(
        """organisation,kind,email,delegation,unavailable
Good Co,company,good@x.example,,
,company,,,
Robot Co,robot,not-an-email,XXX,2020-11-14 08:00"""
    )
    result = participants_import(event=forum.event, data=data, filename="people.csv", by=BY)
    assert result.created == 0
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(3, "organisation"), (4, "kind"), (4, "email"), (4, "delegation"), (4, "unavailable")}
    kind = next(e for e in result.errors if e.column == "kind")
    assert "company" in kind.message and "person" in kind.message  # what is allowed
    assert str(kind).startswith("Row 4, column kind:")
    assert not Participant.objects.exists()


def test_unknown_column_is_refused_before_any_row(forum):
    result = participants_import(event=forum.event, data=_csv("organisation,shoe size\nA,42"), filename="p.csv", by=BY)
    assert [(e.row, e.column) for e in result.errors] == [(1, "shoe_size")]


def test_requests_import_from_xlsx(forum):
    a, b, c = forum.participant("FRA", "Alpha"), forum.participant("DEU", "Beta"), forum.participant(None, "Gamma")
    book = Workbook()
    sheet = book.active
    for values in (
        ("from", "to", "priority", "status", "message"),
        ("Alpha", "Beta", 5, "accepted", "Solar"),
        ("gamma", "Alpha", 2, "", ""),
    ):
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    result = requests_import(event=forum.event, data=buffer.getvalue(), filename="requests.xlsx", by=BY)
    assert (result.created, result.errors) == (2, [])
    assert set(MeetingRequest.objects.values_list("sender", "receiver", "priority", "status")) == {
        (a.pk, b.pk, 5, "accepted"),
        (c.pk, a.pk, 2, "requested"),
    }


def test_requests_import_bad_rows_save_nothing(forum):
    forum.participant("FRA", "Alpha")
    forum.participant("DEU", "Beta")
    data = _csv(
        """from,to,priority,status
Alpha,Beta,3,requested
Alpha,Beta,3,requested
Alpha,Alpha,3,
Alpha,Nobody,9,maybe"""
    )
    result = requests_import(event=forum.event, data=data, filename="r.csv", by=BY)
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(3, "to"), (4, "to"), (5, "to"), (5, "priority"), (5, "status")}
    assert not MeetingRequest.objects.exists()


def test_imports_refuse_odd_values_with_row_errors_instead_of_failing(forum):
    """Values that once slipped past the checks and failed on save: a superscript two as a priority, a message or
    an email longer than the field, an organisation over 200 characters, a CSV field over the csv module's limit."""
    forum.participant("FRA", "Alpha")
    forum.participant("DEU", "Beta")
    long_message = "m" * 1001
    result = requests_import(event=forum.event, data=_csv(f"from,to,priority,message\nAlpha,Beta,²,{long_message}"),
                             filename="r.csv", by=BY)  # fmt: skip
    assert {(e.row, e.column) for e in result.errors} == {(2, "priority"), (2, "message")}
    long_email = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".example"
    assert len(long_email) > 254
    result = participants_import(event=forum.event, data=_csv(f"organisation,email\n{'O' * 201},{long_email}"),
                                 filename="p.csv", by=BY)  # fmt: skip
    assert {(e.row, e.column) for e in result.errors} == {(2, "organisation"), (2, "email")}
    with pytest.raises(ImportRefused, match="CSV"):
        participants_import(event=forum.event, data=_csv('organisation\n"' + "x" * 200_000 + '"'), filename="p.csv",
                            by=BY)  # fmt: skip
    assert not MeetingRequest.objects.exists() and Participant.objects.count() == 2


# --- The forum page --------------------------------------------------------------------------------------------
@pytest.fixture
def protocol_client(client, forum):
    sign_in(client, UserFactory(username="protocol-user", roles=["protocol"], is_staff=True))
    return client


def test_forum_page_plans_previews_and_publishes(
    protocol_client, forum, settings, celery_eager, django_capture_on_commit_callbacks
):
    settings.PLANNER_FORUM_SOLVER_SECONDS = 5
    a, b = forum.participant("FRA", "Alpha"), forum.participant("DEU", "Beta")
    meeting_request_answer(request=meeting_request_send(sender=a, receiver=b, priority=4, by=BY), accept=True, by=BY)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly once the run is committed
        response = protocol_client.post(reverse("admin:forum_plan", args=[forum.event.pk]))
    assert response.status_code == 302
    run = ForumRun.objects.get()
    assert run.status == ForumRun.Status.READY, run.message
    page = protocol_client.get(reverse("admin:forum_event", args=[forum.event.pk])).content.decode()
    assert "Alpha" in page and "Publish this plan" in page
    with django_capture_on_commit_callbacks(execute=True):
        protocol_client.post(reverse("admin:forum_publish", args=[run.pk]))
    assert ForumMeeting.objects.filter(status=ForumMeeting.Status.PUBLISHED).count() == 1


def test_forum_page_import_shows_row_errors(protocol_client, forum):
    upload = SimpleUploadedFile("p.csv", _csv("organisation,kind\nX,robot"), content_type="text/csv")
    response = protocol_client.post(
        reverse("admin:forum_import", args=[forum.event.pk]), {"what": "participants", "file": upload}
    )
    assert response.status_code == 200
    assert "Row 2, column kind" in response.content.decode()
    assert not Participant.objects.exists()


def test_logistics_may_not_plan_the_forum(client, forum):
    sign_in(client, UserFactory(username="logistics-user", roles=["logistics"], is_staff=True))
    assert client.get(reverse("admin:forum_event", args=[forum.event.pk])).status_code == 403
    assert client.post(reverse("admin:forum_plan", args=[forum.event.pk])).status_code == 403
    assert not ForumRun.objects.exists()


@pytest.mark.parametrize("model", ["participant", "meetingrequest"])
def test_admin_lists_query_count_does_not_grow(protocol_client, forum, model, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse(f"admin:matchmaking_{model}_changelist")

    def grow(start: int, n: int) -> None:
        for i in range(start, start + n):
            a = forum.participant("FRA", f"A{i}")
            b = forum.participant("DEU", f"B{i}")
            meeting_request_send(sender=a, receiver=b, priority=3, by=BY)

    grow(0, 2)
    with CaptureQueriesContext(connection) as small:
        assert protocol_client.get(url).status_code == 200
    grow(2, 15)
    with django_assert_max_num_queries(len(small)):
        response = protocol_client.get(url)
    assert "B16" in response.content.decode()


def test_a_run_no_worker_finished_gives_the_plan_form_back(protocol_client, forum):
    """A worker that died mid-run leaves it open; once stale the page stops refreshing and offers a new run."""
    url = reverse("admin:forum_event", args=[forum.event.pk])
    lost = ForumRun.objects.create(event=forum.event, status=ForumRun.Status.RUNNING)
    page = protocol_client.get(url).content.decode()
    assert 'http-equiv="refresh"' in page and 'name="allow_one_sided"' not in page  # still running: wait
    ForumRun.objects.filter(pk=lost.pk).update(requested_at=timezone.now() - dt.timedelta(hours=1))
    page = protocol_client.get(url).content.decode()
    assert 'http-equiv="refresh"' not in page and 'name="allow_one_sided"' in page
