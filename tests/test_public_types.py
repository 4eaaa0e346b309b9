"""No public function of :mod:`captemstats.tables` or :mod:`captemstats.figures` is typed ``Any``.

Issue 17: the builders' parameters and return values name the result classes
(``KaplanMeierResult``, ``CoxResult``, ``CharacteristicsSummary``...), a ``Protocol`` or a
union where a function deliberately accepts several shapes, and ``matplotlib.figure.Figure``
for figures, so an editor completes them. The names are imported under ``TYPE_CHECKING``
(importing the packages stays cheap), so the annotations are resolved here with each
module's namespace plus its ``TYPE_CHECKING`` imports, then walked for ``Any`` (a missing
annotation counts as ``Any``).

Public: every function and public class's methods (including a dataclass ``__init__``) of
the packages' modules without a leading underscore, and every name the package
``__init__`` exports (e.g. ``save_figure`` from ``figures._save``).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import sys
import typing
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

PACKAGES = ("captemstats.tables", "captemstats.figures")

#: Functions allowed an ``Any`` annotation, by qualified name, each with the reason.
EXCEPTIONS: dict[str, str] = {}


@dataclasses.dataclass(frozen=True)
class Public:
    """A public callable and the module whose namespace resolves its annotations."""

    name: str
    func: Callable[..., object]
    module: ModuleType


def type_checking_namespace(module: ModuleType) -> dict[str, object]:
    """The module's globals plus the names its ``if TYPE_CHECKING:`` blocks import."""
    namespace = dict(vars(module))
    source = inspect.getsource(module)
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name != "TYPE_CHECKING":
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                exec(compile(ast.Module([stmt], []), module.__name__, "exec"), namespace)
    return namespace


def _functions_of(owner: object, prefix: str) -> Iterator[tuple[str, Callable[..., object]]]:
    """Public methods (and a dataclass ``__init__``) of a class, unwrapped."""
    for attr, value in vars(owner).items():
        if attr.startswith("_") and not (attr == "__init__" and dataclasses.is_dataclass(owner)):
            continue
        if isinstance(value, classmethod | staticmethod):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        if inspect.isfunction(value):
            yield f"{prefix}.{attr}", value


def public_callables() -> list[Public]:
    found: dict[str, Public] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names = [
            f"{package_name}.{info.name}"
            for info in pkgutil.iter_modules(package.__path__)
            if not info.name.startswith("_")
        ]
        exported = {name: getattr(package, name) for name in getattr(package, "__all__", ())}
        modules = [importlib.import_module(name) for name in names]
        for module in modules:
            for attr, value in vars(module).items():
                if attr.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                    continue
                exported.setdefault(attr, value)
        for value in exported.values():
            owner = sys.modules.get(getattr(value, "__module__", ""), None)
            if owner is None or not owner.__name__.startswith(package_name):
                continue
            qualname = f"{owner.__name__}.{getattr(value, '__qualname__', '')}"
            if inspect.isclass(value):
                for name, func in _functions_of(value, qualname):
                    found[name] = Public(name, func, owner)
            elif inspect.isfunction(value):
                found[qualname] = Public(qualname, inspect.unwrap(value), owner)
    return sorted(found.values(), key=lambda p: p.name)


def contains_any(hint: object) -> bool:
    """``Any`` anywhere in a resolved annotation (a TypedDict's fields included)."""
    if hint is Any:
        return True
    if typing.is_typeddict(hint):
        return any(contains_any(h) for h in typing.get_type_hints(hint).values())
    return any(contains_any(arg) for arg in typing.get_args(hint))


def any_annotations(item: Public) -> list[str]:
    """The parameters (and ``return``) of ``item`` annotated with ``Any`` or not at all."""
    hints = typing.get_type_hints(
        item.func, globalns=type_checking_namespace(item.module), include_extras=True
    )
    signature = inspect.signature(item.func)
    bad = []
    for i, name in enumerate(signature.parameters):
        if i == 0 and name in ("self", "cls"):
            continue
        if name not in hints or contains_any(hints[name]):
            bad.append(name)
    if "return" not in hints or contains_any(hints["return"]):
        bad.append("return")
    return bad


PUBLIC = public_callables()


def test_the_walk_sees_the_builders() -> None:
    names = {p.name for p in PUBLIC}
    expected = {
        "captemstats.figures.km.km_figure",
        "captemstats.figures._save.save_figure",
        "captemstats.figures._theme.publication_theme",
        "captemstats.tables.characteristics.characteristics_table",
        "captemstats.tables.appendix.attrition_table",
        "captemstats.tables.datacut.datacut_tables",
        "captemstats.tables.table.Table.from_rows",
        "captemstats.tables.table.Table.gt",
        "captemstats.tables.table.Table.__init__",
    }
    assert expected <= names, sorted(expected - names)
    assert not any(".__" in n and not n.endswith(".__init__") for n in names)


@pytest.mark.parametrize("item", PUBLIC, ids=lambda p: p.name)
def test_no_public_annotation_is_any(item: Public) -> None:
    bad = any_annotations(item)
    if item.name in EXCEPTIONS:
        assert bad, f"{item.name} is listed in EXCEPTIONS but has no Any annotation any more"
        return
    assert bad == [], f"{item.name}: Any (or no) annotation on {bad}"


def test_exceptions_name_public_functions_with_a_reason() -> None:
    names = {p.name for p in PUBLIC}
    assert all(reason.strip() for reason in EXCEPTIONS.values())
    assert set(EXCEPTIONS) <= names


def test_the_check_bites() -> None:
    # a TYPE_CHECKING name resolves, and Any is found however deeply it is nested
    module = importlib.import_module("captemstats.figures.km")

    def typed(km: KaplanMeierResult, labels: dict[str, list[Any]]) -> Figure:  # noqa: F821
        raise NotImplementedError

    def untyped(km, n: int):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    assert any_annotations(Public("typed", typed, module)) == ["labels"]
    assert any_annotations(Public("untyped", untyped, module)) == ["km", "return"]
    assert contains_any(typing.Union[int, tuple[str, Any]])  # noqa: UP007
    assert not contains_any(dict[str, tuple[int, float]])
