"""Badge photos: only real JPEG and PNG within the limits, re-encoded without metadata, names made by us."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from asemplanner.models import AuditEntry
from delegations.domain.photos import person_set_photo, photo_prepare
from tests.delegations import images
from tests.factories import PersonFactory, UserFactory


def upload(data: bytes, name: str = "me.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(images.html_with_png_header(), "is not really a PNG image", id="html_with_png_header"),
        pytest.param(images.svg_bytes(), "an SVG drawing", id="svg"),
        pytest.param(b"<!DOCTYPE html><html><body>hi</body></html>", "a web page (HTML)", id="html"),
        pytest.param(images.gif_bytes(), "a GIF image", id="gif_renamed_jpg"),
        pytest.param(b"%PDF-1.7 ...", "a PDF document", id="pdf"),
        pytest.param(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "HEIC", id="heic"),
        pytest.param(images.png_pixel_bomb(), "million pixels", id="pixel_bomb"),
        pytest.param(images.truncated_jpeg(), "damaged", id="truncated_jpeg"),
        pytest.param(images.jpeg_bytes(size=(100, 120)), "at least 240 × 320", id="too_small"),
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"just some text", "not an image we can read", id="text"),
    ],
)
def test_photo_prepare_refuses_what_is_not_a_photo(data, expected):
    with pytest.raises(ValidationError) as exc:
        photo_prepare(upload(data))
    (message,) = exc.value.message_dict["photo"]
    assert expected in message
    assert "JPEG" in message or "pixels" in message or "photo" in message  # says what is allowed


def test_photo_prepare_refuses_a_file_over_the_size_limit(settings):
    settings.PLANNER_PHOTO_MAX_BYTES = 10_000
    with pytest.raises(ValidationError) as exc:
        photo_prepare(upload(images.jpeg_bytes(size=(2000, 2000)) + b"\x00" * 20_000))
    (message,) = exc.value.message_dict["photo"]
    assert message.startswith("The file is ") and "a photo may be at most 10 kB" in message


def test_photo_prepare_reencodes_without_exif_and_applies_orientation():
    prepared = photo_prepare(upload(images.jpeg_bytes(size=(400, 300), exif=images.exif_with_gps())))
    with Image.open(io.BytesIO(prepared.read())) as image:
        assert image.format == "JPEG"
        assert not image.getexif()  # no camera, no GPS position
        assert "exif" not in image.info
        assert image.size == (300, 400)  # orientation 6 applied: the landscape file was a portrait photo


def test_photo_prepare_flattens_transparent_png_onto_white_jpeg():
    prepared = photo_prepare(upload(images.png_bytes(colour=(0, 0, 0, 0)), name="me.png", content_type="image/png"))
    with Image.open(io.BytesIO(prepared.read())) as image:
        assert image.format == "JPEG"
        assert image.mode == "RGB"
        assert image.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=2)


def test_photo_prepare_scales_large_photos_down():
    prepared = photo_prepare(upload(images.jpeg_bytes(size=(3000, 4000))))
    with Image.open(io.BytesIO(prepared.read())) as image:
        assert max(image.size) == 1200


def test_photo_prepare_ignores_the_declared_name_and_type():
    """A PNG called photo.jpg sent as text/plain is judged by its bytes, and stored as a JPEG."""
    prepared = photo_prepare(upload(images.png_bytes(), name="photo.jpg", content_type="text/plain"))
    assert prepared.read()[:3] == b"\xff\xd8\xff"


def test_person_set_photo_stores_under_a_server_name_and_audits(db):
    person = PersonFactory()
    liaison = UserFactory(username="lia")
    person_set_photo(person=person, upload=upload(images.jpeg_bytes(), name="../../etc/passwd.jpg"), by=liaison)
    person.refresh_from_db()
    assert person.photo.name.startswith("photos/")
    assert "passwd" not in person.photo.name and ".." not in person.photo.name
    entry = AuditEntry.objects.get(action="delegations.person.photo_added")
    assert entry.actor == liaison
    assert list(entry.changes) == ["photo"]


def test_person_set_photo_replacing_deletes_the_old_file_after_commit(db, django_capture_on_commit_callbacks):
    person = PersonFactory()
    with django_capture_on_commit_callbacks(execute=True):
        person_set_photo(person=person, upload=upload(images.jpeg_bytes()), by="test")
    old = person.photo.name
    storage = person.photo.storage
    with django_capture_on_commit_callbacks(execute=True):
        person_set_photo(person=person, upload=upload(images.jpeg_bytes(colour=(1, 2, 3))), by="test")
    assert person.photo.name != old
    assert not storage.exists(old)
    assert storage.exists(person.photo.name)
    assert AuditEntry.objects.filter(action="delegations.person.photo_replaced").count() == 1


def test_person_set_photo_refused_changes_nothing(db):
    person = PersonFactory()
    with pytest.raises(ValidationError):
        person_set_photo(person=person, upload=upload(images.svg_bytes(), name="x.svg"), by="test")
    person.refresh_from_db()
    assert not person.photo
    assert not AuditEntry.objects.filter(action__startswith="delegations.person.photo").exists()


def test_admin_photo_upload_goes_through_the_same_checks(role_client, db):
    person = PersonFactory()
    client = role_client("accreditation")
    url = f"/admin/delegations/person/{person.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "photo"}
    data |= {f"{p}-TOTAL_FORMS": "0" for p in ("travel", "accreditations")}
    data |= {f"{p}-INITIAL_FORMS": "0" for p in ("travel", "accreditations")}
    data["delegation"] = person.delegation_id
    data["photo"] = upload(images.html_with_png_header(), name="badge.png", content_type="image/png")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "is not really a PNG image" in response.content.decode()
    person.refresh_from_db()
    assert not person.photo

    data["photo"] = upload(images.jpeg_bytes(size=(400, 300), exif=images.exif_with_gps()))
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    with person.photo.open("rb") as f, Image.open(f) as image:
        assert not image.getexif()
    photo = client.get(f"/admin/delegations/person/{person.pk}/photo.jpg")
    assert photo["Content-Type"] == "image/jpeg"
    assert "private" in photo["Cache-Control"] and "no-store" in photo["Cache-Control"]
    assert b"".join(photo.streaming_content)[:3] == b"\xff\xd8\xff"


def test_a_problem_elsewhere_on_the_person_does_not_block_the_photo(db):
    """A passport on file that expires too soon is for the member form to point out, not the photo upload."""
    person = PersonFactory(passport_number="X1", passport_expiry=dt.date(2020, 1, 1))  # before the event
    person_set_photo(person=person, upload=upload(images.jpeg_bytes()), by="test")
    person.refresh_from_db()
    assert person.photo
