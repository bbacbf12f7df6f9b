"""Planning in Khmer: the staff's pages read in the language the user chose, with Khmer digits for times and
counts; notices to staff and liaisons are stored in each recipient's language; English stays as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from asemplanner.i18n import set_language_of
from asemplanner.models import Notification
from events.models import Conflict
from planning.domain.conflict_checks import DIGEST_AFTER, _notify
from planning.domain.disruptions import disruption_close
from planning.domain.ops_board import day_clamp
from planning.domain.postponement import _notify_liaisons
from planning.models import Disruption
from tests.factories import DelegationFactory, EventFactory, UserFactory, at
from tests.planning.test_ops_board import world

__all__ = ["world"]

pytestmark = pytest.mark.django_db

BOARD = {"day": "2020-11-16", "at": "12:00"}


@pytest.fixture(autouse=True)
def _english_afterwards(settings):
    """A request in Khmer leaves Khmer active in this thread (LocaleMiddleware does not reset it): the tests
    after these must start in English as they would in a fresh process."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _in_khmer(client):
    response = client.post("/language/", {"language": "km", "next": "/"})
    assert response.status_code == 302
    return client


def test_the_ops_board_reads_in_khmer_with_khmer_digits(world, role_client):
    client = _in_khmer(role_client("protocol"))
    response = client.get(reverse("admin:ops"), BOARD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "ការមកដល់ (២)" in html  # Arrivals (2)
    assert "គិតត្រឹម <strong>១២:០០</strong> ម៉ោងភ្នំពេញ" in html
    assert "ក្បួនរថយន្ត និងការជូនដំណើរ" in html
    assert "Arrivals (" not in html
    assert "Phnom Penh time" not in html
    assert "Heads of delegation: now and next" not in html


def test_the_ops_board_in_english_is_unchanged(world, role_client):
    response = role_client("protocol").get(reverse("admin:ops"), BOARD)
    html = response.content.decode()
    assert "Arrivals (2)" in html
    assert "as at <strong>12:00</strong> Phnom Penh time (a chosen moment)." in html
    assert "Heads of delegation: now and next" in html
    assert "ការមកដល់" not in html


def test_the_boards_script_text_comes_translated_from_the_page(world, role_client):
    client = _in_khmer(role_client("protocol"))
    html = client.get(reverse("admin:ops"), BOARD).content.decode()
    assert 'data-stale-text=" (មិនអាចធ្វើបច្ចុប្បន្នភាពបាន កំពុងព្យាយាមម្តងទៀត)"' in html


def test_the_disruptions_page_reads_in_khmer(world, role_client):
    client = _in_khmer(role_client("protocol"))
    html = client.get(reverse("admin:disruptions")).content.decode()
    assert "គ្មានការរំខានទេ" in html
    assert "No disruptions: no principal's arrival or departure has moved." not in html


def test_a_day_outside_the_summit_is_named_in_khmer(world):
    with translation.override("km"):
        _day, note = day_clamp(dt.date(2020, 12, 1), dt.date(2020, 11, 15), dt.date(2020, 11, 18))
    assert "ស្ថិតនៅក្រៅថ្ងៃនៃកិច្ចប្រជុំកំពូល" in note
    assert "០១" in note and "outside" not in note


def test_a_refusal_to_close_a_closed_disruption_is_in_the_active_language(world):
    person = world["fra"].head
    disruption = Disruption.objects.create(
        event=world["event"], person=person, kind=Disruption.Kind.LATE_ARRIVAL, status=Disruption.Status.CLOSED
    )
    with translation.override("km"), pytest.raises(ValidationError) as refused:
        disruption_close(disruption=disruption, by="test")
    assert "មានតែការរំខានដែលនៅបើកប៉ុណ្ណោះដែលអាចបិទបាន" in " ".join(refused.value.messages)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        disruption_close(disruption=disruption, by="test")
    assert refused.value.messages == ["This disruption is closed; only an open one can be closed."]


def _conflict(n: int) -> Conflict:
    return Conflict.objects.create(
        fingerprint=f"km-{n}", kind=Conflict.Kind.PERSON_DOUBLE_BOOKED, severity=Conflict.Severity.ERROR,
        resource=f"person:{n}", resource_label=f"Person {n}", first=f"session:{n}", second=f"session:{n + 100}",
        message=f"Clash {n}", starts_at=at(1, "11:00"), first_seen=timezone.now(), last_seen=timezone.now(),
    )  # fmt: skip


def test_a_new_clash_notice_is_stored_in_each_recipients_language(db):
    khmer = UserFactory(username="protocol-km", roles=["protocol"])
    english = UserFactory(username="protocol-en", roles=["protocol"])
    set_language_of(khmer, "km")
    _notify([_conflict(1)])
    assert Notification.objects.get(recipient=khmer).title.startswith("ការជាន់គ្នាថ្មី៖ ")
    assert Notification.objects.get(recipient=english).title.startswith("New clash: ")


def test_a_digest_of_clashes_is_in_khmer_with_khmer_digits(db):
    khmer = UserFactory(username="protocol-km", roles=["protocol"])
    english = UserFactory(username="protocol-en", roles=["protocol"])
    set_language_of(khmer, "km")
    count = DIGEST_AFTER + 1
    _notify([_conflict(n) for n in range(count)])
    theirs = Notification.objects.get(recipient=khmer)
    assert theirs.title == f"ការជាន់គ្នាថ្មីចំនួន {str(count).translate(str.maketrans('0123456789', '០១២៣៤៥៦៧៨៩'))} " \
        "បន្ទាប់ពីការផ្លាស់ប្តូរមួយ"  # fmt: skip
    assert "ការជាន់គ្នាដំបូងៗ៖" in theirs.body
    assert Notification.objects.get(recipient=english).title == f"{count} new clashes after one change"


def test_a_postponement_notice_reaches_each_liaison_in_their_language(db, settings):
    settings.PLANNER_NOTIFY_BY_EMAIL = False
    event = EventFactory(acronym="SUM", start_date=dt.date(2020, 11, 23), end_date=dt.date(2020, 11, 24))
    khmer = UserFactory(username="liaison-km", roles=["liaison"])
    english = UserFactory(username="liaison-en", roles=["liaison"])
    set_language_of(khmer, "km")
    DelegationFactory(event=event).liaisons.add(khmer)
    DelegationFactory(event=event).liaisons.add(english)
    assert _notify_liaisons(primary=event, events=[event], days=7) == 2
    theirs = Notification.objects.get(recipient=khmer)
    assert theirs.title.startswith("បានពន្យារពេល៖ SUM ")
    assert "ត្រូវបានពន្យារពេល ៧ ថ្ងៃ (ទៅក្រោយ)" in theirs.body
    mine = Notification.objects.get(recipient=english)
    assert mine.title.startswith("Postponed: SUM now from ")
    assert "has been postponed by 7 day(s) (later)" in mine.body
