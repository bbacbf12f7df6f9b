"""The short-notice drill on the seeded summit: Cambodia asks Viet Nam for a bilateral that afternoon, Viet Nam
accepts, staff place it at short notice (no published meeting may move) and publish. Placed, nothing published
moved, each liaison of both delegations told once, nothing left unflagged."""

from __future__ import annotations

import pytest
from django.utils import timezone

from asemplanner.models import Notification
from delegations.models import Delegation
from planning.domain.conflict_checks import conflicts_check_all
from planning.domain.drills import drill_run
from protocol.models import BilateralMeeting, SchedulingRun
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_short_notice_drill(seeded, settings):
    settings.PLANNER_SCHEDULER_WORKERS = 2
    settings.PLANNER_CONFLICT_CHECK_DELAY = 0
    # The seed gives Viet Nam no liaison; one here, so "both sides told" is two delegations' liaisons.
    vietnam = Delegation.objects.get(event__acronym="ASEM13", partner__code="VNM")
    vietnam.liaisons.add(UserFactory(username="liaison-vnm", roles=["liaison"]))
    conflicts_check_all()  # the seed's deliberate clashes on record, as after seeding
    published = dict(
        BilateralMeeting.objects.filter(status=BilateralMeeting.Status.SCHEDULED).values_list("pk", "start")
    )

    report = drill_run("short-notice")

    assert report.ok, "\n".join(report.lines())
    assert report.unflagged == [] and report.duplicates == {}
    assert report.expected == set(report.told) == {"liaison-khm", "liaison-vnm"}
    meeting = BilateralMeeting.objects.get(requester__partner__code="KHM", counterpart__partner__code="VNM")
    assert meeting.status == BilateralMeeting.Status.SCHEDULED
    local = timezone.localtime(meeting.start)
    assert local.date() == meeting.event.start_date and local.hour >= 13  # inside the afternoon window
    # 0 published meetings moved: every one is where it was.
    assert dict(BilateralMeeting.objects.filter(pk__in=published).values_list("pk", "start")) == published
    assert len(report.moved) == 1 and "Cambodia – Viet Nam" in report.moved[0], report.moved
    run = SchedulingRun.objects.get(kind=SchedulingRun.Kind.SHORT_NOTICE)
    assert run.status == SchedulingRun.Status.PUBLISHED and run.allow_moves is False and run.only == [meeting.pk]
    assert Notification.objects.filter(topic=f"replan:{run.pk}").count() == 2
