"""The Idempotency-Key header of the station writes: read and checked here, claimed in the domain."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.response import Response

from badges.api.errors import api_exception_handler, error_response
from badges.domain import badges as domain
from badges.domain.idempotency import Refusal, Replay, idempotency_claim, idempotency_finish, idempotency_release

KEY_HELP = "1–100 characters: letters, digits, - and _. Use a new random key (a UUID) per print, the same one on retry."
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,100}$"}, OpenApiParameter.HEADER,
    required=True, description=KEY_HELP,
)  # fmt: skip


def idempotent(request, handler: Callable[[], Response]) -> Response:
    """Run `handler` once per (token, Idempotency-Key): a repeat gets the first answer; a repeat while the first
    still runs gets 409; the same key with a different request gets 422."""
    key = request.headers.get("Idempotency-Key", "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", key):
        raise domain.BadRequest(
            "Idempotency-Key",
            _(
                "The Idempotency-Key header is missing or malformed. 1–100 characters: letters, digits, - and _. "
                "Use a new random key (a UUID) per print, the same one on retry."
            ),
            "bad_idempotency_key",
        )
    body = json.dumps(request.data, sort_keys=True, default=str) if request.data else ""
    fingerprint = hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()
    claim = idempotency_claim(token=request.auth, key=key, fingerprint=fingerprint)
    if isinstance(claim, Replay):
        return Response(claim.body, status=claim.status_code, headers={"Idempotent-Replayed": "true"})
    if isinstance(claim, Refusal):
        return error_response(claim.status_code, claim.code, str(claim.message))
    try:
        response = handler()
    except (domain.BadRequest, domain.BadgeStateConflict, exceptions.APIException) as exc:
        response = api_exception_handler(exc, {})
    except Exception:
        idempotency_release(record=claim)
        raise
    idempotency_finish(record=claim, status_code=response.status_code, body=response.data)
    return response
