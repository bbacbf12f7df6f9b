"""B-PDF — badges in every script: the shaped, font-fallback path against the Helvetica one it replaced.

Side by side in the same run, one CR80 badge with no photo (the QR is drawn in both):
  - baseline: reportlab's built-in Helvetica, Latin name only (the badge code before asemplanner.typesetting);
  - latin: the shipped Noto Sans, same Latin badge (unshaped runs: no HarfBuzz call);
  - one row per script: the same badge with a native name under the Latin one (HarfBuzz-shaped runs);
  - cold: the first badge in a fresh process (font registration, the CJK face's 7 MB parsed once);
  - sheet: 90 badges, nine to an A4 page, names cycling through the scripts.
Median of --repeat renders after one warm-up; shaping results are cached per (font, text) in a process, so the
"uncached" column clears that cache before each render (a print run of new names).

    .venv/bin/python benchmarks/pdf_scripts.py [--repeat 30]

Prints a table; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from reportlab.lib.colors import HexColor, white  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from asemplanner import typesetting  # noqa: E402
from asemplanner.choices import Category  # noqa: E402
from badges.domain.badges import qr_payload  # noqa: E402
from badges.domain.pdf import CARD, _qr_image, badge_pdf, badges_sheet_pdf  # noqa: E402

NAMES = {
    "khmer": "ស្រី ខ្មែរ ហ៊ុន ម៉ាណែត",
    "thai": "แพทองธาร ชินวัตร",
    "lao": "ສອນໄຊ ສີພັນດອນ",
    "myanmar": "မင်းအောင်လှိုင်",
    "chinese": "李强",
    "japanese": "岸田 文雄",
    "korean": "윤석열",
    "vietnamese": "Nguyễn Thị Ánh",
    "greek": "Κυριάκος Μητσοτάκης",
    "devanagari": "नरेन्द्र मोदी",
}


def badge(native: str = "", n: int = 42) -> dict[str, Any]:
    return {
        "badge_number": f"ASEM13-{n:06d}", "version": 1, "category": Category.PRINCIPAL, "colour": "#7a1f2b",
        "event": "ASEM13", "honorific": "H.E.", "given_name": "Anna", "family_name": "Example",
        "native_name": native, "function": "Minister for Foreign Affairs", "delegation": "Cambodia",
        "zones": ["A", "P"],
    }  # fmt: skip


def helvetica_badge_pdf(row: dict[str, Any]) -> bytes:
    """The badge as badges/domain/pdf.py drew it before: built-in fonts, no photo (the baseline)."""
    w, h = CARD
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(w, h), pageCompression=1)

    def fit(text: str, font: str, size: float, room: float) -> float:
        while size > 5 and canvas.stringWidth(text, font, size) > room:
            size -= 0.5
        return size

    margin, band = w * 0.06, h * 0.12
    canvas.setStrokeColor(HexColor("#999999"))
    canvas.rect(0, 0, w, h)
    canvas.setFillColor(HexColor(row["colour"]))
    canvas.rect(0, h - band, w, band, stroke=0, fill=1)
    canvas.setFillColor(white)
    label = f"{row['event']} · {Category(row['category']).label.upper()}"
    canvas.setFont("Helvetica-Bold", fit(label, "Helvetica-Bold", band * 0.45, w - 2 * margin))
    canvas.drawCentredString(w / 2, h - band * 0.65, label)
    photo_w = w * 0.45
    photo_y = h - band - margin - photo_w * 4 / 3
    canvas.setStrokeColor(HexColor("#bbbbbb"))
    canvas.rect((w - photo_w) / 2, photo_y, photo_w, photo_w * 4 / 3)
    canvas.setFillColor(HexColor("#111111"))
    line_y = photo_y - h * 0.055
    for text, font, base in (
        (row["honorific"], "Helvetica", h * 0.03),
        (f"{row['given_name']} {row['family_name']}", "Helvetica-Bold", h * 0.045),
        (row["function"], "Helvetica", h * 0.03),
        (row["delegation"], "Helvetica-Oblique", h * 0.03),
    ):
        size = fit(text, font, base, w - 2 * margin)
        canvas.setFont(font, size)
        canvas.drawCentredString(w / 2, line_y, text)
        line_y -= size * 1.35
    qr = h * 0.2
    canvas.drawImage(_qr_image(qr_payload(row["badge_number"], row["version"])), margin, margin, qr, qr)
    canvas.setFont("Helvetica-Bold", h * 0.035)
    canvas.drawString(margin + qr + margin, margin + qr * 0.6, " ".join(row["zones"]))
    canvas.setFont("Helvetica", h * 0.026)
    canvas.drawString(margin + qr + margin, margin + qr * 0.2, f"{row['badge_number']} v{row['version']}")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def timed(render, repeat: int, *, uncached: bool = False) -> tuple[float, int]:
    size = len(render())  # warm-up
    times = []
    for _ in range(repeat):
        if uncached:
            typesetting._run.cache_clear()
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, size


def text_only_ms(lines: list[tuple[str, bool]], repeat: int, *, helvetica: bool) -> float:
    """The badge's text alone (fit, then draw) on a page with nothing else: the part the fonts change,
    without the QR code that dominates a whole badge's time."""

    def render() -> None:
        canvas = Canvas(io.BytesIO(), pagesize=CARD)
        for y, (text, bold) in enumerate(lines):
            if helvetica:
                font = "Helvetica-Bold" if bold else "Helvetica"
                size = 12.0
                while size > 5 and canvas.stringWidth(text, font, size) > 130:
                    size -= 0.5
                canvas.setFont(font, size)
                canvas.drawCentredString(76, 20 + 20 * y, text)
            else:
                size = typesetting.fit_size(text, 12, 130, bold=bold)
                typesetting.draw_text(canvas, 76, 20 + 20 * y, text, size, bold=bold, align="centre")
        canvas.showPage()
        canvas.save()

    render()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def cold_ms() -> float:
    """The first badge in a fresh interpreter (imports done before the clock starts)."""
    code = (
        "import sys, time; sys.argv=['x']; sys.path.insert(0, '.');"
        "import benchmarks.pdf_scripts as b;"
        "t=time.perf_counter(); b.badge_pdf(b.badge(b.NAMES['japanese']), None); print(time.perf_counter()-t)"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)  # noqa: S603
    return float(done.stdout.split()[-1]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rows: dict[str, dict[str, float]] = {}
    ms, size = timed(lambda: helvetica_badge_pdf(badge()), args.repeat)
    rows["baseline_helvetica_latin"] = {"ms": ms, "uncached_ms": ms, "bytes": size}
    ms, size = timed(lambda: badge_pdf(badge(), None), args.repeat)
    uncached, _ = timed(lambda: badge_pdf(badge(), None), args.repeat, uncached=True)
    rows["noto_latin"] = {"ms": ms, "uncached_ms": uncached, "bytes": size}
    for script, name in NAMES.items():
        ms, size = timed(lambda name=name: badge_pdf(badge(name), None), args.repeat)
        uncached, _ = timed(lambda name=name: badge_pdf(badge(name), None), args.repeat, uncached=True)
        rows[script] = {"ms": ms, "uncached_ms": uncached, "bytes": size}
    scripts = list(NAMES.values())
    sheet = [(badge(scripts[n % len(scripts)], n), None) for n in range(90)]
    sheet_ms, sheet_bytes = timed(lambda: badges_sheet_pdf(sheet), max(3, args.repeat // 10))
    helvetica_sheet = sum(len(helvetica_badge_pdf(badge(n=n))) for n in range(9))  # nine single PDFs, for scale
    cold = cold_ms()
    latin_lines = [
        ("H.E.", False),
        ("Anna Example", True),
        ("Minister for Foreign Affairs", False),
        ("Cambodia", False),
    ]
    text_ms = {
        "helvetica_latin": text_only_ms(latin_lines, args.repeat * 5, helvetica=True),
        "noto_latin": text_only_ms(latin_lines, args.repeat * 5, helvetica=False),
    }
    for script in ("khmer", "thai", "japanese", "myanmar"):
        lines = [*latin_lines[:2], (NAMES[script], True), *latin_lines[2:]]
        text_ms[script] = text_only_ms(lines, args.repeat * 5, helvetica=False)

    print(f"{'badge':<26}{'ms (cached)':>12}{'ms (uncached)':>15}{'PDF bytes':>11}")
    for label, row in rows.items():
        print(f"{label:<26}{row['ms']:>12.2f}{row['uncached_ms']:>15.2f}{row['bytes']:>11,}")
    print(
        f"{'sheet of 90, all scripts':<26}{sheet_ms:>12.1f}{'':>15}{sheet_bytes:>11,}  ({sheet_ms / 90:.2f} ms a badge)"
    )
    print(f"{'first badge, new process':<26}{cold:>12.1f}  (font registration, CJK face parsed)")
    print(f"(nine separate Helvetica PDFs together: {helvetica_sheet:,} bytes)")
    print("text only (fit + draw + save, no QR): " + ", ".join(f"{k} {v:.2f} ms" for k, v in text_ms.items()))
    print(
        json.dumps(
            {
                "benchmark": "pdf_scripts",
                "repeat": args.repeat,
                "badges": {label: {k: round(v, 3) for k, v in row.items()} for label, row in rows.items()},
                "sheet_90": {"ms": round(sheet_ms, 1), "bytes": sheet_bytes},
                "first_badge_ms": round(cold, 1),
                "text_only_ms": {k: round(v, 3) for k, v in text_ms.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
