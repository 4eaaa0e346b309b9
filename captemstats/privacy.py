"""Small-cell suppression for outputs shared beyond the study team (``--min-cell N``).

A count of 1 to ``min_cell - 1`` patients can identify a patient, so in a shared output it
is printed as ``"<5"`` (for ``min_cell=5``) and its percentage is withheld: *primary
suppression*. Hiding the cell alone is not enough when the table also prints the totals
the cell adds up to (the column N, the all-patients column, a category's other levels): the
hidden count would be their difference. *Complementary suppression* therefore withholds
further cells (printed ``"*"``) until no suppressed count is determined by the published
totals. Statistics of a suppressed group (its percentages, confidence interval, median
survival, mean ± SD of a group smaller than ``min_cell``) are withheld with it.

The study's own outputs (Table 1, 2, 4, the survival and attrition tables, the prose via
:class:`~captemstats.prose.ProseNumbers` and the shared CSVs of :func:`write_shareable`) are
withheld from one decision taken on the analysis' *counts*
(:func:`captemstats.disclosure.plan_disclosure`, applied by key with
:func:`captemstats.privacy_keys.apply_decision`): pass ``decision=`` (and ``kind=``) to the
functions below. Without a decision they fall back to the string-based rules described next,
for tables built outside the study (and checked there against one table only).

The rules follow the usual statistical-disclosure practice for health tables (e.g. the
threshold of five of the UK ONS / NHS Digital small-number policies; Hundepool et al.,
*Statistical Disclosure Control*, Wiley 2012, ch. 7 on primary and secondary suppression).

How the totals are found in a :class:`~captemstats.tables.Table` (its tidy ``data``):

* a *count cell* is ``"34"``, ``"34 (11.0)"`` or ``"34/300 (11.3)"`` (``n``, ``n (%)``,
  ``n/d (%)``); other cells (medians, CIs, P values, ``"—"``) are not counts;
* the ``level`` rows of a variable (two or more) add up, per column, to the variable's total: its
  ``label`` row's count in that column, else the column's N (``n = N`` in its header), else
  the count of a row whose variable is ``all``/``overall`` (the survival table), else a
  total the reader is assumed to know (``n/d`` cells: ``d``);
* a column ``all``/``overall`` is the sum of the other count columns, row by row (and so are
  their header Ns);
* further relations are given with ``sums`` (e.g. ORR = CR + PR in Table 2, which
  :func:`suppress_response_table` supplies).

A suppressed count counts as protected when the published cells and the relations above do
not determine it (it is not in the row space of the linear system of the remaining
unknowns; checked exactly with matrix ranks). Complementary cells are chosen greedily:
the smallest non-zero published count in a relation that still determines a suppressed
cell. Bounds from non-negativity (interval disclosure) are not examined.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from captemstats.privacy_marks import DEFAULT_MIN_CELL as DEFAULT_MIN_CELL  # re-exported
from captemstats.privacy_marks import WITHHELD as WITHHELD  # re-exported
from captemstats.privacy_marks import check_min_cell as check_min_cell  # re-exported
from captemstats.privacy_marks import primary_marker as primary_marker  # re-exported
from captemstats.privacy_marks import suppression_note as suppression_note  # re-exported

if TYPE_CHECKING:
    from captemstats.disclosure import Decision
    from captemstats.io.registry import Registry
    from captemstats.tables.table import Table

#: Ids of an all-patients column (the sum of the other count columns).
TOTAL_COLUMNS: tuple[str, ...] = ("all", "overall")

_COUNT = re.compile(r"^(?P<n>\d+)(?:/(?P<d>\d+))?(?: \((?P<pct>\d+(?:\.\d+)?)\))?$")
_HEADER_N = re.compile(r"\(n = (?P<n>\d+)\)")
_KEYS = ("variable", "row_type", "label")

Cell = tuple[int, str]  # (row position, column id); row -1 is the header (the column N)


def parse_count(cell: object) -> int | None:
    """The count of a count cell (``"34 (11.0)"`` -> 34), else ``None``."""
    if not isinstance(cell, str):
        return None
    m = _COUNT.match(cell.strip())
    return int(m.group("n")) if m else None


def suppress_table(
    table: Table,
    min_cell: int | None = DEFAULT_MIN_CELL,
    *,
    sums: Iterable[tuple[Cell, Sequence[Cell]]] = (),
    decision: Decision | None = None,
    kind: str | None = None,
    group_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> Table:
    """A copy of ``table`` with small counts suppressed (see the module docstring).

    ``min_cell=None`` (or 0) returns ``table`` unchanged, so callers can pass the option
    through. ``sums`` adds relations ``(total_cell, part_cells)`` between body cells given as
    ``(row position, column id)``. The returned table carries :func:`suppression_note` as a
    footnote when anything was suppressed.

    With a ``decision`` (:func:`captemstats.disclosure.plan_disclosure`) and the table's
    ``kind`` (``"table1"``, ``"table2"``, ``"table4"``, ``"survival"``, ``"attrition"``) the
    cells are withheld by their keys as the decision says (:mod:`captemstats.privacy_keys`),
    so the table agrees with the prose and the CSVs; ``group_labels`` are those the survival
    table was built with.
    """
    from captemstats.tables.table import Column, Footnote

    k = check_min_cell(min_cell)
    if k is None:
        return table
    if decision is not None and kind is not None:
        from captemstats.privacy_keys import apply_decision

        return apply_decision(table, kind, decision, group_labels=group_labels)
    data = table.data.reset_index(drop=True)
    value_cols = [c.id for c in table.columns]
    counts = _count_grid(data, value_cols)
    count_cols = [c for c in value_cols if counts[c].notna().any()]
    header_n = _header_counts(table.columns, count_cols)
    known = _known_counts(counts, count_cols, header_n)

    relations = _relations(data, set(known), count_cols, header_n)
    relations += [_Relation(total, tuple(parts)) for total, parts in sums]
    primary = {cell for cell, n in known.items() if 0 < n < k}
    hidden = _complement(primary, known, relations)

    out = data.copy()
    marker = primary_marker(k)
    for row, col in hidden:
        if row >= 0:
            out.loc[row, col] = marker if (row, col) in primary else WITHHELD
    _withhold_statistics(out, data, counts, k, header_n, hidden, primary, value_cols, count_cols)
    changed = bool((out != data).any(axis=None))
    columns = tuple(
        Column(c.id, _header_label(c.label, (-1, c.id), primary, hidden, marker), c.spanner)
        for c in table.columns
    )
    if not changed and columns == table.columns:
        return table
    note = Footnote(suppression_note(k))
    return dataclasses.replace(
        table,
        data=out.astype("string"),
        columns=columns,
        footnotes=(*table.footnotes, note),
    )


def suppress_response_table(
    table: Table, min_cell: int | None = DEFAULT_MIN_CELL, *, decision: Decision | None = None
) -> Table:
    """:func:`suppress_table` for Table 2 (:func:`captemstats.tables.response_table`), with
    ORR = CR + PR and DCR = CR + PR + SD (+ non-CR/non-PD) as relations per column; with a
    ``decision``, the decision's cells instead (see :func:`suppress_table`)."""
    if decision is not None and check_min_cell(min_cell) is not None:
        return suppress_table(table, min_cell, decision=decision, kind="table2")
    data = table.data.reset_index(drop=True)
    level = data["row_type"] == "level"
    codes = {"CR": "(CR)", "PR": "(PR)", "SD": "(SD)", "NCNP": "(non-CR/non-PD)"}
    rows = {
        code: [int(i) for i in data.index[level & data["label"].str.endswith(suffix)]]
        for code, suffix in codes.items()
    }
    parts = {"ORR": ("CR", "PR"), "DCR": ("CR", "PR", "SD", "NCNP")}
    sums: list[tuple[Cell, list[Cell]]] = []
    for measure, members in parts.items():
        head = data.index[(data["variable"] == measure) & (data["row_type"] == "label")]
        if len(head) != 1:
            continue
        for col in (c.id for c in table.columns if not _is_p(c.id)):
            cells = [(r, col) for m in members for r in rows[m]]
            sums.append(((int(head[0]), col), cells))
    return suppress_table(table, min_cell, sums=sums)


