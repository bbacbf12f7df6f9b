"""Drill: the summit is postponed (as ASEM13 was, twice) by a week, with its side events.

Staff preview the move and apply it; the programme, bilaterals, tasks, deadlines and pending reminders move with
the same times of day, every liaison of a delegation to a moved event is told once, and the delegations' own
travel stays, so the clashes it now makes are flagged for protocol."""

from __future__ import annotations

from delegations.models import Delegation
from planning.domain.drills.base import DRILL_ACTOR, NOT_SEEDED, DrillReport, Watch, liaison_usernames, seeded_summit
from planning.domain.postponement import postponement_preview, summit_postpone

DAYS = 7


def drill() -> DrillReport:
    summit = seeded_summit()
    if summit is None:
        return DrillReport(name="postpone", action="no seeded summit: nothing to rehearse", notes=[NOT_SEEDED])
    report = DrillReport(name="postpone", action=f"{summit} and its side events postponed by {DAYS} days")
    report.expected = liaison_usernames(
        Delegation.objects.filter(event__in=[summit, *summit.side_events.all()]).values_list("pk", flat=True)
    )
    watch = Watch()
    preview = postponement_preview(event=summit, days=DAYS, include_side_events=True)
    if preview.blocking:
        report.notes.append("Refused: " + "; ".join(p.what for p in preview.blocking[:3]))
        return watch.collect(report)
    result = summit_postpone(summit=summit, days=DAYS, by=DRILL_ACTOR)
    report.moved = [f"{n} {what}" for what, n in result.moved.items() if n]
    report.notes.append(
        f"The preview showed {len(preview.new_conflicts)} clash(es) the move makes (travel stays where the "
        f"delegations booked it) and {len(preview.gone_conflicts)} it removes."
    )
    return watch.collect(report)
