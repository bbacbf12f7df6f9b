"""JSON through orjson: the badge pages are most of the API's bytes, and orjson renders them several times faster
than the standard library (benchmarks/badges_api.py measures it against the floor)."""

from __future__ import annotations

import orjson
from rest_framework.renderers import BaseRenderer


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


class FileRenderer(BaseRenderer):
    """For a view that answers a file (an HttpResponse it built) with this media type: lets `Accept` name the type
    in content negotiation. It renders nothing itself: errors are JSON whatever the Accept (StationView)."""

    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        raise TypeError(f"{type(self).__name__} passes bytes through; got {type(data).__name__}")


class PDFRenderer(FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


class JPEGRenderer(FileRenderer):
    media_type = "image/jpeg"
    format = "jpg"


class NDJSONRenderer(FileRenderer):
    media_type = "application/x-ndjson"
    format = "ndjson"
