"""Benchmark of the synthetic registry generator: 10^6 eligible patients written to Parquet.

Run: ``.venv/bin/python benchmarks/bench_synth.py [n_patients] [out_dir]``. Generates the
registry exactly as ``captemstats synth --patients N --format parquet --out DIR`` does (same
library calls, with a progress bar on stderr) and prints the wall-clock time of generation,
of writing, and in total (target: under 60 s for 10^6 patients on the 2-core machine), the
CPU time of the process (user + system; less sensitive than wall time to other work on a shared
machine), the load average, and the row count of each table. The output folder defaults to a
temporary one, removed after.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from captemstats.synth import DEFAULT_SEED, generate_registry, write_registry


def run(n_patients: int, out: Path) -> dict[str, float]:
    """Generate and write ``n_patients`` (plus 11 ineligible) to ``out``; return timings (s)."""
    with Progress(
        TextColumn("[bold]{task.description:<20}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("generating", total=1.0)

        def report(stage: str, fraction: float) -> None:
            bar.update(task, completed=fraction * 0.9, description=stage)

        t0, c0 = time.perf_counter(), time.process_time()
        registry = generate_registry(n_patients, DEFAULT_SEED, 11, report)
        t1, c1 = time.perf_counter(), time.process_time()
        bar.update(task, completed=0.9, description="writing parquet")
        write_registry(registry, out, format="parquet")
        t2, c2 = time.perf_counter(), time.process_time()
        bar.update(task, completed=1.0, description="done")
    for name, frame in registry.tables.items():
        print(f"{name:<15} {len(frame):>10,} rows")
    return {
        "generate": t1 - t0,
        "write": t2 - t1,
        "total": t2 - t0,
        "cpu_generate": c1 - c0,
        "cpu_write": c2 - c1,
        "cpu_total": c2 - c0,
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    if len(sys.argv) > 2:
        times = run(n, Path(sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            times = run(n, Path(tmp))
    print(
        f"{n:,} patients: generate {times['generate']:.1f} s, write {times['write']:.1f} s, "
        f"total {times['total']:.1f} s (target < 60 s)\n"
        f"CPU: generate {times['cpu_generate']:.1f} s, write {times['cpu_write']:.1f} s, "
        f"total {times['cpu_total']:.1f} s; load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
