"""``captemstats synth``: generate a synthetic registry calibrated to the published values.

Every patient written is synthetic. The same ``--seed`` gives byte-identical files.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from captemstats.cli._app import app


class SynthFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


class SurvivalModelName(StrEnum):
    WEIBULL = "weibull"
    SCHEDULED = "scheduled"


_DEFAULT_SEED = 20240305  # = captemstats.synth.DEFAULT_SEED (kept literal: lazy import)
_DEFAULT_INELIGIBLE = 11


def _command(
    patients: int,
    seed: int,
    ineligible: int,
    fmt: SynthFormat,
    out: Path,
    model: SurvivalModelName = SurvivalModelName.SCHEDULED,
) -> str:
    """The command line recorded in provenance.json: the options that set the output (options
    left at their defaults are not repeated), so the shipped registry's provenance reads
    ``captemstats synth --patients 308 --seed 20240305 --out data/registry``."""
    parts = [f"captemstats synth --patients {patients} --seed {seed}"]
    if ineligible != _DEFAULT_INELIGIBLE:
        parts.append(f"--ineligible {ineligible}")
    if fmt is not SynthFormat.CSV:
        parts.append(f"--format {fmt.value}")
    if model is not SurvivalModelName.SCHEDULED:
        parts.append(f"--survival-model {model.value}")
    parts.append(f"--out {out.as_posix()}")
    return " ".join(parts)


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    patients: Annotated[
        int, typer.Option("--patients", "-n", min=30, help="Eligible patients to generate.")
    ] = 308,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed.")] = _DEFAULT_SEED,
    ineligible: Annotated[
        int,
        typer.Option("--ineligible", min=0, help="Extra ineligible patients (paper: 11)."),
    ] = _DEFAULT_INELIGIBLE,
    fmt: Annotated[
        SynthFormat, typer.Option("--format", "-f", help="File format.")
    ] = SynthFormat.CSV,
    model: Annotated[
        SurvivalModelName,
        typer.Option(
            "--survival-model",
            help="scheduled (default): progression seen at scheduled assessments, every "
            "published median calibrated (captemstats.synth.scheduled); weibull: the earlier "
            "model (by-line medians and Table 3 HRs only, progression imaged on its date).",
        ),
    ] = SurvivalModelName.SCHEDULED,
) -> None:
    """Generate a SYNTHETIC registry (patients, lesions, adverse_events + provenance.json)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from captemstats.synth import generate_registry, write_registry

    console = Console(stderr=True)
    if out.exists() and not out.is_dir():
        console.print(f"[bold red]error:[/] --out {out} is a file, not a folder", highlight=False)
        raise typer.Exit(2)
    command = _command(patients, seed, ineligible, fmt, out, model)
    with Progress(
        TextColumn("[bold]{task.description:<20}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("generating", total=1.0)

        def report(stage: str, fraction: float) -> None:
            bar.update(task, completed=fraction * 0.9, description=stage)

        try:
            registry = generate_registry(
                patients, seed, ineligible, report, survival_model=model.value
            )
            bar.update(task, completed=0.9, description="writing")
            paths = write_registry(registry, out, format=fmt.value, command=command)
        except (ValueError, OSError) as exc:
            bar.stop()
            console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        bar.update(task, completed=1.0, description="done")
    console.print(
        f"[green]wrote[/] {registry.n_patients} synthetic eligible + {registry.n_ineligible} "
        f"ineligible patients to {out} ({', '.join(p.name for p in paths.values())})",
        highlight=False,
    )
