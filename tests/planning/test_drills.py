"""The drill framework and the postpone drill, on the seeded summit; `manage.py drill`'s own refusals.

The other three drills have their own files (test_drill_late_arrival.py, test_drill_room_lost.py,
test_drill_short_notice.py). Transactional: the follow-ups run after commit, as in production."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from asemplanner.models import Notification
from delegations.models import Delegation
from events.models import Conflict, Event, Session
from planning.domain.drills import DRILLS, drill_run
from planning.domain.drills.base import unflagged_clashes


@pytest.mark.django_db(transaction=True)
def test_postpone_drill_flags_every_clash_and_tells_each_liaison_once(seeded):
    summit = Event.objects.get(acronym="ASEM13")
    first_day, opening = summit.start_date, Session.objects.filter(event=summit).order_by("start").first()
    liaisons = set(Delegation.objects.filter(liaisons__isnull=False).values_list("liaisons__username", flat=True))

    report = drill_run("postpone")

    summit.refresh_from_db()
    opening.refresh_from_db()
    assert (summit.start_date - first_day).days == 7
    assert opening.start.date() > first_day
    assert report.unflagged == []
    assert report.duplicates == {}
    assert set(report.told) == report.expected == liaisons
    assert all(n == 1 for n in report.told.values())
    # Travel stayed: the leaders now arrive a week early and leave before the summit — flagged, not hidden.
    assert Conflict.objects.filter(status=Conflict.Status.OPEN, kind=Conflict.Kind.AFTER_DEPARTURE).exists()
    assert report.ok
    assert Notification.objects.filter(recipient__username__in=liaisons, topic__startswith="postponement:").count() == 2


@pytest.mark.django_db(transaction=True)
def test_unflagged_lists_a_clash_nobody_recorded(seeded):
    # The seed's deliberate clashes exist but no check has run in this test database yet: all are unflagged.
    Conflict.objects.all().delete()
    assert len(unflagged_clashes()) >= 1


def test_drill_names_are_the_four_of_the_issue():
    assert set(DRILLS) == {"postpone", "late-arrival", "room-lost", "short-notice"}


def test_unknown_drill_is_refused_with_the_names():
    with pytest.raises(ValueError, match="postpone, late-arrival, room-lost, short-notice"):
        drill_run("earthquake")


def test_drill_here_needs_confirmation(db):
    with pytest.raises(CommandError, match="add --yes to confirm"):
        call_command("drill", "postpone", "--here")


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(DRILLS))
def test_a_drill_without_the_seeded_summit_rehearses_nothing_and_does_not_pass(name):
    report = drill_run(name)

    assert report.moved == []
    assert "Seed the summit first (manage.py seed_asem13)." in report.notes
    assert not report.ok
    assert "Result: FAILED" in report.lines()
