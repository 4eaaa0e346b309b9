"""Time captemstats' competing-risks functions against R on one large data set.

    .venv/bin/python benchmarks/competing_vs_r.py                 # 10^6 rows
    .venv/bin/python benchmarks/competing_vs_r.py --n 100000 --r-timeout 120

A data set of ``--n`` patients (3 groups, 2 causes, continuous times: about n distinct
times) is written to a temporary CSV; R (``survival::survfit`` multi-state,
``cmprsk::cuminc`` with Gray's test) and captemstats (``cumulative_incidence`` with both
variances, ``gray_test`` for each cause) each read it once, untimed, then the fits are timed
(best of ``--repeat`` for Python; R once). Prints each time, the R / captemstats ratio and
the load average (two shared cores: a busy machine slows both sides). Not a test.
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
    return pd.DataFrame({"time": time_, "status": status, "group": group})


def time_python(d: pd.DataFrame, repeat: int) -> dict[str, float]:
    import scipy.stats  # noqa: F401  (imported once, untimed)

    from captemstats.survival import cumulative_incidence, gray_test

    runs = {
        "cumulative_incidence (ij)": lambda: cumulative_incidence(
            d["time"], d["status"], group=d["group"]
        ),
        "cumulative_incidence (aalen)": lambda: cumulative_incidence(
            d["time"], d["status"], group=d["group"], variance="aalen"
        ),
        "gray_test (causes 1, 2)": lambda: [
            gray_test(d["time"], d["status"], d["group"], cause=c) for c in (1, 2)
        ],
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


def time_r(path: Path, timeout: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as f:
        f.write(R_CODE)
    try:
        res = subprocess.run(
            ["Rscript", f.name, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        stdout = res.stdout
    except subprocess.TimeoutExpired as exc:  # survfit (run last) did not finish
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
    args = parser.parse_args()
    d = make_data(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "competing.csv"
        d.to_csv(path, index=False, float_format="%.17g")
        d = pd.read_csv(path)
        print(f"n = {args.n:,} rows, {d['time'].nunique():,} distinct times")
        print(f"load average before: {os.getloadavg()}")
        py = time_python(d, args.repeat)
        r = time_r(path, args.r_timeout)
    for name, secs in py.items():
        print(f"captemstats {name}: {secs:.2f} s")
    if "timeout" in r:
        print(f"R did not finish within {r['timeout']:.0f} s")
    else:
        for name, secs in r.items():
            print(f"R {name}: {secs:.2f} s")
        ij = py["cumulative_incidence (ij)"]
        al = py["cumulative_incidence (aalen)"] + py["gray_test (causes 1, 2)"]
        print(f"ratio survfit / cumulative_incidence(ij): {r['survfit'] / ij:.1f}x")
        print(
            f"ratio cuminc / (cumulative_incidence(aalen) + gray_test x2): {r['cuminc'] / al:.1f}x"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
