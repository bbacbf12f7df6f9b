"""Retention and purge of an event's personal data; staff views of passport data are audited."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from asemplanner.models import AuditEntry
from delegations.domain.personal_data import personal_data_purge_due, purge_allowed_from
from delegations.models import Person, Travel
from delegations.tasks import purge_personal_data
from events.models import Venue
from tests.factories import (
    DelegationFactory,
    EventFactory,
    PersonFactory,
    SideEventFactory,
    TravelFactory,
    VenueFactory,
    at,
)

pytestmark = pytest.mark.django_db
# The summit runs 16–17 Nov 2020, its side event until 20 Nov: retention (90 days) ends 18 Feb 2021.
ALLOWED = dt.date(2021, 2, 19)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def person_with_everything(delegation, name: str) -> Person:
    person = PersonFactory(
        delegation=delegation,
        family_name=name,
        passport_number=f"P{name.upper()}1",
        passport_expiry=dt.date(2031, 1, 1),
        date_of_birth=dt.date(1970, 1, 2),
    )
    person.photo.save("x.jpg", ContentFile(b"\xff\xd8 not really a jpeg"), save=True)
    TravelFactory(
        person=person,
        arrival_at=at(0, "08:00"),
        departure_at=at(1, "20:00"),
        hotel=VenueFactory(name="Sokha", kind=Venue.Kind.HOTEL),
    )
    return person


@pytest.fixture
def events():
    summit = EventFactory(acronym="ASEM13", retention_days=90)
    SideEventFactory(acronym="AEBF", parent=summit, start_date=dt.date(2020, 11, 19), end_date=dt.date(2020, 11, 20))
    later = EventFactory(acronym="LATER", start_date=dt.date(2021, 3, 1), end_date=dt.date(2021, 3, 2))
    ours = [person_with_everything(DelegationFactory(event=summit), name) for name in ("Martin", "Dubois")]
    theirs = person_with_everything(DelegationFactory(event=later), "Other")
    return summit, later, ours, theirs


def test_the_purge_is_allowed_the_day_after_retention_after_the_last_side_event(events):
    summit, *_ = events
    assert purge_allowed_from(summit) == ALLOWED


def test_purge_removes_everything_personal_of_the_event_only(events, tmp_path, django_capture_on_commit_callbacks):
    summit, later, ours, theirs = events
    assert len(list(Path(tmp_path, "photos").iterdir())) == 3
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the purge has committed
        purges = personal_data_purge_due(by="test", today=ALLOWED)
    assert [purge.event for purge in purges] == [summit]
    for person in Person.objects.filter(pk__in=[p.pk for p in ours]):
        assert (person.passport_number, person.passport_digest, person.passport_expiry, person.date_of_birth) == (
            "",
            "",
            None,
            None,
        )
        assert not person.photo
    assert not Travel.objects.filter(person__in=ours).exists()
    assert Person.objects.filter(delegation__event=summit).exclude(passport_number="").count() == 0
    remaining = [f.name for f in Path(tmp_path, "photos").iterdir()]
    assert remaining == [Path(theirs.photo.name).name]  # 0 photo files of the event left in media
    other = Person.objects.get(pk=theirs.pk)
    assert (other.passport_number, other.date_of_birth) == ("POTHER1", dt.date(1970, 1, 2))
    assert Travel.objects.filter(person=theirs).exists()
    entries = AuditEntry.objects.filter(action="delegations.person.purged")
    assert sorted(entry.object_id for entry in entries) == sorted(str(p.pk) for p in ours)  # one per person
    for entry in entries:
        assert set(entry.changes) == {"passport_number", "passport_expiry", "date_of_birth", "photo", "travel", "hotel"}
        assert "PMARTIN1" not in str(entry.changes) and "1970-01-02" not in str(entry.changes)
    assert personal_data_purge_due(by="test", today=ALLOWED) == []  # nothing left: a second run does nothing


def test_dry_run_prints_what_would_go_and_changes_nothing(events, time_machine):
    time_machine.move_to(dt.datetime(2021, 3, 1, 12, tzinfo=dt.UTC))
    out = io.StringIO()
    call_command("purge_personal_data", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "ASEM13: would remove the personal data of 2 person(s), 2 photo file(s)." in text
    assert "passport number, passport expiry, date of birth, photo, travel, hotel" in text
    assert "Dry run: nothing was changed." in text
    assert Person.objects.exclude(passport_number="").count() == 3
    assert not AuditEntry.objects.filter(action="delegations.person.purged").exists()


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        pytest.param(dt.datetime(2020, 11, 17, 12, tzinfo=dt.UTC), "ASEM13 has not ended", id="during_the_event"),
        pytest.param(dt.datetime(2020, 11, 18, 12, tzinfo=dt.UTC), "has not ended", id="side_event_still_running"),
        pytest.param(
            dt.datetime(2021, 2, 18, 12, tzinfo=dt.UTC), "ASEM13 ended on 20 Nov 2020", id="last_day_of_retention"
        ),
    ],
)
def test_an_early_purge_is_refused_naming_the_day_it_becomes_allowed(events, time_machine, today, expected):
    time_machine.move_to(today)
    with pytest.raises(CommandError) as exc:
        call_command("purge_personal_data", "--event", "ASEM13", stdout=io.StringIO())
    assert expected in str(exc.value) and "The purge is allowed from 19 Feb 2021." in str(exc.value)
    assert Person.objects.exclude(passport_number="").count() == 3


def test_an_unknown_event_is_named(events):
    with pytest.raises(CommandError, match="no event with the id or acronym 'NOPE'. Events: ASEM13, AEBF, LATER"):
        call_command("purge_personal_data", "--event", "NOPE")


def test_the_beat_task_purges_the_due_events(events, time_machine):
    summit, later, ours, theirs = events
    time_machine.move_to(dt.datetime(2021, 3, 1, 12, tzinfo=dt.UTC))
    assert purge_personal_data() == "purged 2 person(s) in 1 event(s)"
    assert purge_personal_data() == "purged 0 person(s) in 0 event(s)"


def test_the_purge_is_scheduled_in_beat(db):
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.get(name="Personal data purge").task == "delegations.purge_personal_data"


# --- Who saw whose passport data ----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "audited"), [("security", True), ("accreditation", True), ("protocol", False)])
def test_the_person_page_records_who_saw_the_passport_data(role_client, role, audited):
    person = PersonFactory(passport_number="SEEN123", family_name="Seen")
    client = role_client(role)
    response = client.get(reverse("admin:delegations_person_change", args=[person.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert ("SEEN123" in page) is audited
    entries = AuditEntry.objects.filter(action="delegations.person.passport_viewed", object_id=str(person.pk))
    if audited:
        (entry,) = entries
        assert (entry.actor, entry.object_repr) == (client.user, str(person))
        assert "SEEN123" not in str(entry.changes)
    else:
        assert not entries.exists()
