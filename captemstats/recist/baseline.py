"""Baseline assessment and the rules a baseline must meet (RECIST 1.1 §3.2–3.3).

The baseline is each patient's earliest assessment; its target and non-target lesions are
the ones followed afterwards. A non-conforming baseline is reported, never repaired.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from captemstats.recist.config import (
    MAX_TARGETS,
    MAX_TARGETS_PER_ORGAN,
    MIN_MEASURABLE_MM,
    MIN_MEASURABLE_NODE_MM,
    NODE_NORMAL_MM,
    RecistConfig,
)
from captemstats.recist.errors import ErrorRule, RecistInputError, make_errors
from captemstats.recist.inputs import MEASURED, NEW, NO_DAY, NON_TARGET, STATUSES, TARGET

#: Ratio band in which every target of an assessment shrinking ~10x from its previous size is
#: read as a switch from millimetres to centimetres.
_CM_RATIO = (0.06, 0.15)


def _first_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per patient to attach a patient-level error to: its earliest row with the
    smallest lesion id (input row as tie-break), so that the report does not depend on the
    order of the input rows."""
    return rows.sort_values(["pid", "day", "lesion_id", "row"], kind="stable").drop_duplicates(
        "pid"
    )


@dataclass
class _BaselineChecks:
    """The working frame under check, its baseline and role masks, and the error frames found
    so far; :meth:`flag` records an error and marks its rows as fatal (``bad``)."""

    df: pd.DataFrame
    errors: list[pd.DataFrame]
    valid_day: np.ndarray
    is_base: np.ndarray
    is_t: np.ndarray
    is_nt: np.ndarray
    is_new: np.ndarray

    def flag(
        self,
        mask: np.ndarray,
        rule: ErrorRule,
        column: str,
        detail: str | pd.Series,
        value: pd.Series | None = None,
    ) -> None:
        """Record ``rule`` for the rows of ``mask`` (if any) and mark them ``bad``."""
        if mask.any():
            self.errors.append(make_errors(self.df[mask], rule, column, detail, value=value))
            self.df.loc[mask, "bad"] = True


