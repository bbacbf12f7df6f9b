"""Every API error is `{"error": {"code", "message", "fields"}}`, whatever raised it."""

from __future__ import annotations

import logging
import math

from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from badges.domain import badges as domain
from badges.serializers import (
    ErrorSerializer,
)

log = logging.getLogger(__name__)

SERVER_ERROR_MESSAGE = "The server could not complete this request; try again, and report it if it keeps happening."

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input: `fields` names the parameter."),
    401: OpenApiResponse(ErrorSerializer, description="No token, or an unknown, revoked or expired one."),
    403: OpenApiResponse(ErrorSerializer, description="The token lacks the scope."),
    404: OpenApiResponse(ErrorSerializer, description="No such badge for this token's event."),
    429: OpenApiResponse(
        ErrorSerializer, description="Too many wrong device tokens from this address: wait `Retry-After` seconds."
    ),
}


def error_response(status_code: int, code: str, message: str, fields: dict | None = None, **headers) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status_code, headers=headers
    )


UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def rate_text(rate: str) -> str:
    """'120/m' → '120 requests a minute' (DRF reads the unit's first letter, so '120/min' says the same)."""
    count, _, unit = rate.partition("/")
    return f"{count} requests a {UNITS.get(unit[:1], unit)}"


def api_exception_handler(exc, context):
    """DRF's errors in the API's one shape."""
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, math.ceil(getattr(exc, "wait", None) or 1))
        view = context.get("view")
        rates = [rate_text(t.rate) for t in view.get_throttles()] if view is not None else []
        limit = f" (at most {', '.join(rates)})" if rates else ""
        message = f"Too many requests from this device token{limit}; try again in {wait} s."
        refused = error_response(429, "throttled", message)
        refused["Retry-After"] = str(wait)
        return refused
    if isinstance(exc, domain.BadRequest):
        return error_response(400, exc.code, exc.message, {exc.field: [exc.message]})
    if isinstance(exc, domain.BadgeStateConflict):
        return error_response(409, exc.code, exc.message)
    if isinstance(exc, domain.WrongEvent):
        return error_response(404, "not_found", str(exc), {"event": [str(exc)]})
    response = exception_handler(exc, context)
    if response is None:
        # Not an API error but a fault of ours: the client gets the one shape and nothing internal (no exception
        # text, which can hold a database row's values); the traceback goes to the log.
        view = context.get("view")
        log.error("unhandled error in %s", type(view).__name__ if view else "the API", exc_info=exc)
        return error_response(500, "server_error", SERVER_ERROR_MESSAGE)
    if isinstance(exc, exceptions.ValidationError):
        by_field = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {name: _messages(msgs) for name, msgs in by_field.items()}
        first = next(iter(fields.items()))
        return error_response(400, "invalid", f"{first[0]}: {first[1][0]}", fields)
    code = getattr(exc, "default_code", "error")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated) and isinstance(exc.detail, dict):
        code, message = str(exc.detail["code"]), str(exc.detail["message"])
    response.data = {"error": {"code": str(code), "message": str(message), "fields": {}}}
    return response


def _messages(detail, where: str = "") -> list[str]:
    """DRF's nested error details (lists, {index: [...]}) as plain sentences, saying which item."""
    if isinstance(detail, dict):
        return [m for key, sub in detail.items() for m in _messages(sub, f"{where}item {key}: ")]
    if isinstance(detail, list):
        return [m for sub in detail for m in _messages(sub, where)]
    return [f"{where}{detail}"]
