"""``captemstats analyze``: run the whole analysis and write ``results.json`` plus tidy CSVs.

``--methods as_published`` runs Table 1/2's tests as the paper did (Pearson's chi-square for
every categorical comparison, :mod:`captemstats.methods`); the profile is recorded in
``results.json`` (``"methods"``). The default is ``recommended``.

The full export also holds ``reproduction.csv`` / ``reproduction.json``: every value the paper
prints beside the recomputed one, with its verdict and reason (:mod:`captemstats.reproduction`).

With ``--min-cell N`` the export is for sharing beyond the study team: only the tables, with
counts below N suppressed (:mod:`captemstats.privacy`), and ``suppression.json``; the
reproduction is left out (its recomputed counts and ranges are unsuppressed, and an ``equal``
verdict gives a count back from the public print).

Exit codes: 0 written, 1 invalid registry (the problem list is printed, nothing written),
2 unreadable input, an analysis that cannot be computed, or an output folder that cannot be
written (unwritable, full, read-only): a one-line message.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from captemstats.cli._app import app, describe_os_error
from captemstats.cli._options import MethodsChoice, MethodsOption, min_cell_option


@app.command()
def analyze(
    registry: Annotated[
        Path,
        typer.Option("--registry", "-r", help="Registry folder or .xlsx workbook to analyse."),
    ] = Path("data/registry"),
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", "-m", help="YAML column mapping for a center's own columns."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("results"),
    min_cell: Annotated[
        int,
        min_cell_option(
            "Export for sharing: the tables with counts below N suppressed ('<N' and "
            "complementary cells); results.json and raw CSVs are not written. 0 = off."
        ),
    ] = 0,
    methods: MethodsOption = MethodsChoice.RECOMMENDED,
    ard: Annotated[
        bool,
        typer.Option(
            "--ard",
            help="Also write ard.csv: every number as Analysis Results Data (the long layout "
            "of R's cards package). Unsuppressed: not with --min-cell.",
        ),
    ] = False,
) -> None:
    """Validate, derive the cohort, classify responses, run the statistics; write the results."""
    from captemstats.analysis import InvalidRegistryError
    from captemstats.analysis import analyze as run_analysis
    from captemstats.errors import CaptemError
    from captemstats.outputs import write_outputs
    from captemstats.privacy import check_min_cell
    from captemstats.sharing import write_shareable

    err = Console(stderr=True, highlight=False)
    try:
        check_min_cell(min_cell)
    except ValueError as exc:
        raise CaptemError(f"--min-cell: {exc}") from None
    if min_cell and ard:
        raise CaptemError("--ard holds unsuppressed counts: it cannot go with --min-cell")
    if min_cell and (out / "results.json").exists():
        # A shared export must not sit beside an earlier unsuppressed one.
        raise CaptemError(
            f"--min-cell: {out} holds unsuppressed results (results.json); "
            "write the shared export to a folder of its own"
        )
    try:
        with err.status(f"Analysing {registry} ..."):
            result = run_analysis(registry, mapping=mapping, methods=methods.profile_name)
    except InvalidRegistryError as exc:
        Console(highlight=False, width=None if sys.stdout.isatty() else 200).print(exc.report)
        err.print(f"[bold red]{exc}[/]")
        raise typer.Exit(1) from None
    try:
        written = (
            write_shareable(result, out, min_cell)
            if min_cell
            else write_outputs(result, out, ard=ard)
        )
    except OSError as exc:
        # Unwritable, full or read-only output folder: the user's to fix (exit 2, one line).
        raise CaptemError(f"cannot write the results to {out}: {describe_os_error(exc)}") from None
    if min_cell:
        err.print(f"small-cell suppression on: counts below {min_cell} withheld")
    err.print(
        f"[green]analysed[/] {result.n} patients "
        f"({result.cohort.attrition.n_excluded} excluded of {result.cohort.attrition.n_input}); "
        f"wrote {len(written)} files to {out}"
    )
    for name in written:
        typer.echo(str(out / name))
