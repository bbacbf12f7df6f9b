"""Badge list and detail: filters, stable cursor pages, bad input as 400 with a body, fixed query counts,
and nothing sensitive ever in a response."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from asemplanner.choices import Category
from delegations.domain.delegations import accreditation_revoke
from delegations.models import Travel
from tests.badges.conftest import approved_badges
from tests.factories import VenueFactory


def test_list_shows_approved_badges_with_their_zones(summit, api):
    body = api.get("/api/v1/badges/").json()
    first = body["results"][0]
    assert body["next"] is None
    assert len(body["results"]) == 5
    assert first["badge_number"] == summit["badges"][0].badge_number
    assert first["delegation"] == "France"
    assert len(first["zones"]) == 1
    assert first["colour"].startswith("#")


def test_requested_and_revoked_accreditations_are_not_listed(summit, api):
    accreditation_revoke(accreditation=summit["badges"][0], reason="test", by="test")
    numbers = [r["badge_number"] for r in api.get("/api/v1/badges/").json()["results"]]
    assert summit["badges"][0].badge_number not in numbers
    assert len(numbers) == 4


def test_cursor_pages_cover_everything_once(summit, api):
    seen, url = [], "/api/v1/badges/?limit=2"
    while url:
        body = api.get(url).json()
        seen += [r["badge_number"] for r in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(b.badge_number for b in summit["badges"])
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("query", "count"),
    [
        pytest.param("delegation=FRA", 5, id="delegation"),
        pytest.param("delegation=XXX", 0, id="other_delegation"),
        pytest.param("category=delegate", 5, id="category"),
        pytest.param("category=media", 0, id="other_category"),
        pytest.param("status=approved", 5, id="status"),
        pytest.param("q=Family3", 1, id="search_name"),
        pytest.param("event=ASEM13", 5, id="own_event"),
    ],
)
def test_filters(summit, api, query, count):
    assert len(api.get(f"/api/v1/badges/?{query}").json()["results"]) == count


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        pytest.param("colour=red", "colour", "invalid", id="unknown_filter"),
        pytest.param("limit=0", "limit", "invalid", id="limit_zero"),
        pytest.param("limit=501", "limit", "invalid", id="limit_too_big"),
        pytest.param("limit=ten", "limit", "invalid", id="limit_not_a_number"),
        pytest.param("cursor=%%%", "cursor", "bad_cursor", id="cursor_garbage"),
        pytest.param("cursor=b12", "cursor", "bad_cursor", id="cursor_wrong_kind"),
        pytest.param("status=revoked", "status", "invalid", id="status_not_listed"),
        pytest.param("category=vip", "category", "invalid", id="unknown_category"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(summit, api, query, field, code):
    response = api.get(f"/api/v1/badges/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == (code, [field])
    assert error["message"]


def test_search_by_badge_number(summit, api):
    number = summit["badges"][2].badge_number
    assert [r["badge_number"] for r in api.get(f"/api/v1/badges/?q={number}").json()["results"]] == [number]


def test_detail(summit, api):
    number = summit["badges"][1].badge_number
    body = api.get(f"/api/v1/badges/{number}/").json()
    assert (body["badge_number"], body["given_name"], body["version"]) == (number, "Given1", 1)


@pytest.mark.parametrize(("size", "limit"), [(3, 500), (40, 500), (40, 10)])
def test_list_query_count_is_flat(summit, api, size, limit):
    approved_badges(summit["event"], size)
    api.get("/api/v1/badges/?limit=1")  # warm the content-type cache
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/badges/?limit={limit}")
    assert len(response.json()["results"]) == min(5 + size, limit)
    # the token (its last-used time is written at most once a minute), the page, its zones
    assert len(queries) == 3, [q["sql"][:80] for q in queries]


def test_no_response_carries_passport_birth_date_travel_or_hotel(summit, api):
    person = summit["badges"][0].person
    hotel = VenueFactory(kind="hotel", name="Secret Riverside Hotel")
    Travel.objects.create(person=person, arrival_flight="AF999", hotel=hotel)
    number = summit["badges"][0].badge_number
    bodies = [
        api.get("/api/v1/badges/").content,
        api.get(f"/api/v1/badges/{number}/").content,
        api.get("/api/v1/feed/").content,
    ]
    for body in bodies:
        text = body.decode()
        for secret in ("PX000000", "passport", "1970-01-01", "date_of_birth", "AF999", "Secret Riverside", "travel"):
            assert secret not in text, secret
    assert "passport_number" not in json.dumps(api.get(f"/api/v1/badges/{number}/").json())


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_media_category_colour(summit, api):
    (media,) = approved_badges(summit["event"], 1, category=Category.MEDIA)
    body = api.get(f"/api/v1/badges/{media.badge_number}/").json()
    assert body["colour"] == "#e07b00"


def test_another_event_in_the_filter_is_not_found(summit, api):
    response = api.get("/api/v1/badges/?event=OTHER")
    assert response.status_code == 404
    assert list(response.json()["error"]["fields"]) == ["event"]


def test_empty_text_filters_filter_nothing_but_empty_choices_are_refused(summit, api):
    assert len(api.get("/api/v1/badges/?q=&delegation=&event=").json()["results"]) == 5
    for query in ("category=", "status=", "cursor=", "limit="):
        assert api.get(f"/api/v1/badges/?{query}").status_code == 400, query


def test_export_streams_every_badge_once(summit, api):
    approved_badges(summit["event"], 3)
    response = api.get("/api/v1/badges/export")
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert len(lines) == 8
    assert len({line["badge_number"] for line in lines}) == 8
    assert api.get("/api/v1/badges/export?limit=5").status_code == 400


@pytest.mark.parametrize(
    ("url", "status"),
    [
        pytest.param("/api/v1/badges/?limit=%C2%B2", 400, id="superscript_limit"),
        pytest.param("/api/v1/feed/?cursor=%C2%B2", 400, id="superscript_cursor"),
        pytest.param("/api/v1/feed/?limit=%C2%B2", 400, id="superscript_feed_limit"),
        pytest.param("/api/v1/badges/?q=%00", 400, id="nul_in_search"),
        pytest.param("/api/v1/badges/?delegation=a%00b", 400, id="nul_in_delegation"),
        pytest.param("/api/v1/badges/%00/", 404, id="nul_in_path"),
        pytest.param("/api/v1/badges/%00/pdf", 404, id="nul_in_pdf_path"),
    ],
)
def test_odd_input_is_a_client_error_not_a_500(summit, api, url, status):
    response = api.get(url)
    assert response.status_code == status
    assert response.json()["error"]["code"]


def test_photo_whose_file_is_gone_is_a_404(summit, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    person = summit["badges"][0].person
    person.photo.name = "photos/missing.jpg"
    person.save()
    response = api.get(f"/api/v1/badges/{summit['badges'][0].badge_number}/photo.jpg")
    assert response.status_code == 404
    assert "unreadable" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("event=OTHER&limit=0", 404, "event"),
        ("event=OTHER&cursor=zzz", 404, "event"),
        ("status=bogus&cursor=zzz", 400, "status"),
        ("category=bogus&limit=9999", 400, "category"),
        (f"q={'x' * 101}&limit=0", 400, "q"),
        ("limit=0&cursor=zzz", 400, "limit"),
    ],
    ids=["event_before_limit", "event_before_cursor", "status_before_cursor", "category_before_limit",
         "q_before_limit", "limit_before_cursor"],
)  # fmt: skip
def test_a_bad_filter_is_named_before_a_bad_page(summit, api, query, status, field):
    response = api.get(f"/api/v1/badges/?{query}")
    assert response.status_code == status
    assert list(response.json()["error"]["fields"]) == [field]
