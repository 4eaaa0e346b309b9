"""No ``Any`` in a public signature or result field of the documented packages (issue 17, item 2).

"Typed to the edges": the public functions' parameters and return values, the public classes'
methods and properties, and the fields of the public (result) dataclasses name precise types
(the result classes, ``pandas.DataFrame``, ``npt.NDArray[np.float64]``, ``npt.ArrayLike``,
unions, ``Protocol`` and ``TypedDict`` classes, ``matplotlib.figure.Figure``, ``great_tables.GT``,
:data:`captemstats.results.JSONValue` for the ``to_dict()`` documents...), so an editor
completes them and mypy checks the caller. ``test_no_public_annotation_is_any`` prints every
offender.

Public
    For every package of :data:`PACKAGES` (the packages the reference site documents, the same
    tuple as ``tests/test_docstring_examples.py``): the names of its ``__all__`` (or, without
    one, the public names it defines), and, for :mod:`captemstats.tables` and
    :mod:`captemstats.figures` (checked so since before this item), also every public name
    defined in their public submodules. Of each function: every parameter and the return. Of
    each class: its public methods (a dataclass's ``__init__`` too), the ``fget`` of its
    properties (and ``cached_property`` functions) and, for a dataclass, each field. Then,
    transitively, the same of every ``captemstats`` class those annotations name (the type of
    a result's field, e.g. ``StudyAnalysis.provenance``: a user reaches its members through
    the public API, whatever module defines it). Names with a leading underscore and dunder
    methods (other than a dataclass ``__init__``) are skipped.

Resolution
    The names are often imported under ``TYPE_CHECKING`` (importing the packages stays cheap),
    so each annotation is resolved with the defining module's namespace plus its
    ``TYPE_CHECKING`` block (imports and aliases; a dataclass field with the namespace of the
    class in the MRO that declares it), with ``typing.get_type_hints(..., include_extras=True)``,
    then walked recursively with ``typing.get_args`` (a ``TypedDict``'s fields and an
    ``Unpack[...]``'d ``**kwargs`` too) for ``typing.Any``. A missing annotation counts as
    ``Any``. numpy's own spelling is not counted (see :func:`contains_any`): ``NDArray[X]``'s
    any-shape ``tuple[Any, ...]`` and the internals of ``npt.ArrayLike``; ``NDArray[Any]`` is.

Keyword pass-through (``**kwargs`` forwarded to another function or a third-party library)
    Not exempt. Where the callee's keywords are known the annotation names them: e.g.
    ``univariable_cox(..., **kwargs: Unpack[CoxOptions])``, a ``TypedDict`` of the
    :func:`~captemstats.survival.cox_ph` options it passes on. Where a pass-through genuinely
    accepts anything (a matplotlib or great_tables keyword) the type is ``object`` (or a named
    alias of it), never ``Any``: for an input ``object`` is type-safe (the function can do
    nothing with the value but pass it on) while ``Any`` switches checking off. Returns are
    never ``object`` for convenience: a figure is ``matplotlib.figure.Figure``, a table
    ``great_tables.GT``.

Exceptions
    :data:`EXCEPTIONS` names the items allowed an ``Any``, each with its reason; an exception
    that no longer has an ``Any`` fails, so the list only shrinks.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import dataclasses
import functools
import importlib
import inspect
import pkgutil
import sys
import types
import typing
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

#: The documented packages: the reference site's (one list, kept with the docstring tests).
from test_docstring_examples import PACKAGES

#: Packages whose public submodules' public names are checked too (not only the exports).
DEEP = ("captemstats.tables", "captemstats.figures")

#: Public items allowed an ``Any`` annotation, by qualified name, each with the reason.
EXCEPTIONS: dict[str, str] = {}


@dataclasses.dataclass(frozen=True)
class Public:
    """A public callable (or a dataclass's fields) and the module that resolves its annotations.

    ``func`` is a function, or for ``kind == "fields"`` the dataclass itself.
    """

    name: str
    func: Callable[..., object]
    module: ModuleType
    kind: str = "function"


_NAMESPACES: dict[str, dict[str, object]] = {}


def type_checking_namespace(module: ModuleType) -> dict[str, object]:
    """The module's globals plus the names its ``if TYPE_CHECKING:`` blocks import or define."""
    cached = _NAMESPACES.get(module.__name__)
    if cached is not None:
        return cached
    namespace = dict(vars(module))
    source = inspect.getsource(module)
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name != "TYPE_CHECKING":
            continue
        # the imports and the aliases (``IntArray = npt.NDArray[np.int64]``) of the block
        with _stub_generics():
            exec(compile(ast.Module(node.body, []), module.__name__, "exec"), namespace)
    _NAMESPACES[module.__name__] = namespace
    return namespace


class _Names(dict[str, object]):
    """A resolution namespace that also finds the names an imported alias refers to.

    A recursive alias such as :data:`captemstats.results.JSONValue` holds the forward
    reference ``"JSONValue"``, which ``get_type_hints`` evaluates in the *using* module's
    namespace; a name missing there is looked up in the loaded ``captemstats`` modules (it
    must be one object wherever it is found)."""

    def __missing__(self, name: str) -> object:
        if hasattr(builtins, name):
            raise KeyError(name)
        found = {
            id(value): value
            for module_name, module in list(sys.modules.items())
            if module_name.startswith("captemstats") and module is not None
            for value in [vars(module).get(name, _NOTHING)]
            if value is not _NOTHING
        }
        if len(found) != 1:
            raise KeyError(name)
        return next(iter(found.values()))


_NOTHING = object()


def _functions_of(owner: type, prefix: str) -> Iterator[tuple[str, Callable[..., object]]]:
    """Public methods, property getters (and a dataclass ``__init__``) of a class, unwrapped."""
    for attr, value in vars(owner).items():
        if attr.startswith("_") and not (attr == "__init__" and dataclasses.is_dataclass(owner)):
            continue
        if isinstance(value, classmethod | staticmethod):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        elif isinstance(value, functools.cached_property):
            value = value.func
        if inspect.isfunction(value):
            yield f"{prefix}.{attr}", inspect.unwrap(value)


def _exported(package_name: str) -> dict[str, object]:
    """The package's public names (``tests/test_docstring_examples.py``'s ``_public`` rule)."""
    package = importlib.import_module(package_name)
    names = getattr(package, "__all__", None)
    if names is None:
        names = [
            n
            for n, v in vars(package).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == package_name
        ]
    return {name: getattr(package, name) for name in names}


def _deep(package_name: str) -> dict[str, object]:
    """Public names defined in the package's public submodules."""
    package = importlib.import_module(package_name)
    found: dict[str, object] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package_name}.{info.name}")
        for attr, value in vars(module).items():
            if attr.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                continue
            found.setdefault(attr, value)
    return found


