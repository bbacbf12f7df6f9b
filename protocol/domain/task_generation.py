"""Protocol tasks generated from travel data and the bilateral schedule (see docs/protocol-tasks.md).

For each principal of an event (the head of each delegation, and anyone ranked vice head of state or
government or above) with travel: an airport reception at arrival, a motorcade airport → hotel right after
it, a motorcade hotel → airport before departure and an airport farewell. For each placed bilateral: flags in
its venue before it starts, and interpretation when the two principals have no language in common.

Every generated task carries a `source_key` (`travel:<person>:reception`, `bilateral:<pk>:flags`, …), so a
re-run updates the task it made instead of adding a second. `ProtocolTask.generated` holds the values the
generator last wrote: a field whose current value differs from it was changed by hand and is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from asemplanner.choices import Rank
from asemplanner.domain.audit import Actor, audit_entry, audit_log_many, diff, instances_create, snapshot
from asemplanner.domain.changes import Change, Route, Routes, everything, itself, on_commit_batch, route_keys, via
from asemplanner.domain.queue import enqueue_on_commit
from asemplanner.refs import ALL, Ref
from delegations.models import Delegation, Person, Travel
from events.models import Event, TransferTime
from protocol.models import BilateralMeeting, ProtocolTask, Team

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "system:protocol-task-generation"
GENERATE_TASK = "protocol.generate_tasks"

# Who counts as a principal besides the head of delegation: anyone ranked at or above this.
PRINCIPAL_RANK = Rank.VICE

# Reception (and farewell) level by rank: (level, what it means for the reception party).
LEVELS: dict[int, tuple[str, str]] = {
    Rank.HEAD_OF_STATE: (
        "Minister-level, guard of honour",
        "Received at the aircraft by a Minister; guard of honour, red carpet, national anthems; VIP lounge.",
    ),
    Rank.HEAD_OF_GOVERNMENT: (
        "Minister-level",
        "Received at the aircraft by a Minister; red carpet, no guard of honour; VIP lounge.",
    ),
    Rank.VICE: (
        "Secretary of State-level",
        "Received at the aircraft by a Secretary of State; VIP lounge.",
    ),
}
DEFAULT_LEVEL = ("Senior official", "Received by a senior official of the Protocol Department; VIP lounge.")

# Times around the flights, in minutes (why: the party is in place before the aircraft is on stand, and a
# principal reaches the airport an hour before a state flight leaves).
RECEPTION_BEFORE, RECEPTION_AFTER = 30, 30
AT_AIRPORT_BEFORE_DEPARTURE = 60
FAREWELL_BEFORE = 60
FLAGS_BEFORE, FLAGS_MINUTES = 60, 30
DEFAULT_TRANSFER_MINUTES = 45

# Which kind of team does which kind of task.
TEAM_KIND: dict[str, str] = {
    ProtocolTask.Kind.AIRPORT_RECEPTION: Team.Kind.RECEPTION,
    ProtocolTask.Kind.AIRPORT_FAREWELL: Team.Kind.RECEPTION,
    ProtocolTask.Kind.MOTORCADE: Team.Kind.MOTORCADE,
    ProtocolTask.Kind.FLAGS: Team.Kind.PROTOCOL,
    ProtocolTask.Kind.INTERPRETATION: Team.Kind.INTERPRETATION,
}

# The fields the generator writes (and remembers in `generated`); `status` is handled on its own.
GENERATED_FIELDS = (
    "kind",
    "title",
    "start",
    "end",
    "venue_id",
    "destination_id",
    "team_id",
    "person_id",
    "delegation_id",
    "notes",
)
GENERATED_PREFIXES = ("travel:", "bilateral:")


@dataclass
class GenerationSummary:
    created: int = 0
    updated: int = 0
    moved: int = 0
    cancelled: int = 0
    reopened: int = 0
    kept_manual: int = 0  # fields left as staff set them

    def __str__(self) -> str:
        return _(
            "%(created)s created, %(updated)s updated (%(moved)s moved), %(cancelled)s cancelled, "
            "%(reopened)s reopened, %(kept)s hand-edited fields kept"
        ) % {
            "created": self.created,
            "updated": self.updated,
            "moved": self.moved,
            "cancelled": self.cancelled,
            "reopened": self.reopened,
            "kept": self.kept_manual,
        }


def _stored(value: Any) -> Any:
    """A field value as the `generated` snapshot keeps it: one text per instant, whatever its time zone."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def languages(person: Person | None) -> set[str]:
    """'fr, km' → {'fr', 'km'}; an empty field gives an empty set (not known)."""
    if person is None:
        return set()
    return {code for code in re.split(r"[\s,;/]+", person.languages.lower()) if code}


