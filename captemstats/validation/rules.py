"""The validation rules, each vectorised over a whole table.

Every rule is a function of a :class:`Context` returning problem frames (see
:mod:`captemstats.io.problems`). Rule ids are stable strings that tests, the CLI and users
rely on; the list with the plain-language meaning is :data:`RULES`.

Cells that could not be parsed are already reported by the reader (``wrong_type``,
``unknown_code``); rules skip them so one bad cell gives one problem.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from captemstats.io.problems import PROBLEM_COLUMNS
from captemstats.schema import ADVERSE_EVENTS, CTCAE_TERMS, LESIONS, PATIENTS, TABLES
from captemstats.validation.catalogue import RULES as RULES  # re-exported
from captemstats.validation.checker import Checker, Context, Rule, as_text

#: (later column, earlier column, rule id): patients' dates that must not be out of order.
#: Death before progression is allowed (a death counts as a PFS event either way).
DATE_ORDER: tuple[tuple[str, str, str], ...] = (
    ("progression_date", "captem_start_date", "progression_before_start"),
    ("death_date", "captem_start_date", "death_before_start"),
    ("captem_start_date", "diagnosis_date", "start_before_diagnosis"),
    ("metastatic_date", "diagnosis_date", "metastatic_before_diagnosis"),
    ("last_followup_date", "captem_start_date", "followup_before_start"),
    ("last_followup_date", "progression_date", "followup_before_progression"),
    ("last_followup_date", "death_date", "followup_before_death"),
    ("subsequent_therapy_date", "captem_start_date", "subsequent_therapy_before_start"),
    ("diagnosis_date", "birth_date", "diagnosis_before_birth"),
)

#: (table, column) -> (rule below minimum, rule above maximum); others use "out_of_range".
RANGE_RULES: dict[tuple[str, str], tuple[str, str]] = {
    ("patients", "ki67"): ("ki67_range", "ki67_range"),
    ("patients", "cycles"): ("cycles_negative", "out_of_range"),
    ("lesions", "diameter_mm"): ("diameter_negative", "diameter_implausible"),
    ("adverse_events", "grade"): ("ae_grade_range", "ae_grade_range"),
}

_EARLIEST = pd.Timestamp("1900-01-01")
_YEAR_DAYS = 365.25


def missing_values(ctx: Context) -> Iterator[pd.DataFrame]:
    """Empty cells in columns that must be filled (``nullable=False``)."""
    for t in ctx.tables():
        for col in t.spec.columns:
            if col.nullable or col.name in t.absent:
                continue
            mask = t.frame[col.name].isna().to_numpy() & t.readable(col.name)
            yield t.flag(mask, col.name, "missing_value", f"{col.name} is required but empty")


def ranges(ctx: Context) -> Iterator[pd.DataFrame]:
    """Values outside each column's schema minimum/maximum (e.g. Ki-67 0-100, RECIST
    diameters 0-500 mm, CTCAE v4.0 grades 1-5)."""
    for t in ctx.tables():
        for col in t.spec.columns:
            if col.minimum is None and col.maximum is None:
                continue
            values = t.frame[col.name].astype("Float64")
            low_rule, high_rule = RANGE_RULES.get((t.spec.name, col.name), ("out_of_range",) * 2)
            unit = f" {col.unit}" if col.unit else ""
            if col.minimum is not None:
                yield t.flag(
                    values < col.minimum,
                    col.name,
                    low_rule,
                    f"{col.name} is below the minimum {col.minimum:g}{unit}",
                )
            if col.maximum is not None:
                yield t.flag(
                    values > col.maximum,
                    col.name,
                    high_rule,
                    f"{col.name} is above the maximum {col.maximum:g}{unit}"
                    + (
                        " (implausible; centimetres or a typo?)"
                        if high_rule.startswith("diam")
                        else ""
                    ),
                )


def duplicates(ctx: Context) -> Iterator[pd.DataFrame]:
    """Duplicate keys: patient ids, lesion ids within one assessment, repeated AEs."""
    for t, key, rule, what in (
        (ctx.patients, ["patient_id"], "duplicate_patient_id", "patient id"),
        (ctx.lesions, list(LESIONS.key), "duplicate_lesion", "lesion id within this assessment"),
        (ctx.adverse_events, list(ADVERSE_EVENTS.key), "duplicate_adverse_event", "event"),
    ):
        f = t.frame
        if f.empty:
            continue
        # On the typed keys (dates as dates: turning 10^6 of them into text took seconds);
        # empty cells of a key compare equal to each other, as one "empty" value.
        dup = f[key].duplicated(keep="first") & f[key[-1]].notna()
        if not dup.any():
            continue
        first_line = t.lines.groupby([f[k] for k in key], dropna=False).transform("min")
        msg = f"repeated {what}: first given on line " + first_line.astype("string").fillna("?")
        yield t.flag(dup, key[-1], rule, msg)


def unknown_patients(ctx: Context) -> Iterator[pd.DataFrame]:
    """Lesion and adverse-event rows whose patient is not in the patients table."""
    known = ctx.patients.frame["patient_id"].dropna()
    for t in (ctx.lesions, ctx.adverse_events):
        pid = t.frame["patient_id"]
        yield t.flag(
            pid.notna() & ~pid.isin(known),
            "patient_id",
            "unknown_patient",
            f"no patient with this id in the patients table ({t.spec.name} row not linked)",
        )


def date_order(ctx: Context) -> Iterator[pd.DataFrame]:
    """Patients' dates out of order (:data:`DATE_ORDER`) and CAPTEM started before the
    metastatic diagnosis (warning: CAPTEM is given for metastatic disease)."""
    t = ctx.patients
    f = t.frame
    for later, earlier, rule in (
        *DATE_ORDER,
        ("captem_start_date", "metastatic_date", "start_before_metastatic"),
    ):
        mask = (f[later] < f[earlier]).to_numpy(dtype=bool)
        if not mask.any():
            continue
        # the earlier date quoted only where the rule fires (a date column of 10^5 rows
        # formatted for a handful of messages took a second per rule)
        msg = pd.Series("", index=f.index, dtype="string")
        msg[mask] = (
            f"{later} is before {earlier} (" + as_text(f.loc[mask, earlier]).fillna("") + ")"
        )
        yield t.flag(mask, later, rule, msg)


def dates_in_range(ctx: Context) -> Iterator[pd.DataFrame]:
    """Dates after today or before 1900, in every table."""
    for t in ctx.tables():
        for col in t.spec.columns:
            if col.kind != "date":
                continue
            s = t.frame[col.name]
            yield t.flag(
                s > ctx.today,
                col.name,
                "future_date",
                f"{col.name} is in the future (today is {ctx.today:%Y-%m-%d})",
            )
            yield t.flag(s < _EARLIEST, col.name, "implausible_date", f"{col.name} is before 1900")


def age(ctx: Context) -> Iterator[pd.DataFrame]:
    """Age needs ``age`` or ``birth_date``; adults expected; the two must agree."""
    t = ctx.patients
    f = t.frame
    derived = (f["captem_start_date"] - f["birth_date"]).dt.days / _YEAR_DAYS
    both_missing = f["age"].isna().to_numpy() & f["birth_date"].isna().to_numpy()
    both_missing &= t.readable("age") & t.readable("birth_date")
    yield t.flag(
        both_missing, "age", "age_missing", "neither age nor birth_date is given (one is needed)"
    )
    effective = f["age"].astype("Float64").fillna(derived.astype("Float64"))
    # Rounding a value near 1e308 overflows; such a value is refused by the range rule, so
    # the message text may carry it unrounded.
    with np.errstate(over="ignore", invalid="ignore"):
        effective_text = effective.round(1).astype("string")
        derived_text = derived.round(1).astype("string").fillna("")
    yield t.flag(
        (effective < 18) & (effective >= 0),
        "age",
        "age_under_18",
        "age at CAPTEM start is below 18 (the study treated adults)",
        value=effective_text,
    )
    mismatch = (f["age"] - derived).abs() > 1.5
    yield t.flag(
        mismatch,
        "age",
        "age_birth_date_mismatch",
        "age differs from the age computed from birth_date and CAPTEM start (" + derived_text + ")",
    )


def ki67(ctx: Context) -> Iterator[pd.DataFrame]:
    """Ki-67 plausibility for NETs: > 55 % (the study had none), and grade vs Ki-67 by the
    WHO GEP-NET thresholds (G1 < 3 %, G2 3-20 %, G3 > 20 %)."""
    t = ctx.patients
    f = t.frame
    k = f["ki67"]
    yield t.flag(
        (k > 55) & (k <= 100) & (f["tumour_type"] != "NEC"),
        "ki67",
        "ki67_above_55",
        "Ki-67 above 55 % for a neuroendocrine tumour (a NEC? the study had no NET above 55 %)",
    )
    g = f["grade"]
    mismatch = (
        ((g == "1") & (k >= 3)) | ((g == "2") & ((k < 3) | (k > 20))) | ((g == "3") & (k <= 20))
    )
    yield t.flag(
        mismatch & k.between(0, 100),
        "ki67",
        "grade_ki67_mismatch",
        "Ki-67 does not match grade " + g.fillna("") + " (WHO: G1 < 3 %, G2 3-20 %, G3 > 20 %)",
    )


def discontinuation(ctx: Context) -> Iterator[pd.DataFrame]:
    """A discontinuation reason of progression / death needs the matching date."""
    t = ctx.patients
    f = t.frame
    reason = f["discontinuation_reason"]
    for code, col in (("progression", "progression_date"), ("death", "death_date")):
        yield t.flag(
            (reason == code) & f[col].isna(),
            "discontinuation_reason",
            "reason_without_date",
            f"discontinued for {code} but {col} is empty",
        )


def adverse_events(ctx: Context) -> Iterator[pd.DataFrame]:
    """CTCAE v4.0 terms of the study (case-insensitive) and onset before CAPTEM start."""
    t = ctx.adverse_events
    f = t.frame
    if f.empty:
        return
    known = {term.casefold() for term in CTCAE_TERMS}
    term = f["term"]
    yield t.flag(
        term.notna() & ~term.str.casefold().isin(known),
        "term",
        "unknown_ctcae_term",
        "not one of the study's CTCAE v4.0 terms; known terms: " + "; ".join(CTCAE_TERMS),
    )
    start = f["patient_id"].map(ctx.patient_lookup("captem_start_date"))
    yield t.flag(
        f["onset_date"] < pd.to_datetime(start),
        "onset_date",
        "ae_before_start",
        "adverse event onset is before the patient's CAPTEM start",
    )


def lesions(ctx: Context) -> Iterator[pd.DataFrame]:
    """RECIST 1.1 input sanity: target lesions need a size (or a status saying why not);
    sizes that all look like centimetres are flagged (RECIST 1.1 §3 records mm)."""
    t = ctx.lesions
    f = t.frame
    if f.empty:
        return
    target = f["role"] == "target"
    no_size_ok = f["measurement_status"].isin(["too_small", "disappeared", "not_assessed"])
    yield t.flag(
        (target & f["diameter_mm"].isna() & ~no_size_ok).to_numpy() & t.readable("diameter_mm"),
        "diameter_mm",
        "target_diameter_missing",
        "target lesion without diameter_mm; give the size or a measurement_status "
        "(too_small, disappeared, not_assessed)",
    )
    d = f["diameter_mm"].where(target)
    measured = d.notna()
    if not measured.any():
        return
    by = f["patient_id"].where(measured)
    all_small = (d < 10).groupby(by).transform("all")
    any_fraction = (d % 1 != 0).groupby(by).transform("any")
    # one warning per patient, on the patient's first measured target row
    suspect = measured & ~by.duplicated() & all_small.eq(True) & any_fraction.eq(True)
    biggest = d.groupby(by).transform("max")
    yield t.flag(
        suspect,
        "diameter_mm",
        "diameter_centimetres",
        "all of this patient's target diameters are below 10 with decimals (largest "
        + biggest.astype("string").fillna("")
        + "): centimetres instead of millimetres?",
    )


def empty_tables(ctx: Context) -> Iterator[pd.DataFrame]:
    """A patients table without rows (nothing to analyse) is an error; an adverse-events table
    without rows is a warning (records lost on export, or truly no event?)."""
    for t, rule in ((ctx.patients, "empty_table"), (ctx.adverse_events, "no_adverse_events")):
        if len(t.frame) or t.file is None:
            continue
        row: dict[str, object] = {c: None for c in PROBLEM_COLUMNS}
        row.update(
            severity=RULES[rule][0],
            table=t.spec.name,
            file=t.file,
            line=1,
            rule=rule,
            message=f"{t.file} has a header but no data rows",
        )
        yield pd.DataFrame([row], columns=list(PROBLEM_COLUMNS))


def response_evaluable(ctx: Context) -> Iterator[pd.DataFrame]:
    """Without lesion measurements, response comes only from ``patients.best_response``
    (RECIST 1.1 needs the measurements to classify it). When the lesions table is absent or
    empty, patients without a recorded best response cannot be evaluated: said once, with
    their number, instead of a Table 2 with silently fewer evaluable patients."""
    if len(ctx.lesions.frame):
        return
    p = ctx.patients
    empty = p.frame["best_response"].isna().to_numpy() & p.readable("best_response")
    n, total = int(empty.sum()), len(p.frame)
    if not n or p.file is None:
        return
    where = "no lesions table" if ctx.lesions.file is None else f"{ctx.lesions.file} has no rows"
    row: dict[str, object] = {c: None for c in PROBLEM_COLUMNS}
    row.update(
        severity=RULES["response_not_evaluable"][0],
        table="patients",
        file=p.file,
        line=None,
        column="best_response",
        value=f"{n} of {total} empty",
        rule="response_not_evaluable",
        message=f"response not evaluable from measurements: {where}, and best_response is "
        f"empty for {n} of {total} patients, so they count as not evaluable for response "
        "(send the lesions table or the recorded best responses)",
    )
    yield pd.DataFrame([row], columns=list(PROBLEM_COLUMNS))


ALL_RULES: tuple[Rule, ...] = (
    empty_tables,
    missing_values,
    ranges,
    duplicates,
    unknown_patients,
    date_order,
    dates_in_range,
    age,
    ki67,
    discontinuation,
    adverse_events,
    lesions,
    response_evaluable,
)

__all__ = ["ALL_RULES", "DATE_ORDER", "PATIENTS", "RULES", "TABLES", "Checker", "Context"]
