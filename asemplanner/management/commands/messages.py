"""manage.py messages update|compile|check — the translation catalogues (asemplanner/catalogues.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from asemplanner.catalogues import check_catalogues, compile_catalogues, update_catalogues


class Command(BaseCommand):
    help = (
        "update: collect the messages from the code into each catalogue (needs GNU gettext); "
        "compile: write the .mo files (pure Python); "
        "check: fail when a catalogue is stale, a message untranslated or fuzzy, or placeholders differ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["update", "compile", "check"])
        parser.add_argument("--force", action="store_true", help="compile: every catalogue, not only changed ones")

    def handle(self, *args, action: str, force: bool = False, **options) -> None:
        if action == "update":
            update_catalogues()
            self.stdout.write("Catalogues updated; translate the new messages (empty msgstr) and run `messages check`.")
        elif action == "compile":
            written = compile_catalogues(force=force)
            self.stdout.write(f"{len(written)} catalogue(s) compiled.")
        else:
            report = check_catalogues()
            for line in report.lines():
                self.stderr.write(line)
            if not report.ok:
                raise CommandError(
                    f"Catalogues not ready: {len(report.stale)} stale, {len(report.untranslated)} untranslated, "
                    f"{len(report.fuzzy)} fuzzy, {len(report.format_errors)} with placeholder errors, "
                    f"{len(report.msgfmt_errors)} refused by msgfmt."
                )
            self.stdout.write("Catalogues are complete and match the code.")
