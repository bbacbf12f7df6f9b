"""Who wants to know that rows were written, and batching that work until the transaction commits.

The audit functions see every write (admin, domain functions, bulk paths), so they publish their entries
here: each carries `.instance`, the written object, and `.object_id`, which survives a delete. Apps
subscribe (the conflict checker does, in its AppConfig.ready) and batch with `on_commit_batch`, so a
transaction that writes a hundred rows triggers one follow-up, and one that rolls back triggers none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

Listener = Callable[[list[Any]], None]  # receives AuditEntry objects
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def publish(entries: list[Any]) -> None:
    for listener in _listeners:
        listener(entries)


class _Batch:
    def __init__(self, name: str, flush: Callable[[set[Any]], None], registry: dict[str, _Batch]) -> None:
        self.name, self.flush, self.registry, self.items = name, flush, registry, set()

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
