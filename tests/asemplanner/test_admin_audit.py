"""Admin writes leave audit entries (object, many-to-many, inlines, bulk deletes); bad input saves nothing."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from asemplanner.models import AuditEntry
from events.models import Room, Session, TransferTime, Venue
from tests.factories import EventFactory, RoomFactory, SecurityZoneFactory, TransferTimeFactory, VenueFactory


def entries_for(obj) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(obj)
    return list(AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("id"))


def venue_form(**overrides) -> dict:
    data = {
        "name": "Chaktomuk Conference Hall",
        "short_name": "Chaktomuk",
        "kind": "cultural",
        "address": "Sisowath Quay",
        "latitude": "",
        "longitude": "",
        "rooms-TOTAL_FORMS": "1",
        "rooms-INITIAL_FORMS": "0",
        "rooms-MIN_NUM_FORMS": "0",
        "rooms-MAX_NUM_FORMS": "1000",
        "rooms-0-name": "Main Hall",
        "rooms-0-kind": "plenary",
        "rooms-0-capacity": "500",
        "rooms-0-opens_at": "08:00",
        "rooms-0-closes_at": "22:00",
        "rooms-0-zone": "",
    }
    return data | overrides


def test_admin_add_with_inline_audits_both_objects(role_client):
    client = role_client("logistics")
    response = client.post(reverse("admin:events_venue_add"), venue_form())
    assert response.status_code == 302, _errors(response)
    venue = Venue.objects.get(name="Chaktomuk Conference Hall")
    room = Room.objects.get(venue=venue)
    [venue_entry] = entries_for(venue)
    [room_entry] = entries_for(room)
    assert venue_entry.action == "events.venue.created"
    assert venue_entry.actor == client.user and venue_entry.actor_name == "logistics-tester"
    assert venue_entry.changes["address"] == [None, "Sisowath Quay"]
    assert room_entry.action == "events.room.created"
    assert room_entry.changes["capacity"] == [None, 500]


def test_admin_change_audits_before_and_after_of_changed_fields_only(role_client):
    venue = VenueFactory(name="Hyatt Regency Phnom Penh", address="Street 178", kind="hotel")
    room = RoomFactory(venue=venue, name="Ballroom", capacity=300)
    client = role_client("logistics")
    data = venue_form(
        name=venue.name,
        short_name="",
        kind="hotel",
        address="Street 178, Daun Penh",
        **{
            "rooms-INITIAL_FORMS": "1",
            "rooms-0-id": str(room.pk),
            "rooms-0-venue": str(venue.pk),
            "rooms-0-name": "Ballroom",
            "rooms-0-capacity": "320",
            "rooms-0-kind": room.kind,
            "rooms-0-opens_at": "07:00",
            "rooms-0-closes_at": "23:00",
        },
    )
    response = client.post(reverse("admin:events_venue_change", args=[venue.pk]), data)
    assert response.status_code == 302, _errors(response)
    [venue_entry] = entries_for(venue)
    assert venue_entry.action == "events.venue.changed"
    assert venue_entry.changes == {"address": ["Street 178", "Street 178, Daun Penh"]}
    [room_entry] = entries_for(room)
    assert room_entry.changes == {"capacity": [300, 320]}


def test_admin_many_to_many_change_is_audited(role_client):
    zone_a, zone_b = SecurityZoneFactory(code="Z1"), SecurityZoneFactory(code="Z2")
    from tests.factories import AccreditationFactory

    accreditation = AccreditationFactory(category="delegate")
    accreditation.zones.set([zone_a])
    client = role_client("accreditation")
    response = client.post(
        reverse("admin:delegations_accreditation_change", args=[accreditation.pk]),
        {
            "person": accreditation.person_id,
            "event": accreditation.event_id,
            "category": "delegate",
            "zones": [zone_a.pk, zone_b.pk],
            "status": "requested",
            "revoked_reason": "",
        },
    )
    assert response.status_code == 302, _errors(response)
    [entry] = entries_for(accreditation)
    assert entry.changes == {"zones": [[zone_a.pk], [zone_a.pk, zone_b.pk]]}


def test_admin_bulk_delete_audits_every_row(role_client):
    transfers = TransferTimeFactory.create_batch(3)
    client = role_client("logistics")
    response = client.post(
        reverse("admin:events_transfertime_changelist"),
        {"action": "delete_selected", "_selected_action": [t.pk for t in transfers], "post": "yes"},
    )
    assert response.status_code == 302
    assert TransferTime.objects.count() == 0
    deleted = AuditEntry.objects.filter(action="events.transfertime.deleted")
    assert sorted(int(e.object_id) for e in deleted) == sorted(t.pk for t in transfers)
    assert all(e.changes["minutes"] == [20, None] for e in deleted)


def test_admin_session_end_before_start_shows_field_error_and_saves_nothing(role_client):
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory()
    client = role_client("logistics")
    response = client.post(
        reverse("admin:events_session_add"),
        {
            "event": event.pk,
            "title": "Opening ceremony",
            "kind": "ceremony",
            "status": "scheduled",
            "room": room.pk,
            "start_0": "2020-11-16",
            "start_1": "10:00",
            "end_0": "2020-11-16",
            "end_1": "09:00",
            "audience": "all_delegates",
            "audience_category": "",
            "expected_attendance": "",
            "notes": "",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "end" in errors
    assert "not after its start" in errors["end"][0]
    assert not Session.objects.exists()
    assert not AuditEntry.objects.exists()


def test_admin_session_over_capacity_is_saved_with_a_visible_warning(role_client):
    event = EventFactory(acronym="ASEM13")
    room = RoomFactory(capacity=50, name="Bilateral Room 1")
    client = role_client("logistics")
    response = client.post(
        reverse("admin:events_session_add"),
        {
            "event": event.pk,
            "title": "Working lunch",
            "kind": "working_lunch",
            "status": "scheduled",
            "room": room.pk,
            "start_0": "2020-11-16",
            "start_1": "13:00",
            "end_0": "2020-11-16",
            "end_1": "14:30",
            "audience": "heads",
            "audience_category": "",
            "expected_attendance": "110",
            "notes": "",
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("expects 110 people" in m and "holds 50" in m for m in messages), messages
    session = Session.objects.get(title="Working lunch")
    assert session.expected_attendance == 110


def test_audit_entries_cannot_be_changed_or_deleted_in_the_admin(role_client):
    venue = VenueFactory()
    from asemplanner.domain.audit import audit_log

    entry = audit_log(action="events.venue.created", instance=venue, by="test", changes={})
    client = role_client("admin")
    assert client.get(reverse("admin:asemplanner_auditentry_change", args=[entry.pk])).status_code == 200
    response = client.post(reverse("admin:asemplanner_auditentry_change", args=[entry.pk]), {"action": "x"})
    assert response.status_code == 403
    assert (
        client.post(reverse("admin:asemplanner_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    entry.refresh_from_db()
    assert entry.action == "events.venue.created"


def test_object_page_shows_its_audit_trail(role_client):
    client = role_client("logistics")
    client.post(reverse("admin:events_venue_add"), venue_form())
    venue = Venue.objects.get(name="Chaktomuk Conference Hall")
    html = client.get(reverse("admin:events_venue_change", args=[venue.pk])).content.decode()
    assert "Audit trail" in html
    assert "events.venue.created" in html
    assert "logistics-tester" in html


@pytest.mark.parametrize("role", ["admin"])
def test_user_password_change_is_audited_without_the_hash(role, role_client):
    from tests.factories import UserFactory

    target = UserFactory(username="someone")
    old_hash = target.password
    client = role_client(role)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    [entry] = AuditEntry.objects.filter(action="auth.user.password_changed")
    assert entry.actor == client.user and entry.object_id == str(target.pk)
    assert entry.changes["password"][0].startswith("•••") and entry.changes["password"][1].startswith("•••")
    text = str([e.changes for e in AuditEntry.objects.all()])
    target.refresh_from_db()
    assert old_hash not in text and target.password not in text


def _errors(response) -> str:
    """The form and inline errors of an admin response, for assertion messages."""
    context = response.context
    if not context or "adminform" not in context:
        return f"status {response.status_code}"
    inline_errors = [f.errors for inline in context.get("inline_admin_formsets", []) for f in inline.formset.forms]
    return f"form: {context['adminform'].form.errors!r} inlines: {inline_errors!r}"
