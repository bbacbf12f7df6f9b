"""Drill: a short-notice bilateral placed without moving published meetings."""

from __future__ import annotations

from planning.domain.drills.base import DrillNotBuilt, DrillReport


def drill() -> DrillReport:
    raise DrillNotBuilt("not built yet")
