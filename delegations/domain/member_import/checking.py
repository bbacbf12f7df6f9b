"""Checking a list that could be read: the header against the columns the import knows (and what people
call them), every cell against its model field's rules, dates against the event, every member against the
other rows and the delegation's members, and the whole list against the quota. Every problem is a `RowError`;
nothing is written."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Field

from asemplanner.choices import LIAISON_CATEGORIES, Category, Rank
from delegations.domain.member_import.columns import COLUMNS, DATE_FIELDS, REQUIRED, UPPER_FIELDS, column_letter
from delegations.domain.member_import.errors import RowError
from delegations.domain.member_import.reading import Table, cell_text, table_read
from delegations.models import Delegation, Person
from delegations.validators import name_errors, person_errors

# What people call the columns in their own lists (compared without case, spaces, _ - . ( ) *).
ALIASES: dict[str, Sequence[str]] = {
    "honorific": ("Title", "Salutation", "Prefix"),
    "given_name": ("Given names", "First name", "First names", "Forename", "Forenames", "Given name(s)"),
    "family_name": ("Surname", "Last name", "Family names"),
    "native_name": ("Native name", "Name in native script", "Name in own language", "Local name", "Original script"),
    "function": ("Position", "Job title", "Post"),
    "rank": ("Protocol rank",),
    "category": ("Accreditation category", "Badge category"),
    "nationality": ("Citizenship", "Nationality code"),
    "email": ("E-mail", "Email address", "E-mail address", "Mail"),
    "phone": ("Mobile", "Telephone", "Tel", "Phone number", "Mobile number", "Mobile phone", "Cell phone"),
    "languages": ("Language", "Interpretation", "Interpretation needs"),
    "passport_number": ("Passport no", "Passport nr", "Passport #", "Passport"),
    "passport_expiry": ("Passport expiry date", "Passport expires", "Passport valid until", "Expiry date"),
    "date_of_birth": ("DOB", "Birth date", "Birthdate", "Born"),
}


@dataclass
class ImportCheck:
    """The outcome of checking a file: the cleaned rows (field → value, plus "_row", the row number) and every
    problem found. Importable only when `errors` is empty."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field → its header text in the file

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Member:
    """An existing member as the duplicate check compares them."""

    name: str
    name_key: tuple[str, str]
    passport_key: str
    email_key: str

    def keys(self) -> tuple[tuple[str, str], str, str]:
        return self.name_key, self.passport_key, self.email_key


class _Bad(Exception):
    """One cell's value is not acceptable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _person_field(name: str) -> Field[Any, Any]:
    """The model field a column fills (every column is a concrete field of `Person`)."""
    model_field = Person._meta.get_field(name)
    if not isinstance(model_field, Field):
        raise TypeError(f"Person.{name} is not a concrete field; it cannot be a column.")
    return model_field


# --- The header ---------------------------------------------------------------------------------------
def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-.()*]", "", text.casefold())


def _header_keys() -> dict[str, str]:
    keys = {}
    for name, header in COLUMNS.items():
        verbose = str(_person_field(name).verbose_name)
        for text in (name, header, verbose, *ALIASES.get(name, ())):
            keys[_header_key(text)] = name
    return keys


HEADER_KEYS = _header_keys()


def known_columns() -> str:
    """The columns an import understands, for messages and the upload page's help."""
    return ", ".join(f"{header} (required)" if name in REQUIRED else header for name, header in COLUMNS.items())


# --- The cells ----------------------------------------------------------------------------------------
def _shown(text: str) -> str:
    return f"‘{text[:40]}…’" if len(text) > 40 else f"‘{text}’"


def _choice_keys(choices: Iterable[tuple[Any, str]], names: dict[Any, str]) -> dict[str, Any]:
    """Label ("Head of state"), value ("10", "delegate") or name (HEAD_OF_STATE), without case or spacing."""
    keys: dict[str, Any] = {}
    for value, label in choices:
        for text in (str(value), label, names[value]):
            keys[_header_key(text)] = value
    return keys


