"""Drills: the bad day rehearsed on the seeded summit, through the same domain functions staff use in the admin.

Each drill takes the staff action (postpone the summit, a principal's flight lands late, a room is lost, a
short-notice bilateral), lets the follow-ups run (Celery eager: the drill is its own worker), accepts the
proposed fix as staff would, and reports:

- what moved, who was told (liaisons, one notice each, no duplicates) and which staff were alerted;
- the seconds from the staff action to a consistent state (the fix published, the clashes re-checked);
- the clashes the engine finds that have no open record (`unflagged`): a drill passes with none.

`manage.py drill NAME` runs one on a copy of the seeded summit (planning/management/commands/drill.py); the
tests in tests/planning/test_drills.py run each against a freshly seeded test database and assert the same.
This module holds what the drills share; each drill is a module of this package with a `drill()` function.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from celery import current_app
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Max

from asemplanner.models import Notification
from delegations.models import Delegation
from events.domain.conflicts import find_clashes
from events.models import Conflict, Event
from planning.domain.conflict_checks import OPEN_STATES, gather
from planning.domain.conflict_triggers import SCHEDULED_FLAG

DRILL_ACTOR = "drill"
NOT_SEEDED = "Seed the summit first (manage.py seed_asem13)."


@dataclass
class DrillReport:
    name: str
    action: str = ""  # what staff did, in a sentence
    moved: list[str] = field(default_factory=list)  # "“Plenary” Palace · Hall → Sokha · Ballroom", …
    told: Counter[str] = field(default_factory=Counter)  # liaison username → notices during the drill
    staff_told: Counter[str] = field(default_factory=Counter)  # staff username → notices during the drill
    expected: set[str] = field(default_factory=set)  # the liaisons the drill should reach
    seconds: float = 0.0  # from the staff action to a consistent state
    unflagged: list[str] = field(default_factory=list)  # clashes without an open Conflict record
    notes: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> dict[str, int]:
        return {user: n for user, n in sorted(self.told.items()) if n > 1}

    @property
    def ok(self) -> bool:
        # A drill that moved nothing rehearsed nothing (no seed, or the staff action was refused): not a pass.
        return bool(self.moved) and not self.unflagged and not self.duplicates and set(self.told) == self.expected

    def lines(self) -> list[str]:
        out = [f"Drill {self.name}: {self.action}"]
        out.append(f"Moved ({len(self.moved)}):")
        out += [f"  - {line}" for line in self.moved] or ["  (nothing)"]
        out.append(f"Liaisons told ({len(self.told)}, one notice each expected):")
        out += [f"  - {user}: {n} notice(s)" for user, n in sorted(self.told.items())] or ["  (nobody)"]
        missing, extra = sorted(self.expected - set(self.told)), sorted(set(self.told) - self.expected)
        if missing:
            out.append(f"  NOT told although affected: {', '.join(missing)}")
        if extra:
            out.append(f"  told although not affected: {', '.join(extra)}")
        out.append(f"Staff alerted: {len(self.staff_told)} ({sum(self.staff_told.values())} notice(s))")
        out += [f"Note: {note}" for note in self.notes]
        out.append(f"Unflagged clashes: {len(self.unflagged)}")
        out += [f"  - {line}" for line in self.unflagged[:10]]
        out.append(f"Staff action to consistent state: {self.seconds:.2f} s")
        out.append("Result: " + ("OK" if self.ok else "FAILED"))
        return out

    def as_json(self) -> dict[str, object]:
        return {
            "drill": self.name,
            "moved": len(self.moved),
            "liaisons_told": len(self.told),
            "duplicates": len(self.duplicates),
            "staff_alerted": len(self.staff_told),
            "unflagged": len(self.unflagged),
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
        }


def seeded_summit() -> Event | None:
    """ASEM13, the seeded summit every drill rehearses on (None when the database holds no seed)."""
    return Event.objects.filter(kind=Event.Kind.SUMMIT, parent__isnull=True, acronym="ASEM13").first()


def liaison_usernames(delegations: Iterable[int | Delegation]) -> set[str]:
    """The active liaison officers of these delegations: whom a drill expects to reach."""
    return set(
        get_user_model()
        .objects.filter(liaison_delegations__in=list(delegations), is_active=True, is_staff=False)
        .values_list("username", flat=True)
    )


def unflagged_clashes() -> list[str]:
    """The clashes the engine finds now that have no open (or acknowledged) Conflict record."""
    commitments, facts = gather()
    flagged = set(Conflict.objects.filter(status__in=OPEN_STATES).values_list("fingerprint", flat=True))
    return [clash.message for clash in find_clashes(commitments, facts) if clash.fingerprint not in flagged]


@contextmanager
def eager_tasks() -> Iterator[None]:
    """Run enqueued tasks in this process: the drill is its own worker, so it knows when the follow-ups end."""
    conf = current_app.conf
    previous = conf.task_always_eager
    conf.task_always_eager = True
    # A debounce flag left by an earlier, queued check would make this process skip its own (eager) check.
    cache.delete(SCHEDULED_FLAG)
    try:
        yield
    finally:
        conf.task_always_eager = previous


class Watch:
    """Notices and time from the staff action on."""

    def __init__(self) -> None:
        self.mark = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
        self.began = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.began

    def collect(self, report: DrillReport) -> DrillReport:
        report.seconds = self.seconds()
        for username, is_staff in Notification.objects.filter(pk__gt=self.mark).values_list(
            "recipient__username", "recipient__is_staff"
        ):
            (report.staff_told if is_staff else report.told)[username] += 1
        report.unflagged = unflagged_clashes()
        return report


class DrillNotBuilt(Exception):
    """The drill's scenario is not built yet."""
