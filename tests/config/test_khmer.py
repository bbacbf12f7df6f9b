"""The project's own pages in Khmer: the admin's titles, the sign-in pages, the 500 page; English unchanged."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from config.admin_site import PlannerAdminSite


@pytest.fixture(autouse=True)
def _english_again():
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_admin_site_titles_follow_the_language():
    site = PlannerAdminSite(name="probe")
    with translation.override("km"):
        assert str(site.index_title) == "ទិដ្ឋភាពទូទៅនៃកិច្ចប្រជុំកំពូល"
    assert str(site.site_header) == "ASEM13 Summit Planner"


def test_the_500_page_in_khmer_and_english():
    with translation.override("km"):
        khmer = render_to_string("500.html")
    assert '<html lang="km">' in khmer
    assert "<h1>មានបញ្ហាកើតឡើងនៅផ្នែកប្រព័ន្ធរបស់យើង</h1>" in khmer
    assert "Something went wrong" not in khmer
    english = render_to_string("500.html")
    assert "<h1>Something went wrong on our side</h1>" in english


def test_password_reset_pages_in_khmer(client, db):
    client.post("/language/", {"language": "km", "next": "/"})
    page = client.get("/accounts/password_reset/").content.decode()
    assert "<h1>កំណត់ពាក្យសម្ងាត់របស់លោកអ្នកឡើងវិញ</h1>" in page
    assert "Reset your password" not in page
