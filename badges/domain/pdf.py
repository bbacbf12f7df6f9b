"""Print-ready badges: reportlab for the page, segno for the QR. ID-card (CR80 portrait) or A6; sheets of ID
cards on A4 for sheet printers. Text in the shipped Noto fonts (asemplanner.typesetting): every script, shaped."""

from __future__ import annotations

import io
from typing import Any

import segno
from PIL import Image
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from asemplanner.choices import Category
from asemplanner.typesetting import clip, draw_text, fit_size, uncovered
from badges.domain.badges import qr_payload

CARD = (54 * mm, 85.6 * mm)  # ID-1 / CR80, portrait
SIZES = {"card": CARD, "a6": A6}
SHEET_COLUMNS, SHEET_ROWS = 3, 3
PHOTO_MAX_PX = 600


def photo_jpeg(path_or_file) -> bytes:
    """The photo re-encoded as a plain JPEG (no metadata, at most 600 px): what the API hands out and prints."""
    with Image.open(path_or_file) as decoded:
        decoded.draft("RGB", (PHOTO_MAX_PX, PHOTO_MAX_PX))  # a JPEG decodes at a fraction of its size: much faster
        image = decoded.convert("RGB")
        image.thumbnail((PHOTO_MAX_PX, PHOTO_MAX_PX))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _qr_image(payload: str) -> ImageReader:
    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="png", scale=8, border=2)
    out.seek(0)
    return ImageReader(out)


def draw_badge(canvas: Canvas, badge: dict[str, Any], photo: bytes | None, x: float, y: float, w: float, h: float):
    """One badge in the box (x, y, w, h), y at the bottom as reportlab counts."""
    margin = w * 0.06
    band = h * 0.12
    canvas.setStrokeColor(HexColor("#999999"))
    canvas.rect(x, y, w, h)
    canvas.setFillColor(HexColor(badge["colour"]))
    canvas.rect(x, y + h - band, w, band, stroke=0, fill=1)
    canvas.setFillColor(white)
    label = f"{badge['event']} · {Category(badge['category']).label.upper()}"
    size = fit_size(label, band * 0.45, w - 2 * margin, bold=True)
    draw_text(canvas, x + w / 2, y + h - band * 0.65, label, size, bold=True, align="centre")
    photo_w = w * 0.45
    photo_h = photo_w * 4 / 3
    photo_x, photo_y = x + (w - photo_w) / 2, y + h - band - margin - photo_h
    if photo:
        canvas.drawImage(ImageReader(io.BytesIO(photo)), photo_x, photo_y, photo_w, photo_h, preserveAspectRatio=True)
    else:
        canvas.setStrokeColor(HexColor("#bbbbbb"))
        canvas.rect(photo_x, photo_y, photo_w, photo_h)
    canvas.setFillColor(HexColor("#111111"))
    name = " ".join(part for part in (badge["given_name"], badge["family_name"]) if part)
    # The name in its own script only when every character has a glyph: never boxes on a badge.
    native = badge.get("native_name") or ""
    native = native if native.strip() and not uncovered(native) else ""
    line_y = photo_y - h * 0.055
    for text, style, base in (
        (badge["honorific"], "regular", h * 0.03),
        (name, "bold", h * 0.045),
        (native, "bold", h * 0.04),
        (badge["function"], "regular", h * 0.03),
        (badge["delegation"], "oblique", h * 0.03),
    ):
        if text:
            size = fit_size(text, base, w - 2 * margin, bold=style == "bold")
            draw_text(
                canvas, x + w / 2, line_y, text, size, bold=style == "bold", oblique=style == "oblique", align="centre"
            )
            line_y -= size * 1.35
    qr = h * 0.2
    canvas.drawImage(_qr_image(qr_payload(badge["badge_number"], badge["version"])), x + margin, y + margin, qr, qr)
    zones = clip(" ".join(badge["zones"]) or "—", h * 0.035, w - 3 * margin - qr, bold=True)
    draw_text(canvas, x + margin + qr + margin, y + margin + qr * 0.6, zones, h * 0.035, bold=True)
    number = f"{badge['badge_number']} v{badge['version']}"
    draw_text(canvas, x + margin + qr + margin, y + margin + qr * 0.2, number, h * 0.026)


def badge_pdf(badge: dict[str, Any], photo: bytes | None, *, size: str = "card") -> bytes:
    w, h = SIZES[size]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(w, h), pageCompression=1)
    canvas.setTitle(f"Badge {badge['badge_number']} v{badge['version']}")
    draw_badge(canvas, badge, photo, 0, 0, w, h)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def badges_sheet_pdf(badges: list[tuple[dict[str, Any], bytes | None]]) -> bytes:
    """ID cards, nine to an A4 page, with cut lines: for sheet printers."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"{len(badges)} badges")
    page_w, page_h = A4
    w, h = CARD
    gap = 4 * mm
    left = (page_w - SHEET_COLUMNS * w - (SHEET_COLUMNS - 1) * gap) / 2
    top = page_h - (page_h - SHEET_ROWS * h - (SHEET_ROWS - 1) * gap) / 2
    per_page = SHEET_COLUMNS * SHEET_ROWS
    for index, (badge, photo) in enumerate(badges):
        slot = index % per_page
        if index and slot == 0:
            canvas.showPage()
        column, row = slot % SHEET_COLUMNS, slot // SHEET_COLUMNS
        draw_badge(canvas, badge, photo, left + column * (w + gap), top - (row + 1) * h - row * gap, w, h)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
