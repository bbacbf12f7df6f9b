# Encrypts the passport data already stored (0003 made the columns text and added the digest). A migration of
# its own: PostgreSQL refuses 0003's deferred index creation after updates in the same transaction.

from django.db import migrations

COLUMNS = ("passport_number", "passport_expiry", "date_of_birth")


def _rewrite(schema_editor, change):
    """Rewrite the three columns of every person with `change`, by raw SQL: the historical model's fields
    would decrypt on reading, and the rows do not hold tokens yet (or, going back, no longer)."""
    from asemplanner.crypto import passport_digest

    connection = schema_editor.connection
    quote = connection.ops.quote_name
    table = quote("delegations_person")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(quote(c) for c in COLUMNS)} FROM {table}")  # noqa: S608
        rows = cursor.fetchall()
        updates = []
        for pk, *values in rows:
            plain_number, new = change(values)
            updates.append([*new, passport_digest(plain_number or ""), pk])
        assignments = ", ".join(f"{quote(c)} = %s" for c in (*COLUMNS, "passport_digest"))
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", updates)  # noqa: S608


def encrypt_existing(apps, schema_editor):
    from asemplanner.crypto import encrypt

    def change(values):
        texts = [str(v) if v not in (None, "") else v for v in values]  # dates read as text ('2030-12-31')
        return texts[0], [encrypt(v) if v not in (None, "") else v for v in texts]

    _rewrite(schema_editor, change)


def decrypt_existing(apps, schema_editor):
    from asemplanner.crypto import decrypt

    def change(values):
        plain = [decrypt(v) if v not in (None, "") else v for v in values]
        return plain[0], plain

    _rewrite(schema_editor, change)


class Migration(migrations.Migration):

    dependencies = [
        ('delegations', '0003_person_encrypted_passport'),
    ]

    operations = [
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