def needs_interpretation(a: Person | None, b: Person | None) -> bool:
    """Both languages known: needed when they share none. Only one known: needed when it lacks English
    (the other side is taken to work in English). Neither known: not generated."""
    first, second = languages(a), languages(b)
    if first and second:
        return not first & second
    known = first or second
    return bool(known) and "en" not in known


def level_for(person: Person) -> tuple[str, str]:
    return LEVELS.get(person.rank, DEFAULT_LEVEL)


def _principals(event: Event) -> list[Person]:
    return list(
        Person.objects.filter(delegation__event=event)
        .exclude(delegation__status=Delegation.Status.DECLINED)
        .filter(Q(rank__lte=PRINCIPAL_RANK) | Q(pk=F("delegation__head_id")))
        .select_related("delegation__partner", "travel__arrival_airport", "travel__departure_airport", "travel__hotel")
        .order_by("pk")
    )


def _team(teams: dict[str, list[Team]], kind: str, spread: int) -> int | None:
    """A team of the task's kind, picked by a hash of the person or meeting pk: the same task keeps its team
    from run to run (a new principal does not reshuffle the others), and principals spread over the teams.
    A plain `pk % n` would not spread: heads' pks step by their delegation's size."""
    candidates = teams.get(TEAM_KIND[kind], [])
    return candidates[zlib.crc32(str(spread).encode()) % len(candidates)].pk if candidates else None


def _desired(event: Event) -> dict[str, dict[str, Any]]:
    """source_key → the generated field values, for everything the event's data calls for now: the travel
    tasks of each principal, the tasks of each placed bilateral, then teams spread so none holds two at once."""
    teams = _teams_by_kind()
    principals = _principals(event)
    plan = _Desired(teams=teams, transfers=_transfer_minutes(principals))
    for person in principals:
        travel = getattr(person, "travel", None)
        if travel is not None:
            _travel_tasks(plan, person, travel)
    _bilateral_tasks(plan, event)
    _spread_without_overlap(plan.tasks, teams)
    return plan.tasks


def _teams_by_kind() -> dict[str, list[Team]]:
    teams: dict[str, list[Team]] = {}
    for team in Team.objects.filter(kind__in=set(TEAM_KIND.values())).order_by("name", "pk"):
        teams.setdefault(team.kind, []).append(team)
    return teams


def _transfer_minutes(principals: list[Person]) -> dict[tuple[int, int], int]:
    """The known transfer times between the principals' airports and hotels (one query)."""
    travels = [p.travel for p in principals if hasattr(p, "travel")]
    venue_ids = {v for t in travels for v in (t.arrival_airport_id, t.departure_airport_id, t.hotel_id) if v}
    return {
        (t.from_venue_id, t.to_venue_id): t.minutes
        for t in TransferTime.objects.filter(from_venue_id__in=venue_ids, to_venue_id__in=venue_ids)
    }


@dataclass
class _Desired:
    """The tasks the data calls for, by source key, as they are being worked out."""

    teams: dict[str, list[Team]]
    transfers: dict[tuple[int, int], int]
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, key: str, *, kind: str, spread: int, **values: Any) -> None:
        self.tasks[key] = {
            "kind": kind,
            "team_id": _team(self.teams, kind, spread),
            "destination_id": None,
            "person_id": None,
            "delegation_id": None,
            "notes": "",
            **values,
        }

    def transfer(self, origin: int, destination: int) -> tuple[int, str]:
        """Minutes by motorcade, and the note that says where they come from."""
        minutes = self.transfers.get((origin, destination))
        if minutes is None:
            return DEFAULT_TRANSFER_MINUTES, (
                f"No transfer time is known for this route: {DEFAULT_TRANSFER_MINUTES} minutes assumed. "
                "Add it under Events → Transfer times and generate again."
            )
        return minutes, f"Transfer time {minutes} minutes."


