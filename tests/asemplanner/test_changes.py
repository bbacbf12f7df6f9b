"""Change routing: typed changes from audited writes, subscribers by model class, follow-ups after commit only,
the enqueue helper's broker-outage guard, and the follow-up table in the guide kept equal to the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from celery.app.task import Task
from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import OperationalError

from asemplanner.domain.audit import audit_entry, instance_save
from asemplanner.domain.changes import Verb, follow_up_markdown, follow_up_table
from asemplanner.domain.queue import enqueue_on_commit
from delegations.models import Travel
from events.models import ConflictCheckRequest
from planning.domain.conflict_triggers import SCHEDULED_FLAG
from tests.factories import TravelFactory, at

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


@pytest.mark.parametrize(
    ("action", "verb"),
    [
        ("delegations.person.created", Verb.CREATED),
        ("delegations.person.imported", Verb.CREATED),
        ("delegations.travel.deleted", Verb.DELETED),
        ("delegations.travel.changed", Verb.CHANGED),
        ("protocol.bilateral.scheduled", Verb.CHANGED),
    ],
    ids=["created", "imported", "deleted", "changed", "named_action"],
)
def test_verb_of_action(action, verb):
    assert Verb.of_action(action) is verb


@pytest.mark.django_db
def test_an_audited_write_carries_a_typed_change():
    travel = TravelFactory()
    write = audit_entry(
        action="delegations.travel.changed",
        instance=travel,
        by="test",
        changes={"arrival_at": ["2020-11-15T14:00", "2020-11-16T11:00"]},
    )
    change = write.change
    assert change.model is Travel
    assert change.pk == str(travel.pk) and change.pk_int == travel.pk
    assert change.verb is Verb.CHANGED
    assert change.fields == frozenset({"arrival_at"})
    assert change.instance is travel
    assert write.entry.object_id == str(travel.pk)


def test_every_subscribing_app_is_in_the_table():
    table = follow_up_table()
    assert {f.app for f in table} == {"planning", "protocol", "reminders", "badges"}
    travel_followers = {f.app for f in table if f.model is Travel}
    assert travel_followers == {"planning", "protocol", "reminders"}


def test_the_guide_shows_the_follow_up_table_of_the_code():
    text = GUIDE.read_text()
    shown = text.split("<!-- follow-ups:start -->\n", 1)[1].split("<!-- follow-ups:end -->", 1)[0]
    assert shown == follow_up_markdown(), "run `manage.py follow_ups` and paste it into docs/architecture.md"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_follows_up_with_nothing():
    travel = TravelFactory()
    ConflictCheckRequest.objects.all().delete()

    @transaction.atomic
    def save_then_fail():
        travel.arrival_at = at(-1, "20:00")
        instance_save(instance=travel, by="test", validate=False)
        raise RuntimeError("the liaison's request failed after the save")

    with pytest.raises(RuntimeError):
        save_then_fail()
    assert not ConflictCheckRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_stores_one_request_for_the_person():
    travel = TravelFactory()
    ConflictCheckRequest.objects.all().delete()
    cache.set(SCHEDULED_FLAG, "1")  # a check task is already coming: this test sends nothing to the broker
    try:
        with transaction.atomic():
            for hour in ("18:00", "19:00", "20:00"):
                travel.arrival_at = at(-1, hour)
                instance_save(instance=travel, by="test", validate=False)
            assert not ConflictCheckRequest.objects.exists()  # nothing before the commit
    finally:
        cache.delete(SCHEDULED_FLAG)
    assert list(ConflictCheckRequest.objects.values_list("key", flat=True)) == [f"person:{travel.person_id}"]


@pytest.mark.django_db(transaction=True)
def test_enqueue_waits_for_the_commit_and_survives_a_broker_outage(monkeypatch):
    calls: list[tuple] = []
    failures: list[str] = []

    def broker_down(task, args=None, **options):
        calls.append((task.name, tuple(args or ())))
        raise OperationalError("Connection refused")

    monkeypatch.setattr(Task, "apply_async", broker_down)  # the broker is the outside boundary

    @transaction.atomic
    def enqueue_then_fail():
        enqueue_on_commit("planning.scan_conflicts", on_failure=lambda: failures.append("rolled back"))
        raise RuntimeError("rollback")

    with pytest.raises(RuntimeError):
        enqueue_then_fail()
    assert calls == [] and failures == []

    with transaction.atomic():
        enqueue_on_commit("protocol.generate_tasks", args=[[7]], on_failure=lambda: failures.append("down"))
        assert calls == []
    assert calls == [("protocol.generate_tasks", ([7],))]
    assert failures == ["down"]


@pytest.mark.django_db
def test_the_verb_follows_the_write_not_its_action_name():
    travel = TravelFactory()
    removed = audit_entry(
        action="delegations.travel.removed", instance=travel, by="test", changes={}, verb=Verb.DELETED
    ).change
    assert removed.verb is Verb.DELETED
    named = audit_entry(action="delegations.travel.removed", instance=travel, by="test", changes={}).change
    assert named.verb is Verb.CHANGED  # without the operation's word, the action's last word decides
