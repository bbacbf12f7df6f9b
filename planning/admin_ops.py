"""The live operations board in the admin, and a leader's run-of-show.

- `admin:ops` (/admin/ops/) is the board's page: a day picker (`?day=YYYY-MM-DD`, default today in Phnom Penh,
  clamped to the summit's days) and a moment (`?at=HH:MM`, default now on today, else the start of the day);
- `admin:ops_board` is the board's body alone, which planning/static/planning/ops-board.js fetches every 30 s
  to refresh the page without reloading it;
- `admin:run_of_show` is one person's day as a PDF (`?day=`), linked from the board's heads.

Any staff member may open the board; each section shows only for roles that may view what it is made of
(planning/domain/ops_board.py SECTION_PERMISSIONS). The run-of-show needs `events.view_session` and
`delegations.view_travel`. The work is planning/domain/ops_board.py and planning/domain/run_of_show.py.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from asemplanner.admin_pages import site_pages
from delegations.models import Person
from planning.domain.ops_board import OpsBoard, day_clamp, day_clamp_note, local_date, ops_board, summit_days
from planning.domain.run_of_show import run_of_show, run_of_show_pdf

RUN_OF_SHOW_PERMISSIONS = ("events.view_session", "delegations.view_travel")


def ops_urls(site: AdminSite) -> list[URLPattern]:
    """URLs for `PlannerAdminSite.get_urls()`."""

    wrap = site_pages(site)

    return [
        path("ops/", wrap(require_GET(ops_view)), name="ops"),
        path("ops/board/", wrap(require_GET(board_view)), name="ops_board"),
        path("ops/run-of-show/<int:person_pk>/", wrap(require_GET(run_of_show_view)), name="run_of_show"),
    ]


def _shown(raw: str) -> str:
    return raw if len(raw) <= 40 else raw[:40] + "…"


def parse_day(raw: str | None) -> tuple[dt.date | None, str]:
    """The `?day=` value (None when absent or unreadable) and what was wrong with it."""
    if not raw:
        return None, ""
    try:
        return dt.date.fromisoformat(raw.strip()), ""
    except ValueError:
        return None, _("“%(value)s” is not a date: give the day as YYYY-MM-DD, e.g. 2020-11-16.") % {
            "value": _shown(raw)
        }


def parse_at(raw: str | None, day: dt.date) -> tuple[dt.datetime | None, str]:
    """The `?at=HH:MM` moment on `day` in Phnom Penh time (None when absent or unreadable) and what was wrong."""
    if not raw:
        return None, ""
    try:
        time = dt.time.fromisoformat(raw.strip())
    except ValueError:
        return None, _("“%(value)s” is not a time of day: give it as HH:MM (24-hour), e.g. 10:30.") % {
            "value": _shown(raw)
        }
    return dt.datetime.combine(day, time.replace(second=0, microsecond=0), tzinfo=timezone.get_current_timezone()), ""


def _board(request: HttpRequest) -> tuple[OpsBoard, list[str]]:
    day, day_error = parse_day(request.GET.get("day"))
    errors = [day_error] if day_error else []
    at = None
    if request.GET.get("at"):
        # The moment is read on the day actually shown, so clamp first.
        _summit, first, last = summit_days()
        shown, _note = day_clamp(day or timezone.localdate(), first, last)
        at, at_error = parse_at(request.GET.get("at"), shown)
        if at_error:
            errors.append(at_error)
    board = ops_board(day, request.user, at=at)
    if errors:
        errors.append(
            _("Showing %(day)s at %(time)s instead.")
            % {"day": local_date(board.day, "d M Y"), "time": local_date(board.at, "H:i")}
        )
    return board, errors


def _context(request: HttpRequest, board: OpsBoard, errors: list[str]) -> dict:
    days = []
    if board.first_day and board.last_day:
        days = [board.first_day + dt.timedelta(days=n) for n in range((board.last_day - board.first_day).days + 1)]
    query = f"day={board.day.isoformat()}"
    if request.GET.get("at") and not errors:
        query += f"&at={board.at:%H:%M}"
    return {
        "board": board,
        "errors": errors,
        "days": days,
        "query": query,
        "updated": timezone.localtime(),
        "refresh_seconds": settings.PLANNER_OPS_REFRESH_SECONDS,
        "can_run_of_show": all(request.user.has_perm(p) for p in RUN_OF_SHOW_PERMISSIONS),
        "is_live": not request.GET.get("at"),
    }


def ops_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    board, errors = _board(request)
    return TemplateResponse(
        request,
        "admin/planning/ops.html",
        {
            **site.each_context(request),
            "title": _("Operations — %(day)s") % {"day": local_date(board.day, "l d F Y")},
            **_context(request, board, errors),
        },
        status=400 if errors else 200,
    )


def board_view(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    """The board's body alone (no admin chrome), for the page's refresh."""
    board, errors = _board(request)
    response = TemplateResponse(
        request, "admin/planning/_ops_board.html", _context(request, board, errors), status=400 if errors else 200
    )
    response["Cache-Control"] = "no-store"
    return response


def run_of_show_view(request: HttpRequest, person_pk: int, *, site: AdminSite) -> HttpResponse:
    if not all(request.user.has_perm(p) for p in RUN_OF_SHOW_PERMISSIONS):
        raise PermissionDenied
    person = get_object_or_404(Person.objects.select_related("delegation__partner", "delegation__event"), pk=person_pk)
    day, error = parse_day(request.GET.get("day"))
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    _summit, first, last = summit_days()
    day_asked = day or timezone.localdate()
    day, note = day_clamp(day_asked, first, last)
    if note and request.GET.get("day") and first and last:  # a note says the summit's days are known
        return HttpResponse(day_clamp_note(day_asked, first, last, run_of_show=True), status=400,
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    return pdf_response(run_of_show_pdf(run_of_show(person=person, day=day)), person=person, day=day)


def pdf_response(pdf: bytes, *, person: Person, day: dt.date) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="run-of-show-{slugify(person.full_name)}-{day.isoformat()}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
