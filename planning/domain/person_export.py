"""Everything the planner holds about one person, for their right of access: as data, then JSON or PDF.

In `planning` because it reads across apps (the programme gathers sessions, bilaterals and protocol tasks).
It includes the passport data, so only the roles with `delegations.view_sensitive_person` may have it, and
every export is audited by the caller (`person_sensitive_viewed`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table
from reportlab.platypus.flowables import Flowable

from asemplanner.models import AuditEntry
from asemplanner.typesetting import markup, stylesheet
from delegations.models import Accreditation, Person, Travel
from planning.domain.programme import programme_for

PERSON_FIELDS = (
    "honorific", "given_name", "family_name", "function", "rank", "category", "nationality", "email", "phone",
    "languages", "passport_number", "passport_expiry", "date_of_birth", "created_at", "updated_at",
)  # fmt: skip

# The PDF's labels of the data's keys (the JSON keeps the keys: a machine reads them back).
LABELS = {
    "id": gettext_lazy("Id"),
    "honorific": gettext_lazy("Honorific"),
    "given_name": gettext_lazy("Given name"),
    "family_name": gettext_lazy("Family name"),
    "function": gettext_lazy("Function"),
    "rank": gettext_lazy("Rank"),
    "category": gettext_lazy("Category"),
    "nationality": gettext_lazy("Nationality"),
    "email": gettext_lazy("Email"),
    "phone": gettext_lazy("Phone"),
    "languages": gettext_lazy("Languages"),
    "passport_number": gettext_lazy("Passport number"),
    "passport_expiry": gettext_lazy("Passport expiry"),
    "date_of_birth": gettext_lazy("Date of birth"),
    "created_at": gettext_lazy("Created at"),
    "updated_at": gettext_lazy("Updated at"),
    "photo": gettext_lazy("Photo"),
    "partner": gettext_lazy("Partner"),
    "event": gettext_lazy("Event"),
    "status": gettext_lazy("Status"),
    "head_of_delegation": gettext_lazy("Head of delegation"),
    "badge_number": gettext_lazy("Badge number"),
    "badge_version": gettext_lazy("Badge version"),
    "zones": gettext_lazy("Zones"),
    "requested_at": gettext_lazy("Requested at"),
    "approved_at": gettext_lazy("Approved at"),
    "arrival_flight": gettext_lazy("Arrival flight"),
    "arrival_at": gettext_lazy("Arrival at"),
    "arrival_airport": gettext_lazy("Arrival airport"),
    "departure_flight": gettext_lazy("Departure flight"),
    "departure_at": gettext_lazy("Departure at"),
    "departure_airport": gettext_lazy("Departure airport"),
    "hotel": gettext_lazy("Hotel"),
    "notes": gettext_lazy("Notes"),
    "title": gettext_lazy("Title"),
    "start": gettext_lazy("Start"),
    "end": gettext_lazy("End"),
    "where": gettext_lazy("Where"),
    "at": gettext_lazy("At"),
    "action": gettext_lazy("Action"),
    "by": gettext_lazy("By"),
    "changes": gettext_lazy("Changes"),
}


def _label(key: str) -> str:
    return str(LABELS[key]) if key in LABELS else key.replace("_", " ").capitalize()


def _text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def person_export_data(person: Person) -> dict[str, Any]:
    """The person's data as plain JSON-ready values, in sections."""
    delegation = person.delegation
    travel = Travel.objects.filter(person=person).select_related("arrival_airport", "departure_airport", "hotel")
    accreditations = (
        Accreditation.objects.filter(person=person).select_related("event").prefetch_related("zones").order_by("pk")
    )
    types = ContentType.objects.get_for_models(Person, Travel, Accreditation)
    about = Q(content_type=types[Person], object_id=str(person.pk))
    about |= Q(content_type=types[Travel], object_id__in=[str(t.pk) for t in travel])
    about |= Q(content_type=types[Accreditation], object_id__in=[str(a.pk) for a in accreditations])
    return {
        "exported_at": _text(timezone.now()),
        "person": {
            "id": person.pk,
            **{name: _text(getattr(person, name)) for name in PERSON_FIELDS},
            "rank": person.get_rank_display(),
            "category": person.get_category_display(),
            "photo": "on file" if person.photo else "none",
        },
        "delegation": {
            "partner": str(delegation.partner),
            "event": str(delegation.event),
            "status": delegation.get_status_display(),
            "head_of_delegation": delegation.head_id == person.pk,
        },
        "accreditations": [
            {
                "event": str(a.event),
                "category": a.get_category_display(),
                "status": a.get_status_display(),
                "badge_number": a.badge_number or "",
                "badge_version": a.badge_version,
                "zones": [zone.code for zone in a.zones.all()],
                "requested_at": _text(a.requested_at),
                "approved_at": _text(a.approved_at),
            }
            for a in accreditations
        ],
        "travel": [
            {
                "arrival_flight": t.arrival_flight,
                "arrival_at": _text(t.arrival_at),
                "arrival_airport": str(t.arrival_airport or ""),
                "departure_flight": t.departure_flight,
                "departure_at": _text(t.departure_at),
                "departure_airport": str(t.departure_airport or ""),
                "hotel": str(t.hotel or ""),
                "notes": t.notes,
            }
            for t in travel
        ],
        "programme": [
            {
                "title": item.title,
                "start": _text(item.start),
                "end": _text(item.end),
                "event": item.event,
                "where": item.where,
            }
            for item in programme_for(delegation, person=person)
        ],  # fmt: skip
        "audit_trail": [
            {"at": _text(entry.at), "action": entry.action, "by": entry.actor_name, "changes": entry.changes}
            for entry in AuditEntry.objects.filter(about).order_by("at", "pk")
        ],
    }


def person_export_json(person: Person) -> bytes:
    return json.dumps(person_export_data(person), indent=2, ensure_ascii=False).encode()


def _cell(value: Any) -> Paragraph:
    return Paragraph(markup(str(value if value not in (None, "") else "—")), stylesheet()["Normal"])


def _rows(rows: list[tuple[str, Any]]) -> Table:
    body = [[_cell(label), _cell(value)] for label, value in rows]
    table = Table(body, colWidths=[45 * mm, 125 * mm])
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP")])
    return table


def person_export_pdf(person: Person) -> bytes:
    data = person_export_data(person)
    styles = stylesheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=_("Personal data held about %(person)s") % {"person": person.full_name}
    )
    story: list[Flowable] = [
        Paragraph(markup(_("Personal data held about %(person)s") % {"person": person}, bold=True), styles["Title"]),
        Paragraph(
            markup(_("Exported %(when)s from the ASEM summit planner.") % {"when": data["exported_at"]}),
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
        Paragraph(_("Person"), styles["Heading2"]),
        _rows([(_label(name), value) for name, value in data["person"].items()]),
        Paragraph(_("Delegation"), styles["Heading2"]),
        _rows([(_label(name), value) for name, value in data["delegation"].items()]),
    ]
    sections = (
        (_("Accreditations"), data["accreditations"]),
        (_("Travel and hotel"), data["travel"]),
        (_("Programme"), data["programme"]),
        (_("Audit trail"), data["audit_trail"]),
    )
    for title, items in sections:
        story.append(Paragraph(title, styles["Heading2"]))
        if not items:
            story.append(Paragraph(_("None."), styles["Normal"]))
        for item in items:
            story += [_rows([(_label(k), v) for k, v in item.items()]), Spacer(1, 3 * mm)]
    doc.build(story)
    return buffer.getvalue()
