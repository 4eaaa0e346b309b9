"""Benchmark the built-in renderer: a full render of HTML + PDF + DOCX, then a cached re-render.

    .venv/bin/python benchmarks/bench_render.py                  # the manuscript if present
    .venv/bin/python benchmarks/bench_render.py --document tests/data/qmd/article.qmd \
        --param data=values.csv

Defaults: report/index.qmd with ``registry=data/registry`` when both exist, else the renderer's
test fixture. The document is rendered into benchmarks/out/ with a private cache folder, so the
project's _freeze/ is untouched. Targets (issue 7): full render < 60 s, unchanged re-render
< 10 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from captemstats.render import render_document

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"full": 60.0, "cached": 10.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--document", type=Path)
    parser.add_argument("--param", action="append", default=[], help="key=value (repeatable)")
    parser.add_argument("--formats", default="html,pdf,docx")
    args = parser.parse_args()

    document, params = args.document, dict(p.split("=", 1) for p in args.param)
    if document is None:
        article, registry = ROOT / "report/index.qmd", ROOT / "data/registry"
        if article.is_file() and registry.exists():
            document, params = article, {"registry": str(registry), **params}
        else:
            document = ROOT / "tests/data/qmd/article.qmd"
            params = {"data": "values.csv", **params}
    formats = tuple(args.formats.split(","))
    out = ROOT / "benchmarks/out/render"
    shutil.rmtree(out, ignore_errors=True)
    print(f"document: {document}\nparams:   {params}\nformats:  {', '.join(formats)}")
    with tempfile.TemporaryDirectory(prefix="bench-freeze-") as cache_dir:
        runs = {}
        for name in ("full", "cached"):
            t0 = time.perf_counter()
            result = render_document(
                document,
                formats=formats,
                params=params,
                out_dir=out,
                use_quarto="never",
                cache_dir=cache_dir,
            )
            runs[name] = (time.perf_counter() - t0, result)
    print(f"\n{'run':8} {'total s':>8} {'cache':>6} {'cells':>6}  per step (s)")
    for name, (seconds, result) in runs.items():
        steps = ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items())
        verdict = "ok" if seconds < TARGETS[name] else f"OVER {TARGETS[name]:.0f} s target"
        print(
            f"{name:8} {seconds:8.2f} {result.cache_hit!s:>6} {result.executed_cells:6d}  "
            f"{steps}  [{verdict}]"
        )
    for warning in runs["full"][1].warnings:
        print(f"warning: {warning}")


if __name__ == "__main__":
    main()
