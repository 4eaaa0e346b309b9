"""Time the survival estimators added for issue 19 against R on one large data set.

    .venv/bin/python benchmarks/new_estimators_vs_r.py              # 10^6 patients
    .venv/bin/python benchmarks/new_estimators_vs_r.py --n 100000

One simulated cohort of ``--n`` patients (3 groups, 3 covariates, continuous times, about 70 %
events, non-integer case weights 1, 1.5, 2, 2.5) is written to a temporary CSV; R
(``survival`` 3.5) and captemstats each read it once, untimed, then time:

- ``rmst``: RMST to tau = 2 by group (R ``print(survfit(...), rmean = 2)``);
- ``km_weighted``: Kaplan–Meier by group with case weights (robust variance in both);
- ``cox_weighted``: Efron Cox with case weights (robust variance in both);
- ``cox_counting``: Efron Cox on the data split at t = 0.5 and 1 (``survSplit``: about 2n
  (start, stop] rows), clustered on the patient;
- ``cox_factor_terms``: a 3-level factor plus two covariates with the joint Wald and drop-one
  likelihood-ratio tests (``drop1``).

Prints each time (Python best of ``--repeat``, R once), the R / captemstats ratio and the load
average; the coefficients of both sides are compared (to 1e-8 relative) so the timing is of
the same numbers. Needs ``Rscript`` with ``survival``. Not a test.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

R_CODE = r"""
suppressPackageStartupMessages(library(survival))
d <- read.csv(commandArgs(TRUE)[1])
out <- commandArgs(TRUE)[2]
tm <- function(name, expr) {
  t <- system.time(v <- expr)[["elapsed"]]
  cat(name, t, "\n")
  v
}
f <- tm("rmst", summary(survfit(Surv(time, event) ~ group, data = d), rmean = 2)$table)
k <- tm("km_weighted", survfit(Surv(time, event) ~ group, data = d, weights = w))
c1 <- tm("cox_weighted", coxph(Surv(time, event) ~ x1 + x2 + x3, data = d, weights = w))
s <- survSplit(Surv(time, event) ~ ., data = d, cut = c(0.5, 1), start = "t0", end = "t1")
c2 <- tm("cox_counting", coxph(Surv(t0, t1, event) ~ x1 + x2 + x3, data = s, cluster = id))
c3 <- tm("cox_factor_terms", {
  fit <- coxph(Surv(time, event) ~ group + x1 + x2, data = d)
  drop1(fit, test = "Chisq")
  fit
})
write.csv(data.frame(model = c(rep("cox_weighted", 3), rep("cox_counting", 3),
                               rep("cox_factor_terms", 4)),
                     coef = c(coef(c1), coef(c2), coef(c3))),
          out, row.names = FALSE)
"""


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.4, 0.35, 0.25])
    x1, x2, x3 = rng.normal(size=n), rng.uniform(size=n), rng.binomial(1, 0.4, n)
    eta = 0.3 * x1 - 0.5 * x2 + 0.4 * x3 + np.select([group == "b", group == "c"], [0.3, -0.2])
    t = rng.exponential(1 / np.exp(eta))
    c = rng.uniform(0, 3, n)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "time": np.minimum(t, c),
            "event": (t <= c).astype(int),
            "group": group,
            "x1": x1,
            "x2": x2,
            "x3": x3,
            "w": 1 + (np.arange(n) % 4) / 2,
        }
    )


def split(d: pd.DataFrame, cuts: tuple[float, ...] = (0.5, 1.0)) -> pd.DataFrame:
    """R's ``survSplit``: one (start, stop] row per interval a patient lives through."""
    parts = []
    bounds = (0.0, *cuts, np.inf)
    for lo, hi in itertools.pairwise(bounds):
        sub = d[d["time"] > lo]
        parts.append(
            sub.assign(
                t0=lo,
                t1=np.minimum(sub["time"], hi),
                event=np.where(sub["time"] <= hi, sub["event"], 0),
            )
        )
    return pd.concat(parts, ignore_index=True)


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--r-timeout", type=int, default=1800)
    args = ap.parse_args()
    from captemstats.survival import cox_ph, kaplan_meier, rmst

    d = make_data(args.n)
    s = split(d)
    py: dict[str, float] = {}
    coefs: dict[str, np.ndarray] = {}
    py["rmst"], _ = best(lambda: rmst(d["time"], d["event"], by=d["group"], tau=2.0), args.repeat)
    py["km_weighted"], _ = best(
        lambda: kaplan_meier(d["time"], d["event"], by=d["group"], weights=d["w"]),
        args.repeat,
    )
    py["cox_weighted"], f1 = best(
        lambda: cox_ph(d, "time", "event", ["x1", "x2", "x3"], weights="w"), args.repeat
    )
    py["cox_counting"], f2 = best(
        lambda: cox_ph(s, "t1", "event", ["x1", "x2", "x3"], start="t0", cluster="id"),
        args.repeat,
    )

    def terms() -> Any:
        fit = cox_ph(d, "time", "event", ["group", "x1", "x2"])
        fit.term_tests()
        return fit

    py["cox_factor_terms"], f3 = best(terms, args.repeat)
    for name, fit in (("cox_weighted", f1), ("cox_counting", f2), ("cox_factor_terms", f3)):
        coefs[name] = np.asarray(fit.coef)

    r: dict[str, float] = {}
    agree = "R not run"
    timed_out = False
    with tempfile.TemporaryDirectory() as tmp:
        csv, out = Path(tmp) / "d.csv", Path(tmp) / "coef.csv"
        d.to_csv(csv, index=False)
        try:
            run = subprocess.run(
                ["Rscript", "-e", R_CODE, str(csv), str(out)],
                capture_output=True,
                text=True,
                timeout=args.r_timeout,
                check=True,
            )
            for line in run.stdout.splitlines():
                name, secs = line.split()
                r[name] = float(secs)
            rc = pd.read_csv(out)
            worst = {
                str(m): float(np.max(np.abs(coefs[str(m)] / g["coef"].to_numpy() - 1)))
                for m, g in rc.groupby("model")
            }
            agree = "largest relative coefficient difference from R: " + ", ".join(
                f"{m} {v:.1e}" for m, v in worst.items()
            )
        except subprocess.TimeoutExpired as exc:  # the steps R finished are still timed
            raw = exc.stdout or ""
            for line in (raw.decode() if isinstance(raw, bytes) else raw).splitlines():
                name, secs = line.split()
                r[name] = float(secs)
            agree = f"R stopped after {args.r_timeout} s: the steps it did not finish show '>'"
            timed_out = True
        except (FileNotFoundError, subprocess.SubprocessError) as exc:
            agree = f"R not run: {exc}"
    print(f"n = {args.n:,} patients ({len(s):,} counting-process rows); load {os.getloadavg()}")
    print(f"{'step':<18}{'captemstats s':>15}{'R s':>10}{'R / ours':>10}")
    for name, secs in py.items():
        rs = r.get(name)
        ratio = f"{rs / secs:.2f}" if rs else "-"
        if rs is None and timed_out:  # R needed more than the time-out: a lower bound
            ratio = f"> {args.r_timeout / secs:.0f}"
        print(f"{name:<18}{secs:>15.3f}{(rs or float('nan')):>10.2f}{ratio:>10}")
    print(agree)


if __name__ == "__main__":
    main()
