"""String columns: invisible characters in identifiers, spelling variants of free text.

Two ways an export changes results without an error:

* an **identifier** (``patient_id``, ``lesion_id``) holding an invisible character (a BOM,
  NUL, non-breaking or zero-width space) no longer equals the same id in another table, so the
  rows that hold the *correct* id are the ones reported. The invisible character is reported
  at the cell that holds it (rule ``invisible_character``, an error) and removed from the
  typed value, so the other tables' rows still link and are not blamed;
* a **free-text category** (``center``, a lesion's ``organ``, an adverse event's ``term``)
  spelt in several ways (``Ankara Univ.``, ``Ankara  Univ.``, ``ankara univ.``) splits one
  centre into several (a cluster-robust Cox model then has a cluster too many). Values with
  the same :func:`~captemstats.io.text.fold_key` are one value: they are merged into the most
  frequent spelling (for terms, the study's CTCAE v4.0 spelling) and every merge is reported
  as a warning naming the variants, their counts and first lines (rule ``merged_variants``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from captemstats.io.problems import PROBLEM_COLUMNS, omitted_row
from captemstats.io.text import (
    fold_one,
    invisible_characters,
    strip_invisible,
    visible,
)
from captemstats.schema import CTCAE_TERMS, ColumnSpec

#: Identifier columns: an invisible character in them is an error at its cell.
ID_COLUMNS: frozenset[str] = frozenset({"patient_id", "lesion_id"})
#: Free-text category columns whose spelling variants are merged (with a warning).
FREE_TEXT_COLUMNS: frozenset[str] = frozenset({"center", "organ", "term"})
#: Preferred spellings per column (a variant of one of these is written this way).
CANONICAL: dict[str, dict[str, str]] = {"term": {fold_one(t): t for t in CTCAE_TERMS}}


def check_strings(
    s: pd.Series,
    col: ColumnSpec,
    table: str,
    file: str,
    pid: pd.Series | None,
    limit: int | None = 100,
) -> tuple[pd.Series, pd.DataFrame, list[dict[str, object]]]:
    """Check one string column (see the module docstring).

    Parameters
    ----------
    s : pandas.Series
        The column's raw text (stripped, empty cells missing), indexed by file line.
    col : ColumnSpec
        Its data-model column.
    table, file : str
        Table name and file label for the problems.
    pid : pandas.Series or None
        The table's patient ids (for the problems' ``patient_id``).
    limit : int or None
        Problems listed for this column and rule; the rest are counted.

    Returns
    -------
    tuple
        The typed values (``string``), a problem frame and omitted-problem counts.

    Example
    -------
    >>> from captemstats.schema import PATIENTS
    >>> s = pd.Series(["Ankara Univ.", "ankara univ.", "Ankara Univ."], index=[2, 3, 4],
    ...               dtype="string")
    >>> values, problems, _ = check_strings(s, PATIENTS.column("center"), "patients",
    ...                                     "patients.csv", None)
    >>> values.tolist(), problems["rule"].tolist(), int(problems["line"].iloc[0])
    (['Ankara Univ.', 'Ankara Univ.', 'Ankara Univ.'], ['merged_variants'], 3)
    """
    s = s.astype("string")
    if col.name in ID_COLUMNS:
        return _identifiers(s, col, table, file, pid, limit)
    if col.name in FREE_TEXT_COLUMNS:
        values, found, more = _merge_variants(s, col, table, file, pid, limit)
        omitted = [omitted_row("warning", table, file, col.name, "merged_variants", more)]
        return values, found, omitted if more else []
    return s, _frame([]), []


def _identifiers(
    s: pd.Series, col: ColumnSpec, table: str, file: str, pid: pd.Series | None, limit: int | None
) -> tuple[pd.Series, pd.DataFrame, list[dict[str, object]]]:
    found = invisible_characters(s)
    bad = found.notna().to_numpy()
    if not bad.any():
        return s, _frame([]), []
    # Removed from the typed value: the rows of other tables that hold the correct id link.
    clean = strip_invisible(s)
    where = np.flatnonzero(bad)
    more = 0 if limit is None else max(0, len(where) - limit)
    where = where[: len(where) - more]
    raw = s.iloc[where]
    frame = pd.DataFrame(
        {
            "severity": "error",
            "table": table,
            "file": file,
            "line": s.index[where],
            "patient_id": clean.iloc[where].to_numpy() if pid is None else _pid(pid, where),
            "column": col.name,
            "value": [visible(str(v)) for v in raw],
            "rule": "invisible_character",
            "message": [
                f"{col.name} holds an invisible character ({desc}): it would not match the "
                "same id in the other tables; remove it from this cell"
                for desc in found.iloc[where]
            ],
        }
    )
    omitted = [omitted_row("error", table, file, col.name, "invisible_character", more)]
    return clean, frame, omitted if more else []


def _pid(pid: pd.Series, where: np.ndarray) -> np.ndarray:
    return np.asarray(strip_invisible(pid.iloc[where].astype("string")).to_numpy())


def _merge_variants(
    s: pd.Series, col: ColumnSpec, table: str, file: str, pid: pd.Series | None, limit: int | None
) -> tuple[pd.Series, pd.DataFrame, int]:
    """Merged values, the merge warnings (first ``limit`` by line) and how many more."""
    # Work on the distinct spellings (a registry has 34 centres in 300 rows; a garbage file
    # has 100 000 distinct values, still one pass in C over the rows).
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    if not len(uniq):
        return s, _frame([]), 0
    valid = codes >= 0
    lines = np.asarray(s.index, dtype="int64")
    first = np.full(len(uniq), np.iinfo(np.int64).max, dtype="int64")
    np.minimum.at(first, codes[valid], lines[valid])
    spellings = pd.DataFrame(
        {
            "raw": np.asarray(uniq, dtype=object),
            "key": [fold_one(str(u)) for u in uniq],
            "n": np.bincount(codes[valid], minlength=len(uniq)),
            "first": first,
        }
    ).sort_values(["key", "n", "first"], ascending=[True, False, True], kind="stable")
    # Per key, the most frequent spelling (ties: the first in the file), or the preferred one.
    preferred = CANONICAL.get(col.name, {})
    head = spellings.drop_duplicates("key")
    canonical = dict(zip(head["key"], head["raw"], strict=True))
    canonical.update({k: v for k, v in preferred.items() if k in canonical})
    canonical[""] = None  # a cell of invisible characters only is empty
    target = np.array([canonical[k] for k in spellings["key"]] + [None], dtype=object)
    order = np.empty(len(uniq) + 1, dtype="int64")
    order[spellings.index.to_numpy()] = np.arange(len(uniq))
    order[-1] = len(uniq)  # missing (code -1) -> the trailing None
    values = pd.Series(target[order[codes]], index=s.index, dtype="string")

    merged = spellings[spellings["key"].duplicated(keep=False) & spellings["key"].ne("")]
    if merged.empty:
        return values, _frame([]), 0
    # Ordered by the line each warning cites: the first row of a spelling that was changed.
    changed = merged[merged["raw"].to_numpy() != merged["key"].map(canonical).to_numpy()]
    starts = changed.groupby("key", sort=False)["first"].min().sort_values(kind="stable")
    more = 0 if limit is None else max(0, len(starts) - limit)
    listed = set(starts.index[: len(starts) - more])
    rows = [
        _merge_row(group, str(canonical[k]), col, table, file, pid)
        for k, group in merged[merged["key"].isin(listed)].groupby("key", sort=False)
    ]
    found = _frame(rows).sort_values("line", kind="stable").reset_index(drop=True)
    return values, found, more


def _merge_row(
    group: pd.DataFrame, target: str, col: ColumnSpec, table: str, file: str, pid: pd.Series | None
) -> dict[str, object]:
    """The warning of one merge: every spelling with its count and first line."""
    others = group[group["raw"] != target]
    line = int(others["first"].min())
    listing = ", ".join(
        f"{visible(str(r))} ({int(n)} row{'s' if n != 1 else ''}, first on line {int(f)})"
        for r, n, f in group[["raw", "n", "first"]].itertuples(index=False)
    )
    return {
        "severity": "warning",
        "table": table,
        "file": file,
        "line": line,
        "patient_id": None if pid is None else pid.astype("string").get(line),
        "column": col.name,
        "value": "; ".join(visible(str(r)) for r in others["raw"]),
        "rule": "merged_variants",
        "message": f"{len(group)} spellings of one {col.name} merged as {visible(target)} "
        f"({int(group['n'].sum())} rows): {listing}; if they are different, give them names "
        "that differ in more than case or spacing",
    }


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))


__all__ = ["CANONICAL", "FREE_TEXT_COLUMNS", "ID_COLUMNS", "check_strings"]
