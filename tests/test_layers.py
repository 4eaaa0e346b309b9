"""The layer contract of the library (pyproject ``[tool.captemstats.layers]``, DEVELOPERS.md).

Every ``import`` in ``captemstats/`` is read from the source (module-level, inside functions
and under ``TYPE_CHECKING``: a deferred import is still a dependency) and three rules are
checked:

1. **Layers:** a module imports only modules of its own layer or of a layer below.
2. **No cycles** between modules (a module importing one of its own package's names through
   the package ``__init__`` counts as importing that ``__init__``).
3. **No private modules of another package:** ``captemstats.survival._efron`` may be imported
   inside ``captemstats.survival`` only.

``check_layers`` is also used on a copy of the package with one upward import added, to show
that the contract bites.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "captemstats"


@dataclass(frozen=True)
class Edge:
    """One import: ``source`` imports ``target`` at ``line`` of ``path``."""

    source: str
    target: str
    path: str
    line: int


def load_layers(pyproject: Path = ROOT / "pyproject.toml") -> list[tuple[str, tuple[str, ...]]]:
    """The layers, top first, as (name, module prefixes)."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    order = config["tool"]["captemstats"]["layers"]["order"]
    return [(entry["name"], tuple(entry["modules"])) for entry in order]


def module_name(path: Path, package_dir: Path) -> str:
    parts = path.relative_to(package_dir.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package_dir: Path) -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(p, package_dir): p for p in sorted(package_dir.rglob("*.py"))}


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(package_dir: Path) -> Iterator[Edge]:
    """Every import of a package module by another, wherever it stands in the file."""
    known = modules(package_dir)
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = str(path.relative_to(package_dir.parent))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node, name, path.name == "__init__.py")
                # ``from pkg import sub`` imports the submodule; ``from pkg import name`` the
                # package's ``__init__`` (which defines or re-exports the name)
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
                targets = subs if len(subs) == len(node.names) else [base, *subs]
            for target in targets:
                if target == PACKAGE or target.startswith(PACKAGE + "."):
                    while target not in known and "." in target:
                        target = target.rsplit(".", 1)[0]
                    if target != name:
                        yield Edge(name, target, rel, node.lineno)


def layer_of(module: str, layers: Sequence[tuple[str, tuple[str, ...]]]) -> int | None:
    """Index (0 = top) of the layer whose prefix matches ``module`` longest."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def check_layers(
    package_dir: Path, layers: Sequence[tuple[str, tuple[str, ...]]]
) -> tuple[list[str], list[str]]:
    """(modules in no layer, upward imports) as readable lines."""
    unplaced = [m for m in modules(package_dir) if layer_of(m, layers) is None]
    upward = []
    for edge in imports(package_dir):
        src, dst = layer_of(edge.source, layers), layer_of(edge.target, layers)
        if src is not None and dst is not None and dst < src:
            upward.append(
                f"{edge.path}:{edge.line}: {edge.source} ({layers[src][0]}) imports "
                f"{edge.target} ({layers[dst][0]}), a layer above"
            )
    return unplaced, upward


def cycles(edges: Sequence[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def private_imports(edges: Sequence[Edge]) -> list[str]:
    """Imports of a ``_private`` module from outside the package that holds it."""
    out = []
    for e in edges:
        parts = e.target.split(".")
        for i, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                owner = ".".join(parts[:i])
                if not (e.source == owner or e.source.startswith(owner + ".")):
                    out.append(f"{e.path}:{e.line}: {e.source} imports private {e.target}")
                break
    return out


PACKAGE_DIR = ROOT / PACKAGE
LAYERS = load_layers()
EDGES = list(imports(PACKAGE_DIR))


def test_every_module_has_a_layer() -> None:
    unplaced, _ = check_layers(PACKAGE_DIR, LAYERS)
    assert unplaced == [], "modules in no layer of pyproject [tool.captemstats.layers]"


def test_no_module_imports_a_layer_above() -> None:
    _, upward = check_layers(PACKAGE_DIR, LAYERS)
    assert upward == [], "\n".join(upward)


def test_no_import_cycles() -> None:
    assert cycles(EDGES) == []


def test_no_private_module_of_another_package() -> None:
    found = private_imports(EDGES)
    assert found == [], "\n".join(found)


def test_the_scan_sees_deferred_and_type_only_imports() -> None:
    # analyze() imports the statistics inside the function; analysis imports types under
    # TYPE_CHECKING: both must be edges, or the contract would miss what issue 16 found
    targets = {e.target for e in EDGES if e.source == "captemstats.analysis"}
    assert "captemstats.survival.cox" in targets
    assert "captemstats.validation.report" in targets


@pytest.mark.parametrize(
    ("module", "line"),
    [
        # a statistics module reaching up to the orchestrator, deferred inside a function
        (
            "survival/logrank.py",
            "def _upward() -> None:\n    from captemstats.analysis import analyze\n",
        ),
        # the core importing presentation, type-only
        (
            "errors.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import captemstats.tables\n",
        ),
    ],
)
def test_an_added_upward_import_fails_the_contract(tmp_path: Path, module: str, line: str) -> None:
    copy = tmp_path / PACKAGE
    for path in PACKAGE_DIR.rglob("*.py"):
        target = copy / path.relative_to(PACKAGE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    with (copy / module).open("a", encoding="utf-8") as handle:
        handle.write("\n" + line)
    _, before = check_layers(PACKAGE_DIR, LAYERS)
    _, upward = check_layers(copy, LAYERS)
    added = sorted(set(upward) - set(before))
    assert len(added) == 1 and module in added[0] and "a layer above" in added[0]


def test_layers_have_distinct_names_and_prefixes() -> None:
    names = [name for name, _ in LAYERS]
    prefixes = [p for _, ps in LAYERS for p in ps]
    assert len(set(names)) == len(names)
    assert len(set(prefixes)) == len(prefixes)


def _by_layer(layers: Sequence[tuple[str, tuple[str, ...]]]) -> Mapping[str, list[str]]:
    out: dict[str, list[str]] = {name: [] for name, _ in layers}
    for m in modules(PACKAGE_DIR):
        i = layer_of(m, layers)
        if i is not None:
            out[layers[i][0]].append(m)
    return out


def test_every_layer_holds_a_module() -> None:
    empty = [name for name, mods in _by_layer(LAYERS).items() if not mods]
    assert empty == []