def _travel_tasks(plan: _Desired, person: Person, travel: Travel) -> None:
    """Reception and motorcade to the hotel at arrival; motorcade to the airport and farewell at departure."""
    who = f"{person} ({person.delegation.partner})"
    level, duty = level_for(person)
    common = {"person_id": person.pk, "delegation_id": person.delegation_id}
    if travel.arrival_at and travel.arrival_airport_id:
        flight = f" {travel.arrival_flight}" if travel.arrival_flight else ""
        plan.add(
            f"travel:{person.pk}:reception",
            kind=ProtocolTask.Kind.AIRPORT_RECEPTION,
            spread=person.pk,
            title=f"Airport reception ({level}): {who}"[:200],
            start=travel.arrival_at - dt.timedelta(minutes=RECEPTION_BEFORE),
            end=travel.arrival_at + dt.timedelta(minutes=RECEPTION_AFTER),
            venue_id=travel.arrival_airport_id,
            notes=f"Level: {level}. {duty} Arrival{flight} at {travel.arrival_airport}.",
            **common,
        )
        if travel.hotel_id:
            minutes, note = plan.transfer(travel.arrival_airport_id, travel.hotel_id)
            start = travel.arrival_at + dt.timedelta(minutes=RECEPTION_AFTER)
            plan.add(
                f"travel:{person.pk}:motorcade-arrival",
                kind=ProtocolTask.Kind.MOTORCADE,
                spread=person.pk,
                title=f"Motorcade {travel.arrival_airport} → {travel.hotel}: {who}"[:200],
                start=start,
                end=start + dt.timedelta(minutes=max(minutes, 1)),
                venue_id=travel.arrival_airport_id,
                destination_id=travel.hotel_id,
                notes=note,
                **common,
            )
    if travel.departure_at and travel.departure_airport_id:
        flight = f" {travel.departure_flight}" if travel.departure_flight else ""
        if travel.hotel_id:
            minutes, note = plan.transfer(travel.hotel_id, travel.departure_airport_id)
            end = travel.departure_at - dt.timedelta(minutes=AT_AIRPORT_BEFORE_DEPARTURE)
            plan.add(
                f"travel:{person.pk}:motorcade-departure",
                kind=ProtocolTask.Kind.MOTORCADE,
                spread=person.pk,
                title=f"Motorcade {travel.hotel} → {travel.departure_airport}: {who}"[:200],
                start=end - dt.timedelta(minutes=max(minutes, 1)),
                end=end,
                venue_id=travel.hotel_id,
                destination_id=travel.departure_airport_id,
                notes=note,
                **common,
            )
        plan.add(
            f"travel:{person.pk}:farewell",
            kind=ProtocolTask.Kind.AIRPORT_FAREWELL,
            spread=person.pk,
            title=f"Airport farewell ({level}): {who}"[:200],
            start=travel.departure_at - dt.timedelta(minutes=FAREWELL_BEFORE),
            end=travel.departure_at,
            venue_id=travel.departure_airport_id,
            notes=f"Level: {level}. {duty.replace('Received', 'Seen off')} Departure{flight}.",
            **common,
        )


