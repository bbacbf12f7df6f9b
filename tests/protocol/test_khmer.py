"""The protocol pages and messages in Khmer: the task board, the precedence page, refusals, scheduler reasons, and
bilateral notices written in each liaison's own language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import translation

from asemplanner.i18n import set_language_of
from asemplanner.models import Notification
from protocol.domain.bilaterals import bilateral_request, bilateral_schedule
from protocol.domain.precedence import Seat
from protocol.domain.scheduling import Problem, Request, candidates
from tests.factories import (
    BilateralMeetingFactory,
    DelegationFactory,
    EventFactory,
    PartnerFactory,
    RoomFactory,
    UserFactory,
    at,
)
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A request in Khmer leaves Khmer active in this thread (LocaleMiddleware activates, nothing deactivates):
    back to the default after each test, so neither the next test here nor the next file inherits it."""
    yield
    translation.deactivate()


def staff(*perms: str):
    user = UserFactory(is_staff=True)
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return user


def in_khmer(client, user):
    sign_in(client, user)
    client.post("/language/", {"language": "km", "next": "/"})
    return client


def test_the_task_board_speaks_khmer_to_a_khmer_reader(client):
    in_khmer(client, staff("protocol.view_protocoltask"))
    page = client.get("/admin/taskboard/").content.decode()
    assert "ផ្ទាំងភារកិច្ច — ក្រុមទាំងអស់" in page  # "Task board — all teams"
    assert "គ្មានភារកិច្ចដែលត្រូវនឹងការជ្រើសរើសនេះទេ។" in page
    assert "No tasks match this selection." not in page
    assert "Any status" not in page


def test_the_task_board_stays_english_by_default(client):
    sign_in(client, staff("protocol.view_protocoltask"))
    page = client.get("/admin/taskboard/").content.decode()
    assert "No tasks match this selection." in page
    assert "ផ្ទាំងភារកិច្ច" not in page


def test_a_bad_board_filter_is_refused_in_khmer(client):
    in_khmer(client, staff("protocol.view_protocoltask"))
    response = client.get("/admin/taskboard/", {"day": "tomorrow"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "ថ្ងៃ “tomorrow” មិនមែនជាកាលបរិច្ឆេទទេ" in page
    assert "is not a date" not in page


def test_the_precedence_page_speaks_khmer(client):
    event = EventFactory()
    DelegationFactory(event=event, partner=PartnerFactory(name="France"))
    in_khmer(client, staff("delegations.view_delegation"))
    page = client.get(f"/admin/precedence/{event.pk}/").content.decode()
    assert "ការរៀបចំកន្លែងអង្គុយសម័យប្រជុំពេញអង្គ" in page  # "Plenary seating"
    assert "ខាងស្តាំអធិបតី" in page  # "Chair's right"
    assert "មិនទាន់កំណត់ប្រធានគណៈប្រតិភូ" in page  # France has no head yet
    assert "Chair's right" not in page
    assert "no head of delegation named yet" not in page


def test_seat_sides_follow_the_active_language():
    seat = Seat(number=2, side="right", row=1, entry=None)
    with translation.override("en"):
        assert seat.side_label == "Chair's right"
    with translation.override("km"):
        assert seat.side_label == "ខាងស្តាំអធិបតី"


def test_a_refusal_reaches_staff_in_khmer():
    meeting = BilateralMeetingFactory()  # requested, not accepted
    with translation.override("km"), pytest.raises(ValidationError) as refused:
        bilateral_schedule(meeting=meeting, room=RoomFactory(), start=at(0, "10:00"), by="test")
    assert refused.value.message_dict["status"] == ["អាចកំណត់កាលវិភាគបានតែកិច្ចប្រជុំទ្វេភាគីដែលត្រូវបានយល់ព្រមរួចប៉ុណ្ណោះ។"]


def test_the_schedulers_reasons_follow_the_active_language():
    request = Request(key=1, label="", people=(None, 7), priority=3, duration=30, names=("France", "Germany"))
    problem = Problem(requests=[request], rooms=[], days=[])
    with translation.override("km"):
        assert candidates(problem).reasons[1].startswith("មិនទាន់មានការកំណត់ប្រធានគណៈប្រតិភូសម្រាប់ France")
    with translation.override("en"):
        assert candidates(problem).reasons[1] == (
            "No head of delegation is named for France, so there is no principal to schedule."
        )


def test_a_bilateral_request_is_told_to_each_liaison_in_their_language(django_capture_on_commit_callbacks):
    event = EventFactory()
    france = DelegationFactory(event=event, partner=PartnerFactory(name="France"))
    germany = DelegationFactory(event=event, partner=PartnerFactory(name="Germany"))
    khmer, english = UserFactory(roles=["liaison"]), UserFactory(roles=["liaison"])
    germany.liaisons.add(khmer, english)
    set_language_of(khmer, "km")
    with django_capture_on_commit_callbacks(execute=True):
        bilateral_request(requester=france, counterpart=germany, duration=30, priority=3, by="test")
    told = {n.recipient_id: n for n in Notification.objects.all()}
    assert told[khmer.pk].title == "សំណើកិច្ចប្រជុំទ្វេភាគីពី France"
    assert told[khmer.pk].body.startswith("France ស្នើសុំកិច្ចប្រជុំទ្វេភាគីរយៈពេល 30 នាទី ជាមួយ Germany")
    assert told[english.pk].title == "Bilateral requested by France"
    assert told[english.pk].body.startswith("France asks Germany for a 30-minute bilateral meeting")
