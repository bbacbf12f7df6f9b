"""Drill: a room is out of service: impact, relocation proposal, accept.

On the seeded summit the Peace Palace's Plenary Hall (the busiest hall of day 1) loses power from the start of
its first session for four hours. Logistics enters the outage (the same domain function as the admin's add
form); the conflict check flags what is in the hall then (eager: the drill is its own worker). The impact page's
proposal is computed and accepted in full, as staff would with every box ticked: the sessions move to free rooms
(same venue first), any bilateral is re-placed by the scoped scheduler; each affected liaison gets one notice.
Expected: the liaisons of every delegation with someone attending a moved session, and both sides of a moved
bilateral, worked out here from the programme independently of the accept."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from asemplanner.roles import LOGISTICS
from events.domain.outages import outage_create
from events.models import Event, Room, Session
from planning.domain.conflict_checks import gather
from planning.domain.drills.base import DRILL_ACTOR, NOT_SEEDED, DrillReport, Watch, seeded_summit
from planning.domain.room_outages import relocation_proposal, relocations_accept

OUT_FOR = dt.timedelta(hours=4)


def _hall(summit: Event) -> tuple[Room, dt.datetime] | None:
    """The plenary hall with the most sessions on the summit's first day, and its first session's start."""
    tz = timezone.get_current_timezone()
    first = dt.datetime.combine(summit.start_date, dt.time.min, tzinfo=tz)
    day = Session.objects.filter(event=summit, start__gte=first, start__lt=first + dt.timedelta(days=1)).exclude(
        status=Session.Status.CANCELLED
    )
    counts: dict[int, int] = {}
    for room_id in day.filter(room__kind=Room.Kind.PLENARY).values_list("room_id", flat=True):
        counts[room_id] = counts.get(room_id, 0) + 1
    if not counts:
        return None
    room_id = max(counts, key=lambda pk: (counts[pk], -pk))
    opening = day.filter(room_id=room_id).order_by("start").first()
    if opening is None:
        return None
    return Room.objects.select_related("venue").get(pk=room_id), opening.start


def _liaisons_of(keys: set[str]) -> set[str]:
    """Liaisons of the delegations of everyone in the moved sessions and bilaterals (the programme's people)."""
    commitments, _facts = gather()
    people = {p for c in commitments if c.key in keys for p in c.people}
    bilaterals = [int(key.split(":")[1]) for key in keys if key.startswith("bilateral:")]
    users = get_user_model().objects.filter(is_active=True, is_staff=False)
    by_people = users.filter(liaison_delegations__members__in=people)
    by_bilateral = users.filter(liaison_delegations__bilaterals_requested__in=bilaterals) | users.filter(
        liaison_delegations__bilaterals_invited__in=bilaterals
    )
    return set(by_people.values_list("username", flat=True)) | set(by_bilateral.values_list("username", flat=True))


def drill() -> DrillReport:
    report = DrillReport(name="room-lost")
    summit = seeded_summit()
    found = _hall(summit) if summit is not None else None
    if summit is None or found is None:
        report.action = "no summit with a plenary hall in use on day 1: nothing to rehearse"
        report.notes.append(NOT_SEEDED)
        return report
    room, start = found
    end = start + OUT_FOR
    logistics = (
        get_user_model().objects.filter(groups__name=LOGISTICS, is_active=True, is_staff=True).order_by("pk").first()
    )
    by = logistics or DRILL_ACTOR
    tz = timezone.get_current_timezone()
    report.action = (
        f"{by} takes {room} out of service {start.astimezone(tz):%a %d %b %H:%M}–{end.astimezone(tz):%H:%M} "
        "(power cut); staff accept the whole relocation proposal"
    )
    watch = Watch()

    # The staff action: the admin's add form calls the same domain function.
    outage = outage_create(room=room, start=start, end=end, reason="Power cut in the hall (drill)", by=by)
    proposal = relocation_proposal(outage)
    impact = proposal.impact
    report.notes.append(
        f"Impact: {len(impact.sessions)} session(s), {len(impact.bilaterals)} bilateral(s), {len(impact.tasks)} "
        f"task(s) in {room} then; proposal places {proposal.placed} (bilateral re-plan {proposal.seconds:.2f} s)."
    )
    for move in proposal.sessions:
        report.notes.append(f"“{move.session.title}” → {move.room or 'no room'}: {move.why}")
    for bilateral in proposal.bilaterals:
        report.notes.append(f"{bilateral.meeting} → {bilateral.room or 'no place'}: {bilateral.why}")
    session_moves = {m.session.pk: m.room.pk for m in proposal.sessions if m.room is not None}
    bilateral_moves = {
        m.meeting.pk: (m.room.pk, m.start) for m in proposal.bilaterals if m.room is not None and m.start is not None
    }
    if not session_moves and not bilateral_moves:
        report.notes.append("Nothing could be relocated; the clashes stay flagged for staff.")
        return watch.collect(report)
    accepted = relocations_accept(outage=outage, session_moves=session_moves, bilateral_moves=bilateral_moves, by=by)
    report.moved = accepted.moved
    report.notes += [f"New clash after the move (flagged): {w}" for w in accepted.warnings]
    report.expected = _liaisons_of(
        {f"session:{pk}" for pk in session_moves} | {f"bilateral:{pk}" for pk in bilateral_moves}
    )
    return watch.collect(report)
