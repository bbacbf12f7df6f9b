"""The forum's requests mapped to the scheduler's Problem, a real CP-SAT solve, the draft, publishing and the
liaisons' notices."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.exceptions import ValidationError

from asemplanner.models import AuditEntry, Notification
from matchmaking.domain.forum import meeting_request_answer, meeting_request_send, participant_set_unavailable
from matchmaking.domain.planning import (
    forum_pairs,
    forum_problem,
    forum_run_execute,
    forum_run_publish,
    forum_run_start,
    weight,
)
from matchmaking.models import ForumMeeting, ForumRun, MeetingRequest

BY = "system:test"


@pytest.fixture(autouse=True)
def _short_solve(settings):
    settings.PLANNER_FORUM_SOLVER_SECONDS = 5
    settings.PLANNER_SCHEDULER_WORKERS = 2


def _mutual(a, b, priority=3):
    request = meeting_request_send(sender=a, receiver=b, priority=priority, by=BY)
    return meeting_request_answer(request=request, accept=True, by=BY)


def _run(forum, *, allow_one_sided=False) -> ForumRun:
    run = forum_run_start(event=forum.event, allow_one_sided=allow_one_sided, by=BY)
    forum_run_execute(run.pk)  # the Celery task's body (eager in tests, but called directly to read its result)
    run.refresh_from_db()
    return run


def test_weights_put_every_mutual_meeting_above_every_one_sided_one():
    assert weight(1, mutual=True) > weight(5, mutual=False)
    assert [weight(p, mutual=True) for p in (1, 5)] == [12, 20]
    assert [weight(p, mutual=False) for p in (1, 5)] == [1, 5]


def test_pairs_merge_both_directions_into_one_mutual_meeting(forum):
    a, b, c = (forum.participant(code, name) for code, name in (("FRA", "Alpha"), ("DEU", "Beta"), (None, "Gamma")))
    meeting_request_send(sender=a, receiver=b, priority=2, by=BY)
    meeting_request_send(sender=b, receiver=a, priority=4, by=BY)
    meeting_request_send(sender=a, receiver=c, priority=5, by=BY)  # one-sided
    pairs = forum_pairs(forum.event, allow_one_sided=False)
    assert [(p.first.pk, p.second.pk, p.priority, p.mutual) for p in pairs] == [(a.pk, b.pk, 4, True)]
    both = forum_pairs(forum.event, allow_one_sided=True)
    assert sorted((p.mutual, p.weight) for p in both) == [(False, 5), (True, 18)]


def test_problem_is_one_table_class_on_the_forum_slots(forum):
    a, b = forum.participant("FRA", "Alpha"), forum.participant("DEU", "Beta")
    _mutual(a, b)
    participant_set_unavailable(participant=a, slots=forum.slots[:2], by=BY)
    problem, slots, tables = forum_problem(forum.event, forum_pairs(forum.event, allow_one_sided=False))
    assert problem.slot == 30 and problem.changeover == 0
    assert problem.fixed_starts == {s.start for s in forum.slots}
    assert {room.venue for room in problem.rooms} == {0} and len(problem.rooms) == 2
    assert [r.people for r in problem.requests] == [(a.pk, b.pk)]
    assert [(busy.start, busy.end) for busy in problem.busy[a.pk]] == [(s.start, s.end) for s in forum.slots[:2]]
    assert len(slots) == 4 and set(tables) == {t.pk for t in forum.tables}


def test_solve_respects_participants_tables_and_availability(forum):
    people = [forum.participant("FRA" if n % 2 else "DEU", f"Company {n}") for n in range(8)]
    # Everyone wants everyone of the other side: 16 pairs for 4 slots × 2 tables = 8 places at most.
    for x in people[::2]:
        for y in people[1::2]:
            _mutual(x, y, priority=1 + (x.pk + y.pk) % 5)
    participant_set_unavailable(participant=people[0], slots=forum.slots[1:], by=BY)  # only 09:00 left
    run = _run(forum)
    assert run.status == ForumRun.Status.READY, run.message
    drafts = list(ForumMeeting.objects.filter(run=run, status=ForumMeeting.Status.DRAFT))
    assert len(drafts) == 8  # every table of every slot is used: a full forum
    assert not Counter((m.table_id, m.slot_id) for m in drafts) - Counter({(m.table_id, m.slot_id) for m in drafts})
    per_person_slot = Counter((p, m.slot_id) for m in drafts for p in (m.first_id, m.second_id))
    assert max(per_person_slot.values()) == 1
    assert all(m.slot_id == forum.slots[0].pk for m in drafts if people[0].pk in (m.first_id, m.second_id))
    assert len(run.unplaced) == 16 - 8 and all(row["reason"] for row in run.unplaced)
    assert run.figures["placed"] == 8 and run.figures["bound"] >= run.figures["objective"]


def test_mutual_requests_win_over_one_sided_and_priorities_decide(forum):
    a, b, c, d = (forum.participant(code, name) for code, name in (
        ("FRA", "Alpha"), ("DEU", "Beta"), ("DEU", "Gamma"), ("DEU", "Delta")))  # fmt: skip
    # Alpha can meet once (one slot): a mutual priority-1 meeting beats a one-sided priority-5 request.
    participant_set_unavailable(participant=a, slots=forum.slots[1:], by=BY)
    _mutual(a, b, priority=1)
    meeting_request_send(sender=a, receiver=c, priority=5, by=BY)
    run = _run(forum, allow_one_sided=True)
    placed = {(m.first_id, m.second_id) for m in ForumMeeting.objects.filter(run=run)}
    assert placed == {(a.pk, b.pk)}
    # Among mutual ones, the higher priority wins.
    _mutual(a, d, priority=5)
    run = _run(forum)
    placed = {(m.first_id, m.second_id) for m in ForumMeeting.objects.filter(run=run)}
    assert placed == {(a.pk, d.pk)}
    assert ForumMeeting.objects.filter(status=ForumMeeting.Status.DRAFT).count() == 1  # the re-run replaced the draft


def test_no_common_slot_is_the_reason_given(forum):
    a, b = forum.participant("FRA", "Alpha"), forum.participant("DEU", "Beta")
    _mutual(a, b)
    participant_set_unavailable(participant=a, slots=forum.slots[:2], by=BY)
    participant_set_unavailable(participant=b, slots=forum.slots[2:], by=BY)
    run = _run(forum)
    assert run.figures["placed"] == 0
    assert "no slot in which both are available" in run.unplaced[0]["reason"]


def test_start_refuses_without_mutual_requests_naming_the_field(forum):
    a, b = forum.participant("FRA", "Alpha"), forum.participant("DEU", "Beta")
    meeting_request_send(sender=a, receiver=b, priority=3, by=BY)
    with pytest.raises(ValidationError) as refused:
        forum_run_start(event=forum.event, allow_one_sided=False, by=BY)
    assert "allow_one_sided" in refused.value.message_dict
    assert not ForumRun.objects.exists()


def test_publish_makes_meetings_tells_both_liaisons_and_audits(forum, django_capture_on_commit_callbacks):
    a, b, c = forum.participant("FRA", "Alpha"), forum.participant("DEU", "Beta"), forum.participant(None, "Gamma")
    _mutual(a, b)
    _mutual(c, a)
    run = _run(forum)
    with django_capture_on_commit_callbacks(execute=True):
        forum_run_publish(run=run, by=BY)
    assert ForumMeeting.objects.filter(status=ForumMeeting.Status.PUBLISHED).count() == 2
    assert not ForumMeeting.objects.filter(status=ForumMeeting.Status.DRAFT).exists()
    titles = dict(
        Notification.objects.filter(topic__startswith="forum-plan:").values_list("recipient__username", "title")
    )
    assert set(titles) == {"liaison-fra", "liaison-deu"}
    assert "AEBF" in titles["liaison-fra"]
    assert AuditEntry.objects.filter(action="matchmaking.run.published").count() == 1
    # Publishing again is refused; a withdrawn request makes the next run's publication refuse with the reason.
    with pytest.raises(ValidationError):
        forum_run_publish(run=run, by=BY)
    rerun = _run(forum)
    MeetingRequest.objects.filter(sender=c).update(status=MeetingRequest.Status.WITHDRAWN)
    with pytest.raises(ValidationError, match="Requests changed since this run"):
        forum_run_publish(run=rerun, by=BY)
    assert ForumMeeting.objects.filter(status=ForumMeeting.Status.PUBLISHED).count() == 2


def test_notices_reach_liaisons_in_their_language(forum, django_capture_on_commit_callbacks):
    from asemplanner.i18n import set_language_of

    set_language_of(forum.liaison_deu, "km")
    a, b = forum.participant("FRA", "Alpha"), forum.participant("DEU", "Beta")
    with django_capture_on_commit_callbacks(execute=True):
        meeting_request_send(sender=a, receiver=b, priority=3, by=BY)
    notice = Notification.objects.get(recipient=forum.liaison_deu)
    assert "Alpha" in notice.title and "asks to meet" not in notice.title  # worded in Khmer
