"""The language switch: a visitor's choice in a cookie, a user's with the account (every device, from sign-in on),
Accept-Language otherwise, English for anything we do not speak."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import get_language

from asemplanner.i18n import language_of, languages_of, local_digits, override_for, set_language_of
from asemplanner.models import UserPreference
from tests.factories import UserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    page = response.content.decode()
    start = page.index("<html lang=") + len('<html lang="')
    return page[start : page.index('"', start)]


def sign_in_page(client: Client, **headers):
    return client.get(reverse("login"), **headers)


def test_english_by_default_and_for_a_language_we_do_not_speak(client):
    assert html_lang(sign_in_page(client)) == "en"
    assert html_lang(sign_in_page(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")) == "en"
    assert html_lang(sign_in_page(client, HTTP_ACCEPT_LANGUAGE="xx")) == "en"


def test_the_browser_asking_for_khmer_gets_khmer(client):
    assert html_lang(sign_in_page(client, HTTP_ACCEPT_LANGUAGE="km-KH,km;q=0.9,en;q=0.5")) == "km"


def test_a_visitor_switches_with_a_cookie(client):
    response = client.post(reverse("choose_language"), {"language": "km", "next": reverse("login")})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "km"
    assert html_lang(sign_in_page(client)) == "km"
    assert not UserPreference.objects.exists()


def test_a_user_s_choice_is_kept_with_the_account_and_follows_them_to_another_device(client):
    user = UserFactory(username="liaison-x")
    sign_in(client, user)
    client.post(reverse("choose_language"), {"language": "km", "next": "/inbox/"})
    assert UserPreference.objects.get(user=user).language == "km"
    assert html_lang(client.get(reverse("reminders:inbox"))) == "km"
    # Another browser, no cookie, an English Accept-Language: the account's choice wins once signed in.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert html_lang(sign_in_page(other)) == "en"
    sign_in(other, user)  # signing in copies the account's choice into the new session
    assert html_lang(other.get(reverse("reminders:inbox"))) == "km"
    # And back to English.
    client.post(reverse("choose_language"), {"language": "en", "next": "/inbox/"})
    assert language_of(user) == "en"
    assert html_lang(client.get(reverse("reminders:inbox"))) == "en"


def test_an_unknown_language_changes_nothing_and_says_what_is_offered(client):
    user = UserFactory()
    sign_in(client, user)
    response = client.post(reverse("choose_language"), {"language": "xx", "next": "/inbox/"}, follow=True)
    assert not UserPreference.objects.filter(user=user).exists()
    assert not response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Language: 'xx' is not offered; choose one of en (English), km (ខ្មែរ)."]
    with pytest.raises(ValueError, match="Unknown language 'xx'; allowed: en, km"):
        set_language_of(user, "xx")


def test_the_switch_goes_back_only_to_a_page_of_this_site(client):
    response = client.post(reverse("choose_language"), {"language": "km", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_switch_only_takes_a_post(client):
    assert client.get(reverse("choose_language"), {"language": "km"}).status_code == 405


def test_a_text_made_for_someone_else_is_in_their_language():
    khmer, english = UserFactory(), UserFactory()
    set_language_of(khmer, "km")
    with override_for(khmer) as language:
        assert language == "km" == get_language()
    with override_for(english) as language:
        assert language == "en" == get_language()
    with CaptureQueriesContext(connection) as queries:
        assert languages_of([khmer.pk, english.pk]) == {khmer.pk: "km", english.pk: "en"}
    assert len(queries) == 1


def test_khmer_digits_only_on_khmer_pages():
    assert local_digits("15:30 · 2026-12-07", "km") == "១៥:៣០ · ២០២៦-១២-០៧"
    assert local_digits("15:30", "en") == "15:30"
    assert local_digits(42, "km-KH") == "៤២"
