"""Drill: a room is out of service: impact, relocation proposal, accept."""

from __future__ import annotations

from planning.domain.drills.base import DrillNotBuilt, DrillReport


def drill() -> DrillReport:
    raise DrillNotBuilt("not built yet")
