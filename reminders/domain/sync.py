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
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from asemplanner.i18n import languages_of, local_digits
from asemplanner.refs import Ref
from asemplanner.timeranges import fmt
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


def reminders_plan(subjects: dict[Ref, Subject], rules: list[ReminderRule]) -> dict[str, Planned]:
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


def _in_scope(scope: Scope) -> Q:
    if scope.all:
        return Q()
    condition = Q(event_id__in=scope.events)
    for kind in {k for k, _pk in scope.refs}:
        condition |= Q(subject_kind=kind, subject_id__in=scope.ids(kind))
    return condition


def reminders_sync(*, scope: Scope, now: dt.datetime | None = None) -> SyncResult:
    # What a reminder is about is stored as people know it, in the planner's own language whoever's request
    # ran the sync: otherwise a Khmer page's save would relabel every reminder (and the labels would flap).
    with translation.override(None):
        return _sync(scope=scope, now=now)


def _sync(*, scope: Scope, now: dt.datetime | None) -> SyncResult:
    now = now or timezone.now()
    result = SyncResult()
    # The rows are read before the subjects, and every move is conditional on the row being as read: a sync
    # that read a subject before someone moved it cannot then move that reminder back to the old time (the
    # move's own sync changed the row since), while one that read the rows first only sees newer subjects.
    existing = {
        r.key: r
        for r in Reminder.objects.filter(_in_scope(scope), purpose=Reminder.Purpose.REMINDER).only(
            "key", "status", "due_at", "anchor_at", "subject_kind", "subject_id", "recipient_id", "event_id",
            "about", "cancellation_noticed",
        )
    }  # fmt: skip
    subjects = subjects_load(scope)
    rules = list(ReminderRule.objects.filter(active=True))
    rules_by_id = {rule.pk: rule for rule in rules}
    plan = reminders_plan(subjects, rules)
    material = dt.timedelta(minutes=settings.PLANNER_REMINDER_MATERIAL_CHANGE_MINUTES)
    new_rows: list[Reminder] = []
    notices = _Notices(now)
    with transaction.atomic():
        for key, planned in plan.items():
            row = existing.get(key)
            about = describe(rules_by_id[planned.rule_id].what, planned.subject)[:300]
            if row is None:
                if planned.due_at >= now:
                    new_rows.append(
                        Reminder(
                            key=key,
                            rule_id=planned.rule_id,
                            event_id=planned.subject.event_id,
                            subject_kind=planned.subject.kind,
                            subject_id=planned.subject.pk,
                            about=about,
                            recipient_id=planned.recipient_id,
                            anchor_at=planned.anchor_at,
                            due_at=planned.due_at,
                        )
                    )
                continue
            as_read = Reminder.objects.filter(pk=row.pk, due_at=row.due_at, anchor_at=row.anchor_at)
            if row.status in Reminder.OPEN:
                if (row.due_at, row.anchor_at) != (planned.due_at, planned.anchor_at):
                    # Back to pending: a queued row not yet being sent waits for its new time.
                    result.moved += as_read.filter(status__in=Reminder.OPEN).update(
                        due_at=planned.due_at,
                        anchor_at=planned.anchor_at,
                        status=Reminder.Status.PENDING,
                        queued_at=None,
                        late=False,
                        about=about,
                    )
                elif row.about != about:  # renamed, moved to another room: keep the label current
                    as_read.filter(status__in=Reminder.OPEN).update(about=about)
            elif row.status == Reminder.Status.SENT:
                reinstated = row.cancellation_noticed
                moved = abs(planned.anchor_at - row.anchor_at) >= material
                if (reinstated or moved) and as_read.filter(status=Reminder.Status.SENT).update(
                    anchor_at=planned.anchor_at, cancellation_noticed=False
                ):
                    # The sent row now records what the person was last told, so a move back is a change too.
                    notices.add("reinstated" if reinstated else "moved", row, planned.anchor_at, about)
        stale = [row for key, row in existing.items() if key not in plan]
        open_stale = [row.pk for row in stale if row.status in Reminder.OPEN]
        if open_stale:
            result.removed = Reminder.objects.filter(pk__in=open_stale, status__in=Reminder.OPEN).delete()[0]
        finished = subjects_finished(scope) if stale else set()
        for row in stale:
            ref = (row.subject_kind, row.subject_id)
            if row.status != Reminder.Status.SENT or ref in subjects or ref in finished or row.cancellation_noticed:
                continue
            if Reminder.objects.filter(pk=row.pk, status=Reminder.Status.SENT, cancellation_noticed=False).update(
                cancellation_noticed=True
            ):
                notices.add("cancelled", row, row.anchor_at, row.about)
        Reminder.objects.bulk_create(new_rows, ignore_conflicts=True, batch_size=1000)
        result.notices = notices.save()
    result.created = len(new_rows)
    return result


