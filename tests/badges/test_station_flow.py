"""Done-when, on the seeded summit: a station that knows only the OpenAPI document and the guide syncs every
approved badge, prints PDFs, reports prints, picks up a revocation through the feed, and is refused the rest."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from badges.domain.tokens import token_create
from delegations.domain.delegations import accreditation_revoke
from delegations.models import Accreditation
from events.models import Event


@pytest.mark.django_db
def test_print_station_day_on_the_seeded_summit(seeded):
    summit = Event.objects.get(acronym="ASEM13")
    _, raw = token_create(
        name="Sokha desk 1", event=summit, scopes=["badges:read", "badges:print"],
        expires_at=timezone.now() + dt.timedelta(days=7), by="accreditation",
    )  # fmt: skip
    station = APIClient()
    station.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    # 1. Sync everything through the feed, page by page.
    badges, cursor = {}, 0
    while True:
        body = station.get(f"/api/v1/feed/?cursor={cursor}&limit=100").json()
        for change in body["changes"]:
            badges[change["badge_number"]] = change["badge"]
        cursor = body["cursor"]
        if not body["more"]:
            break
    approved = set(
        Accreditation.objects.filter(event=summit, status__in=Accreditation.HAS_BADGE).values_list(
            "badge_number", flat=True
        )
    )
    assert {n for n, b in badges.items() if b} == approved
    assert len(approved) > 150

    # 2. Print one delegation's badges on a sheet, and report each print once (a retry repeats the key).
    fra = [b for b in badges.values() if b and b["partner_code"] == "FRA"]
    sheet = station.post("/api/v1/badges/pdf", {"delegation": "FRA"}, format="json")
    assert sheet["Content-Type"] == "application/pdf"
    for badge in fra:
        key, printed = uuid.uuid4().hex, {"version": badge["version"], "printed_at": timezone.now().isoformat()}
        for _attempt in range(2):  # the same request, resent as a retry would
            report = station.post(
                f"/api/v1/badges/{badge['badge_number']}/prints", printed, format="json", HTTP_IDEMPOTENCY_KEY=key
            )
            assert report.status_code == 201
    assert Accreditation.objects.filter(
        badge_number__in=[b["badge_number"] for b in fra], status="printed"
    ).count() == len(fra)

    # 3. Nothing changed: the poll is a 304.
    etag = station.get(f"/api/v1/feed/?cursor={cursor}")["ETag"]
    after_prints = station.get(f"/api/v1/feed/?cursor={cursor}").json()
    cursor = after_prints["cursor"]
    etag = station.get(f"/api/v1/feed/?cursor={cursor}")["ETag"]
    assert station.get(f"/api/v1/feed/?cursor={cursor}", HTTP_IF_NONE_MATCH=etag).status_code == 304

    # 4. Security revokes one: the next pull brings a tombstone and printing it is refused.
    victim = Accreditation.objects.get(badge_number=fra[0]["badge_number"])
    accreditation_revoke(accreditation=victim, reason="Credentials withdrawn", by="security")
    (change,) = station.get(f"/api/v1/feed/?cursor={cursor}").json()["changes"]
    assert (change["type"], change["badge_number"]) == ("tombstone", victim.badge_number)
    assert station.get(f"/api/v1/badges/{victim.badge_number}/pdf").status_code == 404

    # 5. Refused the rest: another event's badges, and the staff side.
    other = Accreditation.objects.exclude(event=summit).filter(status__in=Accreditation.HAS_BADGE).first()
    if other is not None:
        assert station.get(f"/api/v1/badges/{other.badge_number}/").status_code == 404
    assert station.get("/admin/").status_code == 302  # a device token is not a login