RANK_KEYS = _choice_keys(Rank.choices, {member.value: member.name for member in Rank})
CATEGORY_KEYS = _choice_keys(LIAISON_CATEGORIES, {member.value: member.name for member in Category})
HOST_KEYS = {_header_key(text) for text in (Category.HOST.value, Category.HOST.label, Category.HOST.name)}
RANK_LABELS = ", ".join(label for _, label in Rank.choices)
CATEGORY_LABELS = ", ".join(label for _, label in LIAISON_CATEGORIES)
SENSITIVE = frozenset(Person.SENSITIVE_FIELDS)
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")


def _clean_rank(value: Any) -> int:
    text = cell_text(value)
    if not text:
        return Rank.OTHER
    rank = RANK_KEYS.get(_header_key(text))
    if rank is None:
        raise _Bad(f"{_shown(text)} is not a rank. Write one of: {RANK_LABELS}.")
    return rank


def _clean_category(value: Any) -> str:
    text = cell_text(value)
    if not text:
        return Category.DELEGATE
    key = _header_key(text)
    category = CATEGORY_KEYS.get(key)
    if category is None:
        if key in HOST_KEYS:
            raise _Bad(
                f"{Category.HOST.label} are the host country's own staff, accredited by the organisers, not by a "
                f"delegation. Write one of: {CATEGORY_LABELS}."
            )
        raise _Bad(f"{_shown(text)} is not a category. Write one of: {CATEGORY_LABELS}.")
    return category


def _clean_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    match = ISO_DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return dt.date(*map(int, match.groups()))
    except ValueError:
        # Only passport expiry and date of birth are dates here: the cell is not repeated back.
        raise _Bad("This cell is not a date; write it as YYYY-MM-DD, e.g. 2031-05-31.") from None


def _text_cleaner(name: str) -> Callable[[Any], str]:
    """The model field's own rules (max_length, validators such as the nationality pattern or e-mail), run
    with `Field.clean` on the value alone: no instance, so no query.

    Two shortcuts, because 5,000 rows × 10 fields of `Field.clean` were half the time of a check: a field
    whose only rule is its length skips the call when the value fits (the call, and its message, come when
    it does not); a field with other validators is checked once per distinct value (a list has a handful of
    nationalities). Make a fresh cleaner per file: the memo is the file's."""
    model_field = _person_field(name)
    upper = name in UPPER_FIELDS
    label = COLUMNS[name]
    length_only = not model_field.choices and all(isinstance(v, MaxLengthValidator) for v in model_field.validators)
    max_length = model_field.max_length or 0
    seen: dict[str, str | _Bad] = {}

    def clean(value: Any) -> str:
        text = cell_text(value)
        if upper:
            text = text.upper()
        if not text:
            if name in REQUIRED:
                raise _Bad(f"{label} is required; this cell is empty.")
            return ""
        if length_only and len(text) <= max_length:
            return text
        outcome = seen.get(text)
        if outcome is None:
            try:
                outcome = model_field.clean(text, None)
            except ValidationError as exc:
                shown = "This cell" if name in SENSITIVE else _shown(text)  # passport data is never shown back
                outcome = _Bad(f"{shown}: {' '.join(exc.messages)}")
            seen[text] = outcome
        if isinstance(outcome, _Bad):
            raise _Bad(outcome.message)
        return outcome

    return clean


def _cleaners() -> dict[str, Callable[[Any], Any]]:
    """Field → the function that turns a cell into the field's value or raises `_Bad`."""
    return {
        **{name: _text_cleaner(name) for name in COLUMNS},
        "rank": _clean_rank,
        "category": _clean_category,
        **dict.fromkeys(DATE_FIELDS, _clean_date),
    }


# --- Duplicates ---------------------------------------------------------------------------------------
def _fold(text: str) -> str:
    """For comparing names: without case, accents or extra spaces (“Nguyễn  Văn” = “nguyen van”)."""
    if text.isascii():
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def _keys(given: str, family: str, passport: str, email: str) -> tuple[tuple[str, str], str, str]:
    return (_fold(given), _fold(family)), passport.strip().upper(), email.strip().casefold()