class _Notices:
    """Change notices of one sync: at most one per subject and person, numbered per subject and person, so a
    second move (or a move back) gets its own notice while two syncs seeing the same move make only one."""

    TEXT = {
        "moved": (gettext_noop("Changed: %(about)s is now %(new)s"),
                  gettext_noop("%(about)s has moved from %(old)s to %(new)s.\n"
                               "You were reminded of the earlier time; please note the new one.")),
        "cancelled": (gettext_noop("Cancelled: %(about)s (%(old)s)"),
                      gettext_noop("%(about)s (%(old)s), which you were reminded of, has been "
                                   "cancelled or withdrawn. Nothing is needed from you for it.")),
        "reinstated": (gettext_noop("Back on: %(about)s (%(new)s)"),
                       gettext_noop("%(about)s, which you were told was cancelled, is on again: %(new)s.")),
    }  # fmt: skip

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.pending: dict[tuple[str, int, int], tuple[str, Reminder, dt.datetime, str]] = {}

    def add(self, kind: str, row: Reminder, new_anchor: dt.datetime, about: str) -> None:
        self.pending.setdefault((row.subject_kind, row.subject_id, row.recipient_id), (kind, row, new_anchor, about))

    def save(self) -> int:
        if not self.pending:
            return 0
        numbered = Q()
        for kind, pk, user in self.pending:
            numbered |= Q(subject_kind=kind, subject_id=pk, recipient_id=user)
        counts = {
            (k, pk, user): n
            for k, pk, user, n in Reminder.objects.filter(numbered, purpose=Reminder.Purpose.CHANGE_NOTICE)
            .values_list("subject_kind", "subject_id", "recipient_id")
            .annotate(n=Count("pk"))
        }
        rows = []
        # Each notice is worded now, in its recipient's language (one query for all of them).
        languages = languages_of({recipient for _kind, _pk, recipient in self.pending})
        for ref, (kind, row, new_anchor, about) in self.pending.items():
            about = about or f"The {row.subject_kind}"
            with translation.override(languages[row.recipient_id]):
                title, body = (_(text) for text in self.TEXT[kind])
                words = {"about": about, "old": local_digits(fmt(row.anchor_at)), "new": local_digits(fmt(new_anchor))}
            rows.append(
                Reminder(
                    key=f"{kind}:{ref[0]}:{ref[1]}:u{ref[2]}:n{counts.get(ref, 0) + 1}",
                    purpose=Reminder.Purpose.CHANGE_NOTICE,
                    rule_id=row.rule_id,
                    event_id=row.event_id,
                    subject_kind=row.subject_kind,
                    subject_id=row.subject_id,
                    about=about[:300],
                    recipient_id=row.recipient_id,
                    anchor_at=new_anchor,
                    due_at=self.now,
                    title=(title % words)[:300],
                    body=body % words,
                )
            )
        return len(Reminder.objects.bulk_create(rows, ignore_conflicts=True))
