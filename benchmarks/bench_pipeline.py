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
(1 min) before the run, and the registry's size on disk.

``--recist N`` also times the out-of-core RECIST stage alone
(:func:`captemstats.scale.partitioned_best_response`, DuckDB) on the lesion and patient
Parquet files of an N-patient registry (640,000 patients: about 10^7 lesion rows) under
``--memory-limit`` (default 1GB), in a child process: wall, CPU, peak RSS, partitions, and
whether the peak stayed under the limit. The issue's targets (issue 15):
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

SYNTH = """
import sys
from captemstats.synth import generate_registry, write_registry
n, seed, out, fmt = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
write_registry(generate_registry(n, seed, 11), out, format=fmt)
"""

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
    from captemstats.synth import DEFAULT_SEED, GENERATOR_VERSION

    out = CACHE / f"{fmt}_{n}"
    prov = out / "provenance.json"
    if prov.exists():
        meta = json.loads(prov.read_text(encoding="utf-8"))
        if meta.get("generator_version") == GENERATOR_VERSION and meta.get("n_patients") == n:
            return out
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    # in a child: a parent holding the synthesised frames would lend its resident memory to
    # every child it starts (Linux counts the pages of a forked parent in the child's peak RSS)
    subprocess.run(
        [sys.executable, "-c", SYNTH, str(n), str(DEFAULT_SEED), str(out), fmt], check=True
    )
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


RECIST = """
import json, sys, time
from captemstats.scale import partitioned_best_response
folder, limit = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
res = partitioned_best_response(folder + "/lesions.parquet", folder + "/patients.parquet",
                                memory_limit=limit)
print(json.dumps({"seconds": time.perf_counter() - t0, "partitions": res.partitions,
                  "lesion_rows": res.lesion_rows, "patients": res.patients.num_rows,
                  "errors": res.errors.num_rows}))
"""


def run_recist(n: int, memory_limit: str) -> dict[str, object]:
    """The partitioned RECIST stage on an ``n``-patient Parquet registry, in a child."""
    from captemstats.scale import memory_bytes

    folder = registry(n, "parquet")
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", RECIST, str(folder), memory_limit],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    out = child.stdout.read().decode() if child.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        err = child.stderr.read().decode(errors="replace") if child.stderr else ""
        raise RuntimeError(f"partitioned RECIST failed:\n{err[-2000:]}")
    info = json.loads(out.strip().splitlines()[-1])
    peak = usage.ru_maxrss * 1024
    row = {
        "patients": n,
        "step": "recist (partitioned)",
        "lesion_rows": info["lesion_rows"],
        "partitions": info["partitions"],
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_MB": round(peak / 1e6),
        "memory_limit": memory_limit,
        "under_limit": peak <= memory_bytes(memory_limit),
        "load1": round(load, 2),
    }
    print(
        f"recist   {n:>9,} {info['lesion_rows']:>11,} lesion rows in {info['partitions']} "
        f"partitions: {row['wall_s']} s ({row['cpu_s']} s CPU), peak {row['peak_rss_MB']} MB "
        f"RSS, limit {memory_limit} ({'under' if row['under_limit'] else 'OVER'})"
        f"  load {row['load1']}",
        flush=True,
    )
    return row


def _line(row: dict[str, object]) -> str:
    return (
        f"{row['format']:<8} {row['patients']:>9,} {row['MB']:>7} MB  {row['step']:<9}"
        f"{row['wall_s']:>8} s ({row['cpu_s']} s CPU) {row['peak_rss_MB']:>6} MB RSS"
        f"  x{row['x_floor']} floor"
        f"  load {row['load1']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=None)
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--recist", type=int, default=0, metavar="N", help="patients (0: skip)")
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs", flush=True)
    sizes = args.sizes if args.sizes else ([] if args.recist else [10_000, 100_000])
    rows = [
        row
        for n in sizes
        for fmt in args.formats.split(",")
        for row in run(n, fmt.strip(), args.repeat)
    ]
    if args.recist:
        rows.append(run_recist(args.recist, args.memory_limit))
    (CACHE / "last_run.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"written {CACHE / 'last_run.json'}")


if __name__ == "__main__":
    main()