def _add_class(found: dict[str, Public], cls: type) -> None:
    owner = sys.modules[cls.__module__]
    qualname = f"{owner.__name__}.{cls.__qualname__}"
    for name, func in _functions_of(cls, qualname):
        found.setdefault(name, Public(name, func, owner))
    if dataclasses.is_dataclass(cls):
        name = f"{qualname}.<fields>"
        found.setdefault(name, Public(name, cls, owner, "fields"))


def _classes_in(hint: object) -> Iterator[type]:
    """The ``captemstats`` classes a resolved annotation names (not a TypedDict's fields:
    :func:`contains_any` walks those)."""
    if inspect.isclass(hint) and hint.__module__.startswith("captemstats"):
        yield hint
    if typing.is_typeddict(hint):
        return
    for arg in typing.get_args(hint):
        yield from _classes_in(arg)


def public_items() -> list[Public]:
    found: dict[str, Public] = {}
    for package_name in PACKAGES:
        values = list(_exported(package_name).values())
        if package_name in DEEP:
            values += list(_deep(package_name).values())
        for value in values:
            if not (inspect.isclass(value) or inspect.isfunction(value)):
                continue
            owner = sys.modules.get(getattr(value, "__module__", ""), None)
            if owner is None or not owner.__name__.startswith("captemstats"):
                continue
            if inspect.isclass(value):
                _add_class(found, value)
            else:
                qualname = f"{owner.__name__}.{value.__qualname__}"
                found.setdefault(qualname, Public(qualname, inspect.unwrap(value), owner))
    # the classes the public annotations name (a result's field type, a parameter's class),
    # transitively: a user reaches their public members through the public API
    todo = list(found.values())
    while todo:
        item = todo.pop()
        for hint in hints(item).values():
            for cls in _classes_in(hint):
                before = set(found)
                _add_class(found, cls)
                todo += [found[name] for name in set(found) - before]
    return sorted(found.values(), key=lambda p: p.name)


