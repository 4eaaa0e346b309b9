"""Benchmark of captemstats.survival side by side with its peers: survival, greenwood, lifelines, R.

Run: ``python benchmarks/bench_survival.py [n ...] [--no-r] [--seed S] [--steps ...]
[--peers ...] [--no-rss] [--no-cap]`` (default sizes 10^4 and 10^5; add 1000000 for 10^6).
For each size it simulates patients — exponential survival with a 3-level group effect and
8 covariates (4 binary, 4 continuous), independent exponential censoring (~35% censored),
times rounded to 0.1 month so that ties occur as in registry data — and times three calls:

* ``km``      kaplan_meier(time, event, by=group)      ~ survfit(Surv(time, event) ~ group)
* ``logrank`` logrank_test(time, event, group)         ~ survdiff(Surv(time, event) ~ group)
* ``cox8``    cox_ph(..., 8 covariates, ties="efron")  ~ coxph(Surv(time, event) ~ x1 + ... + x8)

The same calls run in every installed peer (``benchmarks/peers.py``; install them with
``pip install -e '.[bench]'``): ``survival`` (PyPI, the Rust port of R's survival),
``greenwood`` and ``lifelines``. An absent peer is skipped with a note; greenwood's Cox (pure
numpy, ~50 s per fit at 10^6) is skipped above 10^5 unless ``--no-cap``. Each row gives:

* ``wall s`` / ``cpu s``: the best of ``--repeat`` runs (wall clock, and CPU time of the
  process, less sensitive to other jobs on a shared machine); one run only when a run takes
  over a minute; ``×fast``: wall time / the fastest row of that step and size (R included).
* ``trace MiB``: the tracemalloc peak of one further run (numpy buffers included), i.e. what
  the call allocates beyond the data, which exists before it starts. It cannot see memory
  that Rust or C code allocates itself (marked ``*`` for survival), hence also
* ``RSS MiB``: the peak resident set of one call in a fresh process (``--no-rss`` skips it),
  above the RSS just before the call — after a warm-up on 200 rows, ``malloc_trim`` and with
  the kernel's peak mark reset by ``/proc/self/clear_refs``, glibc's mmap threshold fixed at
  128 KiB; it counts pages touched, so memory that the allocator reuses shows less than in
  tracemalloc. ``>=`` marks a lower bound where the mark cannot be
  reset (the growth of ``getrusage``'s maxrss).
* ``max rel diff``: the largest relative difference of the peer's answer from ours, flagged
  ``DIFFERS`` above 1e-8 — KM survival at every time of our curves, the log-rank chi-square,
  the Cox coefficients, standard errors and log partial likelihood (a free cross-check).
  lifelines' Cox is timed with its default tolerance, which stops short of the maximum, and
  compared on one more (untimed) fit with tight ones; the difference of the timed default
  fit follows in brackets (see ``peers.py``).

When ``Rscript`` is on PATH the same calls run in R on the same data (read from a temporary
CSV, not timed), timed with ``system.time`` (elapsed) and with R's peak memory as ``gc()``'s
"max used" after ``gc(reset = TRUE)`` minus what was in use at the reset, in the RSS column
marked ``gc``; R's answers are not compared. The 1-minute load average is printed before each
size, since timings on a loaded machine are not comparable. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from argparse import SUPPRESS
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from peers import COVARIATES, OURS, PEERS, STEPS, Peer, Summary, by_name, max_rel_diff

TOLERANCE = 1e-8
LONG_RUN = 60.0  # seconds: a run this long is timed once
RSS_TIMEOUT = 900.0  # seconds for one peak-RSS subprocess
CAPS = {("greenwood", "cox8"): 100_000}  # (peer, step) -> largest n run without --no-cap


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    """n patients: group in {1,2,3}; x1..x4 binary, x5..x8 standard normal; hazard
    0.05/month × exp(0.3·group + x·beta); censoring at rate 0.03/month; times to 0.1 month."""
    rng = np.random.default_rng(seed)
    group = rng.integers(1, 4, n)
    xb = rng.binomial(1, [0.3, 0.5, 0.4, 0.2], (n, 4)).astype(float)
    xc = rng.standard_normal((n, 4))
    x = np.hstack([xb, xc])
    beta = np.array([0.4, -0.2, 0.1, 0.3, 0.25, -0.15, 0.05, 0.0])
    rate = 0.05 * np.exp(0.3 * (group - 1) + x @ beta)
    t_event = rng.exponential(1 / rate)
    t_cens = rng.exponential(1 / 0.03, n)
    time_ = np.maximum(np.round(np.minimum(t_event, t_cens), 1), 0.1)
    event = (t_event <= t_cens).astype(int)
    frame = pd.DataFrame({"time": time_, "event": event, "group": group})
    for j, name in enumerate(COVARIATES):
        frame[name] = x[:, j]
    return frame


Timing = tuple[float, float, float, int]
"""(best wall seconds, best CPU seconds, tracemalloc peak MiB, runs)."""


def time_call(fn: Callable[[], Any], repeat: int) -> tuple[Timing, Any]:
    """Best of ``repeat`` runs (fewer when one run takes over LONG_RUN seconds), then one run
    under tracemalloc; returns the timing and the result of the last timed run."""
    best = best_cpu = np.inf
    runs = 0
    result: Any = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        runs += 1
        if best > LONG_RUN:
            break
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (best, best_cpu, peak / 2**20, runs), result


def time_python(
    d: pd.DataFrame, repeat: int, steps: list[str] | None = None
) -> dict[str, tuple[float, float, float]]:
    """Ours only: step -> (best wall seconds, best CPU seconds, tracemalloc peak MiB)."""
    out = {}
    for step, fn in OURS.calls(d).items():
        if steps and step not in steps:
            continue
        (best, cpu, peak, _), _ = time_call(fn, repeat)
        out[step] = (best, cpu, peak)
    return out


def _status_kib(field: str) -> int | None:
    """A ``VmRSS`` / ``VmHWM`` line of /proc/self/status in KiB (None off Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _malloc_trim() -> None:
    """Give glibc's free heap pages back to the kernel, so that a call reusing them counts."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def rss_child(peer: str, step: str, n: int, seed: int) -> None:
    """In a fresh process: warm the peer up on 200 rows (lazy imports, caches), simulate the
    data, reset the kernel's peak-RSS mark to the current RSS (``5 > /proc/self/clear_refs``),
    run the call once and print the peak above that baseline in KiB, then "exact". Without
    clear_refs it prints the growth of ``getrusage`` maxrss (a lower bound), then "lower"."""
    p = by_name(peer)
    p.calls(simulate(200, seed))[step]()
    fn = p.calls(simulate(n, seed))[step]
    gc.collect()
    _malloc_trim()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        base, kind = _status_kib("VmRSS"), "exact"
    except OSError:
        base, kind = None, "lower"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    fn()
    hwm = _status_kib("VmHWM") if base is not None else None
    if base is not None and hwm is not None:
        print(hwm - base, kind)
    else:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, "lower")


def measure_rss(peer: str, step: str, n: int, seed: int) -> str:
    """Peak RSS (MiB) of one call in its own process, as text for the table."""
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--rss-child", peer, step, str(n), "--seed", str(seed)],
            capture_output=True,
            text=True,
            check=False,
            timeout=RSS_TIMEOUT,
            # a fixed threshold: large buffers are mmapped and unmapped on free (glibc otherwise
            # raises it and keeps freed buffers resident, where the measured call reuses them)
            env={**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"},
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
        print(f"rss child {peer}/{step} failed: {tail[0]}", file=sys.stderr)
        return "error"
    kib, kind = lines[-1].split()
    return f"{'>=' if kind == 'lower' else ''}{int(kib) / 1024:.1f}"


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
covs <- paste0("x", 1:8)
f <- as.formula(paste("Surv(time, event) ~", paste(covs, collapse = " + ")))
steps <- list(
  km = function() survfit(Surv(time, event) ~ group, data = d),
  logrank = function() survdiff(Surv(time, event) ~ group, data = d),
  cox8 = function() coxph(f, data = d, ties = "efron")
)
repeat_n <- as.integer(args[2])
for (nm in names(steps)) {
  best <- Inf
  for (i in seq_len(repeat_n)) {
    base <- sum(gc(reset = TRUE)[, 2])  # Mb in use after a full collection
    el <- system.time(steps[[nm]]())[["elapsed"]]
    best <- min(best, el)
  }
  mx <- sum(gc()[, 6]) - base  # "max used" (Mb) of the last run, above what was in use
  cat(sprintf("%s,%.6f,%.3f\n", nm, best, mx))
}
"""


def time_r(d: pd.DataFrame, repeat: int) -> dict[str, tuple[float, float]] | None:
    """step -> (best elapsed seconds, gc max used MB), or None without Rscript."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        script = Path(tmp) / "bench.R"
        d.to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        proc = subprocess.run(
            [rscript, str(script), str(csv), str(repeat)],
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        print(f"R failed: {proc.stderr.strip()}", file=sys.stderr)
        return None
    out = {}
    for line in proc.stdout.strip().splitlines():
        step, secs, mb = line.split(",")
        out[step] = (float(secs), float(mb))
    return out


@dataclass
class Row:
    peer: str
    wall: float
    cpu: float | None
    trace: str
    rss: str
    diff: str
    runs: int


def run_step(
    step: str, n: int, d: pd.DataFrame, peers: list[Peer], args: argparse.Namespace
) -> tuple[list[Row], list[str]]:
    """Rows of one step at one size (ours first), and notes on capped peers / failures."""
    rows: list[Row] = []
    notes: list[str] = []
    ours: Summary | None = None
    for p in [OURS, *peers]:
        cap = None if args.no_cap else CAPS.get((p.name, step))
        if cap is not None and n > cap:
            notes.append(f"skipped: {p.name} {step} above n = {cap} (too slow; --no-cap runs it)")
            continue
        try:
            p.calls(simulate(200, args.seed))[step]()  # warm-up: lazy imports, caches
            (wall, cpu, trace, runs), result = time_call(p.calls(d)[step], args.repeat)
            summary = p.summarize(step, result)
            check = p.check(d) if p.check is not None else {}
            checked = p.summarize(step, check[step]()) if step in check else None
        except Exception as exc:  # a peer failing must not stop the comparison
            notes.append(f"failed: {p.name} {step}: {type(exc).__name__}: {exc}")
            continue
        if p is OURS:
            ours, diff = summary, "-"
        elif ours is None:
            diff = "no reference"
        else:
            rel, what = max_rel_diff(step, summary if checked is None else checked, ours)
            flag = "ok" if rel <= TOLERANCE else "DIFFERS"
            diff = f"{rel:9.1e} {flag:<7} {what}"
            if checked is not None:
                diff += f" (tight tol; timed default: {max_rel_diff(step, summary, ours)[0]:.1e})"
        rss = "-" if args.no_rss else measure_rss(p.name, step, n, args.seed)
        trace_s = f"{trace:.1f}" + ("*" if p.engine == "Rust" else "")
        rows.append(Row(p.name, wall, cpu, trace_s, rss, diff, runs))
        sys.stdout.flush()
    return rows, notes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--no-r", action="store_true", help="skip the R timings")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per call")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", nargs="+", choices=list(STEPS), default=None)
    parser.add_argument(
        "--peers",
        nargs="*",
        choices=[p.name for p in PEERS],
        default=None,
        help="peers to run besides ours (default: every installed one; none: ours alone)",
    )
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS subprocesses")
    parser.add_argument("--no-cap", action="store_true", help="run slow peers at every size")
    parser.add_argument("--rss-child", nargs=3, metavar=("PEER", "STEP", "N"), help=SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child:
        peer, step, n = args.rss_child
        rss_child(peer, step, int(n), args.seed)
        return
    wanted = PEERS if args.peers is None else [p for p in PEERS if p.name in args.peers]
    peers = []
    for p in wanted:
        if p.installed():
            peers.append(p)
        else:
            print(f"skipped: {p.name} not installed (pip install -e '.[bench]')")
    if not args.no_r and shutil.which("Rscript") is None:
        print("skipped: R (Rscript not on PATH)")
    steps = args.steps or list(STEPS)
    header = (
        f"{'n':>8} {'step':<7} {'peer':<11} {'wall s':>8} {'cpu s':>8} {'×fast':>6} "
        f"{'trace MiB':>9} {'RSS MiB':>8}  max rel diff vs ours (tolerance {TOLERANCE:g})"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        d = simulate(n, args.seed)
        print(
            f"# n = {n} ({int(d['event'].sum())} events): "
            f"load average {os.getloadavg()[0]:.2f} (1 min)"
        )
        sys.stdout.flush()
        r = None if args.no_r else time_r(d, args.repeat)
        for step in steps:
            rows, notes = run_step(step, n, d, peers, args)
            if r is not None and step in r:
                rs, rmb = r[step]
                rows.append(Row("R", rs, None, "-", f"{rmb:.1f} gc", "not compared", args.repeat))
            fastest = min((row.wall for row in rows), default=np.nan)
            for row in rows:
                ratio = row.wall / fastest if fastest > 0 else np.inf
                cpu = f"{row.cpu:8.3f}" if row.cpu is not None else f"{'-':>8}"
                runs = "" if row.runs >= args.repeat else f" ({row.runs} run)"
                print(
                    f"{n:>8} {step:<7} {row.peer:<11} {row.wall:8.3f} {cpu} {ratio:6.2f} "
                    f"{row.trace:>9} {row.rss:>8}  {row.diff}{runs}"
                )
            for note in notes:
                print(f"{'':>8} {step:<7} {note}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
