"""The demo airport list (demo/data/asem13_airport_flights.csv) fits the seeded summit: every row but the one
deliberate typo matches a flight, and applying it marks the morning's flights landed and four delayed."""

from __future__ import annotations

from pathlib import Path

from delegations.domain.flight_import import flights_import_apply, flights_import_preview
from delegations.domain.member_import.errors import RowError
from delegations.models import Travel

DEMO_LIST = Path(__file__).resolve().parents[2] / "demo" / "data" / "asem13_airport_flights.csv"


def test_the_demo_airport_list_applies_to_the_seeded_summit(seeded):
    data = DEMO_LIST.read_bytes()
    preview = flights_import_preview(file=data)
    assert preview.errors == [
        RowError(
            32,
            "time",
            "‘16.15’ is not a time: write HH:MM on the 24-hour clock (Phnom Penh time), e.g. 09:45, or 00:40+1 for "
            "the day after the row's date.",
        )
    ]
    assert [c.flight for c in preview.changes if c.status == "delayed"] == ["BG105", "FR117", "JP126", "NL138"]
    result = flights_import_apply(file=data, by="test", expected=preview.digest)
    assert result.written == 2 * len(preview.changes)  # each flight carries a delegation's head and minister
    assert Travel.objects.filter(arrival_status="landed").count() == 2 * 13
    assert Travel.objects.filter(arrival_status="delayed").count() == 2 * 4
