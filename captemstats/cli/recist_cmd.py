"""``captemstats recist LESIONS PATIENTS --out DIR``: RECIST 1.1 best responses of a registry
of any size, within a memory limit (the ``scale`` extra: DuckDB).

The out-of-core stage of :func:`captemstats.scale.partitioned_best_response`: the tables are
split by patient and the engine runs on one partition at a time, so a lesions table larger
than memory (a Parquet file or a folder of Parquet files) is classified within
``--memory-limit``. The outputs are patient-level data for the analyst, not for sharing.
Exit codes: 0 done, 2 unusable input or environment (one line). Never a traceback.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from captemstats.cli._app import app, print_error
from captemstats.errors import CaptemError

if TYPE_CHECKING:  # pragma: no cover - types only
    import pandas as pd


class TableFormat(StrEnum):
    PARQUET = "parquet"
    CSV = "csv"


@app.command()
def recist(
    lesions: Annotated[
        Path, typer.Argument(help="The lesions table: a Parquet file or a folder of them.")
    ],
    patients: Annotated[
        Path, typer.Argument(help="The patients table: a Parquet file or a folder of them.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (replaced whole).")],
    memory_limit: Annotated[
        str,
        typer.Option(
            "--memory-limit", help="Memory the run may use, e.g. 1GB or 512MiB (DuckDB units)."
        ),
    ] = "1GB",
    temp_dir: Annotated[
        Path | None,
        typer.Option("--temp-dir", help="Where partitions and spill files go (removed after)."),
    ] = None,
    timepoints: Annotated[
        bool,
        typer.Option(
            "--timepoints/--no-timepoints",
            help="Also write every assessment's response with its explanation (timepoints/).",
        ),
    ] = False,
    fmt: Annotated[
        TableFormat, typer.Option("--format", help="Format of best_response and errors.")
    ] = TableFormat.PARQUET,
) -> None:
    """RECIST 1.1 best overall response of every patient, partition by partition."""
    from captemstats.atomic import atomic_folder
    from captemstats.scale import memory_bytes, partitioned_best_response

    err = Console(stderr=True, highlight=False)
    try:
        memory_bytes(memory_limit)
    except ValueError as exc:
        print_error(err, f"--memory-limit: {exc}")
        raise typer.Exit(2) from None
    try:
        with atomic_folder(out) as staging:
            res = partitioned_best_response(
                lesions,
                patients,
                memory_limit=memory_limit,
                temp_directory=temp_dir,
                timepoints_out=staging / "timepoints" if timepoints else None,
            )
            frame = res.to_frame()
            _write(frame, staging / f"best_response.{fmt.value}", fmt)
            _write(res.errors_frame(), staging / f"errors.{fmt.value}", fmt)
    except CaptemError as exc:
        print_error(err, str(exc))
        raise typer.Exit(2) from None
    counts = frame["bor"].value_counts(dropna=False)
    shown = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    typer.echo(
        f"{res.patients.num_rows:,} patients, {res.lesion_rows:,} lesion rows in "
        f"{res.partitions} partition(s) (memory limit {memory_limit}): {shown}; "
        f"{res.errors.num_rows:,} input error(s). Written to {out.name}/: "
        f"best_response.{fmt.value}, errors.{fmt.value}" + (", timepoints/" if timepoints else "")
    )


def _write(frame: pd.DataFrame, path: Path, fmt: TableFormat) -> None:
    """A frame as Parquet or CSV (ISO dates, empty cells for missing values)."""
    if fmt is TableFormat.PARQUET:
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, date_format="%Y-%m-%d")
