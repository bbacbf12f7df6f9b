"""Regenerates the fonts in this directory from Debian's Noto packages (fonts-noto-core, fonts-noto-cjk).

Run by hand, never at run time:  .venv/bin/python asemplanner/fonts/build.py
Needs fontTools (a dependency) and, for the web fonts, brotli (pip install brotli).

What it does, font by font (see README.md for the list):
- the Latin/Greek/Cyrillic face and the script faces are kept whole (every character, every OpenType layout
  feature the shaper needs) but lose their TrueType hinting: a printed badge does not need it;
- the symbols face is cut to the arrows and a few shapes ("→" in the run-of-show);
- the CJK face (Noto Sans CJK SC from the .ttc) is cut to the characters of GB 2312, JIS X 0208 and KS X 1001
  plus kana, compatibility jamo, CJK punctuation and full-width forms, and its CFF outlines are converted to
  TrueType (quadratic) outlines, because reportlab's TTFont embeds only 'glyf' fonts ("postscript outlines are
  not supported");
- Noto Sans Khmer Regular and Bold are also written as woff2 under asemplanner/static/fonts/ for the web pages.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

HERE = Path(__file__).resolve().parent
STATIC = HERE.parent / "static" / "fonts"
CORE = Path("/usr/share/fonts/truetype/noto")
CJK = Path("/usr/share/fonts/opentype/noto")
CJK_FACE = "Noto Sans CJK SC"  # one face of the collection: Chinese glyph forms, full Japanese and Korean coverage

WHOLE = [
    "NotoSans-Regular",
    "NotoSans-Bold",
    "NotoSansKhmer-Regular",
    "NotoSansKhmer-Bold",
    "NotoSansThai-Regular",
    "NotoSansThai-Bold",
    "NotoSansLao-Regular",
    "NotoSansLao-Bold",
    "NotoSansMyanmar-Regular",
    "NotoSansMyanmar-Bold",
    "NotoSansBengali-Regular",
    "NotoSansBengali-Bold",
    "NotoSansDevanagari-Regular",
    "NotoSansDevanagari-Bold",
    "NotoSansMongolian-Regular",
]
SYMBOLS = ["NotoSansSymbols-Regular", "NotoSansSymbols-Bold"]
SYMBOL_RANGES = [(0x2190, 0x21FF), (0x25A0, 0x25FF), (0x2600, 0x26FF), (0x2700, 0x27BF)]
WEB = ["NotoSansKhmer-Regular", "NotoSansKhmer-Bold"]


def _double_byte(codec: str, lead: range, trail: range, prefix: bytes = b"") -> set[int]:
    found: set[int] = set()
    for first in lead:
        for second in trail:
            try:
                text = (prefix + bytes((first, second))).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                found.add(ord(text))
    return found


def cjk_characters() -> set[int]:
    """GB 2312 (EUC-CN), JIS X 0208 (EUC-JP two-byte plane) and KS X 1001 (EUC-KR), as the codecs decode them,
    plus the blocks a name or a label in these languages may still need."""
    wanted = _double_byte("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))
    wanted |= _double_byte("euc_jp", range(0xA1, 0xF5), range(0xA1, 0xFF))
    wanted |= _double_byte("euc_kr", range(0xA1, 0xFE), range(0xA1, 0xFF))
    blocks = [
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0x3040, 0x30FF),  # hiragana, katakana
        (0x31F0, 0x31FF),  # katakana phonetic extensions
        (0x3130, 0x318F),  # Hangul compatibility jamo
        (0xFF00, 0xFFEF),  # half- and full-width forms
    ]
    for low, high in blocks:
        wanted |= set(range(low, high + 1))
    wanted |= {0x20, 0xA0}  # a space between two CJK words stays in the CJK run
    return wanted


def _options() -> subset.Options:
    options = subset.Options()
    options.layout_features = ["*"]  # the shaper needs them all (Khmer: pref, blwf, abvs, pres ...)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    options.notdef_outline = True
    options.glyph_names = False
    options.drop_tables += ["DSIG"]
    return options


def _subset(font: TTFont, unicodes: set[int] | None) -> TTFont:
    options = _options()
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(unicodes if unicodes is not None else font.getBestCmap()))
    subsetter.subset(font)
    return font


def cff_to_glyf(font: TTFont, max_err: float = 1.0) -> None:
    """Replace the CFF outlines by quadratic TrueType ones (the fontTools otf2ttf recipe)."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    font["head"].glyphDataFormat = 0
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 3.0  # no glyph names: smaller, and nothing reads them
    post.extraNames = []
    post.mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"


def build_cjk(weight: str) -> Path:
    collection = TTCollection(CJK / f"NotoSansCJK-{weight}.ttc")
    (font,) = [
        face
        for face in collection.fonts
        if face["name"].getDebugName(4) == f"{CJK_FACE}{'' if weight == 'Regular' else ' Bold'}"
    ]
    _subset(font, cjk_characters() & set(font.getBestCmap()))
    cff_to_glyf(font)
    target = HERE / f"NotoSansCJKsc-{weight}-subset.ttf"
    font.save(target)
    return target


def main() -> None:
    written = []
    for name in WHOLE:
        font = _subset(TTFont(CORE / f"{name}.ttf"), None)
        font.save(HERE / f"{name}.ttf")
        written.append(HERE / f"{name}.ttf")
    for name in SYMBOLS:
        font = TTFont(CORE / f"{name}.ttf")
        wanted = {c for low, high in SYMBOL_RANGES for c in range(low, high + 1)} | {0x20, 0xA0}
        _subset(font, wanted & set(font.getBestCmap()))
        target = HERE / f"{name}-subset.ttf"
        font.save(target)
        written.append(target)
    for weight in sys.argv[1:] or ["Regular"]:  # "Bold" too on request: 7 MB more, see README.md
        written.append(build_cjk(weight))
    STATIC.mkdir(parents=True, exist_ok=True)
    for name in WEB:
        font = TTFont(CORE / f"{name}.ttf")
        _subset(font, None)
        font.flavor = "woff2"
        font.save(STATIC / f"{name}.woff2")
        written.append(STATIC / f"{name}.woff2")
    for path in written:
        print(f"{path.stat().st_size:>10,}  {path.relative_to(HERE.parent.parent)}")


if __name__ == "__main__":
    main()