def _bilateral_tasks(plan: _Desired, event: Event) -> None:
    """Flags before each placed bilateral; interpretation when its principals share no language."""
    meetings = (
        BilateralMeeting.objects.filter(event=event, status__in=BilateralMeeting.PLACED)
        .select_related("room__venue", "requester__partner", "requester__head", "counterpart__partner")
        .select_related("counterpart__head")
        .order_by("pk")
    )
    for meeting in meetings:
        room, start, end = meeting.room, meeting.start, meeting.end
        if room is None or start is None or end is None:
            continue  # a placed meeting has a room and a time (the model's rule); nothing to prepare otherwise
        pair = f"{meeting.requester.partner} – {meeting.counterpart.partner}"
        where = f"{room} ({room.venue})"
        plan.add(
            f"bilateral:{meeting.pk}:flags",
            kind=ProtocolTask.Kind.FLAGS,
            spread=meeting.pk,
            title=f"Flags: {pair}"[:200],
            start=start - dt.timedelta(minutes=FLAGS_BEFORE),
            end=start - dt.timedelta(minutes=FLAGS_BEFORE - FLAGS_MINUTES),
            venue_id=room.venue_id,
            notes=f"Table flags of {meeting.requester.partner} and {meeting.counterpart.partner} in {where}.",
        )
        heads = (meeting.requester.head, meeting.counterpart.head)
        if needs_interpretation(*heads):
            spoken = " / ".join(f"{head}: {head.languages or 'not known'}" for head in heads if head is not None)
            plan.add(
                f"bilateral:{meeting.pk}:interpretation",
                kind=ProtocolTask.Kind.INTERPRETATION,
                spread=meeting.pk,
                title=f"Interpretation: {pair}"[:200],
                start=start,
                end=end,
                venue_id=room.venue_id,
                notes=f"In {where}. Languages: {spoken}.",
            )


def _spread_without_overlap(desired: dict[str, dict[str, Any]], teams: dict[str, list[Team]]) -> None:
    """Keep each team to one task at a time: in order of start, a task takes its hashed team if that team is
    free then, else the first free team of its kind, else none (it shows as unassigned, for staff to staff).
    Time already held by the team's other tasks (made by hand, not cancelled) counts as taken."""
    held: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    prefixes = Q()
    for prefix in GENERATED_PREFIXES:
        prefixes |= Q(source_key__startswith=prefix)
    others = (
        ProtocolTask.objects.filter(team_id__in=[t.pk for group in teams.values() for t in group])
        .exclude(prefixes)
        .exclude(status=ProtocolTask.Status.CANCELLED)
        .values_list("team_id", "start", "end")
    )
    for team, start, end in others:
        held[team].append((start, end))
    for _key, values in sorted(desired.items(), key=lambda item: (item[1]["start"], item[0])):
        preferred = values["team_id"]
        if preferred is None:
            continue
        order = [preferred, *(t.pk for t in teams[TEAM_KIND[values["kind"]]] if t.pk != preferred)]
        values["team_id"] = next(
            (team for team in order if all(values["end"] <= a or b <= values["start"] for a, b in held[team])), None
        )
        if values["team_id"] is not None:
            held[values["team_id"]].append((values["start"], values["end"]))


