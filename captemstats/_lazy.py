"""Lazy attribute loading for package ``__init__`` modules (PEP 562).

``import captemstats`` (or ``captemstats.survival``, ``captemstats.recist``) must stay cheap:
numpy, pandas and scipy load only when a name that needs them is first used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_loader(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each public name in ``names`` (name ->
    defining module) is imported on first access and cached in ``namespace`` (the package's
    ``globals()``), so later look-ups are plain attribute reads."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace.get("__all__", ()), *names})

    return __getattr__, __dir__
