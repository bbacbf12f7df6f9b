"""The portal's writes, limited per signed-in user (django-ratelimit): every POST of every portal form counts
towards one budget, PLANNER_RATE_PORTAL_WRITE (default 60 a minute). A person filling forms stays far below it;
a script replaying a form does not. Above it the page says how long to wait, with status 429 and Retry-After,
and nothing is written.

The counts live in the "ratelimit" cache (Redis, or files under var/), so all web processes count together.
Reads (GET, HEAD) are not counted; anonymous visitors are sent to sign in by the view itself.
"""

from __future__ import annotations

import functools
import math

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django_ratelimit import UNSAFE
from django_ratelimit.core import get_usage

GROUP = "portal.write"
UNITS = {"s": _("second"), "m": _("minute"), "h": _("hour"), "d": _("day")}


def write_limit(view):
    """Count the view's POSTs against the user's portal write budget; above it answer 429 instead."""

    @functools.wraps(view)
    def limited(request, *args, **kwargs):
        if request.method in UNSAFE and request.user.is_authenticated:
            rate = settings.PLANNER_RATE_PORTAL_WRITE
            usage = get_usage(request, group=GROUP, key="user", rate=rate, method=UNSAFE, increment=True)
            if usage is not None and usage["should_limit"]:
                # The window ends with the second `time_left` names: the next one starts a second later.
                return too_many_writes(request, rate=rate, wait=usage["time_left"] + 1)
        return view(request, *args, **kwargs)

    return limited


def too_many_writes(request, *, rate: str, wait: float):
    seconds = max(1, math.ceil(wait))
    count, _, unit = rate.partition("/")
    response = render(
        request,
        "portal/rate_limited.html",
        {"seconds": seconds, "count": count, "unit": UNITS.get(unit, unit)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
