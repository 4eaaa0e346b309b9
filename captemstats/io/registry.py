"""``read_registry``: a registry folder or workbook -> a typed :class:`Registry`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from captemstats.errors import RegistryReadError
from captemstats.io.coerce import (
    ParseContext,
    apply_labels,
    detect_decimal,
    empty_table,
    map_columns,
    parse_table,
    resolve_columns,
)
from captemstats.io.mapping import ColumnMapping, TableMapping, load_mapping
from captemstats.io.problems import (
    PROBLEM_COLUMNS,
    Problem,
    cap_problems,
    empty_problem_frame,
    normalise_problem_frame,
    omitted_frame,
    problem_frame,
    problems_from_frame,
)
from captemstats.io.readers import SourceInfo, locate_tables, read_raw
from captemstats.schema import TABLES, TableSpec

if TYPE_CHECKING:  # pragma: no cover
    from captemstats.validation import ValidationReport


@dataclass(slots=True)
class Registry:
    """A registry read into typed frames.

    ``patients``, ``lesions`` and ``adverse_events`` follow the dtype contract of
    :mod:`captemstats.io.coerce` (every schema column present). **Row provenance:** each
    frame's index is named ``_row`` and holds the row's line in its source file (header =
    line 1; for SPSS/Parquet the record number + 1), so messages can cite it; it is an index,
    not a column, so analysis code sees only schema columns (call ``reset_index(drop=True)``
    for a plain RangeIndex). ``lesions`` is an empty typed frame when the registry has none.
    ``sources`` describes each file read; ``parse_problems`` holds every problem found while
    reading (unreadable cells, unknown codes, missing or unknown columns) as a problem frame,
    at most ``max_problems`` per table, column and rule; ``omitted_problems`` counts the rest
    (columns :data:`~captemstats.io.problems.OMITTED_COLUMNS`). ``unreadable`` holds, per
    table and column, the file lines of *every* cell that could not be read (listed or not),
    so that validation rules do not report those cells a second time.
    """

    patients: pd.DataFrame
    lesions: pd.DataFrame
    adverse_events: pd.DataFrame
    sources: dict[str, SourceInfo] = field(default_factory=dict)
    parse_problems: pd.DataFrame = field(default_factory=empty_problem_frame)
    omitted_problems: pd.DataFrame = field(default_factory=lambda: omitted_frame([]))
    unreadable: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The problems found while parsing, as :class:`Problem` objects."""
        return problems_from_frame(self.parse_problems)

    def table(self, name: str) -> pd.DataFrame:
        """A table by name (``patients``, ``lesions``, ``adverse_events``)."""
        if name not in TABLES:
            raise KeyError(f"no table {name!r}; tables: {', '.join(TABLES)}")
        frame: pd.DataFrame = getattr(self, name)
        return frame

    def validate(
        self, *, today: pd.Timestamp | None = None, max_problems: int | None = 100
    ) -> ValidationReport:
        """Check every rule (see :func:`captemstats.validation.validate`)."""
        from captemstats.validation import validate

        return validate(self, today=today, max_problems=max_problems)


