"""Every API error is `{"error": {"code", "message", "fields"}}`, whatever raised it."""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from badges.api.parsers import BodyRefused
from badges.domain import badges as domain
from badges.serializers import (
    ErrorSerializer,
)

log = logging.getLogger(__name__)

SERVER_ERROR_MESSAGE = gettext_lazy(
    "The server could not complete this request; try again, and report it if it keeps happening."
)

JSON = "application/json"  # every error is JSON, whatever the request's Accept (badges/api/auth.py StationView)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    (400, JSON): _error("Bad input: `fields` names the parameter or body field."),
    (401, JSON): _error("No token, or an unknown, revoked or expired one."),
    (403, JSON): _error("The token lacks the scope."),
    (404, JSON): _error("No such badge for this token's event."),
    (406, JSON): _error("The `Accept` header names no type this operation answers (`not_acceptable`)."),
    (429, JSON): _error("Too many wrong device tokens from this address (a lockout): wait `Retry-After` seconds."),
}
BODY_ERRORS = {
    (413, JSON): _error("The body is larger than the server reads (`body_too_large`)."),
    (415, JSON): _error("The body is not `Content-Type: application/json` (`unsupported_media_type`)."),
}


def errors(*, body: bool = False, not_found: bool = True) -> dict:
    """The error answers of an operation, for the schema: with a request body, 413 and 415 too; without a path
    parameter, no 404."""
    shown = {key: value for key, value in ERRORS.items() if not_found or key[0] != 404}
    return {**shown, **(BODY_ERRORS if body else {})}


def error_response(status_code: int, code: str, message: str, fields: dict | None = None, **headers) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status_code, headers=headers
    )


RATES = {
    "s": gettext_lazy("%(count)s requests a second"),
    "m": gettext_lazy("%(count)s requests a minute"),
    "h": gettext_lazy("%(count)s requests an hour"),
    "d": gettext_lazy("%(count)s requests a day"),
}


def rate_text(rate: str) -> str:
    """'120/m' → '120 requests a minute' (DRF reads the unit's first letter, so '120/min' says the same)."""
    count, _sep, unit = rate.partition("/")
    known = RATES.get(unit[:1])
    return known % {"count": count} if known is not None else f"{count} requests a {unit}"


def api_exception_handler(exc, context):
    """DRF's errors in the API's one shape."""
    if isinstance(exc, exceptions.Throttled):
        wait = max(1, math.ceil(getattr(exc, "wait", None) or 1))
        view = context.get("view")
        rates = [rate_text(t.rate) for t in view.get_throttles()] if view is not None else []
        if rates:
            message = _("Too many requests from this device token (at most %(rates)s); try again in %(wait)s s.") % {
                "rates": ", ".join(rates),
                "wait": wait,
            }
        else:
            message = _("Too many requests from this device token; try again in %(wait)s s.") % {"wait": wait}
        refused = error_response(429, "throttled", message)
        refused["Retry-After"] = str(wait)
        return refused
    if isinstance(exc, BodyRefused):
        return error_response(400, exc.code, exc.message, {exc.field: [exc.message]})
    if isinstance(exc, RequestDataTooBig):
        most = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = _(
            "body: larger than the %(most)s bytes this API reads; send a smaller body (select fewer badges)."
        ) % {"most": most}
        return error_response(413, "body_too_large", message, {"body": [message]})
    if isinstance(exc, exceptions.NotAcceptable):
        return _not_acceptable(context)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        request = context.get("request")
        sent = request.content_type if request is not None else ""
        message = _("Content-Type: the body must be application/json; got “%(sent)s”.") % {"sent": sent[:60]}
        return error_response(415, "unsupported_media_type", message, {"Content-Type": [message]})
    if isinstance(exc, exceptions.MethodNotAllowed):
        view, request = context.get("view"), context.get("request")
        allowed = ", ".join(view.allowed_methods) if view is not None else ""
        method = request.method if request is not None else _("this method")
        message = _("method: %(method)s is not allowed here; allowed: %(allowed)s.") % {
            "method": method,
            "allowed": allowed,
        }
        return error_response(405, "method_not_allowed", message, {"method": [message]}, Allow=allowed)
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
        return error_response(500, "server_error", str(SERVER_ERROR_MESSAGE))
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


def _not_acceptable(context) -> Response:
    view, request = context.get("view"), context.get("request")
    answers = [renderer.media_type for renderer in view.renderer_classes] if view is not None else [JSON]
    sent = request.headers.get("Accept", "") if request is not None else ""
    either = " " + pgettext("between media types: application/pdf or application/json", "or") + " "
    message = _(
        "Accept: this call answers %(answers)s; got “%(sent)s”. Send `Accept: %(first)s` or `*/*` (errors come as "
        "application/json whatever the Accept)."
    ) % {"answers": either.join(answers), "sent": sent[:80], "first": answers[0]}
    return error_response(406, "not_acceptable", message, {"Accept": [message]})


def _messages(detail, where: str = "") -> list[str]:
    """DRF's nested error details (lists, {index: [...]}) as plain sentences, saying which item."""
    if isinstance(detail, dict):
        return [m for key, sub in detail.items() for m in _messages(sub, where + _("item %(key)s: ") % {"key": key})]
    if isinstance(detail, list):
        return [m for sub in detail for m in _messages(sub, where)]
    return [f"{where}{detail}"]
