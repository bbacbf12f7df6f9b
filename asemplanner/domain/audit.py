"""Audited writes: every create, update and delete leaves an entry (who, when, before → after).

Domain write functions go through `instance_save` / `instance_delete` (or the bulk variants), and the
admin's `AuditedModelAdmin` through `audit_log` with the snapshots it takes around the form save.
Sensitive fields (a model's SENSITIVE_FIELDS) are recorded as changed but never with their values; a
model's AUDIT_EXCLUDED fields (working copies audited elsewhere) are left out.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models.deletion import Collector
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from asemplanner.domain.bulk import rows_insert
from asemplanner.domain.changes import Change, Verb, publish
from asemplanner.models import AuditEntry

Actor = User | str | None
Snapshot = dict[str, Any]
MASK = "•••"
# Masked on every model, whatever it declares: password hashes never enter the audit trail.
ALWAYS_MASKED = frozenset({"password"})


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        # One instant, one text: values from forms (+07:00) and from the database (UTC) must compare equal.
        return timezone.localtime(value).isoformat()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


@functools.cache
def _mask_key(secret: str) -> bytes:
    # salted_hmac's derived key, made once per secret rather than once per masked value (an import masks
    # thousands); the digests are the same as salted_hmac("asemplanner.audit.mask", value) gives.
    return hashlib.sha1(b"asemplanner.audit.mask" + secret.encode()).digest()  # noqa: S324 — HMAC key derivation


def _masked(value: Any) -> str:
    """A sensitive value as '•••' plus a keyed digest: a change is visible, the value is not."""
    if value in (None, ""):
        return ""
    digest = hmac.new(_mask_key(settings.SECRET_KEY), str(value).encode(), hashlib.sha1).hexdigest()[:6]
    return f"{MASK}{digest}"


@functools.cache
def _audited_fields(model: type[models.Model]) -> tuple[tuple[models.Field, bool], ...]:
    """(field, masked?) for the fields a snapshot holds; worked out once per model."""
    sensitive = ALWAYS_MASKED | set(getattr(model, "SENSITIVE_FIELDS", ()))
    excluded = set(getattr(model, "AUDIT_EXCLUDED", ()))  # working copies recorded elsewhere (an import's rows)
    return tuple(
        (field, field.name in sensitive)
        for field in model._meta.concrete_fields
        # The entry's own time says when; auto-maintained timestamps would only add noise to every diff.
        if not (field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
        and field.name not in excluded
    )


def snapshot(instance: models.Model, *, m2m: Iterable[str] = ()) -> Snapshot:
    """The instance's concrete field values (foreign keys as ids) and the named many-to-many id lists."""
    data: Snapshot = {}
    for field, masked in _audited_fields(type(instance)):
        value = _jsonable(field.value_from_object(instance))
        data[field.name] = _masked(value) if masked else value
    if instance.pk is not None:
        for name in m2m:
            data[name] = sorted(related.pk for related in getattr(instance, name).all())  # uses a prefetch
    return data


def m2m_names(model: type[models.Model]) -> list[str]:
    return [field.name for field in model._meta.many_to_many]


