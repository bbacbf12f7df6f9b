"""The PDFs read back: the text is there, and the QR decodes to a payload whose signature verifies."""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from badges.domain.badges import qr_read


def qr_texts(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    return [r.text for page in document for r in zxingcpp.read_barcodes(page.render(scale=4).to_pil())]


def test_badge_pdf_reads_back(summit, api):
    badge = summit["badges"][0]
    response = api.get(f"/api/v1/badges/{badge.badge_number}/pdf")
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Given0 Family0" in text
    assert "France" in text
    assert f"{badge.badge_number} v1" in text
    assert "DELEGATE" in text
    (payload,) = qr_texts(response.content)
    assert qr_read(payload) == (badge.badge_number, 1)
    assert api.post("/api/v1/verify", {"payload": payload}, format="json").json()["status"] == "current"


def test_a6_size(summit, api):
    response = api.get(f"/api/v1/badges/{summit['badges'][0].badge_number}/pdf?size=a6")
    box = PdfReader(io.BytesIO(response.content)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (298, 420)


def test_unknown_size_is_a_400(summit, api):
    response = api.get(f"/api/v1/badges/{summit['badges'][0].badge_number}/pdf?size=poster")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["size"]


def test_batch_pdf_for_a_delegation_has_every_badge(summit, api):
    response = api.post("/api/v1/badges/pdf", {"delegation": "FRA"}, format="json")
    assert response.status_code == 200
    assert len(qr_texts(response.content)) == 5
    assert sorted(qr_read(p)[0] for p in qr_texts(response.content)) == sorted(b.badge_number for b in summit["badges"])


def test_batch_pdf_selection(summit, api):
    assert len(qr_texts(api.post("/api/v1/badges/pdf", {}, format="json").content)) == 5  # the whole event
    one = summit["badges"][0].badge_number
    response = api.post("/api/v1/badges/pdf", {"badge_numbers": [one], "delegation": "FRA"}, format="json")
    assert [qr_read(p)[0] for p in qr_texts(response.content)] == [one]
    missing = api.post("/api/v1/badges/pdf", {"badge_numbers": ["NOPE-1"]}, format="json")
    assert missing.status_code == 404
    assert "NOPE-1" in missing.json()["error"]["message"]
    assert api.post("/api/v1/badges/pdf", {"badge_numbers": "x"}, format="json").status_code == 400


def test_photo_is_re_encoded_jpeg_and_on_the_badge(summit, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    person = summit["badges"][0].person
    png = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 30, 30)).save(png, "PNG")
    person.photo.save("face.png", ContentFile(png.getvalue()))
    response = api.get(f"/api/v1/badges/{summit['badges'][0].badge_number}/photo.jpg")
    assert response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "JPEG"
        assert not image.info.get("exif")
    assert api.get(f"/api/v1/badges/{summit['badges'][1].badge_number}/photo.jpg").status_code == 404
    pdf = api.get(f"/api/v1/badges/{summit['badges'][0].badge_number}/pdf").content
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) >= 2  # the photo and the QR