def contains_any(hint: object) -> bool:
    """``Any`` anywhere in a resolved annotation (a TypedDict's fields included).

    numpy's own spelling is not the annotation's: ``npt.NDArray[X]`` is ``ndarray[tuple[Any,
    ...], dtype[X]]`` (any shape), so only ``X`` is walked, and the parts of ``npt.ArrayLike``
    (``numpy._typing``'s ``_SupportsArray[dtype[Any]]``, ``_NestedSequence``...) are numpy's
    definition of "anything convertible to an array", not walked. ``npt.NDArray[Any]`` is
    still ``Any``.
    """
    if hint is Any:
        return True
    if typing.is_typeddict(hint):
        return any(contains_any(h) for h in typing.get_type_hints(hint).values())
    origin = typing.get_origin(hint)
    if origin is not None and getattr(origin, "__module__", "").startswith("numpy._typing"):
        return False
    args = typing.get_args(hint)
    if origin is np.ndarray and len(args) == 2:
        args = args[1:]  # the dtype, not the shape
    return any(contains_any(arg) for arg in args)


def _field_hints(cls: type) -> dict[str, object]:
    """The resolved annotation of each field of a dataclass, each with the namespace of the
    class in the MRO that declares it."""
    hints: dict[str, object] = {}
    for base in reversed(cls.__mro__):
        own = inspect.get_annotations(base)
        if not own:
            continue
        module = sys.modules[base.__module__]
        namespace = type_checking_namespace(module) if module.__name__ else {}
        resolved = typing.get_type_hints(
            base, globalns=namespace, localns=_Names(namespace | vars(base)), include_extras=True
        )
        hints.update({name: resolved[name] for name in own if name in resolved})
    return hints


#: Classes that pandas-stubs declares generic but that are not subscriptable at run time
#: (``pd.Series[float]`` in an annotation): subscriptable while annotations are resolved here.
STUB_GENERICS = ("pandas.Series", "pandas.Index")


@contextlib.contextmanager
def _stub_generics() -> Iterator[None]:
    classes = []
    for dotted in STUB_GENERICS:
        module, _, name = dotted.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        if "__class_getitem__" not in vars(cls):
            classes.append(cls)
    try:
        for cls in classes:
            cls.__class_getitem__ = classmethod(types.GenericAlias)
        yield
    finally:
        for cls in classes:
            del cls.__class_getitem__


def any_annotations(item: Public) -> list[str]:
    """The parameters (and ``return``) or fields of ``item`` annotated ``Any`` or not at all."""
    with _stub_generics():
        return _any_annotations(item)


def hints(item: Public) -> dict[str, object]:
    """The resolved annotations of ``item``: of its parameters and return, or its fields."""
    with _stub_generics():
        if item.kind == "fields":
            return _field_hints(typing.cast(type, item.func))
        namespace = type_checking_namespace(item.module)
        return typing.get_type_hints(
            item.func, globalns=namespace, localns=_Names(namespace), include_extras=True
        )