@transaction.atomic
def tasks_generate(*, event: Event, by: Actor) -> GenerationSummary:
    """Create, update or cancel the event's generated tasks so they match its travel and bilaterals.

    Idempotent: a second run with the same data writes nothing. A field staff changed since the last run
    (its value differs from `generated`) is left as it is. A task whose source is gone is cancelled, not
    deleted; one that comes back is reopened if the generator had cancelled it.
    """
    summary = GenerationSummary()
    desired = _desired(event)
    prefixes = Q()
    for prefix in GENERATED_PREFIXES:
        prefixes |= Q(source_key__startswith=prefix)
    existing = {
        task.source_key: task
        for task in ProtocolTask.objects.filter(prefixes, event=event).select_for_update().order_by("pk")
    }
    to_create: list[ProtocolTask] = []
    changed: list[tuple[ProtocolTask, dict[str, Any], set[str]]] = []
    for key, values in desired.items():
        memory = {name: _stored(value) for name, value in values.items()}
        task = existing.get(key)
        if task is None:
            task = ProtocolTask(event=event, source_key=key, status=ProtocolTask.Status.OPEN, **values)
            task.generated = {**memory, "status": ProtocolTask.Status.OPEN}
            to_create.append(task)
            continue
        before = snapshot(task)
        last, fields = task.generated or {}, set()
        for name, value in values.items():
            current = _stored(getattr(task, name))
            if name in last and current != last[name]:
                summary.kept_manual += current != memory[name]  # edited by hand: keep it
                continue
            if current != memory[name]:
                setattr(task, name, value)
                fields.add(name)
        if task.status == ProtocolTask.Status.CANCELLED and last.get("status") == ProtocolTask.Status.CANCELLED:
            task.status = ProtocolTask.Status.OPEN  # the generator cancelled it; its source is back
            fields.add("status")
            summary.reopened += 1
        new_memory = {**memory, "status": task.status if "status" in fields else last.get("status", task.status)}
        if new_memory != last:
            task.generated = new_memory
            fields.add("generated")
        if fields:
            changed.append((task, before, fields))
            summary.updated += bool(fields - {"generated"})
            summary.moved += bool(fields & {"start", "end", "venue_id", "destination_id"})
    for source_key, task in existing.items():
        if source_key in desired or task.status in (ProtocolTask.Status.CANCELLED, ProtocolTask.Status.DONE):
            continue
        before = snapshot(task)
        task.status = ProtocolTask.Status.CANCELLED
        task.generated = {**(task.generated or {}), "status": ProtocolTask.Status.CANCELLED}
        changed.append((task, before, {"status", "generated"}))
        summary.cancelled += 1

    if to_create:
        instances_create(instances=to_create, by=by, action="protocol.protocoltask.generated")
        summary.created = len(to_create)
    if changed:
        names = sorted({name.removesuffix("_id") for _task, _before, fields in changed for name in fields})
        ProtocolTask.objects.bulk_update([task for task, _before, _fields in changed], names, batch_size=500)
        entries = []
        for task, before, _fields in changed:
            changes = diff(before, snapshot(task))
            changes.pop("generated", None)  # the generator's memory; the diff of the real fields says it all
            if changes:
                verb = "cancelled" if changes.get("status", [None, None])[1] == "cancelled" else "regenerated"
                entries.append(
                    audit_entry(action=f"protocol.protocoltask.{verb}", instance=task, by=by, changes=changes)
                )
        audit_log_many(entries)
    return summary


def tasks_generate_for_events(*, event_ids: Iterable[int], by: Actor) -> dict[int, GenerationSummary]:
    return {event.pk: tasks_generate(event=event, by=by) for event in Event.objects.filter(pk__in=set(event_ids))}


# Re-generation when the data behind the tasks changes (subscribed in protocol/apps.py): the keys of one
# transaction are gathered and one Celery task is queued after it commits.
ROUTES: Routes = {
    Travel: Route("the person's event", via("person", "person_id")),
    Person: Route(
        "the person's event (rank, delegation, languages)",
        itself("person", when=frozenset({"rank", "delegation", "languages"})),
    ),
    Delegation: Route("its event (head, status)", via("event", "event_id", when=frozenset({"head", "status"}))),
    BilateralMeeting: Route("its event", via("event", "event_id")),
    TransferTime: Route("every generated event", everything),
}


def on_changes(changes: list[Change]) -> None:
    keys = route_keys(ROUTES, changes)
    if keys:
        on_commit_batch("protocol-task-generation", keys, _enqueue)


def _event_ids(keys: set[Ref]) -> set[int]:
    if ALL in keys:
        return set(ProtocolTask.objects.filter(source_key__startswith="travel:").values_list("event_id", flat=True))
    events = {pk for kind, pk in keys if kind == "event"}
    people = {pk for kind, pk in keys if kind == "person"}
    if people:
        events |= set(Person.objects.filter(pk__in=people).values_list("delegation__event_id", flat=True))
        # A person deleted with their travel: their generated tasks still name the event.
        events |= set(
            ProtocolTask.objects.filter(person_id__in=people, source_key__startswith="travel:").values_list(
                "event_id", flat=True
            )
        )
    return events


def _enqueue(keys: set[Ref]) -> None:
    # Only events whose tasks were generated once (admin action or board button) are kept up to date: the
    # first generation is a decision staff take, a travel edit alone does not fill an event with tasks.
    generated = ProtocolTask.objects.filter(event_id__in=_event_ids(keys), source_key__regex=r"^(travel|bilateral):")
    event_ids = sorted(set(generated.values_list("event_id", flat=True)))
    if event_ids:
        # On a broker outage the admin action "Generate protocol tasks from travel" catches up.
        enqueue_on_commit(GENERATE_TASK, args=[event_ids])
