"""Checkpoints: a gate scans a badge's QR and is told allowed or denied, and why. Every scan is logged.

A checkpoint token is bound to one event and one zone (the entrance it stands at). A badge is allowed when its
QR is genuine, it is the current version of an approved (printed, collected) badge of the token's event, and the
badge grants the token's zone. Zones are not ranked: a badge opens exactly the zones it lists (the zone map grants
the lower zones explicitly). A summit badge does not open a side event's gates, nor the reverse: the badge's
event must be the token's event.

One scan costs one read and one insert, whatever the badge (besides the token lookup)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from asemplanner.choices import Category
from badges.domain.badges import BADGE_COLUMNS, CATEGORY_COLOURS, LISTED, qr_read
from badges.models import DeviceToken, ScanLog
from delegations.models import Accreditation
from protocol.models import SecurityZone

Reason = ScanLog.Reason
# A badge QR is ~80 characters; anything much longer is not one of ours and is not even unsigned.
PAYLOAD_MAX = 2048
QR_ALPHABET = re.compile(r"[A-Za-z0-9_:.\-]+")
# What a gate shows of the holder: a part of what a print station sees (the badge API's columns).
HOLDER_COLUMNS = {
    name: BADGE_COLUMNS[name]
    for name in ("honorific", "given_name", "family_name", "function", "delegation", "partner_code")
}


@dataclass
class Scan:
    result: str
    reason: str | None
    message: str
    badge_number: str | None = None
    version: int | None = None
    holder: dict[str, Any] | None = None
    has_photo: bool = False
    log: ScanLog | None = field(default=None, repr=False)


def payload_hash(payload: str | bytes) -> str:
    data = payload.encode("utf-8", "replace") if isinstance(payload, str) else payload
    return hashlib.sha256(data).hexdigest()[:16]


def payload_problem(payload: str) -> str | None:
    """Why this text cannot be a badge QR (before checking any signature), or None."""
    if not payload.strip():
        return _("The scan is empty: scan the QR code on the badge again.")
    if len(payload) > PAYLOAD_MAX:
        return _("The scanned text is %(length)s characters; a badge QR code has far fewer. Not a badge.") % {
            "length": len(payload)
        }
    if not QR_ALPHABET.fullmatch(payload) or ":" not in payload:
        return _("The scanned text is not a badge QR code (unexpected characters). Scan the code on the badge.")
    return None


def badge_scan(*, token: DeviceToken, payload: str, oversized: bool = False) -> Scan:
    """Judge one scan at the token's zone and log it. `oversized` says the request body was too big to read:
    the payload is then only what identifies the body in the log."""
    zone = token.zone  # loaded with the token (token_authenticate), like its event
    if zone is None:
        raise ValueError(f"Device token {token.prefix} has no zone; only a checkpoint token bound to one can scan.")
    problem = (
        _("The request is larger than a badge scan can be (at most %(most)s characters of QR text). Not a badge.")
        % {"most": PAYLOAD_MAX}
        if oversized
        else payload_problem(payload)
    )
    scan = _judge(token, zone, payload, problem)
    scan.log = ScanLog.objects.create(
        token=token,
        event_id=token.event_id,
        zone=zone,
        badge_number=scan.badge_number,
        accreditation_id=scan.holder.pop("id") if scan.holder else None,
        result=scan.result,
        reason=scan.reason or "",
        payload_hash=payload_hash(payload),
        scanned_at=timezone.now(),
    )
    return scan


def _denied(reason: str, message: str, **kwargs: Any) -> Scan:
    return Scan("denied", reason, message, **kwargs)


def _judge(token: DeviceToken, zone: SecurityZone, payload: str, problem: str | None) -> Scan:
    if problem:
        return _denied(Reason.MALFORMED, problem)
    try:
        number, version = qr_read(payload)
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return _denied(
            Reason.FORGED, _("The QR code's signature does not match: forged or altered. Do not admit; call security.")
        )
    number = number[:20]
    opens = Accreditation.zones.through.objects.filter(accreditation_id=OuterRef("pk"), securityzone_id=zone.pk)
    row = (
        Accreditation.objects.filter(badge_number=number)
        .annotate(opens=Exists(opens))
        .values(
            "pk",
            "event_id",
            "event__acronym",
            "status",
            "badge_version",
            "category",
            "opens",
            "person__photo",
            *HOLDER_COLUMNS.values(),
        )  # fmt: skip
        .first()
    )
    event = token.event.acronym
    if row is None or (row["event_id"] == token.event_id and row["status"] not in {*LISTED, "revoked"}):
        return _denied(
            Reason.UNKNOWN,
            _("No badge %(number)s for %(event)s. Do not admit; send to accreditation.")
            % {"number": number, "event": event},
            badge_number=number,
            version=version,
        )
    if row["event_id"] != token.event_id:
        return _denied(
            Reason.WRONG_EVENT,
            _("Badge %(number)s is for %(other)s, not %(event)s. Do not admit.")
            % {"number": number, "other": row["event__acronym"], "event": event},
            badge_number=number,
            version=version,
        )
    holder = {name: row[column] for name, column in HOLDER_COLUMNS.items()}
    holder |= {
        "id": row["pk"],
        "category": row["category"],
        "category_label": str(Category(row["category"]).label),
        "colour": CATEGORY_COLOURS.get(row["category"], "#555555"),
    }
    name = " ".join(part for part in (holder["given_name"], holder["family_name"]) if part)
    known: dict[str, Any] = {"badge_number": number, "version": version, "holder": holder}
    if row["status"] == Accreditation.Status.REVOKED:
        return _denied(
            Reason.REVOKED,
            _("Badge %(number)s (%(name)s) was revoked. Do not admit; keep the card and call security.")
            % {"number": number, "name": name},
            **known,
        )
    has_photo = bool(row["person__photo"])
    if version != row["badge_version"]:
        return _denied(
            Reason.SUPERSEDED,
            _(
                "Badge %(number)s (%(name)s) is version %(version)s; version %(current)s replaced it. "
                "Do not admit; the holder collects the current badge at accreditation."
            )
            % {"number": number, "name": name, "version": version, "current": row["badge_version"]},
            has_photo=has_photo,
            **known,
        )
    if not row["opens"]:
        return _denied(
            Reason.WRONG_ZONE,
            _("Badge %(number)s (%(name)s) does not open %(code)s · %(zone)s. Do not admit.")
            % {"number": number, "name": name, "code": zone.code, "zone": zone.name},
            has_photo=has_photo,
            **known,
        )
    return Scan(
        "allowed",
        None,
        _("Allowed into %(code)s · %(zone)s: %(name)s, %(delegation)s.")
        % {"code": zone.code, "zone": zone.name, "name": name, "delegation": holder["delegation"]},
        has_photo=has_photo,
        **known,
    )
