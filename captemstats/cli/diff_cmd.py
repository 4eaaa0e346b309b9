"""``captemstats diff OLD NEW``: what changed since the last data cut.

OLD and NEW are registry folders or workbooks, or ``results.json`` files written by
``captemstats analyze`` (any combination; records are compared between two registries).
The text output is for the data manager and lists patient ids; a shared document takes the
counts-only appendix (:mod:`captemstats.tables.datacut`) instead.

Exit codes: 0 compared (differences or not), 1 an invalid registry (its problems are
printed), 2 an unreadable input (a one-line message). Never a traceback.
"""

from __future__ import annotations

import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from captemstats.cli._app import app
from captemstats.errors import CaptemError

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.diff import DataCutDiff, TableDiff


class DiffFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


_TABLE_NAMES = {
    "patients": "Patients",
    "lesions": "Lesion rows",
    "adverse_events": "Adverse-event rows",
}


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="Previous cut: registry or results.json.")],
    new: Annotated[Path, typer.Argument(help="This cut: registry or results.json.")],
    output: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="text (readable) or json (machines).")
    ] = DiffFormat.TEXT,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", "-m", help="YAML column mapping for the registries."),
    ] = None,
    old_mapping: Annotated[
        Path | None,
        typer.Option("--old-mapping", help="Mapping for OLD when its export differs."),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="CSV encoding when not UTF-8, e.g. cp1254 or latin-1."),
    ] = None,
    results: Annotated[
        bool,
        typer.Option("--results/--no-results", help="Analyse and compare the results."),
    ] = True,
    show_all: Annotated[
        bool, typer.Option("--all", help="Print every moved result, not the headline ones.")
    ] = False,
) -> None:
    """List patients added and removed, records changed by field, and results that moved."""
    from captemstats.diff import InvalidCutError, diff_datacuts

    err = Console(stderr=True, highlight=False)
    # Warnings of the reading or the analysis (e.g. an edited synthetic registry) become
    # one-line messages instead of Python's file:line warning format.
    caught: list[warnings.WarningMessage] = []
    try:
        with (
            err.status("Comparing the data cuts ..."),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            found = diff_datacuts(
                old,
                new,
                mapping=mapping,
                old_mapping=old_mapping,
                encoding=encoding,
                results=results,
            )
    except InvalidCutError as exc:
        Console(highlight=False, width=None if sys.stdout.isatty() else 200).print(exc.report)
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    except (CaptemError, OSError) as exc:
        # OSError: a path that exists but cannot be listed or read (permissions, a device).
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        for message in dict.fromkeys(str(w.message) for w in caught):
            err.print(f"[yellow]warning:[/] {message}", soft_wrap=True)
    if output is DiffFormat.JSON:
        typer.echo(found.to_json())
    else:
        # Wide enough that ids and values are never wrapped when piped (as validate does).
        width = None if sys.stdout.isatty() else 200
        print_diff(found, Console(highlight=False, width=width), show_all=show_all)


def print_diff(found: DataCutDiff, out: Console, *, show_all: bool = False) -> None:
    """The readable listing: sources, record changes (with ids), moved results."""
    out.print("[bold]What changed since the last data cut[/]")
    for label, src in (("old", found.old), ("new", found.new)):
        size = "" if src.patients is None else f", {src.patients} patients"
        out.print(f"  {label}: {src.name} ({src.kind}{size})")
    if found.records is not None:
        recs = found.records
        _print_patients(out, recs.patients)
        for name in ("lesions", "adverse_events"):
            _print_rows(out, recs.tables[name])
    if found.results is not None:
        _print_results(out, found, show_all=show_all)
    for note in found.notes:
        out.print(f"[yellow]note:[/] {note}")


def _ids(values: pd.Series[Any]) -> str:
    return ", ".join(values.astype(str).tolist()) if len(values) else "none"


def _print_patients(out: Console, t: TableDiff) -> None:
    out.print(
        f"\n[bold]Patients[/]: {t.n_old} → {t.n_new}; {len(t.added)} added, "
        f"{len(t.removed)} removed, {t.changed['patient_id'].nunique()} with changed fields "
        f"({len(t.changed)} values)"
    )
    out.print(f"  removed ({len(t.removed)}): {_ids(t.removed['patient_id'])}")
    out.print(f"  added ({len(t.added)}): {_ids(t.added['patient_id'])}")
    _print_changed(out, t)


def _print_changed(out: Console, t: TableDiff) -> None:
    if t.changed.empty:
        return
    counts = t.changed_by_field()
    out.print(
        "  changed fields: "
        + ", ".join(f"{r['field']} {r['values']}" for r in counts.to_dict("records"))
    )
    out.print(_change_lines(t), markup=False, highlight=False)


def _joined(frame: pd.DataFrame) -> pd.Series[str]:
    """The columns' text joined by spaces, row by row, with column-wise concatenation (a
    row-wise ``agg`` is a Python call per row)."""
    text = frame.astype(str)
    out: pd.Series[str] = text.iloc[:, 0]
    for col in text.columns[1:]:
        out = out + " " + text[col]
    return out


def _change_lines(t: TableDiff) -> str:
    """One line per changed value, built column-wise (fast for 10^5 lines)."""
    from captemstats.diff.records import display_frame
    from captemstats.schema import TABLES

    c = t.changed
    keys = [k for k in t.key_columns if k != "occurrence"]
    key_text = _joined(display_frame(c[keys]).fillna(""))
    dates = {col.name for col in TABLES[t.table].columns if col.kind == "date"}
    delta = c["delta"].astype("float64")
    shift = delta.map(lambda d: "" if d != d else f" ({d:+g})")
    days = delta.map(lambda d: "" if d != d else f" ({d:+g} days)")
    delta_text = shift.where(~c["field"].isin(dates).to_numpy(), days)
    lines = (
        "    "
        + key_text
        + "  "
        + c["field"].astype(str)
        + ": "
        + c["old"].fillna("(empty)").astype(str)
        + " → "
        + c["new"].fillna("(empty)").astype(str)
        + delta_text
    )
    return "\n".join(lines.tolist())


def _print_rows(out: Console, t: TableDiff) -> None:
    from captemstats.diff.records import display_frame

    removed_with = t.removed["patient_removed"].astype(bool)
    added_with = t.added["patient_added"].astype(bool)
    out.print(
        f"\n[bold]{_TABLE_NAMES[t.table]}[/]: {t.n_old} → {t.n_new}; {len(t.added)} added "
        f"({int(added_with.sum())} of added patients), {len(t.removed)} removed "
        f"({int(removed_with.sum())} of removed patients), {t.n_changed_rows} changed "
        f"({len(t.changed)} values)"
    )
    # Rows of a removed patient, per patient (every one is in --format json); rows removed
    # or added while the patient stays are listed one by one: those are the edits to check.
    for label, rows, flag in (("removed", t.removed, removed_with), ("added", t.added, added_with)):
        if flag.any():
            per = rows.loc[flag.to_numpy(), "patient_id"].value_counts(sort=False).sort_index()
            text = ", ".join(f"{pid} ({n})" for pid, n in per.items())
            out.print(f"  {label} with their patient: {text}")
        alone = rows.loc[~flag.to_numpy()]
        if len(alone):
            keys = [k for k in t.key_columns if k != "occurrence"]
            keyed = _joined(display_frame(alone[keys]).fillna("(empty)"))
            line = alone["file_line"].astype(str)
            out.print(f"  {label} rows of kept patients ({len(alone)}):")
            listing = ("    " + keyed + "  (line " + line + ")").tolist()
            out.print("\n".join(listing), markup=False)
    _print_changed(out, t)


def _print_results(out: Console, found: DataCutDiff, *, show_all: bool) -> None:
    from rich.table import Table

    from captemstats.diff.results import (
        SECTIONS,
        difference_text,
        is_headline,
        quantity_text,
        where_text,
    )

    assert found.results is not None
    counts = found.results.counts()
    out.print(
        f"\n[bold]Results[/]: {counts['moved']} moved, {counts['added']} added, "
        f"{counts['removed']} gone, {counts['unchanged']} unchanged "
        f"(of {len(found.results.compared)} compared)"
    )
    moved = found.results.moved
    if moved.empty:
        return
    shown = (
        moved
        if show_all
        else moved.loc[
            [is_headline(s, q) for s, q in zip(moved["section"], moved["quantity"], strict=True)]
        ]
    )
    for section, rows in shown.groupby("section", sort=False):
        table = Table(
            title=SECTIONS.get(str(section), str(section)),
            title_justify="left",
            show_edge=False,
            pad_edge=False,
        )
        for col in ("Where", "Quantity", "Old", "New", "Difference"):
            table.add_column(col, justify="left" if col in ("Where", "Quantity") else "right")
        for record in rows.to_dict("records"):
            r = {str(k): v for k, v in record.items()}
            gone = {"added": " (new)", "removed": " (gone)"}.get(str(r["status"]), "")
            table.add_row(
                where_text(r),
                str(r["quantity"]) + gone,
                quantity_text(r["quantity"], r["old"]),
                quantity_text(r["quantity"], r["new"]),
                difference_text(r["quantity"], r["old"], r["new"]),
            )
        out.print(table)
    hidden = moved.loc[~moved.index.isin(shown.index)]
    if len(hidden):
        per = hidden.groupby("section", sort=False).size()
        text = ", ".join(f"{SECTIONS.get(str(s), str(s))} {n}" for s, n in per.items())
        out.print(f"  further moved values (--all prints them): {text}")
