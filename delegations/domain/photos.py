"""Badge photos: checked by decoding, never by name or declared type, then re-encoded without metadata.

What a liaison (or staff in the admin) uploads is untrusted: it may be a web page with a PNG header, an SVG,
a pixel bomb (a few kilobytes that decode to gigabytes), or a phone photo carrying its GPS position in EXIF.
`photo_prepare` lets only real JPEG and PNG images within the limits through and hands back a fresh JPEG
that holds nothing but the pixels; the file name is made by the server (`delegations.models.photo_upload_to`).
"""

from __future__ import annotations

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps, UnidentifiedImageError

from asemplanner.domain.audit import Actor, instance_save
from delegations.models import Person
from delegations.validators import size_text

ALLOWED = ("JPEG", "PNG")
MIN_WIDTH, MIN_HEIGHT = 240, 320  # a badge prints the photo at about 2 × 2.7 cm; less looks blurred
STORED_MAX_SIDE = 1200
MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
# What people upload instead of a photo, recognised by its first bytes, and what to tell them.
IMPOSTORS = [
    (b"GIF8", gettext_noop("a GIF image")),
    (b"RIFF", gettext_noop("a WebP image")),
    (b"%PDF", gettext_noop("a PDF document")),
    (b"BM", gettext_noop("a BMP image")),
    (b"II*\x00", gettext_noop("a TIFF image")),
    (b"MM\x00*", gettext_noop("a TIFF image")),
    (b"PK\x03\x04", gettext_noop("a ZIP archive or office document")),
]


def _refuse(message: str) -> ValidationError:
    return ValidationError({"photo": message})


def _kind_of(head: bytes) -> str:
    """What the first bytes say the file is, for the message when it is not JPEG or PNG."""
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return gettext_noop("a HEIC photo (the iPhone format)")
    for magic, kind in IMPOSTORS:
        if head.startswith(magic):
            return kind
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) or b"<svg" in text:
        return gettext_noop("an SVG drawing")
    if text.startswith((b"<!doctype", b"<html", b"<")):
        return gettext_noop("a web page (HTML)")
    return gettext_noop("not an image we can read")


def photo_prepare(upload) -> ContentFile:
    """The upload as a clean JPEG, or a ValidationError on `photo` saying what is wrong and what is allowed."""
    max_bytes = settings.PLANNER_PHOTO_MAX_BYTES
    max_pixels = settings.PLANNER_PHOTO_MAX_PIXELS
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _refuse(
            _("The file is %(size)s; a photo may be at most %(most)s.")
            % {"size": size_text(size), "most": size_text(max_bytes)}
        )
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(_("The file is larger than %(most)s, the most a photo may be.") % {"most": size_text(max_bytes)})
    if not data:
        raise _refuse(_("The file is empty. Choose a JPEG or PNG photo."))
    kind = _kind_of(data[:64])
    if kind not in ALLOWED:
        raise _refuse(
            _("This file is %(kind)s, not a photo in JPEG or PNG format. Upload a JPEG (.jpg) or PNG (.png).")
            % {"kind": _(kind)}
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns of a decompression bomb above its own limit; treat it as the refusal it is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                if probe.format != kind:
                    raise _refuse(
                        _("The file starts like a %(kind)s image but is not one. Upload a real photo.") % {"kind": kind}
                    )
                if width * height > max_pixels:
                    raise _refuse(
                        _(
                            "The image is %(width)s × %(height)s pixels; photos may have at most %(most)s million "
                            "pixels. Resize it and upload it again."
                        )
                        % {"width": width, "height": height, "most": max_pixels // 1_000_000}
                    )
                probe.verify()  # checks the structure (PNG chunk checksums) without decoding the pixels
            with Image.open(io.BytesIO(data)) as decoded:
                if kind == "JPEG":
                    # Decode at the smallest scale that still exceeds what is stored: a 40-megapixel JPEG then
                    # needs a sixteenth of the memory, and every byte of the stream is still checked.
                    decoded.draft("RGB", (STORED_MAX_SIDE, STORED_MAX_SIDE))
                decoded.load()  # decodes every pixel: a truncated or forged file fails here
                image = ImageOps.exif_transpose(decoded)
                if image.mode in ("RGBA", "LA", "P"):
                    image = image.convert("RGBA")
                    flat = Image.new("RGB", image.size, (255, 255, 255))
                    flat.paste(image, mask=image.getchannel("A"))
                    image = flat
                else:
                    image = image.convert("RGB")
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse(
            _(
                "The image claims far more pixels than a photo has; photos may have at most %(most)s million "
                "pixels. Resize it and upload it again."
            )
            % {"most": max_pixels // 1_000_000}
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Pillow's errors for broken files: a truncated JPEG, a PNG whose chunks do not check out.
        raise _refuse(
            _(
                "The file is damaged or is not really a %(kind)s image; it could not be decoded. "
                "Upload a JPEG or PNG photo as it came from the camera or scanner."
            )
            % {"kind": kind}
        ) from exc
    if image.width < MIN_WIDTH or image.height < MIN_HEIGHT:
        raise _refuse(
            _(
                "The photo is %(width)s × %(height)s pixels; it must be at least %(min_width)s × %(min_height)s "
                "(portrait) to print sharply on a badge."
            )
            % {"width": image.width, "height": image.height, "min_width": MIN_WIDTH, "min_height": MIN_HEIGHT}
        )
    image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, optimize=True)  # no exif=, no icc_profile=: nothing but pixels
    return ContentFile(out.getvalue(), name="photo.jpg")


@transaction.atomic
def person_set_photo(*, person: Person, upload, by: Actor) -> Person:
    """Check and store a new badge photo; the old file is deleted once the change has committed."""
    content = photo_prepare(upload)
    old = person.photo.name if person.photo else ""
    person.photo.save(content.name, content, save=False)
    action = "delegations.person.photo_replaced" if old else "delegations.person.photo_added"
    try:
        # Only the photo is checked here: an unrelated problem on file (a passport that expires too soon) is for
        # the member form to raise, not a reason to refuse a photo.
        person.clean_fields(exclude=[f.name for f in Person._meta.concrete_fields if f.name != "photo"])
        instance_save(instance=person, by=by, action=action, validate=False)
    except BaseException:
        person.photo.storage.delete(person.photo.name)  # no orphan file for a change that did not happen
        raise
    if old:
        storage = person.photo.storage
        transaction.on_commit(lambda: storage.delete(old))
    return person


def photo_response(person: Person) -> FileResponse:
    """The stored photo for a page that has already checked access; private, never cached by proxies."""
    if not person.photo:
        raise Http404(_("No photo has been uploaded for this member."))
    try:
        handle = person.photo.open("rb")
    except OSError:
        raise Http404(_("The photo file is missing; upload it again.")) from None
    content_type = "image/png" if person.photo.name.lower().endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response
