"""Khmer for the programme: clash messages read in the reader's language, the conflict and timeline pages,
labels and refusals of the models. The stored English stays as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from events.domain.conflicts import Commitment, EventFacts, Facts, OutageFacts, Presence, RoomFacts, find_clashes
from events.models import Conflict, Room
from planning.domain.conflict_checks import conflicts_check_all
from tests.factories import BilateralMeetingFactory, EventFactory, RoomFactory, SessionFactory, at

PP = dt.timezone(dt.timedelta(hours=7))


def when(day: int, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(2020, 11, 16 + day, hour, minute, tzinfo=PP)


def every_kind_of_clash():
    """One commitment set that produces a clash of each kind the engine words (all but staff/team/vehicle)."""
    facts = Facts(
        transfer_minutes={(1, 2): 40},
        presence={7: Presence(arrival=when(0, "12:00"), departure=when(0, "15:00"))},
        rooms={
            10: RoomFacts(capacity=5, opens_at=dt.time(8), closes_at=dt.time(18), label="Palace · Hall A"),
            11: RoomFacts(capacity=50, opens_at=None, closes_at=None, label="Palace · Hall B"),
        },
        events={1: EventFacts(first_day=dt.date(2020, 11, 16), last_day=dt.date(2020, 11, 17), label="ASEM13")},
        labels={"person:7": "H.E. Ana Silva (Portugal)"},
        venue_names={1: "Palace", 2: "Hotel"},
        tz=PP,
        outages={11: [OutageFacts(3, 11, when(0, "09:00"), when(0, "12:00"), "power cut", "Palace · Hall B")]},
    )
    commitments = [
        Commitment("session:1", "Plenary", when(0, "10:00"), when(0, "11:00"), event_id=1, room_id=10, venue_id=1,
                   people=(7,), expected=9, checks_presence=True, within_event=True),
        Commitment("session:2", "Lunch", when(0, "10:30"), when(0, "11:30"), event_id=1, room_id=10, venue_id=1,
                   people=(7,), within_event=True),
        Commitment("session:3", "Gala", when(0, "11:40"), when(0, "19:00"), event_id=1, room_id=10, venue_id=2,
                   people=(7,), checks_presence=True, within_event=True),
        Commitment("session:4", "Retreat", when(2, "09:00"), when(2, "10:00"), event_id=1, room_id=11, venue_id=1,
                   within_event=True),
        Commitment("session:5", "Briefing", when(0, "09:30"), when(0, "10:00"), event_id=1, room_id=11, venue_id=1),
    ]  # fmt: skip
    return find_clashes(commitments, facts)


def test_every_clash_reads_the_same_in_english_from_its_msgid():
    clashes = every_kind_of_clash()
    kinds = {str(c.kind) for c in clashes}
    assert kinds >= {
        "room_double_booked", "person_double_booked", "transfer_too_short", "before_arrival", "after_departure",
        "over_capacity", "outside_opening_hours", "outside_event_dates", "room_out_of_service",
    }  # fmt: skip
    with translation.override("en"):
        for clash in clashes:
            assert clash.message_id, clash.kind
            assert clash.display_message == clash.message


def test_every_clash_reads_in_khmer_with_khmer_digits():
    clashes = every_kind_of_clash()
    with translation.override("km"):
        shown = {str(c.kind): c.display_message for c in clashes}
    assert shown["person_double_booked"] == (
        "H.E. Ana Silva (Portugal) ស្ថិតនៅក្នុង «Plenary» និង «Lunch» ក្នុងពេលតែមួយ (១៦ វិច្ឆិកា ១០:៣០–១១:០០)។"
    )
    assert "ក្បួនរថយន្តត្រូវការ" in shown["transfer_too_short"]
    assert "ផ្អាកដំណើរការ" in shown["room_out_of_service"] and "power cut" in shown["room_out_of_service"]
    assert "ក្រៅកាលបរិច្ឆេទនៃ ASEM13" in shown["outside_event_dates"]
    for text in shown.values():
        assert " at once" not in text and "expects" not in text and "outside the dates" not in text


def test_a_stored_conflict_keeps_its_english_message_and_reads_in_khmer(db):
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory(name="Bilateral Room 2")
    SessionFactory(event=event, room=room, title="Debrief", start=at(0, "10:00"), end=at(0, "11:00"))
    BilateralMeetingFactory(event=event, status="scheduled", room=room, start=at(0, "10:30"), end=at(0, "11:00"))
    with translation.override("km"):  # the check may run in a Khmer request: the stored text is English still
        conflicts_check_all()
    conflict = Conflict.objects.get()
    assert " at once (16 Nov 10:30–11:00)." in conflict.message
    assert conflict.message_args["msgid"].startswith("%(name)s is in")
    with translation.override("en"):
        assert conflict.display_message == conflict.message
    with translation.override("km"):
        assert "ក្នុងពេលតែមួយ" in conflict.display_message
        assert "១៦ វិច្ឆិកា ១០:៣០–១១:០០" in conflict.display_message
        assert conflict.get_kind_display() == "បន្ទប់ត្រូវបានកក់ពីរដង"


def test_a_conflict_without_a_msgid_shows_its_stored_message(db):
    now = timezone.now()
    conflict = Conflict(kind="over_capacity", severity="warning", message="Old text.", first_seen=now, last_seen=now)
    with translation.override("km"):
        assert conflict.display_message == "Old text."


def khmer(client):
    client.post("/language/", {"language": "km", "next": "/"})
    return client


def test_the_acknowledge_page_speaks_khmer(role_client):
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory(name="Bilateral Room 2")
    SessionFactory(event=event, room=room, title="Debrief", start=at(0, "10:00"), end=at(0, "11:00"))
    BilateralMeetingFactory(event=event, status="scheduled", room=room, start=at(0, "10:30"), end=at(0, "11:00"))
    conflicts_check_all()
    conflict = Conflict.objects.get()
    client = khmer(role_client("logistics"))
    page = client.post(
        reverse("admin:events_conflict_changelist"),
        {"action": "acknowledge_selected", "_selected_action": [conflict.pk]},
    ).content.decode()
    assert "អ្នកកំពុងទទួលស្គាល់ការជាន់គ្នាចំនួន ១" in page
    assert "You are acknowledging" not in page
    assert "ក្នុងពេលតែមួយ" in page and conflict.message not in page


def test_the_timeline_speaks_khmer_and_english_is_unchanged(role_client):
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory(name="Bilateral Room 2")
    SessionFactory(event=event, room=room, title="Debrief", start=at(0, "10:00"), end=at(0, "11:00"))
    BilateralMeetingFactory(event=event, status="scheduled", room=room, start=at(0, "10:30"), end=at(0, "11:00"))
    conflicts_check_all()
    conflict = Conflict.objects.get()
    client = role_client("protocol")
    url = reverse("admin:timeline") + "?day=2020-11-16"
    english = client.get(url).content.decode()
    assert "Open clashes on this day's items" in english
    assert "1 session," in english
    assert conflict.message in english
    page = khmer(client).get(url).content.decode()
    assert "ការជាន់គ្នាដែលមិនទាន់ដោះស្រាយនៃកម្មវិធីថ្ងៃនេះ" in page
    assert "វគ្គប្រជុំ ១," in page
    assert "Open clashes on this day's items" not in page
    assert conflict.message not in page


@pytest.mark.django_db
def test_model_refusals_and_labels_speak_khmer():
    room = RoomFactory.build(opens_at=dt.time(18), closes_at=dt.time(8))
    with translation.override("km"), pytest.raises(ValidationError) as refused:
        Room.clean(room)
    assert refused.value.message_dict["closes_at"] == [
        "បិទនៅម៉ោង 08:00 មិនមែនក្រោយម៉ោងបើក (18:00) ទេ។ បន្ទប់បើក និងបិទក្នុងថ្ងៃតែមួយ។"
    ]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        Room.clean(room)
    assert refused.value.message_dict["closes_at"] == [
        "Closes at 08:00, not after it opens (18:00). Rooms open and close on the same day."
    ]
    with translation.override("km"):
        assert str(Conflict.Severity.ERROR.label) == "កំហុស"
        assert str(Room._meta.verbose_name_plural) == "បន្ទប់"
