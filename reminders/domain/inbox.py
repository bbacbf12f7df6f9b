"""What a liaison (or any user) sees on their reminders page: their delegations' deadlines with what is still
missing, the reminders coming up for them, and their inbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from asemplanner.models import Notification
from delegations.domain.readiness import Readiness, ReadinessItem, readiness_for
from delegations.models import Delegation
from reminders.domain.subjects import missing_for_delegations
from reminders.models import Deadline, Reminder


@dataclass
class DeadlineRow:
    deadline: Deadline
    missing: str
    overdue: bool


@dataclass
class DelegationDeadlines:
    delegation: Delegation
    rows: list[DeadlineRow]


def inbox_for(user, *, limit: int = 50) -> tuple[list[DelegationDeadlines], list[Reminder], list[Notification]]:
    """Six queries whatever the number of delegations, deadlines or notices."""
    now = timezone.now()
    delegations = list(
        Delegation.objects.filter(liaisons=user).select_related("partner", "event").order_by("event__start_date")
    )
    deadlines_by_event: dict[int, list[Deadline]] = {}
    for deadline in Deadline.objects.filter(
        event_id__in={d.event_id for d in delegations}, kind__in=Deadline.LIAISON_KINDS
    ).order_by("due_at"):
        deadlines_by_event.setdefault(deadline.event_id, []).append(deadline)
    missing = missing_for_delegations({d.pk for d in delegations})
    sections = [
        DelegationDeadlines(
            delegation=d,
            rows=[
                DeadlineRow(
                    deadline=dl,
                    missing=missing[d.pk][dl.kind],
                    overdue=bool(missing[d.pk][dl.kind]) and dl.due_at < now,
                )
                for dl in deadlines_by_event.get(d.event_id, [])
            ],
        )
        for d in delegations
    ]
    coming = list(
        Reminder.objects.filter(recipient=user, status__in=Reminder.OPEN)
        .select_related("event")
        .order_by("due_at")[:limit]
    )
    notices = list(Notification.objects.filter(recipient=user).order_by("-created_at")[:limit])
    return sections, coming, notices


@dataclass
class ChecklistRow:
    item: ReadinessItem
    deadline: Deadline | None
    overdue: bool


@dataclass
class Checklist:
    readiness: Readiness
    rows: list[ChecklistRow]


def checklist_for(delegation: Delegation) -> Checklist:
    """The delegation's readiness, each item beside the event's deadline for it (four queries)."""
    now = timezone.now()
    readiness = readiness_for(delegation)
    deadlines = {d.kind: d for d in Deadline.objects.filter(event_id=delegation.event_id)}
    rows = []
    for kind, item in readiness.items.items():
        deadline = deadlines.get(kind)
        rows.append(ChecklistRow(item, deadline, bool(deadline and not item.complete and deadline.due_at < now)))
    return Checklist(readiness, rows)
