"""The task board: permission, content by team/day/status/assignee, status change from the board, query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from asemplanner.choices import Rank
from asemplanner.models import AuditEntry
from events.models import Venue
from protocol.models import ProtocolTask, Team
from tests.factories import (
    DelegationFactory,
    EventFactory,
    PersonFactory,
    ProtocolTaskFactory,
    TeamFactory,
    TravelFactory,
    UserFactory,
    VenueFactory,
    at,
)
from tests.signin import sign_in

pytestmark = pytest.mark.django_db
URL = "/admin/taskboard/"


def staff(*perms: str):
    user = UserFactory(is_staff=True)
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return user


@pytest.fixture
def board():
    event = EventFactory()
    airport = VenueFactory(name="PNH airport", short_name="PNH", kind=Venue.Kind.AIRPORT)
    hotel = VenueFactory(name="Sokha hotel", kind=Venue.Kind.HOTEL)
    reception = TeamFactory(name="Reception A", kind=Team.Kind.RECEPTION)
    motorcade = TeamFactory(name="Motorcade 1", kind=Team.Kind.MOTORCADE)
    officer = UserFactory(username="officer-kim", first_name="Kim", last_name="Sok")
    head = PersonFactory(delegation=DelegationFactory(event=event), rank=Rank.HEAD_OF_STATE, family_name="Macron")
    made = {
        "greet": ProtocolTaskFactory(
            event=event, kind=ProtocolTask.Kind.AIRPORT_RECEPTION, title="Greet the President", venue=airport,
            start=at(-1, "13:30"), end=at(-1, "14:30"), team=reception, assignee=officer, person=head,
            delegation=head.delegation,
        ),
        "drive": ProtocolTaskFactory(
            event=event, kind=ProtocolTask.Kind.MOTORCADE, title="Drive to the hotel", venue=airport,
            destination=hotel, start=at(-1, "14:30"), end=at(-1, "15:00"), team=motorcade,
        ),
        "late": ProtocolTaskFactory(
            event=event, kind=ProtocolTask.Kind.AIRPORT_RECEPTION, title="Late arrival", venue=airport,
            start=at(0, "23:30"), end=at(1, "00:30"), team=reception, status=ProtocolTask.Status.DONE,
        ),
        "orphan": ProtocolTaskFactory(event=event, title="Nobody's flags", venue=hotel, start=at(0, "07:00"),
                                      end=at(0, "07:30")),
    }  # fmt: skip
    return {"event": event, "reception": reception, "motorcade": motorcade, "officer": officer, **made}


def test_board_needs_the_view_permission(client, board):
    sign_in(client, staff())
    assert client.get(URL).status_code == 403
    sign_in(client, staff("protocol.view_protocoltask"))
    assert client.get(URL).status_code == 200


def test_board_anonymous_is_sent_to_login(client, board):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_team_board_groups_by_day_and_shows_the_details(client, board):
    sign_in(client, staff("protocol.view_protocoltask"))
    response = client.get(URL, {"team": board["reception"].pk})
    html = response.content.decode()
    days = [(day, [t.title for t in tasks]) for day, tasks in response.context["days"]]
    assert days == [(dt.date(2020, 11, 15), ["Greet the President"]), (dt.date(2020, 11, 16), ["Late arrival"])]
    assert "Drive to the hotel" not in html and "Nobody&#x27;s flags" not in html
    assert "13:30–14:30" in html and "PNH" in html and "Macron" in html and "Kim Sok" in html
    assert reverse("admin:protocol_protocoltask_change", args=[board["greet"].pk]) in html
    assert "Sunday 15 November 2020" in html
    # No status form without the change permission.
    assert reverse("admin:taskboard_status", args=[board["greet"].pk]) not in html


def test_unassigned_board_lists_tasks_without_a_team(client, board):
    sign_in(client, staff("protocol.view_protocoltask"))
    response = client.get(URL, {"team": "unassigned"})
    titles = [t.title for _day, tasks in response.context["days"] for t in tasks]
    assert titles == ["Nobody's flags"]


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"day": "2020-11-16"}, ["Nobody's flags", "Late arrival"]),  # the 23:30 local task is on the 16th
        ({"status": "done"}, ["Late arrival"]),
        ({"assignee": "OFFICER"}, ["Greet the President"]),
    ],
    ids=["day_local_time", "status", "assignee"],
)
def test_board_filters(client, board, params, titles):
    if params.get("assignee") == "OFFICER":
        params = {"assignee": board["officer"].pk}
    sign_in(client, staff("protocol.view_protocoltask"))
    response = client.get(URL, params)
    assert [t.title for _day, tasks in response.context["days"] for t in tasks] == titles


def test_bad_filter_is_named_and_ignored(client, board):
    sign_in(client, staff("protocol.view_protocoltask"))
    response = client.get(URL, {"day": "16/11", "status": "finished"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Day “16/11” is not a date" in html and "Status “finished” is not a task status" in html
    assert len([t for _day, tasks in response.context["days"] for t in tasks]) == 4


def test_status_change_from_the_board_is_audited(client, board):
    user = staff("protocol.view_protocoltask", "protocol.change_protocoltask")
    sign_in(client, user)
    task = board["drive"]
    assert reverse("admin:taskboard_status", args=[task.pk]) in client.get(URL).content.decode()
    response = client.post(
        reverse("admin:taskboard_status", args=[task.pk]),
        {"status": "in_progress", "back": f"team={board['motorcade'].pk}&status=open"},
    )
    # Back to the board as it was: the new status is not taken for the board's status filter.
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?team={board['motorcade'].pk}&status=open"
    task.refresh_from_db()
    assert task.status == ProtocolTask.Status.IN_PROGRESS
    entry = AuditEntry.objects.filter(object_id=str(task.pk), actor=user).get()
    assert entry.changes["status"] == ["open", "in_progress"]


def test_status_change_needs_the_change_permission_and_a_post(client, board):
    sign_in(client, staff("protocol.view_protocoltask"))
    url = reverse("admin:taskboard_status", args=[board["drive"].pk])
    assert client.post(url, {"status": "done"}).status_code == 403
    sign_in(client, staff("protocol.view_protocoltask", "protocol.change_protocoltask"))
    assert client.get(url).status_code == 405
    board["drive"].refresh_from_db()
    assert board["drive"].status == ProtocolTask.Status.OPEN


def test_status_change_refuses_an_unknown_status(client, board):
    sign_in(client, staff("protocol.view_protocoltask", "protocol.change_protocoltask"))
    response = client.post(
        reverse("admin:taskboard_status", args=[board["drive"].pk]), {"status": "maybe"}, follow=True
    )
    assert "Status “maybe” is not a task status" in response.content.decode()
    board["drive"].refresh_from_db()
    assert board["drive"].status == ProtocolTask.Status.OPEN


def test_generate_from_the_board(client, board):
    airport = Venue.objects.get(name="PNH airport")
    head = PersonFactory(delegation=DelegationFactory(event=board["event"]), rank=Rank.HEAD_OF_GOVERNMENT)
    head.delegation.head = head
    head.delegation.save()
    TravelFactory(person=head, arrival_at=at(-1, "09:00"), arrival_airport=airport)
    user = staff("protocol.view_protocoltask", "protocol.change_protocoltask", "protocol.add_protocoltask")
    sign_in(client, user)
    response = client.post(reverse("admin:taskboard_generate"), {"generate_event": board["event"].pk}, follow=True)
    assert "1 created" in response.content.decode()
    task = ProtocolTask.objects.get(source_key=f"travel:{head.pk}:reception")
    assert task.team == board["reception"]
    assert AuditEntry.objects.filter(object_id=str(task.pk), actor=user).exists()


def _tasks(n: int, team: Team) -> None:
    event = EventFactory()
    venue = VenueFactory()
    for i in range(n):
        person = PersonFactory(delegation=DelegationFactory(event=event))
        ProtocolTaskFactory(
            event=event, team=team, venue=venue, destination=VenueFactory(), person=person,
            delegation=person.delegation, assignee=UserFactory(), start=at(i % 3, "08:00"), end=at(i % 3, "09:00"),
        )  # fmt: skip


def test_board_query_count_does_not_grow_with_tasks(client):
    team = TeamFactory(kind=Team.Kind.RECEPTION)
    sign_in(client, staff("protocol.view_protocoltask", "protocol.change_protocoltask"))
    counts = []
    for n in (3, 30):
        _tasks(n, team)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"team": team.pk})
        assert sum(len(tasks) for _day, tasks in response.context["days"]) == ProtocolTask.objects.count()
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_changelist_action_generates_for_the_events_of_the_selected_tasks(client, board):
    airport = Venue.objects.get(name="PNH airport")
    head = PersonFactory(delegation=DelegationFactory(event=board["event"]), rank=Rank.HEAD_OF_STATE)
    head.delegation.head = head
    head.delegation.save()
    TravelFactory(person=head, arrival_at=at(-1, "09:00"), arrival_airport=airport)
    sign_in(client, UserFactory(roles=["protocol"]))
    response = client.post(
        reverse("admin:protocol_protocoltask_changelist"),
        {"action": "generate_from_travel", "_selected_action": [board["drive"].pk]},
        follow=True,
    )
    assert "1 created" in response.content.decode()
    task = ProtocolTask.objects.get(source_key=f"travel:{head.pk}:reception")
    assert "Minister-level, guard of honour" in task.title
