"""The translation catalogues: make them (`update`), compile them (`compile`) and prove them (`check`).

Each app keeps its messages in `<app>/locale/<lang>/LC_MESSAGES/django.po`; the project templates' messages go
to `locale/` (settings.LOCALE_PATHS). Compiled `.mo` files are build output (not committed): `compile` makes
them with Babel in pure Python, so a machine without GNU gettext can still run the planner in Khmer. `update`
and `check` run Django's makemessages, which needs GNU gettext (xgettext, msgmerge).

`check` fails when a catalogue is stale (makemessages would change it: a message added, changed or gone in the
code), when a message has no translation or a fuzzy one, or when a translation's placeholders differ from the
English (Babel's python-format check).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# What makemessages must not read: third-party code, data, tests, benchmarks and the demo seed's console text.
IGNORED = [".venv", "var", "tests", "benchmarks", "docs", "build", "dist", "demo", "test-artifacts", "staticfiles"]
# Languages with a catalogue of ours: every language offered except the one the code is written in.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]


def catalogue_files() -> list[Path]:
    """Every .po file of ours (the project's locale/ and each app's), sorted."""
    found: list[Path] = []
    for locale_dir in [ROOT / "locale", *sorted(ROOT.glob("*/locale"))]:
        if locale_dir.parent.name in IGNORED:
            continue
        found.extend(sorted(locale_dir.glob("*/LC_MESSAGES/*.po")))
    return found


def compile_catalogues(force: bool = False) -> list[Path]:
    """Write each .po's .mo (only where the .po is newer, unless `force`); returns those written.

    The .mo is written beside a temporary name and moved into place, so parallel test workers compiling at
    once never read half a file.
    """
    written = []
    for po in catalogue_files():
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle)
        fd, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        os.replace(temporary, mo)
        written.append(mo)
    return written


def update_catalogues() -> None:
    """Django's makemessages for every translated language: messages added, changed or gone in the code are
    added, updated or dropped (no file locations, so a moved line changes nothing)."""
    from django.core.management import call_command

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for domain in ("django", "djangojs"):
            call_command(
                "makemessages",
                locale=TRANSLATED,
                domain=domain,
                ignore_patterns=[f"{name}/*" for name in IGNORED] + list(IGNORED),
                no_location=True,
                no_obsolete=True,
                verbosity=0,
            )
    finally:
        os.chdir(cwd)
    for po in catalogue_files():
        if po.stem == "djangojs" and not len(_messages(po)):
            po.unlink()  # a scripts' catalogue with no message (an app whose scripts say nothing) is noise
        else:
            _fill_header(po)


def _fill_header(po: Path) -> None:
    """The header makemessages leaves as a template: ours, with the language, and not fuzzy."""
    text = po.read_text(encoding="utf-8")
    language = po.parent.parent.name
    head, _, rest = text.partition('msgid ""\n')
    head = head.replace("#, fuzzy\n", "")
    head = "".join(line for line in head.splitlines(True) if not line.startswith("#") or line.startswith("#,"))
    header = (
        f"# The ASEM summit planner's messages in {language} (docs/translation.md).\n"
        "# This file is distributed under the same license as the planner.\n"
    )
    rest = (
        rest.replace('"Project-Id-Version: PACKAGE VERSION\\n"', '"Project-Id-Version: asem-planner\\n"')
        .replace('"Language: \\n"', f'"Language: {language}\\n"')
        .replace('"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n"', '"Last-Translator: ASEM planner developers\\n"')
        .replace('"Language-Team: LANGUAGE <LL@li.org>\\n"', f'"Language-Team: {language}\\n"')
        .replace('"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"', '"PO-Revision-Date: 2026-12-06 00:00+0700\\n"')
    )
    po.write_text(header + head + 'msgid ""\n' + rest, encoding="utf-8")


@dataclass
class Report:
    stale: list[str] = field(default_factory=list)  # catalogues makemessages would change
    untranslated: list[str] = field(default_factory=list)  # "file: msgid"
    fuzzy: list[str] = field(default_factory=list)
    format_errors: list[str] = field(default_factory=list)
    msgfmt_errors: list[str] = field(default_factory=list)  # what GNU msgfmt --check says (compilemessages' check)

    @property
    def ok(self) -> bool:
        return not (self.stale or self.untranslated or self.fuzzy or self.format_errors or self.msgfmt_errors)

    def lines(self) -> list[str]:
        out: list[str] = []
        for title, items in (
            ("stale catalogue (run `manage.py messages update`, translate, commit)", self.stale),
            ("untranslated", self.untranslated),
            ("fuzzy (check the translation, then remove the fuzzy flag)", self.fuzzy),
            ("placeholders differ from the English", self.format_errors),
            ("msgfmt --check (what compilemessages would refuse)", self.msgfmt_errors),
        ):
            out.extend(f"{title}: {item}" for item in items)
        return out


def _messages(po: Path) -> Catalog:
    with po.open("rb") as handle:
        return read_po(handle)


def _comparable(text: str) -> str:
    # The creation date changes on every run of makemessages; it says nothing about the messages.
    return "".join(line for line in text.splitlines(True) if "POT-Creation-Date" not in line)


def check_catalogues() -> Report:
    """Whether the committed catalogues match the code and are complete; the files are left as they were."""
    report = Report()
    before = {po: po.read_bytes() for po in catalogue_files()}
    update_catalogues()
    after = set(catalogue_files())
    try:
        for po in sorted(after | set(before)):
            relative = str(po.relative_to(ROOT))
            if po not in before:
                report.stale.append(f"{relative} (new: the code has messages this catalogue lacks)")
            elif po not in after:
                report.stale.append(f"{relative} (gone: no message of the code is in it any more)")
            elif _comparable(po.read_text(encoding="utf-8")) != _comparable(before[po].decode("utf-8")):
                changed = _changed_ids(before[po], po)
                report.stale.append(f"{relative} ({changed})")
    finally:
        for po in after - set(before):
            po.unlink()
        for po, content in before.items():
            po.write_bytes(content)
    for po in catalogue_files():
        relative = str(po.relative_to(ROOT))
        catalog = _messages(po)
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            strings: list = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
            if not any(strings) or not all(strings):
                report.untranslated.append(f"{relative}: {msgid!r}")
            elif message.fuzzy:
                report.fuzzy.append(f"{relative}: {msgid!r}")
            for error in message.check(catalog):
                report.format_errors.append(f"{relative}: {msgid!r}: {error}")
        msgfmt = shutil.which("msgfmt")
        if msgfmt:
            run = subprocess.run([msgfmt, "--check", "-o", os.devnull, str(po)], capture_output=True, text=True)  # noqa: S603 — our own files
            if run.returncode:
                report.msgfmt_errors.append(f"{relative}: {run.stderr.strip()}")
    return report


def _changed_ids(old: bytes, new: Path) -> str:
    """What differs between the committed catalogue and the code's messages, briefly."""
    from io import BytesIO

    old_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(BytesIO(old)) if m.id}
    new_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _messages(new) if m.id}
    added, gone = sorted(new_ids - old_ids), sorted(old_ids - new_ids)
    parts = []
    if added:
        parts.append(f"{len(added)} new, e.g. {added[0]!r}")
    if gone:
        parts.append(f"{len(gone)} gone, e.g. {gone[0]!r}")
    return "; ".join(parts) or "comments or flags changed"
