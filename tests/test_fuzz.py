"""Fuzzing the registry reader and validator: every mutant of tests/data/valid either loads to
the same typed tables (hence the same analysis) or is refused naming the mutated place —
never a traceback, never a silently different registry (engine: tests/fuzz_registry.py).

CI runs ``CAPTEMSTATS_FUZZ_EXAMPLES`` mutants (default 100, about 25 s); a long campaign is
``benchmarks/fuzz_campaign.py --minutes 10``.
"""

from __future__ import annotations

import os

import fuzz_registry as engine
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("CAPTEMSTATS_FUZZ_EXAMPLES", "100"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(engine.mutants())
def test_every_mutant_loads_unchanged_or_is_refused_naming_the_cell(mutant: engine.Mutant) -> None:
    outcome = engine.run_mutant(mutant)
    assert outcome.ok, f"{outcome.status}: {'; '.join(mutant.steps)}\n{outcome.detail}"


@pytest.mark.parametrize("kind", sorted(engine.BREAKING))
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_breaking_mutation_is_refused(kind: str, data: st.DataObject) -> None:
    mutant = engine.Mutant(engine._copy(engine.load_valid()))
    engine.BREAKING[kind](data.draw, mutant)
    outcome = engine.run_mutant(mutant)
    assert outcome.status in ("refused", "warned"), f"{outcome.status}: {outcome.detail}"


def test_the_judge_catches_a_parser_that_drops_bad_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the protection (unreadable cells reported) and the fuzz outcome turns to a
    failure: a bad cell becomes a silently missing value."""
    import pandas as pd

    from captemstats.io import coerce

    mutant = engine.Mutant(engine._copy(engine.load_valid()))
    engine._set(mutant, "patients", 0, "ki67", "8.5%")
    mutant.expect = engine.Expectation("refuse", "patients", 2, "ki67", "bad ki67")
    assert engine.run_mutant(mutant).status == "refused"
    monkeypatch.setattr(
        coerce,
        "_cell_problems",
        lambda *a, **k: pd.DataFrame(columns=list(coerce.PROBLEM_COLUMNS)),
    )
    assert engine.run_mutant(mutant).status in ("silent", "unnamed")


def test_the_judge_reports_tracebacks(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(engine, "read_registry", boom)
    mutant = engine.Mutant(engine._copy(engine.load_valid()))
    assert engine.run_mutant(mutant).status == "traceback"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("ki67", "1e400"),  # beyond the float range: to_numeric gives NaN, not an error
        ("ki67", "-1e400"),
        ("age", "1" + "0" * 400),
        ("cycles", "9" * 30),  # beyond int64: the cast would wrap to -2**63
        ("cycles", "-" + "9" * 25),
        ("ecog", "9223372036854775808"),
    ],
)
def test_numbers_too_large_to_read_are_refused_at_their_cell(column: str, value: str) -> None:
    """Found by the fuzz campaign: such cells used to become silently missing (ki67 is
    nullable) or wrap to a wrong integer."""
    mutant = engine.Mutant(engine._copy(engine.load_valid()))
    engine._set(mutant, "patients", 6, column, value)
    mutant.expect = engine.Expectation("refuse", "patients", 8, column, f"{column}={value}")
    assert engine.run_mutant(mutant).status == "refused"
    with engine.tempfile.TemporaryDirectory() as tmp:
        mutant.write(engine.Path(tmp))
        report = engine.read_registry(engine.Path(tmp)).validate()
    messages = report.frame.loc[report.frame["column"] == column, "message"].tolist()
    assert any("too large" in m for m in messages), messages
