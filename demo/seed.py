"""ASEM13 demo data: the 53 partners, the summit and its side events, Phnom Penh venues, a programme,
a delegation per partner, and demo users for every role.

Idempotent: every row is found by its natural key and only written when it differs, through the same
audited, validated write path as everything else (actor "seed_asem13"). The partners and events are
public facts (demo/data/); people, flights and the programme are invented.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import models, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from asemplanner.choices import Category, Rank
from asemplanner.domain.audit import instance_save
from asemplanner.domain.signin import totp_device_install
from asemplanner.roles import ACCREDITATION, ADMIN, LIAISON, LOGISTICS, PROTOCOL, SECURITY, roles_sync
from delegations.domain.delegations import accreditation_approve
from delegations.models import Accreditation, Delegation, Partner, Person, Travel, ZoneRule
from events.models import Event, Room, Session, TransferTime, Venue
from matchmaking.domain.planning import forum_run_execute, forum_run_publish
from matchmaking.models import ForumMeeting, ForumRun, ForumSlot, MeetingRequest, MeetingTable, Participant
from protocol.models import BilateralMeeting, ProtocolTask, SecurityZone, Team
from reminders.models import Deadline, ReminderRule

BY = "seed_asem13"
DATA = Path(__file__).resolve().parent / "data"
TZ = ZoneInfo("Asia/Phnom_Penh")
SUMMIT = "ASEM13"
HOST = "KHM"

ZONES = [
    ("Z1", "Public and press areas", 1, "#27ae60"),
    ("Z2", "Delegate areas", 2, "#2980b9"),
    ("Z3", "Plenary and meeting halls", 3, "#f39c12"),
    ("Z4", "Bilateral and VIP areas", 4, "#8e44ad"),
    ("Z5", "Leaders only", 5, "#c0392b"),
]
CATEGORY_ZONES = {
    Category.PRINCIPAL: ["Z1", "Z2", "Z3", "Z4", "Z5"],
    Category.DELEGATE: ["Z1", "Z2", "Z3"],
    Category.SECURITY: ["Z1", "Z2", "Z3", "Z4"],
    Category.MEDIA: ["Z1"],
    Category.LIAISON: ["Z1", "Z2"],
    Category.SUPPORT: ["Z1", "Z2"],
    Category.HOST: ["Z1", "Z2", "Z3", "Z4"],
}

# Side events around the summit (first schedule, November 2020).
EVENT_DATES = {
    "ASEM13": ("2020-11-16", "2020-11-17"),
    "AEPF13": ("2020-11-11", "2020-11-13"),
    "AELF": ("2020-11-12", "2020-11-13"),
    "AYLS": ("2020-11-12", "2020-11-15"),
    "ASEMFEST": ("2020-11-12", "2020-11-17"),
    "AEBF": ("2020-11-14", "2020-11-15"),
    "ASEP11": ("2020-11-14", "2020-11-15"),
    "AERT": ("2020-11-15", "2020-11-15"),
}


@dataclass(frozen=True)
class VenueSpec:
    name: str
    short: str
    kind: str
    address: str
    lat: float
    lon: float
    # (name, kind, capacity, opens "HH:MM" or None, closes, zone code or None)
    rooms: list[tuple[str, str, int, str | None, str | None, str | None]] = field(default_factory=list)


VENUES = [
    VenueSpec(
        "Peace Palace",
        "Peace Palace",
        Venue.Kind.PALACE,
        "Russian Federation Blvd, Phnom Penh",
        11.5786,
        104.9166,
        [
            ("Plenary Hall", Room.Kind.PLENARY, 600, "07:00", "22:00", "Z3"),
            ("Leaders' Retreat Room", Room.Kind.MEETING, 80, "07:00", "22:00", "Z5"),
            ("Banquet Hall", Room.Kind.DINING, 700, "07:00", "23:00", "Z3"),
            ("Forecourt", Room.Kind.OUTDOOR, 300, "06:00", "20:00", "Z4"),
            ("Leaders' Lounge", Room.Kind.LOUNGE, 60, "07:00", "22:00", "Z5"),
            ("Bilateral Room 1", Room.Kind.BILATERAL, 14, "07:00", "22:00", "Z4"),
            ("Bilateral Room 2", Room.Kind.BILATERAL, 14, "07:00", "22:00", "Z4"),
            ("Bilateral Room 3", Room.Kind.BILATERAL, 14, "07:00", "22:00", "Z4"),
            ("Bilateral Room 4", Room.Kind.BILATERAL, 14, "07:00", "22:00", "Z4"),
            ("International Media Centre", Room.Kind.PRESS, 450, "06:00", "23:59", "Z1"),
        ],
    ),
    VenueSpec(
        "Sokha Phnom Penh Hotel & Residence",
        "Sokha",
        Venue.Kind.HOTEL,
        "Keo Chenda St, Chroy Changvar",
        11.5810,
        104.9345,
        [
            ("Grand Ballroom", Room.Kind.DINING, 1200, "07:00", "23:59", "Z3"),
            ("Bilateral Suite A", Room.Kind.BILATERAL, 12, "07:00", "22:00", "Z4"),
            ("Bilateral Suite B", Room.Kind.BILATERAL, 12, "07:00", "22:00", "Z4"),
            ("Bilateral Suite C", Room.Kind.BILATERAL, 12, "07:00", "22:00", "Z4"),
            ("Bilateral Suite D", Room.Kind.BILATERAL, 12, "07:00", "22:00", "Z4"),
            ("Mekong Room", Room.Kind.MEETING, 250, "07:00", "22:00", "Z2"),
        ],
    ),
    VenueSpec(
        "Diamond Island Convention and Exhibition Center",
        "Koh Pich Convention Center",
        Venue.Kind.CONFERENCE,
        "Koh Pich (Diamond Island), Phnom Penh",
        11.5470,
        104.9390,
        [
            ("Hall A", Room.Kind.PLENARY, 3000, "07:00", "22:00", "Z2"),
            ("Hall B", Room.Kind.PLENARY, 1500, "07:00", "22:00", "Z2"),
            ("Meeting Room 1", Room.Kind.MEETING, 150, "07:00", "22:00", "Z2"),
            ("Meeting Room 2", Room.Kind.MEETING, 150, "07:00", "22:00", "Z2"),
            ("Meeting Room 3", Room.Kind.MEETING, 120, "07:00", "22:00", "Z2"),
            ("Meeting Room 4", Room.Kind.MEETING, 120, "07:00", "22:00", "Z2"),
        ],
    ),
    VenueSpec(
        "Chaktomuk Conference Hall",
        "Chaktomuk Hall",
        Venue.Kind.CULTURAL,
        "Sisowath Quay, Phnom Penh",
        11.5646,
        104.9317,
        [("Main Hall", Room.Kind.PLENARY, 500, "08:00", "22:00", "Z2")],
    ),
    VenueSpec(
        "Wat Botum Park",
        "Wat Botum Park",
        Venue.Kind.CULTURAL,
        "Sothearos Blvd, Phnom Penh",
        11.5607,
        104.9316,
        [("Open-Air Stage", Room.Kind.OUTDOOR, 5000, "15:00", "23:00", "Z1")],
    ),
    VenueSpec(
        "Royal University of Phnom Penh",
        "RUPP",
        Venue.Kind.CONFERENCE,
        "Russian Federation Blvd, Phnom Penh",
        11.5690,
        104.8900,
        [
            ("Conference Hall", Room.Kind.PLENARY, 800, "07:00", "21:00", "Z2"),
            ("Seminar Room", Room.Kind.MEETING, 120, "07:00", "21:00", "Z2"),
        ],
    ),
    VenueSpec(
        "Phnom Penh International Airport",
        "PNH airport",
        Venue.Kind.AIRPORT,
        "Russian Federation Blvd, Pou Senchey",
        11.5466,
        104.8441,
        [("VIP Terminal", Room.Kind.LOUNGE, 80, None, None, "Z4")],
    ),
    VenueSpec(
        "Raffles Hotel Le Royal",
        "Raffles Le Royal",
        Venue.Kind.HOTEL,
        "Street 92, Daun Penh",
        11.5766,
        104.9177,
        [("Conference Room", Room.Kind.MEETING, 60, "07:00", "22:00", "Z2")],
    ),
    VenueSpec(
        "Hyatt Regency Phnom Penh",
        "Hyatt Regency",
        Venue.Kind.HOTEL,
        "Street 178, Daun Penh",
        11.5684,
        104.9262,
        [("Ballroom", Room.Kind.MEETING, 300, "07:00", "23:00", "Z2")],
    ),
    VenueSpec(
        "Rosewood Phnom Penh",
        "Rosewood",
        Venue.Kind.HOTEL,
        "Vattanac Capital Tower, Monivong Blvd",
        11.5722,
        104.9200,
        [("Salon", Room.Kind.MEETING, 80, "07:00", "22:00", "Z2")],
    ),
    VenueSpec(
        "NagaWorld Hotel",
        "NagaWorld",
        Venue.Kind.HOTEL,
        "Samdech Techo Hun Sen Park, Phnom Penh",
        11.5506,
        104.9351,
        [("Naga Ballroom", Room.Kind.MEETING, 600, "07:00", "23:59", "Z2")],
    ),
]
LATE_ARRIVAL = "NZL"
# Heads whose names are written in another script as well (fictional people): the Latin name as in the passport
# (ICAO 9303) and the name in their own script, for badges and the seating plan in every script.
NATIVE_HEADS: dict[str, tuple[str, str, str]] = {
    "KHM": ("Sokha", "Chea", "ជា សុខា"),
    "CHN": ("Wei", "Zhang", "张伟"),
    "JPN": ("Haruto", "Sato", "佐藤 陽翔"),
    "KOR": ("Min-jun", "Kim", "김민준"),
    "THA": ("Somchai", "Srisuk", "สมชาย ศรีสุข"),
    "VNM": ("Van Minh", "Nguyen", "Nguyễn Văn Minh"),
    "MNG": ("Bat-Erdene", "Batbayar", "Батбаярын Бат-Эрдэнэ"),
    "LAO": ("Souphanh", "Keomixay", "ສຸພັນ ແກ້ວມີໄຊ"),
    "MMR": ("Aung", "Min", "အောင်မင်း"),
    "RUS": ("Ivan", "Petrov", "Иван Петров"),
    "GRC": ("Nikos", "Papadopoulos", "Νίκος Παπαδόπουλος"),
    "BGD": ("Rahim", "Ahmed", "রহিম আহমেদ"),
    "IND": ("Arjun", "Sharma", "अर्जुन शर्मा"),
    "KAZ": ("Bolat", "Suleimenov", "Болат Сулейменов"),
}
# What `check_conflicts` should find in the demo data, on purpose (the rest of the programme is clean):
DELIBERATE_CLASHES = {
    "transfer_too_short": 2,  # KHM and JPN heads: Peace Palace plenary ends 17:30, Sokha bilateral at 17:35
    "head_double_booked": 2,  # DEU and CHN heads: bilateral 18:45–19:15 overlaps the gala dinner from 19:00
    "room_double_booked": 1,  # Peace Palace Bilateral Room 2: SGP–THA inside the senior officials' debrief
    "before_arrival": 5,  # NZL lands 10:00 on day 1: its head misses 3 sessions, its minister 2
    "team_double_booked": 1,  # "Venue security" sweeps two venues at once
    "over_capacity": 1,  # the Editors' Roundtable expects 350 in a 300-seat ballroom
}
HOTELS = ["Sokha", "Raffles Le Royal", "Hyatt Regency", "Rosewood", "NagaWorld"]


def transfer_minutes(a: VenueSpec, b: VenueSpec) -> int:
    """Motorcade minutes between two venues: straight-line distance at a closed-road 30 km/h, plus
    5 minutes to board and alight, rounded up to 5 minutes. Good enough for demo data."""
    dlat = math.radians(b.lat - a.lat)
    dlon = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    km = 6371 * math.hypot(dlat, dlon) * 1.3  # roads are not straight
    minutes = 5 + km / 30 * 60
    return int(5 * math.ceil(minutes / 5))


# The demo programme lives in data/asem13_programme.csv: event, day (0 = the event's first day), local
# start and end, venue short name, room, kind, title, audience ("category:<c>" for one category), and
# expected attendance.

PRESIDENTS = {"FRA", "IDN", "PHL", "KOR", "RUS", "MNG", "KAZ", "CYP", "LTU", "ROU", "BGR", "HRV"}
FUNCTION_BY_PARTNER = {
    "DEU": "Federal Chancellor",
    "AUT": "Federal Chancellor",
    "CHN": "Premier of the State Council",
    "CHE": "President of the Swiss Confederation",
    "BRN": "Sultan and Prime Minister",
    "EU": "President of the European Council",
    "ASEAN": "Secretary-General of ASEAN",
}
MINISTER_LED = {"IRL", "PRT", "NZL", "NOR", "MLT"}
GIVEN = [
    "Anna",
    "Marc",
    "Sofia",
    "Jonas",
    "Elena",
    "Pieter",
    "Marta",
    "Luca",
    "Ingrid",
    "Tomas",
    "Mei",
    "Arjun",
    "Sok",
    "Hiroshi",
    "Nur",
    "Min-jun",
    "Thanh",
    "Ayesha",
    "Bolat",
    "Dara",
    "Olga",
    "Kai",
    "Lina",
    "Rahim",
]
FAMILY = [
    "Varga",
    "Novak",
    "Lindqvist",
    "Moreau",
    "Keller",
    "Rossi",
    "Jansen",
    "Costa",
    "Nielsen",
    "Horvat",
    "Tanaka",
    "Wijaya",
    "Chen",
    "Sharma",
    "Nguyen",
    "Kim",
    "Rahman",
    "Santos",
    "Petrov",
    "Chan",
    "Suleimenov",
    "Ahmed",
    "Sopheak",
    "Dorj",
    "Walsh",
    "Berg",
    "Lim",
    "Tan",
    "Silva",
    "Weber",
]


def head_rank_and_function(partner: Partner) -> tuple[int, str, str]:
    """(rank, function, honorific) of a plausible head of delegation for this partner."""
    if partner.code == "EU":
        return Rank.OTHER, FUNCTION_BY_PARTNER["EU"], "H.E."
    if partner.code == "ASEAN":
        return Rank.SENIOR_OFFICIAL, FUNCTION_BY_PARTNER["ASEAN"], "H.E."
    if partner.code in MINISTER_LED:
        return Rank.MINISTER, "Minister of Foreign Affairs", "H.E."
    if partner.code in PRESIDENTS or partner.code in {"CHE", "BRN"}:
        return Rank.HEAD_OF_STATE, FUNCTION_BY_PARTNER.get(partner.code, "President"), "H.E."
    return Rank.HEAD_OF_GOVERNMENT, FUNCTION_BY_PARTNER.get(partner.code, "Prime Minister"), "H.E."


DEMO_USERS = [
    # username, role, delegation partner codes (liaisons), password
    ("admin", ADMIN, [], "asem13-admin-demo"),
    ("protocol", PROTOCOL, [], "asem13-protocol-demo"),
    ("security", SECURITY, [], "asem13-security-demo"),
    ("logistics", LOGISTICS, [], "asem13-logistics-demo"),
    ("accreditation", ACCREDITATION, [], "asem13-accreditation-demo"),
    ("liaison-fra", LIAISON, ["FRA"], "asem13-liaison-demo"),
    ("liaison-khm", LIAISON, ["KHM"], "asem13-liaison-demo"),
]


# Every demo staff user's authenticator secret: RFC 6238's test key ("12345678901234567890"), base32
# GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ. DEMO ONLY: anyone can compute its codes (`python3 dev.py totp admin`).
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"


def demo_totp_secret() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


def demo_totp_uri(username: str) -> str:
    return f"otpauth://totp/ASEM13%20Planner:{username}?secret={demo_totp_secret()}&issuer=ASEM13%20Planner&digits=6"


@dataclass
class SeedReport:
    written: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    users: list[tuple[str, str, str]] = field(default_factory=list)
    # username → base32 authenticator secret, for the demo staff users (the second factor staff must pass).
    second_factors: dict[str, str] = field(default_factory=dict)

    def note(self, model: type[models.Model], wrote: bool) -> None:
        (self.written if wrote else self.unchanged)[model._meta.verbose_name_plural] += 1


class Seeder:
    def __init__(self) -> None:
        self.report = SeedReport()

    def upsert(self, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any], m2m=None):
        """Find by natural key; create or bring up to date through the audited path; note what happened."""
        instance = model._default_manager.filter(**lookup).first() or model(**lookup)
        if instance.pk is not None and _matches(instance, values, m2m or {}):
            self.report.note(model, False)
            return instance
        for name, value in values.items():
            setattr(instance, name, value)
        entry = instance_save(instance=instance, by=BY, m2m=m2m)
        self.report.note(model, entry is not None)
        return instance

    def run(self) -> SeedReport:
        roles_sync(Group, Permission)
        self.zones = {
            code: self.upsert(SecurityZone, {"code": code}, {"name": name, "level": level, "colour": colour})
            for code, name, level, colour in ZONES
        }
        for category, codes in CATEGORY_ZONES.items():  # the map staff edit; approval applies it
            zones = [self.zones[code] for code in codes]
            self.upsert(ZoneRule, {"event": None, "category": category}, {}, m2m={"zones": zones})
        self.partners = self.seed_partners()
        self.events = self.seed_events()
        self.venues, self.rooms = self.seed_venues()
        self.seed_transfers()
        self.seed_programme()
        self.teams = self.seed_teams()
        self.delegations = self.seed_delegations()
        self.seed_bilaterals()
        self.seed_tasks()
        self.seed_users()
        self.seed_reminders()
        self.seed_forum()
        return self.report

    def seed_partners(self) -> dict[str, Partner]:
        partners = {}
        # The partners' names in French and Khmer, for the order of precedence in those languages.
        with (DATA / "asem_partner_names.csv").open(newline="", encoding="utf-8") as f:
            names = {row["code"]: row for row in csv.DictReader(f)}
        with (DATA / "asem_partners.csv").open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                partners[row["code"]] = self.upsert(
                    Partner,
                    {"code": row["code"]},
                    {
                        "name": row["name"],
                        "kind": row["kind"],
                        "region": row["region"],
                        "joined_year": int(row["joined_year"]),
                        "joined_at_summit": row["joined_at_summit"],
                        "name_fr": names.get(row["code"], {}).get("name_fr", ""),
                        "name_km": names.get(row["code"], {}).get("name_km", ""),
                    },
                )
        return partners

    def seed_events(self) -> dict[str, Event]:
        with (DATA / "asem13_events.csv").open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        events: dict[str, Event] = {}
        for row in sorted(rows, key=lambda r: r["kind"] != "summit"):
            start, end = (dt.date.fromisoformat(d) for d in EVENT_DATES[row["acronym"]])
            is_summit = row["kind"] == "summit"
            events[row["acronym"]] = self.upsert(
                Event,
                {"acronym": row["acronym"]},
                {
                    "name": row["name"],
                    "kind": Event.Kind.SUMMIT if is_summit else Event.Kind.SIDE_EVENT,
                    "parent": None if is_summit else events[SUMMIT],
                    "theme": "Strengthening Multilateralism for Shared Growth" if is_summit else "",
                    "host": self.partners[HOST],
                    "start_date": start,
                    "end_date": end,
                    "notes": row["notes"],
                },
            )
        return events

    def seed_venues(self) -> tuple[dict[str, Venue], dict[tuple[str, str], Room]]:
        venues, rooms = {}, {}
        for spec in VENUES:
            venue = self.upsert(
                Venue,
                {"name": spec.name},
                {
                    "short_name": spec.short,
                    "kind": spec.kind,
                    "address": spec.address,
                    "latitude": Decimal(f"{spec.lat:.6f}"),
                    "longitude": Decimal(f"{spec.lon:.6f}"),
                },
            )
            venues[spec.short] = venue
            for name, kind, capacity, opens, closes, zone in spec.rooms:
                rooms[(spec.short, name)] = self.upsert(
                    Room,
                    {"venue": venue, "name": name},
                    {
                        "kind": kind,
                        "capacity": capacity,
                        "opens_at": dt.time.fromisoformat(opens) if opens else None,
                        "closes_at": dt.time.fromisoformat(closes) if closes else None,
                        "zone": self.zones[zone] if zone else None,
                    },
                )
        return venues, rooms

    def seed_transfers(self) -> None:
        for a in VENUES:
            for b in VENUES:
                if a is not b:
                    self.upsert(
                        TransferTime,
                        {"from_venue": self.venues[a.short], "to_venue": self.venues[b.short]},
                        {"minutes": transfer_minutes(a, b)},
                    )

    def seed_programme(self) -> None:
        with (DATA / "asem13_programme.csv").open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            event = self.events[row["event"]]
            date = event.start_date + dt.timedelta(days=int(row["day"]))
            audience, start, end = row["audience"], row["start"], row["end"]
            category = ""
            if audience.startswith("category:"):
                audience, category = "category", audience.split(":", 1)[1]
            self.upsert(
                Session,
                {"event": event, "title": row["title"]},
                {
                    "kind": row["kind"],
                    "room": self.rooms[(row["venue"], row["room"])],
                    "start": dt.datetime.combine(date, dt.time.fromisoformat(start), tzinfo=TZ),
                    "end": dt.datetime.combine(date, dt.time.fromisoformat(end), tzinfo=TZ),
                    "audience": audience,
                    "audience_category": category,
                    "expected_attendance": int(row["expected_attendance"]),
                },
            )

    def seed_teams(self) -> dict[str, Team]:
        specs = [
            ("Airport reception A", Team.Kind.RECEPTION),
            ("Airport reception B", Team.Kind.RECEPTION),
            ("Motorcade unit 1", Team.Kind.MOTORCADE),
            ("Motorcade unit 2", Team.Kind.MOTORCADE),
            ("Motorcade unit 3", Team.Kind.MOTORCADE),
            ("Flags and protocol", Team.Kind.PROTOCOL),
            ("Interpretation", Team.Kind.INTERPRETATION),
            ("Room setup", Team.Kind.LOGISTICS),
            ("Venue security", Team.Kind.SECURITY),
        ]
        return {name: self.upsert(Team, {"name": name}, {"kind": kind}) for name, kind in specs}

    def seed_delegations(self) -> dict[str, Delegation]:
        summit = self.events[SUMMIT]
        airport = self.venues["PNH airport"]
        delegations = {}
        for index, (code, partner) in enumerate(sorted(self.partners.items())):
            delegation = self.upsert(
                Delegation,
                {"partner": partner, "event": summit},
                {"quota": 12, "status": Delegation.Status.CONFIRMED},
            )
            rank, function, honorific = head_rank_and_function(partner)
            nationality = code if len(code) == 3 else ""
            members = [
                (Category.PRINCIPAL, rank, function, honorific),
                (Category.DELEGATE, Rank.MINISTER, "Minister of Foreign Affairs", "H.E."),
                (Category.DELEGATE, Rank.SENIOR_OFFICIAL, "ASEM Senior Official", "Mr" if index % 2 else "Ms"),
                (Category.SECURITY, Rank.OTHER, "Head of close protection", ""),
            ]
            if rank == Rank.MINISTER:
                members[1] = (Category.DELEGATE, Rank.SENIOR_OFFICIAL, "Ambassador to Cambodia", "H.E.")
            people = []
            for position, (category, member_rank, member_function, member_honorific) in enumerate(members):
                given = GIVEN[(index * 7 + position * 5) % len(GIVEN)]
                family = FAMILY[(index * 3 + position * 11) % len(FAMILY)]
                native = ""
                if position == 0 and code in NATIVE_HEADS:
                    given, family, native = NATIVE_HEADS[code]
                people.append(
                    self.upsert(
                        Person,
                        {"delegation": delegation, "function": member_function, "category": category},
                        {
                            "honorific": member_honorific,
                            "given_name": given,
                            "family_name": family,
                            "native_name": native,
                            "rank": member_rank,
                            "nationality": nationality,
                            "email": f"{given}.{family}@{code.lower()}.asem13.example".lower().replace(" ", ""),
                        },
                    )
                )
            head = people[0]
            if delegation.head_id != head.pk:
                delegation.head = head
                self.upsert(Delegation, {"pk": delegation.pk}, {"head": head})
            # Leaders fly in the day before the summit, spread over the day, and leave the day after.
            arrival = dt.datetime.combine(summit.start_date - dt.timedelta(days=1), dt.time(8, 0), tzinfo=TZ)
            arrival += dt.timedelta(minutes=20 * index)
            if code == LATE_ARRIVAL:  # a deliberate clash: lands after the summit has begun
                arrival = dt.datetime.combine(summit.start_date, dt.time(10, 0), tzinfo=TZ)
            for person in people[:2]:
                self.upsert(
                    Travel,
                    {"person": person},
                    {
                        "arrival_flight": f"{code[:2]}{100 + index}",
                        "arrival_at": arrival,
                        "arrival_airport": airport,
                        "departure_flight": f"{code[:2]}{200 + index}",
                        "departure_at": dt.datetime.combine(summit.end_date, dt.time(15, 0), tzinfo=TZ)
                        + dt.timedelta(minutes=15 * index),
                        "departure_airport": airport,
                        "hotel": self.venues[HOTELS[index % len(HOTELS)]],
                    },
                )
            for position, person in enumerate(people):
                accreditation = self.upsert(
                    Accreditation,
                    {"person": person, "event": summit},
                    {"category": person.category},
                )  # zones: approval grants the zone rule's (ZoneRule, seeded from CATEGORY_ZONES)
                # Most are approved; every fourth delegation's security officer still waits, for the demo.
                waiting = position == 3 and index % 4 == 0
                if accreditation.status == Accreditation.Status.REQUESTED and not waiting:
                    accreditation_approve(accreditation=accreditation, by=BY)
            delegations[code] = delegation
        return delegations

    def seed_bilaterals(self) -> None:
        summit = self.events[SUMMIT]
        d = self.delegations

        def at(hhmm: str) -> dt.datetime:
            return dt.datetime.combine(summit.start_date, dt.time.fromisoformat(hhmm), tzinfo=TZ)

        sokha_a, sokha_b = self.rooms[("Sokha", "Bilateral Suite A")], self.rooms[("Sokha", "Bilateral Suite B")]
        palace_2 = self.rooms[("Peace Palace", "Bilateral Room 2")]
        scheduled, accepted, requested = (
            BilateralMeeting.Status.SCHEDULED,
            BilateralMeeting.Status.ACCEPTED,
            BilateralMeeting.Status.REQUESTED,
        )
        # Deliberate clashes for the demo (see DELIBERATE_CLASHES): KHM–JPN starts 5 minutes after the second
        # plenary ends across the river; DEU–CHN runs into the gala dinner; SGP–THA shares a room with the
        # senior officials' debrief.
        specs = [
            ("KHM", "JPN", 5, "Infrastructure and connectivity", scheduled, sokha_a, at("17:35")),
            ("DEU", "CHN", 5, "Trade relations", scheduled, sokha_b, at("18:45")),
            ("SGP", "THA", 3, "Digital economy", scheduled, palace_2, at("18:15")),
            ("KHM", "FRA", 4, "Culture and heritage cooperation", accepted, None, None),
            ("AUS", "IDN", 4, "Maritime cooperation", accepted, None, None),
            ("FRA", "VNM", 3, "Trade and climate", requested, None, None),
            ("EU", "ASEAN", 4, "EU-ASEAN strategic partnership", requested, None, None),
        ]
        for requester, counterpart, priority, subject, status, room, start in specs:
            values: dict[str, Any] = {
                "priority": priority,
                "subject": subject,
                "status": status,
                "duration_minutes": 30,
            }
            if start:
                values |= {"room": room, "start": start, "end": start + dt.timedelta(minutes=30)}
            self.upsert(
                BilateralMeeting,
                {"event": summit, "requester": d[requester], "counterpart": d[counterpart]},
                values,
            )

    def seed_tasks(self) -> None:
        summit = self.events[SUMMIT]
        airport = self.venues["PNH airport"]
        teams = self.teams
        for index, code in enumerate(["KHM", "JPN", "FRA", "CHN", "DEU", "IND"]):
            delegation = self.delegations[code]
            head = delegation.head
            travel = Travel.objects.get(person=head)
            hotel, arrival = travel.hotel, travel.arrival_at
            if arrival is None:
                raise ValueError(f"The seeded travel of {head} has no arrival time; seed_delegations gives each one.")
            self.upsert(
                ProtocolTask,
                {"source_key": f"seed:reception:{code}"},
                {
                    "event": summit,
                    "kind": ProtocolTask.Kind.AIRPORT_RECEPTION,
                    "title": f"Airport reception: {head} ({delegation.partner})",
                    "start": arrival - dt.timedelta(minutes=30),
                    "end": arrival + dt.timedelta(minutes=30),
                    "venue": airport,
                    # India's reception is left unassigned on purpose: it shows under "needs attention".
                    "team": None if code == "IND" else teams[f"Airport reception {'AB'[index % 2]}"],
                    "person": head,
                    "delegation": delegation,
                },
            )
            if code == "IND":
                continue
            self.upsert(
                ProtocolTask,
                {"source_key": f"seed:motorcade:{code}"},
                {
                    "event": summit,
                    "kind": ProtocolTask.Kind.MOTORCADE,
                    "title": f"Motorcade airport → {hotel}: {delegation.partner}",
                    "start": arrival + dt.timedelta(minutes=30),
                    "end": arrival
                    + dt.timedelta(minutes=30 + TransferTime.objects.get(from_venue=airport, to_venue=hotel).minutes),
                    "venue": airport,
                    "destination": hotel,
                    "team": teams[f"Motorcade unit {index % 3 + 1}"],
                    "vehicle": f"M{index + 1:02d}",
                    "person": head,
                    "delegation": delegation,
                },
            )
        for key, venue, start, end in [
            ("sweep:ballroom", "Sokha", "18:00", "19:00"),
            ("sweep:plenary", "Peace Palace", "18:30", "19:00"),  # same team, overlapping: a deliberate clash
        ]:
            self.upsert(
                ProtocolTask,
                {"source_key": f"seed:{key}"},
                {
                    "event": summit,
                    "kind": ProtocolTask.Kind.SECURITY_SWEEP,
                    "title": f"Security sweep: {venue}",
                    "start": dt.datetime.combine(summit.start_date, dt.time.fromisoformat(start), tzinfo=TZ),
                    "end": dt.datetime.combine(summit.start_date, dt.time.fromisoformat(end), tzinfo=TZ),
                    "venue": self.venues[venue],
                    "team": teams["Venue security"],
                },
            )
        self.upsert(
            ProtocolTask,
            {"source_key": "seed:flags:plenary"},
            {
                "event": summit,
                "kind": ProtocolTask.Kind.FLAGS,
                "title": "Flags of the 53 partners in the Plenary Hall",
                "start": dt.datetime.combine(summit.start_date, dt.time(6, 0), tzinfo=TZ),
                "end": dt.datetime.combine(summit.start_date, dt.time(7, 30), tzinfo=TZ),
                "venue": self.venues["Peace Palace"],
                "team": teams["Flags and protocol"],
            },
        )

    def seed_users(self) -> None:
        User = get_user_model()
        for username, role, partner_codes, password in DEMO_USERS:
            user = User.objects.filter(username=username).first() or User(username=username)
            if not user.check_password(password):
                user.set_password(password)  # the hash is masked in the audit trail
            self.upsert(
                User,
                {"username": username},
                {
                    "email": f"{username}@asem13.example",
                    "first_name": role.capitalize(),
                    "is_staff": role != LIAISON,
                    "is_superuser": False,
                    "is_active": True,
                    "password": user.password,
                },
                m2m={"groups": [Group.objects.get(name=role)]},
            )
            user = User.objects.get(username=username)
            for code in partner_codes:
                delegation = self.delegations[code]
                liaisons = {*delegation.liaisons.all(), user}
                self.upsert(Delegation, {"pk": delegation.pk}, {}, m2m={"liaisons": liaisons})
            self.report.users.append((username, password, role))
            if role != LIAISON:
                self.report.note(TOTPDevice, totp_device_install(user=user, key_hex=DEMO_TOTP_KEY_HEX, by=BY))
                self.report.second_factors[username] = demo_totp_secret()

    def seed_forum(self) -> None:
        event = self.events[FORUM]
        for day, first, count in FORUM_SLOTS:
            start = dt.datetime.combine(
                event.start_date + dt.timedelta(days=day), dt.time.fromisoformat(first), tzinfo=TZ
            )
            for n in range(count):
                begins = start + dt.timedelta(minutes=30 * n)
                self.upsert(ForumSlot, {"event": event, "start": begins}, {"end": begins + dt.timedelta(minutes=30)})
        for n in range(1, FORUM_TABLES + 1):
            self.upsert(MeetingTable, {"event": event, "label": f"Table {n}"}, {"active": True})
        participants: list[Participant] = []
        with (DATA / "aebf_participants.csv").open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                participants.append(
                    self.upsert(
                        Participant,
                        {"event": event, "organisation": row["organisation"], "name": row["name"]},
                        {
                            "delegation": self.delegations[row["partner"]],
                            "kind": row["kind"],
                            "sector": row["sector"],
                            "profile": row["profile"],
                            "email": f"contact{len(participants) + 1}@aebf.example",
                        },
                    )
                )
        # Saigon Coffee Roasters cannot meet on the first afternoon.
        coffee = next(p for p in participants if p.organisation == "Saigon Coffee Roasters")
        first_day = ForumSlot.objects.filter(event=event, start__date=event.start_date)
        self.upsert(Participant, {"pk": coffee.pk}, {}, m2m={"unavailable": list(first_day)})
        for i, j, priority, status in _forum_requests(len(participants)):
            self.upsert(
                MeetingRequest,
                {"sender": participants[i], "receiver": participants[j]},
                {"event": event, "priority": priority, "status": status},
            )
        if not ForumMeeting.objects.filter(event=event, status=ForumMeeting.Status.PUBLISHED).exists():
            # Plan and publish once, so the liaisons' agendas show at once; staff re-plan from the forum page.
            run = ForumRun(event=event)
            instance_save(instance=run, by=BY, action="matchmaking.run.started")
            planned = forum_run_execute(run.pk)
            if planned is not None and planned.status == ForumRun.Status.READY:
                forum_run_publish(run=planned, by=BY)
            self.report.note(ForumRun, True)

    def seed_reminders(self) -> None:
        summit = self.events[SUMMIT]
        for kind, days in DEADLINES:
            due = dt.datetime.combine(summit.start_date - dt.timedelta(days=days), dt.time(17, 0), tzinfo=TZ)
            self.upsert(Deadline, {"event": summit, "kind": kind}, {"due_at": due})
        for name, what, offset, role, assignee, liaisons in RULES:
            starts = what in {"bilateral", "protocol_task", "session"}
            self.upsert(
                ReminderRule,
                {"name": name},
                {
                    "what": what,
                    "offset_minutes": offset,
                    "to_role": role,
                    "to_assignee": assignee,
                    "to_liaisons": liaisons,
                    "subject_template": START_SUBJECT if starts else LIAISON_SUBJECT,
                    "body_template": START_BODY if starts else LIAISON_BODY,
                },
            )
        # The host's liaison has entered passport data for the whole delegation (demo values), so only
        # France's liaison gets the passport reminders.
        for number, person in enumerate(Person.objects.filter(delegation=self.delegations[HOST]).order_by("pk")):
            self.upsert(
                Person,
                {"pk": person.pk},
                {"passport_number": f"DEMO{number:05d}", "passport_expiry": dt.date(2030, 12, 31)},
            )


# Deadlines for the summit, in days before its first day at 17:00, and the reminder rules that go with them.
DEADLINES = [
    (Deadline.Kind.MEMBERS, 45),
    (Deadline.Kind.PHOTOS, 30),
    (Deadline.Kind.PASSPORTS, 21),
    (Deadline.Kind.TRAVEL, 14),
    (Deadline.Kind.HOTEL, 14),
    (Deadline.Kind.ACCREDITATIONS, 5),
]
LIAISON_SUBJECT = "ASEM13 reminder: {{ what }} due {{ when }}"
LIAISON_BODY = """Dear {{ recipient }},