# Kinds of duplicate: the field whose column is blamed, the message for a repeat within the file and the
# one for a member already on file. A name counts when both parts are given; the others when not empty.
DUPLICATES = [
    ("name", "family_name", "Same name as row {first} ({who}). List each member once.",
     "{member} is already a member of the delegation. Delete this row, or change their details on the members page."),
    ("passport", "passport_number", "Same passport number as row {first} ({who}).",
     "This passport number is already on file for {member}, a member of the delegation."),
    ("email", "email", "Same e-mail address as row {first} ({who}).",
     "This e-mail address is already on file for {member}, a member of the delegation."),
]  # fmt: skip


def members_index(existing: Sequence[Member]) -> dict[str, dict[Any, Member]]:
    """Existing members by each duplicate key."""
    index: dict[str, dict[Any, Member]] = {kind: {} for kind, *_ in DUPLICATES}
    for member in existing:
        for kind, key in zip(("name", "passport", "email"), member.keys(), strict=True):
            if key:
                index[kind][key] = member
    return index


def duplicate_errors(
    row: dict[str, Any],
    *,
    headers: dict[str, str],
    failed: set[str],
    on_file: dict[str, dict[Any, Member]],
    seen: dict[str, dict[Any, tuple[int, str]]] | None,
) -> list[RowError]:
    """A row against the members on file and, with `seen`, against the rows above it (then noted in `seen`)."""
    number = row.get("_row", 0)
    given, family = row.get("given_name", ""), row.get("family_name", "")
    who = f"{given} {family}".strip()
    keys = _keys(given, family, row.get("passport_number", ""), row.get("email", ""))
    errors = []
    for (kind, field_name, repeated, on_file_message), key in zip(DUPLICATES, keys, strict=True):
        if not (all(key) if kind == "name" else key) or field_name in failed:
            continue
        header = headers.get(field_name, COLUMNS[field_name])
        if seen is not None:
            if key in seen[kind]:
                first, first_who = seen[kind][key]
                errors.append(RowError(number, header, repeated.format(first=first, who=first_who)))
            else:
                seen[kind][key] = (number, who)
        if key in on_file[kind]:
            errors.append(RowError(number, header, on_file_message.format(member=on_file[kind][key].name)))
    return errors


# --- The whole list -----------------------------------------------------------------------------------
def _header_check(header: list[Any]) -> tuple[dict[int, str], dict[str, str], list[RowError]]:
    """Which column holds which field (index → field), each field's header text, and what is wrong with the
    header row. Trailing empty header cells are ignored (Excel often carries a few)."""
    texts = [cell_text(cell) for cell in header]
    while texts and not texts[-1]:
        texts.pop()
    columns: dict[int, str] = {}
    headers: dict[str, str] = {}
    letters: dict[str, str] = {}
    errors: list[RowError] = []
    known = known_columns()
    for index, text in enumerate(texts):
        if not text:
            continue
        name = HEADER_KEYS.get(_header_key(text))
        letter = column_letter(index)
        if name is None:
            errors.append(
                RowError(
                    1,
                    text,
                    f"Column {letter}, {_shown(text)}, is not a column this import knows. Rename it to one of: "
                    f"{known}; or delete the column.",
                )
            )
        elif name in headers:
            errors.append(
                RowError(
                    1,
                    text,
                    f"Columns {letters[name]} ({_shown(headers[name])}) and {letter} ({_shown(text)}) both hold "
                    f"{COLUMNS[name]}. Keep one of them.",
                )
            )
        else:
            columns[index], headers[name], letters[name] = name, text, letter
    if not headers:
        shown = ", ".join(_shown(text) for text in texts[:3] if text)
        return (
            {},
            {},
            [
                RowError(
                    1,
                    "",
                    f"Row 1 must be the header naming the columns, but it reads {shown}. Delete any title rows above "
                    f"the header, or start from the template. The columns: {known}.",
                )
            ],
        )
    for name in REQUIRED:
        if name not in headers:
            errors.append(
                RowError(
                    1,
                    "",
                    f"The required column ‘{COLUMNS[name]}’ is missing. Row 1 must name the columns: {known}.",
                )
            )
    return columns, headers, errors


