"""Text on PDF pages in every script the summit's names come in.

The fonts are the OFL Noto faces shipped in asemplanner/fonts/ (see its README). A string is cut into runs by the
first font, in a fixed fallback order, that has each character (combining marks and joiners stay with their base
character's run; spaces and punctuation stay with the run they are in when its font has them). Runs in a complex
script (anything but the Latin/Greek/Cyrillic face, or text with combining marks) are shaped by HarfBuzz through
reportlab's own shaping (uharfbuzz); Latin runs are drawn glyph by glyph as before, which keeps them fast and their
text layer trivially exact. A shaped run is wrapped in a /Span with /ActualText, so that copying or searching the
page gives the logical string even where the shaper reordered glyphs (a Khmer pre-base vowel) or used glyphs that
no character maps to (a Khmer subscript consonant).

`uncovered(text)` names the characters no shipped font has: callers leave such text off (a badge's native name)
or flag it; `draw_text` never prints a .notdef box but a visible U+FFFD in its place.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from reportlab.lib.styles import StyleSheet1, getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import ShapedStr, TTFont, shapeStr
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(__file__).resolve().parent / "fonts"

# (family, regular file, bold file or None when the family has no bold: the regular face is used).
FALLBACK: tuple[tuple[str, str, str | None], ...] = (
    ("NotoSans", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("NotoSansSymbols", "NotoSansSymbols-Regular-subset.ttf", "NotoSansSymbols-Bold-subset.ttf"),
    ("NotoSansKhmer", "NotoSansKhmer-Regular.ttf", "NotoSansKhmer-Bold.ttf"),
    ("NotoSansThai", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),
    ("NotoSansLao", "NotoSansLao-Regular.ttf", "NotoSansLao-Bold.ttf"),
    ("NotoSansMyanmar", "NotoSansMyanmar-Regular.ttf", "NotoSansMyanmar-Bold.ttf"),
    ("NotoSansBengali", "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf"),
    ("NotoSansDevanagari", "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
    ("NotoSansMongolian", "NotoSansMongolian-Regular.ttf", None),
    ("NotoSansCJKsc", "NotoSansCJKsc-Regular-subset.ttf", None),  # bold CJK: see fonts/README.md
)
REGULAR = "NotoSans-Regular"  # reportlab names of the base face, for platypus styles
BOLD = "NotoSans-Bold"
REPLACEMENT = "\ufffd"
OBLIQUE_DEGREES = 12.0
EMBOLDEN = 0.03  # stroke width, in font sizes, that makes a regular CJK face look about as heavy as a bold one

# Characters that never need a glyph of their own: spaces are drawn as advance, joiners and variation selectors
# only steer the shaper.
_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF}


@dataclass(frozen=True)
class Face:
    name: str  # reportlab's registered name
    cmap: frozenset[int]  # the font's own characters, taken before shaping adds private-use ones
    base: bool  # the Latin/Greek/Cyrillic face: drawn unshaped
    emboldened: bool = False  # no bold face shipped (CJK, Mongolian): the regular one stroked as well as filled


@dataclass(frozen=True)
class Run:
    face: Face
    text: str  # the logical text
    glyphs: str  # what reportlab draws: the text itself, or the shaped glyph string
    units: float  # advance width in 1/1000 of the font size
    shaped: bool


@cache
def _registered() -> dict[bool, tuple[Face, ...]]:
    """Registers the shipped fonts with reportlab, once per process (parsing the CJK face takes a moment)."""
    known = set(pdfmetrics.getRegisteredFontNames())
    weights: dict[bool, list[Face]] = {False: [], True: []}
    for family, regular, heavy in FALLBACK:
        names = {False: f"{family}-Regular", True: f"{family}-Bold" if heavy else f"{family}-Regular"}
        for bold, filename in ((False, regular), (True, heavy or regular)):
            if names[bold] not in known:
                pdfmetrics.registerFont(TTFont(names[bold], str(FONT_DIR / filename)))
                known.add(names[bold])
            font = pdfmetrics.getFont(names[bold])
            # The cmap is copied now: reportlab's shaping later adds private-use entries for unmapped glyphs.
            cmap = frozenset(font.face.charToGlyph)
            weights[bold].append(Face(names[bold], cmap, base=family == "NotoSans", emboldened=bold and not heavy))
        pdfmetrics.registerFontFamily(
            names[False], normal=names[False], bold=names[True], italic=names[False], boldItalic=names[True]
        )
    return {bold: tuple(found) for bold, found in weights.items()}


def faces(bold: bool = False) -> tuple[Face, ...]:
    """The fallback list for one weight, fonts registered with reportlab."""
    return _registered()[bold]


def _attaches(char: str) -> bool:
    """Stays in the run of the character before it: combining marks, joiners, variation selectors."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or code in (0x200C, 0x200D)
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
    )


def _neutral(char: str) -> bool:
    return unicodedata.category(char)[0] in ("Z", "P") or char.isascii() and char.isdigit()


