"""The world the security suite walks: the seeded ASEM13 summit plus one of everything a URL can name.

`world_build()` seeds the summit (`seed_asem13`), gives people passport numbers and birth dates that appear
nowhere else (the needles a leak check looks for), a photo, a staged member import, device tokens of each
scope, a print and a scan, reminders, conflicts, notifications, an invitation and a scheduling run.

Seeding costs ~20 s (20,000 audited queries), so it happens once per test process: the rows of every table are
then kept in memory (`Snapshot`) and the next module that needs the world puts them back in well under a
second. Each module holds the world in one outer transaction that it rolls back at its end; each test runs in a
savepoint inside it (pytest-django's `db`), so a test that writes leaves nothing for the next one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, SolarSchedule

from asemplanner.domain.notifications import notify_users
from badges.domain.badges import badge_mark_printed, qr_payload
from badges.domain.checkpoint import badge_scan
from badges.domain.tokens import token_create
from delegations.domain.delegations import accreditation_request, person_update
from delegations.domain.liaisons import liaison_invite
from delegations.domain.member_import.staging import member_import_stage
from delegations.domain.photos import person_set_photo
from delegations.models import Accreditation, Delegation, Person
from demo.seed import seed_asem13
from events.domain.outages import outage_create
from events.models import Event, Room
from planning.domain.conflict_checks import conflicts_check_all
from planning.models import Disruption
from protocol.models import BilateralMeeting, BilateralWindow, ProtocolTask, SchedulingRun, SecurityZone
from reminders.domain.subjects import Scope
from reminders.domain.sync import reminders_sync
from tests.delegations.images import jpeg_bytes

BY = "security-suite"

# Sensitive values that appear nowhere else in the data: (partner code, index of the person in the delegation,
# passport number, passport expiry, date of birth). A leak is any of them in a body a role may not see.
SENSITIVE = [
    ("FRA", 0, "QX7781904", dt.date(2032, 4, 17), dt.date(1958, 2, 13)),
    ("FRA", 1, "QX7781925", dt.date(2033, 8, 21), dt.date(1963, 9, 27)),
    ("KHM", 0, "QK5502316", dt.date(2031, 10, 26), dt.date(1952, 4, 19)),
    ("JPN", 0, "QJ9914437", dt.date(2034, 1, 29), dt.date(1957, 5, 23)),
]
# How a date may come out of the site: ISO, Django's English formats, and the usual day/month orders.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y"]


def date_needles(day: dt.date) -> set[str]:
    """The ways a date is written: "1958-02-13", "13 February 1958", "Feb. 13, 1958" (Django's N j, Y), …"""
    from django.utils.dateformat import format as django_format

    shown = {day.strftime(fmt) for fmt in DATE_FORMATS}
    shown |= {django_format(day, fmt) for fmt in ("N j, Y", "j N Y", "F j, Y", "j F Y", "M j, Y", "j M Y")}
    return shown | {text.replace(" 0", " ") for text in shown}  # "13 February" and "3 February", not "03"


@dataclass
class World:
    """Names for the objects the URL table builds URLs from. Everything is a primary key or a string, so a
    module can use it after the world was rolled back and put back (the ids stay the same)."""

    users: dict[str, int]  # username → id: admin, protocol, security, logistics, accreditation, liaison-fra, …
    summit: int
    side_event: int
    delegation_a: int  # France: liaison A's
    delegation_b: int  # Cambodia: liaison B's
    person_a: int  # France's head, with passport data and a photo
    person_b: int
    accreditation_a: int  # France's, approved: a badge
    accreditation_a_requested: int  # France's, waiting: what the portal can withdraw
    badge_number: str
    badge_version: int
    bilateral_a: int  # France with Viet Nam: liaison B has no part in it
    import_a: int
    task: int
    scheduling_run: int
    invitation: int
    tokens: dict[str, str]  # scope → raw token
    token_ids: dict[str, int]
    passports: set[str] = field(default_factory=set)
    birth_dates: set[str] = field(default_factory=set)
    sensitive_people: set[int] = field(default_factory=set)

    @property
    def needles(self) -> set[str]:
        return self.passports | self.birth_dates


def _person(code: str, index: int) -> Person:
    return Person.objects.filter(delegation__partner__code=code, delegation__event__acronym="ASEM13").order_by("pk")[
        index
    ]


def world_build() -> World:
    seed_asem13()
    users = {user.username: user.pk for user in get_user_model().objects.all()}
    summit = Event.objects.get(acronym="ASEM13")
    side = Event.objects.filter(parent=summit).order_by("start_date", "pk").first()
    assert side is not None
    fra = Delegation.objects.get(event=summit, partner__code="FRA")
    khm = Delegation.objects.get(event=summit, partner__code="KHM")

    passports: set[str] = set()
    birth_dates: set[str] = set()
    sensitive_people: set[int] = set()
    for code, index, number, expiry, born in SENSITIVE:
        person = _person(code, index)
        person_update(person=person, by=BY, passport_number=number, passport_expiry=expiry, date_of_birth=born)
        passports.add(number)
        birth_dates |= date_needles(born) | date_needles(expiry)
        sensitive_people.add(person.pk)
    # The seed's own passport numbers (Cambodia's delegation) are needles too.
    passports |= set(Person.objects.exclude(passport_number="").values_list("passport_number", flat=True))

    person_a, person_b = _person("FRA", 0), _person("KHM", 0)
    person_set_photo(person=person_a, upload=SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"), by=BY)
    accreditation_a = (
        Accreditation.objects.filter(person=person_a, event=summit, badge_number__isnull=False).order_by("pk").first()
    )
    assert accreditation_a is not None, "the seed approves the heads' summit accreditations"
    requested = accreditation_request(person=_person("FRA", 1), event=side, category="delegate", by=BY)
    bilateral_a = BilateralMeeting.objects.get(
        event=summit, requester__partner__code="FRA", counterpart__partner__code="VNM"
    )
    BilateralWindow.objects.create(
        meeting=bilateral_a,
        start=dt.datetime.combine(summit.start_date, dt.time(9), tzinfo=timezone.get_current_timezone()),
        end=dt.datetime.combine(summit.start_date, dt.time(12), tzinfo=timezone.get_current_timezone()),
    )
    csv = (
        b"Given name,Family name,Function,Rank,Category,Nationality,Passport number,Date of birth\r\n"
        b"Claire,Dubois,Press officer,Other,Delegate,FRA,QX7781966,1969-11-24\r\n"
    )
    member_import, errors = member_import_stage(
        delegation=fra, file_name="list.csv", data=csv, by=get_user_model().objects.get(username="liaison-fra")
    )
    assert member_import is not None, errors
    passports.add("QX7781966")
    birth_dates |= date_needles(dt.date(1969, 11, 24))

    zone = SecurityZone.objects.get(code="Z3")
    far = timezone.now() + dt.timedelta(days=3650)
    tokens, token_ids = {}, {}
    for scope in ("badges:read", "badges:print", "checkpoint:scan"):
        token, raw = token_create(
            name=f"Suite {scope}",
            event=summit,
            scopes=[scope],
            expires_at=far,
            by=BY,
            zone=zone if scope == "checkpoint:scan" else None,
        )
        tokens[scope], token_ids[scope] = raw, token.pk
    print_token = apps.get_model("badges", "DeviceToken").objects.get(pk=token_ids["badges:print"])
    scan_token = apps.get_model("badges", "DeviceToken").objects.get(pk=token_ids["checkpoint:scan"])
    badge_mark_printed(
        accreditation=accreditation_a,
        token=print_token,
        version=accreditation_a.badge_version,
        printed_at=timezone.now(),
    )
    badge_scan(token=scan_token, payload=qr_payload(accreditation_a.badge_number, accreditation_a.badge_version))
    accreditation_a.refresh_from_db()

    # Planned from two months before the summit, when its reminders were all still to come.
    reminders_sync(
        scope=Scope(all=True),
        now=dt.datetime.combine(summit.start_date, dt.time(8), tzinfo=dt.UTC) - dt.timedelta(days=60),
    )
    conflicts_check_all()
    liaison_fra = get_user_model().objects.get(username="liaison-fra")
    notify_users(users=[liaison_fra], topic="suite:liaison", title="A notice for France's liaison", mail=False)
    notify_users(
        users=get_user_model().objects.filter(is_staff=True),
        topic="suite:staff",
        title="A notice for staff",
        mail=False,
    )
    invitation, _ = liaison_invite(delegation=fra, email="new.liaison@example.fr", by=BY, name="Ms New Liaison")
    run = SchedulingRun.objects.create(event=summit, status=SchedulingRun.Status.READY, proposal=[])
    # A principal's late arrival (issue 15), with the run above as its re-plan: the disruption pages name it.
    Disruption.objects.create(
        event=summit, person=person_b, kind=Disruption.Kind.LATE_ARRIVAL, run=run, summary="arrives later"
    )
    # A room out of service (issue 15) in a year with nothing in the room: its pages show an empty impact.
    outage_create(
        room=Room.objects.order_by("pk").first(),
        start=far,
        end=far + dt.timedelta(hours=3),
        reason="Repairs to the air conditioning",
        by=BY,
    )
    for model, values in (
        (ClockedSchedule, {"clocked_time": far}),
        (SolarSchedule, {"event": "sunrise", "latitude": "11.56", "longitude": "104.92"}),
        (IntervalSchedule, {"every": 7, "period": "days"}),
        (CrontabSchedule, {"minute": "0", "hour": "4"}),
    ):
        if not model.objects.exists():
            model.objects.create(**values)
    task = ProtocolTask.objects.order_by("pk").first()
    assert task is not None

    return World(
        users=users,
        summit=summit.pk,
        side_event=side.pk,
        delegation_a=fra.pk,
        delegation_b=khm.pk,
        person_a=person_a.pk,
        person_b=person_b.pk,
        accreditation_a=accreditation_a.pk,
        accreditation_a_requested=requested.pk,
        badge_number=accreditation_a.badge_number or "",
        badge_version=accreditation_a.badge_version,
        bilateral_a=bilateral_a.pk,
        import_a=member_import.pk,
        task=task.pk,
        scheduling_run=run.pk,
        invitation=invitation.pk,
        tokens=tokens,
        token_ids=token_ids,
        passports=passports,
        birth_dates=birth_dates,
        sensitive_people=sensitive_people,
    )


def _tables() -> list[str]:
    tables = set(connection.introspection.table_names(include_views=False))
    return sorted(table for table in tables if not table.startswith("sqlite_"))


class Snapshot:
    """Every row of every table, read once after `world_build` and written back by `restore`."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        with connection.cursor() as cursor:
            for table in _tables():
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 — our own tables
                columns = [column[0] for column in cursor.description]
                self.rows[table] = (columns, cursor.fetchall())

    def restore(self) -> None:
        """Inside the caller's transaction: empty every table and put the rows back. Foreign keys are checked at
        commit (Django makes them deferrable), and the caller rolls back, so the order does not matter."""
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in self.rows:
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
            for table, (columns, rows) in self.rows.items():
                if not rows:
                    continue
                names = ", ".join(quote(column) for column in columns)
                marks = ", ".join(["%s"] * len(columns))
                if connection.vendor == "sqlite":
                    rows = [tuple(_sqlite_value(value) for value in row) for row in rows]
                cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608


def _sqlite_value(value: Any) -> Any:
    """Back to what SQLite stored: Django's converters read dates and times as objects; it writes them as str()."""
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return str(value)
    return value