def read_registry(
    path: str | Path,
    *,
    mapping: ColumnMapping | str | Path | None = None,
    encoding: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    dayfirst: bool | None = None,
    max_problems: int | None = 100,
) -> Registry:
    """Read a registry: a folder with ``patients``, ``lesions`` (optional) and
    ``adverse_events`` as ``.csv``/``.tsv``/``.xlsx``/``.sav``/``.parquet`` files (stems
    exactly the table names), or one ``.xlsx`` workbook with a sheet per table.

    CSV: separator sniffed (comma, semicolon, tab) unless ``sep`` is given; decimal mark
    detected per file from the number columns unless ``decimal`` is given; UTF-8 with or
    without BOM, else ``encoding`` (e.g. ``cp1254``, ``latin-1``). Dates ISO or day-first
    (``dayfirst=None`` accepts both and reports month-first-looking dates; ``False`` accepts
    ISO only). ``mapping`` (a :class:`ColumnMapping` or a YAML path) renames and recodes a
    center's own columns first; explicit keyword arguments win over the mapping's settings.

    Bad cells never raise: they are missing in the typed frame and listed in
    ``parse_problems`` as errors (the first ``max_problems`` per table, column and rule; the
    rest counted in ``omitted_problems``; ``None`` lists all). Unreadable input (missing path,
    missing required table, unsupported format, undecodable bytes, a cell over 32 767
    characters) raises :class:`RegistryReadError`.

    Parameters
    ----------
    path
        The registry folder or workbook.
    mapping
        A :class:`ColumnMapping` or the path of its YAML file (a center's own column names
        and codes).
    encoding, sep, decimal
        CSV settings (default: detected as above).
    dayfirst
        How to read dates that are not ISO (see above).
    max_problems
        Problems listed per table, column and rule (the rest are counted).

    Returns
    -------
    Registry
        The typed ``patients``, ``lesions`` and ``adverse_events`` frames, the parse
        problems and where each table came from.

    Raises
    ------
    RegistryReadError
        The input cannot be read at all (see above).

    Examples
    --------
    >>> reg = read_registry("data/registry")
    >>> len(reg.patients), len(reg.lesions), len(reg.adverse_events), len(reg.parse_problems)
    (319, 6201, 917, 0)
    >>> str(reg.patients["captem_start_date"].dtype)
    'datetime64[ns]'
    """
    root = Path(path)
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        mapping = load_mapping(mapping)
    mapping = mapping or ColumnMapping()
    problems = mapping.check()
    if problems:
        raise RegistryReadError(f"column mapping {mapping.source or ''}: " + "; ".join(problems))
    if decimal not in (None, ".", ","):
        raise RegistryReadError(f"decimal must be '.' or ',', not {decimal!r}")
    locations = locate_tables(root, {n: s.required_table for n, s in TABLES.items()})

    frames: dict[str, pd.DataFrame] = {}
    sources: dict[str, SourceInfo] = {}
    found: list[pd.DataFrame] = []
    omitted: list[dict[str, object]] = []
    unreadable: dict[str, dict[str, np.ndarray]] = {}
    for name, spec in TABLES.items():
        if name not in locations:
            frames[name] = empty_table(spec)
            continue
        tm = mapping.table(name)
        raw = read_raw(name, locations[name], encoding=encoding or tm.encoding, sep=sep, typed=True)
        label = raw.source.label
        mapped, column_problems = map_columns(raw.frame, spec, tm, label, raw.source.header_line)
        mapped = apply_labels(mapped, spec, tm)
        mark = detect_decimal(mapped, spec, decimal or tm.decimal)
        ctx = ParseContext(
            table=name,
            file=label,
            decimal=mark,
            dayfirst=dayfirst if dayfirst is not None else tm.dayfirst,
            max_problems=max_problems,
        )
        parsed = parse_table(mapped, spec, ctx, tm)
        frames[name] = parsed.typed
        unreadable[name] = parsed.unreadable
        omitted += parsed.omitted
        sources[name] = replace(raw.source, decimal=mark if raw.source.format == "csv" else None)
        found += [_structural(raw.problems, spec, tm, unreadable[name]), column_problems]
        found.append(parsed.problems)
    parse_problems = (
        normalise_problem_frame(pd.concat([f for f in found if len(f)], ignore_index=True))
        if any(len(f) for f in found)
        else pd.DataFrame(columns=list(PROBLEM_COLUMNS)).pipe(normalise_problem_frame)
    )
    # Structural problems (e.g. 100 000 rows with a field too many) are capped like cells.
    parse_problems, more = cap_problems(parse_problems, max_problems)
    return Registry(
        patients=frames["patients"],
        lesions=frames["lesions"],
        adverse_events=frames["adverse_events"],
        sources=sources,
        parse_problems=parse_problems,
        omitted_problems=omitted_frame(pd.concat([omitted_frame(omitted), more])),
        unreadable=unreadable,
    )


def _structural(
    problems: list[Problem],
    spec: TableSpec,
    mapping: TableMapping,
    unreadable: dict[str, np.ndarray],
) -> pd.DataFrame:
    """Problems found by the file reader (wrong field counts, formulas without a value) as a
    problem frame, their columns named as in the data model. A formula cell's line joins the
    column's unreadable lines (rules must not also call the cell empty)."""
    if not problems:
        return empty_problem_frame()
    frame = problem_frame(problems)
    names = resolve_columns([str(c) for c in frame["column"].dropna().unique()], spec, mapping)
    frame["column"] = frame["column"].map(lambda c: names.get(c, c)).astype("string")
    formula = frame[(frame["rule"] == "formula_without_value") & frame["column"].isin(spec.names)]
    for col, group in formula.groupby("column"):
        lines = group["line"].astype("int64").to_numpy()
        unreadable[str(col)] = np.union1d(unreadable.get(str(col), lines[:0]), lines)
    return frame
