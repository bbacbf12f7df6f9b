"""What is wrong with an uploaded list, as data: one `RowError` per problem, and `ImportRefused` to raise them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class RowError:
    """One problem, where the user finds it: `row` as the spreadsheet numbers it (the header is row 1; 0 for
    the file as a whole), `column` the header as written in the file ("" when no one column is at fault)."""

    row: int
    column: str
    message: str

    @property
    def file_level(self) -> bool:
        """About the file or its header row rather than a member's row."""
        return self.row <= 1

    def __str__(self) -> str:
        where = [f"Row {self.row}"] if self.row else []
        where += [self.column] if self.column else []
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRefused(ValidationError):
    """Raised by the write functions: a ValidationError (views show its messages) carrying the `RowError`s."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__([str(error) for error in errors])
        self.errors = list(errors)
