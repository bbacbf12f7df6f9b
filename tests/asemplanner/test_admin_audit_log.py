"""The audit log in the admin: its columns, filters and rendered changes; and no admin lists `__str__` alone."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from pytest_django.asserts import assertContains

from asemplanner.domain.audit import audit_log
from tests.factories import PartnerFactory, UserFactory, VenueFactory
from tests.signin import sign_in

CHANGELIST = reverse("admin:asemplanner_auditentry_changelist")


class ResultTable(HTMLParser):
    """The changelist's `#result_list`: header texts and, per row, each cell's text and links by its column class."""

    def __init__(self, html: str):
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[dict[str, dict]] = []
        self._in_table = self._in_head = False
        self._cell: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "result_list":
            self._in_table = True
        elif not self._in_table:
            return
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.rows.append({})
        elif tag in {"th", "td"}:
            self._cell = {"class": attrs.get("class") or "", "text": "", "links": []}
        elif tag == "a" and self._cell is not None and attrs.get("href"):
            self._cell["links"].append(attrs["href"])

    def handle_endtag(self, tag):
        if not self._in_table:
            return
        if tag == "table":
            self._in_table = False
        elif tag == "thead":
            self._in_head = False
        elif tag in {"th", "td"} and self._cell is not None:
            cell, self._cell = self._cell, None
            cell["text"] = " ".join(cell["text"].split())
            if self._in_head:
                self.headers.append(cell["text"])
            else:
                column = next((c[len("field-") :] for c in cell["class"].split() if c.startswith("field-")), "")
                self.rows[-1][column] = cell

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


@pytest.fixture
def venue_renamed(db, time_machine):
    """A venue renamed by a protocol officer at 09:30 Phnom Penh time on the summit's first day."""
    time_machine.move_to(dt.datetime(2020, 11, 16, 2, 30, tzinfo=dt.UTC), tick=False)
    venue = VenueFactory(name="Peace Palace")
    officer = UserFactory(username="sokha.protocol")
    entry = audit_log(
        action="events.venue.changed", instance=venue, by=officer, changes={"name": ["Chaktomuk Hall", "Peace Palace"]}
    )
    return venue, entry


def test_audit_changelist_shows_when_who_action_and_linked_object(role_client, venue_renamed):
    venue, _entry = venue_renamed
    response = role_client("admin").get(CHANGELIST)
    table = ResultTable(response.content.decode())
    assert table.headers == ["When", "Who", "Action", "Object"]
    [row] = table.rows
    assert row["when"]["text"] == "Nov. 16, 2020, 9:30 a.m."  # Phnom Penh time, not UTC
    assert row["who"]["text"] == "sokha.protocol"
    assert row["action"]["text"] == "events.venue.changed"
    assert row["object_link"]["text"] == "Events and programme | venue: Peace Palace"
    assert row["object_link"]["links"] == [reverse("admin:events_venue_change", args=[venue.pk])]


def test_audit_changelist_object_is_not_linked_for_a_model_the_user_may_not_view(role_client, venue_renamed):
    # The accreditation role reads the audit log but not venues.
    response = role_client("accreditation").get(CHANGELIST)
    [row] = ResultTable(response.content.decode()).rows
    assert row["object_link"] == {
        "class": "field-object_link",
        "text": "Events and programme | venue: Peace Palace",
        "links": [],
    }


def test_audit_changelist_filters_by_action_actor_and_model_and_searches(role_client, venue_renamed):
    imported = audit_log(action="delegations.partner.imported", instance=PartnerFactory(), by="import", changes={})
    client = role_client("admin")
    response = client.get(CHANGELIST)
    assert [spec.title for spec in response.context["cl"].filter_specs] == ["action", "actor name", "content type"]
    assert response.context["cl"].date_hierarchy == "at"

    def actions(**params) -> list[str]:
        return [row["action"]["text"] for row in ResultTable(client.get(CHANGELIST, params).content.decode()).rows]

    assert actions(action="events.venue.changed") == ["events.venue.changed"]
    assert actions(actor_name="import") == ["delegations.partner.imported"]
    assert actions(content_type__id__exact=imported.content_type_id) == ["delegations.partner.imported"]
    assert actions(q="Peace Palace") == ["events.venue.changed"]
    assert actions(q="sokha") == ["events.venue.changed"]
    assert actions(q="partner.imported") == ["delegations.partner.imported"]


def test_audit_entry_page_renders_the_change_and_offers_no_save(role_client, venue_renamed):
    _venue, entry = venue_renamed
    response = role_client("protocol").get(reverse("admin:asemplanner_auditentry_change", args=[entry.pk]))
    assertContains(response, "<li><b>name</b>: Chaktomuk Hall → Peace Palace</li>", html=True)
    assertContains(response, "sokha.protocol")
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("permission", [None, "change_auditentry"], ids=["no_permission", "change_only"])
def test_audit_changelist_needs_the_view_permission(client, permission, venue_renamed):
    user = UserFactory(is_staff=True)
    if permission:
        user.user_permissions.add(Permission.objects.get(codename=permission))
    sign_in(client, user)
    assert client.get(CHANGELIST).status_code == 403


def _registered() -> list[tuple[str, admin.ModelAdmin]]:
    return sorted((model._meta.label_lower, model_admin) for model, model_admin in admin.site._registry.items())


@pytest.mark.parametrize(("label", "model_admin"), _registered(), ids=[label for label, _ in _registered()])
def test_admin_lists_more_than_the_object_name(label, model_admin):
    assert tuple(model_admin.list_display) != ("__str__",), f"{label} lists only __str__"
