"""Reading HTTP input into domain values: query parameters, cursors, page sizes and scan bodies. Each refusal
names the parameter and says what is allowed."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework import exceptions

from badges.domain import badges as domain

BADGE_FILTERS = {"event", "status", "category", "delegation", "q", "cursor", "limit"}
FEED_LIMIT = 500


def unknown_refused(params, allowed: set[str], *, takes: str = "") -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        what = takes or _("Allowed: %(allowed)s.") % {"allowed": ", ".join(sorted(allowed))}
        raise domain.BadRequest(
            unknown[0], _("Unknown parameter(s): %(unknown)s. %(what)s") % {"unknown": ", ".join(unknown), "what": what}
        )


def page_limit(params, *, maximum: int, default: int) -> int:
    raw = params.get("limit", str(default))
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= maximum:
        raise domain.BadRequest(
            "limit",
            _("limit must be a whole number from 1 to %(maximum)s; got “%(raw)s”.")
            % {"maximum": maximum, "raw": raw[:20]},
        )
    return int(raw)


def cursor_decode(raw: str, *, field: str = "cursor") -> int:
    if not re.match(domain.CURSOR_PATTERN, raw):
        raise domain.BadRequest(
            field,
            _("“%(raw)s” is not a cursor from this API; use the `next` value of a page as is.") % {"raw": raw[:40]},
            "bad_cursor",
        )
    return int(raw[1:])


def badge_query(params) -> domain.BadgeQuery:
    """The badge list's filters as a BadgeQuery; the domain checks their values (badge_filters)."""
    unknown_refused(params, BADGE_FILTERS)
    # An empty free-text filter filters nothing; an empty enum, cursor or limit is an error.
    values = {name: value for name, value in params.items() if value != "" or name not in {"q", "delegation", "event"}}
    return domain.BadgeQuery(
        event=values.get("event", ""),
        status=values.get("status"),
        category=values.get("category"),
        delegation=values.get("delegation", ""),
        q=values.get("q", ""),
    )


def page_position(params) -> tuple[int | None, int]:
    """The badge list's `cursor` (the last id seen, or None for the first page) and `limit`."""
    limit = page_limit(params, maximum=domain.MAX_LIMIT, default=domain.DEFAULT_LIMIT)
    after = cursor_decode(params["cursor"]) if "cursor" in params else None
    return after, limit


def feed_position(params) -> tuple[int, int]:
    """The feed's `cursor` (a number) and `limit`."""
    unknown_refused(params, {"cursor", "limit"})
    raw = params.get("cursor", "0")
    if not re.fullmatch(r"[0-9]{1,18}", raw):
        raise domain.BadRequest(
            "cursor",
            _("cursor must be 0 or a `cursor` this feed returned; got “%(raw)s”.") % {"raw": raw[:20]},
            "bad_cursor",
        )
    return int(raw), page_limit(params, maximum=FEED_LIMIT, default=FEED_LIMIT)


def next_link(request, after: int | None) -> str | None:
    if after is None:
        return None
    params = request.query_params.copy()
    params["cursor"] = domain.cursor_encode(after)
    return f"{request.build_absolute_uri(request.path)}?{params.urlencode()}"


def next_feed_link(request, cursor: int) -> str:
    params = request.query_params.copy()
    params["cursor"] = str(cursor)
    return f"{request.build_absolute_uri(request.path)}?{params.urlencode()}"


def scan_payload(request) -> str:
    """The body's `payload` text. A body that is not a JSON object with a text `payload` is the scanner's bug
    (400); any text at all is a scan, judged and logged."""
    try:
        data = request.data
    except exceptions.ParseError as exc:
        message = _('%(detail)s Send {"payload": "<QR text>"}.') % {"detail": str(exc.detail)[:200]}
        raise domain.BadRequest("body", message, getattr(exc, "code", "parse_error")) from exc
    if not isinstance(data, dict) or "payload" not in data:
        raise domain.BadRequest("payload", _('payload is missing: send {"payload": "<QR text>"}.'), "required")
    if not isinstance(data["payload"], str):
        raise domain.BadRequest(
            "payload",
            _("payload must be the QR text as a string, not %(type)s.") % {"type": type(data["payload"]).__name__},
        )
    return data["payload"]
