"""Bilaterals through the portal: France requests, Germany's liaison is told and accepts; windows checked."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from asemplanner.models import AuditEntry, Notification
from protocol.models import BilateralMeeting, BilateralWindow
from tests.factories import BilateralMeetingFactory, RoomFactory, at
from tests.signin import sign_in


def request_data(summit, **changes) -> dict:
    data = {
        "counterpart": summit.germany.pk,
        "duration": "30",
        "priority": "4",
        "subject": "Energy transition",
        "window1_day": "2020-11-16",
        "window1_from": "14:00",
        "window1_to": "16:00",
    }
    return data | changes


def test_request_tells_the_counterparts_liaisons_and_they_accept(
    client, liaison_a, summit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = liaison_a.post(reverse("portal:bilateral_request", args=[summit.france.pk]), request_data(summit))
    assert response.status_code == 302
    meeting = BilateralMeeting.objects.get()
    assert (meeting.requester, meeting.counterpart, meeting.status) == (summit.france, summit.germany, "requested")
    assert (meeting.duration_minutes, meeting.priority, meeting.subject) == (30, 4, "Energy transition")
    window = BilateralWindow.objects.get()
    assert (window.start, window.end) == (at(0, "14:00"), at(0, "16:00"))
    notice = Notification.objects.get(recipient=summit.liaison_b)
    assert notice.title == "Bilateral requested by France"
    assert notice.link.endswith(reverse("portal:bilaterals", args=[summit.germany.pk]))
    assert [m.to for m in mail.outbox] == [[summit.liaison_b.email]]

    sign_in(client, summit.liaison_b)
    page = client.get(reverse("portal:bilaterals", args=[summit.germany.pk])).content.decode()
    assert "Waiting for your answer (1)" in page and "Energy transition" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:bilateral_accept", args=[summit.germany.pk, meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.status == "accepted"
    assert Notification.objects.get(recipient=summit.liaison_a).title == "Bilateral accepted by Germany"
    assert AuditEntry.objects.filter(action="protocol.bilateral.accepted", actor=summit.liaison_b).exists()


def test_the_requester_cannot_answer_its_own_request(liaison_a, summit):
    meeting = BilateralMeetingFactory(event=summit.event, requester=summit.france, counterpart=summit.germany)
    response = liaison_a.post(reverse("portal:bilateral_accept", args=[summit.france.pk, meeting.pk]), follow=True)
    meeting.refresh_from_db()
    assert meeting.status == "requested"
    assert "Only the invited delegation can answer" in response.content.decode()


def test_declining_and_calling_off(liaison_a, summit):
    incoming = BilateralMeetingFactory(event=summit.event, requester=summit.italy, counterpart=summit.france)
    mine = BilateralMeetingFactory(event=summit.event, requester=summit.france, counterpart=summit.germany)
    liaison_a.post(reverse("portal:bilateral_decline", args=[summit.france.pk, incoming.pk]))
    liaison_a.post(reverse("portal:bilateral_cancel", args=[summit.france.pk, mine.pk]))
    incoming.refresh_from_db()
    mine.refresh_from_db()
    assert (incoming.status, mine.status) == ("declined", "cancelled")


def test_a_scheduled_bilateral_is_called_off_only_by_protocol(liaison_a, summit):
    meeting = BilateralMeetingFactory(
        event=summit.event, requester=summit.france, counterpart=summit.germany, status="scheduled",
        room=RoomFactory(), start=at(0, "15:00"), end=at(0, "15:30"),
    )  # fmt: skip
    response = liaison_a.post(reverse("portal:bilateral_cancel", args=[summit.france.pk, meeting.pk]), follow=True)
    meeting.refresh_from_db()
    assert meeting.status == "scheduled"
    assert "Ask the protocol office" in response.content.decode()
    page = liaison_a.get(reverse("portal:bilaterals", args=[summit.france.pk])).content.decode()
    assert "Scheduled (1)" in page and "15:00" in page


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"window1_to": "14:20"}, "20 minutes long, shorter than the 30-minute meeting", id="too_short"),
        pytest.param({"window1_to": "13:00"}, "not after its start", id="ends_before_start"),
        pytest.param({"window1_from": ""}, "give the day, a from time and a to time", id="incomplete"),
        pytest.param({"window1_day": "2020-11-20"}, "Select a valid choice", id="day_outside_event"),
        pytest.param({"counterpart": "999999"}, "Select a valid choice", id="unknown_counterpart"),
        pytest.param({"duration": "500"}, "Select a valid choice", id="bad_duration"),
    ],
)
def test_bad_requests_say_what_is_wrong_and_save_nothing(liaison_a, summit, changes, expected):
    response = liaison_a.post(
        reverse("portal:bilateral_request", args=[summit.france.pk]), request_data(summit, **changes)
    )
    assert response.status_code == 200
    messages = [m for errors in response.context["form"].errors.values() for m in errors]
    assert any(expected in m for m in messages), messages
    assert not BilateralMeeting.objects.exists()
    assert not Notification.objects.exists()


def test_a_second_open_request_between_the_same_pair_is_refused(liaison_a, summit):
    BilateralMeetingFactory(event=summit.event, requester=summit.germany, counterpart=summit.france)
    response = liaison_a.post(reverse("portal:bilateral_request", args=[summit.france.pk]), request_data(summit))
    assert response.status_code == 200
    assert "already have an open bilateral" in " ".join(response.context["form"].non_field_errors())
    assert BilateralMeeting.objects.count() == 1
