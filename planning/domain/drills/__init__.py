"""The four drills of the bad day (docs/summit-day.md); what they share is in `base`."""

from __future__ import annotations

from collections.abc import Callable

from planning.domain.drills import late_arrival, postpone, room_lost, short_notice
from planning.domain.drills.base import DrillReport, eager_tasks

DRILLS: dict[str, Callable[[], DrillReport]] = {
    "postpone": postpone.drill,
    "late-arrival": late_arrival.drill,
    "room-lost": room_lost.drill,
    "short-notice": short_notice.drill,
}


def drill_run(name: str) -> DrillReport:
    """Run one drill against the current database (a copy of the seeded summit, or a test database)."""
    if name not in DRILLS:
        raise ValueError(f"Unknown drill {name!r}; choose one of {', '.join(DRILLS)}.")
    with eager_tasks():
        return DRILLS[name]()
