"""The business forum in the liaison portal: participants and availability, the directory, request / accept /
decline / withdraw, agendas (page, PDF, ICS); another delegation's objects are 404s; query counts stay flat."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from asemplanner.models import AuditEntry, Notification
from matchmaking.domain.forum import meeting_request_answer, meeting_request_send, meeting_request_withdraw
from matchmaking.domain.planning import forum_run_execute, forum_run_publish, forum_run_start
from matchmaking.models import ForumMeeting, MeetingRequest, Participant
from tests.pdf_checks import drawn_glyphs, page_text
from tests.signin import sign_in

BY = "system:test"


@pytest.fixture
def people(forum):
    return {
        "alpha": forum.participant("FRA", "Alpha Energy", sector="Energy", profile="Solar farms"),
        "beta": forum.participant("DEU", "Beta Logistics", sector="Logistics", email="secret@beta.example"),
        "gamma": forum.participant(None, "Gamma Bank", sector="Finance"),
    }


def test_liaison_adds_a_participant_with_availability(client, forum):
    sign_in(client, forum.liaison_fra)
    url = reverse("portal:forum_participant_add", args=[forum.france.pk]) + f"?forum={forum.event.pk}"
    response = client.post(
        url,
        {
            "kind": "company",
            "organisation": "Mekong Solar",
            "name": "Dara Sok",
            "sector": "Energy",
            "profile": "Rooftop solar",
            "email": "dara@mekong.example",
            "active": "on",
            "unavailable": [forum.slots[0].pk],
        },
    )
    assert response.status_code == 302
    participant = Participant.objects.get(organisation="Mekong Solar")
    assert participant.delegation == forum.france and participant.event == forum.event
    assert list(participant.unavailable.all()) == [forum.slots[0]]
    assert AuditEntry.objects.filter(action="matchmaking.participant.created").exists()


def test_participant_form_names_the_field_that_is_wrong(client, forum):
    sign_in(client, forum.liaison_fra)
    url = reverse("portal:forum_participant_add", args=[forum.france.pk]) + f"?forum={forum.event.pk}"
    response = client.post(url, {"kind": "robot", "organisation": "", "email": "not-an-address"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"kind", "organisation", "email"}
    assert not Participant.objects.exists()


def test_directory_shows_profiles_without_emails(client, forum, people):
    sign_in(client, forum.liaison_fra)
    page = client.get(reverse("portal:forum_directory", args=[forum.france.pk, people["alpha"].pk])).content.decode()
    assert "Beta Logistics" in page and "Gamma Bank" in page and "Logistics" in page
    assert "secret@beta.example" not in page and "@x.example" not in page
    filtered = client.get(
        reverse("portal:forum_directory", args=[forum.france.pk, people["alpha"].pk]), {"sector": "Finance"}
    )
    assert "Gamma Bank" in filtered.content.decode() and "Beta Logistics" not in filtered.content.decode()


def test_request_accept_flow_between_two_liaisons(client, forum, people):
    sign_in(client, forum.liaison_fra)
    url = reverse("portal:forum_request", args=[forum.france.pk, people["alpha"].pk, people["beta"].pk])
    assert client.post(url, {"priority": "5", "message": "Shipping solar panels"}).status_code == 302
    request = MeetingRequest.objects.get()
    assert (request.sender, request.receiver, request.priority, request.status) == (
        people["alpha"],
        people["beta"],
        5,
        MeetingRequest.Status.REQUESTED,
    )
    # A second request for the same pair is refused on the field.
    again = client.post(url, {"priority": "3"})
    assert again.status_code == 200 and "already asked" in again.content.decode()
    client.logout()
    sign_in(client, forum.liaison_deu)
    page = client.get(reverse("portal:forum", args=[forum.germany.pk])).content.decode()
    assert "Alpha Energy" in page and "Shipping solar panels" in page
    client.post(reverse("portal:forum_request_accept", args=[forum.germany.pk, request.pk]))
    request.refresh_from_db()
    assert request.status == MeetingRequest.Status.ACCEPTED
    assert AuditEntry.objects.filter(action="matchmaking.request.accepted").count() == 1


def test_priority_out_of_range_is_refused_with_the_allowed_values(client, forum, people):
    sign_in(client, forum.liaison_fra)
    url = reverse("portal:forum_request", args=[forum.france.pk, people["alpha"].pk, people["beta"].pk])
    response = client.post(url, {"priority": "9"})
    assert response.status_code == 200
    assert "priority" in response.context["form"].errors
    assert not MeetingRequest.objects.exists()


def test_decline_and_withdraw(client, forum, people):
    incoming = meeting_request_send(sender=people["beta"], receiver=people["alpha"], priority=2, by=BY)
    outgoing = meeting_request_send(sender=people["alpha"], receiver=people["gamma"], priority=2, by=BY)
    sign_in(client, forum.liaison_fra)
    client.post(reverse("portal:forum_request_decline", args=[forum.france.pk, incoming.pk]))
    client.post(reverse("portal:forum_request_withdraw", args=[forum.france.pk, outgoing.pk]))
    incoming.refresh_from_db()
    outgoing.refresh_from_db()
    assert incoming.status == MeetingRequest.Status.DECLINED
    assert outgoing.status == MeetingRequest.Status.WITHDRAWN
    # The receiver cannot withdraw a request it did not send: 404, nothing changes.
    assert client.post(reverse("portal:forum_request_withdraw", args=[forum.france.pk, incoming.pk])).status_code == 404


READ, WRITE, BOTH = ("get",), ("post",), ("get", "post")


@pytest.mark.parametrize(
    ("name", "methods", "args"),
    [
        ("forum_participant", BOTH, lambda f, p, r: [f.france.pk, p["beta"].pk]),
        ("forum_directory", READ, lambda f, p, r: [f.france.pk, p["beta"].pk]),
        ("forum_agenda", READ, lambda f, p, r: [f.france.pk, p["beta"].pk]),
        ("forum_agenda_pdf", READ, lambda f, p, r: [f.france.pk, p["beta"].pk]),
        ("forum_agenda_ics", READ, lambda f, p, r: [f.france.pk, p["beta"].pk]),
        ("forum_request", BOTH, lambda f, p, r: [f.france.pk, p["beta"].pk, p["alpha"].pk]),
        ("forum_request_accept", WRITE, lambda f, p, r: [f.france.pk, r.pk]),
        ("forum_request_decline", WRITE, lambda f, p, r: [f.france.pk, r.pk]),
        ("forum_request_withdraw", WRITE, lambda f, p, r: [f.france.pk, r.pk]),
        ("forum", READ, lambda f, p, r: [f.germany.pk]),
        ("forum_participant_add", BOTH, lambda f, p, r: [f.germany.pk]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_other_delegations_objects_are_404(client, forum, people, name, methods, args):
    # A request between Germany's participant and one without delegation: nothing of France's.
    request = meeting_request_send(sender=people["beta"], receiver=people["gamma"], priority=3, by=BY)
    sign_in(client, forum.liaison_fra)
    url = reverse(f"portal:{name}", args=args(forum, people, request))
    for method in methods:
        response = getattr(client, method)(url, {"priority": "5", "organisation": "X", "kind": "company"})
        assert response.status_code == 404, method
    request.refresh_from_db()
    assert request.status == MeetingRequest.Status.REQUESTED
    assert MeetingRequest.objects.count() == 1 and Participant.objects.count() == 3


def _publish(forum):
    run = forum_run_start(event=forum.event, allow_one_sided=False, by=BY)
    forum_run_execute(run.pk)
    run.refresh_from_db()
    forum_run_publish(run=run, by=BY)


def test_agenda_page_pdf_and_ics_after_publishing(client, forum, people, settings):
    settings.PLANNER_FORUM_SOLVER_SECONDS = 5
    people["gamma"].organisation = "ធនាគារ Gamma"  # a Khmer organisation name must print
    people["gamma"].save()
    for other in (people["beta"], people["gamma"]):
        request = meeting_request_send(sender=people["alpha"], receiver=other, priority=3, by=BY)
        meeting_request_answer(request=request, accept=True, by=BY)
    _publish(forum)
    assert ForumMeeting.objects.filter(status=ForumMeeting.Status.PUBLISHED).count() == 2
    sign_in(client, forum.liaison_fra)
    page = client.get(reverse("portal:forum_agenda", args=[forum.france.pk, people["alpha"].pk])).content.decode()
    assert "Beta Logistics" in page and "ធនាគារ Gamma" in page
    pdf = client.get(reverse("portal:forum_agenda_pdf", args=[forum.france.pk, people["alpha"].pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Alpha Energy" in text and "Beta Logistics" in text and "Gamma" in text
    first = timezone.localtime(ForumMeeting.objects.filter(first=people["alpha"]).earliest("slot__start").slot.start)
    assert first.strftime("%H:%M") in text  # Phnom Penh time, not UTC
    # The Khmer name is drawn in the shipped Khmer face, with no missing glyph (platypus shapes it, so its text
    # layer holds shaped glyphs rather than the string: the glyphs are what a reader sees).
    glyphs = drawn_glyphs(pdf.content)
    assert [glyph for _font, glyph in glyphs if glyph <= 0] == []
    assert any("NotoSansKhmer" in font for font, _glyph in glyphs)
    ics = client.get(reverse("portal:forum_agenda_ics", args=[forum.france.pk, people["alpha"].pk]))
    events = list(Calendar.from_ical(ics.content).walk("VEVENT"))
    assert sorted(str(e["summary"]) for e in events) == ["Meeting with Beta Logistics", "Meeting with ធនាគារ Gamma"]
    starts = {e.decoded("dtstart") for e in events}
    assert starts <= {s.start for s in forum.slots} and len(starts) == 2  # Alpha is in one meeting a slot
    uids = {str(e["uid"]) for e in events}
    # Re-publishing keeps the UIDs: a calendar that imports the file again updates its events.
    _publish(forum)
    again = Calendar.from_ical(
        client.get(reverse("portal:forum_agenda_ics", args=[forum.france.pk, people["alpha"].pk])).content
    )
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == uids
    everyone = client.get(reverse("portal:forum_agendas_pdf", args=[forum.france.pk]))
    assert "Alpha Energy" in pdf_text(everyone.content)


def test_forum_page_and_directory_query_counts_do_not_grow(client, forum, django_assert_max_num_queries):
    sign_in(client, forum.liaison_fra)
    mine = forum.participant("FRA", "Mine")

    def grow(n: int, start: int) -> None:
        for i in range(start, start + n):
            other = forum.participant("DEU", f"Other {i}")
            meeting_request_send(sender=other, receiver=mine, priority=3, by=BY)

    urls = [
        reverse("portal:forum", args=[forum.france.pk]),
        reverse("portal:forum_directory", args=[forum.france.pk, mine.pk]),
    ]
    grow(2, 0)
    counts = []
    for url in urls:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as small:
            assert client.get(url).status_code == 200
        counts.append(len(small))
    grow(10, 2)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200


def pdf_text(pdf: bytes) -> str:
    """Every page's text layer (pypdfium2, as tests/pdf_checks.py reads it)."""
    import pypdfium2

    return "\n".join(page_text(pdf, n) for n in range(len(pypdfium2.PdfDocument(pdf))))


