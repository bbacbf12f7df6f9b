"""The seating plan with heads' names in every script: printed under the Latin name in the diagram and beside it
in the seat list, with no .notdef glyph, read back as the same string; an uncovered name is left off."""

from __future__ import annotations

import pytest

from asemplanner.choices import Category, Rank
from delegations.models import Person
from protocol.domain.precedence import precedence_order, seating_pdf
from tests.factories import DelegationFactory, EventFactory, PartnerFactory, PersonFactory
from tests.pdf_checks import NAMES, drawn_glyphs, ink, page_text, render, save_artifact


@pytest.fixture
def event(db):
    return EventFactory(acronym="ASEMS", host=PartnerFactory(code="KHM", name="Cambodia", joined_year=2004))


def seat(event, code: str, native_name: str, *, family: str | None = None):
    delegation = DelegationFactory(partner=PartnerFactory(code=code, name=f"Partner {code}"), event=event)
    delegation.head = PersonFactory(
        delegation=delegation, rank=Rank.HEAD_OF_GOVERNMENT, category=Category.PRINCIPAL, given_name="Head",
        family_name=family or code.title(), native_name=native_name, function="Prime Minister", honorific="H.E.",
    )  # fmt: skip
    delegation.save(update_fields=["head"])


def test_heads_native_names_in_every_script(event):
    for n, script in enumerate(NAMES):
        seat(event, f"S{n:02d}", NAMES[script])
    pdf = seating_pdf(precedence_order(event=event))
    assert [glyph for _, glyph in drawn_glyphs(pdf) if glyph <= 0] == []
    diagram, listing = page_text(pdf, 0), page_text(pdf, 1)
    for n, script in enumerate(NAMES):
        assert NAMES[script] in diagram, script
        # pdfium may put a space between a shaped run and the ")" after it: the name itself reads back exactly.
        assert f"H.E. Head S{n:02d} ({NAMES[script]}" in listing, script
    save_artifact(render(pdf, 0, scale=2), "seating-diagram")
    save_artifact(render(pdf, 1, scale=2), "seating-list")


@pytest.mark.parametrize("script", ["khmer", "thai", "japanese", "myanmar", "devanagari"])
def test_native_name_adds_ink_to_the_seat(event, script):
    seat(event, "AAA", NAMES[script])
    with_name = seating_pdf(precedence_order(event=event))
    Person.objects.update(native_name="")
    without = seating_pdf(precedence_order(event=event))
    assert ink(render(with_name), render(without)) > 200
    save_artifact(render(with_name, scale=2), f"seating-{script}")


def test_uncovered_native_name_is_left_off(event):
    seat(event, "AAA", "名前\U0001f600")
    pdf = seating_pdf(precedence_order(event=event))
    assert [glyph for _, glyph in drawn_glyphs(pdf) if glyph <= 0] == []
    assert "名前" not in page_text(pdf, 0) + page_text(pdf, 1)
    assert "H.E. Head Aaa" in page_text(pdf, 0)
