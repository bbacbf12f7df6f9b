"""The late-arrival drill on the seeded summit: Japan's head lands after the start of the KHM–JPN bilateral; the
disruption opens, the re-plan runs (eager), staff publish it. Nothing is left unflagged, nobody is told twice,
exactly the liaisons of the delegations of the moved meetings are told."""

from __future__ import annotations

import pytest

from asemplanner.models import Notification
from planning.domain.conflict_checks import conflicts_check_all
from planning.domain.drills import drill_run
from planning.models import Disruption
from protocol.models import BilateralMeeting, SchedulingRun


@pytest.mark.django_db(transaction=True)
def test_late_arrival_drill(seeded, settings):
    settings.PLANNER_SCHEDULER_WORKERS = 2
    settings.PLANNER_CONFLICT_CHECK_DELAY = 0
    meeting = BilateralMeeting.objects.get(requester__partner__code="KHM", counterpart__partner__code="JPN")
    japan_head = meeting.counterpart.head
    # As the beat scan (and `check_conflicts` after seeding) does: the seed's deliberate clashes are on record, so
    # what the drill leaves unflagged is its own.
    conflicts_check_all()

    report = drill_run("late-arrival")

    assert report.unflagged == []
    assert report.duplicates == {}
    assert report.expected, "the re-plan moved meetings whose delegations have liaisons"
    assert set(report.told) == report.expected
    assert report.ok, "\n".join(report.lines())
    disruption = Disruption.objects.get(person=japan_head)
    assert disruption.kind == Disruption.Kind.LATE_ARRIVAL
    assert disruption.status == Disruption.Status.PUBLISHED
    assert disruption.run is not None and disruption.run.status == SchedulingRun.Status.PUBLISHED
    meeting.refresh_from_db()
    assert meeting.status == BilateralMeeting.Status.SCHEDULED
    assert meeting.start >= japan_head.travel.arrival_at  # no longer before the arrival
    # The re-plan is scoped to the disrupted principal's meetings: only KHM–JPN moves; the accepted requests of
    # other delegations (KHM–FRA, AUS–IDN) are not placed by it, the other scheduled ones stay.
    assert len(report.moved) == 1 and "Cambodia – Japan" in report.moved[0], report.moved
    assert report.expected == set(meeting.requester.liaisons.values_list("username", flat=True)) | set(
        meeting.counterpart.liaisons.values_list("username", flat=True)
    )
    assert disruption.run.only == [meeting.pk] and disruption.run.allow_moves is False
    assert BilateralMeeting.objects.filter(status=BilateralMeeting.Status.ACCEPTED, event=meeting.event).count() == 2
    # Protocol and security were told of the disruption once each.
    topic = Notification.objects.filter(topic=f"disruption:{disruption.pk}")
    assert topic.count() == topic.values("recipient").distinct().count() > 0
