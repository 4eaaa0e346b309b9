"""Appendix tables: what changed since the previous data cut.

Layout only: each builder prints a :class:`~captemstats.diff.DataCutDiff` that arrives
computed. No identifier reaches these tables — records are counted per kind of change and
per field, never listed (the data manager's listing with ids is ``captemstats diff``).

With ``min_cell`` the tables go through the same disclosure control as the study's tables
(:func:`captemstats.privacy.suppress_table`): counts of 1 to ``min_cell - 1`` print as
``"<N"``, with complementary suppression over the table's arithmetic (previous cut = in both
+ removed; this cut = in both + added), and a statistic of a group smaller than ``min_cell``
in either cut (its median, proportion, difference) is withheld.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from captemstats.privacy import WITHHELD, suppress_table
from captemstats.tables.table import Column, Footnote, Table

if TYPE_CHECKING:
    from captemstats.diff import DataCutDiff

#: Printed names of the registry tables.
_TABLE_LABELS = {
    "patients": "Patients",
    "lesions": "Lesion assessment rows",
    "adverse_events": "Adverse-event rows",
}

_NO_IDS = "Counts only: no patient identifier is shown."


def datacut_records_table(
    diff: DataCutDiff,
    *,
    min_cell: int | None = None,
    title: str = "Changes to the registry since the previous data cut",
) -> Table:
    """Records added, removed and changed per registry table, and changed values per field.

    Parameters
    ----------
    diff
        A :class:`~captemstats.diff.DataCutDiff` with ``records`` (two registries compared).
    min_cell
        Small-cell threshold (``None``/0: off), as ``--min-cell``.
    title
        Table title.

    Returns
    -------
    Table
        Rows per table: previous cut, in both cuts, removed, added, this cut, changed rows,
        then one row per changed field; columns ``Records`` and ``Patients``.

    Example
    -------
    >>> from captemstats.diff import diff_datacuts
    >>> d = diff_datacuts("data/registry", "data/registry", results=False)
    >>> datacut_records_table(d).data.loc[1, "patients"]
    '319'
    """
    if diff.records is None:
        raise ValueError("the comparison has no record changes (a side is a results.json)")
    rows: list[dict[str, str]] = []
    sums: list[tuple[tuple[int, str], list[tuple[int, str]]]] = []
    for name, t in diff.records.tables.items():
        _add_record_rows(rows, sums, name, t)
    cols = (Column("records", "Records"), Column("patients", "Patients"))
    table = Table.from_rows(
        rows,
        cols,
        title=title,
        subtitle=_subtitle(diff),
        stub_header="Registry table",
        notes=(_NO_IDS,),
    )
    return _suppress(table, min_cell, sums)


def _add_record_rows(
    rows: list[dict[str, str]],
    sums: list[tuple[tuple[int, str], list[tuple[int, str]]]],
    name: str,
    t: Any,
) -> None:
    """One registry table's block (its counts, changed rows and changed fields) and the
    block's arithmetic for the disclosure control."""
    is_patients = name == "patients"
    count_col = "patients" if is_patients else "records"
    rows.append({"variable": name, "row_type": "label", "label": _TABLE_LABELS[name]})
    kept = t.n_old - len(t.removed)
    start = len(rows)
    for label, n, patients in (
        ("In the previous cut", t.n_old, None),
        ("In both cuts", kept, None),
        ("Removed", len(t.removed), t.removed["patient_id"].nunique()),
        ("Added", len(t.added), t.added["patient_id"].nunique()),
        ("In this cut", t.n_new, None),
    ):
        cells = {count_col: str(n)}
        if not is_patients and patients is not None:
            cells["patients"] = str(patients)
        rows.append({"variable": name, "row_type": "stat", "label": label, **cells})
    # previous = both + removed and this = both + added, the table's own arithmetic.
    sums.append(((start, count_col), [(start + 1, count_col), (start + 2, count_col)]))
    sums.append(((start + 4, count_col), [(start + 1, count_col), (start + 3, count_col)]))
    changed_rows = t.n_changed_rows
    rows.append(
        {
            "variable": name,
            "row_type": "stat",
            "label": "With a changed value",
            count_col: str(changed_rows),
            **({} if is_patients else {"patients": str(t.changed["patient_id"].nunique())}),
        }
    )
    for r in t.changed_by_field().to_dict("records"):
        rows.append(
            {
                "variable": name,
                "row_type": "level",
                "label": f"{r['field']} changed",
                "records": str(r["values"]) if not is_patients else "",
                "patients": str(r["patients"]),
            }
        )


