"""Time captemstats' competing-risks functions against R on one large data set.

    .venv/bin/python benchmarks/competing_vs_r.py                 # 10^6 rows
    .venv/bin/python benchmarks/competing_vs_r.py --n 100000 --r-timeout 120
    .venv/bin/python benchmarks/competing_vs_r.py --crr-n 20000   # crr: minutes (quadratic)

A data set of ``--n`` patients (3 groups, 2 causes, continuous times: about n distinct times)
is written to a temporary CSV; R (``survival::survfit`` multi-state, ``cmprsk::cuminc`` with
Gray's test) and captemstats (``cumulative_incidence`` with both variances, ``gray_tests`` for
every cause in one call as ``cuminc``) each read it once, untimed, then the fits are timed
(best of ``--repeat`` for Python; R once). Prints each time, the R / captemstats ratio and the
load average (two shared cores: a busy machine slows both sides). ``fine_gray`` is timed on all
rows and, with ``cmprsk::crr`` (whose Fortran is quadratic in n), on the first ``--crr-n`` rows
(covariates: group indicators and a uniform x). Not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

R_CODE = r"""
suppressPackageStartupMessages({library(survival); library(cmprsk)})
d <- read.csv(commandArgs(TRUE)[1])
d$ev <- factor(d$status, 0:2)
m <- as.integer(commandArgs(TRUE)[2])
if (m > 0) {
  s <- d[seq_len(m), ]
  X <- cbind(b = as.numeric(s$group == "b"), c = as.numeric(s$group == "c"), x = s$x)
  t3 <- system.time(f <- crr(s$time, s$status, X))[["elapsed"]]
  cat("crr", t3, "\n")
}
t2 <- system.time(ci <- cuminc(d$time, d$status, d$group))[["elapsed"]]
cat("cuminc", t2, "\n")
t1 <- system.time(fit <- survfit(Surv(time, ev) ~ group, data = d))[["elapsed"]]
cat("survfit", t1, "\n")
"""


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.4, 0.35, 0.25])
    rate = np.select([group == "a", group == "b"], [1.0, 1.4], 0.8)
    t1 = rng.exponential(1 / (0.6 * rate))
    t2 = rng.exponential(1 / (0.4 * rate))
    cens = rng.uniform(0, 3, n)
    time_ = np.minimum(np.minimum(t1, t2), cens)
    status = np.where(cens <= np.minimum(t1, t2), 0, np.where(t1 < t2, 1, 2))
    x = rng.uniform(0, 1, n)
    return pd.DataFrame({"time": time_, "status": status, "group": group, "x": x})


def _design(d: pd.DataFrame) -> pd.DataFrame:
    g = d["group"]
    return pd.DataFrame({"b": (g == "b") * 1.0, "c": (g == "c") * 1.0, "x": d["x"]})


def time_python(d: pd.DataFrame, repeat: int, crr_n: int) -> dict[str, float]:
    import scipy.stats  # noqa: F401  (imported once, untimed)

    from captemstats.survival import cumulative_incidence, fine_gray, gray_test, gray_tests

    small = d.iloc[:crr_n]

    runs = {
        "cumulative_incidence (ij)": lambda: cumulative_incidence(
            d["time"], d["status"], by=d["group"]
        ),
        "cumulative_incidence (aalen)": lambda: cumulative_incidence(
            d["time"], d["status"], by=d["group"], variance="aalen"
        ),
        "gray_test (causes 1, 2)": lambda: [
            gray_test(d["time"], d["status"], d["group"], cause=c) for c in (1, 2)
        ],
        "gray_tests (every cause, one layout)": lambda: gray_tests(
            d["time"], d["status"], d["group"]
        ),
        "fine_gray (all rows)": lambda: fine_gray(d["time"], d["status"], _design(d)),
        "fine_gray (crr rows)": lambda: fine_gray(small["time"], small["status"], _design(small)),
    }
    out = {}
    for name, fn in runs.items():
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        out[name] = best
    return out


def time_r(path: Path, timeout: float, crr_n: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as f:
        f.write(R_CODE)
    try:
        res = subprocess.run(
            ["Rscript", f.name, str(path), str(crr_n)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        stdout = res.stdout
    except subprocess.TimeoutExpired as exc:  # survfit (run last) did not finish in time
        raw = exc.stdout or ""
        stdout = raw.decode() if isinstance(raw, bytes) else raw
    finally:
        os.unlink(f.name)
    out = {"timeout": timeout}
    for line in stdout.splitlines():
        name, value = line.split()
        out[name] = float(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--r-timeout", type=float, default=1800.0)
    parser.add_argument("--crr-n", type=int, default=5_000)
    args = parser.parse_args()
    d = make_data(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "competing.csv"
        d.to_csv(path, index=False, float_format="%.17g")
        d = pd.read_csv(path)
        print(f"n = {args.n:,} rows, {d['time'].nunique():,} distinct times")
        print(f"load average before: {os.getloadavg()}")
        py = time_python(d, args.repeat, args.crr_n)
        r = time_r(path, args.r_timeout, args.crr_n)
    for name, secs in py.items():
        print(f"captemstats {name}: {secs:.2f} s")
    ij = py["cumulative_incidence (ij)"]
    al = py["cumulative_incidence (aalen)"] + py["gray_tests (every cause, one layout)"]
    if "crr" in r:
        fg = py["fine_gray (crr rows)"]
        print(f"R crr on {args.crr_n:,} rows: {r['crr']:.2f} s (ratio {r['crr'] / fg:.0f}x)")
    if "cuminc" in r:
        print(f"R cuminc (incidence, var, Gray's test): {r['cuminc']:.2f} s")
        print(f"ratio cuminc / (cumulative_incidence(aalen) + gray_tests): {r['cuminc'] / al:.2f}x")
    if "survfit" in r:
        print(f"R survfit (multi-state, IJ variance): {r['survfit']:.2f} s")
        print(f"ratio survfit / cumulative_incidence(ij): {r['survfit'] / ij:.1f}x")
    else:
        print(
            f"R survfit not finished within {r['timeout']:.0f} s: ratio > {r['timeout'] / ij:.0f}x"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
