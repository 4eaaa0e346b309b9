"""How closely a registry's analysis reproduces the paper's survival inferences (issue 14).

Run: ``.venv/bin/python benchmarks/fidelity.py [REGISTRY] [--model weibull|scheduled]``.
Without REGISTRY it generates the 308-patient registry with the given synthetic survival
model (default seed) in a temporary folder. Prints every published KM median, log-rank P
and Table 3 HR beside the recomputed value, then the issue's three figures: medians within
±10 %, log-rank tests on the same side of .05 and within a factor 3, HRs within 15 % with
the same direction (Table 3's labels read literally). Nothing here is a test: the figures
are measurements for the closing note.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from captemstats.analysis import analyze
from captemstats.published import load_published
from captemstats.reproduction import compare_with_published
from captemstats.synth import generate_registry, write_registry


def figures(rep: pd.DataFrame) -> dict[str, str]:
    """The three agreement counts of the issue's "Done when"."""
    m = rep[rep["quantity"] == "median (months)"]
    both_nr = m["published_value"].isna() & m["recomputed"].isna()
    med_ok = (m["relative_difference"].abs() <= 0.10) | both_nr
    p = rep[rep["quantity"] == "log-rank P"]
    side = (p["published_value"] < 0.05) == (p["recomputed"] < 0.05)
    ratio = np.maximum(
        p["recomputed"] / p["published_value"], p["published_value"] / p["recomputed"]
    )
    h = rep[rep["quantity"] == "hazard ratio"]
    same = np.sign(np.log(h["published_value"])) == np.sign(np.log(h["recomputed"]))
    hr_ok = (h["relative_difference"].abs() <= 0.15) & same
    return {
        "medians within 10%": f"{int(med_ok.sum())}/{len(m)}",
        "log-rank same side of .05": f"{int(side.sum())}/{len(p)}",
        "log-rank same side and within x3": f"{int((side & (ratio <= 3)).sum())}/{len(p)}",
        "HR within 15% and same direction": f"{int(hr_ok.sum())}/{len(h)}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("registry", nargs="?")
    ap.add_argument("--model", choices=("weibull", "scheduled"), default="weibull")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.registry
        if folder is None:
            started = time.perf_counter()
            reg = generate_registry(308, survival_model=args.model)
            print(f"generated ({args.model}) in {time.perf_counter() - started:.1f} s")
            write_registry(reg, Path(tmp) / "registry")
            folder = str(Path(tmp) / "registry")
        rep = compare_with_published(analyze(folder), load_published()).to_frame()
    cols = ["quantity", "endpoint", "grouping", "group", "published_value", "recomputed"]
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(rep[[*cols, "relative_difference"]].to_string())
    for name, value in figures(rep).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
