"""Benchmark each manuscript figure for the shipped 308-patient registry: build + 300-dpi PNG.

    .venv/bin/python benchmarks/bench_figures.py            # 3 repeats, best time reported
    .venv/bin/python benchmarks/bench_figures.py --repeat 5 --formats png,svg,pdf

The registry is analysed once (not timed). Each figure is then built exactly as the
manuscript builds it (the arguments of report/index.qmd's ``fig-*`` cells) and saved with
:func:`captemstats.figures.save_figure` into a temporary folder; the best of ``--repeat``
runs is reported (the first run also pays matplotlib's font cache and imports, so it is
shown separately). Target (issue 6): under 1 s per figure for build + PNG.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0

LINES = {"1": "First line", "2": "Second line", "3+": "≥Third line"}
GRADES = {"1": "Grade 1", "2": "Grade 2", "3": "Grade 3", "unknown": "Unknown grade"}
KI67 = {
    "<3": "Ki-67 <3%",
    "3-20": "Ki-67 3%–20%",
    "21-55": "Ki-67 21%–55%",
    "unknown": "Ki-67 unknown",
}
SITES = {
    "pancreas": "Pancreas",
    "gastrointestinal": "Gastrointestinal",
    "lung": "Lung",
    "unknown": "Unknown primary",
}
XLABEL = "Months since start of CAPTEM"


def builders(res: Any) -> dict[str, Callable[[], Any]]:
    """The manuscript's figures as zero-argument builders (same calls as index.qmd)."""
    from captemstats.figures import (
        flow_figure,
        forest_figure,
        km_figure,
        swimmer_figure,
        waterfall_figure,
    )
    from captemstats.recist import swimmer_data, waterfall_data

    def km(endpoint: str, grouping: str | None, labels: dict[str, str] | None) -> Any:
        sc = res.km(endpoint, grouping) if grouping else res.km(endpoint)
        return km_figure(sc.km, logrank=sc.logrank, labels=labels, xlabel=XLABEL)

    return {
        "flow": lambda: flow_figure(
            res.cohort.attrition, groups={LINES[k]: v for k, v in res.n_by_line.items()}
        ),
        "km PFS by line": lambda: km("pfs", "line_group", LINES),
        "km PFS by grade": lambda: km("pfs", "grade", GRADES),
        "km PFS by Ki-67": lambda: km("pfs", "ki67_group", KI67),
        "km PFS overall": lambda: km("pfs", None, None),
        "km OS overall": lambda: km("os", None, None),
        "km OS by site": lambda: km("os", "primary_site", SITES),
        "forest": lambda: forest_figure({"PFS": res.cox["pfs"], "OS": res.cox["os"]}),
        "waterfall": lambda: waterfall_figure(waterfall_data(res.responses)),
        "swimmer": lambda: swimmer_figure(
            swimmer_data(res.responses, res.cohort.data), max_patients=60
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=Path, default=ROOT / "data" / "registry")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="png", help="comma-separated: png,svg,pdf")
    parser.add_argument("--dpi", type=int, default=300)
    args = parser.parse_args()

    from captemstats.analysis import analyze
    from captemstats.figures import save_figure

    t0 = time.perf_counter()
    res = analyze(args.registry)
    print(
        f"registry: {args.registry} ({res.n} patients), analysed in "
        f"{time.perf_counter() - t0:.1f} s (not counted)"
    )
    formats = tuple(args.formats.split(","))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-figures-") as tmp:
        for name, build in builders(res).items():
            runs: list[tuple[float, float]] = []
            for k in range(max(1, args.repeat)):
                a = time.perf_counter()
                fig = build()
                b = time.perf_counter()
                save_figure(fig, Path(tmp) / f"{name.replace(' ', '_')}_{k}", formats, args.dpi)
                c = time.perf_counter()
                runs.append((b - a, c - b))
            first = sum(runs[0])
            best = min(runs, key=sum)
            rows.append((name, first, best[0], best[1], sum(best)))
    fmt = "+".join(formats)
    print(f"\n{'figure':18} {'first s':>8} {'build s':>8} {fmt + ' s':>10} {'total s':>8}  target")
    for name, first, build_s, save_s, total in rows:
        verdict = "ok" if total < TARGET_S else "SLOW"
        print(f"{name:18} {first:8.3f} {build_s:8.3f} {save_s:10.3f} {total:8.3f}  {verdict}")
    worst = max(r[4] for r in rows)
    print(
        f"\nslowest figure: {worst:.3f} s (target < {TARGET_S:.0f} s each, best of {args.repeat})"
    )


if __name__ == "__main__":
    main()
