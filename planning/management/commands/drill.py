"""`manage.py drill {postpone,late-arrival,room-lost,short-notice,all}`: rehearse the bad day on a copy.

By default each drill runs on its own copy of the seeded summit: a throw-away SQLite database in a temporary
folder (migrated and seeded once, copied per drill), with its own cache and task queue, so the live database,
Redis and the workers are never touched. `--here` runs against the configured database instead — only for a
database that is itself a copy (a staging restore); it asks for `--yes` as well.

Prints what moved, who was told and the seconds from the staff action to a consistent state, then one JSON
line with the figures. Exits 1 when a drill leaves a clash unflagged, tells a liaison twice or misses one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from planning.domain.drills import DRILLS, drill_run

# The copy keeps its cache and task queue in its own folder: the live Redis and workers never see a drill.
LOCAL_MAIL = "django.core.mail.backends.locmem.EmailBackend"  # what a drill mails stays in the copy
SERVICES = ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "PLANNER_REQUIRE_SERVICES")


class Command(BaseCommand):
    help = (
        "Run a bad-day drill (postpone, late-arrival, room-lost, short-notice, or all) on a copy of the seeded summit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=[*DRILLS, "all"], help="Which drill; 'all' runs the four in turn.")
        parser.add_argument(
            "--here",
            action="store_true",
            help="Run against the configured database instead of a fresh copy (only for a database that is a copy).",
        )
        parser.add_argument("--yes", action="store_true", help="Confirm --here.")
        parser.add_argument("--keep", action="store_true", help="Keep the copies (their paths are printed).")

    def handle(self, *args, name: str, here: bool, yes: bool, keep: bool, **options) -> None:
        names = list(DRILLS) if name == "all" else [name]
        if here:
            if not yes:
                raise CommandError(
                    "--here changes the configured database: it runs the staff actions for real. Use it only on a "
                    "copy, and add --yes to confirm; without --here each drill runs on a fresh copy."
                )
            failed = [n for n in names if not self._run_here(n)]
        else:
            failed = self._run_on_copies(names, keep=keep)
        if failed:
            raise CommandError(f"Drill(s) not passed: {', '.join(failed)}.")

    def _run_here(self, name: str) -> bool:
        report = drill_run(name)
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(json.dumps(report.as_json()))
        return report.ok

    def _run_on_copies(self, names: list[str], *, keep: bool) -> list[str]:
        folder = Path(tempfile.mkdtemp(prefix="planner-drill-"))
        seeded = folder / "seeded.sqlite3"
        began = time.perf_counter()
        self.stdout.write(f"Preparing a copy of the seeded summit in {folder} (migrate, seed_asem13) …")
        self._child(["migrate", "--no-input", "-v", "0"], seeded, folder / "seed-var")
        self._child(["seed_asem13"], seeded, folder / "seed-var", quiet=True)
        self.stdout.write(f"Seeded in {time.perf_counter() - began:.1f} s.")
        failed, figures = [], []
        for name in names:
            copy = folder / f"{name}.sqlite3"
            shutil.copyfile(seeded, copy)
            self.stdout.write("")
            result = self._child(["drill", name, "--here", "--yes"], copy, folder / f"{name}-var", check=False)
            lines = result.stdout.strip().splitlines()
            for line in lines[:-1]:
                self.stdout.write(line)
            try:
                figures.append(json.loads(lines[-1]))
            except (IndexError, json.JSONDecodeError):
                self.stderr.write(result.stderr[-3000:])
                figures.append({"drill": name, "ok": False, "error": "the drill did not finish"})
            if result.returncode != 0 or not figures[-1].get("ok"):
                failed.append(name)
        if keep:
            self.stdout.write(f"\nCopies kept in {folder}.")
        else:
            shutil.rmtree(folder, ignore_errors=True)
        self.stdout.write(json.dumps({"drills": figures, "passed": len(names) - len(failed), "failed": failed}))
        return failed

    def _child(
        self, argv: list[str], database: Path, var: Path, *, check: bool = True, quiet: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run a management command against a copy: its own SQLite file, cache and task folder, no Redis."""
        var.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if key not in SERVICES}
        env |= {"DATABASE_URL": f"sqlite:///{database}", "VAR_DIR": str(var), "EMAIL_BACKEND": LOCAL_MAIL}
        settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings")
        result = subprocess.run(  # noqa: S603  (our own interpreter and Django, fixed arguments)
            [sys.executable, "-m", "django", *argv, "--settings", settings_module],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise CommandError(f"{' '.join(argv)} failed on the copy:\n{result.stderr[-3000:]}")
        if not quiet and check:
            self.stdout.write(result.stdout)
        return result
