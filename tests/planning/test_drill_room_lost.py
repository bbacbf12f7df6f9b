"""The room-lost drill on the seeded summit: the Plenary Hall loses power for four hours on day 1; logistics enters
the outage, the proposal is accepted in full. Nothing is left unflagged, nobody is told twice, exactly the liaisons
of the delegations attending the moved sessions are told, and the hall holds nothing during the outage."""

from __future__ import annotations

import pytest

from asemplanner.models import Notification
from delegations.models import Delegation
from events.models import Conflict, RoomOutage, Session
from planning.domain.conflict_checks import conflicts_check_all
from planning.domain.drills import drill_run


@pytest.mark.django_db(transaction=True)
def test_room_lost_drill(seeded, settings):
    settings.PLANNER_SCHEDULER_WORKERS = 2
    settings.PLANNER_CONFLICT_CHECK_DELAY = 0
    # As the beat scan (and `check_conflicts` after seeding) does: the seed's deliberate clashes are on record, so
    # what the drill leaves unflagged is its own.
    conflicts_check_all()

    report = drill_run("room-lost")

    assert report.ok, "\n".join(report.lines())
    assert report.unflagged == []
    assert report.duplicates == {}
    assert report.moved, "the hall held sessions during the outage"
    # Everyone attends the opening plenary: every delegation of the summit with a liaison hears, once.
    outage = RoomOutage.objects.get()
    moved = Session.objects.filter(title__in=[line.split("”")[0].lstrip("“") for line in report.moved])
    assert moved.exists() and not moved.filter(room=outage.room).exists()
    summit_liaisons = set(
        Delegation.objects.filter(event__acronym="ASEM13", liaisons__isnull=False).values_list(
            "liaisons__username", flat=True
        )
    )
    assert summit_liaisons <= report.expected == set(report.told)
    topic = Notification.objects.filter(topic__startswith=f"outage:{outage.pk}:relocated:")
    assert topic.count() == topic.values("recipient").distinct().count() == len(report.expected)
    # The hall holds nothing while out of service; the clashes it caused are resolved.
    in_hall = Session.objects.filter(room=outage.room, start__lt=outage.end, end__gt=outage.start)
    assert not in_hall.exclude(status=Session.Status.CANCELLED).exists()
    assert not Conflict.objects.filter(kind=Conflict.Kind.ROOM_OUT_OF_SERVICE, status=Conflict.Status.OPEN).exists()
    assert Conflict.objects.filter(kind=Conflict.Kind.ROOM_OUT_OF_SERVICE, status=Conflict.Status.RESOLVED).exists()
