"""The timelines' shared pieces: the 06:00–24:00 local axis, lanes for overlapping bars, open clashes by key.

Bars sit on a 06:00–24:00 local axis (the summit's working day); anything outside it is clipped to the
edge and says so, rather than vanishing.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Conflict

AXIS_START = dt.time(6, 0)
AXIS_HOURS = 18  # 06:00 to midnight
MIN_WIDTH = 0.6  # percent: a five-minute item stays visible and clickable
OPEN_STATES = (Conflict.Status.OPEN, Conflict.Status.ACKNOWLEDGED)

Link = Callable[[str], str]
"""Maps a key ("session:12", "room:3", "team:4", "person:40") to its admin page, or "" when there is none
the user may open. Views supply it; the domain never builds URLs."""


def no_link(key: str) -> str:
    return ""


@dataclass(frozen=True)
class Tick:
    label: str
    left: float


@dataclass(frozen=True)
class Axis:
    """The 06:00–24:00 local window of one day, mapping instants to percentages of its width."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def for_day(cls, day: dt.date) -> Axis:
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(day, AXIS_START, tzinfo=tz)
        return cls(start=start, end=start + dt.timedelta(hours=AXIS_HOURS))

    @property
    def ticks(self) -> list[Tick]:
        return [Tick(label=f"{AXIS_START.hour + h:02d}", left=100 * h / AXIS_HOURS) for h in range(AXIS_HOURS + 1)]

    def place(self, start: dt.datetime, end: dt.datetime) -> tuple[float, float, bool]:
        """(left %, width %, clipped) for `[start, end)`; clipped when part of it lies off the axis."""
        total = (self.end - self.start).total_seconds()
        shown_start, shown_end = max(start, self.start), min(end, self.end)
        if shown_end <= shown_start:  # wholly before 06:00: a sliver at the left edge
            return 0.0, MIN_WIDTH, True
        left = 100 * (shown_start - self.start).total_seconds() / total
        width = max(100 * (shown_end - shown_start).total_seconds() / total, MIN_WIDTH)
        return min(left, 100 - width), width, (shown_start, shown_end) != (start, end)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """`[day 00:00, next day 00:00)` local: what "that day" means for intersecting commitments."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


@dataclass(frozen=True)
class OpenClash:
    """An open or acknowledged `Conflict`, as the timelines show it."""

    pk: int
    kind: str
    severity: str  # "error" | "warning"
    status: str
    resource: str
    resource_label: str
    first: str
    second: str
    message: str
    starts_at: dt.datetime | None
    url: str = ""

    @classmethod
    def of(cls, conflict: Conflict, link: Link = no_link) -> OpenClash:
        return cls(
            pk=conflict.pk,
            kind=conflict.get_kind_display(),
            severity=conflict.severity,
            status=conflict.status,
            resource=conflict.resource,
            resource_label=conflict.resource_label,
            first=conflict.first,
            second=conflict.second,
            message=conflict.display_message,
            starts_at=timezone.localtime(conflict.starts_at) if conflict.starts_at else None,
            url=link(f"conflict:{conflict.pk}"),
        )

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k in (self.first, self.second) if k)

    @property
    def acknowledged(self) -> bool:
        return self.status == Conflict.Status.ACKNOWLEDGED


def worst(clashes: Iterable[OpenClash]) -> str:
    """The severity a bar or row is drawn with: "error", "warning" or ""."""
    severities = {c.severity for c in clashes}
    if Conflict.Severity.ERROR in severities:
        return "error"
    return "warning" if severities else ""


def marker(severity: str) -> str:
    """The text that says what the red or amber outline says, for readers who cannot see colour."""
    return {"error": _("⚠ clash"), "warning": _("⚠ warning")}.get(severity, "")


def open_clashes(*, keys: Iterable[str] = (), resource: str = "", link: Link = no_link) -> list[OpenClash]:
    """Open or acknowledged conflicts naming one of `keys` as first or second, or on `resource` (one query)."""
    wanted = sorted(set(keys))
    conditions = [Q(first__in=wanted), Q(second__in=wanted)] if wanted else []
    if resource:
        conditions.append(Q(resource=resource))
    if not conditions:
        return []
    condition = reduce(operator.or_, conditions)
    rows = Conflict.objects.filter(status__in=OPEN_STATES).filter(condition).order_by("severity", "starts_at", "pk")
    return [OpenClash.of(c, link) for c in rows]


def clashes_by_key(clashes: Iterable[OpenClash]) -> dict[str, list[OpenClash]]:
    by_key: dict[str, list[OpenClash]] = defaultdict(list)
    for clash in clashes:
        for key in clash.keys:
            by_key[key].append(clash)
    return by_key


def lanes(spans: Sequence[tuple[dt.datetime, dt.datetime]]) -> tuple[list[int], int]:
    """A lane per span so overlapping spans (a double booking) sit one under the other; and how many lanes."""
    ends: list[dt.datetime] = []  # the end of the last span in each lane
    assigned = [0] * len(spans)
    for index in sorted(range(len(spans)), key=lambda i: (spans[i][0], spans[i][1])):
        start, end = spans[index]
        lane = next((n for n, lane_end in enumerate(ends) if lane_end <= start), len(ends))
        if lane == len(ends):
            ends.append(end)
        else:
            ends[lane] = end
        assigned[index] = lane
    return assigned, max(len(ends), 1)
