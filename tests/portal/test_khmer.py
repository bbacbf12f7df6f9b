"""The liaison portal in Khmer: pages, form labels and refusals, messages; English unchanged."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from portal.forms import BilateralRequestForm, PersonForm


@pytest.fixture(autouse=True)
def _english_again():
    """A request in Khmer leaves Khmer active in this thread (LocaleMiddleware activates, nothing deactivates):
    start and end each test in the default language, so no other test inherits it."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def khmer(liaison_a):
    """France's liaison, who chose Khmer with the switch in the page header."""
    liaison_a.post("/language/", {"language": "km", "next": "/"})
    return liaison_a


def test_dashboard_in_khmer(khmer, summit):
    page = khmer.get(f"/portal/{summit.france.pk}/").content.decode()
    assert '<html lang="km">' in page
    assert "France៖ រួចរាល់ " in page  # "France: NN% ready", its digits Khmer
    assert "% ready" not in page
    assert "អ្វីដែលអ្នករៀបចំនៅត្រូវការ" in page
    assert ">ទិដ្ឋភាពទូទៅ</a>" in page  # the portal's nav
    assert ">Overview</a>" not in page


def test_dashboard_in_english_unchanged(liaison_a, summit):
    page = liaison_a.get(f"/portal/{summit.france.pk}/").content.decode()
    assert '<html lang="en">' in page
    assert '<h2 id="readiness">What the organisers still need</h2>' in page
    assert ">Overview</a>" in page


def test_members_page_in_khmer_with_khmer_digits(khmer, summit):
    page = khmer.get(f"/portal/{summit.france.pk}/members/").content.decode()
    assert "<h1>សមាជិក</h1>" in page
    assert "បានបំពេញ ២ ក្នុងចំណោម ៤ កន្លែង" in page
    assert "places filled" not in page
    assert 'data-label="លិខិតឆ្លងដែន"' in page  # the phone layout's stacked labels


def test_refusal_and_message_in_khmer(khmer, summit):
    response = khmer.post(f"/portal/{summit.france.pk}/members/head/", {"head": ""}, follow=True)
    page = response.content.decode()
    assert "សូមជ្រើសរើសសមាជិកម្នាក់នៃគណៈប្រតិភូជាប្រធានគណៈប្រតិភូ។" in page
    assert "Choose one of the delegation" not in page


def test_form_labels_and_domain_refusals_in_khmer(summit):
    with translation.override("km"):
        form = BilateralRequestForm(
            {"counterpart": summit.germany.pk, "duration": 30, "priority": 3, "window1_day": "2020-11-16"},
            delegation=summit.france,
        )
        assert not form.is_valid()
        assert form.errors["window1_day"] == ["ចន្លោះពេលពេញចិត្តទី ១៖ សូមបញ្ជាក់ថ្ងៃ ម៉ោងចាប់ផ្តើម និងម៉ោងបញ្ចប់។"]
        assert str(form.fields["duration"].label) == "រយៈពេល"
        assert str(PersonForm().fields["family_name"].label) == "នាមត្រកូល"
    assert str(PersonForm().fields["family_name"].label) == "Family name"


def test_phone_layout_lets_khmer_words_wrap(khmer, summit):
    page = khmer.get(f"/portal/{summit.france.pk}/").content.decode()
    # Long Khmer labels wrap inside the nav, the buttons and the page instead of widening a phone's screen.
    assert 'html[lang="km"] nav.portal a { white-space: normal;' in page
    assert 'html[lang="km"] main, html[lang="km"] header.site { overflow-wrap: anywhere; }' in page


def test_sign_in_page_in_khmer_for_a_visitor(client, db):
    client.post("/language/", {"language": "km", "next": "/"})
    page = client.get("/accounts/login/").content.decode()
    assert "<h1>ចូលប្រើ</h1>" in page
    assert "Forgotten your password?" not in page
