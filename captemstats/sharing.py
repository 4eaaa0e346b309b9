"""The study's outputs as shared beyond the study team (``captemstats analyze --min-cell N``).

The tables of the study (Tables 1, 2 and 4 and the median-survival table) built from an
analysis and withheld by one disclosure decision (:func:`captemstats.disclosure.plan_disclosure`
applied with :mod:`captemstats.privacy`), and written as formula-safe CSVs with a
``suppression.json`` that states the rule. This module sits above the tables, the analysis
and the suppression rules it combines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from captemstats.privacy import suppress_response_table, suppress_table
from captemstats.privacy_marks import DEFAULT_MIN_CELL, check_min_cell, suppression_note

if TYPE_CHECKING:
    from pathlib import Path

    from captemstats.analysis import StudyAnalysis
    from captemstats.disclosure import Decision
    from captemstats.tables.table import Table


def shareable_tables(
    analysis: StudyAnalysis, min_cell: int = DEFAULT_MIN_CELL, decision: Decision | None = None
) -> dict[str, Table]:
    """The study's tables as shared beyond the study team, withheld as one disclosure
    decision says (:func:`captemstats.disclosure.plan_disclosure`, computed when not given):
    Table 1 (``table1``), Table 2 (``table2``), Table 4 (``table4``) and the median-survival
    table (``survival_medians``). Cox models (Table 3) print no counts and are left out, as are
    ``results.json`` and the attrition log, which hold unsuppressed counts."""
    from captemstats.analysis import GROUPINGS
    from captemstats.disclosure import plan_disclosure
    from captemstats.tables import (
        adverse_event_table,
        characteristics_table,
        response_table,
        survival_summary_table,
    )

    k = check_min_cell(min_cell)
    if k is None:
        raise ValueError("shareable_tables needs a min_cell threshold (>= 2)")
    plan = decision if decision is not None else plan_disclosure(analysis, k)
    survival = {
        e: {g: (analysis.km(e, g).km, analysis.km(e, g).logrank) for g in GROUPINGS}
        for e in ("pfs", "os")
    }
    n_treated = None if plan.is_hidden("t2|NOTEVAL|all") else analysis.n
    t2 = response_table(
        analysis.response_rates,
        tests=analysis.response_tests,
        n_treated=n_treated,
        methods=analysis.methods,
    )
    t1 = characteristics_table(analysis.characteristics, methods=analysis.methods)
    return {
        "table1": suppress_table(t1, k, decision=plan, kind="table1"),
        "table2": suppress_response_table(t2, k, decision=plan),
        "table4": suppress_table(
            adverse_event_table(analysis.adverse), k, decision=plan, kind="table4"
        ),
        "survival_medians": suppress_table(
            survival_summary_table(survival["pfs"], survival["os"]),
            k,
            decision=plan,
            kind="survival",
        ),
    }


def write_shareable(
    analysis: StudyAnalysis, out_dir: str | Path, min_cell: int = DEFAULT_MIN_CELL
) -> dict[str, Path]:
    """Write :func:`shareable_tables` as CSV (formula-safe) plus ``suppression.json`` stating
    the threshold and rule, all or nothing (:func:`captemstats.atomic.atomic_folder`, one
    writer per folder); return the paths by file name."""
    import json
    from pathlib import Path

    from captemstats.atomic import atomic_folder, folder_lock, write_atomic

    final = Path(out_dir)
    names: list[str] = []
    with folder_lock(final, "analyze"), atomic_folder(final) as out:
        for name, table in shareable_tables(analysis, min_cell).items():
            table.to_csv(out / f"{name}.csv")
            names.append(f"{name}.csv")
        info = {
            "min_cell": min_cell,
            "rule": suppression_note(min_cell),
            "tables": sorted(names),
            "captemstats_version": analysis.provenance.captemstats_version,
        }
        text = json.dumps(info, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        write_atomic(out / "suppression.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
        names.append("suppression.json")
    return {name: final / name for name in names}


__all__ = ["shareable_tables", "write_shareable"]
