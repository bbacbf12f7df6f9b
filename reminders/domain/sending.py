"""Claiming due reminders and sending each exactly once.

The sweep (beat, every minute) claims due rows in the database — `SELECT … FOR UPDATE SKIP LOCKED`, then a
status change to `queued` in the same transaction — so two sweeps at once, or a sweep racing a sync, never
claim one row twice. It hands the claimed ids to send tasks in batches after the claim commits.

A send task takes each reminder in its own short transaction: lock the row (skipping one another worker
holds), check it is still `queued`, write the inbox notice, hand the mail to the mail server, mark it `sent`,
commit. Outcomes:

- the task runs twice (redelivered, or a second sweep re-queued it): the second run finds it `sent`;
- the worker dies mid-send: the transaction rolls back, the lock goes with the connection, the row is still
  `queued`; the redelivered message (acks_late + reject_on_worker_lost) or, if the message was lost too,
  the sweep after PLANNER_REMINDER_REQUEUE_AFTER hands it out again;
- the mail server fails: rolled back, then `pending` again with a doubling wait, `failed` after the last try;
- the template cannot be rendered: that reminder is `failed` with the error; the rest of the batch goes on.

The one window left is between the mail server accepting a message and our commit (milliseconds): a crash
exactly there sends it again on retry. Each message carries a Message-ID made from the reminder, so mail
systems that deduplicate by Message-ID drop such a repeat.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import smtplib
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Case, F, Q, When
from django.urls import reverse
from django.utils import timezone, translation

from asemplanner.domain.audit import audit_entry, audit_log_many
from asemplanner.domain.queue import enqueue_on_commit
from asemplanner.i18n import languages_of, local_digits
from asemplanner.models import Notification
from asemplanner.refs import Ref
from asemplanner.timeranges import fmt
from reminders.defaults import template_for_recipient
from reminders.domain.subjects import (
    SUBJECT_KIND,
    Scope,
    describe,
    missing_for_delegations,
    missing_for_events,
    subjects_load,
)
from reminders.models import Reminder
from reminders.validators import DEADLINE_WHATS, TemplateProblem, rule_offset_label, template_render

SEND_TASK = "reminders.send"
log = logging.getLogger(__name__)
MAIL_ERRORS = (smtplib.SMTPException, OSError)


@dataclass
class SweepResult:
    claimed: int = 0
    late: int = 0
    batches: list[list[int]] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.claimed} reminder(s) claimed ({self.late} late) in {len(self.batches)} batch(es)"


@dataclass
class SendResult:
    outcomes: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        return ", ".join(f"{n} {name}" for name, n in sorted(self.outcomes.items())) or "nothing to send"


def _claimable(now: dt.datetime) -> Q:
    requeue = dt.timedelta(seconds=settings.PLANNER_REMINDER_REQUEUE_AFTER)
    due = Q(status=Reminder.Status.PENDING, due_at__lte=now) & (Q(retry_at__isnull=True) | Q(retry_at__lte=now))
    return due | Q(status=Reminder.Status.QUEUED, queued_at__lt=now - requeue)


def reminders_sweep(*, now: dt.datetime | None = None, send_inline: bool = False, enqueue: bool = True) -> SweepResult:
    """Claim every due reminder, a batch per transaction, and have each batch sent: by a send task (the
    default), here and now (`send_inline`, for the rehearsal and the command line), or not at all
    (`enqueue=False`: claim only, for measuring the claim).

    The claim time is the claim's token: a send task handles only rows still queued under its claim, so a
    row handed out again (its first message was lost or slow) is sent by whichever task holds the newer
    claim, never by both."""
    now = now or timezone.now()
    late_before = now - dt.timedelta(minutes=settings.PLANNER_REMINDER_LATE_AFTER_MINUTES)
    size = settings.PLANNER_REMINDER_BATCH_SIZE
    result = SweepResult()
    while True:
        with transaction.atomic():
            ids = list(
                Reminder.objects.filter(_claimable(now))
                .select_for_update(skip_locked=True)
                .order_by("due_at", "pk")
                .values_list("pk", flat=True)[:size]
            )
            if not ids:
                break
            claimed = Reminder.objects.filter(pk__in=ids)
            result.late += claimed.filter(due_at__lt=late_before, late=False).count()
            claimed.update(
                status=Reminder.Status.QUEUED,
                queued_at=now,
                late=Case(When(due_at__lt=late_before, then=True), default=F("late")),
            )
            if enqueue and not send_inline:
                # On a broker outage claimed rows stay `queued`; the sweep hands them out again after
                # PLANNER_REMINDER_REQUEUE_AFTER.
                enqueue_on_commit(SEND_TASK, args=[ids, now.isoformat()], queue=settings.PLANNER_REMINDER_QUEUE)
        result.claimed += len(ids)
        result.batches.append(ids)
        if send_inline:
            reminders_send(ids=ids, claim=now, now=now)
        # Each round claims rows with queued_at = now, which no later round can claim again: the loop ends.
    return result


def _link(reminder: Reminder) -> str:
    base = settings.PLANNER_BASE_URL.rstrip("/")
    if not reminder.recipient.is_staff:
        # Liaisons act on their delegation's portal, where the checklist says what is missing.
        return base + reverse("portal:home")
    app_model = {
        "delegation": "delegations_delegation",
        "event": "events_event",
        "session": "events_session",
        "task": "protocol_protocoltask",
        "bilateral": "protocol_bilateralmeeting",
    }[reminder.subject_kind]
    return base + reverse(f"admin:{app_model}_change", args=[reminder.subject_id])


def _message_id(reminder: Reminder) -> str:
    digest = hashlib.sha256(reminder.key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "planner.invalid"
    return f"<reminder.{digest}@{domain}>"


class _Skip(Exception):  # noqa: N818 — a reason, not an error
    pass


def _compose(reminder: Reminder, subjects, missing_delegations, missing_events) -> tuple[str, str]:
    """Title and body of what to send; _Skip when it is no longer needed; TemplateProblem when unrenderable.

    Called in the recipient's language: the words the planner fills in (what, when, what is missing) and a
    rule's default texts (reminders/defaults.py) come out in it; a rule's own texts are sent as written."""
    if not reminder.recipient.is_active:
        raise _Skip(f"{reminder.recipient.username}'s account is switched off")
    if reminder.purpose == Reminder.Purpose.CHANGE_NOTICE:
        return reminder.title, reminder.body
    rule = reminder.rule
    if rule is None:
        raise _Skip("its rule was deleted")
    if not rule.active:
        raise _Skip(f"its rule “{rule}” was switched off")
    if SUBJECT_KIND[rule.what] != reminder.subject_kind:
        with translation.override(None):  # the reason is kept for staff as recorded, in English
            what = rule.get_what_display().lower()
        raise _Skip(f"its rule “{rule}” now reminds of something else ({what})")
    subject = subjects.get(Ref(reminder.subject_kind, reminder.subject_id))
    if subject is None:
        raise _Skip(f"{reminder.about or 'its subject'} is no longer scheduled (cancelled, done, or unscheduled)")
    kind = DEADLINE_WHATS.get(rule.what)
    missing = ""
    if kind and subject.kind == "delegation":
        missing = missing_delegations.get(subject.pk, {}).get(kind, "")
        if not missing:
            raise _Skip("nothing is missing any more")
    elif kind:
        missing = missing_events.get(subject.pk, "")
        if not missing:
            raise _Skip("no accreditation is waiting any more")
    user = reminder.recipient
    context = {
        "recipient": user.get_full_name() or user.username,
        "event": subject.event_label,
        "what": describe(rule.what, subject),
        "when": local_digits(fmt(reminder.anchor_at)),
        "offset": rule_offset_label(rule),
        "delegation": subject.label if subject.kind == "delegation" else "",
        "missing": missing,
        "link": _link(reminder),
    }
    parts = []
    for source, label in ((rule.subject_template, "subject"), (rule.body_template, "body")):
        try:
            text = template_render(template_for_recipient(source), context)
        except TemplateProblem as exc:
            raise TemplateProblem(f"The {label} of rule “{rule}” failed: {exc} {FIX_RULE}") from exc
        if not text:
            raise TemplateProblem(f"The {label} of rule “{rule}” rendered as empty text. {FIX_RULE}")
        parts.append(text)
    return parts[0][: Reminder._meta.get_field("title").max_length], parts[1]


FIX_RULE = "Correct the rule, then select this reminder under Reminders and choose “Retry”."
NOTICE_TITLE_LENGTH = Notification._meta.get_field("title").max_length


def reminders_send(*, ids: list[int], claim: dt.datetime | None = None, now: dt.datetime | None = None) -> SendResult:
    """Send the given reminders claimed at `claim` (any claim when None), each at most once (see the module
    docstring). `now` fixes the clock (the rehearsal); otherwise each reminder is stamped when it goes."""
    clock = (lambda: now) if now else timezone.now
    result = SendResult()
    queued = Reminder.objects.filter(pk__in=ids, status=Reminder.Status.QUEUED)
    if claim is not None:
        queued = queued.filter(queued_at=claim)
    batch = list(queued.select_related("rule", "recipient"))
    result.outcomes["not ours"] = len(ids) - len(batch)
    if not batch:
        return result
    refs = {Ref(r.subject_kind, r.subject_id) for r in batch}
    subjects = subjects_load(Scope(refs=frozenset(refs)))
    # Each message in its recipient's language (one query for the batch); what is missing is worded once
    # per language present in the batch, not once per reminder.
    languages = languages_of({r.recipient_id for r in batch})
    missing: dict[str, tuple[dict, dict]] = {}
    for language in sorted(set(languages.values())):
        with translation.override(language):
            missing[language] = (
                missing_for_delegations({pk for kind, pk in refs if kind == "delegation"}),
                missing_for_events({pk for kind, pk in refs if kind == "event"}),
            )
    mail = get_connection(fail_silently=False)
    with contextlib.suppress(*MAIL_ERRORS):
        mail.open()  # one connection for the batch; if it cannot open, each send says why and is retried
    try:
        for reminder in batch:
            language = languages[reminder.recipient_id]
            outcome = _send_one(reminder, language, clock, mail, subjects, *missing[language])
            result.outcomes[outcome] += 1
    finally:
        with contextlib.suppress(*MAIL_ERRORS):
            mail.close()
    result.outcomes = +result.outcomes
    return result


def _send_one(reminder, language, clock, mail, subjects, missing_delegations, missing_events) -> str:
    mine = Reminder.objects.select_for_update(skip_locked=True).filter(
        pk=reminder.pk, status=Reminder.Status.QUEUED, queued_at=reminder.queued_at
    )
    try:
        with transaction.atomic():
            fresh = mine.values("due_at", "anchor_at", "about").first()
            if fresh is None:
                # Sent already, moved back to pending, claimed again by a newer sweep, or being sent by
                # another worker this very moment: not this task's to send.
                return "not ours"
            # The row as it is now (a sync may have moved it since the batch was read).
            reminder.due_at, reminder.anchor_at, reminder.about = fresh["due_at"], fresh["anchor_at"], fresh["about"]
            try:
                with translation.override(language):
                    title, body = _compose(reminder, subjects, missing_delegations, missing_events)
            except _Skip as reason:
                mine.update(status=Reminder.Status.SKIPPED, last_error=f"Not sent: {reason}.")
                return "skipped"
            except TemplateProblem as exc:
                mine.update(status=Reminder.Status.FAILED, last_error=str(exc), attempts=F("attempts") + 1)
                log.warning("reminder %s failed: %s", reminder.pk, exc)
                return "failed"
            _deliver(reminder, title, body, mail)
            now = clock()
            late_before = now - dt.timedelta(minutes=settings.PLANNER_REMINDER_LATE_AFTER_MINUTES)
            mine.update(
                status=Reminder.Status.SENT,
                sent_at=now,
                title=title,
                body=body,
                attempts=F("attempts") + 1,
                last_error="",
                late=Case(When(due_at__lt=late_before, then=True), default=F("late")),
            )
            return "sent"
    except MAIL_ERRORS as exc:
        return _mail_failed(reminder, clock(), exc, mail)
    except _Undeliverable as exc:
        return _failed(reminder, str(exc))
    except ValueError as exc:  # BadHeaderError and friends: what we would put in the mail is not valid there
        problem = (
            f"The mail could not be made ({type(exc).__name__}: {exc}). Check {reminder.recipient.username}'s "
            "email address, then select this reminder and choose “Retry”."
        )
        return _failed(reminder, problem)
    except Exception as exc:
        # Whatever else goes wrong with one reminder (bad data, a bug) fails that reminder, visibly, and the
        # batch goes on; left queued, it would block its batch again at every hand-out.
        log.exception("reminder %s could not be sent", reminder.pk)
        return _failed(
            reminder, f"Could not be sent ({type(exc).__name__}: {exc}). Report this to the planner's admins."
        )


class _Undeliverable(Exception):
    pass


def _deliver(reminder: Reminder, title: str, body: str, mail) -> None:
    user, rule = reminder.recipient, reminder.rule
    by_email = rule.by_email if rule else True
    in_inbox = rule.in_inbox if rule else True
    if not in_inbox and not (by_email and user.email):
        raise _Undeliverable(
            f"{user.username} has no email address and the rule sends by email only. Add an address to the "
            "account, or tick “in inbox” on the rule, then select this reminder and choose “Retry”."
        )
    if in_inbox:
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=user,
                    topic=f"reminder:{reminder.pk}",
                    title=title[:NOTICE_TITLE_LENGTH],
                    body=body,
                    link=_link(reminder),
                )
            ],
            ignore_conflicts=True,
        )
    if by_email and user.email:
        message = EmailMessage(title, body, None, [user.email], headers={"Message-ID": _message_id(reminder)})
        mail.send_messages([message])


def _failed(reminder: Reminder, error: str) -> str:
    updated = Reminder.objects.filter(
        pk=reminder.pk, status=Reminder.Status.QUEUED, queued_at=reminder.queued_at
    ).update(status=Reminder.Status.FAILED, last_error=error, attempts=F("attempts") + 1)
    return "failed" if updated else "not ours"


def _mail_failed(reminder: Reminder, now: dt.datetime, exc: Exception, mail) -> str:
    """The mail server refused or was unreachable: try again later, with a doubling wait, up to the limit."""
    with contextlib.suppress(*MAIL_ERRORS):
        mail.close()  # the next message opens a fresh connection
    with transaction.atomic():
        row = (
            Reminder.objects.select_for_update()
            .filter(pk=reminder.pk, status=Reminder.Status.QUEUED, queued_at=reminder.queued_at)
            .values("attempts")
            .first()
        )
        if row is None:
            return "not ours"
        attempts, limit = row["attempts"] + 1, settings.PLANNER_REMINDER_MAX_ATTEMPTS
        if attempts >= limit:
            Reminder.objects.filter(pk=reminder.pk).update(
                status=Reminder.Status.FAILED,
                attempts=attempts,
                last_error=f"Mail failed {attempts} times; sending stopped. Last error: {exc}. Check the mail "
                "server (EMAIL_* settings) and the address, then select this reminder and choose “Retry”.",
            )
            log.warning("reminder %s failed for good after %d attempts: %s", reminder.pk, attempts, exc)
            return "failed"
        wait = dt.timedelta(seconds=settings.PLANNER_REMINDER_RETRY_SECONDS * 2 ** (attempts - 1))
        Reminder.objects.filter(pk=reminder.pk).update(
            status=Reminder.Status.PENDING,
            attempts=attempts,
            last_error=f"Mail failed (attempt {attempts} of {limit}; next try {fmt(now + wait)}): {exc}",
            retry_at=now + wait,
            queued_at=None,
        )
        return "retrying"


def reminders_retry(*, queryset, by) -> int:
    """Staff put failed reminders back in line (after fixing a template or an address). Audited."""
    with transaction.atomic():
        # Lock the rows themselves: the admin's queryset joins nullable relations, which FOR UPDATE refuses.
        pks = list(queryset.values_list("pk", flat=True))
        failed = list(Reminder.objects.select_for_update().filter(pk__in=pks, status=Reminder.Status.FAILED))
        count = Reminder.objects.filter(pk__in=[r.pk for r in failed], status=Reminder.Status.FAILED).update(
            status=Reminder.Status.PENDING, retry_at=None, attempts=0, queued_at=None
        )
        audit_log_many(
            [
                audit_entry(
                    action="reminders.reminder.retried",
                    instance=r,
                    by=by,
                    changes={"status": ["failed", "pending"]},
                )
                for r in failed
            ]
        )
    return count
