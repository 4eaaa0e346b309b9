"""``captemstats validate PATH``: read a registry, check every rule, list all problems.

Exit codes: 0 valid (warnings allowed), 1 invalid (the problem list is printed: at most
``--max-problems`` per table, column and rule, the rest counted), 2 unreadable input or an
environment problem (a one-line message). Never a traceback.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from captemstats.cli._app import app, print_error
from captemstats.errors import CaptemError


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.command()
def validate(
    path: Annotated[
        Path,
        typer.Argument(
            help="Registry folder (patients, lesions, adverse_events files) or .xlsx workbook."
        ),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", "-m", help="YAML column mapping (rename / recode a center's columns)."
        ),
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="text (a table) or json (for machines)."),
    ] = OutputFormat.TEXT,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="CSV encoding when not UTF-8, e.g. cp1254 or latin-1."),
    ] = None,
    max_problems: Annotated[
        int,
        typer.Option(
            "--max-problems",
            min=0,
            help="List at most N problems per table, column and rule (the rest are counted: "
            "'and N more'). 0 lists all.",
        ),
    ] = 100,
) -> None:
    """Check a registry against the data model and report ALL problems in one pass."""
    from captemstats.io import read_registry

    err = Console(stderr=True, highlight=False)
    limit = max_problems or None
    try:
        registry = read_registry(path, mapping=mapping, encoding=encoding, max_problems=limit)
        report = registry.validate(max_problems=limit)
    except CaptemError as exc:
        print_error(err, str(exc))
        raise typer.Exit(2) from None
    if output is OutputFormat.JSON:
        typer.echo(report.to_json())
    else:
        # Wide enough that rule ids, lines and columns are never truncated when piped.
        out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
        out.print(report)
    raise typer.Exit(0 if report.ok else 1)
