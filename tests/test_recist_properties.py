"""Invariants of the RECIST 1.1 engine (hypothesis property tests).

* Strictly shrinking target sums with no new lesion and no non-target progression never give
  PD, at any timepoint or as best response.
* The best response (and every timepoint) does not depend on the order of the lesion rows.
* The confirmed best response is never better than the unconfirmed one.

Each example holds several patients, so that one engine call checks many of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recist_frames import Visit, lesion_frame, lesion_rows, patient_frame

from captemstats.recist import (
    RecistConfig,
    assess_timepoints,
    best_overall_response,
    bor_from_sequence,
)
from captemstats.recist.best_response import RESPONSE_RANK

PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RESPONSES = ("CR", "PR", "SD", "PD", "NE")


# ------------------------------------------------------------------------ strategies
@st.composite
def shrinking_patient(draw: st.DrawFn, pid: str, nodes_allowed: bool) -> list[dict[str, object]]:
    """Targets whose counted sum strictly shrinks at every follow-up; non-targets never
    progress and, once absent, are absent or not assessed; no new lesion.

    With ``nodes_allowed`` every lesion shrinks or stays (a node that grows back to >= 10 mm
    after an overall CR has reappeared, which is PD); without nodes (non-nodal targets only)
    single lesions may grow as long as the sum shrinks.
    """
    n_t = draw(st.integers(1, 5))
    nodal = [draw(st.booleans()) if nodes_allowed else False for _ in range(n_t)]
    nodal = [is_node and sum(nodal[:i]) < 2 for i, is_node in enumerate(nodal)]  # one organ
    tids = [f"T{i + 1}" for i in range(n_t)]
    nodes = [t for t, is_node in zip(tids, nodal, strict=True) if is_node]
    sizes = [float(draw(st.integers(150 if is_node else 100, 900))) / 10 for is_node in nodal]
    n_nt = draw(st.integers(0, 2))
    nids = [f"N{i + 1}" for i in range(n_nt)]
    gone_at = {n: draw(st.integers(1, 6)) for n in nids}
    visits = [Visit(-3, dict(zip(tids, sizes, strict=True)), dict.fromkeys(nids, "present"))]
    day = 0
    for k in range(1, draw(st.integers(1, 5)) + 1):
        total = sum(sizes)
        if total <= 0:
            break
        if nodes_allowed:
            # every lesion shrinks by a drawn share (at least one strictly)
            shares = [draw(st.integers(0, 10)) / 10 for _ in sizes]
            if not any(s > 0 for s in shares):
                shares[int(np.argmax(sizes))] = 0.5
            new = [round(s * (1 - f), 1) for s, f in zip(sizes, shares, strict=True)]
        else:
            new_total = total * draw(st.integers(0, 95)) / 100
            weights = [draw(st.integers(0, 10)) for _ in sizes]
            if sum(weights) == 0:
                weights = [1] * len(sizes)
            new = [round(new_total * w / sum(weights), 1) for w in weights]
        # as recorded: below 5 mm a lesion is gone (0) or too small to measure (counts 5 mm);
        # below 10 mm sizes are whole millimetres (a tenth of the previous size with decimals
        # is the engine's centimetre signature, refused by design)
        new = [0.0 if s < 2.5 else 5.0 if s < 5 else float(round(s)) if s < 10 else s for s in new]
        if sum(new) >= total:
            break
        sizes = new
        day += draw(st.integers(28, 120))
        targets: dict[str, float | str] = {
            t: ("disappeared" if s == 0 else "too_small" if s == 5 else s)
            for t, s in zip(tids, sizes, strict=True)
        }
        nts = {
            n: (
                draw(st.sampled_from(["absent", "not_assessed"]))
                if k >= gone_at[n]
                else draw(st.sampled_from(["present", "present", "not_assessed"]))
            )
            for n in nids
        }
        visits.append(Visit(day, targets, nts))
    return lesion_rows(pid, visits, nodes=nodes)


@st.composite
def shrinking_cohort(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 6))
    rows: list[dict[str, object]] = []
    for i in range(n):
        rows += draw(shrinking_patient(f"S{i}", nodes_allowed=draw(st.booleans())))
    return lesion_frame(rows)


SIZE = st.one_of(
    st.integers(0, 1200).map(lambda x: x / 10),
    st.sampled_from(["too_small", "disappeared", "not_assessed", None]),
)
NT = st.sampled_from(["present", "absent", "unequivocal_progression", "not_assessed", None])


@st.composite
def random_patient(draw: st.DrawFn, pid: str) -> list[dict[str, object]]:
    """Any plausible course: growth, shrinkage, too small, gone, missing, new lesions."""
    n_t = draw(st.integers(0, 3))
    n_nt = draw(st.integers(0 if n_t else 1, 2))
    tids = [f"T{i + 1}" for i in range(n_t)]
    nids = [f"N{i + 1}" for i in range(n_nt)]
    nodes = [t for t in tids if draw(st.booleans())][:2]  # lymph nodes are one organ
    base = {t: float(draw(st.integers(150, 800))) / 10 for t in tids}
    visits = [Visit(-draw(st.integers(0, 20)), base, dict.fromkeys(nids, "present"))]
    day = 0
    for _ in range(draw(st.integers(0, 5))):
        day += draw(st.integers(14, 100))
        visits.append(
            Visit(
                day,
                {t: draw(SIZE) for t in tids},
                {n: draw(NT) for n in nids},
                ("X1",) if draw(st.integers(0, 7)) == 0 else (),
            )
        )
    return lesion_rows(pid, visits, nodes=nodes)


@st.composite
def random_cohort(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = draw(st.integers(1, 6))
    rows: list[dict[str, object]] = []
    pids = [f"R{i}" for i in range(n)]
    for pid in pids:
        rows += draw(random_patient(pid))
    optional_day = st.one_of(st.none(), st.integers(20, 500))
    sub = {p: d for p in pids if (d := draw(optional_day)) is not None}
    prog = {p: d for p in pids if (d := draw(optional_day)) is not None}
    cycles = [draw(st.integers(1, 12)) for _ in pids]
    patients = patient_frame(pids, cycles=cycles, subsequent_day=sub, progression_day=prog)
    return lesion_frame(rows), patients


# ------------------------------------------------------------------------ properties
@PROPERTY
@given(shrinking_cohort())
def test_strictly_shrinking_sums_never_give_pd(lesions: pd.DataFrame) -> None:
    result = assess_timepoints(lesions)
    assert result.errors.empty, result.errors["message"].tolist()
    tp = result.timepoints
    assert not (tp["overall_response"] == "PD").any(), tp.to_string()
    assert not (tp["target_response"] == "PD").any()
    patients = patient_frame(sorted(lesions["patient_id"].unique()))
    bor = best_overall_response(result, patients).to_frame()
    assert not bor["bor"].isin(["PD"]).any()
    assert not bor["bor_confirmed"].isin(["PD"]).any()


@PROPERTY
@given(random_cohort(), st.randoms(use_true_random=False))
def test_best_response_is_invariant_to_row_order(
    cohort: tuple[pd.DataFrame, pd.DataFrame], rnd: object
) -> None:
    lesions, patients = cohort
    order = np.arange(len(lesions))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    shuffled = lesions.iloc[order].reset_index(drop=True)
    config = RecistConfig()
    a = assess_timepoints(lesions, config, patients=patients)
    b = assess_timepoints(shuffled, config, patients=patients)
    pd.testing.assert_frame_equal(
        best_overall_response(a, patients).to_frame(), best_overall_response(b, patients).to_frame()
    )
    # every timepoint carries its explanation, led by the response it explains
    tp = a.timepoints
    assert tp["explanation"].notna().all()
    assert (tp["explanation"].str.split(":").str[0] == tp["overall_response"]).all()
    keys = ["patient_id", "assessment_date"]
    pd.testing.assert_frame_equal(
        a.timepoints.sort_values(keys).reset_index(drop=True),
        b.timepoints.sort_values(keys).reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        a.baselines.sort_values("patient_id").reset_index(drop=True),
        b.baselines.sort_values("patient_id").reset_index(drop=True),
    )
    cols = ["patient_id", "assessment_date", "lesion_id", "column", "value", "rule"]

    def errs(r: pd.DataFrame) -> pd.DataFrame:
        return r[cols].sort_values(cols).reset_index(drop=True)

    pd.testing.assert_frame_equal(errs(a.errors), errs(b.errors))


@PROPERTY
@given(random_cohort())
def test_confirmed_bor_is_never_better_than_unconfirmed(
    cohort: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    lesions, patients = cohort
    bor = best_overall_response(assess_timepoints(lesions, patients=patients), patients).to_frame()
    measured = bor["source"] == "measurements"
    un = bor.loc[measured, "bor"].map(RESPONSE_RANK)
    co = bor.loc[measured, "bor_confirmed"].map(RESPONSE_RANK)
    assert (co <= un).all(), bor.to_string()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(1, 400),
            st.sampled_from(RESPONSES),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 120),
    st.integers(0, 120),
    st.randoms(use_true_random=False),
)
def test_sequences_confirmed_never_better_and_order_free(
    rows: list[tuple[int, int, str, bool]],
    confirmation: int,
    sd_min: int,
    rnd: object,
) -> None:
    seq = pd.DataFrame(rows, columns=["key", "day_from_start", "response", "has_targets"])
    seq = seq.drop_duplicates(["key", "day_from_start"])
    # non-target-only disease has no PR/SD: its stable category is NON_CR_NON_PD
    nt_only = seq.groupby("key")["has_targets"].transform("first")
    seq["has_targets"] = nt_only
    seq.loc[~nt_only & seq["response"].isin(["PR", "SD"]), "response"] = "NON_CR_NON_PD"
    config = RecistConfig(confirmation_min_days=confirmation, sd_min_days=sd_min)
    out = bor_from_sequence(seq, config)
    assert (out["bor_confirmed"].map(RESPONSE_RANK) <= out["bor"].map(RESPONSE_RANK)).all()
    nt_keys = out.index.isin(seq.loc[~nt_only, "key"])
    for col in ("bor", "bor_confirmed"):
        assert not out.loc[nt_keys, col].isin(["SD", "PR"]).any()  # never "SD" (Table 2)
        assert not out.loc[~nt_keys, col].isin(["NON_CR_NON_PD"]).any()
    order = list(range(len(seq)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(out, bor_from_sequence(seq.iloc[order], config))
