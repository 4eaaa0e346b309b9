"""Stages for registries larger than memory (the ``scale`` extra: DuckDB).

:func:`partitioned_best_response` gives RECIST 1.1 best responses of a lesions table of any
size within a memory limit, equal to the in-memory :mod:`captemstats.recist` result; the
DuckDB connection and the memory-limit spelling are in :mod:`captemstats.scale.engine`.
Submodules load lazily: importing the package needs neither pandas nor DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from captemstats._lazy import lazy_loader

_LAZY: dict[str, str] = {
    "PartitionedResponses": "captemstats.scale.recist_stage",
    "partitioned_best_response": "captemstats.scale.recist_stage",
    "ScaleUnavailableError": "captemstats.scale.engine",
    "memory_bytes": "captemstats.scale.engine",
}

__all__ = [
    "PartitionedResponses",
    "ScaleUnavailableError",
    "memory_bytes",
    "partitioned_best_response",
]

if TYPE_CHECKING:  # pragma: no cover
    from captemstats.scale.engine import ScaleUnavailableError, memory_bytes
    from captemstats.scale.recist_stage import PartitionedResponses, partitioned_best_response


__getattr__, __dir__ = lazy_loader("captemstats.scale", _LAZY, globals())
