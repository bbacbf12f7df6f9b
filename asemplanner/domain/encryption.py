"""Key rotation: every encrypted value re-encrypted with the current key, every keyed digest recomputed.

It works on the stored tokens by raw SQL, in batches of rows ordered by primary key, one transaction per
batch: the values themselves never change (so nothing follows up and no audit entry is written per row),
and a run that stops half-way is finished by running it again. A value already readable with the current
key alone is left as it is, so a second run changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction

from asemplanner.crypto import decrypt, decrypts_with, passport_digest, reencrypt
from asemplanner.fields import EncryptedMixin, PassportDigestField


@dataclass
class Rotation:
    """What a rotation did (or, in a dry run, would do) to one model's table."""

    model: str
    rows: int = 0
    reencrypted: int = 0  # values that were not readable with the current key alone
    digests: int = 0  # digests that differed from the current digest key's


def encrypted_models() -> list[tuple[type[models.Model], list[models.Field], list[PassportDigestField]]]:
    found = []
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        encrypted: list[models.Field] = [field for field in fields if isinstance(field, EncryptedMixin)]
        digests = [field for field in fields if isinstance(field, PassportDigestField)]
        if encrypted:
            found.append((model, encrypted, digests))
    return found


def field_keys_rotate(
    *, dry_run: bool, batch_size: int = 500, progress: Callable[[Rotation], None] | None = None
) -> list[Rotation]:
    current = settings.PLANNER_FIELD_KEYS[:1]
    results = []
    quote = connection.ops.quote_name
    for model, encrypted, digests in encrypted_models():
        result = Rotation(model._meta.label)
        by_name = {field.name: field for field in encrypted}
        columns = [field.column for field in (*encrypted, *digests)]
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        select = (
            f"SELECT {pk}, {', '.join(quote(c) for c in columns)} FROM {table} "  # noqa: S608 — names from _meta
            f"WHERE {pk} > %s ORDER BY {pk} LIMIT %s"
        )
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(select, [last if last is not None else -1, batch_size])
                rows = cursor.fetchall()
                if not rows:
                    break
                for pk_value, *values in rows:
                    stored = dict(zip(columns, values, strict=True))
                    changes: dict[str, str] = {}
                    for field in encrypted:
                        token = stored[field.column]
                        if token not in (None, "") and not decrypts_with(token, current):
                            changes[field.column] = reencrypt(token)
                            result.reencrypted += 1
                    for digest_field in digests:
                        token = stored[by_name[digest_field.source].column]
                        wanted = passport_digest(decrypt(token) if token else "")
                        if stored[digest_field.column] != wanted:
                            changes[digest_field.column] = wanted
                            result.digests += 1
                    if changes and not dry_run:
                        assignments = ", ".join(f"{quote(column)} = %s" for column in changes)
                        cursor.execute(
                            f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608 — names from _meta
                            [*changes.values(), pk_value],
                        )
                result.rows += len(rows)
                last = rows[-1][0]
            if progress:
                progress(result)
        results.append(result)
    return results
