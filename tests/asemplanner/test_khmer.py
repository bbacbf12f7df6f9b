"""Shared pieces in Khmer: notices worded per recipient, sign-in refusals, time-range refusals, admin labels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.utils import translation

from asemplanner.domain.notifications import notify_users
from asemplanner.domain.privileges import privileges_granted
from asemplanner.domain.signin import second_factor_check
from asemplanner.i18n import set_language_of
from asemplanner.models import Notification
from asemplanner.roles import roles_sync
from asemplanner.timeranges import range_errors
from tests.factories import UserFactory

TZ = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(autouse=True)
def _english_again():
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_a_notice_given_as_functions_is_stored_in_each_recipients_language(db):
    khmer, english = UserFactory(username="km-user"), UserFactory(username="en-user")
    set_language_of(khmer, "km")
    made = notify_users(users=[khmer, english], topic="t:1", title=lambda: translation.gettext("Inbox"), mail=False)
    assert made == 2
    titles = dict(Notification.objects.values_list("recipient__username", "title"))
    assert titles == {"km-user": "ប្រអប់សារ", "en-user": "Inbox"}


def test_a_notice_given_as_text_is_stored_as_given(db):
    khmer = UserFactory(username="km-user")
    set_language_of(khmer, "km")
    notify_users(users=[khmer], topic="t:2", title="As written", body="Body", mail=False)
    assert Notification.objects.get().title == "As written"


def test_a_grant_is_told_to_a_khmer_admin_in_khmer(db):
    roles_sync(Group, Permission)
    chief = UserFactory(username="chief", roles=["admin"])
    deputy = UserFactory(username="deputy", roles=["admin"])
    set_language_of(deputy, "km")
    guard = UserFactory(username="guard", roles=["logistics"])
    guard.groups.add(Group.objects.get(name="security"))
    privileges_granted(user=guard, before=set(), by=chief)
    notice = Notification.objects.get(recipient=deputy)
    assert notice.title == "chief បានផ្តល់ដល់ guard៖ role security"
    assert notice.body.startswith("ឥឡូវនេះ គណនីនេះអាចអានទិន្នន័យលិខិតឆ្លងដែន")


def test_sign_in_refusal_in_khmer(db):
    user = UserFactory(username="someone")
    with translation.override("km"), pytest.raises(ValidationError) as refused:
        second_factor_check(user=user, token="")
    assert refused.value.message_dict["token"][0].startswith("សូមវាយលេខកូដ។ សូមវាយលេខ ៦ខ្ទង់")


def test_time_range_refusal_in_khmer_and_english():
    start, end = dt.datetime(2026, 11, 16, 10, 0, tzinfo=TZ), dt.datetime(2026, 11, 16, 9, 0, tzinfo=TZ)
    with translation.override("km"):
        khmer = range_errors(start, end)["end"]
    assert khmer.startswith("បញ្ចប់នៅ ")
    assert "Ends at" not in khmer
    assert range_errors(start, end)["end"].startswith("Ends at 16 Nov 2026 09:00, which is not after its start")
