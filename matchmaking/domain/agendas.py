"""Each participant's agenda of published forum meetings: read (one query for any number of participants), as a
PDF (the shipped fonts through asemplanner.typesetting, so names in any script print) and as iCalendar (one
VEVENT per meeting with a UID stable per pair, so importing a re-published agenda updates the calendar)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table
from reportlab.platypus.flowables import Flowable

from asemplanner.i18n import local_date
from asemplanner.typesetting import markup, stylesheet
from matchmaking.models import ForumMeeting, MeetingRequest, Participant


@dataclass(frozen=True)
class AgendaItem:
    key: int  # the meeting's request: one pair, one meeting
    start: dt.datetime
    end: dt.datetime
    table: str
    room: str
    counterpart: Participant


def agendas_for(participants: Iterable[Participant]) -> dict[int, list[AgendaItem]]:
    """participant pk → its published meetings in time order."""
    wanted = {p.pk for p in participants}
    agendas: dict[int, list[AgendaItem]] = defaultdict(list)
    # Only meetings whose request still stands and whose two participants still take part (a request withdrawn
    # or a participant made inactive since publishing takes the meeting off the agendas).
    rows = ForumMeeting.objects.filter(
        Q(first_id__in=wanted) | Q(second_id__in=wanted),
        status=ForumMeeting.Status.PUBLISHED,
        request__status__in=(MeetingRequest.Status.REQUESTED, MeetingRequest.Status.ACCEPTED),
        first__active=True,
        second__active=True,
    ).select_related("slot", "table__room__venue", "first", "second")
    for meeting in rows.order_by("slot__start"):
        for me, other in ((meeting.first, meeting.second), (meeting.second, meeting.first)):
            if me.pk in wanted:
                agendas[me.pk].append(
                    AgendaItem(
                        key=meeting.request_id,
                        start=meeting.slot.start,
                        end=meeting.slot.end,
                        table=meeting.table.label,
                        room=str(meeting.table.room) if meeting.table.room_id else "",
                        counterpart=other,
                    )
                )
    return agendas


def _text(value: str, *, bold: bool = False) -> str:
    return markup(value, bold=bold)


def agenda_pdf(participants: list[Participant], agendas: dict[int, list[AgendaItem]]) -> bytes:
    """A4; one page (or more) per participant: time, table, who, their sector."""
    styles = stylesheet()
    small = styles["BodyText"].clone("forum-small", fontSize=9, leading=11)
    buffer = io.BytesIO()
    title = _("Business forum agenda")
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm
    )
    story: list[Flowable] = []
    for n, participant in enumerate(participants):
        if n:
            story.append(PageBreak())
        story += [
            Paragraph(_text(_("Agenda — %(participant)s") % {"participant": participant}, bold=True), styles["Title"]),
            Paragraph(_text(f"{participant.event} · {participant.event.name}"), styles["Normal"]),
            Paragraph(
                _text(
                    _("One-to-one meetings, Phnom Penh time. Printed %(when)s; the plan may still change.")
                    % {"when": local_date(timezone.localtime(), "d M Y H:i")}
                ),
                small,
            ),
            Spacer(1, 5 * mm),
        ]
        header = [_("Time"), _("Table"), _("Meeting with"), _("Sector")]
        rows: list[list] = [[Paragraph(f"<b>{h}</b>", small) for h in header]]
        for item in agendas.get(participant.pk, []):
            start, end = timezone.localtime(item.start), timezone.localtime(item.end)
            when = f"{local_date(start, 'D d M H:i')}–{local_date(end, 'H:i')}"
            rows.append(
                [
                    Paragraph(_text(when), small),
                    Paragraph(_text(f"{item.table} · {item.room}" if item.room else item.table), small),
                    Paragraph(_text(str(item.counterpart)), small),
                    Paragraph(_text(item.counterpart.sector or "—"), small),
                ]
            )
        if len(rows) == 1:
            rows.append([Paragraph(_text(_("No meeting is planned for this participant yet.")), small), "", "", ""])
        table = Table(rows, colWidths=[38 * mm, 34 * mm, 70 * mm, 38 * mm], repeatRows=1)
        table.setStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
            ]
        )
        story.append(table)
    doc.build(story)
    return buffer.getvalue()


def agenda_ics(participant: Participant, items: list[AgendaItem]) -> bytes:
    """iCalendar (RFC 5545) in Phnom Penh time; one VEVENT per meeting, its UID stable per pair of participants."""
    calendar = Calendar()
    calendar.add("prodid", "-//ASEM summit planner//Business forum//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Forum meetings: %(participant)s") % {"participant": participant})
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    host = settings.PLANNER_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "asem-planner"
    for item in items:
        entry = CalendarEvent()
        entry.add("uid", f"forum-meeting-{item.key}-{participant.pk}@{host}")
        entry.add("dtstamp", stamp)
        entry.add("dtstart", item.start.astimezone(timezone.get_current_timezone()))
        entry.add("dtend", item.end.astimezone(timezone.get_current_timezone()))
        entry.add("summary", _("Meeting with %(organisation)s") % {"organisation": item.counterpart.organisation})
        entry.add("location", f"{item.table} · {item.room}" if item.room else item.table)
        entry.add(
            "description",
            _("%(counterpart)s · %(sector)s\n%(event)s, table %(table)s")
            % {
                "counterpart": item.counterpart,
                "sector": item.counterpart.sector or "—",
                "event": participant.event,
                "table": item.table,
            },
        )
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
