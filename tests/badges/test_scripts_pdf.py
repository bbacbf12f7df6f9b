"""Badges with names in every script: the native name prints under the Latin one, shaped, with no .notdef glyph,
reads back as the same string, and puts ink on the card; a name no shipped font covers is left off, not boxed."""

from __future__ import annotations

import pytest

from asemplanner.choices import Category
from badges.domain.pdf import badge_pdf, badges_sheet_pdf
from delegations.models import Person
from tests.pdf_checks import NAMES, drawn_glyphs, ink, page_text, render, save_artifact


def badge(native_name: str = "", **changes) -> dict:
    return {
        "badge_number": "ASEM13-000042",
        "version": 1,
        "category": Category.PRINCIPAL,
        "colour": "#7a1f2b",
        "event": "ASEM13",
        "honorific": "H.E.",
        "given_name": "Anna",
        "family_name": "Example",
        "native_name": native_name,
        "function": "Minister for Foreign Affairs",
        "delegation": "Cambodia",
        "zones": ["A", "P"],
        **changes,
    }


def notdef(pdf: bytes) -> list[tuple[str, int]]:
    return [(font, glyph) for font, glyph in drawn_glyphs(pdf) if glyph <= 0]


@pytest.mark.parametrize("script", NAMES)
def test_native_name_prints_shaped_and_reads_back(script):
    name = NAMES[script]
    pdf = badge_pdf(badge(name), None)
    assert notdef(pdf) == []
    text = page_text(pdf)
    assert name in text
    assert "Anna Example" in text
    page = render(pdf)
    save_artifact(page, f"badge-{script}")
    assert ink(page, render(badge_pdf(badge(), None))) > 200  # the native line is drawn, not blank


def test_every_font_is_embedded():
    pdf = badge_pdf(badge(NAMES["khmer"]), None)
    fonts = {font for font, _ in drawn_glyphs(pdf)}
    assert fonts and all("+Noto" in font for font in fonts), fonts


@pytest.mark.parametrize(
    "native",
    [
        pytest.param("名前\U0001f600", id="emoji"),
        pytest.param("Anna\ue000", id="private_use"),
        pytest.param("\u0378", id="unassigned"),
    ],
)
def test_uncovered_native_name_is_left_off(native):
    pdf = badge_pdf(badge(native), None)
    assert notdef(pdf) == []
    text = page_text(pdf)
    assert "名前" not in text and "\ufffd" not in text
    assert "Anna Example" in text
    assert ink(render(pdf), render(badge_pdf(badge(), None))) == 0  # the same card as with no native name


def test_sheet_of_badges_in_many_scripts():
    scripts = ["khmer", "thai", "japanese", "korean", "myanmar", "lao", "greek", "vietnamese", "chinese"]
    pdf = badges_sheet_pdf([(badge(NAMES[script], badge_number=f"B-{n}"), None) for n, script in enumerate(scripts)])
    assert notdef(pdf) == []
    text = page_text(pdf)
    assert all(NAMES[script] in text for script in scripts)
    save_artifact(render(pdf, scale=1.5), "badge-sheet")


def test_badge_from_the_api_carries_the_native_name(summit, api):
    accreditation = summit["badges"][0]
    Person.objects.filter(pk=accreditation.person_id).update(native_name=NAMES["khmer"])
    response = api.get(f"/api/v1/badges/{accreditation.badge_number}/pdf")
    assert NAMES["khmer"] in page_text(response.content)
    assert notdef(response.content) == []