def diff(before: Snapshot | None, after: Snapshot | None) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields that changed; a create has None before, a delete None after."""
    before, after = before or {}, after or {}
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new and not (_blank(old) and _blank(new)):
            changes[name] = [old, new]
    return changes


def _blank(value: Any) -> bool:
    """None, '' and [] all mean 'nothing here': a create or delete lists only the fields that held something."""
    return value in (None, "", [])


def default_action(instance: models.Model, verb: str) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}.{verb}"


def _actor_fields(by: Actor) -> dict[str, Any]:
    if isinstance(by, AbstractBaseUser):
        return {"actor": by if by.pk else None, "actor_name": by.get_username()}
    return {"actor": None, "actor_name": by or "system"}


@dataclass(frozen=True)
class Write:
    """One audited write, not yet stored: the entry for the trail and the change its subscribers hear of."""

    entry: AuditEntry
    change: Change


def _change(entry: AuditEntry, instance: models.Model, verb: Verb | None = None) -> Change:
    return Change(
        model=instance._meta.concrete_model or type(instance),
        pk=entry.object_id,
        verb=verb or Verb.of_action(entry.action),
        fields=frozenset(entry.changes or {}),
        instance=instance,
        values=entry.changes or {},
    )


def audit_entry(
    *,
    action: str,
    instance: models.Model,
    by: Actor,
    changes: dict[str, list[Any]],
    object_id: Any = None,
    verb: Verb | None = None,
) -> Write:
    """An unsaved entry with its change; `audit_log` saves one, `audit_log_many` a batch. `verb` says what the
    write did when the caller knows it (a delete named `….removed`); otherwise the action's last word does."""
    entry = AuditEntry(
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(object_id if object_id is not None else instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
        **_actor_fields(by),
    )
    return Write(entry=entry, change=_change(entry, instance, verb))


def audit_entries_created(*, instances: Sequence[models.Model], action: str, by: Actor) -> list[Write]:
    """Unsaved entries for rows just created together (an import): what `audit_entry` with
    `diff(None, snapshot(obj))` gives for each, with the content type and the actor worked out once."""
    if not instances:
        return []
    content_type = ContentType.objects.get_for_model(instances[0], for_concrete_model=True)
    actor = _actor_fields(by)
    entries = []
    for obj in instances:
        entry = AuditEntry(
            action=action,
            content_type=content_type,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            changes={name: [None, value] for name, value in sorted(snapshot(obj).items()) if not _blank(value)},
            **actor,
        )
        entries.append(Write(entry=entry, change=_change(entry, obj, Verb.CREATED)))
    return entries


def audit_log(
    *,
    action: str,
    instance: models.Model,
    by: Actor,
    changes: dict[str, list[Any]] | None = None,
    verb: Verb | None = None,
) -> AuditEntry:
    write = audit_entry(action=action, instance=instance, by=by, changes=changes or {}, verb=verb)
    write.entry.save()
    publish([write.change])
    return write.entry


def audit_log_many(writes: Sequence[Write], *, thousands: bool = False) -> list[AuditEntry]:
    """Save a batch of entries and publish their changes. `thousands=True` (an import) writes them in one
    COPY on PostgreSQL instead of INSERTs of 500, so the number of statements does not grow with the rows."""
    entries = [write.entry for write in writes]
    saved = list(rows_insert(entries)) if thousands else AuditEntry.objects.bulk_create(entries, batch_size=500)
    publish([write.change for write in writes])
    return saved


def _current(instance: models.Model, m2m: Iterable[str]) -> Snapshot | None:
    if instance.pk is None:
        return None
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    return snapshot(stored, m2m=m2m) if stored else None


def constraint_violation(instance: models.Model, exc: IntegrityError) -> ValidationError | IntegrityError:
    """The model constraint a database error names, as a ValidationError with that constraint's message
    (on its field when the constraint is about one, like a room booking); the error itself otherwise."""
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None) or str(exc).rsplit("constraint failed: ", 1)[-1].strip()
    for constraint in instance._meta.constraints:
        if constraint.name == name:
            message = constraint.get_violation_error_message()
            field = "room" if "room" in str(getattr(constraint, "expressions", "")) else NON_FIELD_ERRORS
            return ValidationError({field: message})
    return exc


@transaction.atomic
def instance_save(
    *,
    instance: models.Model,
    by: Actor,
    action: str | None = None,
    m2m: Mapping[str, Iterable[Any]] | None = None,
    validate: bool = True,
) -> AuditEntry | None:
    """Validate, save and audit one instance (create or update). Returns the entry, or None if nothing changed.

    `m2m` sets many-to-many fields after the save ({"attendees": [person, ...]}). Validation errors are
    raised before anything is written, so a refused change changes nothing.
    """
    m2m = m2m or {}
    before = _current(instance, m2m)
    if validate:
        instance.full_clean()
    try:
        with transaction.atomic():  # a savepoint, so a refused row leaves the caller's transaction usable
            instance.save()
    except IntegrityError as exc:
        # Validation passed but the database refused: another writer got there first (two bookings of one
        # room racing past the check). Say which rule was broken, as validation would have.
        raise constraint_violation(instance, exc) from exc
    for name, values in m2m.items():
        getattr(instance, name).set(values)
    changes = diff(before, snapshot(instance, m2m=m2m))
    if before is not None and not changes:
        return None
    verb = Verb.CREATED if before is None else Verb.CHANGED
    return audit_log(
        action=action or default_action(instance, verb), instance=instance, by=by, changes=changes, verb=verb
    )