def suppress_attrition_table(
    table: Table, min_cell: int | None = DEFAULT_MIN_CELL, *, decision: Decision | None = None
) -> Table:
    """:func:`suppress_table` for the attrition table
    (:func:`captemstats.tables.appendix.attrition_table`), with its arithmetic as relations:
    before = excluded + after on every step, and each step's after = the next step's before;
    with a ``decision``, the decision's cells instead (see :func:`suppress_table`)."""
    if decision is not None and check_min_cell(min_cell) is not None:
        return suppress_table(table, min_cell, decision=decision, kind="attrition")
    data = table.data.reset_index(drop=True)
    sums: list[tuple[Cell, list[Cell]]] = [
        ((i, "before"), [(i, "excluded"), (i, "after")]) for i in range(len(data))
    ]
    sums += [((i + 1, "before"), [(i, "after")]) for i in range(len(data) - 1)]
    return suppress_table(table, min_cell, sums=sums)


def suppress_medians(frame: pd.DataFrame, min_cell: int | None = DEFAULT_MIN_CELL) -> pd.DataFrame:
    """Kaplan–Meier medians frame (``KaplanMeierResult.medians_frame()`` or
    ``SurvivalComparison.to_frame()``) with small groups suppressed.

    A group with ``n`` below ``min_cell`` loses ``n``, ``n_events`` and its median with CI
    (missing). The groups' ``n`` and ``n_events`` add up to the overall numbers, so when one
    group is suppressed the counts of the smallest other group are withheld too (its median
    stays). A boolean column ``suppressed`` says which rows lost their median. With
    ``min_cell=None`` the frame is returned unchanged.
    """
    k = check_min_cell(min_cell)
    if k is None:
        return frame
    out = frame.copy()
    n = pd.to_numeric(out["n"], errors="raise")
    small = (n > 0) & (n < k)
    hide = small.copy()
    keys = [c for c in ("endpoint", "grouping") if c in out.columns]
    blocks = out.groupby(keys, sort=False).groups.values() if keys else [out.index]
    for idx in blocks:
        block = hide.loc[idx]
        if int(block.sum()) == 1 and len(idx) > 1:
            candidates = n.loc[idx][~block]
            hide[hide.index == candidates.idxmin()] = True
    for col in ("n", "n_events"):
        if col in out.columns:
            out[col] = out[col].astype("Float64").astype("Int64").mask(hide)
    stats = [c for c in ("median", "lower", "upper") if c in out.columns]
    out.loc[small, stats] = math.nan
    for col in ("reached", "upper_reached"):
        if col in out.columns:
            out[col] = out[col].astype("boolean").mask(small)
    out["suppressed"] = small.to_numpy()
    return out


