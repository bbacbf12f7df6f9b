"""Explicit change routing: a write publishes typed changes, and each app subscribes by model class.

Every audited write (domain functions, the admin, bulk paths) publishes one `Change` per row it wrote, inside
the writing transaction. An app that must follow up — re-check clashes, re-plan reminders, re-generate
protocol tasks, move the badge feed — subscribes in its own `AppConfig.ready` with `subscribe(routes, handler,
does=...)`, a `Route` per model it follows. A subscriber that does more than a few queries batches with
`on_commit_batch`, so a transaction that writes a hundred rows triggers one follow-up after it commits, and one
that rolls back triggers none.

The registered follow-ups are the follow-up table (`follow_up_table()`, `manage.py follow_ups`); the guide
(docs/architecture.md) shows the same table, and a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import models, transaction

from asemplanner.refs import ALL, Ref


class Verb(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"

    @classmethod
    def of_action(cls, action: str) -> Verb:
        """The verb of a dotted audit action: `….created` / `….imported` create, `….deleted` deletes, every
        other action (`….changed`, `protocol.bilateral.scheduled`, …) changes a row that stays."""
        last = action.rsplit(".", 1)[-1]
        if last in {"created", "imported"}:
            return cls.CREATED
        return cls.DELETED if last == "deleted" else cls.CHANGED


@dataclass(frozen=True)
class Change:
    """One row written: which model and row, how, and which fields changed (all that held a value, for a create
    or a delete). `instance` is the row as written — after a delete, as it was — for its foreign keys.
    `values` is the audit entry's `{field: [before, after]}` (as the trail keeps them: times as ISO text in the
    local zone, sensitive fields masked), for a follow-up that needs what a value was, such as a moved arrival."""

    model: type[models.Model]
    pk: Any
    verb: Verb
    fields: frozenset[str]
    instance: models.Model
    values: Mapping[str, Sequence[Any]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def pk_int(self) -> int | None:
        return int(self.pk) if str(self.pk).isdigit() else None


Handler = Callable[[list[Change]], None]


@dataclass(frozen=True)
class Route:
    """What a follow-up takes from a change of one model: `what` says it for the table, `keys` computes it."""

    what: str
    keys: Callable[[Change], set[Any]]


Routes = Mapping[type[models.Model], Route]


def itself(kind: str, *, when: frozenset[str] | None = None) -> Callable[[Change], set[Ref]]:
    """Route keys: the written row, as `Ref(kind, pk)`; with `when`, only if one of those fields changed."""

    def keys(change: Change) -> set[Ref]:
        if when is not None and not when & change.fields:
            return set()
        return {Ref(kind, change.pk_int or 0)}

    return keys


def via(kind: str, field: str, *, when: frozenset[str] | None = None) -> Callable[[Change], set[Ref]]:
    """Route keys: the row a foreign key of the written row names (`via("person", "person_id")` for a travel
    record), as `Ref(kind, id)`; with `when`, only if one of those fields changed."""

    def keys(change: Change) -> set[Ref]:
        if when is not None and not when & change.fields:
            return set()
        return {Ref(kind, getattr(change.instance, field))}

    return keys


def everything(change: Change) -> set[Ref]:
    """Route keys: everything (a transfer time or a rule reaches every row of its kind)."""
    return {ALL}


@dataclass(frozen=True)
class FollowUp:
    """One cell of the follow-up table: a write to `model` makes `app` do `does`, for `what`."""

    model: type[models.Model]
    app: str
    does: str
    what: str
    handler: Handler

    @property
    def model_label(self) -> str:
        return f"{self.model._meta.app_label}.{self.model.__name__}"


_follow_ups: list[FollowUp] = []


def subscribe(routes: Routes, handler: Handler, *, does: str) -> None:
    """Call `handler` with the changes of the routes' models that each write publishes. Idempotent."""
    app = handler.__module__.split(".", 1)[0]
    for model, route in routes.items():
        concrete = model._meta.concrete_model or model
        if not any(f.model is concrete and f.handler is handler for f in _follow_ups):
            _follow_ups.append(FollowUp(model=concrete, app=app, does=does, what=route.what, handler=handler))


def route_keys(routes: Routes, changes: Iterable[Change]) -> set[Any]:
    """The union of what the routes make of the changes (changes of other models give nothing)."""
    keys: set[Any] = set()
    for change in changes:
        route = routes.get(change.model)
        if route is not None:
            keys |= route.keys(change)
    return keys


def publish(changes: Sequence[Change]) -> None:
    """Hand each subscriber the changes of its models, once per write, in the order they subscribed."""
    if not changes:
        return
    wanted: dict[Handler, list[Change]] = {}
    for follow_up in _follow_ups:
        matching = [change for change in changes if change.model is follow_up.model]
        if matching:
            wanted.setdefault(follow_up.handler, []).extend(matching)
    for handler, mine in wanted.items():
        handler(mine)


def follow_up_table() -> list[FollowUp]:
    """Every registered follow-up, ordered by the written model, then by the app that follows up."""
    return sorted(_follow_ups, key=lambda f: (f.model_label, f.app))


def follow_up_markdown() -> str:
    """The follow-up table as Markdown, as docs/architecture.md shows it: a row per written model, a column
    per subscription (an app may subscribe twice, for two different follow-ups), each cell saying for what."""
    table = follow_up_table()
    columns: dict[tuple[str, str], None] = {}
    for follow_up in sorted(_follow_ups, key=lambda f: f.app):
        columns.setdefault((follow_up.app, follow_up.does), None)
    cells = {(f.model_label, f.app, f.does): f.what for f in table}
    lines = [
        "| a write to | " + " | ".join(f"**{app}** {does}" for app, does in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for label in sorted({f.model_label for f in table}):
        lines.append(f"| `{label}` | " + " | ".join(cells.get((label, app, does), "—") for app, does in columns) + " |")
    return "\n".join(lines) + "\n"


class _Batch:
    def __init__(self, name: str, flush: Callable[[set[Any]], None], registry: dict[str, _Batch]) -> None:
        self.name, self.flush, self.registry = name, flush, registry
        self.items: set[Any] = set()

    def run(self) -> None:
        if self.registry.get(self.name) is self:
            del self.registry[self.name]
        self.flush(self.items)


def on_commit_batch(name: str, items: Iterable[Any], flush: Callable[[set[Any]], None]) -> None:
    """Collect `items` under `name` and call `flush(all items)` once, after the outermost transaction
    commits; outside a transaction, at once."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        flush(set(items))
        return
    registry: dict[str, _Batch] = connection.__dict__.setdefault("_planner_batches", {})
    batch = registry.get(name)
    # After a rollback Django drops the pending callbacks; a batch whose callback is gone starts afresh.
    if batch is None or not any(callback is batch.run for _ids, callback, _robust in connection.run_on_commit):
        batch = registry[name] = _Batch(name, flush, registry)
        transaction.on_commit(batch.run)
    batch.items.update(items)
