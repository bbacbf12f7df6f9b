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
