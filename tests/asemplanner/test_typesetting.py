"""Text in every script: the fallback fonts cover each sample name, the shaper finds a glyph for every character,
the page's text layer reads back the logical string, and uncovered characters are reported, never boxed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import uharfbuzz as hb
from reportlab.pdfgen.canvas import Canvas

from asemplanner import typesetting
from asemplanner.typesetting import FONT_DIR, clip, draw_text, fit_size, runs, text_width, uncovered
from tests.pdf_checks import NAMES, drawn_glyphs, page_text, render, save_artifact

FILES = {f"{family}-Regular": regular for family, regular, _ in typesetting.FALLBACK} | {
    f"{family}-Bold": bold for family, _, bold in typesetting.FALLBACK if bold
}


def _glyph_ids(font_name: str, text: str) -> list[int]:
    """HarfBuzz on the shipped font file itself, independently of reportlab."""
    font = hb.Font(hb.Face(hb.Blob(Path(FONT_DIR / FILES[font_name]).read_bytes())))
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {})
    return [info.codepoint for info in buffer.glyph_infos]


def _page(text: str, *, bold: bool = False) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(400, 100))
    draw_text(canvas, 10, 40, text, 18, bold=bold)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


@pytest.mark.parametrize("script", NAMES)
def test_every_sample_name_is_covered(script):
    assert uncovered(NAMES[script]) == []


@pytest.mark.parametrize("bold", [False, True], ids=["regular", "bold"])
@pytest.mark.parametrize("script", NAMES)
def test_shaped_runs_have_no_notdef(script, bold):
    for run in runs(NAMES[script], bold=bold):
        assert 0 not in _glyph_ids(run.face.name, run.text), (run.face.name, run.text)


def test_the_notdef_check_can_fail():
    """Khmer through the Latin face: HarfBuzz gives glyph 0, and so does the PDF check."""
    assert 0 in _glyph_ids("NotoSans-Regular", NAMES["khmer"])
    out = io.BytesIO()
    canvas = Canvas(out)
    typesetting.faces()
    canvas.setFont("NotoSans-Regular", 12)
    canvas.drawString(10, 10, NAMES["khmer"])
    canvas.save()
    assert 0 in [glyph for _, glyph in drawn_glyphs(out.getvalue())]


@pytest.mark.parametrize("script", NAMES)
def test_drawn_text_reads_back_with_no_notdef(script):
    name = NAMES[script]
    pdf = _page(name, bold=script in ("khmer", "chinese"))
    glyphs = drawn_glyphs(pdf)
    assert glyphs and all(glyph > 0 for _, glyph in glyphs), glyphs
    assert name in page_text(pdf)
    save_artifact(render(pdf), f"line-{script}")


def test_khmer_needs_actual_text():
    """The shaper reorders Khmer (the pre-base vowel of ខ្មែរ) and uses subscript glyphs no character maps to:
    the same glyphs drawn without /ActualText do not copy as the name."""
    (run,) = runs("ខ្មែរ")
    assert run.shaped and run.glyphs != run.text
    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.setFont(run.face.name, 12)
    canvas.drawString(10, 10, run.glyphs)
    canvas.save()
    assert "ខ្មែរ" not in page_text(out.getvalue())
    assert "ខ្មែរ" in page_text(_page("ខ្មែរ"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("名前\U0001f600", ["\U0001f600"], id="emoji"),
        pytest.param("Anna\ue123", ["\ue123"], id="private_use"),
        pytest.param("x\u0378y", ["\u0378"], id="unassigned"),
        pytest.param("𠀋田", ["𠀋"], id="cjk_extension_b_outside_the_subset"),
        pytest.param("a\u200db\u200c c\ufe0f\u00a0", [], id="joiners_spaces_selectors_ignored"),
        pytest.param("ស្រី\U0001f600\U0001f600", ["\U0001f600"], id="each_once"),
    ],
)
def test_uncovered(text, expected):
    assert uncovered(text) == expected


def test_uncovered_text_draws_a_replacement_mark_not_a_box():
    pdf = _page("Anna\ue123")
    assert all(glyph > 0 for _, glyph in drawn_glyphs(pdf))
    assert "Anna\ufffd" in page_text(pdf)


@pytest.mark.parametrize(
    ("text", "fonts"),
    [
        pytest.param("Hun ស្រី", ["NotoSans-Regular", "NotoSansKhmer-Regular"], id="latin_then_khmer"),
        pytest.param("ស្រី 12", ["NotoSansKhmer-Regular", "NotoSans-Regular"], id="space_stays_digits_do_not"),
        pytest.param("A → B", ["NotoSans-Regular", "NotoSansSymbols-Regular", "NotoSans-Regular"], id="arrow"),
        pytest.param("Ánh", ["NotoSans-Regular"], id="precomposed_latin"),
        pytest.param("李 강", ["NotoSansCJKsc-Regular"], id="han_and_hangul_one_run"),
    ],
)
def test_runs_by_first_font_that_covers(text, fonts):
    assert [run.face.name for run in runs(text)] == fonts
    assert "".join(run.text for run in runs(text)) == text


def test_combining_marks_stay_with_their_base():
    laid = runs("Ánh ស\u17d2\u179a\u17b8", bold=True)
    assert [run.text for run in laid] == ["Ánh ", "ស\u17d2\u179a\u17b8"]


def test_latin_is_drawn_unshaped_complex_scripts_shaped():
    assert not runs("Macron")[0].shaped
    assert runs(NAMES["thai"])[0].shaped
    assert runs(NAMES["vietnamese_decomposed"])[0].shaped  # combining marks: the shaper positions them


def test_bold_cjk_uses_the_regular_face_emboldened():
    (run,) = runs("李强", bold=True)
    assert run.face.name == "NotoSansCJKsc-Regular" and run.face.emboldened


def test_width_fit_and_clip():
    assert text_width("ខ្មែរ", 20) == pytest.approx(2 * text_width("ខ្មែរ", 10))
    size = fit_size(NAMES["myanmar"], 30, 60)
    assert text_width(NAMES["myanmar"], size) <= 60 < text_width(NAMES["myanmar"], size + 0.5)
    cut = clip("ស្រី ខ្មែរ", 12, text_width("ស្រី ខ", 12))
    # The subscript ម has no advance of its own, so it stays; the cut never leaves a sign without its letter.
    assert cut == "ស្រី ខ្ម"
