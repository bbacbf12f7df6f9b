"""The delegation's dashboard: the readiness checklist against the event's deadlines, with links to fix it."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import BilateralMeetingFactory, DelegationFactory, PersonFactory, TravelFactory


def test_dashboard_shows_what_is_missing_by_whom_with_the_deadline(liaison_a, summit):
    response = liaison_a.get(reverse("portal:dashboard", args=[summit.france.pk]))
    page = response.content.decode()
    checklist = response.context["checklist"]
    assert 0 < checklist.readiness.percent < 100
    assert "a photo for 2 of 2 members" in page
    photos = next(row for row in checklist.rows if row.item.kind == "photos")
    assert photos.deadline is not None and photos.overdue  # the 2020 deadline has passed
    assert "overdue" in page
    assert reverse("portal:member_photo", args=[summit.france.pk, summit.member.pk]) in page


def test_dashboard_counts_requests_waiting_for_an_answer(liaison_a, summit):
    BilateralMeetingFactory(event=summit.event, requester=summit.germany, counterpart=summit.france)
    page = liaison_a.get(reverse("portal:dashboard", args=[summit.france.pk])).content.decode()
    assert "1 request waiting for your answer" in page


def test_dashboard_query_count_does_not_grow(liaison_a, summit):
    summit.france.quota = 40
    summit.france.save()
    url = reverse("portal:dashboard", args=[summit.france.pk])
    liaison_a.get(url)
    with CaptureQueriesContext(connection) as small:
        liaison_a.get(url)
    for _ in range(20):
        TravelFactory(person=PersonFactory(delegation=summit.france), hotel=summit.hotel)
        BilateralMeetingFactory(
            event=summit.event, requester=DelegationFactory(event=summit.event), counterpart=summit.france
        )
    with CaptureQueriesContext(connection) as large:
        response = liaison_a.get(url)
    assert response.context["checklist"].readiness.n_members == 22
    assert len(large) == len(small)
