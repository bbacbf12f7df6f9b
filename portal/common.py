"""What every portal view shares: the delegation lookup, the nav, and domain errors shown on the form.

Views stay thin (STYLE 1–3): parse the request, look the objects up with an `access_*` function, call one
domain write function, render. The domain validates; `attach_errors` puts what it refused on the field
the user has to change.
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from delegations.domain.access import access_delegation

READ = ("GET", "HEAD")
WRITE = ("POST",)
FORM = ("GET", "HEAD", "POST")

NAV = [
    ("dashboard", _("Overview")),
    ("members", _("Members")),
    ("accreditations", _("Accreditations")),
    ("bilaterals", _("Bilaterals")),
    ("programme", _("Programme")),
    ("forum", _("Business forum")),
]


def delegation_view(methods=READ, *, section: str = ""):
    """A view of one of the signed-in liaison's delegations: `view(request, delegation, **kwargs)`.

    Anonymous visitors go to sign in; anyone who is not a liaison of this delegation gets 404 whatever the
    method (the access check comes before the method check, so a 405 never tells that the object exists)."""

    def wrap(view):
        allowed = require_http_methods(list(methods))(view)

        @login_required
        @functools.wraps(view)
        def inner(request, delegation_id, **kwargs):
            delegation = access_delegation(request.user, delegation_id)
            request.portal_section = section
            return allowed(request, delegation, **kwargs)

        return inner

    return wrap


def page(request, template: str, delegation, **context):
    return render(
        request,
        template,
        {"delegation": delegation, "nav": NAV, "section": getattr(request, "portal_section", ""), **context},
    )


def attach_errors(form, exc: ValidationError) -> None:
    """The domain's refusal on the form: each message on its field, or at the top naming the field."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        elif field == NON_FIELD_ERRORS:
            form.add_error(None, errors)
        else:
            label = field.replace("_", " ").capitalize()
            form.add_error(None, [f"{label}: {message}" for message in errors])
