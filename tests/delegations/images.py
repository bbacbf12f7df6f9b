"""Image files for the photo tests, made with Pillow in memory: real ones, and the fakes people upload."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def jpeg_bytes(size=(300, 400), colour=(200, 120, 40), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **({"exif": exif} if exif else {}))
    return out.getvalue()


def png_bytes(size=(300, 400), mode="RGBA", colour=(10, 120, 200, 128)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour if mode == "RGBA" else colour[:3]).save(out, "PNG")
    return out.getvalue()


def gif_bytes(size=(300, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("P", size).save(out, "GIF")
    return out.getvalue()


def exif_with_gps() -> bytes:
    """EXIF naming a camera and a GPS position (Phnom Penh), the kind a phone writes into every photo."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = {1: "N", 2: (11.0, 33.0, 0.0), 3: "E", 4: (104.0, 55.0, 0.0)}
    exif[0x8825] = gps
    return exif.tobytes()


def png_pixel_bomb(width=50_000, height=50_000) -> bytes:
    """A valid PNG header claiming 2.5 gigapixels, with a tiny compressed body: decoding it would need
    gigabytes of memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    body = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def html_with_png_header() -> bytes:
    return b"\x89PNG\r\n\x1a\n<html><body><script>alert(document.cookie)</script></body></html>"


def svg_bytes() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'


def truncated_jpeg() -> bytes:
    data = jpeg_bytes()
    return data[: len(data) // 3]
