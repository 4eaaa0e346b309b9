"""The registry tables built from the generated arrays: the ``patients`` table (and the
ineligible copies added to it), the patient ids, the ``lesions`` and ``adverse_events``
tables sorted on integer keys, and the cast to the typed-registry contract.

Columns are built typed from integer codes and whole days since 1970-01-01; text columns
are kept as their codes too (:class:`~captemstats.synth._columns.CodedText`), from which
:func:`~captemstats.synth.write.write_registry` writes Parquet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from captemstats.schema import CTCAE_TERMS, PRIOR_TREATMENTS, TableSpec
from captemstats.synth import _columns as cols
from captemstats.synth import characteristics as chars
from captemstats.synth.adverse import EventRows
from captemstats.synth.allocate import FloatArray, IntArray
from captemstats.synth.lesions import LESION_IDS, MEASUREMENT, NON_TARGET, ORGANS, ROLES, LesionRows
from captemstats.synth.outcomes import BoolArray, Outcomes
from captemstats.synth.targets import TABLE1_LEVELS, Targets

__all__ = ["events_frame", "lesions_frame", "number_patients", "patients_frame"]

#: Previous-treatment columns of the patients table (booleans, "yes" is code 0).
_PRIOR = PRIOR_TREATMENTS


def _idx(values: Sequence[str], codes: IntArray) -> pd.api.extensions.ExtensionArray:
    return cols.text(values, codes).to_pandas()


def patients_frame(
    rng: np.random.Generator,
    cat: dict[str, IntArray],
    age: FloatArray,
    line: IntArray,
    cycles: FloatArray,
    day0: IntArray,
    gap: FloatArray,
    met_gap: FloatArray,
    admin: FloatArray,
    ne: BoolArray,
    out: Outcomes,
) -> pd.DataFrame:
    """The eligible patients' table (``day0``: CAPTEM start, days since 1970-01-01; ``gap``:
    diagnosis to start; ``met_gap``: diagnosis to metastasis; ``admin``: start to cut-off)."""
    n = line.size
    # the random draws keep their order (center, birth date, Ki-67, SSA, subsequent therapy)
    center = _centers(rng, n)
    birth = day0 - np.floor(age * 365.25 + rng.uniform(30, 330, n)).astype(np.int64)
    ki67 = chars.ki67_values(rng, cat["ki67_group"])
    concomitant = rng.random(n) < np.where(line == 0, 0.6, 0.4)
    subsequent = (out.progression + rng.integers(21, 61, n)).astype(np.int64)
    diagnosis = day0 - gap.astype(np.int64)
    return pd.DataFrame(
        {
            **_characteristic_columns(cat, age, center, birth, ki67),
            "diagnosis_date": cols.dates(diagnosis),
            "metastatic_date": cols.dates(diagnosis + met_gap.astype(np.int64)),
            "captem_start_date": cols.dates(day0),
            **_treatment_columns(rng, cat, line, cycles, concomitant, ne, admin, out),
            **_outcome_columns(day0, subsequent, out),
            "tumour_type": _idx(("NET",), np.zeros(n, dtype=np.int64)),
            "regular_followup": cols.booleans(True, n),
            "evaluable_disease": cols.booleans(True, n),
        },
        copy=False,
    )


def _characteristic_columns(
    cat: dict[str, IntArray], age: FloatArray, center: IntArray, birth: IntArray, ki67: Any
) -> dict[str, Any]:
    """Center and the baseline characteristics, ``center`` to the previous treatments."""
    return {
        "center": _idx([f"C{i:02d}" for i in range(1, 35)], center),
        "sex": _idx(TABLE1_LEVELS["sex"], cat["sex"]),
        "age": age,
        "birth_date": cols.dates(birth),
        "ecog": cols.integers(cat["ecog"]),
        "comorbidity": cols.booleans(cat["comorbidity"] == 0),
        "primary_site": _idx(TABLE1_LEVELS["primary_site"], cat["primary_site"]),
        "grade": _idx(TABLE1_LEVELS["grade"], cat["grade"]),
        "ki67": ki67,
        "metastatic_sites": _idx(TABLE1_LEVELS["metastatic_sites"], cat["metastatic_sites"]),
        **{v: cols.booleans(cat[v] == 0) for v in _PRIOR},
    }


def _treatment_columns(
    rng: np.random.Generator,
    cat: dict[str, IntArray],
    line: IntArray,
    cycles: FloatArray,
    concomitant: BoolArray,
    ne: BoolArray,
    admin: FloatArray,
    out: Outcomes,
) -> dict[str, Any]:
    """The CAPTEM course, ``line`` to ``discontinuation_reason``."""
    n = line.size
    reason = np.select(
        [ne, out.progressed, out.died, admin - out.window_end < 180], [0, 1, 2, 3], default=4
    )
    return {
        "line": cols.integers(_lines(rng, line, cat)),
        "cycles": cols.integers(cycles.astype(np.int64)),
        "capecitabine": cols.booleans(True, n),
        "temozolomide": cols.booleans(True, n),
        "concomitant_ssa": cols.booleans(concomitant),
        "dose_reduction": cols.booleans(cat["dose_reduction"] == 0),
        "drug_holiday": cols.booleans(cat["drug_holiday"] == 0),
        "treatment_interruption": cols.booleans(cat["treatment_interruption"] == 0),
        "discontinuation_reason": _idx(
            ("toxicity", "progression", "death", "ongoing", "completed"), reason
        ),
    }


def _outcome_columns(day0: IntArray, subsequent: IntArray, out: Outcomes) -> dict[str, Any]:
    """Progression, death, last follow-up and subsequent-therapy dates."""
    prog_t, progressed, window_end = out.progression, out.progressed, out.window_end
    return {
        "progression_date": cols.dates(day0 + prog_t.astype(np.int64), progressed),
        "death_date": cols.dates(day0 + out.death.astype(np.int64), out.died),
        "last_followup_date": cols.dates(day0 + window_end.astype(np.int64)),
        "subsequent_therapy_date": cols.dates(
            day0 + subsequent, progressed & (prog_t + 60 < window_end)
        ),
    }


def number_patients(
    rng: np.random.Generator, patients: pd.DataFrame, inel: pd.DataFrame
) -> tuple[pd.DataFrame, tuple[str, ...], IntArray, cols.CodedText]:
    """The eligible and ineligible patients in shuffled row order with their ids
    (``P0001``, ... in that order) inserted first: the table, the ids, the final row of each
    generated patient (eligible ones first, then the ineligible copies) and the coded ids."""
    allp = pd.concat([patients, inel], ignore_index=True) if len(inel) else patients
    # shuffle row order, then number the ids in that order
    perm = rng.permutation(len(allp))
    allp = allp.take(perm)
    allp.index = pd.RangeIndex(len(allp))
    width = max(4, len(str(len(allp))))
    ids = tuple(f"P{i:0{width}d}" for i in range(1, len(allp) + 1))
    # row of each generated patient (eligible ones first, then the ineligible copies) in the
    # final table; the ids all have one width, so their text order is this row order and the
    # tables can be sorted on integer keys
    row_of = np.empty(len(allp), dtype=np.int64)
    row_of[perm] = np.arange(len(allp))
    coded_ids = cols.text(ids, np.arange(len(allp)))
    allp.insert(0, "patient_id", pd.Series(coded_ids.to_pandas()))
    return allp, ids, row_of, coded_ids


def lesions_frame(
    les: LesionRows, ids: tuple[str, ...], row_of: IntArray, day0: IntArray
) -> tuple[pd.DataFrame, dict[str, cols.CodedText]]:
    """The lesions table sorted by (patient_id, assessment_date, lesion_id), and its coded
    text columns (text keys sort as their ranks in sorted order)."""
    lesion_rank = _text_rank(LESION_IDS)
    o = cols.lexsort_order((lesion_rank[les.lesion_id], les.day, row_of[les.patient]))
    lp = les.patient[o]
    coded = {
        "patient_id": cols.text(ids, row_of[lp]),
        "lesion_id": cols.text(LESION_IDS, les.lesion_id[o]),
        "role": cols.text(ROLES, les.role[o]),
        "organ": cols.text(ORGANS, les.organ[o]),
        "measurement_status": cols.text(MEASUREMENT, les.measurement_status[o]),
        "non_target_status": cols.text(NON_TARGET, les.non_target_status[o]),
    }
    lt = {k: c.to_pandas() for k, c in coded.items()}
    lesions = pd.DataFrame(
        {
            "patient_id": lt["patient_id"],
            "assessment_date": cols.dates(day0[lp] + les.day[o]),
            "lesion_id": lt["lesion_id"],
            "role": lt["role"],
            "organ": lt["organ"],
            "nodal": cols.booleans(les.nodal[o]),
            "diameter_mm": les.diameter_mm[o],
            "measurement_status": lt["measurement_status"],
            "non_target_status": lt["non_target_status"],
        },
        copy=False,
    )
    return lesions, coded


def events_frame(
    ev: EventRows,
    onset: FloatArray,
    targets: Targets,
    ids: tuple[str, ...],
    row_of: IntArray,
    day0: IntArray,
) -> tuple[pd.DataFrame, dict[str, cols.CodedText]]:
    """The adverse-events table sorted by (patient_id, term, grade), and its coded text
    columns (``onset``: days from CAPTEM start of each event)."""
    terms = _ae_terms(targets)
    o = cols.lexsort_order((ev.grade, _text_rank(terms)[ev.term], row_of[ev.patient]))
    ep = ev.patient[o]
    coded = {
        "patient_id": cols.text(ids, row_of[ep]),
        "term": cols.text(terms, ev.term[o]),
    }
    events = pd.DataFrame(
        {
            "patient_id": coded["patient_id"].to_pandas(),
            "term": coded["term"].to_pandas(),
            "grade": cols.integers(ev.grade[o]),
            "onset_date": cols.dates(day0[ep] + onset[o].astype(np.int64)),
            "led_to_interruption": cols.booleans(ev.led_to_interruption[o]),
            "led_to_discontinuation": cols.booleans(False, ep.size),
        },
        copy=False,
    )
    return events, coded


def _text_rank(values: Sequence[str]) -> IntArray:
    """Rank of each value in sorted (code point) order: ``rank[code]`` sorts as the text."""
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(np.asarray(values, dtype=object), kind="stable")] = np.arange(len(values))
    return rank


def _ae_terms(targets: Targets) -> tuple[str, ...]:
    return targets.ae_terms or CTCAE_TERMS


def _centers(rng: np.random.Generator, n: int) -> IntArray:
    w = rng.dirichlet(np.full(34, 2.0))
    codes = rng.choice(34, size=n, p=w)
    codes[: min(n, 34)] = np.arange(min(n, 34))  # every center contributes
    return rng.permutation(codes)


def _lines(rng: np.random.Generator, line: IntArray, cat: dict[str, IntArray]) -> IntArray:
    """Line number: 1, 2, or 3-5 for the >= third-line group (more prior therapies -> later)."""
    n_prior = sum(
        cat[v] == 0 for v in ("prior_prrt", "prior_chemo", "prior_everolimus", "prior_sunitinib")
    )
    extra = np.minimum(np.asarray(n_prior, dtype=np.int64) // 2, 2)
    return np.where(line < 2, line + 1, 3 + extra).astype(np.int64)


def _ineligible(
    rng: np.random.Generator, patients: pd.DataFrame, k: int, kinds: Sequence[str]
) -> pd.DataFrame:
    """``k`` ineligible patients: copies of random eligible patients, each changed to fail
    one eligibility rule (kinds cycled in order)."""
    if k == 0 or not kinds:
        return patients.iloc[0:0].copy()
    rows = patients.iloc[rng.choice(len(patients), size=k, replace=False)].copy()
    rows = rows.reset_index(drop=True)
    for i in range(k):
        kind = kinds[i % len(kinds)]
        if kind == "nec":
            rows.loc[i, "tumour_type"] = "NEC"
        elif kind == "grade_ki67":
            rows.loc[i, "grade"] = "3"
            rows.loc[i, "ki67"] = 70.0
        elif kind == "one_drug":
            rows.loc[i, "capecitabine" if i % 2 else "temozolomide"] = False
        elif kind == "no_cycles":
            rows.loc[i, "cycles"] = 0
        elif kind == "irregular_followup":
            rows.loc[i, "regular_followup"] = False
        elif kind == "not_evaluable":
            rows.loc[i, "evaluable_disease"] = False
    return rows


_STRING = pd.StringDtype()


_KIND_DTYPES: dict[str, Any] = {
    "string": _STRING,
    "category": _STRING,
    "integer": pd.Int64Dtype(),
    "number": np.dtype("float64"),
    "boolean": pd.BooleanDtype(),
    "date": np.dtype("datetime64[ns]"),
}


def _typed(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Cast to the typed-registry contract: every schema column, in schema order (columns
    already of their dtype are kept as they are, not copied)."""
    out: dict[str, pd.Series[Any]] = {}
    for col in spec.columns:
        s = frame[col.name] if col.name in frame.columns else pd.Series(pd.NA, index=frame.index)
        if s.dtype == _KIND_DTYPES[col.kind]:
            out[col.name] = s
        elif col.kind in ("string", "category"):
            out[col.name] = s.astype("string")
        elif col.kind == "integer":
            out[col.name] = s.astype("Int64")
        elif col.kind == "number":
            out[col.name] = pd.to_numeric(s).astype("float64")
        elif col.kind == "boolean":
            out[col.name] = s.astype("boolean")
        else:
            out[col.name] = pd.to_datetime(s).astype("datetime64[ns]")
    typed = pd.DataFrame(out, copy=False)
    if not typed.index.equals(pd.RangeIndex(len(typed))):
        typed = typed.reset_index(drop=True)
    return typed
