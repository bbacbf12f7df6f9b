"""The change feed: everything after a cursor, tombstones for revocations, 304 when nothing changed, and
nothing missed or repeated while writes run at the same time."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from delegations.domain.delegations import accreditation_revoke, person_update
from tests.badges.conftest import approved_badges


def pull(api, cursor=0, **headers):
    return api.get(f"/api/v1/feed/?cursor={cursor}", **headers)


def test_full_pull_then_only_changes(summit, api):
    body = pull(api).json()
    assert [c["badge_number"] for c in body["changes"]] == [b.badge_number for b in summit["badges"]]
    person_update(person=summit["badges"][2].person, family_name="Renamed", by="test")
    later = pull(api, body["cursor"]).json()
    assert [(c["type"], c["badge"]["family_name"]) for c in later["changes"]] == [("badge", "Renamed")]


def test_revocation_arrives_as_a_tombstone(summit, api):
    cursor = pull(api).json()["cursor"]
    accreditation_revoke(accreditation=summit["badges"][0], reason="security", by="test")
    (change,) = pull(api, cursor).json()["changes"]
    assert (change["type"], change["badge_number"], change["badge"]) == (
        "tombstone",
        summit["badges"][0].badge_number,
        None,
    )


def test_unchanged_poll_is_304_with_one_query_after_auth(summit, api, django_assert_num_queries):
    first = pull(api)
    cursor, etag = first.json()["cursor"], None
    etag = pull(api, cursor)["ETag"]
    with django_assert_num_queries(2):  # the token, the one query that finds no change
        response = pull(api, cursor, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    approved_badges(summit["event"], 1)
    assert pull(api, cursor, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_pages_follow_the_cursor(summit, api):
    first = api.get("/api/v1/feed/?limit=2").json()
    assert (len(first["changes"]), first["more"]) == (2, True)
    rest = api.get(f"/api/v1/feed/?cursor={first['cursor']}").json()
    assert len(rest["changes"]) == 3
    assert rest["more"] is False


@pytest.mark.parametrize("query", ["cursor=-1", "cursor=abc", "limit=0", "limit=501", "since=1"])
def test_bad_feed_input_is_a_400(summit, api, query):
    response = api.get(f"/api/v1/feed/?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]


def test_other_events_changes_are_not_in_the_feed(summit, api):
    numbers = {c["badge_number"] for c in pull(api).json()["changes"]}
    assert not numbers & {b.badge_number for b in summit["others"]}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_nothing_missed_or_repeated_while_writes_run(summit):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {summit['raw']}")
    stop = threading.Event()
    written: list[str] = []

    def write():
        try:
            for n in range(30):
                (badge,) = approved_badges(summit["event"], 1)
                written.append(badge.badge_number)
                if n % 3 == 0:
                    person_update(person=badge.person, family_name=f"Changed{n}", by="test")
        finally:
            stop.set()
            connection.close()

    writer = threading.Thread(target=write)
    cursor, seen, seqs = 0, {}, []
    writer.start()
    while True:
        done = stop.is_set()
        body = client.get(f"/api/v1/feed/?cursor={cursor}&limit=7").json()
        for change in body["changes"]:
            seqs.append(change["seq"])
            seen[change["badge_number"]] = change["badge"]["family_name"]
        cursor = body["cursor"]
        if done and not body["more"]:
            break
    writer.join()
    assert len(seqs) == len(set(seqs)), "a change came twice"
    assert seqs == sorted(seqs)
    assert set(written) <= set(seen), "a badge was missed"
    from delegations.models import Person

    for person in Person.objects.filter(family_name__startswith="Changed"):
        number = person.accreditations.get().badge_number
        assert seen[number] == person.family_name, "a later change was missed"


def test_deleted_and_unapproved_badges_become_tombstones(summit, api):
    from asemplanner.domain.audit import instance_delete, instance_save
    from delegations.models import Accreditation

    cursor = pull(api).json()["cursor"]
    gone, back = summit["badges"][0], summit["badges"][1]
    gone_number, back_number = gone.badge_number, back.badge_number
    instance_delete(instance=gone, by="test")
    back.status = Accreditation.Status.REQUESTED
    back.badge_number = None
    instance_save(instance=back, by="test", validate=False)
    changes = pull(api, cursor).json()["changes"]
    assert [(c["type"], c["badge_number"]) for c in changes] == [
        ("tombstone", gone_number), ("tombstone", back_number),
    ]  # fmt: skip


def test_partner_rename_reaches_the_feed_and_passport_changes_do_not(summit, api):
    from asemplanner.domain.audit import instance_save

    cursor = pull(api).json()["cursor"]
    person_update(person=summit["badges"][0].person, passport_number="NEW123", by="test")
    assert pull(api, cursor).json()["changes"] == []
    partner = summit["badges"][0].person.delegation.partner
    partner.name = "French Republic"
    instance_save(instance=partner, by="test")
    changes = pull(api, cursor).json()["changes"]
    assert {c["badge"]["delegation"] for c in changes} == {"French Republic"}
    assert len(changes) == 5


def test_an_approved_accreditation_cannot_move_to_another_event(summit):
    from django.core.exceptions import ValidationError

    badge = summit["badges"][0]
    badge.event = summit["other"]
    with pytest.raises(ValidationError) as info:
        badge.full_clean()
    assert "cannot move to another event" in " ".join(info.value.message_dict["event"])
