"""factory_boy factories for the whole suite, in one place (STYLE 10).

Times are built in the planner's time zone (Asia/Phnom_Penh) from `at(day, "HH:MM")`, where day 0 is
the first day of the default summit (16 Nov 2020).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from asemplanner.choices import Category, Rank
from asemplanner.roles import roles_sync
from delegations.models import Accreditation, Delegation, Partner, Person, Travel
from events.models import Event, Room, Session, TransferTime, Venue
from matchmaking.models import ForumMeeting, ForumRun, ForumSlot, MeetingRequest, MeetingTable, Participant
from protocol.models import BilateralMeeting, BilateralWindow, ProtocolTask, SecurityZone, Team
from reminders.models import Deadline, ReminderRule

PHNOM_PENH = ZoneInfo("Asia/Phnom_Penh")
SUMMIT_START = dt.date(2020, 11, 16)


def at(day: int, hhmm: str) -> dt.datetime:
    """An aware datetime on summit day `day` (0 = 16 Nov 2020) at local time `hhmm`."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(SUMMIT_START + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=PHNOM_PENH)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """UserFactory(roles=["protocol"]) puts the user in those groups and makes them staff."""
        if not create or not extracted:
            return
        if Group.objects.filter(name__in=extracted).count() < len(set(extracted)):
            # The post-migrate step makes the roles (after a transactional test's flush too); a test that
            # deleted them gets them back here.
            roles_sync(Group, Permission)
        self.groups.add(*Group.objects.filter(name__in=extracted))
        if set(extracted) - {"liaison"}:
            self.is_staff = True
        self.save()


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: "P" + "".join(chr(65 + int(d)) for d in f"{n:03d}"))
    name = factory.Sequence(lambda n: f"Partner {n:03d}")
    kind = Partner.Kind.COUNTRY
    region = Partner.Region.EUROPE
    joined_year = 1996


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event
        django_get_or_create = ("acronym",)

    acronym = factory.Sequence(lambda n: f"EV{n}")
    name = factory.LazyAttribute(lambda e: f"Event {e.acronym}")
    kind = Event.Kind.SUMMIT
    start_date = SUMMIT_START
    end_date = SUMMIT_START + dt.timedelta(days=1)


class SideEventFactory(EventFactory):
    kind = Event.Kind.SIDE_EVENT
    parent = factory.SubFactory(EventFactory)


class SecurityZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SecurityZone
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"Z{n}")
    name = factory.LazyAttribute(lambda z: f"Zone {z.code}")
    level = 2


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Venue {n}")
    kind = Venue.Kind.CONFERENCE


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    venue = factory.SubFactory(VenueFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    capacity = 100
    opens_at = dt.time(7, 0)
    closes_at = dt.time(23, 0)


class TransferTimeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TransferTime

    from_venue = factory.SubFactory(VenueFactory)
    to_venue = factory.SubFactory(VenueFactory)
    minutes = 20


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    kind = Session.Kind.MEETING
    room = factory.SubFactory(RoomFactory)
    start = factory.LazyFunction(lambda: at(0, "09:00"))
    end = factory.LazyFunction(lambda: at(0, "10:00"))


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delegation

    partner = factory.SubFactory(PartnerFactory)
    event = factory.SubFactory(EventFactory)
    quota = 12


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    delegation = factory.SubFactory(DelegationFactory)
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    function = "Delegate"
    rank = Rank.SENIOR_OFFICIAL
    category = Category.DELEGATE


class TravelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Travel

    person = factory.SubFactory(PersonFactory)
    arrival_flight = "PG931"
    arrival_at = factory.LazyFunction(lambda: at(-1, "14:00"))
    departure_flight = "PG932"
    departure_at = factory.LazyFunction(lambda: at(2, "10:00"))


class AccreditationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Accreditation

    person = factory.SubFactory(PersonFactory)
    event = factory.LazyAttribute(lambda a: a.person.delegation.event)
    category = Category.DELEGATE


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = Team.Kind.MOTORCADE


class BilateralMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BilateralMeeting

    event = factory.SubFactory(EventFactory)
    requester = factory.SubFactory(DelegationFactory, event=factory.SelfAttribute("..event"))
    counterpart = factory.SubFactory(DelegationFactory, event=factory.SelfAttribute("..event"))
    duration_minutes = 30
    priority = 3


class BilateralWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BilateralWindow

    meeting = factory.SubFactory(BilateralMeetingFactory)
    start = factory.LazyFunction(lambda: at(0, "14:00"))
    end = factory.LazyFunction(lambda: at(0, "16:00"))


class ProtocolTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProtocolTask

    event = factory.SubFactory(EventFactory)
    kind = ProtocolTask.Kind.FLAGS
    title = factory.Sequence(lambda n: f"Task {n}")
    start = factory.LazyFunction(lambda: at(0, "08:00"))
    end = factory.LazyFunction(lambda: at(0, "08:30"))
    venue = factory.SubFactory(VenueFactory)


class DeadlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deadline

    event = factory.SubFactory(EventFactory)
    kind = Deadline.Kind.PASSPORTS
    due_at = factory.LazyFunction(lambda: at(-21, "17:00"))


class ReminderRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    what = ReminderRule.What.DEADLINE_PASSPORTS
    offset_minutes = -7 * 1440
    to_liaisons = True
    subject_template = "{{ offset }}: {{ what }} due {{ when }}"
    body_template = "Dear {{ recipient }}, still missing: {{ missing }}. {{ link }}"


# --- The business forum (matchmaking) -------------------------------------------------------------------------
class ForumSlotFactory(factory.django.DjangoModelFactory):
    """Each slot on its own side event (so slots never overlap), 09:00–09:30 on its first day."""

    class Meta:
        model = ForumSlot

    event = factory.SubFactory(SideEventFactory)
    start = factory.LazyAttribute(lambda s: dt.datetime.combine(s.event.start_date, dt.time(9), tzinfo=PHNOM_PENH))
    end = factory.LazyAttribute(lambda s: s.start + dt.timedelta(minutes=30))


class MeetingTableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingTable

    event = factory.SubFactory(SideEventFactory)
    label = factory.Sequence(lambda n: f"Table {n}")
    room = factory.SubFactory(RoomFactory)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    event = factory.SubFactory(SideEventFactory)
    delegation = factory.SubFactory(DelegationFactory, event=factory.SelfAttribute("..event.parent"))
    organisation = factory.Sequence(lambda n: f"Company {n}")
    name = "Representative"
    sector = "Energy"


class MeetingRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingRequest

    sender = factory.SubFactory(ParticipantFactory)
    receiver = factory.SubFactory(ParticipantFactory, event=factory.SelfAttribute("..sender.event"))
    event = factory.SelfAttribute("sender.event")
    priority = 3


class ForumRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumRun

    event = factory.SubFactory(SideEventFactory)
    status = ForumRun.Status.READY


class ForumMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumMeeting

    request = factory.SubFactory(MeetingRequestFactory)
    event = factory.SelfAttribute("request.event")
    run = factory.SubFactory(ForumRunFactory, event=factory.SelfAttribute("..event"))
    first = factory.SelfAttribute("request.sender")
    second = factory.SelfAttribute("request.receiver")
    table = factory.SubFactory(MeetingTableFactory, event=factory.SelfAttribute("..event"))
    slot = factory.SubFactory(ForumSlotFactory, event=factory.SelfAttribute("..event"))
