"""Running the clash engine against the database and keeping `Conflict` records in step with it.

- `gather()` collects every app's commitments and the facts the checks need in a fixed number of queries (7);
  `gather_for_scan()`, what the checks below call, the same in 5 on PostgreSQL.
- `conflicts_check_all()` is the full scan (beat, `check_conflicts`); `conflicts_check_changes(keys)` the
  scoped re-check after writes: it sweeps only the resources the changed objects touch, now or before.
- `conflicts_sync()` stores what was found: new clashes are created (and errors notified), known ones
  updated, vanished ones resolved, returning ones reopened. Acknowledgements survive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CharField, DateTimeField, F, IntegerField, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from asemplanner.domain.audit import Actor, audit_entry, audit_log_many, instance_save
from asemplanner.i18n import local_digits
from asemplanner.refs import Ref
from delegations.domain.people import people_index
from events.domain.conflicts import Clash, Commitment, Facts, OutageFacts, Severity, find_clashes
from events.models import Conflict, Event, RoomOutage, TransferTime
from planning.domain.commitments import (
    bilateral_commitments,
    session_commitments,
    session_commitments_flat,
    task_commitments,
)
from planning.domain.localized import notify_roles_each_language

ENGINE = "conflict-engine"
OPEN_STATES = (Conflict.Status.OPEN, Conflict.Status.ACKNOWLEDGED)
SYNCED_FIELDS = [
    "kind",
    "severity",
    "event_id",
    "resource",
    "resource_label",
    "first",
    "second",
    "message",
    "message_args",
    "starts_at",
]

# Who hears about a new error, by the kind of clash.
RESPONSIBLE: dict[str, list[str]] = {  # Kind members are the str values Conflict.kind holds
    Conflict.Kind.ROOM_DOUBLE_BOOKED: ["logistics"],
    Conflict.Kind.OVER_CAPACITY: ["logistics"],
    Conflict.Kind.OUTSIDE_OPENING_HOURS: ["logistics"],
    Conflict.Kind.OUTSIDE_EVENT_DATES: ["logistics", "admin"],
    Conflict.Kind.PERSON_DOUBLE_BOOKED: ["protocol"],
    Conflict.Kind.HEAD_DOUBLE_BOOKED: ["protocol", "security"],
    Conflict.Kind.TRANSFER_TOO_SHORT: ["protocol", "security"],
    Conflict.Kind.BEFORE_ARRIVAL: ["protocol"],
    Conflict.Kind.AFTER_DEPARTURE: ["protocol"],
    Conflict.Kind.STAFF_DOUBLE_BOOKED: ["protocol"],
    Conflict.Kind.TEAM_DOUBLE_BOOKED: ["protocol", "logistics"],
    Conflict.Kind.VEHICLE_DOUBLE_BOOKED: ["protocol", "security"],
    Conflict.Kind.ROOM_OUT_OF_SERVICE: ["logistics", "protocol"],
}


def buffer_minutes() -> int:
    return settings.PLANNER_PROTOCOL_BUFFER_MINUTES


def gather() -> tuple[list[Commitment], Facts]:
    """All commitments and the facts the checks need, in 7 queries whatever the data size: people and
    accreditations, sessions and their named attendees, bilaterals, tasks, and the venues' facts (transfer times
    and the rooms out of service, in one query). Rooms, venues, events, teams and staff names are read along
    with the commitments that use them."""
    return _gather(flat=False)


def gather_for_scan() -> tuple[list[Commitment], Facts]:
    """`gather()` for the conflict checks: on PostgreSQL in 5 queries whatever the data size — the sessions
    bring their named attendees and their events' accreditations as arrays the database aggregates
    (`session_commitments_flat`), so those 18,000 rows of a summit are not read one by one. The same
    commitments and facts as `gather()`, which stays the reference (and the path on SQLite)."""
    return _gather(flat=connection.vendor == "postgresql")


def _gather(*, flat: bool) -> tuple[list[Commitment], Facts]:
    people = people_index(accreditations=not flat)  # 1 query flat, 2 otherwise
    transfer_minutes, outages = venue_facts()  # 1
    facts = Facts(
        transfer_minutes=transfer_minutes,
        presence=people.presence,
        heads=people.heads,
        labels=dict(people.labels),
        buffer_minutes=buffer_minutes(),
        tz=timezone.get_current_timezone(),
    )
    _learn_room_labels(facts, outages)
    facts.outages = outages
    commitments = [
        *(session_commitments_flat if flat else session_commitments)(people, facts),  # 1 flat, 2 otherwise
        *bilateral_commitments(people, facts),  # 1
        *task_commitments(facts),  # 1
    ]
    return commitments, facts


_UNION_COLUMNS = ("kind", "a", "b", "minutes_", "start_", "end_", "reason_", "room_name", "venue_short", "venue_name")


def venue_facts() -> tuple[dict[tuple[int, int], int], dict[int, list[OutageFacts]]]:
    """The transfer minutes between venues and the active outages by room, in one query (a UNION ALL of the two
    tables: both are small, and the scan's query count stays where it was before rooms could be lost)."""
    text: CharField[str, str] = CharField()
    transfers = (
        TransferTime.objects.order_by()
        .annotate(
            kind=Value("t", output_field=text),
            a=F("from_venue_id"),
            b=F("to_venue_id"),
            # The names differ from the model's fields: an annotation may not shadow one.
            minutes_=F("minutes"),
            start_=Value(None, output_field=DateTimeField()),
            end_=Value(None, output_field=DateTimeField()),
            reason_=Value("", output_field=text),
            room_name=Value("", output_field=text),
            venue_short=Value("", output_field=text),
            venue_name=Value("", output_field=text),
        )
        .values_list(*_UNION_COLUMNS)
    )
    outages_rows = (
        RoomOutage.objects.filter(lifted_at__isnull=True)
        .order_by()
        .annotate(
            kind=Value("o", output_field=text),
            a=F("id"),
            b=F("room_id"),
            minutes_=Value(None, output_field=IntegerField()),
            start_=F("start"),
            end_=F("end"),
            reason_=F("reason"),
            room_name=F("room__name"),
            venue_short=F("room__venue__short_name"),
            venue_name=F("room__venue__name"),
        )
        .values_list(*_UNION_COLUMNS)
    )
    transfer_minutes: dict[tuple[int, int], int] = {}
    outages: dict[int, list[OutageFacts]] = {}
    found = []
    for kind, a, b, minutes, start, end, reason, name, venue_short, venue_name in transfers.union(
        outages_rows, all=True
    ):
        if kind == "t":
            transfer_minutes[a, b] = minutes
        else:
            found.append(OutageFacts(a, b, start, end, reason, f"{venue_short or venue_name} · {name}"))
    for outage in sorted(found, key=lambda o: (o.start, o.pk)):
        outages.setdefault(outage.room_id, []).append(outage)
    return transfer_minutes, outages


def _learn_room_labels(facts: Facts, outages: dict[int, list[OutageFacts]]) -> None:
    for room, theirs in outages.items():
        facts.labels.setdefault(f"room:{room}", theirs[0].room_label)


@dataclass
class CheckResult:
    found: int = 0
    created: list[Conflict] = field(default_factory=list)
    reopened: int = 0
    resolved: int = 0
    scope: set[str] | None = None

    def summary(self) -> str:
        where = "all resources" if self.scope is None else f"{len(self.scope)} resource(s)"
        return (
            f"checked {where}: {self.found} clash(es), {len(self.created)} new, "
            f"{self.reopened} reopened, {self.resolved} resolved"
        )


def conflicts_sync(
    clashes: list[Clash], facts: Facts, *, scope: set[str] | None, event_id: int | None = None
) -> CheckResult:
    """Bring the Conflict table in line with what was found, within `scope` (None = every resource) and,
    with `event_id`, within that event only (a person's clashes at another event are left alone)."""
    now = timezone.now()
    found = {clash.fingerprint: clash for clash in clashes}
    result = CheckResult(found=len(found), scope=scope)
    with transaction.atomic():
        known = {c.fingerprint: c for c in Conflict.objects.select_for_update().filter(fingerprint__in=list(found))}
        new, changed = [], []
        for fingerprint, clash in found.items():
            conflict = known.get(fingerprint)
            values = {
                "kind": clash.kind.value,
                "severity": clash.severity.value,
                "event_id": clash.event_id,
                "resource": clash.resource,
                "resource_label": facts.label(clash.resource)[:200],
                "first": clash.first,
                "second": clash.second,
                "message": clash.message,
                "message_args": clash.message_payload,  # the message in each reader's language
                "starts_at": clash.starts_at,
            }
            if conflict is None:
                new.append(Conflict(fingerprint=fingerprint, first_seen=now, last_seen=now, **values))
                continue
            for name, value in values.items():
                setattr(conflict, name, value)
            conflict.last_seen = now
            if conflict.status == Conflict.Status.RESOLVED:
                conflict.status, conflict.resolved_at = Conflict.Status.OPEN, None
                result.reopened += 1
            changed.append(conflict)
        # Two checks racing may both see a clash as new; the unique fingerprint keeps one row.
        Conflict.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
        if changed:
            Conflict.objects.bulk_update(
                changed, [*SYNCED_FIELDS, "last_seen", "status", "resolved_at"], batch_size=500
            )
        gone = Conflict.objects.filter(status__in=OPEN_STATES).exclude(fingerprint__in=list(found))
        if scope is not None:
            gone = gone.filter(resource__in=scope)
        if event_id is not None:
            gone = gone.filter(event_id=event_id)
        gone_rows = list(gone)
        result.resolved = gone.update(status=Conflict.Status.RESOLVED, resolved_at=now)
        created = list(Conflict.objects.filter(fingerprint__in=[c.fingerprint for c in new], first_seen=now))
        result.created = created
        audit_log_many(
            [audit_entry(action="events.conflict.found", instance=c, by=ENGINE, changes={}) for c in created]
            + [
                audit_entry(
                    action="events.conflict.resolved", instance=c, by=ENGINE, changes={"status": [c.status, "resolved"]}
                )
                for c in gone_rows
            ]
        )
        errors = [c for c in created if c.severity == Severity.ERROR]
        if errors:
            transaction.on_commit(lambda: _notify(errors))
    return result


# Above this many new errors for one role in one check, the role gets one digest instead of a notice each: a
# postponement that leaves hundreds of arrivals outside the new dates must not bury the inbox.
DIGEST_AFTER = 5


def _notify(conflicts: list[Conflict]) -> None:
    by_role: dict[str, list[Conflict]] = {}
    for conflict in conflicts:
        for role in RESPONSIBLE.get(conflict.kind, ["admin"]):
            by_role.setdefault(role, []).append(conflict)
    for role, theirs in by_role.items():
        if len(theirs) > DIGEST_AFTER:
            _notify_digest(role, theirs)
            continue
        for conflict in theirs:
            notify_roles_each_language(
                roles=[role],
                topic=f"conflict:{conflict.fingerprint}",
                render=partial(_notice, conflict),
                link=f"/admin/events/conflict/{conflict.pk}/change/",
            )


def _notice(conflict: Conflict) -> tuple[str, str]:
    """A new clash's notice (title, body) in the active language: the recipient's."""
    title = _("New clash: %(kind)s — %(resource)s") % {
        "kind": conflict.get_kind_display(),
        "resource": conflict.resource_label,
    }
    return title[:200], conflict.message


def _notify_digest(role: str, conflicts: list[Conflict]) -> None:
    fingerprints = "|".join(sorted(c.fingerprint for c in conflicts))

    def render() -> tuple[str, str]:
        kinds: dict[str, int] = {}
        for conflict in conflicts:
            kinds[str(conflict.get_kind_display())] = kinds.get(str(conflict.get_kind_display()), 0) + 1
        lines = [
            _("- %(count)s × %(kind)s") % {"count": local_digits(n), "kind": kind}
            for kind, n in sorted(kinds.items(), key=lambda item: -item[1])
        ]
        lines += ["", _("The first of them:"), *(f"- {c.message}" for c in conflicts[:DIGEST_AFTER])]
        title = ngettext(
            "%(count)s new clashes after one change", "%(count)s new clashes after one change", len(conflicts)
        ) % {"count": local_digits(len(conflicts))}
        return title, "\n".join(lines)

    notify_roles_each_language(
        roles=[role],
        topic=f"conflicts:{hashlib.sha256(fingerprints.encode()).hexdigest()[:24]}",
        render=render,
        link="/admin/events/conflict/?status__exact=open",
    )


def conflicts_check_all(*, event: Event | None = None) -> tuple[CheckResult, list[Clash]]:
    """The full scan; with `event`, the clashes of that event only (its records are synced, others untouched)."""
    commitments, facts = gather_for_scan()
    clashes = find_clashes(commitments, facts)
    if event is None:
        return conflicts_sync(clashes, facts, scope=None), clashes
    clashes = [c for c in clashes if c.event_id == event.pk]
    return conflicts_sync(clashes, facts, scope=None, event_id=event.pk), clashes


def affected_resources(keys: Iterable[str], commitments: list[Commitment]) -> set[str]:
    """The resources a set of changed objects touches now, plus those of clashes they were part of."""
    keys = set(keys)
    refs = [Ref.parse(k) for k in keys]
    persons = {r.pk for r in refs if r.kind == "person"}
    rooms = {r.pk for r in refs if r.kind == "room"}
    events = {r.pk for r in refs if r.kind == "event"}
    scope = {f"person:{p}" for p in persons} | {f"room:{r}" for r in rooms} | {f"event:{e}" for e in events}
    for commitment in commitments:
        if commitment.key in keys or commitment.event_id in events:
            scope.update(commitment.resources())
            if commitment.event_id is not None:
                scope.add(f"event:{commitment.event_id}")
    before = Conflict.objects.filter(status__in=OPEN_STATES).filter(Q(first__in=keys) | Q(second__in=keys))
    scope.update(before.values_list("resource", flat=True))
    return scope


def conflicts_check_changes(keys: Iterable[str]) -> CheckResult:
    """The scoped re-check after writes: sweep only the resources the changed objects touch."""
    commitments, facts = gather_for_scan()
    scope = affected_resources(keys, commitments)
    if not scope:
        return CheckResult(scope=scope)
    clashes = find_clashes(commitments, facts, resources=scope)
    return conflicts_sync(clashes, facts, scope=scope)


def conflict_acknowledge(*, conflict: Conflict, reason: str, by: Actor) -> Conflict:
    """Staff accept a clash knowingly (e.g. the leader leaves the plenary early). A reason is required."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"acknowledge_reason": _("Say why this clash is acceptable; the reason is kept on record.")}
        )
    if conflict.status == Conflict.Status.RESOLVED:
        raise ValidationError({"status": _("This clash is already resolved; there is nothing to acknowledge.")})
    conflict.status = Conflict.Status.ACKNOWLEDGED
    conflict.acknowledge_reason = reason
    conflict.acknowledged_at = timezone.now()
    conflict.acknowledged_by = by if not isinstance(by, str) else None
    instance_save(instance=conflict, by=by, action="events.conflict.acknowledged")
    return conflict


def conflict_resolve(*, conflict: Conflict, by: Actor) -> Conflict:
    """Mark a clash resolved by hand; the next check reopens it if it is still there."""
    conflict.status = Conflict.Status.RESOLVED
    conflict.resolved_at = timezone.now()
    instance_save(instance=conflict, by=by, action="events.conflict.resolved")
    return conflict


def as_json(clash: Clash, facts_labels: dict[str, str] | None = None) -> dict[str, object]:
    return {
        "kind": clash.kind.value,
        "severity": clash.severity.value,
        "resource": clash.resource,
        "resource_label": (facts_labels or {}).get(clash.resource, clash.resource),
        "first": clash.first,
        "second": clash.second or None,
        "starts_at": clash.starts_at.isoformat() if isinstance(clash.starts_at, dt.datetime) else None,
        "message": clash.message,
        "fingerprint": clash.fingerprint,
    }
