"""The scheduled-assessment survival model of the synthetic registry (issue 14, item 2).

``generate_registry(..., survival_model="scheduled")``: progression is seen at the next
scheduled assessment (every 91–122 days from the start of CAPTEM, jitter, missed ones), the
best-response PD patients at the first; Table 1/2 counts stay exact; the medians follow the
paper's ordering by grade and Ki-67 class. The schedule and the calibration's own log-rank
test are specified here too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_synth import run_pipeline, table1_counts

from captemstats.published import load_published
from captemstats.survival.km import kaplan_meier
from captemstats.survival.logrank import logrank_test
from captemstats.synth import generate_registry, write_registry
from captemstats.synth.calibrate import logrank_p
from captemstats.synth.targets import BOR_CODES, LINES, TABLE1_LEVELS, Targets, load_resolved
from captemstats.synth.timeline import (
    INTERVAL_DAYS,
    JITTER_DAYS,
    MAX_MISSED,
    ScanSchedule,
)


@pytest.fixture(scope="module")
def scheduled() -> object:
    return generate_registry(308, survival_model="scheduled")


# ----------------------------------------------------------------------------- schedule
def _schedule(n: int = 400, seed: int = 5) -> ScanSchedule:
    return ScanSchedule.draw(np.random.default_rng(seed), n)


def test_assessment_days_increase_and_stay_in_the_interval() -> None:
    s = _schedule()
    idx = np.repeat(np.arange(400), 30)
    j = np.tile(np.arange(1, 31), 400)
    days = s.day(idx, j).reshape(400, 30)
    assert np.all(np.diff(days, axis=1) > 0)
    due = np.rint(j.reshape(400, 30) * s.interval[:, None])
    assert np.all(np.abs(days - due) <= JITTER_DAYS)
    lo, hi = INTERVAL_DAYS
    assert np.all((s.interval >= lo) & (s.interval <= hi))


def test_first_assessment_always_performed_and_misses_bounded() -> None:
    s = _schedule()
    idx = np.repeat(np.arange(400), 60)
    j = np.tile(np.arange(1, 61), 400)
    done = s.performed(idx, j).reshape(400, 60)
    assert done[:, 0].all()
    assert not done.all(), "some assessments must be missed"
    run = np.zeros(400, dtype=int)
    longest = 0
    for col in range(60):
        run = np.where(done[:, col], 0, run + 1)
        longest = max(longest, int(run.max()))
    assert longest <= MAX_MISSED


@pytest.mark.parametrize("min_j", [1, 2])
def test_seen_at_is_the_first_performed_assessment_on_or_after(min_j: int) -> None:
    s = _schedule()
    rng = np.random.default_rng(1)
    idx = np.arange(400)
    t = rng.uniform(0.0, 2000.0, 400)
    seen = s.seen_at(t, idx, min_j=min_j)
    assert np.all(seen >= t)
    for i in range(0, 400, 7):  # brute force over the whole schedule
        j = np.arange(min_j, 40)
        days = s.day(np.full(j.size, i), j)
        ok = (days >= t[i]) & s.performed(np.full(j.size, i), j)
        assert seen[i] == days[ok][0]


def test_performed_days_lists_every_performed_assessment() -> None:
    s = _schedule(50)
    idx = np.arange(50)
    until = np.full(50, 900)
    owner, days = s.performed_days(idx, until)
    for i in range(50):
        j = np.arange(1, 20)
        d = s.day(np.full(j.size, i), j)
        want = d[(d <= 900) & s.performed(np.full(j.size, i), j)]
        np.testing.assert_array_equal(days[owner == i], want)


def test_calibration_logrank_equals_the_library() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        n = 150
        g = rng.integers(0, 3, n)
        t = np.rint(rng.exponential(200.0, n) * np.where(g == 1, 1.6, 1.0)) + 1
        e = rng.random(n) < 0.7
        ours = logrank_p(t, e, g)
        lib = logrank_test(t, e, g).p_value
        assert ours == pytest.approx(lib, rel=1e-9)


# ----------------------------------------------------------------------------- registry
def test_counts_stay_exact(scheduled: object) -> None:
    """Tables 1 and 2 per line, through the pipeline (RECIST from the lesion rows)."""
    targets = Targets.from_resolved(load_resolved())
    result = run_pipeline(scheduled)
    d = result.cohort.data
    assert len(d) == targets.n
    got = table1_counts(d)
    for var, levels in TABLE1_LEVELS.items():
        for i, level in enumerate(levels):
            for j, g in enumerate(LINES):
                assert got[(var, level, g)] == targets.table1[var][i, j], (var, level, g)
    for i, code in enumerate(BOR_CODES):
        for j, g in enumerate(LINES):
            sel = result.bor[result.bor["line_group"] == g]
            assert int((sel["bor"] == code).sum()) == targets.bor[i, j], (code, g)


def test_progression_is_dated_at_an_assessment_and_pd_at_the_first(scheduled: object) -> None:
    reg = scheduled
    p = reg.patients  # type: ignore[attr-defined]
    les = reg.lesions  # type: ignore[attr-defined]
    result = run_pipeline(reg)
    start = p.set_index("patient_id")["captem_start_date"]
    visits = les[["patient_id", "assessment_date"]].drop_duplicates()
    visits = visits.assign(
        day=(visits["assessment_date"] - visits["patient_id"].map(start)).dt.days
    )
    follow = visits[visits["day"] > 0]
    prog = p.dropna(subset=["progression_date"]).set_index("patient_id")["progression_date"]
    evaluable = set(result.bor.loc[result.bor["bor"].isin(["CR", "PR", "SD", "PD"]), "patient_id"])
    dated = follow.groupby("patient_id")["assessment_date"].apply(set)
    for pid, when in prog.items():
        if pid in evaluable:
            assert when in dated[pid], pid
    pd_ids = result.bor.loc[result.bor["bor"] == "PD", "patient_id"]
    n_follow = follow.groupby("patient_id").size()
    assert (n_follow.reindex(pd_ids).fillna(0) == 1).all()
    # an evaluable patient's first follow-up is the schedule's first assessment (a
    # not-evaluable one-course patient has no regular assessment, only a progression one)
    first = follow.groupby("patient_id")["day"].min().reindex(sorted(evaluable))
    lo, hi = INTERVAL_DAYS
    assert first.between(lo - JITTER_DAYS, hi + JITTER_DAYS).all()


def test_median_order_by_grade_and_ki67_follows_the_paper(scheduled: object) -> None:
    """The OS medians of grade 3 / Ki-67 21–55 % lie below those of the other compared levels
    exactly when the paper's do (the earlier generator reversed them)."""
    result = run_pipeline(scheduled)
    d = result.cohort.data
    published = load_published().survival_frame().drop_duplicates(["endpoint", "grouping", "group"])
    for grouping, worst in (("grade", "3"), ("ki67_group", "21-55")):
        pub = published[(published["endpoint"] == "os") & (published["grouping"] == grouping)]
        pub_med = dict(zip(pub["group"].astype(str), pub["median_months"], strict=True))
        keep = d[d[grouping].astype("string").isin(list(pub_med))]
        km = kaplan_meier(keep["os_months"], keep["os_event"], by=keep[grouping].astype("string"))
        ours = {g: km.median[g].estimate for g in pub_med}
        for g, value in pub_med.items():
            if g == worst:
                continue
            pub_other = np.inf if pd.isna(value) else value
            ours_other = np.inf if pd.isna(ours[g]) else ours[g]
            assert (ours[worst] < ours_other) == (pub_med[worst] < pub_other), (grouping, g)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = write_registry(generate_registry(120, seed=4, survival_model="scheduled"), tmp_path / "a")
    b = write_registry(generate_registry(120, seed=4, survival_model="scheduled"), tmp_path / "b")
    for name in ("patients", "lesions", "adverse_events"):
        assert a[name].read_bytes() == b[name].read_bytes()


def test_unknown_survival_model_is_refused() -> None:
    with pytest.raises(ValueError, match="survival_model"):
        generate_registry(60, survival_model="exponential")  # type: ignore[arg-type]


def test_cli_records_the_survival_model(tmp_path: Path) -> None:
    """The provenance names the model; the command repeats --survival-model only when it is
    not the default (scheduled)."""
    import json

    from typer.testing import CliRunner

    from captemstats.cli import _register, app

    _register()
    out = tmp_path / "reg"
    args = ["synth", "-n", "60", "--seed", "3", "--survival-model", "weibull", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    prov = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert prov["survival_model"] == "weibull"
    assert "--survival-model weibull" in prov["command"]
    default = generate_registry(60, seed=3).provenance()
    assert default["survival_model"] == "scheduled"
    assert "--survival-model" not in default["command"]