{{ what }} is due on {{ when }} ({{ offset }}). Still missing: {{ missing }}.

Please complete it on your delegation page: {{ link }}

ASEM13 National Organising Committee"""
START_SUBJECT = "{{ offset }}: {{ what }} starts {{ when }}"
START_BODY = """Dear {{ recipient }},

{{ what }} starts on {{ when }}.

Details: {{ link }}"""
# name, what, offset (minutes; negative = before), role, assignee, liaisons
RULES = [
    ("Liaisons: member list, D-7", "deadline_members", -7 * 1440, "", False, True),
    ("Liaisons: photos, D-7", "deadline_photos", -7 * 1440, "", False, True),
    ("Liaisons: passport data, D-21", "deadline_passports", -21 * 1440, "", False, True),
    ("Liaisons: passport data, D-7", "deadline_passports", -7 * 1440, "", False, True),
    ("Liaisons: passport data overdue, D+2", "deadline_passports", 2 * 1440, "", False, True),
    ("Liaisons: travel, D-7", "deadline_travel", -7 * 1440, "", False, True),
    ("Liaisons: hotel, D-7", "deadline_hotel", -7 * 1440, "", False, True),
    ("Accreditation office: approvals, D-3", "deadline_accreditations", -3 * 1440, ACCREDITATION, False, False),
    ("Bilaterals: T-24h", "bilateral", -24 * 60, "", True, True),
    ("Bilaterals: T-1h", "bilateral", -60, "", True, True),
    ("Protocol tasks: T-24h", "protocol_task", -24 * 60, "", True, False),
    ("Protocol tasks: T-1h", "protocol_task", -60, "", True, False),
    ("Room setup: sessions, T-2h", "session", -120, LOGISTICS, False, False),
]


# The business forum's one-to-one meetings (issue 17): slots on both days around its programme, tables in the
# Sokha's Mekong Room foyer, participants of several partners (demo/data/aebf_participants.csv) and requests.
FORUM = "AEBF"
FORUM_SLOTS = ((0, "16:00", 4), (1, "11:00", 6))  # (day of the forum, first start, 30-minute slots)
FORUM_TABLES = 6


def _forum_requests(count: int) -> list[tuple[int, int, int, str]]:
    """A fixed pattern of (sender, receiver, priority, status) over `count` participants: each asks to meet the
    ones 1, 3 and 7 places on, every third is accepted, and a few pairs asked each other."""
    requests = []
    for i in range(count):
        for step, priority in ((1, 5), (3, 3), (7, 2)):
            j = (i + step) % count
            status = "accepted" if (i + step) % 3 == 0 else "requested"
            requests.append((i, j, priority, status))
    return requests


def _matches(instance: models.Model, values: dict[str, Any], m2m: dict[str, Any]) -> bool:
    """True when the stored row already has these values: the seed then writes nothing."""
    if any(getattr(instance, name) != value for name, value in values.items()):
        return False
    return all(
        {obj.pk for obj in getattr(instance, name).all()} == {obj.pk for obj in objs} for name, objs in m2m.items()
    )


@transaction.atomic
def seed_asem13() -> SeedReport:
    """Load or refresh the demo data; all or nothing."""
    return Seeder().run()
