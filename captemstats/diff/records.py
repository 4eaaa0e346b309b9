"""Record-level comparison of two data cuts: rows added, removed and changed, per table.

Rows are paired by each table's natural key (:mod:`captemstats.schema`: ``patient_id`` for
patients; ``patient_id, assessment_date, lesion_id`` for lesions; ``patient_id, term, grade,
onset_date`` for adverse events). A key that repeats inside one cut (two grade-2 nausea events
without an onset date) is paired in file order: the k-th such row of the old cut with the k-th
of the new cut (the ``occurrence`` key part). A row whose key changes (a moved assessment date)
is therefore a removal plus an addition, never a silent edit.

Everything is vectorised: one merge of the key columns gives the row pairs, then each field is
compared column-wise on the paired positions (no Python loop over rows), so a 10^6-patient
registry costs a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from captemstats.schema import TABLES, TableSpec

if TYPE_CHECKING:
    from captemstats.results import JSONObject

#: Key part pairing rows whose natural key repeats inside one cut (0 for the first such row).
OCCURRENCE = "occurrence"

#: Columns of :attr:`TableDiff.changed` after the key: the field, both values as text, the
#: difference (new - old; days for dates; empty for text and flags), the source lines.
CHANGE_COLUMNS: tuple[str, ...] = ("field", "old", "new", "delta", "file_line_old", "file_line_new")

#: Kinds of change, in print order.
CHANGES: tuple[str, ...] = ("added", "removed", "changed")


@dataclass(frozen=True, eq=False)
class TableDiff:
    """How one registry table differs between two data cuts.

    ``added`` holds the new cut's rows whose key is absent from the old cut, ``removed`` the
    old cut's rows absent from the new one (typed, with ``file_line``: the line in the source file,
    header = 1); ``changed`` one row per changed value (key, :data:`CHANGE_COLUMNS`).
    ``n_old``/``n_new`` are the row counts of each cut.
    """

    table: str
    key: tuple[str, ...]
    n_old: int
    n_new: int
    added: pd.DataFrame
    removed: pd.DataFrame
    changed: pd.DataFrame

    @property
    def n_changed_rows(self) -> int:
        """Rows present in both cuts with at least one changed value."""
        if self.changed.empty:
            return 0
        return len(self.changed.drop_duplicates(list(self.key_columns)))

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The pairing key: the natural key plus :data:`OCCURRENCE` (not for patients)."""
        return self.key if self.table == "patients" else (*self.key, OCCURRENCE)

    def changed_by_field(self) -> pd.DataFrame:
        """Changed values per field: ``field``, ``values``, ``patients`` (distinct), in the
        schema's column order. Counts only (no identifier): what the appendix prints."""
        order = {c: i for i, c in enumerate(TABLES[self.table].names)}
        if self.changed.empty:
            return pd.DataFrame({"field": [], "values": [], "patients": []}).astype(
                {"field": "string", "values": "int64", "patients": "int64"}
            )
        grouped = self.changed.groupby("field", sort=False).agg(
            values=("field", "size"), patients=("patient_id", "nunique")
        )
        grouped = grouped.reset_index()
        grouped = grouped.sort_values("field", key=lambda s: s.map(order), kind="stable")
        return grouped.reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Counts per kind of change: ``table``, ``change``, ``field`` ("" for whole rows),
        ``rows`` (rows, or values for a changed field) and ``patients`` (distinct)."""
        rows: list[dict[str, Any]] = [
            {
                "table": self.table,
                "change": kind,
                "field": "",
                "rows": len(frame),
                "patients": int(frame["patient_id"].nunique()),
            }
            for kind, frame in (("added", self.added), ("removed", self.removed))
        ]
        rows += [
            {
                "table": self.table,
                "change": "changed",
                "field": str(r["field"]),
                "rows": int(r["values"]),
                "patients": int(r["patients"]),
            }
            for r in self.changed_by_field().to_dict("records")
        ]
        return pd.DataFrame(rows, columns=["table", "change", "field", "rows", "patients"])

    def to_frame(self) -> pd.DataFrame:
        """Every difference, one row each: ``change`` (added/removed/changed), the key, and
        for a changed value :data:`CHANGE_COLUMNS` (whole-row changes leave them empty)."""
        keys = list(self.key_columns)
        parts = [
            _key_frame(self.added, keys).assign(
                change="added", file_line_new=self.added["file_line"]
            ),
            _key_frame(self.removed, keys).assign(
                change="removed", file_line_old=self.removed["file_line"]
            ),
            self.changed.assign(change="changed"),
        ]
        cols = ["change", *keys, *CHANGE_COLUMNS]
        frame = pd.concat([p.reindex(columns=cols) for p in parts if len(p)], ignore_index=True)
        return frame.reindex(columns=cols)

    def to_dict(self, *, rows: bool = True) -> JSONObject:
        """JSON-ready content: counts, and (``rows=True``) the added/removed rows as text and
        every changed value. Patients' added/removed rows are listed by id only."""
        out: dict[str, Any] = {
            "key": list(self.key_columns),
            "n_old": self.n_old,
            "n_new": self.n_new,
            "n_added": len(self.added),
            "n_removed": len(self.removed),
            "n_changed_rows": self.n_changed_rows,
            "n_changed_values": len(self.changed),
            "changed_by_field": {
                str(r["field"]): int(r["values"])
                for r in self.changed_by_field().to_dict("records")
            },
        }
        if rows:
            if self.table == "patients":
                out["added"] = self.added["patient_id"].astype(str).tolist()
                out["removed"] = self.removed["patient_id"].astype(str).tolist()
            else:
                out["added"] = _records(self._as_text(self.added))
                out["removed"] = _records(self._as_text(self.removed))
            out["changed"] = _records(self.changed)
        return out

    def _as_text(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Registry cells as the file's text; ``file_line``, ``occurrence`` and the
        ``patient_*`` flags stay numbers and booleans."""
        names = set(TABLES[self.table].names)
        out = display_frame(rows[[c for c in rows.columns if c in names]])
        for col in (c for c in rows.columns if c not in names):
            out[col] = rows[col].astype(object).to_numpy()
        return out[list(rows.columns)]


def diff_table(old: pd.DataFrame, new: pd.DataFrame, spec: TableSpec) -> TableDiff:
    """Compare one table of two cuts (typed frames as :func:`~captemstats.io.read_registry`
    gives them; the index holds the source line) by the table's natural key.

    Parameters
    ----------
    old, new
        The table in the earlier and the later cut.
    spec
        The table's :class:`~captemstats.schema.TableSpec` (its ``key`` pairs the rows).

    Returns
    -------
    TableDiff
        Rows added and removed, and every changed value with the field, both values and the
        source lines.

    Example
    -------
    >>> import pandas as pd
    >>> from captemstats.schema import ADVERSE_EVENTS
    >>> from captemstats.io import empty_table
    >>> old = empty_table(ADVERSE_EVENTS)
    >>> diff_table(old, old, ADVERSE_EVENTS).n_changed_rows
    0
    """
    key = list(spec.key)
    keys = key if spec.name == "patients" else [*key, OCCURRENCE]
    fields = [c for c in spec.names if c not in key and c in old.columns and c in new.columns]
    pairs = _pairs(old, new, key, occurrence=OCCURRENCE in keys)
    side = pairs["_merge"].to_numpy()
    both = pairs.loc[side == "both"].reset_index(drop=True)
    i_old = both["_pos_old"].to_numpy(dtype=np.int64)
    i_new = both["_pos_new"].to_numpy(dtype=np.int64)
    changed: list[pd.DataFrame] = []
    for rank, f in enumerate(fields):  # a loop over columns, not rows
        a = old[f].iloc[i_old].reset_index(drop=True)
        b = new[f].iloc[i_new].reset_index(drop=True)
        mask = _differs(a, b)
        if not mask.any():
            continue
        # Key values as the old cut holds them (typed), in the old file's order.
        part = old[key].iloc[i_old[mask]].reset_index(drop=True)
        if OCCURRENCE in keys:
            part[OCCURRENCE] = both.loc[mask, OCCURRENCE].to_numpy()
        part["_order"] = both.loc[mask, "_order"].to_numpy()
        part["field"] = f
        part["old"] = display_values(a[mask])
        part["new"] = display_values(b[mask])
        part["delta"] = _delta(a[mask], b[mask])
        part["file_line_old"] = both.loc[mask, "_line_old"].to_numpy(dtype=np.int64)
        part["file_line_new"] = both.loc[mask, "_line_new"].to_numpy(dtype=np.int64)
        part["_rank"] = rank
        changed.append(part)
    if changed:
        frame = pd.concat(changed, ignore_index=True)
        frame = frame.sort_values(["_order", "_rank"], kind="stable")
        frame = frame.drop(columns=["_order", "_rank"])
        frame = frame.reset_index(drop=True)
    else:
        frame = pd.DataFrame(columns=[*keys, *CHANGE_COLUMNS])
    removed = _rows(old, pairs.loc[side == "left_only"], "_pos_old", keys)
    added = _rows(new, pairs.loc[side == "right_only"], "_pos_new", keys)
    return TableDiff(spec.name, tuple(key), len(old), len(new), added, removed, frame)


def display_values(values: pd.Series[Any]) -> pd.Series[Any]:
    """Cell values as the text a registry file holds (ISO dates, ``true``/``false``, numbers
    as read), ``None`` for an empty cell. Vectorised."""
    s = values.reset_index(drop=True)
    missing = s.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        text = s.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_bool_dtype(s.dtype):
        text = s.astype("boolean").map({True: "true", False: "false"})
    else:
        text = s.astype("string")
    out: pd.Series[Any] = text.astype(object)
    out[missing] = None
    return out


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column of ``frame`` through :func:`display_values` (for JSON and text)."""
    return pd.DataFrame({c: display_values(frame[c]) for c in frame.columns})


def _pairs(
    old: pd.DataFrame, new: pd.DataFrame, key: list[str], *, occurrence: bool
) -> pd.DataFrame:
    """Row pairs of the two cuts: ``_pos_old``/``_pos_new`` (positions), ``_line_old``/
    ``_line_new`` (source lines), the occurrence, ``_order`` and ``_merge`` (both, left_only =
    removed, right_only = added).

    The keys of both cuts are factorised together once (one integer code per distinct key),
    so the merge and the occurrence count run on integers, not on strings and dates.
    """
    n_old = len(old)
    keyed = pd.concat(
        [pd.DataFrame({k: _key_values(f[k]) for k in key}) for f in (old, new)],
        ignore_index=True,
    )
    code = keyed.groupby(key, dropna=False, sort=False).ngroup().to_numpy(dtype=np.int64)
    sides = []
    for frame, codes in ((old, code[:n_old]), (new, code[n_old:])):
        part = pd.DataFrame(
            {
                "_code": codes,
                "_pos": np.arange(len(codes), dtype=np.int64),
                "_line": np.asarray(frame.index, dtype=np.int64),
            }
        )
        part[OCCURRENCE] = part.groupby("_code", sort=False).cumcount() if occurrence else 0
        sides.append(part)
    pairs = sides[0].merge(
        sides[1], on=["_code", OCCURRENCE], how="outer", suffixes=("_old", "_new"), indicator=True
    )
    # Codes number keys by first appearance (old file first), so this is the old file's
    # order with the new cut's additions after it.
    pairs = pairs.sort_values(["_code", OCCURRENCE], kind="stable").reset_index(drop=True)
    pairs["_order"] = np.arange(len(pairs), dtype=np.int64)
    return pairs


def _key_values(values: pd.Series[Any]) -> pd.Series[Any]:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.astype("datetime64[ns]")
    if pd.api.types.is_integer_dtype(values.dtype) or pd.api.types.is_float_dtype(values.dtype):
        return values.astype("Float64")
    return values.astype("string")


def _differs(a: pd.Series[Any], b: pd.Series[Any]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """True where a paired value changed; two empty cells are equal."""
    if a.dtype != b.dtype or isinstance(a.dtype, pd.CategoricalDtype):
        # Different dtypes (a column empty in one cut) or categoricals with different
        # categories cannot be compared directly; their text can.
        a, b = display_values(a).astype("string"), display_values(b).astype("string")
    both_missing = a.isna().to_numpy() & b.isna().to_numpy()
    equal = np.asarray((a == b).to_numpy(dtype=bool, na_value=False))
    out: np.ndarray[Any, np.dtype[np.bool_]] = ~(equal | both_missing)
    return out


def _delta(a: pd.Series[Any], b: pd.Series[Any]) -> pd.Series[Any]:
    """new - old for numbers, in days for dates; NaN otherwise."""
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(a.dtype) and pd.api.types.is_datetime64_any_dtype(
        b.dtype
    ):
        return (b - a).dt.days.astype("float64")
    numeric = pd.api.types.is_numeric_dtype
    if numeric(a.dtype) and numeric(b.dtype) and not pd.api.types.is_bool_dtype(a.dtype):
        diff: pd.Series[Any] = b.astype("float64") - a.astype("float64")
        return diff
    return pd.Series(np.nan, index=a.index)


def _rows(frame: pd.DataFrame, pairs: pd.DataFrame, position: str, keys: list[str]) -> pd.DataFrame:
    """Whole rows of one cut (typed) with their source ``line`` and occurrence counter."""
    pos = pairs[position].to_numpy(dtype=np.int64)
    rows = frame.iloc[pos].copy()
    rows.insert(0, "file_line", np.asarray(rows.index, dtype=np.int64))
    if OCCURRENCE in keys:
        rows[OCCURRENCE] = pairs[OCCURRENCE].to_numpy(dtype=np.int64)
    return rows.reset_index(drop=True)


def _key_frame(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return display_frame(rows[keys]) if len(rows) else pd.DataFrame(columns=keys)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Records with missing values as ``None`` (strict JSON)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): v for k, v in r.items()} for r in clean.to_dict("records")]
