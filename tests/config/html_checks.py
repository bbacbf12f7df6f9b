"""What a page must not contain under the Content-Security-Policy: inline script code, on*= handlers,
javascript: URLs. Parsed with html.parser, not searched as text."""

from __future__ import annotations

from html.parser import HTMLParser

# <script type=...> that a browser does not execute: data blocks such as json_script's.
DATA_TYPES = {"application/json", "application/ld+json", "text/template", "text/html"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}


class InlineScriptFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts = 0  # <script src=...> seen
        self._in_script: str | None = None  # the tag's text while inside an inline, executable <script>
        self._script_code: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            found = dict(attrs)
            kind = (found.get("type") or "").strip().lower()
            if found.get("src"):
                self.scripts += 1
            elif kind not in DATA_TYPES:
                self._in_script = f"<script{' type=' + kind if kind else ''}>"
                self._script_code = []

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._script_code.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script is not None:
            code = "".join(self._script_code).strip()
            if code:
                self.problems.append(f"{self._in_script}{code[:80]}")
            self._in_script = None


def inline_script_problems(html: str) -> tuple[list[str], int]:
    """The inline code and handlers in `html`, and how many external scripts it loads."""
    finder = InlineScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems, finder.scripts


def directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: [sources]}."""
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed
