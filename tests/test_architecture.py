"""The house stands one way: every import (module level, inside functions, under TYPE_CHECKING) goes down the
order of apps, and no module imports itself back through others. See docs/architecture.md."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lower first; an app may import only apps on an earlier line. Apps on one line do not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("asemplanner",),  # core: audit, roles, choices, time ranges, notifications, change routing, queue
    ("events",),
    ("delegations",),
    ("protocol",),
    ("badges", "reminders", "matchmaking"),
    ("planning",),
    ("portal", "demo"),
    ("config",),
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}


def _modules() -> dict[str, Path]:
    modules = {}
    for app in RANK:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """Every module this one imports anywhere in its body, with the line."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
    return found


MODULES = _modules()
EDGES = {name: _imports(name, path) for name, path in MODULES.items()}


def test_modules_are_found():
    assert {"asemplanner.domain.changes", "planning.domain.conflict_checks", "config.settings"} <= set(MODULES)
    assert len(MODULES) > 100


def test_apps_import_only_downwards():
    upward = []
    for name, targets in EDGES.items():
        app = name.split(".")[0]
        for target, line in targets:
            other = target.split(".")[0]
            if other in RANK and other != app and RANK[other] >= RANK[app]:
                upward.append(f"{MODULES[name].relative_to(ROOT)}:{line} ({app}) imports {target} ({other})")
    assert upward == [], "imports against the order of apps:\n" + "\n".join(sorted(set(upward)))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_module_imports_itself_back():
    graph: dict[str, set[str]] = defaultdict(set)
    for name, targets in EDGES.items():
        graph[name] |= {target for target, _line in targets if target in MODULES and target != name}
    assert _cycles(dict(graph)) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
    ids=["two", "chain", "three_and_a_tail"],
)
def test_cycle_finder_finds_cycles(graph, expected):
    assert _cycles(graph) == expected
