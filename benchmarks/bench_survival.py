"""Benchmark of captemstats.survival against R's survival package.

Run: ``.venv/bin/python benchmarks/bench_survival.py [n ...] [--no-r] [--seed S]``
(default sizes 10^4 and 10^5; add 1000000 for 10^6). For each size it simulates patients —
exponential survival with a 3-level group effect and 8 covariates (4 binary, 4 continuous),
independent exponential censoring (~35% censored), times rounded to 0.1 month so that ties
occur as in registry data — and times three calls:

* ``km``      kaplan_meier(time, event, group=group)   ~ survfit(Surv(time, event) ~ group)
* ``logrank`` logrank_test(time, event, group)         ~ survdiff(Surv(time, event) ~ group)
* ``cox8``    cox_ph(..., 8 covariates, ties="efron")  ~ coxph(Surv(time, event) ~ x1 + ... + x8)

Python timings are the best of ``--repeat`` runs (wall clock, and CPU time of the process,
which is less sensitive to other jobs on a shared machine); peak memory is the tracemalloc
peak of one further run (numpy buffers included): what the call allocates beyond the data,
which exists before it starts. ``--steps cox8`` times only some calls; the 1-minute load
average is printed before each size, since timings on a loaded machine are not comparable.
When ``Rscript`` is on PATH the same calls run in R on the same data (read from a temporary
CSV, not timed), timed with ``system.time`` (elapsed) and with R's peak memory as ``gc()``'s
"max used" after ``gc(reset = TRUE)`` minus what was in use at the reset (so both columns
count memory allocated by the call); the ratio is Python time / R time. This is a script,
not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from captemstats.survival import cox_ph, kaplan_meier, logrank_test

COVARIATES = [f"x{i}" for i in range(1, 9)]


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


def python_calls(d: pd.DataFrame) -> dict[str, Callable[[], Any]]:
    return {
        "km": lambda: kaplan_meier(d["time"], d["event"], group=d["group"]),
        "logrank": lambda: logrank_test(d["time"], d["event"], d["group"]),
        "cox8": lambda: cox_ph(d, "time", "event", COVARIATES, ties="efron"),
    }


def time_python(
    d: pd.DataFrame, repeat: int, steps: list[str] | None = None
) -> dict[str, tuple[float, float, float]]:
    """step -> (best wall seconds, best CPU seconds, tracemalloc peak MiB)."""
    out = {}
    for step, fn in python_calls(d).items():
        if steps and step not in steps:
            continue
        best = best_cpu = np.inf
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        tracemalloc.start()
        fn()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[step] = (best, best_cpu, peak / 2**20)
    return out


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--no-r", action="store_true", help="skip the R timings")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per call")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", nargs="+", choices=["km", "logrank", "cox8"], default=None)
    args = parser.parse_args(argv)
    header = (
        f"{'n':>9} {'step':<8} {'python s':>9} {'cpu s':>7} {'R s':>8} {'py/R':>6} "
        f"{'py peak MiB':>11} {'R peak MB':>13} {'events':>7}"
    )
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        d = simulate(n, args.seed)
        print(f"# n = {n}: load average {os.getloadavg()[0]:.2f} (1 min)")
        py = time_python(d, args.repeat, args.steps)
        r = None if args.no_r else time_r(d, args.repeat)
        for step, (secs, cpu, peak) in py.items():
            if r is not None and step in r:
                rs, rmb = r[step]
                ratio = f"{secs / rs:6.2f}" if rs > 0 else "   inf"
                rcol = f"{rs:8.3f} {ratio} {peak:11.1f} {rmb:13.1f}"
            else:
                rcol = f"{'-':>8} {'-':>6} {peak:11.1f} {'-':>13}"
            print(f"{n:>9} {step:<8} {secs:9.3f} {cpu:7.3f} {rcol} {int(d['event'].sum()):>7}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