def datacut_results_table(
    diff: DataCutDiff,
    *,
    min_cell: int | None = None,
    include: Literal["headline", "all"] = "headline",
    title: str = "Results that moved since the previous data cut",
) -> Table:
    """Each result that moved (or appeared, or disappeared) with the previous and current
    value and the difference, grouped by section.

    Parameters
    ----------
    diff
        A :class:`~captemstats.diff.DataCutDiff` with ``results``.
    min_cell
        Small-cell threshold (``None``/0: off), as ``--min-cell``.
    include
        ``"headline"`` (cohort and response counts, Kaplan–Meier medians, log-rank P, Cox
        HRs and P; :data:`captemstats.diff.results.HEADLINE`) or ``"all"``.
    title
        Table title.

    Returns
    -------
    Table
        Columns ``Previous``, ``Current``, ``Difference``; a note counts what is not shown.

    Example
    -------
    >>> from captemstats.diff import diff_results, DataCutDiff, CutSource
    >>> src = CutSource("results", "results.json", 10, "0" * 64)
    >>> moved = diff_results({"cohort": {"n": 10}}, {"cohort": {"n": 12}})
    >>> t = datacut_results_table(DataCutDiff(src, src, None, moved))
    >>> t.data[["label", "previous", "current", "difference"]].values.tolist()[1]
    ['Analysis cohort', '10', '12', '+2']
    """
    from captemstats.diff.results import is_headline

    if diff.results is None:
        raise ValueError("the comparison has no results (a side could not be analysed)")
    moved = diff.results.moved
    keep = [
        include == "all" or is_headline(s, q)
        for s, q in zip(moved["section"], moved["quantity"], strict=True)
    ]
    shown, left_out = moved.loc[keep], moved.loc[[not k for k in keep]]
    small = _small_units(diff.results.compared, min_cell)
    rows: list[dict[str, str]] = []
    for section, block in shown.groupby("section", sort=False):
        rows += _section_rows(str(section), block, small)
    cols = (
        Column("previous", "Previous cut"),
        Column("current", "This cut"),
        Column("difference", "Difference"),
    )
    table = Table.from_rows(
        rows,
        cols,
        title=title,
        subtitle=_subtitle(diff),
        stub_header="Result",
        footnotes=(Footnote("P values are compared as printed; no difference is given."),),
        notes=tuple(_results_notes(diff, left_out)),
    )
    return _suppress_results(table, min_cell)


def _section_rows(
    section: str, block: pd.DataFrame, small: set[tuple[str, ...]]
) -> list[dict[str, str]]:
    """A section's heading row, then one row per moved value (previous, current, difference);
    ``small`` are the groups whose statistics are withheld (:func:`_small_units`)."""
    from captemstats.diff.results import (
        COUNT_QUANTITIES,
        SECTIONS,
        difference_text,
        quantity_text,
        where_text,
    )

    rows = [{"variable": section, "row_type": "label", "label": SECTIONS.get(section, section)}]
    for record in block.to_dict("records"):
        r = {str(k): v for k, v in record.items()}
        q = str(r["quantity"])
        where = where_text(r)
        label = q[:1].upper() + q[1:] if where == "—" else f"{where}: {q}"
        status = {"added": " (new)", "removed": " (no longer estimated)"}
        cells = {
            "previous": quantity_text(q, r["old"]) if r["status"] != "added" else "",
            "current": quantity_text(q, r["new"]) if r["status"] != "removed" else "",
            "difference": difference_text(q, r["old"], r["new"]),
        }
        if q not in COUNT_QUANTITIES:
            # A statistic of a group below min_cell in a cut is withheld with the group.
            unit = (r["section"], r["endpoint"], r["grouping"], r["group"])
            for side, col in (("old", "previous"), ("new", "current")):
                if (side, *unit) in small and cells[col]:
                    cells[col] = WITHHELD
                    cells["difference"] = WITHHELD if cells["difference"] else ""
        rows.append(
            {
                "variable": section,
                "row_type": "level",
                "label": label + status.get(str(r["status"]), ""),
                **cells,
            }
        )
    return rows


