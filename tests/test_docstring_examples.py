"""The reference site's examples run, and every public function is documented (issue 17, item 3).

- Every ``>>>`` example in the docstrings of the public objects of :data:`PACKAGES` (their
  ``__all__``, or the public names a module without ``__all__`` defines) and their methods runs
  with the standard library's :mod:`doctest` (ELLIPSIS, NORMALIZE_WHITESPACE), in the defining
  module's globals (doctest's rule) plus the package's public names, from the checkout's root
  (the examples read ``data/registry``).
- Every page of ``docs/guides/`` is a doctest page and runs the same way.
- Every public function has a numpydoc ``Parameters`` section (when it takes any) and an
  ``Examples`` section; there are no exceptions.

Sphinx is not needed (CI installs ``.[report,test,dev]``): ``python3 tasks.py docs`` builds the
site itself.
"""

from __future__ import annotations

import doctest
import functools
import importlib
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDES = sorted((ROOT / "docs" / "guides").glob("*.rst"))

#: The packages whose public API the reference site documents (docs/api/).
PACKAGES = (
    "captemstats",
    "captemstats.analysis",
    "captemstats.study",
    "captemstats.io",
    "captemstats.cohort",
    "captemstats.recist",
    "captemstats.adverse",
    "captemstats.survival",
    "captemstats.compare",
    "captemstats.tables",
    "captemstats.figures",
    "captemstats.ard",
    "captemstats.scale",
)

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _section(doc: str, title: str) -> bool:
    """Whether ``doc`` has the numpydoc section ``title`` (a heading underlined with dashes)."""
    return re.search(rf"^\s*{title}\n\s*-{{{len(title)}}}\s*$", doc, re.M) is not None


def _public(package: str) -> Iterator[tuple[str, Any]]:
    """(name, object) of each public function and class of ``package``."""
    mod = importlib.import_module(package)
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [
            n
            for n, v in vars(mod).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == package
        ]
    for name in names:
        obj = getattr(mod, name)
        # an exported name must be what it says, never a submodule that shadows it
        assert not inspect.ismodule(obj), f"{package}.{name} is a module"
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


def _namespace(package: str) -> dict[str, Any]:
    """The names a reader of ``package``'s page has: its public names."""
    return {name: obj for name, obj in _public(package)} | {"__name__": package}


def _docstring_tests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    seen: set[tuple[str | None, str | None, int | None]] = set()
    tests = []
    for package in PACKAGES:
        public = _namespace(package)
        for name, obj in _public(package):
            # doctest's own rule (the defining module's globals), plus the package's names
            globs = vars(sys.modules[obj.__module__]) | public
            for test in finder.find(obj, f"{package}.{name}", module=False, globs=globs):
                key = (test.docstring, test.filename, test.lineno)  # re-exported: run once
                if test.examples and key not in seen:
                    seen.add(key)
                    tests.append(test)
    return sorted(tests, key=lambda t: t.name)


def _functions() -> list[tuple[str, Callable[..., Any]]]:
    out: dict[str, Callable[..., Any]] = {}
    for package in PACKAGES:
        for _, obj in _public(package):
            if inspect.isfunction(obj):
                out.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return sorted(out.items())


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run from the checkout's root with ``analyze("data/registry")`` computed once per
    session (the examples call it often; it is deterministic), pandas' default display."""
    import pandas as pd

    import captemstats
    import captemstats.analysis

    monkeypatch.chdir(ROOT)
    cached = _cached_analyze(captemstats.analysis.analyze)
    monkeypatch.setattr(captemstats.analysis, "analyze", cached)
    monkeypatch.setattr(captemstats, "analyze", cached)
    with pd.option_context("display.width", 80, "display.max_columns", 20):
        yield


@functools.cache
def _cached_analyze(real: Callable[..., Any]) -> Callable[..., Any]:
    results: dict[str, Any] = {}

    @functools.wraps(real)
    def analyze(registry: Any, **kwargs: Any) -> Any:
        if not isinstance(registry, str) or kwargs:
            return real(registry, **kwargs)
        if registry not in results:
            results[registry] = real(registry)
        return results[registry]

    return analyze


def _run(test: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


DOCSTRING_TESTS = _docstring_tests()


@pytest.mark.parametrize("test", DOCSTRING_TESTS, ids=[t.name for t in DOCSTRING_TESTS])
def test_docstring_example(test: doctest.DocTest, reader: None) -> None:
    if "analyze" in test.globs:
        test.globs["analyze"] = importlib.import_module("captemstats").analyze
    _run(test)


@pytest.mark.parametrize("page", GUIDES, ids=[p.stem for p in GUIDES])
def test_guide(page: Path, reader: None) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(page.read_text(encoding="utf-8"), {}, page.stem, str(page), 0)
    assert test.examples, f"{page.name} has no example"
    _run(test)


def test_four_guides() -> None:
    assert {p.stem for p in GUIDES} == {"table1", "survival", "cox", "recist"}


FUNCTIONS = _functions()


@pytest.mark.parametrize(("qualname", "func"), FUNCTIONS, ids=[q for q, _ in FUNCTIONS])
def test_public_function_documented(qualname: str, func: Callable[..., Any]) -> None:
    doc = inspect.getdoc(func) or ""
    takes = any(p.name not in ("self", "cls") for p in inspect.signature(func).parameters.values())
    missing = [
        title
        for title, needed in (("Parameters", takes), ("Examples", True))
        if needed and not _section(doc, title)
    ]
    hint = " (numpydoc's heading is 'Examples', not 'Example')" if _section(doc, "Example") else ""
    assert not missing, f"{qualname}: no {' and no '.join(missing)} section{hint}"
