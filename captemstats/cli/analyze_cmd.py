"""``captemstats analyze``: run the whole analysis and write ``results.json`` plus tidy CSVs.

Exit codes: 0 written, 1 invalid registry (the problem list is printed, nothing written),
2 unreadable input or an analysis that cannot be computed (one-line message).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from captemstats.cli import app


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
) -> None:
    """Validate, derive the cohort, classify responses, run the statistics; write the results."""
    from captemstats.analysis import InvalidRegistryError
    from captemstats.analysis import analyze as run_analysis

    err = Console(stderr=True, highlight=False)
    try:
        with err.status(f"Analysing {registry} ..."):
            result = run_analysis(registry, mapping=mapping)
    except InvalidRegistryError as exc:
        Console(highlight=False, width=None if sys.stdout.isatty() else 200).print(exc.report)
        err.print(f"[bold red]{exc}[/]")
        raise typer.Exit(1) from None
    written = result.write(out)
    err.print(
        f"[green]analysed[/] {result.n} patients "
        f"({result.cohort.attrition.n_excluded} excluded of {result.cohort.attrition.n_input}); "
        f"wrote {len(written)} files to {out}"
    )
    for name in written:
        typer.echo(str(out / name))
