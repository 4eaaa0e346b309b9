"""Registry input: read a center's files (CSV, XLSX, SPSS, Parquet) into typed frames.

Public API: :func:`read_registry`, :class:`Registry`, :class:`SourceInfo`,
:func:`load_mapping`, :class:`ColumnMapping`, :class:`TableMapping`, :class:`Problem`.
"""

from __future__ import annotations

from captemstats.io.adam import read_adam
from captemstats.io.coerce import empty_table
from captemstats.io.mapping import ColumnMapping, MappingError, TableMapping, load_mapping
from captemstats.io.problems import Problem
from captemstats.io.readers import ROW_INDEX, SourceInfo
from captemstats.io.registry import Registry, read_registry

__all__ = [
    "ROW_INDEX",
    "ColumnMapping",
    "MappingError",
    "Problem",
    "Registry",
    "SourceInfo",
    "TableMapping",
    "empty_table",
    "load_mapping",
    "read_adam",
    "read_registry",
]
