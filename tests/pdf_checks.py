"""Reading a PDF back as a person and a printer would: which glyphs its text operators draw, what text a viewer
copies, and the page as pixels. Used by the tests of names in every script."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pypdfium2
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops
from pypdf import PdfReader
from pypdf.generic import ContentStream

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "scripts"

# A name in each script the summit's delegations write in; the Khmer, Thai and Myanmar ones stack and reorder.
NAMES = {
    "khmer": "ស្រី ខ្មែរ ហ៊ុន ម៉ាណែត",
    "chinese": "李强",
    "japanese": "岸田 文雄 きしだ ふみお",
    "korean": "윤석열",
    "thai": "แพทองธาร ชินวัตร กิ่งแก้ว",
    "lao": "ສອນໄຊ ສີພັນດອນ",
    "myanmar": "မင်းအောင်လှိုင်",
    "vietnamese": "Nguyễn Thị Ánh",
    "vietnamese_decomposed": unicodedata.normalize("NFD", "Nguyễn Thị Ánh"),
    "mongolian_cyrillic": "Ухнаагийн Хүрэлсүх",
    "mongolian_script": "ᠮᠣᠩᠭᠣᠯ",
    "greek": "Κυριάκος Μητσοτάκης",
    "russian": "Сергей Лавров",
    "bengali": "শেখ হাসিনা",
    "devanagari": "नरेन्द्र मोदी",
}


def _subset_cmap(font_dict) -> dict[int, int] | None:
    """Code → glyph id of an embedded TrueType subset, from its own cmap; None for a font with no file."""
    descriptor = font_dict.get("/FontDescriptor")
    if descriptor is None or "/FontFile2" not in descriptor.get_object():
        return None
    font = TTFont(io.BytesIO(descriptor.get_object()["/FontFile2"].get_data()))
    table = font["cmap"].tables[0]
    return {code: font.getGlyphID(name) for code, name in table.cmap.items()}


def _to_unicode(font_dict) -> dict[int, str]:
    """Code → text from the font's /ToUnicode CMap (bfchar and bfrange entries, as reportlab writes them)."""
    if "/ToUnicode" not in font_dict:
        return {}
    data = font_dict["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = ord(bytes.fromhex(text).decode("utf-16-be"))
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def _codes(operand) -> bytes:
    raw = getattr(operand, "original_bytes", operand)
    return bytes(raw) if isinstance(raw, bytes | bytearray) else raw.encode("latin-1")


def drawn_glyphs(pdf: bytes) -> list[tuple[str, int]]:
    """(font, glyph id) of every character code that a text operator draws, on every page: the glyph the
    embedded font file itself maps the code to, which is what a viewer or printer draws. Glyph 0 is .notdef.
    reportlab draws a character its font lacks as code U+0000, which Noto maps to an empty glyph: such a code
    (a control character in the font's /ToUnicode) is reported as glyph 0 too. A font without an embedded file
    (a standard Type 1 font) reports glyph -1."""
    reader = PdfReader(io.BytesIO(pdf))
    found: list[tuple[str, int]] = []
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        fonts = fonts.get_object() if fonts else {}
        cmaps = {name: _subset_cmap(fonts[name].get_object()) for name in fonts}
        texts = {name: _to_unicode(fonts[name].get_object()) for name in fonts}
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = operands[0]
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                strings = operands[0] if operator == b"TJ" else [operands[-1]]
                cmap = cmaps[current]
                base = str(fonts[current].get_object()["/BaseFont"])
                for item in strings:
                    if isinstance(item, int | float):
                        continue
                    for code in _codes(item):
                        glyph = -1 if cmap is None else cmap.get(code, 0)
                        if (
                            cmap is not None
                            and unicodedata.category(texts[current].get(code, "\0")[:1] or "\0") == "Cc"
                        ):
                            glyph = 0
                        found.append((base, glyph))
    return found


def page_text(pdf: bytes, page: int = 0) -> str:
    """The text a viewer copies (pdfium honours /ActualText)."""
    document = pypdfium2.PdfDocument(pdf)
    return document[page].get_textpage().get_text_range()


def render(pdf: bytes, page: int = 0, scale: float = 3) -> Image.Image:
    return pypdfium2.PdfDocument(pdf)[page].render(scale=scale).to_pil().convert("L")


def ink(with_text: Image.Image, without: Image.Image) -> int:
    """Pixels that the one page darkens more than the other: the ink the extra text added."""
    difference = ImageChops.subtract(without, with_text)
    return difference.point(lambda value: 255 if value > 64 else 0).histogram()[255]


def save_artifact(image: Image.Image, name: str) -> Path:
    """A PNG to look at: test-artifacts/scripts/<name>.png (the directory is git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    image.save(path)
    return path
