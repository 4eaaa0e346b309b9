"""Benchmark of the reading and validation path: ``validate`` and ``analyze`` on large registries.

Run: ``.venv/bin/python benchmarks/bench_pipeline.py [N ...] [--formats parquet,csv]
[--repeat R]`` (default N: 10000 100000; 1000000 is optional and slow to synthesise).

For each size and format the synthetic generator (:mod:`captemstats.synth`, the same calls as
``captemstats synth --patients N --format F``) writes a registry once into
``benchmarks/out/pipeline/<format>_<N>/`` (git-ignored; reused when its ``provenance.json``
names the same patient count and generator version). Then, each in its own child process:

* **floor** - the same files read into memory by pyarrow (``pyarrow.parquet.read_table``,
  ``pyarrow.csv.read_csv``): what reading costs with no validation at all;
* **validate** - ``captemstats validate DIR --format json``;
* **analyze** - ``captemstats analyze --registry DIR --out TMP``.

Printed per run: wall time, CPU time (user + system: less sensitive than wall time to other
work on a shared machine), peak resident memory of the child (``os.wait4``'s rusage, so each
child is measured on its own), the ratio of the wall time to the floor's, the load average
(1 min) before the run, and the registry's size on disk. The issue's targets (issue 15):
``analyze`` on 10^5 patients under 8 s and within 8x the floor; ``validate`` on a 200 MB CSV
(about 1.6 x 10^5 patients) under 20 s and 1 GB. This is not a test: times depend on the
machine and on its load (the machine is shared: compare runs at similar load averages).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / "out" / "pipeline"
CLI = [sys.executable, "-m", "captemstats"]

FLOOR = """
import sys, pathlib
fmt, folder = sys.argv[1], pathlib.Path(sys.argv[2])
if fmt == "parquet":
    import pyarrow.parquet as pq
    tables = [pq.read_table(p) for p in sorted(folder.glob("*.parquet"))]
else:
    import pyarrow.csv as pacsv
    tables = [pacsv.read_csv(p) for p in sorted(folder.glob("*.csv"))]
print(sum(t.num_rows for t in tables))
"""


def registry(n: int, fmt: str) -> Path:
    """The cached synthetic registry of ``n`` eligible patients in ``fmt`` (made if absent)."""
    from captemstats.synth import DEFAULT_SEED, GENERATOR_VERSION, generate_registry, write_registry

    out = CACHE / f"{fmt}_{n}"
    prov = out / "provenance.json"
    if prov.exists():
        meta = json.loads(prov.read_text(encoding="utf-8"))
        if meta.get("generator_version") == GENERATOR_VERSION and meta.get("n_patients") == n:
            return out
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    write_registry(generate_registry(n, DEFAULT_SEED, 11), out, format=fmt)  # type: ignore[arg-type]
    print(f"  synthesised {fmt} {n:,} in {time.perf_counter() - t0:.1f} s -> {out}", flush=True)
    return out


def measure(argv: list[str]) -> tuple[float, float, float, int]:
    """Run ``argv`` as a child; return (wall seconds, CPU seconds (user + system), peak RSS
    in MB, exit status)."""
    t0 = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode not in (0, 1):  # validate exits 1 for an invalid registry
        raise RuntimeError(f"{' '.join(argv)} failed ({child.returncode}):\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir() if p.suffix in (".csv", ".parquet")) / 1e6


def run(n: int, fmt: str, repeat: int) -> list[dict[str, object]]:
    folder = registry(n, fmt)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        steps = {
            "floor": [sys.executable, "-c", FLOOR, fmt, str(folder)],
            "validate": [*CLI, "validate", str(folder), "--format", "json"],
            "analyze": [*CLI, "analyze", "--registry", str(folder), "--out", str(Path(tmp) / "A")],
        }
        floor = None
        for step, argv in steps.items():
            for _ in range(repeat):
                load = os.getloadavg()[0]
                wall, cpu, rss, code = measure(argv)
                floor = wall if step == "floor" and (floor is None or wall < floor) else floor
                row = {
                    "patients": n,
                    "format": fmt,
                    "MB": round(size_mb(folder), 1),
                    "step": step,
                    "wall_s": round(wall, 2),
                    "cpu_s": round(cpu, 2),
                    "peak_rss_MB": round(rss),
                    "x_floor": round(wall / floor, 1) if floor else None,
                    "load1": round(load, 2),
                    "exit": code,
                }
                rows.append(row)
                print(_line(row), flush=True)
    return rows


def _line(row: dict[str, object]) -> str:
    return (
        f"{row['format']:<8} {row['patients']:>9,} {row['MB']:>7} MB  {row['step']:<9}"
        f"{row['wall_s']:>8} s ({row['cpu_s']} s CPU) {row['peak_rss_MB']:>6} MB RSS"
        f"  x{row['x_floor']} floor"
        f"  load {row['load1']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs", flush=True)
    rows = [
        row
        for n in args.sizes
        for fmt in args.formats.split(",")
        for row in run(n, fmt.strip(), args.repeat)
    ]
    (CACHE / "last_run.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"written {CACHE / 'last_run.json'}")


if __name__ == "__main__":
    main()
