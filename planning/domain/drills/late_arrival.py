"""Drill: a principal lands late: disruption record, background re-plan, publish."""

from __future__ import annotations

from planning.domain.drills.base import DrillNotBuilt, DrillReport


def drill() -> DrillReport:
    raise DrillNotBuilt("not built yet")
