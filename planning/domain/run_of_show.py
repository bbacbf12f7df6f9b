"""A leader's run-of-show: one person's day in order, for the motorcade and the liaison, on screen and as a PDF.

Arrival (flight, airport, status), each motorcade with its minutes, the transfers between venues the engine
would check (minutes by motorcade against the gap), each session, bilateral and protocol task with its place
and time, and departure. It is read from the conflict engine's own gathering (as the leader's timeline and the
delegation's programme), keeping of the protocol work only what the delegation takes part in (reception,
motorcade, farewell, interpretation), so the liaison's copy holds no staff-only work. Staff open it from the
operations board (admin:run_of_show), a liaison from the portal for their own head (portal:run_of_show); both
call `run_of_show()` and `run_of_show_pdf()`.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table
from reportlab.platypus.flowables import Flowable

from asemplanner.i18n import local_date, local_digits
from asemplanner.typesetting import markup, stylesheet
from delegations.models import Delegation, Person, Travel, travel_window
from delegations.validators import ARRIVAL_STATUSES, DEPARTURE_STATUSES
from events.domain.conflicts import Commitment
from planning.domain.conflict_checks import gather
from planning.domain.programme import DELEGATION_TASK_KINDS
from planning.domain.timeline.axis import day_bounds
from planning.domain.timeline.leader import (
    CommitmentEntry,
    OverlapEntry,
    TransferEntry,
    leader_entries,
    person_commitments_on,
)
from protocol.models import ProtocolTask

KIND_LABELS = {
    "arrival": gettext_lazy("Arrival"),
    "departure": gettext_lazy("Departure"),
    "session": gettext_lazy("Programme"),
    "bilateral": gettext_lazy("Bilateral"),
    "task": gettext_lazy("Protocol"),
    "motorcade": gettext_lazy("Motorcade"),
    "transfer": gettext_lazy("Transfer"),
    "overlap": gettext_lazy("Overlap"),
}


@dataclass(frozen=True)
class RunItem:
    kind: str  # arrival | motorcade | transfer | overlap | session | bilateral | task | departure
    start: dt.datetime
    end: dt.datetime | None
    title: str
    where: str
    minutes: int | None = None  # a motorcade's or transfer's minutes by road
    note: str = ""

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass(frozen=True)
class RunOfShow:
    person_id: int
    name: str
    function: str
    partner: str
    event: str
    day: dt.date
    hotel: str
    items: list[RunItem]


def run_of_show_days(delegation: Delegation) -> tuple[dt.date, dt.date]:
    """The days a delegation's run-of-show may be asked for: its event's travel window (the event and its side
    events, with the days delegations arrive before and leave after), in Phnom Penh days."""
    start, end = travel_window(delegation.event)
    return timezone.localtime(start).date(), timezone.localtime(end).date() - dt.timedelta(days=1)


def _travel(person: Person) -> Travel | None:
    return Travel.objects.filter(person=person).select_related("arrival_airport", "departure_airport", "hotel").first()


def run_of_show(*, person: Person, day: dt.date) -> RunOfShow:
    """The person's day (Phnom Penh) in order. A fixed number of queries (the engine's gathering, the delegation
    kinds of the tasks, the travel)."""
    commitments, facts = gather()
    mine = person_commitments_on(commitments, person_id=person.pk, day=day)
    task_ids = [int(c.key.partition(":")[2]) for c in mine if c.key.startswith("task:")]
    kinds = dict(ProtocolTask.objects.filter(pk__in=task_ids, kind__in=DELEGATION_TASK_KINDS).values_list("pk", "kind"))
    shown: list[Commitment] = [
        c for c in mine if not c.key.startswith("task:") or int(c.key.partition(":")[2]) in kinds
    ]
    items: list[RunItem] = []
    for entry in leader_entries(shown, facts):
        if isinstance(entry, TransferEntry):
            needed = entry.transfer_minutes
            if needed is None:
                note = _("No transfer time on record for this route: ask the protocol office")
            elif entry.severity == "error":
                note = _("Too short: %(gap)s min between the two, %(needed)s min by road") % {
                    "gap": entry.gap_minutes,
                    "needed": needed,
                }
            else:
                # When the motorcade must leave to arrive with the protocol buffer in hand.
                leave = entry.end - dt.timedelta(minutes=needed + entry.buffer_minutes)
                values = {"time": local_date(leave, "H:i")}
                if entry.severity:
                    note = _("Leave by %(time)s (tight: less than the buffer)") % values
                else:
                    note = _("Leave by %(time)s") % values
            items.append(
                RunItem(
                    kind="transfer",
                    start=entry.start,
                    end=entry.end,
                    title=f"{entry.origin} → {entry.destination}",
                    where=_("By motorcade"),
                    minutes=needed,
                    note=note,
                )
            )
        elif isinstance(entry, OverlapEntry):
            # The next item starts before the previous one ends: the motorcade must know it cannot be on time.
            items.append(
                RunItem(
                    kind="overlap",
                    start=entry.start,
                    end=None,
                    title=_("%(following)s starts %(minutes)s min before %(previous)s ends")
                    % {"following": entry.following, "minutes": entry.minutes, "previous": entry.previous},
                    where="",
                    note=_("Clash: ask the protocol office"),
                )
            )
        elif isinstance(entry, CommitmentEntry):
            prefix, _sep, pk = entry.key.partition(":")
            kind = prefix
            minutes = None
            if prefix == "task" and kinds.get(int(pk)) == ProtocolTask.Kind.MOTORCADE:
                kind, minutes = "motorcade", entry.minutes
            # The room's label names its venue already; a motorcade has no room, its venues are "A → B".
            note = entry.event if entry.event != person.delegation.event.acronym else ""
            items.append(RunItem(kind, entry.start, entry.end, entry.title, entry.room or entry.venue, minutes, note))
    travel = _travel(person)
    day_start, day_end = day_bounds(day)
    if travel is not None:
        arrives = (_("Arrives"), _("Arrives on %(flight)s"))
        departs = (_("Departs"), _("Departs on %(flight)s"))
        legs = (
            ("arrival", arrives, travel.arrival_at, travel.arrival_flight, travel.arrival_airport,
             ARRIVAL_STATUSES.get(travel.arrival_status, travel.arrival_status)),
            ("departure", departs, travel.departure_at, travel.departure_flight, travel.departure_airport,
             DEPARTURE_STATUSES.get(travel.departure_status, travel.departure_status)),
        )  # fmt: skip
        for kind, verb, moment, flight, airport, status in legs:
            if moment and day_start <= moment < day_end:
                items.append(
                    RunItem(
                        kind=kind,
                        start=timezone.localtime(moment),
                        end=None,
                        title=verb[1] % {"flight": flight} if flight else verb[0],
                        where=str(airport or ""),
                        note=status,
                    )
                )
    # Arrival before anything starting at the same minute; departure after anything ending by then.
    order = {"arrival": 0, "departure": 2}
    items.sort(key=lambda item: (item.start, order.get(item.kind, 1)))
    delegation = person.delegation
    return RunOfShow(
        person_id=person.pk,
        name=str(person),
        function=person.function,
        partner=delegation.partner.name,
        event=str(delegation.event.acronym),
        day=day,
        hotel=str(travel.hotel) if travel and travel.hotel_id else "",
        items=items,
    )


def _pdf_text(value: str, *, bold: bool = False) -> str:
    """The text as reportlab markup in the shipped fonts, every script (asemplanner.typesetting). Routes and
    places keep the plain separators the sheet has always printed ("PNH -> Sokha", "Centre - Plenary")."""
    return markup(value.replace("→", "->").replace("·", "-"), bold=bold)


def run_of_show_pdf(show: RunOfShow) -> bytes:
    """A4, one table of the day: time, what, where, minutes and notes. Shipped Noto fonts, shaped."""
    styles = stylesheet()
    small = styles["BodyText"].clone("small", fontSize=9, leading=11)
    buffer = io.BytesIO()
    title = _("Run-of-show: %(name)s (%(partner)s), %(day)s") % {
        "name": show.name,
        "partner": show.partner,
        "day": local_date(show.day, "l d F Y"),
    }
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm
    )
    generated = timezone.localtime()
    story: list[Flowable] = [
        Paragraph(_pdf_text(_("Run-of-show — %(name)s") % {"name": show.name}, bold=True), styles["Title"]),
        Paragraph(
            _pdf_text(f"{show.function + ', ' if show.function else ''}{show.partner} · {show.event}"), styles["Normal"]
        ),
        Paragraph(
            _pdf_text(
                _("%(day)s · Hotel: %(hotel)s") % {"day": local_date(show.day, "l d F Y"), "hotel": show.hotel}
                if show.hotel
                else local_date(show.day, "l d F Y"),
                bold=True,
            ),
            styles["Heading2"],
        ),  # fmt: skip
        Paragraph(
            _pdf_text(
                _(
                    "For the motorcade and the liaison. Times are Phnom Penh time (UTC+07:00). Printed %(when)s: the "
                    "day still changes, print it again before you leave."
                )
                % {"when": local_date(generated, "d M Y H:i")}
            ),
            small,
        ),
        Spacer(1, 5 * mm),
    ]
    header = [_("Time"), _("What"), _("Where"), pgettext("minutes, a column heading", "Min."), _("Notes")]
    rows = [[Paragraph(f"<b>{h}</b>", small) for h in header]]
    for item in show.items:
        time = local_date(item.start, "H:i") + (f"–{local_date(item.end, 'H:i')}" if item.end else "")
        rows.append(
            [
                Paragraph(_pdf_text(time), small),
                Paragraph(_pdf_text(f"{item.kind_label}: {item.title}"), small),
                Paragraph(_pdf_text(item.where or "—"), small),
                Paragraph(_pdf_text(local_digits(item.minutes) if item.minutes is not None else ""), small),
                Paragraph(_pdf_text(item.note), small),
            ]
        )
    if not show.items:
        rows.append([Paragraph(_pdf_text(_("Nothing planned for this day.")), small), "", "", "", ""])
    table = Table(rows, colWidths=[24 * mm, 62 * mm, 46 * mm, 12 * mm, 36 * mm], repeatRows=1)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
    ]
    if not show.items:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(style)
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
