"""Conflicts in the admin: acknowledge needs a reason, resolve, and a clash shows when it is saved."""

from __future__ import annotations

from django.urls import reverse

from events.models import Conflict, Session
from planning.domain.conflict_checks import conflicts_check_all
from tests.factories import BilateralMeetingFactory, DelegationFactory, EventFactory, RoomFactory, SessionFactory, at


def make_room_clash():
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory(name="Bilateral Room 2")
    session = SessionFactory(event=event, room=room, title="Debrief", start=at(0, "10:00"), end=at(0, "11:00"))
    BilateralMeetingFactory(event=event, status="scheduled", room=room, start=at(0, "10:30"), end=at(0, "11:00"))
    conflicts_check_all()
    return session, Conflict.objects.get()


def test_acknowledge_action_without_a_reason_is_refused_with_a_message(role_client):
    _, conflict = make_room_clash()
    client = role_client("logistics")
    url = reverse("admin:events_conflict_changelist")
    response = client.post(
        url, {"action": "acknowledge_selected", "_selected_action": [conflict.pk], "apply": "1", "reason": " "}
    )
    assert response.status_code == 200
    assert "Give a reason to acknowledge" in response.content.decode()
    conflict.refresh_from_db()
    assert conflict.status == "open"


def test_acknowledge_action_asks_for_a_reason_then_records_it(role_client):
    _, conflict = make_room_clash()
    client = role_client("logistics")
    url = reverse("admin:events_conflict_changelist")
    form = client.post(url, {"action": "acknowledge_selected", "_selected_action": [conflict.pk]})
    assert "Reason" in form.content.decode()
    assert conflict.message in form.content.decode()
    response = client.post(
        url,
        {
            "action": "acknowledge_selected",
            "_selected_action": [conflict.pk],
            "apply": "1",
            "reason": "Debrief ends early",
        },
    )
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert (conflict.status, conflict.acknowledge_reason, conflict.acknowledged_by) == (
        "acknowledged",
        "Debrief ends early",
        client.user,
    )


def test_accreditation_role_cannot_see_conflicts(role_client):
    make_room_clash()
    client = role_client("accreditation")
    assert client.get(reverse("admin:events_conflict_changelist")).status_code == 403


def test_saving_a_session_into_a_clash_shows_it_at_once(role_client):
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory(name="Bilateral Room 2")
    requester, counterpart = DelegationFactory(event=event), DelegationFactory(event=event)
    BilateralMeetingFactory(
        event=event, requester=requester, counterpart=counterpart, status="scheduled", room=room,
        start=at(0, "10:30"), end=at(0, "11:00"),
    )  # fmt: skip
    client = role_client("logistics")
    response = client.post(
        reverse("admin:events_session_add"),
        {
            "event": event.pk,
            "title": "Debrief",
            "kind": "meeting",
            "status": "scheduled",
            "room": room.pk,
            "start_0": "2020-11-16",
            "start_1": "10:00",
            "end_0": "2020-11-16",
            "end_1": "11:00",
            "audience": "named",
            "audience_category": "",
            "expected_attendance": "",
            "notes": "",
        },  # fmt: skip
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("Room booked twice" in m and "Debrief" in m for m in messages), messages
    session = Session.objects.get(title="Debrief")
    conflict = Conflict.objects.get(kind="room_double_booked")
    assert f"session:{session.pk}" in (conflict.first, conflict.second)
    html = client.get(reverse("admin:events_session_change", args=[session.pk])).content.decode()
    assert "Open conflicts (1)" in html
