"""The order of precedence in English, French or Khmer: the 53 partners' names in that language, sorted as that
language sorts them (ICU collation through PyICU)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from asemplanner.choices import Category, Rank
from asemplanner.collation import ICU_AVAILABLE, collation_key
from events.models import Event
from protocol.domain.precedence import precedence_order
from tests.factories import DelegationFactory, EventFactory, PartnerFactory, PersonFactory, UserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / "demo" / "data"
needs_icu = pytest.mark.skipif(
    not ICU_AVAILABLE and os.environ.get("PLANNER_REQUIRE_SERVICES") != "1",
    reason="PyICU is not installed (the icu extra); CI installs it",
)


def partners() -> list[dict[str, str]]:
    with (DATA / "asem_partners.csv").open(encoding="utf-8") as f:
        english = {row["code"]: row for row in csv.DictReader(f)}
    with (DATA / "asem_partner_names.csv").open(encoding="utf-8") as f:
        return [{**english[row["code"]], **row} for row in csv.DictReader(f)]


@pytest.fixture
def summit():
    """The 53 partners at one event, every head a head of government (one rank: the names alone decide), the
    host (Cambodia) in the chair."""
    rows = partners()
    assert len(rows) == 53
    host = None
    made = []
    for row in rows:
        partner = PartnerFactory(
            code=row["code"], name=row["name"], name_fr=row["name_fr"], name_km=row["name_km"], kind=row["kind"]
        )
        made.append(partner)
        if row["code"] == "KHM":
            host = partner
    event = EventFactory(acronym="ASEMX", host=host)
    for partner in made:
        delegation = DelegationFactory(partner=partner, event=event, status="confirmed")
        delegation.head = PersonFactory(
            delegation=delegation, rank=Rank.HEAD_OF_GOVERNMENT, category=Category.PRINCIPAL, function="Head"
        )
        delegation.save(update_fields=["head"])
    return event


def order(event: Event, language: str) -> list[str]:
    event.precedence_language = language
    event.full_clean()
    event.save()
    return [entry.partner_name for entry in precedence_order(event=Event.objects.get(pk=event.pk)).order]


def before(names: list[str], first: str, second: str) -> bool:
    return names.index(first) < names.index(second)


@needs_icu
def test_english_is_the_default_and_sorts_the_english_names(summit):
    assert summit.precedence_language == "en"
    names = order(summit, "en")
    assert len(names) == 52  # the host is in the chair
    assert names[:3] == ["ASEAN Secretariat", "Australia", "Austria"]
    assert names[-1] == "Viet Nam"
    assert "Cambodia" not in names


@needs_icu
def test_french_names_in_french_order(summit):
    names = order(summit, "fr")
    assert names[:3] == ["Allemagne", "Australie", "Autriche"]
    # An accented letter sorts with its base letter: code points would put "Fé…" after "Finlande".
    assert before(names, "Estonie", "Fédération de Russie") and before(names, "Fédération de Russie", "Finlande")
    assert before(names, "République tchèque", "Roumanie") and before(names, "Royaume-Uni", "Secrétariat de l'ASEAN")
    assert names == sorted(names, key=collation_key("fr"))
    assert names != sorted(names)  # plain code-point order differs


@needs_icu
def test_khmer_names_in_khmer_order(summit):
    names = order(summit, "km")
    assert len(names) == 52 and all("\u1780" <= name[0] <= "\u17ff" for name in names)
    # Consonants in the order of the Khmer alphabet: ក (Kazakhstan …) first, អ (Australia …) last.
    assert names[0] == "កាហ្សាក់ស្ថាន"
    assert names[-1].startswith("អ")
    # A diacritic above a consonant does not decide before the letters do: Pakistan (ប៉ា…) before France (បារាំង);
    # code-point order puts France first.
    assert before(names, "ប៉ាគីស្ថាន", "បារាំង")
    assert sorted(["ប៉ាគីស្ថាន", "បារាំង"]) == ["បារាំង", "ប៉ាគីស្ថាន"]
    # The independent vowel ឥ (India) sorts as អ + ិ, among the អ names, not after all of them.
    assert before(names, "អាល្លឺម៉ង់", "ឥណ្ឌា") and before(names, "ឥណ្ឌា", "អ៊ីតាលី")
    assert names != sorted(names)


def test_a_name_missing_in_the_language_falls_back_to_english(summit):
    partner = PartnerFactory(code="ZZZ", name="Zedland")
    delegation = DelegationFactory(partner=partner, event=summit, status="confirmed")
    delegation.head = PersonFactory(delegation=delegation, rank=Rank.HEAD_OF_GOVERNMENT, category=Category.PRINCIPAL)
    delegation.save(update_fields=["head"])
    assert "Zedland" in order(summit, "fr")


def test_the_drawn_letter_rule_needs_latin_names(summit):
    summit.precedence_rule, summit.precedence_start_letter = Event.PrecedenceRule.DRAWN_LETTER, "M"
    summit.precedence_language = "km"
    with pytest.raises(ValidationError) as refused:
        summit.full_clean()
    assert "English or French" in refused.value.message_dict["precedence_language"][0]
    summit.precedence_language = "fr"
    summit.full_clean()  # allowed


def test_an_unknown_language_is_refused(summit):
    summit.precedence_language = "de"
    with pytest.raises(ValidationError) as refused:
        summit.full_clean()
    assert "precedence_language" in refused.value.message_dict
    with pytest.raises(ValueError, match="choose one of en, fr, km"):
        collation_key("de")


@needs_icu
def test_the_precedence_page_shows_the_names_and_order_of_the_language(client, summit):
    staff = UserFactory(username="prot", is_staff=True, is_superuser=True)
    sign_in(client, staff)
    summit.precedence_language = "fr"
    summit.save()
    page = client.get(reverse("admin:protocol_precedence", args=[summit.pk])).content.decode()
    assert "Names in <strong>French</strong>, sorted as that language sorts them (ICU collation)" in page
    assert page.index("Allemagne") < page.index("Autriche") < page.index("Viet Nam")
    assert "Germany" not in page
    assert "Alphabetical by partner name in French" in page and "in English" not in page
