"""Rules × subjects × recipients → reminder rows, kept in step with every change.

`reminders_sync` is idempotent: run it after any change (the triggers do, after commit) or for everything
(beat, every 15 minutes, as a safety net) and the table converges on the plan:

- a planned reminder that does not exist yet is created, unless it would already be past due;
- a pending one whose subject moved gets the new due time (it moves with its subject);
- a pending one no longer planned (subject cancelled, rule switched off, recipient gone) is removed;
- one already sent is never sent again; if its subject moved materially, or was cancelled, one change
  notice goes to the same person instead.

Every write is conditional on the row still being pending, so a sync racing the sweep cannot move or delete
a reminder that is being sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from asemplanner.timeranges import fmt
from reminders.domain.rules import offset_label
from reminders.domain.subjects import (
    SUBJECT_KIND,
    Scope,
    Subject,
    describe,
    recipients,
    role_members,
    subjects_finished,
    subjects_load,
)
from reminders.models import Reminder, ReminderRule


@dataclass(frozen=True)
class Planned:
    key: str
    rule_id: int
    subject: Subject
    recipient_id: int
    anchor_at: dt.datetime
    due_at: dt.datetime


@dataclass
class SyncResult:
    created: int = 0
    moved: int = 0
    removed: int = 0
    notices: int = 0

    def summary(self) -> str:
        return (
            f"{self.created} reminder(s) created, {self.moved} moved, {self.removed} removed, "
            f"{self.notices} change notice(s)"
        )


def reminder_key(rule_id: int, kind: str, pk: int, recipient_id: int) -> str:
    return f"r{rule_id}:{kind}:{pk}:u{recipient_id}"


def reminders_plan(subjects: dict[tuple[str, int], Subject], rules: list[ReminderRule]) -> dict[str, Planned]:
    roles = role_members()
    plan: dict[str, Planned] = {}
    for rule in rules:
        kind = SUBJECT_KIND[rule.what]
        offset = dt.timedelta(minutes=rule.offset_minutes)
        for subject in subjects.values():
            if subject.kind != kind or (rule.event_id and rule.event_id != subject.event_id):
                continue
            anchor = subject.anchor(rule.what)
            if anchor is None or anchor + offset >= subject.event_end:
                continue  # no such deadline for this event, or it would land after the event is over
            for user_id in recipients(rule, subject, roles):
                key = reminder_key(rule.pk, kind, subject.pk, user_id)
                plan[key] = Planned(key, rule.pk, subject, user_id, anchor, anchor + offset)
    return plan


def _in_scope(scope: Scope):
    from django.db.models import Q

    if scope.all:
        return Q()
    condition = Q(event_id__in=scope.events)
    for kind in {k for k, _ in scope.refs}:
        condition |= Q(subject_kind=kind, subject_id__in=scope.ids(kind))
    return condition


def reminders_sync(*, scope: Scope, now: dt.datetime | None = None) -> SyncResult:
    now = now or timezone.now()
    result = SyncResult()
    subjects = subjects_load(scope)
    rules = list(ReminderRule.objects.filter(active=True))
    rules_by_id = {rule.pk: rule for rule in rules}
    plan = reminders_plan(subjects, rules)
    material = dt.timedelta(minutes=settings.PLANNER_REMINDER_MATERIAL_CHANGE_MINUTES)
    existing = {
        r.key: r
        for r in Reminder.objects.filter(_in_scope(scope), purpose=Reminder.Purpose.REMINDER).only(
            "key", "status", "due_at", "anchor_at", "subject_kind", "subject_id", "recipient_id", "event_id", "about"
        )
    }
    new_rows, notices = [], {}
    with transaction.atomic():
        for key, planned in plan.items():
            row = existing.get(key)
            if row is None:
                if planned.due_at >= now:
                    new_rows.append(
                        Reminder(
                            key=key,
                            rule_id=planned.rule_id,
                            event_id=planned.subject.event_id,
                            subject_kind=planned.subject.kind,
                            subject_id=planned.subject.pk,
                            about=describe(rules_by_id[planned.rule_id].what, planned.subject)[:300],
                            recipient_id=planned.recipient_id,
                            anchor_at=planned.anchor_at,
                            due_at=planned.due_at,
                        )
                    )
            elif row.status in Reminder.OPEN:
                if (row.due_at, row.anchor_at) != (planned.due_at, planned.anchor_at):
                    # Back to pending: a queued row not yet being sent waits for its new time.
                    result.moved += Reminder.objects.filter(pk=row.pk, status__in=Reminder.OPEN).update(
                        due_at=planned.due_at,
                        anchor_at=planned.anchor_at,
                        status=Reminder.Status.PENDING,
                        queued_at=None,
                    )
            elif row.status == Reminder.Status.SENT and abs(planned.anchor_at - row.anchor_at) >= material:
                notice = _moved_notice(planned, row, rules_by_id[planned.rule_id], now)
                notices.setdefault(notice.key, notice)
                # The sent row now records the time last communicated, so moving back is a change too.
                Reminder.objects.filter(pk=row.pk).update(anchor_at=planned.anchor_at)
        stale = [row for key, row in existing.items() if key not in plan]
        open_stale = [row.pk for row in stale if row.status in Reminder.OPEN]
        if open_stale:
            result.removed = Reminder.objects.filter(pk__in=open_stale, status__in=Reminder.OPEN).delete()[0]
        finished = subjects_finished(scope) if stale else set()
        for row in stale:
            ref = (row.subject_kind, row.subject_id)
            if row.status == Reminder.Status.SENT and ref not in subjects and ref not in finished:
                notice = _cancelled_notice(row, now)
                notices.setdefault(notice.key, notice)
        Reminder.objects.bulk_create(new_rows, ignore_conflicts=True, batch_size=1000)
        if notices:
            keys = set(Reminder.objects.filter(key__in=notices).values_list("key", flat=True))
            fresh = [n for k, n in notices.items() if k not in keys]
            Reminder.objects.bulk_create(fresh, ignore_conflicts=True)
            result.notices = len(fresh)
    result.created = len(new_rows)
    return result


def _moved_notice(planned: Planned, row: Reminder, rule: ReminderRule, now: dt.datetime) -> Reminder:
    subject = planned.subject
    what = describe(rule.what, subject)
    return Reminder(
        key=f"moved:{subject.kind}:{subject.pk}:u{planned.recipient_id}:"
        f"{row.anchor_at:%Y%m%d%H%M}>{planned.anchor_at:%Y%m%d%H%M}",
        purpose=Reminder.Purpose.CHANGE_NOTICE,
        rule_id=planned.rule_id,
        event_id=subject.event_id,
        subject_kind=subject.kind,
        subject_id=subject.pk,
        about=what[:300],
        recipient_id=planned.recipient_id,
        anchor_at=planned.anchor_at,
        due_at=now,
        title=f"Changed: {what} is now {fmt(planned.anchor_at)}",
        body=(
            f"{what} has moved from {fmt(row.anchor_at)} to {fmt(planned.anchor_at)}.\n"
            f"You were reminded of the earlier time; please note the new one."
        ),
    )


def _cancelled_notice(row: Reminder, now: dt.datetime) -> Reminder:
    return Reminder(
        key=f"cancelled:{row.subject_kind}:{row.subject_id}:u{row.recipient_id}",
        purpose=Reminder.Purpose.CHANGE_NOTICE,
        rule_id=None,
        event_id=row.event_id,
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        about=row.about,
        recipient_id=row.recipient_id,
        anchor_at=row.anchor_at,
        due_at=now,
        title=f"Cancelled: {row.about or row.subject_kind} ({fmt(row.anchor_at)})"[:300],
        body=f"{row.about or 'The ' + row.subject_kind} ({fmt(row.anchor_at)}), which you were reminded of, has been "
        "cancelled or withdrawn. Nothing is needed from you for it.",
    )


def rule_offset_text(rule: ReminderRule) -> str:
    return offset_label(rule.offset_minutes)
