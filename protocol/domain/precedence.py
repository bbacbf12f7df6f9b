"""The order of precedence of the heads of delegation at an event, and the plenary seating plan built from it.

The order:

1. The host (`Event.host`) takes the chair, whatever its head's rank, and is kept apart from the order.
2. Everyone else by the rank of their head of delegation (`Delegation.head.rank`, `asemplanner.choices.Rank`:
   head of state 10 before head of government 20 … before "other" 90).
3. Within a rank, by the event's `precedence_rule`: partner name in English (accents and case ignored), year
   of joining ASEM then name, or name with the alphabet rotated to start at the drawn letter (with `M`:
   Malaysia … Viet Nam, then Australia … Luxembourg; a name starting with a non-letter comes after Z).
4. Partner code last, so two partners can never tie and the order is the same on every run and database.

Institutions (the EU, the ASEAN Secretariat) take part like countries: the rank of the one person named as
`Delegation.head` counts. The EU comes with two presidents (European Council and Commission); only the one
named head is in the order, the other is a member of the delegation. The demo data ranks the EU's head
"other" (90): it then sorts after every ranked head, by the same rule, and before the delegations without a
head. Give the head rank "head of state" to seat the EU among the heads of state.

Delegations that declined are left out. A delegation with no head named yet is listed after everyone, by
the same rule, marked `has_head = False`, so the gap shows rather than the partner disappearing.

One query whatever the number of delegations; sorting happens in Python so the order does not depend on the
database's collation (SQLite and PostgreSQL sort accented and mixed-case names differently).
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from asemplanner.choices import Rank
from asemplanner.collation import ICU_AVAILABLE, collation_key
from asemplanner.typesetting import draw_text, fit_size, uncovered
from delegations.models import Delegation, Partner
from events.models import Event

# The marker in English (tests and callers compare with it); shown translated: gettext(NO_HEAD).
NO_HEAD = gettext_noop("no head of delegation named yet")
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class PrecedenceEntry:
    """One delegation in the order: its partner and its head of delegation (if named)."""

    delegation_id: int
    partner_code: str
    partner_name: str
    partner_kind: str
    joined_year: int
    status: str  # delegation status: invited or confirmed
    is_host: bool
    head_id: int | None
    head_name: str  # honorific and name, or NO_HEAD
    head_native_name: str  # the head's name in their own script, or ""
    head_function: str
    rank: int | None  # the head's rank; None without a head

    @property
    def has_head(self) -> bool:
        return self.head_id is not None

    @property
    def rank_label(self) -> str:
        return str(Rank(self.rank).label) if self.rank is not None else "—"

    @property
    def status_label(self) -> str:
        return str(Delegation.Status(self.status).label)

    @property
    def is_institution(self) -> bool:
        return self.partner_kind == Partner.Kind.INSTITUTION


@dataclass(frozen=True)
class Precedence:
    """The host in the chair (None when the host has no delegation at the event) and everyone else in order,
    those without a head last."""

    event: Event
    chair: PrecedenceEntry | None
    order: list[PrecedenceEntry]

    @property
    def rule_label(self) -> str:
        label = str(Event.PrecedenceRule(self.event.precedence_rule).label)
        if self.event.precedence_rule == Event.PrecedenceRule.DRAWN_LETTER:
            return f"{label} ({self.event.precedence_start_letter})"
        if self.event.precedence_rule == Event.PrecedenceRule.ALPHABETICAL and self.event.precedence_language != "en":
            return _("Alphabetical by partner name in %(language)s") % {"language": self.language_label}
        return str(label)

    @property
    def language_label(self) -> str:
        return self.event.get_precedence_language_display()

    @property
    def collated(self) -> bool:
        """Whether names were sorted by the language's collation (PyICU present), not by code points."""
        return ICU_AVAILABLE

    @property
    def without_head(self) -> list[PrecedenceEntry]:
        return [entry for entry in [self.chair, *self.order] if entry and not entry.has_head]


Side = Literal["chair", "right", "left"]


@dataclass(frozen=True)
class Seat:
    """A seat at the plenary table: its number, which side of the chair, how far down that side (1 = next to
    the chair, 0 for the chair itself) and who sits there (None: the chair with no host delegation)."""

    number: int
    side: Side
    row: int
    entry: PrecedenceEntry | None

    @property
    def side_label(self) -> str:
        return {"chair": _("Chair"), "right": _("Chair's right"), "left": _("Chair's left")}[self.side]