def rows_check(
    *,
    table: Table,
    event_end: dt.date | None,
    event: str = "",
    existing: Sequence[Member] = (),
    quota: int | None = None,
) -> ImportCheck:
    """Every row against the field rules, the dates against each other and the event, and every member
    against the other rows and the existing members; then the whole list against the quota.

    Pure (no queries): `member_import_check` passes the delegation's members and quota."""
    columns, headers, errors = _header_check(table.header)
    result = ImportCheck(headers=headers, errors=errors)
    if errors:
        return result
    width = max(columns) + 1
    cleaners = _cleaners()
    plan = [(index, name, cleaners[name], headers[name]) for index, name in columns.items()]
    unmapped = [index for index in range(width) if index not in columns]  # empty header cells between columns
    unheaded: RowError | None = None
    on_file = members_index(existing)
    seen: dict[str, dict[Any, tuple[int, str]]] = {kind: {} for kind, *_ in DUPLICATES}
    for number, cells in table.rows:
        row: dict[str, Any] = {"_row": number}
        failed: set[str] = set()
        for index, name, clean, header in plan:
            try:
                row[name] = clean(cells[index] if index < len(cells) else None)
            except _Bad as bad:
                errors.append(RowError(number, header, bad.message))
                failed.add(name)
        if unheaded is None:
            extra = next((i for i in unmapped if i < len(cells) and cell_text(cells[i])), None)
            if extra is None and len(cells) > width:
                extra = next((i for i in range(width, len(cells)) if cell_text(cells[i])), None)
            if extra is not None:
                unheaded = RowError(
                    0,
                    "",
                    f"Column {column_letter(extra)} has no header, but row {number} has a value in it. Give the "
                    "column a header from the list, or delete it.",
                )
        checks = person_errors(
            passport_expiry=row.get("passport_expiry"),
            date_of_birth=row.get("date_of_birth"),
            event_end=event_end,
            event=event,
        )
        checks.update(name_errors(given_name=row.get("given_name") or "", family_name=row.get("family_name") or ""))
        for name, message in checks.items():
            if name not in failed:
                errors.append(RowError(number, headers.get(name, COLUMNS[name]), message))
        errors += duplicate_errors(row, headers=headers, failed=failed, on_file=on_file, seen=seen)
        result.rows.append(row)
    if unheaded is not None:
        errors.insert(0, unheaded)
    if quota is not None:
        over_quota = quota_error(quota=quota, taken=len(existing), adding=len(result.rows))
        if over_quota:
            errors.insert(0, over_quota)
    return result


def quota_error(*, quota: int, taken: int, adding: int) -> RowError | None:
    """Why `adding` more members do not fit a quota of which `taken` places are taken; None when they fit."""
    left = max(quota - taken, 0)
    if adding <= left:
        return None
    if left == 0:
        return RowError(
            0,
            "",
            f"The delegation's quota of {quota} places is full ({taken} members), so none of the {adding} members "
            "in the file can be added. Ask the organisers to raise the quota, or remove members first.",
        )
    return RowError(
        0,
        "",
        f"The file lists {adding} members, but the delegation has {left} of its {quota} places left ({taken} "
        f"taken). Remove {adding - left} row{'' if adding - left == 1 else 's'}, or ask the organisers to raise the "
        "quota.",
    )


# --- The delegation -----------------------------------------------------------------------------------
def members_on_file(delegation: Delegation) -> list[Member]:
    """The delegation's current members, as the duplicate check compares them: one query."""
    members = []
    for given, family, passport, email in Person.objects.filter(delegation=delegation).values_list(
        "given_name", "family_name", "passport_number", "email"
    ):
        name_key, passport_key, email_key = _keys(given, family, passport, email)
        members.append(Member(f"{given} {family}", name_key, passport_key, email_key))
    return members


def places_left(delegation: Delegation) -> int:
    """How many more members the delegation's quota allows."""
    return max(delegation.quota - Person.objects.filter(delegation=delegation).count(), 0)


def member_import_check(*, delegation: Delegation, data: bytes) -> ImportCheck:
    """Read and check a file for this delegation, against its event's dates, members and quota. Writes
    nothing; two queries (the event when not loaded yet, the members)."""
    table, errors = table_read(data=data)
    if table is None:
        return ImportCheck(errors=errors)
    event = delegation.event
    return rows_check(
        table=table,
        event_end=event.end_date,
        event=str(event),
        existing=members_on_file(delegation),
        quota=delegation.quota,
    )
