"""The print-station and checkpoint API (/api/v1/): device-token auth, one error shape, badges, PDFs, print log,
feed, verify, checkpoint scans.

Views are thin: they check the token's scope, parse and validate input, call one domain function and shape the
answer. Every error is `{"error": {"code", "message", "fields"}}` (see `error_response`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView, exception_handler

from asemplanner.choices import Category
from badges.domain import badges as domain
from badges.domain import checkpoint
from badges.domain.pdf import SIZES, badge_pdf, badges_sheet_pdf, photo_jpeg
from badges.domain.tokens import TokenRefused, token_authenticate
from badges.models import DeviceToken, IdempotencyRecord
from badges.renderers import ORJSONRenderer
from badges.serializers import (
    BadgePageSerializer,
    BadgeSerializer,
    BatchInputSerializer,
    ErrorSerializer,
    FeedSerializer,
    PrintInputSerializer,
    PrintRecordSerializer,
    ScanInputSerializer,
    ScanSerializer,
    VerdictSerializer,
    VerifyInputSerializer,
)
from delegations.models import Accreditation

READ, PRINT = DeviceToken.Scope.READ.value, DeviceToken.Scope.PRINT.value
CHECKPOINT = DeviceToken.Scope.CHECKPOINT.value
FEED_LIMIT = 500
BATCH_MAX = 200  # each badge's photo is decoded and placed: a sheet of 200 takes a few seconds
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input: `fields` names the parameter."),
    401: OpenApiResponse(ErrorSerializer, description="No token, or an unknown, revoked or expired one."),
    403: OpenApiResponse(ErrorSerializer, description="The token lacks the scope."),
    404: OpenApiResponse(ErrorSerializer, description="No such badge for this token's event."),
}


# --- Errors --------------------------------------------------------------------------------------------------
def error_response(status_code: int, code: str, message: str, fields: dict | None = None, **headers) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status_code, headers=headers
    )


def api_exception_handler(exc, context):
    """DRF's errors in the API's one shape."""
    if isinstance(exc, domain.BadRequest):
        return error_response(400, exc.code, exc.message, {exc.field: [exc.message]})
    if isinstance(exc, domain.Conflict):
        return error_response(409, exc.code, exc.message)
    if isinstance(exc, domain.WrongEvent):
        return error_response(404, "not_found", str(exc), {"event": [str(exc)]})
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {name: _messages(msgs) for name, msgs in detail.items()}
        first = next(iter(fields.items()))
        return error_response(400, "invalid", f"{first[0]}: {first[1][0]}", fields)
    code = getattr(exc, "default_code", "error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated) and isinstance(exc.detail, dict):
        code, detail = exc.detail["code"], exc.detail["message"]
    response.data = {"error": {"code": str(code), "message": str(detail), "fields": {}}}
    return response


def _messages(detail, where: str = "") -> list[str]:
    """DRF's nested error details (lists, {index: [...]}) as plain sentences, saying which item."""
    if isinstance(detail, dict):
        return [m for key, sub in detail.items() for m in _messages(sub, f"{where}item {key}: ")]
    if isinstance(detail, list):
        return [m for sub in detail for m in _messages(sub, where)]
    return [f"{where}{detail}"]


