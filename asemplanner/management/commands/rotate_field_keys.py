from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from asemplanner.domain.encryption import Rotation, field_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypts every encrypted value with the current (first) key of PLANNER_FIELD_KEYS and recomputes "
        "the passport-number digests with PLANNER_DIGEST_KEY. A dry run unless --apply is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--dry-run", action="store_true", help="Count what would change and change nothing (default)."
        )
        mode.add_argument("--apply", action="store_true", help="Re-encrypt and store.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = not options["apply"]

        def progress(rotation: Rotation) -> None:
            self.stdout.write(f"  {rotation.model}: {rotation.rows} rows read …")

        self.stdout.write("Dry run: nothing is changed." if dry_run else "Re-encrypting with the current key.")
        results = field_keys_rotate(dry_run=dry_run, batch_size=options["batch_size"], progress=progress)
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        for rotation in results:
            self.stdout.write(
                f"{rotation.model}: {rotation.rows} rows, {verb} {rotation.reencrypted} value(s), "
                f"{'would recompute' if dry_run else 'recomputed'} {rotation.digests} digest(s)."
            )
        if dry_run:
            self.stdout.write("Run again with --apply to store the changes.")