def _name_key(name: str) -> str:
    """Accents and case ignored: "Viet Nam" and "viêt nam" sort alike."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _rule_key(entry: PrecedenceEntry, *, rule: str, start_letter: str, language: str) -> tuple:
    name = collation_key(language)(entry.partner_name)
    if rule == Event.PrecedenceRule.JOINED:
        return (entry.joined_year, name)
    if rule == Event.PrecedenceRule.DRAWN_LETTER and start_letter:
        first = _name_key(entry.partner_name)[:1].upper()
        shift = (ALPHABET.index(first) - ALPHABET.index(start_letter)) % 26 if first in ALPHABET else 26
        return (shift, name)
    return (name,)


def precedence_sort_key(entry: PrecedenceEntry, *, rule: str, start_letter: str = "", language: str = "en") -> tuple:
    """Heads first by rank, then by the rule, names compared as `language` sorts them (ICU collation); no head
    after everyone; partner code breaks any tie."""
    rank_key = (0, entry.rank) if entry.rank is not None else (1, 0)
    rule_key = _rule_key(entry, rule=rule, start_letter=start_letter, language=language)
    return (*rank_key, *rule_key, entry.partner_code)


def precedence_order(*, event: Event) -> Precedence:
    """The order of precedence at `event`: one query."""
    delegations = (
        Delegation.objects.filter(event=event)
        .exclude(status=Delegation.Status.DECLINED)
        .select_related("partner", "head")
        .order_by()
    )
    entries = []
    for delegation in delegations:
        partner, head = delegation.partner, delegation.head
        entries.append(
            PrecedenceEntry(
                delegation_id=delegation.pk,
                partner_code=partner.code,
                partner_name=partner.name_in(event.precedence_language),
                partner_kind=partner.kind,
                joined_year=partner.joined_year,
                status=delegation.status,
                is_host=event.host_id is not None and partner.pk == event.host_id,
                head_id=head.pk if head else None,
                head_name=str(head) if head else _(NO_HEAD),
                head_native_name=head.native_name if head else "",
                head_function=head.function if head else "",
                rank=head.rank if head else None,
            )
        )
    chair = next((entry for entry in entries if entry.is_host), None)
    others = sorted(
        (entry for entry in entries if not entry.is_host),
        key=lambda entry: precedence_sort_key(
            entry,
            rule=event.precedence_rule,
            start_letter=event.precedence_start_letter,
            language=event.precedence_language,
        ),
    )
    return Precedence(event=event, chair=chair, order=others)


def seating_plan(precedence: Precedence) -> list[Seat]:
    """The plenary table as a horseshoe: the chair at the head, the others alternating down its two arms.

    The diplomatic convention: the place of honour is at the chair's right, the next at its left, and so on
    outwards, so the 1st in precedence sits at the chair's right, the 2nd at its left, the 3rd second on the
    right, the 4th second on the left … Seat 1 is the chair; the n-th in precedence has seat n + 1, so even
    seats run down the chair's right and odd ones down its left. "Right" and "left" are the chair's own, as
    seen sitting in the chair facing the room; a plan drawn with the chair at the top of the page shows the
    chair's right on the reader's left.
    """
    seats = [Seat(number=1, side="chair", row=0, entry=precedence.chair)]
    for index, entry in enumerate(precedence.order):
        seats.append(
            Seat(number=index + 2, side="right" if index % 2 == 0 else "left", row=index // 2 + 1, entry=entry)
        )
    return seats


def seating_rows(seats: list[Seat]) -> list[tuple[Seat | None, Seat | None]]:
    """The arms of the horseshoe row by row: (chair's right, chair's left), nearest the chair first."""
    right = [seat for seat in seats if seat.side == "right"]
    left = [seat for seat in seats if seat.side == "left"]
    return [
        (right[i] if i < len(right) else None, left[i] if i < len(left) else None)
        for i in range(max(len(right), len(left)))
    ]


def seating_pdf(precedence: Precedence) -> bytes:
    """The seating plan on A4: the horseshoe diagram on the first page, then the seat list (number, side,
    partner, head of delegation, function, rank), as many pages as it takes. Heads' names also in their own
    script, in the shipped fonts (asemplanner.typesetting); a native name with a character no font has is left off."""
    seats = seating_plan(precedence)
    event = precedence.event
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(_("Plenary seating — %(event)s") % {"event": event.acronym})
    width, height = A4
    margin = 15 * mm

    def line(text: str, font: str, size: float, x: float, y: float, room: float, *, centred: bool = False):
        bold, oblique = "Bold" in font, "Oblique" in font
        size = fit_size(text, size, room, bold=bold, floor=4, step=0.25)
        draw_text(canvas, x, y, text, size, bold=bold, oblique=oblique, align="centre" if centred else "left")

    def native(entry: PrecedenceEntry | None) -> str:
        name = entry.head_native_name.strip() if entry and entry.has_head else ""
        return name if name and not uncovered(name) else ""

    def header(subtitle: str) -> float:
        canvas.setFillColor(HexColor("#111111"))
        line(
            _("%(event)s — plenary seating plan") % {"event": event.acronym},
            "Helvetica-Bold",
            14,
            margin,
            height - margin,
            width,
        )
        line(
            _("%(subtitle)s. Order within a rank: %(rule)s.") % {"subtitle": subtitle, "rule": precedence.rule_label},
            "Helvetica",
            8.5,
            margin,
            height - margin - 6 * mm,
            width - 2 * margin,
        )
        return height - margin - 12 * mm

    def seat_box(seat: Seat, x: float, y: float, w: float, h: float):
        entry = seat.entry
        missing = entry is None or not entry.has_head
        canvas.setStrokeColor(HexColor("#b00020" if missing else "#555555"))
        canvas.setFillColor(HexColor("#fde8ea" if missing else ("#e8eef7" if seat.side == "chair" else "#ffffff")))
        canvas.rect(x, y, w, h, fill=1)
        canvas.setFillColor(HexColor("#111111"))
        partner = entry.partner_name if entry else _("Host: no delegation")
        own = native(entry)
        base = min(9, h * (0.28 if own else 0.38))
        rows: tuple[float, ...] = (0.70, 0.40, 0.10) if own else (0.56, 0.18)
        line(f"{seat.number}  {partner}", "Helvetica-Bold", base, x + 1.5 * mm, y + h * rows[0], w - 3 * mm)
        who = entry.head_name if entry else ""
        if entry and entry.head_function:
            who = f"{who}, {entry.head_function}"
        if who:
            line(
                who,
                "Helvetica-Oblique" if missing else "Helvetica",
                base * 0.8,
                x + 1.5 * mm,
                y + h * rows[1],
                w - 3 * mm,
            )
        if own:
            line(own, "Helvetica", base * 0.8, x + 1.5 * mm, y + h * rows[2], w - 3 * mm)

    # Page 1: the horseshoe, the chair at the top facing down the table.
    top = header(
        ngettext(
            "%(count)d seat; the chair at the head, its right on the reader's left",
            "%(count)d seats; the chair at the head, its right on the reader's left",
            len(seats),
        )
        % {"count": len(seats)}
    )
    rows = seating_rows(seats)
    box_w = (width - 2 * margin - 20 * mm) / 2
    chair_h = 14 * mm
    seat_box(seats[0], (width - box_w) / 2, top - chair_h, box_w, chair_h)
    draw_text(canvas, margin, top - chair_h - 4 * mm, _("Chair's right"), 7)
    draw_text(canvas, width - margin, top - chair_h - 4 * mm, _("Chair's left"), 7, align="right")
    arm_top = top - chair_h - 6 * mm
    pitch = min(14 * mm, (arm_top - margin) / max(len(rows), 1))
    for index, (right, left) in enumerate(rows):
        y = arm_top - (index + 1) * pitch
        if right:
            seat_box(right, margin, y + pitch * 0.08, box_w, pitch * 0.84)
        if left:
            seat_box(left, width - margin - box_w, y + pitch * 0.08, box_w, pitch * 0.84)
    canvas.showPage()

    # The seat list.
    columns = [
        (_("Seat"), 12),
        (_("Side"), 24),
        (_("Partner"), 40),
        (_("Head of delegation"), 52),
        (_("Function"), 40),
        (_("Rank"), 0),
    ]
    row_h = 6 * mm
    y = 0.0
    for index, seat in enumerate(seats):
        if index == 0 or y < margin + row_h:
            y = header(_("Seat list")) - 2 * mm if index == 0 else header(_("Seat list, continued")) - 2 * mm
            x = margin
            for title, col_w in columns:
                line(title, "Helvetica-Bold", 8, x, y, (col_w or 20) * mm - 2 * mm)
                x += col_w * mm
            y -= row_h
        entry = seat.entry
        values = [
            str(seat.number),
            seat.side_label,
            entry.partner_name if entry else _("Host: no delegation"),
            ((f"{entry.head_name} ({native(entry)})" if native(entry) else entry.head_name) if entry else ""),
            entry.head_function if entry else "",
            entry.rank_label if entry else "",
        ]
        x = margin
        for (_title, col_w), value in zip(columns, values, strict=True):
            room = (col_w * mm if col_w else width - margin - x) - 2 * mm
            missing = entry is not None and not entry.has_head and value == _(NO_HEAD)
            line(value, "Helvetica-Oblique" if missing else "Helvetica", 8, x, y, room)
            x += col_w * mm
        y -= row_h
        if y < margin + row_h and index + 1 < len(seats):
            canvas.showPage()
    canvas.showPage()
    canvas.save()
    return out.getvalue()