@transaction.atomic
def instances_create(*, instances: Sequence[models.Model], by: Actor, action: str | None = None) -> list[models.Model]:
    """Bulk create (one INSERT per batch) with one audit entry per row, also written in bulk."""
    if not instances:
        return []
    model = type(instances[0])
    created = model._default_manager.bulk_create(instances, batch_size=500)
    audit_log_many(
        [
            audit_entry(
                action=action or default_action(obj, "created"),
                instance=obj,
                by=by,
                changes=diff(None, snapshot(obj)),
                verb=Verb.CREATED,
            )
            for obj in created
        ]
    )
    return created


def _deletion_entries(objects: Sequence[models.Model], by: Actor, action: str | None) -> list[Write]:
    """Entries for the objects and for every row their deletion cascades to (a person's travel record, a
    bilateral's windows), found with Django's own deletion collector before anything is deleted."""
    if not objects:
        return []
    # No origin: it only reaches the delete signals, and this collector never deletes.
    collector = Collector(using=router.db_for_write(type(objects[0])))
    collector.collect(objects)
    primary = {(type(obj), obj.pk) for obj in objects}
    doomed: list[models.Model] = [obj for instances in collector.data.values() for obj in instances]
    doomed += [obj for queryset in collector.fast_deletes for obj in queryset if isinstance(queryset, models.QuerySet)]
    entries = []
    for obj in doomed:
        if obj._meta.auto_created:  # many-to-many link rows: recorded on their owner's entry
            continue
        is_primary = (type(obj), obj.pk) in primary
        entries.append(
            audit_entry(
                action=(action if is_primary and action else default_action(obj, "deleted")),
                instance=obj,
                by=by,
                changes=diff(snapshot(obj, m2m=m2m_names(type(obj))), None),
                verb=Verb.DELETED,
            )
        )
    return entries


@transaction.atomic
def instance_delete(*, instance: models.Model, by: Actor, action: str | None = None) -> list[AuditEntry]:
    """Delete one object; one entry for it and one for each row the deletion cascades to."""
    entries = _deletion_entries([instance], by, action)
    instance.delete()
    return audit_log_many(entries)


@transaction.atomic
def queryset_delete(*, queryset: models.QuerySet, by: Actor, action: str | None = None) -> int:
    """Bulk delete with an entry per row (and per cascaded row): the admin's 'delete selected' and any
    other bulk path. Returns the number of rows of the queryset's own model deleted."""
    objects = list(queryset.prefetch_related(*m2m_names(queryset.model)))
    entries = _deletion_entries(objects, by, action)
    queryset.model._default_manager.filter(pk__in=[obj.pk for obj in objects]).delete()
    audit_log_many(entries)
    return len(objects)


@transaction.atomic
def queryset_update(*, queryset: models.QuerySet, by: Actor, action: str | None = None, **values: Any) -> int:
    """Bulk update with an entry per changed row (before → after of the updated fields)."""
    objects = list(queryset.select_for_update())
    pks = [obj.pk for obj in objects]
    befores = {obj.pk: snapshot(obj) for obj in objects}
    count = queryset.model._default_manager.filter(pk__in=pks).update(**values)
    entries = []
    for obj in queryset.model._default_manager.filter(pk__in=pks):
        changes = diff(befores[obj.pk], snapshot(obj))
        if changes:
            entries.append(
                audit_entry(
                    action=action or default_action(obj, "changed"),
                    instance=obj,
                    by=by,
                    changes=changes,
                    verb=Verb.CHANGED,
                )
            )
    audit_log_many(entries)
    return count
