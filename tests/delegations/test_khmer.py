"""Khmer for delegations: readiness texts, flight refusals, the flights page and its messages, and the notice
a staff member who chose Khmer gets when an invitation cannot be mailed. English stays as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from asemplanner.i18n import set_language_of
from asemplanner.models import Notification
from delegations.domain.liaisons import liaison_invite
from delegations.domain.readiness import readiness_for
from delegations.validators import flight_status_errors
from tests.factories import DelegationFactory, EventFactory, PartnerFactory, PersonFactory, TravelFactory, UserFactory

DAY = "2020-11-15"


def test_readiness_says_what_is_missing_in_the_readers_language(db):
    delegation = DelegationFactory()
    PersonFactory(delegation=delegation, given_name="Anna", family_name="Alpha")
    with translation.override("km"):
        khmer = readiness_for(delegation)
    assert khmer.items["photos"].missing == "រូបថតសម្រាប់សមាជិក 1 នាក់ ក្នុងចំណោម 1 នាក់៖ Anna Alpha"
    assert khmer.items["members"].missing == "ប្រធានគណៈប្រតិភូ៖ មិនទាន់បានជ្រើសរើសពីក្នុងចំណោមសមាជិកនៅឡើយទេ"
    assert khmer.items["photos"].label == "រូបថត"
    with translation.override("en"):
        english = readiness_for(delegation)
    assert english.items["photos"].missing == "a photo for 1 of 1 members: Anna Alpha"
    assert english.items["members"].missing == "the head of delegation: none chosen among the members"


def test_a_flight_refusal_speaks_khmer():
    now = dt.datetime(2020, 11, 15, 12, 0, tzinfo=dt.UTC)
    args = {
        "leg": "arrival", "status": "at_hotel", "at": None, "current_status": "scheduled", "current_at": None,
        "other_at": None, "window": None, "now": now,
    }  # fmt: skip
    with translation.override("km"):
        assert flight_status_errors(**args) == {
            "status": "មានតែការមកដល់ដែលបានចុះចតប៉ុណ្ណោះដែលអាចនៅសណ្ឋាគារបាន។ មួយនេះស្ថិតក្នុងស្ថានភាព តាមកាលវិភាគ។ "
            "សូមកត់សម្គាល់ថាបានចុះចតជាមុនសិន។"
        }
    with translation.override("en"):
        assert flight_status_errors(**args) == {
            "status": "Only a landed arrival can be at the hotel; this one is on schedule. Mark it landed first."
        }


@pytest.fixture
def flights(db):
    event = EventFactory(acronym="ASEM13")
    sweden = DelegationFactory(event=event, partner=PartnerFactory(code="SWE", name="Sweden"))
    return [TravelFactory(person=PersonFactory(delegation=sweden, family_name=name), arrival_flight="SK971")
            for name in ("Bernadotte", "Lind")]  # fmt: skip


def test_the_flights_page_and_its_messages_speak_khmer(flights, role_client):
    client = role_client("protocol")
    url = reverse("admin:flights") + f"?day={DAY}"
    english = client.get(url).content.decode()
    assert "Flights on 15 Nov 2020" in english and "Arrivals (1)" in english
    client.post("/language/", {"language": "km", "next": "/"})
    page = client.get(url).content.decode()
    assert "ជើងហោះហើរនៅ 15 វិច្ឆិកា 2020" in page
    assert "ការមកដល់ (១)" in page and ">បានចុះចត</button>" in page
    assert "Flights on" not in page and "Arrivals (1)" not in page
    data = {"travel": flights[0].pk, "leg": "arrival", "status": "landed", "at": "2020-11-15T13:58", "day": DAY}
    response = client.post(reverse("admin:flights"), data, follow=True)
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [f"{flights[0].person} និង 1 នាក់ទៀត (SWE)៖ ការមកដល់ បានចុះចត, 15 វិច្ឆិកា 2020 13:58។"]


def test_the_notice_of_a_failed_invitation_mail_is_stored_in_the_inviters_language(
    db, settings, django_capture_on_commit_callbacks
):
    from tests.reminders.mailbackends import FlakyBackend

    settings.EMAIL_BACKEND = "tests.reminders.mailbackends.FlakyBackend"
    FlakyBackend.failures = 1
    staff = UserFactory(username="boss", roles=["protocol"])
    set_language_of(staff, "km")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        liaison_invite(delegation=DelegationFactory(), email="a@mfa.example", by=staff)
    notice = Notification.objects.get(recipient=staff)
    assert notice.title == "មិនអាចផ្ញើលិខិតអញ្ជើញទៅ a@mfa.example បានទេ"
    assert "«ផ្ញើម្ដងទៀត»" in notice.body and "Send again" not in notice.body
