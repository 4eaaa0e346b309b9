"""A long fuzzing campaign of the registry reader and validator (issue 8, item 6).

Mutates the valid fixture registry (tests/data/valid) with the engine of tests/fuzz_registry.py
for a time budget or a number of mutants and prints the figures: mutants tried, loaded
unchanged, refused with the mutated place named, loaded with a warning naming the table,
and every failure (tracebacks, silently different loads, refusals not naming the place,
preserving mutants refused). Exit code 1 when any failure was found.

    .venv/bin/python benchmarks/fuzz_campaign.py --minutes 10
    .venv/bin/python benchmarks/fuzz_campaign.py --examples 2000 --seed 7
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import fuzz_registry as engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="time budget")
    parser.add_argument("--examples", type=int, default=10**9, help="stop after N mutants")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    deadline = time.monotonic() + 60 * args.minutes
    counts: collections.Counter[str] = collections.Counter()
    by_kind: collections.Counter[str] = collections.Counter()
    failures: list[tuple[list[str], engine.Outcome]] = []
    rounds = 0
    t0 = time.monotonic()
    while time.monotonic() < deadline and sum(counts.values()) < args.examples:
        batch = min(500, args.examples - sum(counts.values()))

        @settings(
            max_examples=batch,
            deadline=None,
            database=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
        )
        @given(engine.mutants())
        def campaign(mutant: engine.Mutant) -> None:
            if time.monotonic() >= deadline:
                return
            outcome = engine.run_mutant(mutant)
            counts[outcome.status] += 1
            by_kind[mutant.expect.what.split(" ")[0] or "preserving"] += 1
            if not outcome.ok:
                failures.append((list(mutant.steps), outcome))

        run = seed(args.seed + rounds if args.seed is not None else random.getrandbits(32))
        run(campaign)()
        rounds += 1
    seconds = time.monotonic() - t0
    tried = sum(counts.values())
    bad = tried - counts["unchanged"] - counts["refused"] - counts["warned"]
    print(f"mutants tried:                 {tried}  ({seconds:.0f} s, {tried / seconds:.1f}/s)")
    print(f"loaded unchanged:              {counts['unchanged']}")
    print(f"refused with a named cell:     {counts['refused']}")
    print(f"loaded with a named warning:   {counts['warned']}")
    print(f"tracebacks:                    {counts['traceback']}")
    print(f"silently different:            {counts['silent']}")
    print(f"refused, place not named:      {counts['unnamed']}")
    print(f"preserving mutant refused:     {counts['false_refusal']}")
    print(
        "mutants by breaking step:      "
        + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items()))
    )
    for steps, outcome in failures[:20]:
        print(f"--- {outcome.status}: {'; '.join(steps)}\n{outcome.detail}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