def _any_annotations(item: Public) -> list[str]:
    resolved = hints(item)
    if item.kind == "fields":
        return [
            f.name
            for f in dataclasses.fields(typing.cast(type, item.func))
            if not f.name.startswith("_")
            and (f.name not in resolved or contains_any(resolved[f.name]))
        ]
    signature = inspect.signature(item.func)
    bad = []
    for i, name in enumerate(signature.parameters):
        if i == 0 and name in ("self", "cls"):
            continue
        if name not in resolved or contains_any(resolved[name]):
            bad.append(name)
    if "return" not in resolved or contains_any(resolved["return"]):
        bad.append("return")
    return bad


PUBLIC = public_items()


def offenders() -> list[str]:
    """Every public item with an ``Any`` (or missing) annotation, as ``name: [where]``."""
    return [f"{p.name}: {bad}" for p in PUBLIC if (bad := any_annotations(p))]


def test_the_walk_sees_the_public_api() -> None:
    names = {p.name for p in PUBLIC}
    expected = {
        "captemstats.analysis.analyze",
        "captemstats.io.registry.read_registry",
        "captemstats.survival.km.kaplan_meier",
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
    assert any(n.endswith(".<fields>") for n in names)
    assert not any(".__" in n and not n.endswith(".__init__") for n in names)


def test_no_public_annotation_is_any() -> None:
    bad = [o for o in offenders() if o.split(":")[0] not in EXCEPTIONS]
    print("\n".join(bad))
    assert bad == [], f"{len(bad)} public items typed Any (or not at all):\n" + "\n".join(bad)


def test_exceptions_name_public_items_with_a_reason() -> None:
    names = {p.name for p in PUBLIC}
    assert all(reason.strip() for reason in EXCEPTIONS.values())
    assert set(EXCEPTIONS) <= names
    for item in PUBLIC:
        if item.name in EXCEPTIONS:
            assert any_annotations(item), f"{item.name} is an exception with no Any any more"


def test_the_check_bites() -> None:
    # a TYPE_CHECKING name resolves, and Any is found however deeply it is nested
    module = importlib.import_module("captemstats.figures.km")

    def typed(km: KaplanMeierResult, labels: dict[str, list[Any]]) -> Figure:  # noqa: F821
        raise NotImplementedError

    def untyped(km, n: int):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def kwargs(**kw: Any) -> Callable[..., Any]:
        raise NotImplementedError

    assert any_annotations(Public("typed", typed, module)) == ["labels"]
    assert any_annotations(Public("untyped", untyped, module)) == ["km", "return"]
    here = sys.modules[__name__]
    assert any_annotations(Public("kwargs", kwargs, here)) == ["kw", "return"]
    assert contains_any(typing.Union[int, tuple[str, Any]])  # noqa: UP007
    assert not contains_any(dict[str, tuple[int, float]])
    assert not contains_any(object)
    # numpy: any shape is not Any, an unknown dtype is
    assert not contains_any(npt.NDArray[np.float64] | None)
    assert not contains_any(npt.ArrayLike | str)
    assert contains_any(npt.NDArray[Any])
    assert contains_any(tuple[npt.ArrayLike, Any])


def test_the_check_sees_dataclass_fields_and_properties() -> None:
    module = sys.modules[__name__]

    @dataclasses.dataclass(frozen=True)
    class Base:
        ok: int
        loose: dict[str, Any]

    @dataclasses.dataclass(frozen=True)
    class Result(Base):
        also: list[Any] | None = None
        fine: str = ""

        @property
        def shape(self) -> Any:
            raise NotImplementedError

    assert any_annotations(Public("Result", Result, module, "fields")) == ["loose", "also"]
    found = dict(_functions_of(Result, "Result"))
    assert "Result.shape" in found
    assert any_annotations(Public("shape", found["Result.shape"], module)) == ["return"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_contributes(package: str) -> None:
    assert any(p.module.__name__.startswith(package) for p in PUBLIC), package
