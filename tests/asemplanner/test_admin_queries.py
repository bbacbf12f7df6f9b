"""Every admin changelist runs a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from asemplanner.domain.audit import audit_log
from asemplanner.models import Notification
from events.models import Conflict
from reminders.models import Reminder
from tests import factories as f


def grow(model_label: str, n: int, user=None) -> None:
    """Add n rows of a model, each with its own related rows (so a missing select_related would show)."""
    for _ in range(n):
        match model_label:
            case "events.event":
                f.SideEventFactory()
            case "events.venue":
                f.RoomFactory()
            case "events.room":
                f.RoomFactory(zone=f.SecurityZoneFactory())
            case "events.transfertime":
                f.TransferTimeFactory()
            case "events.session":
                f.SessionFactory(expected_attendance=50)
            case "events.roomoutage":
                from events.models import RoomOutage
                from tests.factories import at

                RoomOutage.objects.create(
                    room=f.RoomFactory(), start=at(0, "09:00"), end=at(0, "12:00"), reason="Repairs",
                    created_by=f.UserFactory(),
                )  # fmt: skip
            case "delegations.partner":
                f.PartnerFactory()
            case "delegations.delegation":
                person = f.PersonFactory()
                person.delegation.head = person
                person.delegation.save()
            case "delegations.person":
                f.PersonFactory()
            case "delegations.travel":
                f.TravelFactory(hotel=f.VenueFactory(kind="hotel"))
            case "delegations.accreditation":
                f.AccreditationFactory()
            case "delegations.liaisoninvitation":
                from delegations.domain.liaisons import liaison_invite

                email = f"{f.UserFactory().username}@mfa.example"
                liaison_invite(delegation=f.DelegationFactory(), email=email, by=user)
            case "protocol.securityzone":
                f.RoomFactory(zone=f.SecurityZoneFactory())
            case "protocol.team":
                team = f.TeamFactory(lead=f.UserFactory())
                team.members.add(f.UserFactory())
            case "protocol.bilateralmeeting":
                f.BilateralMeetingFactory()
            case "protocol.bilateralwindow":
                from tests.factories import at

                f.BilateralWindowFactory(start=at(0, "15:00"), end=at(0, "16:00"))
            case "protocol.protocoltask":
                f.ProtocolTaskFactory(team=f.TeamFactory(), assignee=f.UserFactory(), destination=f.VenueFactory())
            case "auth.user":
                f.UserFactory(roles=["protocol"])
            case "auth.group":
                pass
            case "asemplanner.notification":
                Notification.objects.create(recipient=user, topic=f"t{Notification.objects.count()}", title="x")
            case "events.conflict":
                now = timezone.now()
                Conflict.objects.create(
                    fingerprint=f"fp{Conflict.objects.count()}", kind="room_double_booked", severity="error",
                    event=f.EventFactory(), resource="room:1", resource_label="Room", first="session:1",
                    message="clash", first_seen=now, last_seen=now,
                )  # fmt: skip
            case "asemplanner.auditentry":
                venue = f.VenueFactory()
                audit_log(action="events.venue.created", instance=venue, by=f.UserFactory(), changes={})
            case "badges.devicetoken" | "badges.printrecord":
                import datetime as dt

                from badges.domain.badges import badge_mark_printed
                from badges.domain.tokens import token_create
                from delegations.domain.delegations import accreditation_approve

                event = f.SideEventFactory()
                token, _ = token_create(
                    name=f"Desk {event.pk}", event=event, scopes=["badges:print"],
                    expires_at=timezone.now() + dt.timedelta(days=1), by="test",
                )  # fmt: skip
                person = f.PersonFactory(delegation=f.DelegationFactory(event=event))
                accreditation = accreditation_approve(
                    accreditation=f.AccreditationFactory(person=person, event=event), by="test"
                )
                badge_mark_printed(accreditation=accreditation, token=token, version=1, printed_at=timezone.now())
            case "badges.scanlog":
                import datetime as dt

                from badges.domain.badges import qr_payload
                from badges.domain.checkpoint import badge_scan
                from badges.domain.tokens import token_create
                from delegations.domain.delegations import accreditation_approve

                event, zone = f.SideEventFactory(), f.SecurityZoneFactory()
                token, _ = token_create(
                    name=f"Gate {event.pk}", event=event, scopes=["checkpoint:scan"], zone=zone,
                    expires_at=timezone.now() + dt.timedelta(days=1), by="test",
                )  # fmt: skip
                person = f.PersonFactory(delegation=f.DelegationFactory(event=event))
                accreditation = accreditation_approve(
                    accreditation=f.AccreditationFactory(person=person, event=event), by="test"
                )
                badge_scan(token=token, payload=qr_payload(accreditation.badge_number, 1))
            case "delegations.zonerule":
                from delegations.models import ZoneRule

                rule = ZoneRule.objects.create(event=f.SideEventFactory(), category="delegate")
                rule.zones.add(f.SecurityZoneFactory(), f.SecurityZoneFactory())
            case "reminders.deadline":
                f.DeadlineFactory(event=f.SideEventFactory())
            case "reminders.reminderrule":
                f.ReminderRuleFactory(event=f.SideEventFactory())
            case "reminders.reminder":
                rule = f.ReminderRuleFactory(event=f.SideEventFactory())
                Reminder.objects.create(
                    key=f"k{Reminder.objects.count()}", rule=rule, event=rule.event, subject_kind="delegation",
                    subject_id=1, recipient=f.UserFactory(), anchor_at=timezone.now(), due_at=timezone.now(),
                )  # fmt: skip
            case "axes.accessattempt":
                from axes.models import AccessAttempt

                AccessAttempt.objects.create(
                    username=f.UserFactory().username, ip_address="192.0.2.1", user_agent="test",
                    get_data="", post_data="", http_accept="", path_info="/accounts/login/", failures_since_start=1,
                )  # fmt: skip
            case "otp_totp.totpdevice":
                from django_otp.plugins.otp_totp.models import TOTPDevice

                TOTPDevice.objects.create(user=f.UserFactory(), name="app", confirmed=True)
            case "otp_static.staticdevice":
                from django_otp.plugins.otp_static.models import StaticDevice

                StaticDevice.objects.create(user=f.UserFactory(), name="codes", confirmed=True)
            case "matchmaking.participant":
                f.ParticipantFactory()
            case "matchmaking.forumslot":
                f.ForumSlotFactory()
            case "matchmaking.meetingtable":
                f.MeetingTableFactory()
            case "matchmaking.meetingrequest":
                f.MeetingRequestFactory()
            case "matchmaking.forumrun":
                f.ForumRunFactory()
            case "matchmaking.forummeeting":
                f.ForumMeetingFactory()
            case _:
                pass


REGISTERED = sorted(
    f"{model._meta.app_label}.{model._meta.model_name}"
    for model in admin.site._registry
    if model._meta.app_label not in {"django_celery_beat"}
)


@pytest.mark.parametrize("model_label", REGISTERED)
def test_changelist_query_count_does_not_grow_with_rows(model_label, role_client):
    client = role_client("admin")
    app, name = model_label.split(".")
    url = reverse(f"admin:{app}_{name}_changelist")
    client.get(url)  # warm the user's permission cache and the content-type cache
    grow(model_label, 3, client.user)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200
    grow(model_label, 12, client.user)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    rows = response.context["cl"].result_count
    assert rows >= 15 or model_label in {"auth.group"}, (model_label, rows)
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)


def test_admin_index_query_count_is_fixed(seeded, role_client):
    client = role_client("admin")
    client.get(reverse("admin:index"))
    with CaptureQueriesContext(connection) as seeded_run:
        client.get(reverse("admin:index"))
    grow("delegations.accreditation", 10)
    grow("protocol.bilateralmeeting", 5)
    with CaptureQueriesContext(connection) as grown_run:
        client.get(reverse("admin:index"))
    assert len(grown_run) == len(seeded_run)
