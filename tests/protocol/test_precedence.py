"""The order of precedence and the plenary seating plan: domain, PDF and admin pages."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import connection
from django.templatetags.static import static
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from asemplanner.choices import Category, Rank
from delegations.models import Delegation, Partner
from events.models import Event
from protocol.domain.precedence import NO_HEAD, precedence_order, seating_pdf, seating_plan, seating_rows
from tests.factories import DelegationFactory, EventFactory, PartnerFactory, PersonFactory, UserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def delegate(event, code, name, rank=None, *, joined=1996, kind=Partner.Kind.COUNTRY, status="confirmed", **head):
    """A delegation of a new partner at `event`, with a head of `rank` (no head when rank is None)."""
    partner = PartnerFactory(code=code, name=name, joined_year=joined, kind=kind)
    delegation = DelegationFactory(partner=partner, event=event, status=status)
    if rank is not None:
        person = PersonFactory(
            delegation=delegation,
            rank=rank,
            category=Category.PRINCIPAL,
            given_name=head.get("given", f"Head{code}"),
            family_name=head.get("family", code.title()),
            function=head.get("function", "Prime Minister"),
            honorific="H.E.",
        )
        delegation.head = person
        delegation.save(update_fields=["head"])
    return delegation


def codes(precedence) -> list[str]:
    return [entry.partner_code for entry in precedence.order]


@pytest.fixture
def event():
    host = PartnerFactory(code="KHM", name="Cambodia", joined_year=2004)
    return EventFactory(acronym="ASEMT", host=host)


def test_order_by_rank_first(event):
    delegate(event, "AAA", "Austria", Rank.MINISTER)
    delegate(event, "ZZZ", "Zambia", Rank.HEAD_OF_STATE)
    delegate(event, "MMM", "Malta", Rank.HEAD_OF_GOVERNMENT)
    delegate(event, "BBB", "Belgium", Rank.SENIOR_OFFICIAL)
    delegate(event, "CCC", "Chile", Rank.VICE)
    delegate(event, "DDD", "Denmark", Rank.OTHER)
    assert codes(precedence_order(event=event)) == ["ZZZ", "MMM", "CCC", "AAA", "BBB", "DDD"]


def test_ties_within_a_rank_alphabetical_by_english_name_ignoring_accents_and_case(event):
    delegate(event, "VNM", "Viet Nam", Rank.HEAD_OF_GOVERNMENT)
    delegate(event, "ARG", "ärgentina", Rank.HEAD_OF_GOVERNMENT)
    delegate(event, "BEL", "Belgium", Rank.HEAD_OF_GOVERNMENT)
    assert codes(precedence_order(event=event)) == ["ARG", "BEL", "VNM"]


@pytest.mark.parametrize(
    ("rule", "letter", "expected"),
    [
        pytest.param(Event.PrecedenceRule.ALPHABETICAL, "", ["AUT", "BGD", "JPN", "MYS", "NOR"], id="alphabetical"),
        pytest.param(Event.PrecedenceRule.JOINED, "", ["AUT", "JPN", "NOR", "MYS", "BGD"], id="joined_then_name"),
        pytest.param(Event.PrecedenceRule.DRAWN_LETTER, "M", ["MYS", "NOR", "AUT", "BGD", "JPN"], id="drawn_m"),
        pytest.param(Event.PrecedenceRule.DRAWN_LETTER, "K", ["MYS", "NOR", "AUT", "BGD", "JPN"], id="drawn_k_none"),
        pytest.param(Event.PrecedenceRule.DRAWN_LETTER, "A", ["AUT", "BGD", "JPN", "MYS", "NOR"], id="drawn_a"),
        pytest.param(Event.PrecedenceRule.DRAWN_LETTER, "Z", ["AUT", "BGD", "JPN", "MYS", "NOR"], id="drawn_z"),
        pytest.param(Event.PrecedenceRule.DRAWN_LETTER, "C", ["JPN", "MYS", "NOR", "AUT", "BGD"], id="drawn_c"),
    ],
)
def test_each_rule_orders_within_a_rank(event, rule, letter, expected):
    delegate(event, "NOR", "Norway", Rank.HEAD_OF_GOVERNMENT, joined=1996)
    delegate(event, "JPN", "Japan", Rank.HEAD_OF_GOVERNMENT, joined=1996)
    delegate(event, "AUT", "Austria", Rank.HEAD_OF_GOVERNMENT, joined=1996)
    delegate(event, "MYS", "Malaysia", Rank.HEAD_OF_GOVERNMENT, joined=2004)
    delegate(event, "BGD", "Bangladesh", Rank.HEAD_OF_GOVERNMENT, joined=2012)
    delegate(event, "FIN", "Finland", Rank.HEAD_OF_STATE, joined=2012)  # a higher rank stays first whatever the rule
    event.precedence_rule, event.precedence_start_letter = rule, letter
    event.full_clean()
    event.save()
    assert codes(precedence_order(event=Event.objects.get(pk=event.pk))) == ["FIN", *expected]


def test_ties_on_the_same_key_fall_back_to_partner_code(event):
    delegate(event, "XB", "Twin", Rank.MINISTER, joined=2000)
    delegate(event, "XA", "twin", Rank.MINISTER, joined=2000)
    event.precedence_rule = Event.PrecedenceRule.JOINED
    event.save()
    assert codes(precedence_order(event=event)) == ["XA", "XB"]


def test_host_takes_the_chair_even_when_it_ranks_lower(event):
    khm = DelegationFactory(partner=event.host, event=event, status="confirmed")
    khm.head = PersonFactory(delegation=khm, rank=Rank.SENIOR_OFFICIAL, family_name="Hun", function="Minister")
    khm.save()
    delegate(event, "AUT", "Austria", Rank.HEAD_OF_STATE)
    precedence = precedence_order(event=event)
    assert precedence.chair.partner_code == "KHM"
    assert precedence.chair.is_host
    assert codes(precedence) == ["AUT"]
    seats = seating_plan(precedence)
    assert (seats[0].number, seats[0].side, seats[0].entry.partner_code) == (1, "chair", "KHM")


def test_no_host_delegation_leaves_the_chair_empty(event):
    delegate(event, "AUT", "Austria", Rank.HEAD_OF_STATE)
    precedence = precedence_order(event=event)
    assert precedence.chair is None
    assert seating_plan(precedence)[0].entry is None


def test_institutions_sort_by_their_heads_rank(event):
    delegate(event, "EU", "European Union", Rank.OTHER, kind=Partner.Kind.INSTITUTION, function="President")
    delegate(event, "ASEAN", "ASEAN Secretariat", Rank.SENIOR_OFFICIAL, kind=Partner.Kind.INSTITUTION)
    delegate(event, "AUT", "Austria", Rank.SENIOR_OFFICIAL)
    delegate(event, "ZMB", "Zambia", Rank.OTHER)
    delegate(event, "DEU", "Germany", Rank.HEAD_OF_GOVERNMENT)
    delegate(event, "NOH", "Nohead", None)
    precedence = precedence_order(event=event)
    # ASEAN Secretariat before Austria by name; the EU ("other") after the ranked heads, before the headless.
    assert codes(precedence) == ["DEU", "ASEAN", "AUT", "EU", "ZMB", "NOH"]
    assert precedence.order[1].is_institution


def test_eu_head_ranked_head_of_state_sits_among_heads_of_state(event):
    delegate(event, "EU", "European Union", Rank.HEAD_OF_STATE, kind=Partner.Kind.INSTITUTION)
    delegate(event, "FRA", "France", Rank.HEAD_OF_STATE)
    delegate(event, "DEU", "Germany", Rank.HEAD_OF_GOVERNMENT)
    assert codes(precedence_order(event=event)) == ["EU", "FRA", "DEU"]


def test_declined_delegations_are_left_out_invited_ones_stay(event):
    delegate(event, "AUT", "Austria", Rank.HEAD_OF_STATE, status=Delegation.Status.DECLINED)
    delegate(event, "BEL", "Belgium", Rank.HEAD_OF_STATE, status=Delegation.Status.INVITED)
    delegate(event, "CHL", "Chile", Rank.HEAD_OF_STATE)
    precedence = precedence_order(event=event)
    assert codes(precedence) == ["BEL", "CHL"]
    assert precedence.order[0].status_label == "Invited"


def test_missing_head_is_listed_last_and_marked(event):
    delegate(event, "AAA", "Austria", None)
    delegate(event, "ZZZ", "Zambia", Rank.OTHER)
    delegate(event, "BBB", "Belgium", None)
    precedence = precedence_order(event=event)
    assert codes(precedence) == ["ZZZ", "AAA", "BBB"]
    missing = precedence.order[1]
    assert not missing.has_head
    assert missing.head_name == NO_HEAD == "no head of delegation named yet"
    assert [e.partner_code for e in precedence.without_head] == ["AAA", "BBB"]


def test_other_events_delegations_are_not_listed(event):
    delegate(event, "AUT", "Austria", Rank.HEAD_OF_STATE)
    other = EventFactory(acronym="OTHER")
    DelegationFactory(partner=PartnerFactory(code="BEL", name="Belgium"), event=other)
    assert codes(precedence_order(event=event)) == ["AUT"]


def test_seats_alternate_right_then_left_of_the_chair(event):
    for code in ["AAA", "BBB", "CCC", "DDD", "EEE"]:
        delegate(event, code, f"Partner {code}", Rank.HEAD_OF_STATE)
    seats = seating_plan(precedence_order(event=event))
    assert [(s.number, s.side, s.row, s.entry and s.entry.partner_code) for s in seats] == [
        (1, "chair", 0, None),
        (2, "right", 1, "AAA"),
        (3, "left", 1, "BBB"),
        (4, "right", 2, "CCC"),
        (5, "left", 2, "DDD"),
        (6, "right", 3, "EEE"),
    ]
    rows = seating_rows(seats)
    assert [(r and r.number, left and left.number) for r, left in rows] == [(2, 3), (4, 5), (6, None)]


@pytest.mark.parametrize(
    ("rule", "letter", "field_error"),
    [
        pytest.param("drawn_letter", "", "needs the letter drawn", id="drawn_without_letter"),
        pytest.param("drawn_letter", "m", "not a capital letter", id="lowercase"),
        pytest.param("drawn_letter", "É", "not a capital letter", id="accented"),
        pytest.param("drawn_letter", "1", "not a capital letter", id="digit"),
        pytest.param("alphabetical", "M", "used only with the rule", id="letter_without_rule"),
    ],
)
def test_drawn_letter_is_validated(event, rule, letter, field_error):
    event.precedence_rule, event.precedence_start_letter = rule, letter
    with pytest.raises(ValidationError) as raised:
        event.full_clean()
    assert field_error in " ".join(raised.value.message_dict["precedence_start_letter"])


def test_default_rule_is_alphabetical(event):
    assert event.precedence_rule == Event.PrecedenceRule.ALPHABETICAL
    event.full_clean()


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_lists_seats_in_order_with_names_and_functions(event):
    khm = DelegationFactory(partner=event.host, event=event, status="confirmed")
    khm.head = PersonFactory(
        delegation=khm,
        rank=Rank.HEAD_OF_GOVERNMENT,
        given_name="Sen",
        family_name="Hun",
        function="Prime Minister",
        honorific="Samdech",
    )
    khm.save()
    delegate(event, "JPN", "Japan", Rank.HEAD_OF_GOVERNMENT, given="Yoshihide", family="Suga")
    delegate(event, "FRA", "France", Rank.HEAD_OF_STATE, given="Emmanuel", family="Macron", function="President")
    delegate(
        event, "AUT", "Austria", Rank.MINISTER, given="Alexander", family="Schallenberg", function="Foreign Minister"
    )
    delegate(event, "NOH", "Nohead Land", None)
    pdf = seating_pdf(precedence_order(event=event))
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    diagram, _, listing = text.partition("Seat list")
    assert "Macron" in diagram and "Chair's right" in diagram
    lines = [line for line in listing.splitlines() if line.strip()]
    order = ["Hun", "Macron", "Suga", "Schallenberg", NO_HEAD]
    positions = [next(i for i, line in enumerate(lines) if name in line) for name in order]
    assert positions == sorted(positions)
    listing = " ".join(listing.split())  # one line per table cell in the extracted text
    assert "1 Chair Cambodia Samdech Sen Hun Prime Minister Head of government" in listing
    assert "2 Chair's right France H.E. Emmanuel Macron President Head of state" in listing
    assert "3 Chair's left Japan" in listing
    assert "Foreign Minister" in listing


def test_pdf_of_many_delegations_runs_onto_more_pages(event):
    for n in range(60):
        delegate(event, f"P{n:02d}", f"Partner {n:02d}", Rank.HEAD_OF_STATE, family=f"Leader{n:02d}")
    pdf = seating_pdf(precedence_order(event=event))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    listing = _pdf_text(pdf).partition("Seat list")[2]
    positions = [listing.index(f"Leader{n:02d}") for n in range(60)]
    assert positions == sorted(positions)


# Admin pages


def page_url(event):
    return reverse("admin:protocol_precedence", args=[event.pk])


def pdf_url(event):
    return reverse("admin:protocol_seating_pdf", args=[event.pk])


def test_page_shows_order_diagram_and_marker(role_client, event):
    delegate(event, "JPN", "Japan", Rank.HEAD_OF_GOVERNMENT, given="Yoshihide", family="Suga")
    delegate(event, "FRA", "France", Rank.HEAD_OF_STATE, given="Emmanuel", family="Macron")
    delegate(event, "NOH", "Nohead Land", None)
    delegate(event, "DEC", "Declinia", Rank.HEAD_OF_STATE, status="declined")
    response = role_client("protocol").get(page_url(event))
    html = response.content.decode()
    assert response.status_code == 200
    table = html.partition("Order of precedence</h2>")[2]
    assert table.index("Macron") < table.index("Suga") < table.index("Nohead Land") < table.index(NO_HEAD)
    assert "1 delegation(s) have no head of delegation named yet" in " ".join(html.split())
    assert NO_HEAD in html
    assert "Declinia" not in html
    # The Print button runs window.print() from a static file (the Content-Security-Policy allows no onclick=).
    script = finders.find("protocol/print-button.js")
    assert "data-print>Print</button>" in html and static("protocol/print-button.js") in html
    assert script and "window.print()" in Path(script).read_text() and "@media print" in html
    assert pdf_url(event) in html
    assert "Alphabetical by partner name in English" in html


def test_pdf_view_returns_the_plan(role_client, event):
    delegate(event, "FRA", "France", Rank.HEAD_OF_STATE, given="Emmanuel", family="Macron")
    response = role_client("protocol").get(pdf_url(event))
    assert response["Content-Type"] == "application/pdf"
    assert "Macron" in _pdf_text(response.content)


@pytest.mark.parametrize("url", [page_url, pdf_url], ids=["page", "pdf"])
def test_staff_without_the_permission_get_403(client, event, url):
    user = UserFactory(username="nostaffperm", is_staff=True)
    sign_in(client, user)
    assert client.get(url(event)).status_code == 403


@pytest.mark.parametrize("url", [page_url, pdf_url], ids=["page", "pdf"])
def test_liaison_is_sent_to_the_login(role_client, event, url):
    response = role_client("liaison").get(url(event))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_unknown_event_is_404(role_client, event):
    assert role_client("protocol").get(reverse("admin:protocol_precedence", args=[987654])).status_code == 404


def test_event_list_links_to_the_page(role_client, event):
    html = role_client("protocol").get(reverse("admin:events_event_changelist")).content.decode()
    assert page_url(event) in html


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [page_url, pdf_url], ids=["page", "pdf"])
def test_query_count_does_not_grow_with_delegations(role_client, event, url):
    client = role_client("protocol")
    for n in range(5):
        delegate(event, f"A{n:02d}", f"Alpha {n:02d}", Rank.MINISTER)
    small = _queries(client, url(event))
    for n in range(15):
        delegate(event, f"B{n:02d}", f"Beta {n:02d}", Rank.HEAD_OF_STATE if n % 2 else None)
    assert Delegation.objects.filter(event=event).count() == 20
    assert _queries(client, url(event)) == small


def test_domain_is_one_query(event, django_assert_num_queries):
    for n in range(12):
        delegate(event, f"A{n:02d}", f"Alpha {n:02d}", Rank.MINISTER)
    with django_assert_num_queries(1):
        precedence = precedence_order(event=event)
        seating_plan(precedence)
    assert len(precedence.order) == 12


def test_event_page_links_to_the_page_and_offers_the_rule(role_client, event):
    html = role_client("admin").get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert page_url(event) in html
    assert 'name="precedence_rule"' in html and 'name="precedence_start_letter"' in html
    assert "Alphabetical from a drawn letter" in html