def _results_notes(diff: Any, left_out: pd.DataFrame) -> list[str]:
    """What is not shown, per section, and how many of the values compared moved."""
    from captemstats.diff.results import SECTIONS

    notes: list[str] = []
    if len(left_out):
        per = left_out.groupby("section", sort=False).size()
        notes.append(
            "Further values moved (not shown): "
            + "; ".join(f"{SECTIONS.get(str(s), str(s))} {n}" for s, n in per.items())
            + "."
        )
    counts = diff.results.counts()
    notes.append(
        f"{counts['moved']} of {len(diff.results.compared)} values compared moved; "
        f"{counts['added']} new, {counts['removed']} no longer estimated."
    )
    return notes


def datacut_tables(diff: DataCutDiff, *, min_cell: int | None = None) -> dict[str, Table]:
    """The appendix: ``datacut_records`` (when two registries were compared) and
    ``datacut_results`` (when both sides have results).

    Parameters
    ----------
    diff
        A :class:`~captemstats.diff.DataCutDiff`.
    min_cell
        Small-cell threshold (``None``/0: off).

    Returns
    -------
    dict
        Table name -> :class:`Table`.

    Example
    -------
    >>> from captemstats.diff import diff_datacuts
    >>> sorted(datacut_tables(diff_datacuts("data/registry", "data/registry", results=False)))
    ['datacut_records']
    """
    out: dict[str, Table] = {}
    if diff.records is not None:
        out["datacut_records"] = datacut_records_table(diff, min_cell=min_cell)
    if diff.results is not None:
        out["datacut_results"] = datacut_results_table(diff, min_cell=min_cell)
    return out


def _subtitle(diff: Any) -> str:
    return f"{diff.old.name} → {diff.new.name}"


def _suppress(
    table: Table,
    min_cell: int | None,
    sums: Sequence[tuple[tuple[int, str], Sequence[tuple[int, str]]]],
) -> Table:
    return suppress_table(table, min_cell, sums=sums) if min_cell else table


def _suppress_results(table: Table, min_cell: int | None) -> Table:
    """Small counts suppressed; a difference whose count is hidden is withheld with it."""
    if not min_cell:
        return table
    out = _suppress(table, min_cell, ())
    data = out.data.copy()
    hidden = data["previous"].str.startswith("<") | data["current"].str.startswith("<")
    hidden |= (data["previous"] == WITHHELD) | (data["current"] == WITHHELD)
    data.loc[hidden & (data["difference"] != ""), "difference"] = WITHHELD
    return dataclasses.replace(out, data=data)


def _small_units(compared: pd.DataFrame, min_cell: int | None) -> set[tuple[str, ...]]:
    """(side, section, endpoint, grouping, group) whose count is 1 to ``min_cell - 1`` on
    that side: their other statistics would let a reader work the count back."""
    from captemstats.diff.results import COUNT_QUANTITIES

    if not min_cell:
        return set()
    counts = compared.loc[compared["quantity"].isin(list(COUNT_QUANTITIES))]
    out: set[tuple[str, ...]] = set()
    for side in ("old", "new"):
        v = counts[side]
        small = counts.loc[(v > 0) & (v < min_cell)]
        for r in small[["section", "endpoint", "grouping", "group"]].itertuples(index=False):
            out.add((side, *map(str, r)))
    return out