# --- Auth ----------------------------------------------------------------------------------------------------
class DeviceTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <device token>`."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword or len(header) != 2:
            raise exceptions.AuthenticationFailed(
                {"code": "token_malformed", "message": "Send the token as `Authorization: Bearer <token>`."}
            )
        try:
            token = token_authenticate(header[1].decode("ascii", "replace"))
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed({"code": refused.code, "message": refused.message}) from refused
        return (token, token)

    def authenticate_header(self, request):
        return 'Bearer realm="asemplanner"'


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "badges.api.DeviceTokenAuthentication"
    name = "DeviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A device token made in the admin (Badges → Device tokens).",
        }


class HasScope(BasePermission):
    message = "This token lacks the scope this call needs."

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, DeviceToken):
            raise exceptions.NotAuthenticated(
                {"code": "token_missing", "message": "Send a device token: `Authorization: Bearer <token>`."}
            )
        needed = getattr(view, "scope", READ)
        anyof = needed if isinstance(needed, tuple) else (needed,)
        if not set(anyof) & set(token.scopes):
            raise exceptions.PermissionDenied(
                f"This token lacks the scope {' or '.join(anyof)}; it has {', '.join(token.scopes)}."
            )
        return True


class StationView(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [HasScope]
    renderer_classes = [ORJSONRenderer]
    scope = READ

    def badge(self, request, badge_number: str) -> Accreditation:
        if "\x00" in badge_number or len(badge_number) > 20:
            raise exceptions.NotFound(f"No badge {badge_number[:30]!r} for {request.auth.event.acronym}.")
        try:
            return domain.badge_get(request.auth, badge_number)
        except Accreditation.DoesNotExist as exc:
            raise exceptions.NotFound(f"No badge {badge_number[:30]} for {request.auth.event.acronym}.") from exc


def _next_link(request, after: int | None) -> str | None:
    if after is None:
        return None
    params = request.query_params.copy()
    params["cursor"] = domain.cursor_encode(after)
    return f"{request.build_absolute_uri(request.path)}?{params.urlencode()}"


# --- Badges --------------------------------------------------------------------------------------------------
class BadgeList(StationView):
    @extend_schema(
        operation_id="badges_list",
        summary="Approved badges of the token's event, a page at a time",
        parameters=[
            OpenApiParameter("event", str, description="Event acronym; another event than the token's is not found."),
            OpenApiParameter("status", str, enum=[str(s) for s in Accreditation.HAS_BADGE]),
            OpenApiParameter("category", str, enum=Category.values),
            OpenApiParameter("delegation", str, description="Partner code, e.g. FRA"),
            OpenApiParameter(
                "q", {"type": "string", "maxLength": 100}, description="Part of a name, or a badge number"
            ),
            OpenApiParameter(
                "cursor", {"type": "string", "pattern": domain.CURSOR_PATTERN}, description="The previous page's `next`"
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": domain.MAX_LIMIT},
                description=f"Page size, default {domain.DEFAULT_LIMIT}",
            ),
        ],
        responses={200: BadgePageSerializer, **ERRORS},
    )
    def get(self, request):
        rows, after = domain.badge_page(request.query_params, request.auth)
        return Response({"results": rows, "next": _next_link(request, after)})


class BadgeExport(StationView):
    @extend_schema(
        operation_id="badges_export",
        summary="Every approved badge of the token's event, streamed as one JSON object per line",
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR, **{k: v for k, v in ERRORS.items() if k != 404}},
    )
    def get(self, request):
        unknown = sorted(request.query_params)
        if unknown:
            raise domain.BadRequest(unknown[0], f"Unknown parameter(s): {', '.join(unknown)}. The export takes none.")
        response = StreamingHttpResponse(domain.badge_export_lines(request.auth), content_type="application/x-ndjson")
        response["Cache-Control"] = "private, no-store"
        return response


class BadgeDetail(StationView):
    @extend_schema(operation_id="badges_retrieve", summary="One badge", responses={200: BadgeSerializer, **ERRORS})
    def get(self, request, badge_number: str):
        accreditation = self.badge(request, badge_number)
        (row,) = domain.badge_rows(Accreditation.objects.filter(pk=accreditation.pk))
        return Response(row)


class BadgePhoto(StationView):
    scope = (READ, CHECKPOINT)  # a gate compares the face with the photo

    @extend_schema(
        operation_id="badges_photo",
        summary="The badge photo, re-encoded as JPEG",
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, badge_number: str):
        accreditation = self.badge(request, badge_number)
        data = _photo(accreditation)
        if data is None:
            raise exceptions.NotFound(f"Badge {badge_number} has no photo (none uploaded, or the file is unreadable).")
        return HttpResponse(data, content_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


def _photo(accreditation: Accreditation) -> bytes | None:
    photo = accreditation.person.photo
    if not photo:
        return None
    try:
        with photo.open("rb") as f:
            return photo_jpeg(f)
    except (OSError, ValueError):
        return None  # a missing or unreadable file prints the empty frame rather than failing the badge


class BadgePdf(StationView):
    @extend_schema(
        operation_id="badges_pdf",
        summary="The print-ready badge",
        parameters=[OpenApiParameter("size", str, enum=list(SIZES), description="card (ID-1, default) or a6")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, badge_number: str):
        size = request.query_params.get("size", "card")
        unknown = sorted(set(request.query_params) - {"size"})
        if unknown:
            raise domain.BadRequest(unknown[0], f"Unknown parameter(s): {', '.join(unknown)}. Allowed: size.")
        if size not in SIZES:
            raise domain.BadRequest("size", f"size must be one of {', '.join(SIZES)}; got “{size[:20]}”.")
        accreditation = self.badge(request, badge_number)
        (row,) = domain.badge_rows(Accreditation.objects.filter(pk=accreditation.pk))
        pdf = badge_pdf(row, _photo(accreditation), size=size)
        name = f"badge-{row['badge_number']}-v{row['version']}.pdf"
        return HttpResponse(
            pdf, content_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
        )


class BadgeBatchPdf(StationView):
    @extend_schema(
        operation_id="badges_batch_pdf",
        summary="Many badges on A4 sheets (nine ID cards a page)",
        request=BatchInputSerializer,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    def post(self, request):
        data = BatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queryset = domain.badges_for(request.auth).select_related("person")
        if data.validated_data.get("delegation"):
            queryset = queryset.filter(person__delegation__partner__code__iexact=data.validated_data["delegation"])
        numbers = data.validated_data.get("badge_numbers")
        if numbers is not None and not numbers:
            raise domain.BadRequest("badge_numbers", "badge_numbers is empty; list the badges, or leave it out.")
        if numbers:
            queryset = queryset.filter(badge_number__in=numbers)
            missing = sorted(set(numbers) - set(queryset.values_list("badge_number", flat=True)))
            if missing:
                raise exceptions.NotFound(
                    f"No badge(s) {', '.join(missing[:10])} in this selection for {request.auth.event.acronym}."
                )
        count = queryset.count()
        if count > BATCH_MAX:
            raise domain.BadRequest(
                "delegation",
                f"{count} badges match; a batch holds at most {BATCH_MAX}. Select by delegation or badge numbers.",
            )
        accreditations = {a.pk: a for a in queryset.order_by("person__family_name", "pk")}
        if not accreditations:
            raise exceptions.NotFound("No badges match this selection.")
        rows = {row["id"]: row for row in domain.badge_rows(Accreditation.objects.filter(pk__in=accreditations))}
        pdf = badges_sheet_pdf([(rows[pk], _photo(a)) for pk, a in accreditations.items()])
        return HttpResponse(pdf, content_type="application/pdf")


# --- Idempotent writes ---------------------------------------------------------------------------------------
KEY_HELP = "1–100 characters: letters, digits, - and _. Use a new random key (a UUID) per print, the same one on retry."
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,100}$"}, OpenApiParameter.HEADER,
    required=True, description=KEY_HELP,
)  # fmt: skip


def idempotent(request, handler) -> Response:
    """Run `handler` once per (token, Idempotency-Key): a repeat gets the first answer; a repeat while the first
    still runs gets 409; the same key with a different request gets 422."""
    key = request.headers.get("Idempotency-Key", "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", key):
        raise domain.BadRequest(
            "Idempotency-Key", f"The Idempotency-Key header is missing or malformed. {KEY_HELP}", "bad_idempotency_key"
        )
    body = json.dumps(request.data, sort_keys=True, default=str) if request.data else ""
    fingerprint = hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()
    record = _idempotency_claim(request.auth, key, fingerprint)
    if isinstance(record, Response):
        return record
    try:
        response = handler()
    except (domain.BadRequest, domain.Conflict, exceptions.APIException) as exc:
        response = api_exception_handler(exc, {})
    except Exception:
        record.delete()  # a server fault is not an answer to replay: let the retry run it again
        raise
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=response.status_code, body=response.data)
    return response


STALLED_AFTER = dt.timedelta(seconds=60)


def _idempotency_claim(token, key: str, fingerprint: str):
    """The record this request may fill in, or the Response to give instead (a replay, 409 or 422).

    A first attempt that never finished (its worker died) is taken over after a minute, so a retry with the
    same key does not meet 409 for ever."""
    for _ in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(token=token, key=key, fingerprint=fingerprint)
        except IntegrityError:
            pass
        first = IdempotencyRecord.objects.filter(token=token, key=key).first()
        if first is None:
            continue  # the first attempt failed and let its key go between our insert and this read: try again
        if first.fingerprint != fingerprint:
            return error_response(
                422, "idempotency_key_reused", "This Idempotency-Key was used for a different request; use a new key."
            )
        if first.status_code is not None:
            return Response(first.body, status=first.status_code, headers={"Idempotent-Replayed": "true"})
        stalled = timezone.now() - first.created_at > STALLED_AFTER
        if not (stalled and IdempotencyRecord.objects.filter(pk=first.pk, status_code__isnull=True).delete()[0]):
            return error_response(
                409,
                "request_in_progress",
                "A request with this Idempotency-Key is still running; retry in a few seconds.",
            )
    return error_response(409, "request_in_progress", "This Idempotency-Key is busy; retry in a few seconds.")


def _print_record(record) -> dict:
    return {
        "id": record.pk,
        "badge_number": record.accreditation.badge_number,
        "version": record.version,
        "printed_at": record.printed_at.isoformat(),
        "received_at": record.received_at.isoformat(),
        "station": record.station.name,
    }


class BadgePrints(StationView):
    scope = PRINT

    @extend_schema(
        operation_id="badges_prints_create",
        summary="Report that a badge version was printed (idempotent)",
        parameters=[IDEMPOTENCY],
        request=PrintInputSerializer,
        responses={201: PrintRecordSerializer, 409: ErrorSerializer, 422: ErrorSerializer, **ERRORS},
    )
    def post(self, request, badge_number: str):
        def handle() -> Response:
            accreditation = self.badge(request, badge_number)
            data = PrintInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            record = domain.badge_mark_printed(
                accreditation=accreditation, token=request.auth, version=data.validated_data["version"],
                printed_at=data.validated_data["printed_at"],
            )  # fmt: skip
            return Response(_print_record(record), status=status.HTTP_201_CREATED)

        return idempotent(request, handle)


class BadgeReprint(StationView):
    scope = PRINT

    @extend_schema(
        operation_id="badges_reprint",
        summary="Issue a new version (the old QR then verifies as superseded); idempotent",
        parameters=[IDEMPOTENCY],
        request=None,
        responses={200: BadgeSerializer, 409: ErrorSerializer, 422: ErrorSerializer, **ERRORS},
    )
    def post(self, request, badge_number: str):
        def handle() -> Response:
            accreditation = domain.badge_reprint(accreditation=self.badge(request, badge_number), token=request.auth)
            (row,) = domain.badge_rows(Accreditation.objects.filter(pk=accreditation.pk))
            return Response(row)

        return idempotent(request, handle)


# --- Feed and verification ------------------------------------------------------------------------------------
class Feed(StationView):
    @extend_schema(
        operation_id="feed",
        summary="Everything changed since a cursor (badges and tombstones), oldest first",
        parameters=[
            OpenApiParameter(
                "cursor",
                {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
                description="0 (or absent) for everything; then the `cursor` you got.",
            ),
            OpenApiParameter(
                "limit", {"type": "integer", "minimum": 1, "maximum": FEED_LIMIT}, description=f"default {FEED_LIMIT}"
            ),
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, description="The ETag of your last pull."),
        ],
        responses={200: FeedSerializer, 304: OpenApiResponse(description="Nothing changed since the ETag."), **ERRORS},
    )
    def get(self, request):
        unknown = sorted(set(request.query_params) - {"cursor", "limit"})
        if unknown:
            raise domain.BadRequest(unknown[0], f"Unknown parameter(s): {', '.join(unknown)}. Allowed: cursor, limit.")
        raw = request.query_params.get("cursor", "0")
        if not re.fullmatch(r"[0-9]{1,18}", raw):
            raise domain.BadRequest(
                "cursor", f"cursor must be 0 or a `cursor` this feed returned; got “{raw[:20]}”.", "bad_cursor"
            )
        raw_limit = request.query_params.get("limit", str(FEED_LIMIT))
        if not re.fullmatch(r"[0-9]{1,4}", raw_limit) or not 1 <= int(raw_limit) <= FEED_LIMIT:
            raise domain.BadRequest(
                "limit", f"limit must be a whole number from 1 to {FEED_LIMIT}; got “{raw_limit[:20]}”."
            )
        after, limit = int(raw), int(raw_limit)
        changes, cursor, more = domain.feed_rows(request.auth, after, limit)
        # The ETag names where the client stands after this answer: polling from there with it, when nothing
        # has changed, costs the one query that found no changes and gets a 304.
        etag = f'"{request.auth.event_id}-{cursor}"'
        if not changes and request.headers.get("If-None-Match") == etag:
            return HttpResponse(status=304, headers={"ETag": etag})
        return Response({"cursor": cursor, "more": more, "changes": changes}, headers={"ETag": etag})


class Verify(StationView):
    @extend_schema(
        operation_id="verify",
        summary="Check a badge's QR: current, superseded, revoked, unknown or forged",
        request=VerifyInputSerializer,
        responses={200: VerdictSerializer, **{k: v for k, v in ERRORS.items() if k != 404}},
    )
    def post(self, request):
        data = VerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verdict = domain.badge_verify(request.auth, data.validated_data["payload"])
        return Response(verdict.__dict__)


# --- Checkpoints ----------------------------------------------------------------------------------------------
SCAN_BODY_MAX = 4096  # {"payload": <at most 2 KB of QR text>} and some slack; a bigger body is not read


class CheckpointThrottle(SimpleRateThrottle):
    """Per token: a gate scans a badge every second or two; far more is a stuck scanner or someone probing."""

    rate = "300/min"

    def get_cache_key(self, request, view):
        return f"throttle_checkpoint_{request.auth.prefix}"


class CheckpointScans(StationView):
    scope = CHECKPOINT
    throttle_classes = [CheckpointThrottle]

    @extend_schema(
        operation_id="checkpoint_scans_create",
        summary="Judge a scanned badge at the token's zone: allowed or denied, with the reason (logged)",
        request=ScanInputSerializer,
        responses={
            200: ScanSerializer,
            429: OpenApiResponse(ErrorSerializer, description="More than 300 scans a minute from this token."),
            **{k: v for k, v in ERRORS.items() if k != 404},
        },
    )
    def post(self, request):
        token = request.auth
        if token.zone_id is None:  # token_create refuses this; a token edited in the database could have it
            raise exceptions.PermissionDenied("This checkpoint token has no zone; ask for a token bound to a zone.")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > SCAN_BODY_MAX:
            scan = checkpoint.badge_scan(token=token, payload=f"<{length} bytes>", oversized=True)
        else:
            scan = checkpoint.badge_scan(token=token, payload=_scan_payload(request))
        holder = scan.holder
        if holder is not None:
            photo = reverse("badges-photo", args=[scan.badge_number])
            holder["photo_url"] = request.build_absolute_uri(photo) if scan.has_photo else None
        return Response(
            {
                "scan_id": scan.log.pk,
                "result": scan.result,
                "reason": scan.reason,
                "message": scan.message,
                "badge_number": scan.badge_number,
                "version": scan.version,
                "zone": token.zone.code,
                "zone_name": token.zone.name,
                "scanned_at": scan.log.scanned_at.isoformat(),
                "holder": holder,
            },
            headers={"Cache-Control": "no-store"},
        )


def _scan_payload(request) -> str:
    """The body's `payload` text. A body that is not a JSON object with a text `payload` is the scanner's bug
    (400); any text at all is a scan, judged and logged."""
    try:
        data = request.data
    except exceptions.ParseError as exc:
        message = f'The body is not valid JSON ({str(exc.detail)[:100]}). Send {{"payload": "<QR text>"}}.'
        raise domain.BadRequest("body", message, "parse_error") from exc
    if not isinstance(data, dict) or "payload" not in data:
        raise domain.BadRequest("payload", 'payload is missing: send {"payload": "<QR text>"}.', "required")
    if not isinstance(data["payload"], str):
        raise domain.BadRequest(
            "payload", f"payload must be the QR text as a string, not {type(data['payload']).__name__}."
        )
    return data["payload"]


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def not_found(request, rest: str = ""):
    return error_response(404, "not_found", f"No such API path: {request.path[:100]}. See {reverse('api-docs')}.")
