"""The walk over every URL of the liaison portal, as liaison A (France), liaison B (Germany), an anonymous
visitor and staff. A new portal URL that is not in CASES fails `test_every_portal_url_is_walked`.

Liaison B must get 404 for every page, download, form target and photo of France — by France's delegation
id, and with France's objects under Germany's own delegation id — and nothing may change when B posts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, reverse

from asemplanner.models import AuditEntry
from delegations.models import MemberImport, Person
from matchmaking.domain.forum import forum_slots_generate, meeting_request_send, participant_add
from portal import urls as portal_urls
from protocol.models import BilateralMeeting
from tests.delegations.images import jpeg_bytes
from tests.factories import AccreditationFactory, BilateralMeetingFactory, UserFactory
from tests.signin import sign_in


@dataclass(frozen=True)
class Case:
    objects: tuple[str, ...] = ()  # URL kwargs beyond delegation_id, filled from the walk's objects
    post_only: bool = False  # a form target: GET is refused (405), POST writes
    owner_get: int = 200  # what liaison A gets for GET


CASES: dict[str, Case] = {
    "home": Case(owner_get=302),  # one delegation: straight to its dashboard
    "dashboard": Case(),
    "members": Case(),
    "member_add": Case(),
    "set_head": Case(post_only=True),
    "member_edit": Case(("person_id",)),
    "member_remove": Case(("person_id",)),
    "member_photo": Case(("person_id",)),
    "member_photo_file": Case(("person_id",)),
    "member_travel": Case(("person_id",)),
    "member_flight": Case(("person_id",), post_only=True),
    "member_calendar": Case(("person_id",)),
    "accreditations": Case(),
    "accreditation_withdraw": Case(("accreditation_id",), post_only=True),
    "bilaterals": Case(),
    "bilateral_request": Case(),
    "bilateral_accept": Case(("bilateral_id",), post_only=True),
    "bilateral_decline": Case(("bilateral_id",), post_only=True),
    "bilateral_cancel": Case(("bilateral_id",), post_only=True),
    "programme": Case(),
    "programme_calendar": Case(),
    "run_of_show": Case(),  # the head's day as a PDF (France has a head)
    "import_upload": Case(),
    "import_template": Case(("kind",)),
    "import_preview": Case(("import_id",)),
    "import_confirm": Case(("import_id",), post_only=True),
    "import_discard": Case(("import_id",), post_only=True),
    "forum": Case(),
    "forum_participant_add": Case(),
    "forum_participant": Case(("participant_id",)),
    "forum_directory": Case(("participant_id",)),
    "forum_request": Case(("participant_id", "other_id")),
    "forum_agenda": Case(("participant_id",)),
    "forum_agenda_pdf": Case(("participant_id",)),
    "forum_agenda_ics": Case(("participant_id",)),
    "forum_agendas_pdf": Case(),
    "forum_request_accept": Case(("request_id",), post_only=True),
    "forum_request_decline": Case(("request_id",), post_only=True),
    "forum_request_withdraw": Case(("request_id",), post_only=True),
}


def portal_url_names() -> set[str]:
    return {pattern.name for pattern in portal_urls.urlpatterns if isinstance(pattern, URLPattern)}


def test_every_portal_url_is_walked():
    assert portal_url_names() == set(CASES), "add the new portal URL to CASES in this file"


@pytest.fixture
def walk(summit):
    """France's objects: a member with a photo, a waiting accreditation request, a bilateral with Italy
    (so Germany's liaison has no part in it) and a staged import."""
    member = summit.member
    member.photo.save("x.jpg", ContentFile(jpeg_bytes()), save=True)
    accreditation = AccreditationFactory(person=member, event=summit.event)
    bilateral = BilateralMeetingFactory(event=summit.event, requester=summit.italy, counterpart=summit.france)
    member_import = MemberImport.objects.create(delegation=summit.france, file_name="list.csv", rows=[{"x": 1}])
    # The business forum (the summit's side event): France's participant, asked to meet by Italy's.
    forum_slots_generate(event=summit.side, day=summit.side.start_date, first=dt.time(9), minutes=30, count=2, by="t")
    mine = participant_add(event=summit.side, delegation=summit.france, organisation="France Co", by="t")
    theirs = participant_add(event=summit.side, delegation=summit.italy, organisation="Italia SpA", by="t")
    request = meeting_request_send(sender=theirs, receiver=mine, priority=3, by="t")
    return {
        "participant_id": mine.pk,
        "other_id": theirs.pk,
        "request_id": request.pk,
        "person_id": member.pk,
        "accreditation_id": accreditation.pk,
        "bilateral_id": bilateral.pk,
        "import_id": member_import.pk,
        "kind": "csv",
    }


def url_for(name: str, delegation_id: int | None, objects: dict) -> str:
    if name == "home":
        return reverse("portal:home")
    kwargs = {"delegation_id": delegation_id, **{key: objects[key] for key in CASES[name].objects}}
    return reverse(f"portal:{name}", kwargs=kwargs)


DELEGATION_URLS = sorted(name for name in CASES if name != "home")


@pytest.mark.parametrize("name", sorted(CASES))
def test_anonymous_visitor_is_sent_to_sign_in(client, summit, walk, name):
    url = url_for(name, summit.france.pk, walk)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(f"{reverse('login')}?next="), (method, url)


@pytest.mark.parametrize("name", DELEGATION_URLS)
def test_other_delegations_liaison_gets_404_and_changes_nothing(client, summit, walk, name):
    sign_in(client, summit.liaison_b)
    before = (AuditEntry.objects.count(), Person.objects.count(), BilateralMeeting.objects.values_list("status"))
    before = (before[0], before[1], list(before[2]))
    url = url_for(name, summit.france.pk, walk)
    for method in ("get", "post"):
        assert getattr(client, method)(url).status_code == 404, (method, url)
    if CASES[name].objects and CASES[name].objects != ("kind",):
        # France's object under Germany's own delegation id: 404 for GET, and for any method the same answer
        # as for an object that does not exist (no oracle for what France has).
        url = url_for(name, summit.germany.pk, walk)
        missing = url_for(name, summit.germany.pk, dict.fromkeys(walk, 999_999) | {"kind": "csv"})
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            assert status == getattr(client, method)(missing).status_code, (method, url)
            assert status in (404, 405), (method, url)
    after = (AuditEntry.objects.count(), Person.objects.count(), list(BilateralMeeting.objects.values_list("status")))
    assert after == before


@pytest.mark.parametrize("name", DELEGATION_URLS)
def test_staff_get_404_in_the_portal(client, summit, walk, name):
    """Staff work in the admin; the portal is for liaison officers only."""
    sign_in(client, UserFactory(username="admin-user", roles=["admin"]))
    for method in ("get", "post"):
        assert getattr(client, method)(url_for(name, summit.france.pk, walk)).status_code == 404


@pytest.mark.parametrize("name", sorted(CASES))
def test_own_liaison_reaches_every_url(client, summit, walk, name):
    sign_in(client, summit.liaison_a)
    response = client.get(url_for(name, summit.france.pk, walk))
    assert response.status_code == (405 if CASES[name].post_only else CASES[name].owner_get)
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        assert str(summit.france.partner) in response.content.decode()


def test_a_liaison_of_two_delegations_reaches_both(client, summit):
    summit.germany.liaisons.add(summit.liaison_a)
    sign_in(client, summit.liaison_a)
    page = client.get(reverse("portal:home")).content.decode()
    assert "France at ASEM13" in page and "Germany at ASEM13" in page
    assert client.get(reverse("portal:dashboard", args=[summit.germany.pk])).status_code == 200
    assert client.get(reverse("portal:dashboard", args=[summit.italy.pk])).status_code == 404


def test_inactive_liaison_reaches_nothing(client, summit):
    summit.liaison_a.is_active = False
    summit.liaison_a.save()
    sign_in(client, summit.liaison_a)
    response = client.get(reverse("portal:dashboard", args=[summit.france.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_photos_are_not_served_as_public_files(client, summit, walk):
    """MEDIA_ROOT is never served: the stored file name leads nowhere without the access check."""
    sign_in(client, summit.liaison_a)
    summit.member.refresh_from_db()
    assert client.get("/media/" + summit.member.photo.name).status_code == 404


def test_liaison_cannot_open_the_admin_photo_view(client, summit, walk):
    sign_in(client, summit.liaison_a)
    response = client.get(reverse("admin:delegations_person_photo", args=[summit.member.pk]))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