def test_what_a_participant_writes_comes_back_escaped(client, forum, people):
    payload = "XSS7<script>alert(1)</script><img src=x onerror=alert(1)>"
    people["beta"].profile = payload
    people["beta"].save()
    sign_in(client, forum.liaison_fra)
    page = client.get(reverse("portal:forum_directory", args=[forum.france.pk, people["alpha"].pk])).content.decode()
    assert "XSS7" in page and "<script>alert(1)" not in page and "<img src=x" not in page


def test_forum_writes_count_towards_the_portal_write_limit(client, forum, people, settings, time_machine):
    settings.PLANNER_RATE_PORTAL_WRITE = "2/m"
    time_machine.move_to(timezone.now(), tick=False)  # one rate window, however slow the machine
    sign_in(client, forum.liaison_fra)
    url = reverse("portal:forum_participant", args=[forum.france.pk, people["alpha"].pk])
    body = {"kind": "company", "organisation": "Alpha Energy", "name": "Rep", "active": "on"}
    assert [client.post(url, body).status_code for _ in range(3)] == [302, 302, 429]
    request = reverse("portal:forum_request", args=[forum.france.pk, people["alpha"].pk, people["beta"].pk])
    assert client.post(request, {"priority": "3"}).status_code == 429
    assert not MeetingRequest.objects.exists()


