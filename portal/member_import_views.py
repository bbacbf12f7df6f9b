"""Spreadsheet import of a delegation list: upload → preview → confirm (or discard).

Thin views over `delegations.domain.member_import`, which reads and checks the file, keeps a valid list for
the preview and adds the members. A file with errors comes straight back to the upload page with every problem
listed (row, column, what is wrong) and nothing stored.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from asemplanner.i18n import local_digits
from delegations.domain.access import access_member_import
from delegations.domain.member_import.checking import CATEGORY_LABELS, RANK_LABELS, places_left
from delegations.domain.member_import.columns import COLUMNS, REQUIRED
from delegations.domain.member_import.errors import ImportRefused, RowError
from delegations.domain.member_import.reading import MAX_BYTES, MAX_ROWS
from delegations.domain.member_import.staging import (
    member_import_confirm,
    member_import_discard,
    member_import_expired,
    member_import_people,
    member_import_stage,
)
from delegations.domain.member_import.template import import_template
from portal.common import FORM, READ, WRITE, delegation_view, page
from portal.ratelimit import write_limit

SHOWN_ERRORS = 200  # a file of garbage has thousands; the first ones say what to fix
SHOWN_ROWS = 1000
TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Delegation list (.xlsx or .csv)"),
        help_text=gettext_lazy(
            "An Excel workbook (the first sheet is read) or a CSV file. Row 1 names the columns: Given name, "
            "Family name and Function are required; the others are optional. One member per row."
        ),
        widget=forms.FileInput(
            attrs={"accept": ".xlsx,.csv," + ",".join(t.split(";")[0] for t in TEMPLATE_TYPES.values())}
        ),
    )


def _count(n: int) -> str:
    """A count as people read it: 1,234 (with Khmer digits on Khmer pages)."""
    return local_digits(f"{n:,}")


@write_limit
@delegation_view(FORM, section="members")
def upload(request, delegation):
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    errors: list[RowError] = []
    file_name = ""
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        file_name = uploaded.name
        data = uploaded.read(MAX_BYTES + 1)  # the domain refuses anything larger; no need to read it all
        member_import, errors = member_import_stage(
            delegation=delegation, file_name=file_name, data=data, by=request.user
        )
        if member_import is not None:
            return redirect("portal:import_preview", delegation.pk, member_import.pk)
    row_errors = [error for error in errors if not error.file_level]
    return page(
        request,
        "portal/import_upload.html",
        delegation,
        form=form,
        file_name=file_name,
        file_errors=[error for error in errors if error.file_level],
        row_errors=row_errors[:SHOWN_ERRORS],
        row_errors_count=ngettext("%(n)s problem", "%(n)s problems", len(row_errors)) % {"n": _count(len(row_errors))},
        more_errors=max(len(row_errors) - SHOWN_ERRORS, 0),
        has_errors=bool(errors),
        places_left=places_left(delegation),
        required=[COLUMNS[name] for name in REQUIRED],
        optional=[header for name, header in COLUMNS.items() if name not in REQUIRED],
        rank_labels=RANK_LABELS,
        category_labels=CATEGORY_LABELS,
        max_mb=MAX_BYTES // 1_000_000,
        max_rows=f"{MAX_ROWS:,}",
    )


@delegation_view(READ, section="members")
def template(request, delegation, kind):
    if kind not in TEMPLATE_TYPES:
        raise Http404("Templates come as .csv or .xlsx.")
    response = HttpResponse(import_template(kind), content_type=TEMPLATE_TYPES[kind])
    name = slugify(delegation.partner.code) or "delegation"
    response["Content-Disposition"] = f'attachment; filename="{name}-delegation-list.{kind}"'
    return response


@delegation_view(READ, section="members")
def preview(request, delegation, import_id):
    member_import = access_member_import(delegation, import_id)
    expired = member_import_expired(member_import)
    ready = member_import.status == member_import.Status.READY and not expired
    people = member_import_people(member_import=member_import) if ready else []
    left = places_left(delegation)
    return page(
        request,
        "portal/import_preview.html",
        delegation,
        member_import=member_import,
        ready=ready,
        expired=expired,
        people=people[:SHOWN_ROWS],
        more_people=max(len(people) - SHOWN_ROWS, 0),
        count=ngettext("%(n)s member", "%(n)s members", member_import.n_rows) % {"n": _count(member_import.n_rows)},
        places_left=left,
        left_after=max(left - member_import.n_rows, 0),
    )


@write_limit
@delegation_view(WRITE, section="members")
def confirm(request, delegation, import_id):
    member_import = access_member_import(delegation, import_id)
    try:
        people = member_import_confirm(member_import=member_import, by=request.user)
    except ImportRefused as exc:
        for message in exc.messages[:SHOWN_ERRORS]:
            messages.error(request, message)
        return redirect("portal:import_preview", delegation.pk, member_import.pk)
    text = ngettext(
        "%(n)s member was added from %(file)s. Next: their photos and travel.",
        "%(n)s members were added from %(file)s. Next: their photos and travel.",
        len(people),
    )
    messages.success(request, text % {"n": _count(len(people)), "file": member_import.file_name})
    return redirect("portal:members", delegation.pk)


@write_limit
@delegation_view(WRITE, section="members")
def discard(request, delegation, import_id):
    member_import = access_member_import(delegation, import_id)
    try:
        member_import_discard(member_import=member_import, by=request.user)
    except ImportRefused as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("portal:import_preview", delegation.pk, member_import.pk)
    messages.success(request, _("%(file)s was discarded; nobody was added.") % {"file": member_import.file_name})
    return redirect("portal:import_upload", delegation.pk)
