"""Does the test suite give the same result every run? (issue 21: ten consecutive runs)

Run: ``.venv/bin/python benchmarks/repeat_runs.py [--runs 10] [--clone] [PYTEST ARGS ...]``,
e.g. ``.venv/bin/python benchmarks/repeat_runs.py --runs 10 --clone -- -m "not slow"``.

Each run is the test command's pytest (the same workers as ``python3 tasks.py test``, without
coverage, which does not change outcomes) with a JUnit XML report; every run gets another
``PYTHONHASHSEED``, so set and dict-of-set orders and the distribution of test files over the
workers differ between runs, as they do between machines. The outcome of every test id
(passed, failed, error, skipped) is compared across runs; the script prints the tests whose
outcome changed and exits 1 if any did (0 when every run agrees).

``--clone`` runs in a fresh ``git clone`` of this checkout's HEAD (in a temporary folder, with
``../shared`` linked beside it when present, as CI has it), so nothing left in the working
tree — a ``.hypothesis/`` folder, a cache, an untracked file — can make the runs agree or
differ; the clone uses this checkout's ``.venv`` and imports its own ``captemstats``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = Path(sys.executable).parent / "pytest"


def outcomes(junit: Path) -> dict[str, str]:
    """Test id -> outcome from a JUnit XML report (pytest's ``--junitxml``)."""
    result: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        tags = {child.tag for child in case}
        outcome = next((t for t in ("failure", "error", "skipped") if t in tags), "passed")
        # a test reported twice (an error in teardown after a pass) keeps its worst outcome
        if result.get(name, "passed") == "passed":
            result[name] = outcome
    return result


def fresh_clone(workdir: Path) -> Path:
    """A clone of HEAD with ``../shared`` beside it (as on CI) when this checkout has one."""
    clone = workdir / "ci"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    shared = ROOT.parent / "shared"
    if shared.exists():
        (workdir / "shared").symlink_to(shared.resolve())
    return clone


def run_once(cwd: Path, seed: int, junit: Path, args: list[str]) -> tuple[int, float]:
    """One pytest run; its exit code and wall time."""
    workers = os.environ.get("CAPTEM_TEST_WORKERS", str(os.cpu_count() or 1))
    dist = ["-n", workers, "--dist", "loadfile"] if workers != "0" else []
    # PYTHONPATH: a clone imports its own captemstats, not the editable install's checkout
    env = {**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(cwd)}
    cmd = [str(PYTEST), *dist, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *args]
    started = time.perf_counter()
    code = subprocess.call(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    return code, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="number of runs (default 10)")
    parser.add_argument("--clone", action="store_true", help="run in a fresh clone of HEAD")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="captem-repeat-") as tmp:
        work = Path(tmp)
        cwd = fresh_clone(work) if args.clone else ROOT
        runs: list[dict[str, str]] = []
        for i in range(args.runs):
            junit = work / f"run{i}.xml"
            code, seconds = run_once(cwd, seed=i + 1, junit=junit, args=args.pytest_args)
            if not junit.exists():
                print(f"run {i + 1}: pytest exited {code} without a report", flush=True)
                return 2
            runs.append(outcomes(junit))
            tally = Counter(runs[-1].values())
            load = os.getloadavg()[0]
            print(
                f"run {i + 1}/{args.runs} (PYTHONHASHSEED={i + 1}): exit {code}, "
                f"{dict(sorted(tally.items()))}, {seconds:.0f} s, load {load:.1f}",
                flush=True,
            )
        if args.clone:
            shutil.rmtree(cwd, ignore_errors=True)
    ids = sorted(set().union(*runs))
    changed = {t: [r.get(t, "absent") for r in runs] for t in ids}
    changed = {t: seq for t, seq in changed.items() if len(set(seq)) > 1}
    for test, seq in changed.items():
        print(f"CHANGED {test}: {' '.join(seq)}")
    print(
        f"{len(ids)} tests, {args.runs} runs: "
        + ("the same outcome in every run" if not changed else f"{len(changed)} changed")
    )
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
