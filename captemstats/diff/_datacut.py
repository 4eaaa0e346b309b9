"""``diff_datacuts(old, new)``: what changed between two data cuts.

A side is a registry (a folder or workbook :func:`~captemstats.io.read_registry` reads, with
an optional column mapping, or a :class:`~captemstats.io.Registry`), a ``results.json`` file
written by ``captemstats analyze``, its dictionary, or a
:class:`~captemstats.analysis.StudyAnalysis`. Records are compared when both sides are
registries; results are compared whenever both sides have (or can compute) a ``results.json``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from captemstats.analysis import RESULTS_SCHEMA_VERSION, InvalidRegistryError, StudyAnalysis
from captemstats.diff.records import TableDiff, diff_table
from captemstats.diff.results import ResultChanges, diff_results
from captemstats.errors import CaptemError
from captemstats.schema import TABLES

if TYPE_CHECKING:
    from captemstats.io.mapping import ColumnMapping
    from captemstats.io.registry import Registry
    from captemstats.results import JSONObject

#: Version of the ``diff --format json`` layout (:data:`captemstats.diff.DIFF_SCHEMA`).
DIFF_SCHEMA_VERSION = "1.0"

#: Keys every ``results.json`` of schema 1.0 has (``results.schema.json``'s ``required``).
_RESULTS_KEYS = ("schema_version", "attrition", "cohort", "table2", "table3", "survival")


class ResultsReadError(CaptemError):
    """A ``results.json`` cannot be read (missing, not JSON, another schema)."""


class InvalidCutError(InvalidRegistryError):
    """One side of a comparison failed validation; ``report`` lists every problem."""

    def __init__(self, side: str, name: str, report: Any) -> None:
        super().__init__(report)
        self.side = side
        self.args = (
            f"the {side} registry {name} is invalid: {report.n_errors} error(s); "
            "nothing was compared",
        )


@dataclass(frozen=True, slots=True)
class CutSource:
    """One side of a comparison: its kind, its name (never an absolute path) and size."""

    kind: Literal["registry", "results"]
    name: str
    patients: int | None
    fingerprint: str

    def to_dict(self) -> JSONObject:
        return {
            "kind": self.kind,
            "name": self.name,
            "patients": self.patients,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, eq=False)
class RecordChanges:
    """Row-level differences of the three registry tables (:class:`TableDiff` each)."""

    patients: TableDiff
    lesions: TableDiff
    adverse_events: TableDiff

    @property
    def tables(self) -> dict[str, TableDiff]:
        return {
            "patients": self.patients,
            "lesions": self.lesions,
            "adverse_events": self.adverse_events,
        }

    @property
    def any(self) -> bool:
        """True when any row was added, removed or changed."""
        return any(len(t.added) or len(t.removed) or len(t.changed) for t in self.tables.values())

    def summary(self) -> pd.DataFrame:
        """Counts per table, kind of change and field (:meth:`TableDiff.summary`)."""
        return pd.concat([t.summary() for t in self.tables.values()], ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """Every difference of every table (:meth:`TableDiff.to_frame` with ``table``)."""
        parts = [t.to_frame().assign(table=name) for name, t in self.tables.items()]
        frame = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
        return frame[["table", *[c for c in frame.columns if c != "table"]]]

    def to_dict(self) -> JSONObject:
        return {name: t.to_dict() for name, t in self.tables.items()}


@dataclass(frozen=True, eq=False)
class DataCutDiff:
    """What changed from one data cut to the next.

    ``records`` is ``None`` unless both sides are registries; ``results`` is ``None`` when a
    side could not be analysed (``notes`` says why) or results were not asked for.
    """

    old: CutSource
    new: CutSource
    records: RecordChanges | None
    results: ResultChanges | None
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Counts only (no identifier): one row per table, kind of change and field, then
        one per results section and status (``table`` = "results")."""
        parts = [] if self.records is None else [self.records.summary()]
        if self.results is not None:
            counts = (
                self.results.compared.groupby(["section", "status"], sort=False)
                .size()
                .rename("rows")
                .reset_index()
            )
            parts.append(
                pd.DataFrame(
                    {
                        "table": "results",
                        "change": counts["status"],
                        "field": counts["section"],
                        "rows": counts["rows"],
                        "patients": pd.NA,
                    }
                )
            )
        columns = ["table", "change", "field", "rows", "patients"]
        if not parts:
            return pd.DataFrame(columns=columns)
        return pd.concat(parts, ignore_index=True)[columns]

    def to_dict(self) -> JSONObject:
        """The ``diff --format json`` content (:data:`DIFF_SCHEMA_VERSION`): may list patient
        ids — for the data manager, never for a shared document."""
        return {
            "schema_version": DIFF_SCHEMA_VERSION,
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "records": None if self.records is None else self.records.to_dict(),
            "results": None if self.results is None else self.results.to_dict(),
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as strict JSON (NaN written as null)."""
        from captemstats.results_files import json_safe

        return json.dumps(json_safe(self.to_dict()), indent=2, ensure_ascii=False)


def diff_records(old: Registry, new: Registry) -> RecordChanges:
    """Compare the three tables of two registries row by row (:func:`diff_table`), marking
    lesion and adverse-event rows that belong to a patient added or removed.

    Parameters
    ----------
    old, new
        The registries of the earlier and the later cut.

    Returns
    -------
    RecordChanges
        Added, removed and changed rows per table.

    Example
    -------
    >>> from captemstats.io import read_registry
    >>> reg = read_registry("data/registry")
    >>> diff_records(reg, reg).any
    False
    """
    tables = {
        name: diff_table(old.table(name), new.table(name), spec) for name, spec in TABLES.items()
    }
    gone = tables["patients"].removed["patient_id"]
    came = tables["patients"].added["patient_id"]
    for name in ("lesions", "adverse_events"):
        t = tables[name]
        # Rows of a patient who left (or joined) are listed too, flagged, so a removal
        # can be told from a deleted measurement; nothing is folded away.
        tables[name] = dataclasses.replace(
            t,
            removed=t.removed.assign(patient_removed=t.removed["patient_id"].isin(gone)),
            added=t.added.assign(patient_added=t.added["patient_id"].isin(came)),
        )
    return RecordChanges(tables["patients"], tables["lesions"], tables["adverse_events"])


def diff_datacuts(
    old: Any,
    new: Any,
    *,
    mapping: ColumnMapping | str | Path | None = None,
    old_mapping: ColumnMapping | str | Path | None = None,
    encoding: str | None = None,
    results: bool = True,
) -> DataCutDiff:
    """What changed between two data cuts: patients added and removed, records changed by
    field, and the results that moved.

    Parameters
    ----------
    old, new
        Each a registry path (folder or workbook), a ``results.json`` path, a
        :class:`~captemstats.io.Registry`, a :class:`~captemstats.analysis.StudyAnalysis` or
        a ``results.json`` dictionary.
    mapping
        Column mapping for registry paths (both sides unless ``old_mapping`` is given).
    old_mapping
        Column mapping for the old side when the centre's export changed between cuts.
    encoding
        CSV encoding of registry files that are not UTF-8 (e.g. ``cp1254``).
    results
        Analyse registries and compare results (the analysis validates each registry).

    Returns
    -------
    DataCutDiff
        Records (both sides registries) and results (both sides analysable) compared.

    Raises
    ------
    RegistryReadError, ResultsReadError
        A side cannot be read.
    InvalidCutError
        A registry side fails validation (the error says which side).

    Example
    -------
    >>> d = diff_datacuts("data/registry", "data/registry", results=False)
    >>> d.records is not None and d.records.any
    False
    """
    sides = [
        _load(old, old_mapping if old_mapping is not None else mapping, encoding),
        _load(new, mapping, encoding),
    ]
    (old_src, old_obj), (new_src, new_obj) = sides
    notes: list[str] = []
    compared: list[Mapping[str, Any]] = []
    if results:
        for label, src, obj in (("old", old_src, old_obj), ("new", new_src, new_obj)):
            outcome = _results_of(label, src, obj)
            if isinstance(outcome, str):
                notes.append(outcome)
            else:
                compared.append(outcome)
    else:
        for label, src, obj in (("old", old_src, old_obj), ("new", new_src, new_obj)):
            if src.kind == "registry":
                report = obj.validate()
                if not report.ok:
                    raise InvalidCutError(label, src.name, report)
    records = None
    if old_src.kind == "registry" and new_src.kind == "registry":
        records = diff_records(old_obj, new_obj)
    else:
        notes.append("patient records are compared only between two registries")
    result_changes = diff_results(*compared) if len(compared) == 2 else None
    return DataCutDiff(old_src, new_src, records, result_changes, tuple(notes))


def read_results(path: str | Path) -> dict[str, Any]:
    """Read a ``results.json`` written by ``captemstats analyze`` (schema
    :data:`~captemstats.analysis.RESULTS_SCHEMA_VERSION`).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    dict
        Its content.

    Raises
    ------
    ResultsReadError
        Missing, unreadable, not JSON, another schema version or a required key missing.

    Example
    -------
    >>> read_results("no/such/results.json")
    Traceback (most recent call last):
    captemstats.diff._datacut.ResultsReadError: no/such/results.json: cannot read: no such file
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsReadError(f"{path}: cannot read: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsReadError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ResultsReadError(f"{path}: not a results.json (invalid JSON: {exc})") from None
    if not isinstance(data, dict):
        raise ResultsReadError(f"{path}: not a results.json (the top level is not an object)")
    missing = [k for k in _RESULTS_KEYS if k not in data]
    if missing:
        raise ResultsReadError(f"{path}: not a results.json (missing {', '.join(missing)})")
    if data["schema_version"] != RESULTS_SCHEMA_VERSION:
        raise ResultsReadError(
            f"{path}: results.json schema {data['schema_version']!r}; this version reads "
            f"{RESULTS_SCHEMA_VERSION!r}"
        )
    return data


def _load(
    side: Any, mapping: ColumnMapping | str | Path | None, encoding: str | None
) -> tuple[CutSource, Any]:
    """A side as (its description, a Registry or a results dictionary)."""
    from captemstats.io.registry import Registry, read_registry

    if isinstance(side, Registry):
        return _registry_source(side, "<in-memory registry>"), side
    if isinstance(side, StudyAnalysis):
        data = json.loads(side.to_json())
        return _results_source(data, "<analysis>", data), data
    if isinstance(side, Mapping):
        data = dict(side)
        return _results_source(data, "<results>", data), data
    p = Path(side)
    if p.suffix.lower() == ".json":
        data = read_results(p)
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        return CutSource("results", p.name, _n_input(data), digest), data
    registry = read_registry(p, mapping=mapping, encoding=encoding)
    return _registry_source(registry, p.name or str(p)), registry


def _registry_source(registry: Registry, name: str) -> CutSource:
    # The fingerprint is one hash over the file hashes: two cuts with equal files match.
    files = sorted(f"{t}:{info.sha256}" for t, info in registry.sources.items())
    digest = hashlib.sha256("\n".join(files).encode()).hexdigest()
    return CutSource("registry", name, len(registry.patients), digest)


def _results_source(data: Mapping[str, Any], name: str, payload: Any) -> CutSource:
    text = json.dumps(payload, sort_keys=True, default=str).encode()
    return CutSource("results", name, _n_input(data), hashlib.sha256(text).hexdigest())


def _n_input(data: Mapping[str, Any]) -> int | None:
    n = data.get("attrition", {}).get("n_input")
    return int(n) if isinstance(n, int | float) else None


def _results_of(label: str, src: CutSource, obj: Any) -> Mapping[str, Any] | str:
    """A side's results dictionary, or the note saying why it has none."""
    if src.kind == "results":
        out: Mapping[str, Any] = obj
        return out
    from captemstats.analysis import analyze

    try:
        analysis = analyze(obj)
    except InvalidRegistryError as exc:
        raise InvalidCutError(label, src.name, exc.report) from None
    except CaptemError as exc:
        return f"results not compared: the {label} registry {src.name} cannot be analysed: {exc}"
    data: dict[str, Any] = json.loads(analysis.to_json())
    return data