def mark_baseline(df: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Add ``base_day`` and ``is_base`` to the working frame and check the baseline rules.

    Rules (RECIST 1.1): §3.2 at most 5 targets, 2 per organ; §3.1.1 a target is measurable
    (non-nodal >= 10 mm, node >= 15 mm short axis) and measured at baseline, a node of 10 to
    <15 mm is non-target and one < 10 mm (with a recorded size) is normal, not a lesion at
    all; new lesions cannot
    exist at baseline; lesions followed later must have been declared at baseline (§4.3); a
    node's flag decides its threshold so it must be given. Sizes that look like centimetres
    (every baseline target < 10 mm; or every target of a later assessment about a tenth of its
    previous size, with decimals) refuse the patient rather than being rescaled.
    """
    valid_day = df["day"].to_numpy() != NO_DAY
    base_day = df.loc[valid_day].groupby("pid")["day"].min()
    df["base_day"] = df["pid"].map(base_day).fillna(NO_DAY).astype(np.int64)
    df["is_base"] = (df["day"].to_numpy() == df["base_day"].to_numpy()) & valid_day
    role = df["role"].to_numpy()
    c = _BaselineChecks(
        df=df,
        errors=[],
        valid_day=valid_day,
        is_base=df["is_base"].to_numpy(),
        is_t=role == TARGET,
        is_nt=role == NON_TARGET,
        is_new=role == NEW,
    )
    _check_required_fields(c)
    _check_target_sizes(c)
    _check_normal_nodes(c)
    _check_target_counts(c)
    _check_baseline_disease(c)
    _check_declared_at_baseline(c)
    c.errors.extend(_centimetre_switch(df, c.is_t & c.valid_day))
    return df, c.errors


def _check_required_fields(c: _BaselineChecks) -> None:
    """Row rules that depend on the baseline: no new lesion at the baseline assessment; a
    baseline lesion says whether it is a node (its measurability threshold depends on it,
    RECIST 1.1 §3.1.1); a baseline target names its organ (§3.2: at most 2 per organ); a
    non-target status is given after baseline (§4.3.2)."""
    df = c.df
    c.flag(
        c.is_base & c.is_new,
        ErrorRule.NEW_LESION_AT_BASELINE,
        "role",
        "a new lesion cannot be recorded at the baseline (earliest) assessment",
    )
    c.flag(
        c.is_base & (c.is_t | c.is_nt) & df["nodal_na"].to_numpy(),
        ErrorRule.NODAL_MISSING,
        "nodal",
        "baseline lesion must say whether it is a lymph node",
    )
    c.flag(
        c.is_base & c.is_t & (df["organ"].to_numpy() < 0),
        ErrorRule.MISSING_KEY,
        "organ",
        "baseline target lesion must name its organ (at most 2 targets per organ)",
    )
    nts_missing = ~c.is_base & c.is_nt & (df["nts"].to_numpy() < 0)
    c.flag(
        nts_missing,
        ErrorRule.NON_TARGET_STATUS_MISSING,
        "non_target_status",
        "non-target lesion status is empty after baseline",
    )


def _check_target_sizes(c: _BaselineChecks) -> None:
    """Baseline target conformance (RECIST 1.1 §3.1.1): a target is measured and measurable
    (non-nodal >= 10 mm, node >= 15 mm short axis; a node of 10 to <15 mm is non-target, one
    < 10 mm normal); a patient whose every baseline target is below 10 mm is refused as
    having sizes in centimetres."""
    df = c.df
    bt_mask = c.is_base & c.is_t
    not_measured = bt_mask & (df["status"].to_numpy() != MEASURED)
    c.flag(
        not_measured,
        ErrorRule.BASELINE_TARGET_NOT_MEASURED,
        "measurement_status",
        "a baseline target lesion must be measured",
        value=pd.Series(
            np.array([*STATUSES, "<empty>"], dtype=object)[df["status"].to_numpy()[not_measured]]
        ),
    )
    nodal = df["nodal"].to_numpy(dtype=bool)
    diam = df["diam"].to_numpy()
    threshold = np.where(nodal, MIN_MEASURABLE_NODE_MM, MIN_MEASURABLE_MM)
    measured_bt = bt_mask & ~np.isnan(diam) & (np.nan_to_num(diam, nan=-1.0) >= 0)
    small = measured_bt & (diam < threshold)
    # Every baseline target below 10 mm is the signature of centimetres in a mm column.
    all_small_cm = (
        pd.Series(measured_bt & (diam >= MIN_MEASURABLE_MM), index=df.index)
        .groupby(df["pid"])
        .transform("sum")
        .to_numpy()
        == 0
    )
    cm_base = measured_bt & all_small_cm
    c.flag(
        cm_base,
        ErrorRule.CENTIMETRE_SIZES,
        "diameter_mm",
        "every baseline target is below 10 mm: sizes look like centimetres; convert to mm",
        value=df.loc[cm_base, "diam"],
    )
    small_only = small & ~cm_base
    d_small = diam[small_only]
    c.flag(
        small_only,
        ErrorRule.BASELINE_TARGET_TOO_SMALL,
        "diameter_mm",
        pd.Series(
            np.where(
                nodal[small_only],
                np.where(
                    d_small < NODE_NORMAL_MM,
                    "nodal target below 10 mm short axis: a normal node, not a lesion",
                    "nodal target of 10 to <15 mm short axis: a non-target lesion, not a target",
                ),
                "non-nodal target below 10 mm longest diameter: not measurable",
            )
        ),
        value=df.loc[small_only, "diam"],
    )


def _check_normal_nodes(c: _BaselineChecks) -> None:
    """Flag baseline non-target nodes with a recorded short axis below 10 mm: a normal node is
    not a lesion at all (RECIST 1.1 §3.1.1)."""
    df = c.df
    nodal = df["nodal"].to_numpy(dtype=bool)
    diam = df["diam"].to_numpy()
    # A node < 10 mm short axis is normal (§3.1.1): it cannot be a non-target lesion either.
    normal_node = (
        c.is_base
        & c.is_nt
        & nodal
        & (np.nan_to_num(diam, nan=np.inf) < NODE_NORMAL_MM)
        & (diam >= 0)
    )
    c.flag(
        normal_node,
        ErrorRule.BASELINE_NORMAL_NODE,
        "diameter_mm",
        "lymph node below 10 mm short axis is normal: not a non-target lesion",
        value=df.loc[normal_node, "diam"],
    )


def _check_target_counts(c: _BaselineChecks) -> None:
    """At most 5 target lesions in total and 2 per organ at baseline (RECIST 1.1 §3.2). Too
    many in total is one error per patient; too many in an organ lists every target of that
    organ. Either refuses the whole patient."""
    df = c.df
    bt = df[c.is_base & c.is_t]
    n_t = bt.groupby("pid")["lcode"].transform("size").to_numpy()
    flag_rows = bt[n_t > MAX_TARGETS]
    if len(flag_rows):
        first = _first_rows(flag_rows)
        counts = bt.groupby("pid")["lcode"].size()
        c.errors.append(
            make_errors(
                first,
                ErrorRule.BASELINE_TOO_MANY_TARGETS,
                "role",
                "more than 5 target lesions at baseline: "
                + first["pid"].map(counts).astype("string")
                + " targets",
            )
        )
        df.loc[df["pid"].isin(first["pid"]).to_numpy(), "bad"] = True
    per_organ = bt.groupby(["pid", "organ"])["lcode"].transform("size").to_numpy()
    over = per_organ > MAX_TARGETS_PER_ORGAN
    too_many = bt[over]
    if len(too_many):
        # every target of the crowded organ is listed: the reviewer picks which to demote
        c.errors.append(
            make_errors(
                too_many,
                ErrorRule.BASELINE_TOO_MANY_PER_ORGAN,
                "organ",
                "more than 2 target lesions in this organ at baseline: "
                + pd.Series(per_organ[over]).astype("string")
                + " targets",
            )
        )
        df.loc[df["pid"].isin(too_many["pid"]).to_numpy(), "bad"] = True


def _check_baseline_disease(c: _BaselineChecks) -> None:
    """Refuse every patient whose baseline (earliest) assessment records no target and no
    non-target lesion: one error per patient, on its first row."""
    df = c.df
    # Patients with neither targets nor non-targets at baseline have no evaluable disease.
    has_disease = pd.Series(c.is_base & (c.is_t | c.is_nt)).groupby(df["pid"]).transform("any")
    no_disease = ~has_disease.to_numpy()
    if no_disease.any():
        first = _first_rows(df[no_disease])
        c.errors.append(
            make_errors(
                first,
                ErrorRule.NO_BASELINE_DISEASE,
                "role",
                "no target or non-target lesion at the baseline (earliest) assessment",
            )
        )
        df.loc[no_disease, "bad"] = True


def _check_declared_at_baseline(c: _BaselineChecks) -> None:
    """Flag target and non-target rows after baseline whose lesion was not declared with
    that role at baseline (RECIST 1.1 §4.3); a lesion first seen later is a new lesion."""
    df = c.df
    lcode = df["lcode"].to_numpy()
    # Lesions followed after baseline must have been declared at baseline with that role.
    declared_t = df.loc[c.is_base & c.is_t, "lcode"].to_numpy()
    declared_nt = df.loc[c.is_base & c.is_nt, "lcode"].to_numpy()
    late_t = ~c.is_base & c.is_t & ~np.isin(lcode, declared_t) & c.valid_day
    c.flag(
        late_t,
        ErrorRule.TARGET_AFTER_BASELINE,
        "lesion_id",
        "target lesion not declared at baseline; record it as a new lesion (role 'new')",
        value=df.loc[late_t, "lesion_id"],
    )
    late_nt = ~c.is_base & c.is_nt & ~np.isin(lcode, declared_nt) & c.valid_day
    c.flag(
        late_nt,
        ErrorRule.NON_TARGET_AFTER_BASELINE,
        "lesion_id",
        "non-target lesion not declared at baseline; record it as a new lesion (role 'new')",
        value=df.loc[late_nt, "lesion_id"],
    )


def _centimetre_switch(df: pd.DataFrame, is_t: np.ndarray) -> list[pd.DataFrame]:
    """Flag later assessments where every measured target is < 10 mm, about a tenth of its
    previous measured size, and at least one size has decimals (e.g. 42 mm -> 4.3)."""
    t = df.loc[
        is_t & (df["status"].to_numpy() == MEASURED),
        ["pid", "day", "lcode", "diam", "is_base"],
    ]
    if t.empty:
        return []
    t = t.sort_values(["lcode", "day"])
    prev = t.groupby("lcode")["diam"].shift(1)
    ratio = (t["diam"] / prev).to_numpy()
    d = t["diam"].to_numpy()
    looks = (d < MIN_MEASURABLE_MM) & (ratio >= _CM_RATIO[0]) & (ratio <= _CM_RATIO[1])
    frac = d != np.round(d)
    if not (looks & frac).any():  # the usual case: no assessment can qualify
        return []
    g = pd.DataFrame(
        {
            "pid": t["pid"].to_numpy(),
            "day": t["day"].to_numpy(),
            "looks": looks,
            "frac": frac,
            "base": t["is_base"].to_numpy(),
        }
    )
    agg = g.groupby(["pid", "day"]).agg(
        all_looks=("looks", "all"), any_frac=("frac", "any"), base=("base", "any")
    )
    hit = agg[agg["all_looks"] & agg["any_frac"] & ~agg["base"]].reset_index()[["pid", "day"]]
    if hit.empty:
        return []
    m = pd.MultiIndex.from_frame(df[["pid", "day"]]).isin(pd.MultiIndex.from_frame(hit)) & is_t
    df.loc[m, "bad"] = True
    return [
        make_errors(
            df[m],
            ErrorRule.CENTIMETRE_SIZES,
            "diameter_mm",
            "every target is about a tenth of its previous size: sizes look like centimetres; "
            "convert to mm",
            value=df.loc[m, "diam"],
        )
    ]


def check_window(
    baselines: pd.DataFrame,
    assessments: pd.DataFrame,
    patients: pd.DataFrame,
    config: RecistConfig,
) -> pd.DataFrame:
    """Check the baseline against CAPTEM start (RECIST 1.1 §3.3) and that lesion patients exist.

    ``baselines`` has patient_id and baseline_date; ``assessments`` has patient_id and
    assessment_date (one row per post-baseline assessment). Rules: baseline after start is an
    error; a baseline more than ``baseline_window_days`` before start is an error (an
    assessment before the baseline window); a second assessment before start means the
    earliest one is not the baseline: error (refuse rather than pick one).
    """
    from captemstats.recist.errors import concat_errors

    for col in ("patient_id", "captem_start_date"):
        if col not in patients.columns:
            raise RecistInputError(f"patients frame lacks column {col!r}")
    start = patients.drop_duplicates("patient_id").set_index("patient_id")["captem_start_date"]
    b = baselines[["patient_id", "baseline_date"]].copy()
    b["start"] = b["patient_id"].map(start)
    known = b["patient_id"].isin(start.index).to_numpy()
    out = [
        make_errors(
            b[~known].rename(columns={"baseline_date": "assessment_date"}),
            ErrorRule.UNKNOWN_PATIENT,
            "patient_id",
            "patient has lesion rows but is not in the patients table",
            value=b.loc[~known, "patient_id"],
        )
    ]
    days = (b["baseline_date"] - b["start"]).dt.days.to_numpy(dtype="float64", na_value=np.nan)
    after = known & (days > 0)
    out.append(
        make_errors(
            b[after].rename(columns={"baseline_date": "assessment_date"}),
            ErrorRule.BASELINE_AFTER_START,
            "assessment_date",
            pd.Series(days[after]).map(lambda d: f"baseline is {d:.0f} days after CAPTEM start"),
        )
    )
    early = known & (days < -config.baseline_window_days)
    out.append(
        make_errors(
            b[early].rename(columns={"baseline_date": "assessment_date"}),
            ErrorRule.BASELINE_BEFORE_WINDOW,
            "assessment_date",
            pd.Series(-days[early]).map(
                lambda d: (
                    f"baseline is {d:.0f} days before CAPTEM start "
                    f"(window {config.baseline_window_days} days)"
                )
            ),
        )
    )
    a = assessments[["patient_id", "assessment_date"]].copy()
    a["start"] = a["patient_id"].map(start)
    pre = (a["assessment_date"] < a["start"]).fillna(False).to_numpy(dtype=bool)
    out.append(
        make_errors(
            a[pre].drop_duplicates("patient_id"),
            ErrorRule.PRETREATMENT_ASSESSMENT_AFTER_BASELINE,
            "assessment_date",
            "a second assessment precedes CAPTEM start, so the earliest one is not the baseline",
        )
    )
    return concat_errors(out)