#: Spellings under which a registry date could appear in a document.
DATE_SPELLINGS: tuple[str, ...] = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")


def identifier_tokens(registry: Registry) -> set[str]:
    """Every patient id and every date (in :data:`DATE_SPELLINGS`) of a registry, all tables
    and all rows (excluded patients too): what must never appear in a shared document."""
    tokens: set[str] = set()
    for name in ("patients", "lesions", "adverse_events"):
        frame = registry.table(name)
        tokens |= set(frame["patient_id"].dropna().astype(str))
        for col in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[col]):
                dates = frame[col].dropna()
                for spelling in DATE_SPELLINGS:
                    tokens |= set(dates.dt.strftime(spelling))
    return tokens


def find_identifiers(text: str, tokens: set[str]) -> list[str]:
    """The identifier tokens (:func:`identifier_tokens`) found in ``text``, sorted; ids are
    matched as whole words, dates anywhere."""
    words = set(re.findall(r"[\w.\-/]+", text))
    found = {t for t in tokens if t in words}
    found |= {t for t in tokens if not t.isalnum() and t not in found and t in text}
    return sorted(found)


# --------------------------------------------------------------------------- internals


def _is_p(col: str) -> bool:
    return col == "p" or col.endswith("_p")


def _count_grid(data: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """Per value column, the count of each count cell (nullable Int64; else missing)."""
    grid = {}
    for col in cols:
        if _is_p(col):
            grid[col] = pd.Series(pd.NA, index=data.index, dtype="Int64")
            continue
        text = data[col].astype("string").fillna("").str.strip()
        grid[col] = pd.to_numeric(text.str.extract(_COUNT)["n"], errors="coerce").astype("Int64")
    return pd.DataFrame(grid, index=data.index)


def _header_counts(columns: Sequence[object], count_cols: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for c in columns:
        cid, label = getattr(c, "id", ""), getattr(c, "label", "")
        m = _HEADER_N.search(str(label))
        if cid in count_cols and m:
            found[cid] = int(m.group("n"))
    return found


def _known_counts(
    counts: pd.DataFrame, count_cols: Sequence[str], header_n: Mapping[str, int]
) -> dict[Cell, int]:
    """Every published count: the body's count cells and the header Ns (row -1)."""
    known: dict[Cell, int] = {}
    for col in count_cols:
        column = counts[col].dropna()
        for row, value in zip(column.index.tolist(), column.tolist(), strict=True):
            known[(int(row), col)] = int(value)
    for col, n in header_n.items():
        known[(-1, col)] = n
    return known


def _withhold_statistics(
    out: pd.DataFrame,
    data: pd.DataFrame,
    counts: pd.DataFrame,
    k: int,
    header_n: Mapping[str, int],
    hidden: set[Cell],
    primary: set[Cell],
    value_cols: Sequence[str],
    count_cols: Sequence[str],
) -> None:
    """Withhold, in ``out``, the non-count cells that would reveal a suppressed group."""
    # Statistics of suppressed groups: a small column (header N < k) and a variable's
    # stat rows (CIs) under a suppressed count; a small row of a group-size column "n".
    small_cols = [c for c, n in header_n.items() if 0 < n < k]
    for col in small_cols:
        stat = (out[col] != "") & counts[col].isna()
        out.loc[stat, col] = WITHHELD
    for row, col in hidden:
        if row < 0:
            continue
        variable = data.loc[row, "variable"]
        stat = (data["variable"] == variable) & (data["row_type"] == "stat")
        stat &= counts[col].isna() & (data[col] != "")
        out.loc[stat, col] = WITHHELD
        if col == "n" and (row, col) in primary:
            others = [c for c in value_cols if c not in count_cols and not _is_p(c)]
            for other in others:
                if data.loc[row, other] != "":
                    out.loc[row, other] = WITHHELD


@dataclasses.dataclass(frozen=True)
class _Relation:
    """``total = sum(parts)``; ``total`` is ``None`` when only the reader knows it."""

    total: Cell | None
    parts: tuple[Cell, ...]

    @property
    def cells(self) -> tuple[Cell, ...]:
        return self.parts if self.total is None else (self.total, *self.parts)


def _relations(
    data: pd.DataFrame,
    present: set[Cell],
    count_cols: Sequence[str],
    header_n: Mapping[str, int],
) -> list[_Relation]:
    """The relations the table's layout implies (see the module docstring)."""
    relations: list[_Relation] = []
    overall_rows = data.index[data["variable"].isin(TOTAL_COLUMNS)]
    for variable in pd.unique(data["variable"]):
        rows = data.index[data["variable"] == variable]
        levels = [int(r) for r in rows if data.loc[r, "row_type"] == "level"]
        heads = [int(r) for r in rows if data.loc[r, "row_type"] == "label"]
        if len(levels) < 2:  # one printed level ("Yes" only) is no partition
            continue
        for col in count_cols:
            parts = tuple((r, col) for r in levels if (r, col) in present)
            if not parts:
                continue
            head = [r for r in heads if (r, col) in present]
            total: Cell | None = None
            if head:
                total = (head[0], col)
            elif col in header_n and not _has_denominator(data, levels, col):
                total = (-1, col)
            elif len(overall_rows) == 1 and (int(overall_rows[0]), col) in present:
                total = (int(overall_rows[0]), col)
            relations.append(_Relation(total, parts))
    total_col = next((c for c in TOTAL_COLUMNS if c in count_cols), None)
    others = [c for c in count_cols if c != total_col]
    if total_col is None or not others:
        return relations
    if total_col in header_n and all(c in header_n for c in others):
        relations.append(_Relation((-1, total_col), tuple((-1, c) for c in others)))
    for row in range(len(data)):
        if (row, total_col) not in present:
            continue
        parts = tuple((row, c) for c in others if (row, c) in present)
        if len(parts) == len(others):
            relations.append(_Relation((row, total_col), parts))
    return relations


def _has_denominator(data: pd.DataFrame, rows: Sequence[int], col: str) -> bool:
    return bool(data.loc[list(rows), col].astype("string").str.contains("/", regex=False).any())


def _complement(
    primary: set[Cell], known: Mapping[Cell, int], relations: Sequence[_Relation]
) -> set[Cell]:
    """Primary cells plus complementary cells until no hidden cell is determined.

    For the first determined cell, the candidates are the published counts sharing a relation
    with it (then relations of relations), preferred smallest non-zero first, zeros and column
    Ns last; the first candidate whose suppression leaves the cell undetermined is taken (else
    the first candidate: the next round continues from there).
    """
    hidden = set(primary)
    for _ in range(len(known) + 1):
        determined = _determined(hidden, relations)
        if not determined:
            return hidden
        target = min(determined, key=lambda c: (c[0] < 0, c))
        candidates = _candidates(target, hidden, known, relations)
        if not candidates:  # nothing left to hide around it (its total is public)
            return hidden
        pick = next(
            (c for c in candidates if target not in _determined(hidden | {c}, relations, target)),
            candidates[0],
        )
        hidden.add(pick)
    return hidden


def _candidates(
    target: Cell, hidden: set[Cell], known: Mapping[Cell, int], relations: Sequence[_Relation]
) -> list[Cell]:
    """Published counts sharing a relation with ``target``, then relations of relations, each
    ring in order of preference: smallest non-zero count first; zeros, then column Ns, last."""
    frontier = {target}
    seen: set[int] = set()
    ordered: list[Cell] = []
    while frontier:
        pool: set[Cell] = set()
        reached: set[Cell] = set()
        for i, rel in enumerate(relations):
            if i in seen or not frontier.intersection(rel.cells):
                continue
            seen.add(i)
            pool.update(c for c in rel.cells if c not in hidden and c in known)
            reached.update(c for c in rel.cells if c in hidden)
        ordered += sorted(pool - set(ordered), key=lambda c: (c[0] < 0, known[c] == 0, known[c], c))
        frontier = reached - frontier
    return ordered


def _determined(
    hidden: set[Cell], relations: Sequence[_Relation], only: Cell | None = None
) -> list[Cell]:
    """Hidden cells whose value the relations fix: the cell's unit vector lies in the row
    space of the relations restricted to the hidden cells (published cells are constants)."""
    unknown = sorted(hidden)
    index = {c: i for i, c in enumerate(unknown)}
    rows = []
    for rel in relations:
        row = np.zeros(len(unknown))
        for c in rel.parts:
            if c in index:
                row[index[c]] += 1.0
        if rel.total is not None and rel.total in index:
            row[index[rel.total]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return []
    a = np.vstack(rows)
    rank = np.linalg.matrix_rank(a)
    eye = np.eye(len(unknown))
    check = index.items() if only is None else [(only, index[only])]
    return [c for c, i in check if np.linalg.matrix_rank(np.vstack([a, eye[i]])) == rank]


def _header_label(
    label: str, cell: Cell, primary: set[Cell], hidden: set[Cell], marker: str
) -> str:
    if cell not in hidden:
        return label
    text = f"(n {marker})" if cell in primary else f"(n = {WITHHELD})"
    return _HEADER_N.sub(text, label)


__all__ = [
    "DATE_SPELLINGS",
    "DEFAULT_MIN_CELL",
    "TOTAL_COLUMNS",
    "WITHHELD",
    "check_min_cell",
    "find_identifiers",
    "identifier_tokens",
    "parse_count",
    "primary_marker",
    "suppress_medians",
    "suppress_response_table",
    "suppress_table",
    "suppression_note",
]
