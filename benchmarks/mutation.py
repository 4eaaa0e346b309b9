"""Mutation testing of the core statistical and rule modules with mutmut (issue 21).

Run: ``.venv/bin/python benchmarks/mutation.py [MODULE ...] [--max-children N] [--keep]``,
e.g. ``.venv/bin/python benchmarks/mutation.py captemstats/privacy.py``. Without modules it
runs every module of :data:`PLAN` (hours on 2 cores: run it overnight, or one module at a time).
Needs ``mutmut`` (3.x) in ``.venv``: ``.venv/bin/pip install mutmut``.

A mutant is a one-token change of the code (``<`` → ``<=``, ``+`` → ``-``, a constant
changed, an argument dropped, ...). Each is run against the fast tests that cover the module
(:data:`PLAN`); it is *killed* when a test fails. The score printed is killed / all mutants,
where "all" includes mutants no selected test reaches (mutmut's "no tests") and time-outs,
so the score cannot be raised by testing less. Survivors are listed with their diffs in
``benchmarks/out/mutation/<module>.txt`` — each one is a missing test or an equivalent change
that the closing note must explain.

Why a copy: mutmut writes a ``mutants/`` tree and runs the tests there; doing it in a scratch
copy of the tracked files (``benchmarks/out/mutation/work-<module>``, git-ignored) leaves the
working tree, where others run tests at the same time, untouched. The copy's ``pyproject.toml``
gets a ``[tool.mutmut]`` section; the repository's own has none.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "mutation"
MUTMUT = Path(sys.executable).parent / "mutmut"

#: module → the fast tests that specify it (the boundary tests cover every rule threshold)
PLAN: dict[str, list[str]] = {
    "captemstats/privacy.py": [
        "tests/test_privacy.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_privacy.py",
    ],
    "captemstats/recist/timepoint.py": [
        "tests/test_recist.py",
        "tests/test_recist_properties.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_recist.py",
    ],
    "captemstats/recist/classify.py": [
        "tests/test_recist.py",
        "tests/test_recist_properties.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_recist.py",
    ],
    "captemstats/recist/sequence.py": [
        "tests/test_recist.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_recist.py",
    ],
    "captemstats/recist/baseline.py": ["tests/test_recist.py", "tests/test_boundaries.py"],
    "captemstats/recist/rates.py": [
        "tests/test_recist.py",
        "tests/test_recist_rates_contract.py",
        "tests/test_boundaries.py",
    ],
    "captemstats/recist/best_response.py": [
        "tests/test_recist.py",
        "tests/test_recist_properties.py",
        "tests/test_boundaries.py",
        "tests/test_recist_options.py",
        "tests/test_mutation_best_response.py",
    ],
    "captemstats/compare/_exact.py": [
        "tests/test_compare.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_compare_exact.py",
    ],
    "captemstats/compare/_network.py": [
        "tests/test_compare.py",
        "tests/test_mutation_compare_exact.py",
    ],
    "captemstats/compare/contingency.py": [
        "tests/test_compare.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_compare_tables.py",
    ],
    "captemstats/compare/rank.py": ["tests/test_compare.py", "tests/test_mutation_compare_rank.py"],
    "captemstats/compare/groups.py": [
        "tests/test_compare.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_compare_tables.py",
    ],
    "captemstats/compare/characteristics.py": [
        "tests/test_compare.py",
        "tests/test_tables.py",
        "tests/test_mutation_compare_tables.py",
    ],
    "captemstats/compare/two_by_two.py": [
        "tests/test_compare.py",
        "tests/test_compare_yates.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_compare_exact.py",
    ],
    "captemstats/compare/_tabulate.py": [
        "tests/test_compare.py",
        "tests/test_compare_yates.py",
        "tests/test_mutation_compare_tables.py",
    ],
    "captemstats/cohort.py": [
        "tests/test_cohort.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_cohort.py",
    ],
    "captemstats/validation/rules.py": [
        "tests/test_validation.py",
        "tests/test_boundaries.py",
        "tests/test_mutation_rules.py",
    ],
    "captemstats/survival/km.py": [
        "tests/test_survival.py",
        "tests/test_mutation_survival_km.py",
    ],
    "captemstats/survival/logrank.py": [
        "tests/test_survival.py",
        "tests/test_logrank_contract.py",
        "tests/test_mutation_survival_km.py",
    ],
    "captemstats/survival/cox.py": [
        "tests/test_survival.py",
        "tests/test_cox_singular.py",
        "tests/test_mutation_survival_cox.py",
    ],
    "captemstats/survival/zph.py": [
        "tests/test_survival.py",
        "tests/test_cox_singular.py",
        "tests/test_mutation_survival_cox.py",
    ],
    "captemstats/survival/_efron.py": [
        "tests/test_survival.py",
        "tests/test_mutation_survival_km.py",
    ],
}
#: module -> tests of its PLAN files left out of the run because they are slow (each mutant
#: that survives runs every test that reaches it); what they specify is checked faster by
#: the tests that stay
DESELECT: dict[str, list[str]] = {
    # 25 examples x (read_registry + 2 validations), ~12 s per surviving mutant; row-order
    # independence is also checked, on fixed orders, by tests/test_mutation_rules.py
    "captemstats/validation/rules.py": [
        "tests/test_validation.py::test_problems_do_not_depend_on_row_order"
    ],
}
#: a mutant's tests may take this many times their clean time before it is a time-out
TIMEOUT_MULTIPLIER = 3.0
#: seconds added to a mutant's clean test time before the multiplier applies
TIMEOUT_CONSTANT = 10.0
#: mutmut exit-code statuses that count as killed
KILLED = {"killed", "caught by type check"}


def prepare(work: Path, module: str, tests: list[str]) -> None:
    """A fresh copy of the working tree's files (tracked, and new ones not ignored) with a
    mutmut configuration for one module."""
    if work.exists():
        shutil.rmtree(work)
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, work / name)
    config = {
        "source_paths": ["captemstats/"],
        "only_mutate": [module],
        "also_copy": ["data/", "tests/", "report/", "_quarto.yml"],
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": [
            "-p",
            "no:cacheprovider",
            "-m",
            "not slow",
            "-x",
            "-q",
            *(f"--deselect={t}" for t in DESELECT.get(module, [])),
        ],
        # mutmut's default (15x the tests' time) lets each looping mutant of a search
        # (privacy._candidates) run for minutes; a time-out is still not counted as killed
        "timeout_multiplier": TIMEOUT_MULTIPLIER,
        # mutmut's default of 1 s let a loaded machine (other runs side by side) time out
        # mutants that were only waiting for a core; a time-out is not counted as killed here,
        # so a spurious one lowers the score
        "timeout_constant": TIMEOUT_CONSTANT,
    }
    lines = ["", "[tool.mutmut]", *(f"{k} = {json.dumps(v)}" for k, v in config.items())]
    with (work / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def run_module(module: str, tests: list[str], max_children: int, keep: bool) -> dict[str, object]:
    """Run mutmut on one module; return its counts, score and survivors."""
    slug = module.replace("/", "_")
    work = OUT / f"work-{slug}"  # one copy per module: sessions may run modules side by side
    prepare(work, module, tests)
    log = OUT / (slug + ".log")  # mutmut's progress, to follow with tail
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as fh:
        subprocess.run(
            [str(MUTMUT), "run", "--max-children", str(max_children)],
            cwd=work,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    seconds = time.perf_counter() - started
    listing = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"], cwd=work, capture_output=True, text=True
    ).stdout
    status = dict(re.findall(r"^\s+(\S+): (.+)$", listing, flags=re.M))
    if not status:
        tail = log.read_text(encoding="utf-8")[-2000:]
        raise SystemExit(f"mutmut produced no results for {module}:\n{tail}")
    counts: dict[str, int] = {}
    for s in status.values():
        counts[s] = counts.get(s, 0) + 1
    killed = sum(n for s, n in counts.items() if s in KILLED)
    survivors = sorted(k for k, s in status.items() if s not in KILLED)
    diffs = [
        subprocess.run([str(MUTMUT), "show", name], cwd=work, capture_output=True, text=True).stdout
        for name in survivors
    ]
    report = OUT / (slug + ".txt")
    report.write_text("\n".join(diffs), encoding="utf-8")
    if not keep:
        shutil.rmtree(work)
    return {
        "module": module,
        "tests": tests,
        "mutants": len(status),
        "counts": counts,
        "killed": killed,
        "score": killed / len(status),
        "seconds": round(seconds, 1),
        "survivors": survivors,
        "report": str(report.relative_to(ROOT)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {list(PLAN)}")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutants")
    parser.add_argument("--keep", action="store_true", help="keep the mutmut work copy")
    args = parser.parse_args(argv)
    if not MUTMUT.exists():
        parser.error(f"{MUTMUT} not found: .venv/bin/pip install mutmut")
    unknown = [m for m in args.modules if m not in PLAN]
    if unknown:
        parser.error(f"no test plan for {unknown}; known: {list(PLAN)}")
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for module in args.modules or list(PLAN):
        res = run_module(module, PLAN[module], args.max_children, args.keep)
        results.append(res)
        print(
            f"{module}: {res['killed']}/{res['mutants']} killed ({100 * res['score']:.1f} %) "  # type: ignore[operator]
            f"in {res['seconds']} s; {res['counts']}; survivors in {res['report']}"
        )
    # one summary per run of a single module, so that runs of other modules keep theirs
    name = f"summary-{args.modules[0].replace('/', '_')}.json" if len(args.modules) == 1 else ""
    (OUT / (name or "summary.json")).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
