"""The columns a delegation list may have: the fields it fills, in the template's order, with their headers."""

from __future__ import annotations

# Fields a list may fill, in the template's order, with the header the template writes.
COLUMNS: dict[str, str] = {
    "honorific": "Honorific",
    "given_name": "Given name",
    "family_name": "Family name",
    "function": "Function",
    "rank": "Rank",
    "category": "Category",
    "nationality": "Nationality",
    "email": "Email",
    "phone": "Phone",
    "languages": "Languages",
    "passport_number": "Passport number",
    "passport_expiry": "Passport expiry",
    "date_of_birth": "Date of birth",
    "native_name": "Name in own script",  # last: lists made before it was added keep their column letters
}
REQUIRED = ("given_name", "family_name", "function")
DATE_FIELDS = ("passport_expiry", "date_of_birth")
UPPER_FIELDS = ("nationality", "passport_number")


def column_letter(index: int) -> str:
    """Column letter as the spreadsheet shows it: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
