"""captemstats: reproduce and rerun the multicenter CAPTEM study of metastatic NETs.

Heavy modules are imported lazily: ``import captemstats`` is cheap, and attributes such as
:func:`read_registry` load their module on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from captemstats._lazy import lazy_loader
from captemstats._version import __version__

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "analyze": "captemstats.analysis",
    "StudyAnalysis": "captemstats.analysis",
    "read_registry": "captemstats.io",
    "Registry": "captemstats.io",
    "validate": "captemstats.validation",
    "ValidationReport": "captemstats.validation",
}

__all__ = [
    "Registry",
    "StudyAnalysis",
    "ValidationReport",
    "__version__",
    "analyze",
    "read_registry",
    "validate",
]

if TYPE_CHECKING:  # pragma: no cover
    from captemstats.analysis import StudyAnalysis, analyze
    from captemstats.io import Registry, read_registry
    from captemstats.validation import ValidationReport, validate


__getattr__, __dir__ = lazy_loader("captemstats", _LAZY, globals())
