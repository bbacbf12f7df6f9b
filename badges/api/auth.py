"""Device tokens: `Authorization: Bearer <token>`, and the scope each view needs."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from asemplanner.domain.signin import address_locked, attempt_allowed, attempt_failed, lockout_until
from badges.api.parsers import StrictJSONParser
from badges.domain import badges as domain
from badges.domain.tokens import TokenRefused, token_authenticate
from badges.models import DeviceToken
from badges.renderers import ORJSONRenderer
from delegations.models import Accreditation

READ, PRINT = DeviceToken.Scope.READ.value, DeviceToken.Scope.PRINT.value
CHECKPOINT = DeviceToken.Scope.CHECKPOINT.value


class DeviceTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <device token>`."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword or len(header) != 2:
            raise exceptions.AuthenticationFailed(
                {"code": "token_malformed", "message": _("Send the token as `Authorization: Bearer <token>`.")}
            )
        # Guessing tokens: wrong tokens count per address with wrong passwords (django-axes); a locked-out
        # address gets 429 with Retry-After, whatever token it sends, until the cool-off has passed. The check is
        # a cache read (set when the address is locked out), so a station's polls ask the database nothing more.
        http_request = request._request
        if address_locked(http_request):
            raise exceptions.Throttled(wait=_lockout_seconds(http_request), detail=str(LOCKED_OUT))
        try:
            token = token_authenticate(header[1].decode("ascii", "replace"))
        except TokenRefused as refused:
            if not attempt_allowed(http_request):
                raise exceptions.Throttled(wait=_lockout_seconds(http_request), detail=str(LOCKED_OUT)) from refused
            attempt_failed(http_request, what="device_token")
            # Axes' middleware would swap this answer for its HTML page; the API answers in its own shape.
            http_request.axes_locked_out = False
            raise exceptions.AuthenticationFailed({"code": refused.code, "message": refused.message}) from refused
        return (token, token)

    def authenticate_header(self, request):
        return 'Bearer realm="asemplanner"'


LOCKED_OUT = gettext_lazy("Too many wrong device tokens from this address; try again after the wait in Retry-After.")


def _lockout_seconds(request) -> int:
    until = lockout_until(request)
    return max(1, int((until - timezone.now()).total_seconds())) if until else 60


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "badges.api.auth.DeviceTokenAuthentication"
    name = "DeviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A device token made in the admin (Badges → Device tokens).",
        }


class HasScope(BasePermission):
    message = gettext_lazy("This token lacks the scope this call needs.")

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, DeviceToken):
            raise exceptions.NotAuthenticated(
                {"code": "token_missing", "message": _("Send a device token: `Authorization: Bearer <token>`.")}
            )
        needed = getattr(view, "scope", READ)
        anyof = needed if isinstance(needed, tuple) else (needed,)
        if not set(anyof) & set(token.scopes):
            either = " " + pgettext("between scopes: badges:read or checkpoint:scan", "or") + " "
            raise exceptions.PermissionDenied(
                _("This token lacks the scope %(needed)s; it has %(scopes)s.")
                % {"needed": either.join(anyof), "scopes": ", ".join(token.scopes)}
            )
        return True


class StationView(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [HasScope]
    renderer_classes = [ORJSONRenderer]  # a view answering a file lists its FileRenderer instead
    parser_classes = [StrictJSONParser]
    scope: str | tuple[str, ...] = READ  # the scope this view needs, or any one of several

    def finalize_response(self, request, response, *args, **kwargs):
        # A file is an HttpResponse the view built; every DRF Response (an error, OPTIONS) is JSON whatever the
        # client accepts: a station that asked for application/pdf still gets an error body it can read, not a
        # mislabelled or failed answer (docs/print-stations.md, "What a station sends").
        if isinstance(response, Response):
            request.accepted_renderer, request.accepted_media_type = ORJSONRenderer(), ORJSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def badge(self, request, badge_number: str) -> Accreditation:
        if "\x00" in badge_number or len(badge_number) > 20:
            raise exceptions.NotFound(
                _("No badge %(number)s for %(event)s.")
                % {"number": repr(badge_number[:30]), "event": request.auth.event.acronym}
            )
        try:
            return domain.badge_get(request.auth, badge_number)
        except Accreditation.DoesNotExist as exc:
            raise exceptions.NotFound(
                _("No badge %(number)s for %(event)s.")
                % {"number": badge_number[:30], "event": request.auth.event.acronym}
            ) from exc
