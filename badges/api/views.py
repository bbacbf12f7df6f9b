"""The API's views: thin — check the scope, read the input, call one domain function, shape the answer."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from asemplanner.choices import Category
from badges.api.auth import CHECKPOINT, PRINT, READ, StationView
from badges.api.errors import JSON, errors, rate_text
from badges.api.idempotency import IDEMPOTENCY, idempotent
from badges.api.params import (
    FEED_LIMIT,
    badge_query,
    feed_position,
    next_feed_link,
    next_link,
    page_position,
    scan_payload,
    unknown_refused,
)
from badges.domain import badges as domain
from badges.domain import checkpoint
from badges.domain.pdf import SIZES, badge_pdf, badges_sheet_pdf, photo_jpeg
from badges.renderers import JPEGRenderer, NDJSONRenderer, PDFRenderer
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

BATCH_MAX = 200  # each badge's photo is decoded and placed: a sheet of 200 takes a few seconds


# Text parameters are plain text: a NUL character is refused with 400 (badges/domain/badges.py), so the schema
# says so and a generated request with one is a negative case.
PLAIN_TEXT = "^[^\\x00]*$"


class BadgeList(StationView):
    @extend_schema(
        operation_id="badges_list",
        summary="Approved badges of the token's event, a page at a time",
        parameters=[
            OpenApiParameter(
                "event",
                {"type": "string", "pattern": PLAIN_TEXT},
                description="Event acronym; another event than the token's is not found.",
            ),
            OpenApiParameter("status", str, enum=[str(s) for s in Accreditation.HAS_BADGE]),
            OpenApiParameter("category", str, enum=Category.values),
            OpenApiParameter(
                "delegation", {"type": "string", "pattern": PLAIN_TEXT}, description="Partner code, e.g. FRA"
            ),
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": 100, "pattern": PLAIN_TEXT},
                description="Part of a name, or a badge number",
            ),
            OpenApiParameter(
                "cursor",
                {"type": "string", "pattern": domain.CURSOR_PATTERN},
                description="Carried by the previous page's `next` URL: follow `next` rather than build it",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": domain.MAX_LIMIT},
                description=f"Page size, default {domain.DEFAULT_LIMIT}",
            ),
        ],
        responses={200: BadgePageSerializer, **errors()},
    )
    def get(self, request):
        # Filters first, then the page: a bad filter is named before a bad cursor or limit.
        queryset = domain.badge_filters(badge_query(request.query_params), request.auth)
        after, limit = page_position(request.query_params)
        rows, after = domain.badge_page(queryset, after=after, limit=limit)
        return Response({"results": rows, "next": next_link(request, after)})


class BadgeExport(StationView):
    renderer_classes = [NDJSONRenderer]

    @extend_schema(
        operation_id="badges_export",
        summary="Every approved badge of the token's event, streamed as one JSON object per line",
        responses={(200, "application/x-ndjson"): OpenApiTypes.STR, **errors(not_found=False)},
    )
    def get(self, request):
        unknown_refused(request.query_params, set(), takes=_("The export takes none."))
        response = StreamingHttpResponse(domain.badge_export_lines(request.auth), content_type="application/x-ndjson")
        response["Cache-Control"] = "private, no-store"
        return response


class BadgeDetail(StationView):
    @extend_schema(operation_id="badges_retrieve", summary="One badge", responses={200: BadgeSerializer, **errors()})
    def get(self, request, badge_number: str):
        accreditation = self.badge(request, badge_number)
        (row,) = domain.badge_rows(Accreditation.objects.filter(pk=accreditation.pk))
        return Response(row)


class BadgePhoto(StationView):
    scope = (READ, CHECKPOINT)  # a gate compares the face with the photo
    renderer_classes = [JPEGRenderer]

    @extend_schema(
        operation_id="badges_photo",
        summary="The badge photo, re-encoded as JPEG",
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY, **errors()},
    )
    def get(self, request, badge_number: str):
        accreditation = self.badge(request, badge_number)
        data = _photo(accreditation)
        if data is None:
            raise exceptions.NotFound(
                _("Badge %(number)s has no photo (none uploaded, or the file is unreadable).")
                % {"number": badge_number}
            )
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
    renderer_classes = [PDFRenderer]

    @extend_schema(
        operation_id="badges_pdf",
        summary="The print-ready badge",
        parameters=[OpenApiParameter("size", str, enum=list(SIZES), description="card (ID-1, default) or a6")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors()},
    )
    def get(self, request, badge_number: str):
        size = request.query_params.get("size", "card")
        unknown_refused(request.query_params, {"size"})
        if size not in SIZES:
            raise domain.BadRequest(
                "size",
                _("size must be one of %(sizes)s; got “%(size)s”.") % {"sizes": ", ".join(SIZES), "size": size[:20]},
            )
        accreditation = self.badge(request, badge_number)
        (row,) = domain.badge_rows(Accreditation.objects.filter(pk=accreditation.pk))
        with translation.override(settings.LANGUAGE_CODE):  # badges print in English, whoever asks
            pdf = badge_pdf(row, _photo(accreditation), size=size)
        name = f"badge-{row['badge_number']}-v{row['version']}.pdf"
        return HttpResponse(
            pdf, content_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
        )


class BadgeBatchPdf(StationView):
    renderer_classes = [PDFRenderer]

    @extend_schema(
        operation_id="badges_batch_pdf",
        summary="Many badges on A4 sheets (nine ID cards a page)",
        request=BatchInputSerializer,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors(body=True)},
    )
    def post(self, request):
        data = BatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queryset = domain.badges_for(request.auth).select_related("person")
        if data.validated_data.get("delegation"):
            queryset = queryset.filter(person__delegation__partner__code__iexact=data.validated_data["delegation"])
        numbers = data.validated_data.get("badge_numbers")
        if numbers is not None and not numbers:
            raise domain.BadRequest("badge_numbers", _("badge_numbers is empty; list the badges, or leave it out."))
        if numbers:
            queryset = queryset.filter(badge_number__in=numbers)
            missing = sorted(set(numbers) - set(queryset.values_list("badge_number", flat=True)))
            if missing:
                raise exceptions.NotFound(
                    _("No badge(s) %(numbers)s in this selection for %(event)s.")
                    % {"numbers": ", ".join(missing[:10]), "event": request.auth.event.acronym}
                )
        count = queryset.count()
        if count > BATCH_MAX:
            raise domain.BadRequest(
                "delegation",
                _("%(count)s badges match; a batch holds at most %(most)s. Select by delegation or badge numbers.")
                % {"count": count, "most": BATCH_MAX},
            )
        accreditations = {a.pk: a for a in queryset.order_by("person__family_name", "pk")}
        if not accreditations:
            raise exceptions.NotFound(_("No badges match this selection."))
        rows = {row["id"]: row for row in domain.badge_rows(Accreditation.objects.filter(pk__in=accreditations))}
        with translation.override(settings.LANGUAGE_CODE):  # badges print in English, whoever asks
            pdf = badges_sheet_pdf([(rows[pk], _photo(a)) for pk, a in accreditations.items()])
        return HttpResponse(pdf, content_type="application/pdf")


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
        responses={
            201: PrintRecordSerializer,
            (409, JSON): ErrorSerializer,
            (422, JSON): ErrorSerializer,
            **errors(body=True),
        },
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
        responses={
            200: BadgeSerializer,
            (409, JSON): ErrorSerializer,
            (422, JSON): ErrorSerializer,
            **errors(body=True),
        },
    )
    def post(self, request, badge_number: str):
        def handle() -> Response:
            accreditation = domain.badge_reprint(accreditation=self.badge(request, badge_number), token=request.auth)
            (row,) = domain.badge_rows(Accreditation.objects.filter(pk=accreditation.pk))
            return Response(row)

        return idempotent(request, handle)


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
        responses={
            200: FeedSerializer,
            304: OpenApiResponse(description="Nothing changed since the ETag."),
            **errors(),
        },
    )
    def get(self, request):
        after, limit = feed_position(request.query_params)
        changes, cursor, more = domain.feed_rows(request.auth, after, limit)
        # The ETag names where the client stands after this answer: polling from there with it, when nothing
        # has changed, costs the one query that found no changes and gets a 304.
        etag = f'"{request.auth.event_id}-{cursor}"'
        if not changes and request.headers.get("If-None-Match") == etag:
            return HttpResponse(status=304, headers={"ETag": etag})
        following = next_feed_link(request, cursor) if more else None
        return Response({"cursor": cursor, "more": more, "next": following, "changes": changes}, headers={"ETag": etag})


class DeviceTokenThrottle(SimpleRateThrottle):
    """At most the rate in `setting` per device token (counted in the shared "ratelimit" cache); above it 429 with
    Retry-After. Runs after authentication, so every request it sees carries a token."""

    setting = ""  # the PLANNER_RATE_* setting that holds the rate
    rate: str | None = None  # read from `setting` when the throttle is made; a test may set it on the class

    @property
    def cache(self):  # type: ignore[override]  # DRF's class attribute, here the shared cache the settings name
        return caches[settings.RATELIMIT_USE_CACHE]

    def get_rate(self) -> str:
        return getattr(settings, self.setting)

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth
        return f"throttle_{self.setting}_{token.pk}" if token is not None else None


class CheckpointThrottle(DeviceTokenThrottle):
    setting = "PLANNER_RATE_CHECKPOINT_SCAN"


class VerifyThrottle(DeviceTokenThrottle):
    setting = "PLANNER_RATE_VERIFY"


def too_many(setting: str) -> OpenApiResponse:
    """The 429 of an operation, for the schema: the limit (as set when the schema is made) and how to wait."""
    return OpenApiResponse(
        ErrorSerializer,
        description=lazy(
            lambda: (
                f"More than {rate_text(getattr(settings, setting))} from this device token (`{setting}`). "
                "The `Retry-After` header gives the seconds to wait. Also: too many wrong device tokens from this "
                "address (a lockout), likewise with `Retry-After`."
            ),
            str,
        )(),
    )


class Verify(StationView):
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        operation_id="verify",
        summary="Check a badge's QR: current, superseded, revoked, unknown or forged",
        request=VerifyInputSerializer,
        responses={
            200: VerdictSerializer,
            **errors(body=True, not_found=False),
            (429, JSON): too_many(VerifyThrottle.setting),  # after errors(): names both limits
        },
    )
    def post(self, request):
        data = VerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verdict = domain.badge_verify(request.auth, data.validated_data["payload"])
        return Response(verdict.__dict__)


SCAN_BODY_MAX = 4096  # {"payload": <at most 2 KB of QR text>} and some slack; a bigger body is not read


class CheckpointScans(StationView):
    scope = CHECKPOINT
    throttle_classes = [CheckpointThrottle]

    @extend_schema(
        operation_id="checkpoint_scans_create",
        summary="Judge a scanned badge at the token's zone: allowed or denied, with the reason (logged)",
        request=ScanInputSerializer,
        responses={
            200: ScanSerializer,
            **errors(body=True, not_found=False),
            (429, JSON): too_many(CheckpointThrottle.setting),  # after errors(): names both limits
        },
    )
    def post(self, request):
        token = request.auth
        if token.zone_id is None:  # token_create refuses this; a token edited in the database could have it
            raise exceptions.PermissionDenied(_("This checkpoint token has no zone; ask for a token bound to a zone."))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > SCAN_BODY_MAX:
            scan = checkpoint.badge_scan(token=token, payload=f"<{length} bytes>", oversized=True)
        else:
            scan = checkpoint.badge_scan(token=token, payload=scan_payload(request))
        log = scan.log
        if log is None:  # badge_scan logs every scan: one without its log row must not answer as if logged
            raise exceptions.APIException(_("The scan could not be logged; scan again."))
        holder = scan.holder
        if holder is not None:
            photo = reverse("badges-photo", args=[scan.badge_number])
            holder["photo_url"] = request.build_absolute_uri(photo) if scan.has_photo else None
        return Response(
            {
                "scan_id": log.pk,
                "result": scan.result,
                "reason": scan.reason,
                "message": scan.message,
                "badge_number": scan.badge_number,
                "version": scan.version,
                "zone": token.zone.code,
                "zone_name": token.zone.name,
                "scanned_at": log.scanned_at.isoformat(),
                "holder": holder,
            },
            headers={"Cache-Control": "no-store"},
        )


@csrf_exempt
def not_found(request, rest: str = ""):
    """Any other path under /api/ (an unknown version, a typo), any method: the 404 in the error shape. A plain
    Django view: nothing to negotiate, no body to read, so this answer is the same whatever was sent."""
    message = _("path: no such API path: %(path)s. The paths are listed at %(docs)s.") % {
        "path": request.path[:100],
        "docs": reverse("api-docs"),
    }
    return JsonResponse({"error": {"code": "not_found", "message": message, "fields": {"path": [message]}}}, status=404)
