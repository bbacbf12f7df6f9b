"""One reference type for "which row": a kind and a primary key.

Follow-up routes, the conflict checks' change requests and reminders' scopes all say which commitment,
resource or subject they mean with a `Ref`. Its text form `kind:pk` (`person:12`, `session:3`) is what the
conflict engine uses as keys and what the `Conflict` records store, so the two always convert one to one.
A `Ref` is a tuple, so it also compares, sorts and hashes as `(kind, pk)`.
"""

from __future__ import annotations

from typing import NamedTuple


class Ref(NamedTuple):
    kind: str  # "person", "room", "session", "bilateral", "task", "event", "delegation", … or "all"
    pk: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.pk}" if self.kind != "all" else "all"

    @classmethod
    def parse(cls, text: str) -> Ref:
        """`person:12` → Ref("person", 12); `all` → ALL. A text of another shape is a ValueError."""
        if text == "all":
            return ALL
        kind, sep, pk = text.partition(":")
        if not (sep and kind and pk.isdigit()):
            raise ValueError(f"{text!r} is not a reference of the form kind:number")
        return cls(kind, int(pk))


ALL = Ref("all", 0)