def test_a_withdrawn_or_inactive_meeting_leaves_the_published_agendas(
    client, forum, people, settings, django_capture_on_commit_callbacks
):
    settings.PLANNER_FORUM_SOLVER_SECONDS = 5
    to_beta = meeting_request_send(sender=people["alpha"], receiver=people["beta"], priority=3, by=BY)
    meeting_request_answer(request=to_beta, accept=True, by=BY)
    to_gamma = meeting_request_send(sender=people["alpha"], receiver=people["gamma"], priority=3, by=BY)
    meeting_request_answer(request=to_gamma, accept=True, by=BY)
    _publish(forum)
    sign_in(client, forum.liaison_fra)
    agenda = reverse("portal:forum_agenda_ics", args=[forum.france.pk, people["alpha"].pk])
    assert len(list(Calendar.from_ical(client.get(agenda).content).walk("VEVENT"))) == 2
    with django_capture_on_commit_callbacks(execute=True):
        meeting_request_withdraw(request=to_beta, by=BY)
    assert not ForumMeeting.objects.filter(request=to_beta).exists()
    summaries = [str(e["summary"]) for e in Calendar.from_ical(client.get(agenda).content).walk("VEVENT")]
    assert summaries == ["Meeting with Gamma Bank"]
    told = Notification.objects.filter(title__contains="withdrew the meeting with Beta Logistics")
    assert told.count() == forum.germany.liaisons.count() >= 1
    # A participant made inactive after publishing: its meetings leave every agenda.
    people["gamma"].active = False
    people["gamma"].save()
    assert list(Calendar.from_ical(client.get(agenda).content).walk("VEVENT")) == []