def _ignorable(char: str) -> bool:
    code = ord(char)
    return char.isspace() or code in _INVISIBLE or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def uncovered(text: str) -> list[str]:
    """The characters of `text` that no shipped font has (each once, in order of appearance): printing them
    would give .notdef boxes. Spaces, joiners and variation selectors are not counted."""
    every = faces(False)
    seen: list[str] = []
    for char in text:
        if char in seen or _ignorable(char):
            continue
        if not any(ord(char) in face.cmap for face in every):
            seen.append(char)
    return seen


def _split(text: str, bold: bool) -> list[tuple[Face, str]]:
    every = faces(bold)
    runs: list[tuple[Face, str]] = []
    for char in text:
        code = ord(char)
        if runs:
            face, sofar = runs[-1]
            if _attaches(char) or code in _INVISIBLE or (_neutral(char) and code in face.cmap):
                runs[-1] = (face, sofar + char)
                continue
        chosen = next((face for face in every if code in face.cmap), None)
        if chosen is None:
            chosen, char = every[0], REPLACEMENT
        if runs and runs[-1][0] == chosen:
            runs[-1] = (chosen, runs[-1][1] + char)
        else:
            runs.append((chosen, char))
    return runs


@lru_cache(maxsize=4096)
def _run(face: Face, text: str) -> Run:
    """One run, shaped if it needs it. Shaping does not depend on the size: advances are in 1/1000 em."""
    needs_shaping = not face.base or any(_attaches(char) or ord(char) in _INVISIBLE for char in text)
    if not needs_shaping:
        return Run(face, text, text, pdfmetrics.stringWidth(text, face.name, 1000), False)
    glyphs = shapeStr(text, face.name, 10, force=True)
    if isinstance(glyphs, ShapedStr):
        units = sum(data.x_advance for data in glyphs.__shapeData__)
    else:
        units = pdfmetrics.stringWidth(glyphs, face.name, 1000)
    return Run(face, text, glyphs, units, True)


def runs(text: str, *, bold: bool = False) -> list[Run]:
    return [_run(face, part) for face, part in _split(text, bold)]


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    return sum(run.units for run in runs(text, bold=bold)) * size / 1000


def fit_size(text: str, size: float, room: float, *, bold: bool = False, floor: float = 5, step: float = 0.5) -> float:
    """The largest of size, size - step, ... (not below floor) at which the text fits in `room` points."""
    units = sum(run.units for run in runs(text, bold=bold))
    while size > floor and units * size / 1000 > room:
        size -= step
    return size


def clip(text: str, size: float, room: float, *, bold: bool = False) -> str:
    """The text cut at the end until it fits (never inside a cluster: whole characters with their marks)."""
    while text and text_width(text, size, bold=bold) > room:
        text = text[:-1]
        while text and _attaches(text[-1]):
            text = text[:-1]
    return text


def _actual_text(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def draw_text(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    *,
    bold: bool = False,
    oblique: bool = False,
    align: str = "left",
) -> float:
    """Draws one line at (x, y) on the baseline, aligned left, centre or right of x; returns its width."""
    laid = runs(text, bold=bold)
    width = sum(run.units for run in laid) * size / 1000
    start = {"left": x, "centre": x - width / 2, "right": x - width}[align]
    canvas.saveState()
    canvas.translate(start, y)
    if oblique:
        canvas.skew(0, OBLIQUE_DEGREES)
    advance = 0.0
    for run in laid:
        canvas.setFont(run.face.name, size)
        if run.shaped:
            canvas.addLiteral(f"/Span <</ActualText {_actual_text(run.text)}>> BDC")
        if run.face.emboldened:
            canvas.setStrokeColor(canvas._fillColorObj)
            canvas.setLineWidth(size * EMBOLDEN)
        canvas.drawString(advance, 0, run.glyphs, mode=2 if run.face.emboldened else None)
        if run.shaped:
            canvas.addLiteral("EMC")
        advance += run.units * size / 1000
    canvas.restoreState()
    return width


def markup(text: str, *, bold: bool = False) -> str:
    """Paragraph markup for platypus: the text escaped, each run in its own font."""
    from xml.sax.saxutils import escape

    return "".join(f'<font face="{face.name}">{escape(part)}</font>' for face, part in _split(text, bold))


@cache
def stylesheet() -> StyleSheet1:
    """reportlab's sample styles on the shipped fonts, with HarfBuzz shaping switched on for complex scripts.
    Shared: clone a style to change it."""
    _registered()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        font = getattr(style, "fontName", None)
        if font:
            style.fontName = BOLD if "Bold" in font else REGULAR
            style.shaping = 1
    return styles


__all__ = [
    "BOLD",
    "REGULAR",
    "Run",
    "clip",
    "draw_text",
    "faces",
    "fit_size",
    "markup",
    "runs",
    "stylesheet",
    "text_width",
    "uncovered",
]
