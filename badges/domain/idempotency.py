"""Idempotent station writes: each (token, Idempotency-Key) runs once; a repeat gets the first answer.

The API reads the key and fingerprints the request (badges/api/idempotency.py); this module claims the key in
the database, so two retries racing each other, or a worker that died mid-request, never print twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from badges.models import DeviceToken, IdempotencyRecord

# A first attempt that never finished (its worker died) is taken over after this, so a retry with the same key
# does not meet 409 for ever.
STALLED_AFTER = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Replay:
    """The first attempt's answer, to give again."""

    status_code: int
    body: Any


@dataclass(frozen=True)
class Refusal:
    """This attempt may not run: the key is busy (409) or was used for another request (422)."""

    status_code: int
    code: str
    message: str | Promise  # lazy: in the language of the request it answers (str() it before it leaves as JSON)


REUSED = Refusal(
    422,
    "idempotency_key_reused",
    gettext_lazy("This Idempotency-Key was used for a different request; use a new key."),
)
RUNNING = Refusal(
    409,
    "request_in_progress",
    gettext_lazy("A request with this Idempotency-Key is still running; retry in a few seconds."),
)
BUSY = Refusal(409, "request_in_progress", gettext_lazy("This Idempotency-Key is busy; retry in a few seconds."))


def idempotency_claim(*, token: DeviceToken, key: str, fingerprint: str) -> IdempotencyRecord | Replay | Refusal:
    """The record this request may fill in (it runs), or the answer to give instead."""
    for _ in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(token=token, key=key, fingerprint=fingerprint)
        except IntegrityError:
            pass
        first = IdempotencyRecord.objects.filter(token=token, key=key).first()
        if first is None:
            continue  # the first attempt failed and let its key go between our insert and this read: try again
        if first.fingerprint != fingerprint:
            return REUSED
        if first.status_code is not None:
            return Replay(first.status_code, first.body)
        stalled = timezone.now() - first.created_at > STALLED_AFTER
        if not (stalled and IdempotencyRecord.objects.filter(pk=first.pk, status_code__isnull=True).delete()[0]):
            return RUNNING
    return BUSY


def idempotency_finish(*, record: IdempotencyRecord, status_code: int, body: Any) -> None:
    """Keep the answer for the repeats."""
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status_code, body=body)


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """A server fault is not an answer to replay: let the retry run it again."""
    record.delete()
