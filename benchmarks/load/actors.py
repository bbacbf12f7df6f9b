"""The load test's actors, made in the planner's database (the one DATABASE_URL names) by its own write functions.

    DATABASE_URL=postgres://... SECRET_KEY=<the server's> .venv/bin/python benchmarks/load/actors.py \\
        --out actors.json [--stations 50 --checkpoints 20 --liaisons 100 --staff 10]

Writes one JSON file for the locustfile (benchmarks/load/locustfile.py), which does not import Django:

- `stations`: print-station device tokens of the summit (badges:read, badges:print), secrets as shown once;
- `checkpoints`: checkpoint tokens (checkpoint:scan), each bound to one of the summit's zones, round robin;
- `qr`: the signed QR payloads of the summit's badges as they are now (signed with this process's SECRET_KEY,
  so it must be the server's: otherwise every scan is judged `forged` and the load test counts it as an error);
- `liaisons`: users `load-liaison-NNN`, liaisons of the summit delegations in turn (about two per delegation at
  100), with their delegation's id, members and the members with travel on file;
- `staff`: users `load-staff-NN` cycling through the staff roles that may open the timeline, each with a confirmed TOTP device of its own
  random key (`totp_key_hex`), so the load computes their codes as an authenticator app would.

All users share one random password per run (hashed once: hashing 110 passwords at PBKDF2's cost would take a
minute). Running it again on the same database revokes the previous run's tokens and resets the users, so the
deployment script can call the load test repeatedly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from asemplanner.domain.signin import totp_device_install  # noqa: E402
from asemplanner.roles import LIAISON, STAFF_ROLES, role_permissions  # noqa: E402
from badges.domain.badges import LISTED, qr_payload  # noqa: E402
from badges.domain.tokens import token_create, token_revoke  # noqa: E402
from badges.models import DeviceToken  # noqa: E402
from delegations.models import Accreditation, Delegation, Person  # noqa: E402
from events.models import Event  # noqa: E402
from protocol.models import SecurityZone  # noqa: E402

BY = "load-test"
TOKEN_PREFIX = "load "  # noqa: S105 — the start of the tokens' names, not a secret
SUMMIT = "ASEM13"


def _tokens(event: Event, count: int, *, kind: str, zones: list[SecurityZone], run: str) -> list[dict]:
    out = []
    expires = timezone.now() + dt.timedelta(days=2)
    for i in range(count):
        if kind == "checkpoint":
            zone = zones[i % len(zones)]
            token, raw = token_create(
                name=f"{TOKEN_PREFIX}checkpoint {i + 1:02d} ({run})",
                event=event,
                scopes=[DeviceToken.Scope.CHECKPOINT],
                expires_at=expires,
                by=BY,
                zone=zone,
            )
            out.append({"name": token.name, "token": raw, "zone": zone.code})
        else:
            token, raw = token_create(
                name=f"{TOKEN_PREFIX}station {i + 1:02d} ({run})",
                event=event,
                scopes=[DeviceToken.Scope.READ, DeviceToken.Scope.PRINT],
                expires_at=expires,
                by=BY,
            )
            out.append({"name": token.name, "token": raw})
    return out


def _user(username: str, *, password_hash: str, role: str):
    User = get_user_model()
    user = User.objects.filter(username=username).first() or User(username=username)
    user.password = password_hash
    user.email = f"{username}@load.example"
    user.is_staff = role != LIAISON
    user.is_superuser = False
    user.is_active = True
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    return user


@transaction.atomic
def prepare(*, stations: int, checkpoints: int, liaisons: int, staff: int) -> dict:
    event = Event.objects.get(acronym=SUMMIT)
    for token in DeviceToken.objects.filter(name__startswith=TOKEN_PREFIX, revoked_at__isnull=True):
        token_revoke(token=token, by=BY)
    zones = list(SecurityZone.objects.order_by("level", "code"))
    if checkpoints and not zones:
        raise SystemExit("The database has no security zones: seed the summit first (manage.py seed_asem13).")
    badges = list(
        Accreditation.objects.filter(event=event, status__in=LISTED).values_list("badge_number", "badge_version")
    )
    if not badges:
        raise SystemExit(f"{SUMMIT} has no approved badges: seed the summit first (manage.py seed_asem13).")

    run = secrets.token_hex(4)  # token names are unique: a set of its own per run
    password = secrets.token_urlsafe(18)
    password_hash = make_password(password)
    delegations = list(Delegation.objects.filter(event=event).order_by("partner__code"))
    members: dict[int, list[int]] = {}
    with_travel: dict[int, list[int]] = {}
    for person_id, delegation_id, travel in Person.objects.filter(delegation__in=delegations).values_list(
        "pk", "delegation_id", "travel__pk"
    ):
        members.setdefault(delegation_id, []).append(person_id)
        if travel is not None:
            with_travel.setdefault(delegation_id, []).append(person_id)
    usable = [d for d in delegations if members.get(d.pk) and with_travel.get(d.pk)]
    liaison_rows = []
    for i in range(liaisons):
        delegation = usable[i % len(usable)]
        user = _user(f"load-liaison-{i + 1:03d}", password_hash=password_hash, role=LIAISON)
        user.liaison_delegations.set([delegation])  # one delegation each: /portal/ goes straight to it
        liaison_rows.append(
            {
                "username": user.username,
                "delegation_id": delegation.pk,
                "partner": delegation.partner.code,
                "members": members[delegation.pk],
                "with_travel": with_travel[delegation.pk],
            }
        )
    staff_rows = []
    # The roles that open the timeline (events.view_session): admin, protocol, security, logistics.
    timeline_roles = [role for role in STAFF_ROLES if "events.view_session" in role_permissions(role)]
    for i in range(staff):
        role = timeline_roles[i % len(timeline_roles)]
        user = _user(f"load-staff-{i + 1:02d}", password_hash=password_hash, role=role)
        key_hex = secrets.token_hex(20)
        TOTPDevice.objects.filter(user=user).delete()
        totp_device_install(user=user, key_hex=key_hex, by=BY)
        staff_rows.append({"username": user.username, "role": role, "totp_key_hex": key_hex})
    return {
        "event": SUMMIT,
        "days": [
            str(event.start_date + dt.timedelta(days=n)) for n in range((event.end_date - event.start_date).days + 1)
        ],
        "password": password,
        "stations": _tokens(event, stations, kind="station", zones=zones, run=run),
        "checkpoints": _tokens(event, checkpoints, kind="checkpoint", zones=zones, run=run),
        "qr": [qr_payload(number, version) for number, version in badges],
        "liaisons": liaison_rows,
        "staff": staff_rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--checkpoints", type=int, default=20)
    parser.add_argument("--liaisons", type=int, default=100)
    parser.add_argument("--staff", type=int, default=10)
    args = parser.parse_args()
    actors = prepare(stations=args.stations, checkpoints=args.checkpoints, liaisons=args.liaisons, staff=args.staff)
    args.out.write_text(json.dumps(actors))
    args.out.chmod(0o600)  # secrets: tokens and the password
    print(
        f"actors: {len(actors['stations'])} stations, {len(actors['checkpoints'])} checkpoints, "
        f"{len(actors['liaisons'])} liaisons, {len(actors['staff'])} staff; {len(actors['qr'])} badges to scan"
    )


if __name__ == "__main__":
    main()
