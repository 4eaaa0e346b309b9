"""ADSL -> the registry's patients columns; ADRS -> the recorded best response.

ADSL (CDISC ADaM IG, ADSL: one record per subject) carries the patient characteristics.
``USUBJID``, ``SITEID``, ``SEX``, ``AGE``, ``BRTHDT``, ``TRTSDT`` and ``DCTREAS`` are ADaM IG
variables; the disease and treatment characteristics the study needs have no standard name,
so they are read from the sponsor-defined variables of :data:`DEFAULT_ADSL_VARIABLES`
(overridable). ADRS (BDS) holds responses by ``PARAMCD``: the registry model records one
best overall response per patient (``best_response``), so ``BOR`` maps to it; per-visit
``OVR`` records have no field in the model and are reported, not carried.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from captemstats.io.adam._files import AdamReadError, Dataset, iso_dates, note, unused
from captemstats.io.problems import Problem
from captemstats.schema import PATIENTS

#: Registry ``patients`` column -> ADSL variable.
DEFAULT_ADSL_VARIABLES: dict[str, str] = {
    "patient_id": "USUBJID",
    "center": "SITEID",
    "sex": "SEX",
    "age": "AGE",
    "birth_date": "BRTHDT",
    "ecog": "ECOGBL",
    "comorbidity": "COMORBFL",
    "primary_site": "PRIMSITE",
    "grade": "TUMGR",
    "ki67": "KI67BL",
    "metastatic_sites": "METSITE",
    "prior_curative_surgery": "PRSURGFL",
    "prior_ssa": "PRSSAFL",
    "prior_prrt": "PRPRRTFL",
    "prior_chemo": "PRCHEMFL",
    "prior_everolimus": "PREVERFL",
    "prior_sunitinib": "PRSUNIFL",
    "prior_locoregional": "PRLRTFL",
    "diagnosis_date": "DIAGDT",
    "metastatic_date": "METDT",
    "captem_start_date": "TRTSDT",
    "line": "TRTLINE",
    "cycles": "NCYCLE",
    "capecitabine": "CAPEFL",
    "temozolomide": "TEMOFL",
    "concomitant_ssa": "CONSSAFL",
    "dose_reduction": "DOSREDFL",
    "drug_holiday": "DRGHOLFL",
    "treatment_interruption": "TRTINTFL",
    "discontinuation_reason": "DCTREAS",
    "subsequent_therapy_date": "NXTTRTDT",
    "tumour_type": "TUMTYPE",
    "regular_followup": "REGFUFL",
    "evaluable_disease": "EVALFL",
}
#: Patients columns taken from other datasets than ADSL.
FROM_OTHER: dict[str, str] = {
    "progression_date": "ADTTE PFS",
    "death_date": "ADTTE OS",
    "last_followup_date": "ADTTE OS",
    "best_response": "ADRS BOR",
}
#: Needed although optional in the registry: with no lesion table (ADaM has none), a
#: missing flag fails every patient at the evaluable-disease eligibility step.
ALSO_REQUIRED: tuple[str, ...] = ("evaluable_disease",)
#: ADaM controlled terms -> registry codes (anything else is kept for the parser to report).
RECODES: dict[str, dict[str, str]] = {
    "sex": {"M": "male", "F": "female"},
    "discontinuation_reason": {
        "PROGRESSIVE DISEASE": "progression",
        "ADVERSE EVENT": "toxicity",
        "DEATH": "death",
        "WITHDRAWAL BY SUBJECT": "patient_choice",
        "COMPLETED": "completed",
        "LOST TO FOLLOW-UP": "lost_to_follow_up",
        "ONGOING": "ongoing",
        "OTHER": "other",
    },
    "best_response": {"NON-CR/NON-PD": "NON_CR_NON_PD", "NON CR/NON PD": "NON_CR_NON_PD"},
}
#: ADRS PARAMCD -> registry column (None: read, reported, not carried).
DEFAULT_RESPONSES: dict[str, str | None] = {"BOR": "best_response", "OVR": None}


def recode(column: str, text: pd.Series) -> pd.Series:
    """ADaM controlled terms of ``column`` -> registry codes; other values unchanged."""
    codes = RECODES.get(column)
    if not codes:
        return text
    mapped = text.str.strip().str.upper().map(codes)
    return mapped.fillna(text).astype("string")


def adsl_variables(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The ADSL variable of every registry column read from ADSL (defaults + overrides)."""
    out = dict(DEFAULT_ADSL_VARIABLES)
    for column, variable in (overrides or {}).items():
        if column not in PATIENTS.names or column in FROM_OTHER:
            where = FROM_OTHER.get(column, "no ADSL variable: not a patients column")
            raise AdamReadError(f"variables: {column!r} cannot be read from ADSL ({where})")
        out[column] = variable.upper()
    return out


def adsl_patients(ds: Dataset, variables: Mapping[str, str]) -> tuple[pd.DataFrame, list[Problem]]:
    """ADSL as the patients table's text columns (index: ADSL rows), and the notes on what
    ADSL holds that the registry model cannot."""
    f = ds.frame
    ds.require([variables["patient_id"], variables["captem_start_date"]], "ADaM IG ADSL")
    needed = [
        c.name
        for c in PATIENTS.columns
        if (c.required or c.name in ALSO_REQUIRED) and c.name not in FROM_OTHER
    ]
    missing = [
        f"{variables.get(c, '<no variable mapped>')} ({c})"
        for c in needed
        if variables.get(c) not in f.columns
    ]
    if variables["age"] not in f.columns and variables["birth_date"] not in f.columns:
        missing.append(f"{variables['age']} or {variables['birth_date']} (age)")
    if missing:
        raise AdamReadError(
            f"{ds.label}: ADSL variable(s) the registry model needs are missing: "
            f"{', '.join(missing)} (registry column in brackets; rename with variables=...)"
        )
    pid = f[variables["patient_id"]]
    ds.refuse(pid.isna(), variables["patient_id"], "USUBJID is required (ADaM IG ADSL)")
    ds.refuse(
        pid.duplicated(keep=False),
        variables["patient_id"],
        "ADSL has one record per subject (ADaM IG ADSL); USUBJID repeated",
    )
    text = pd.DataFrame(index=f.index)
    for col in PATIENTS.columns:
        var = variables.get(col.name)
        if var is None or var not in f.columns:
            text[col.name] = pd.Series(pd.NA, index=f.index, dtype="string")
        elif col.kind == "date":
            text[col.name] = iso_dates(ds, var)
        else:
            text[col.name] = recode(col.name, f[var].astype("string"))
    return text, unused(ds, set(variables.values()))


def adrs_best_response(
    ds: Dataset, responses: Mapping[str, str | None], subjects: pd.Index
) -> tuple[pd.Series, list[Problem]]:
    """The recorded best response per USUBJID from ADRS (``AVALC`` of the PARAMCD mapped to
    ``best_response``), and notes on the records not carried."""
    ds.require(["USUBJID", "PARAMCD", "AVALC"], "CDISC ADaM IG, BDS (ADRS)")
    f = ds.frame
    known = {k.strip().upper(): v for k, v in responses.items()}
    bad_targets = {v for v in known.values() if v not in (None, "best_response")}
    if bad_targets or list(known.values()).count("best_response") > 1:
        raise AdamReadError(
            f"responses: each ADRS PARAMCD maps to 'best_response' (at most one) or None, "
            f"got {known}"
        )
    paramcd = f["PARAMCD"].str.strip().str.upper()
    ds.refuse(
        ~paramcd.isin(list(known)).fillna(False).astype(bool),
        "PARAMCD",
        f"PARAMCD not in the response mapping {known} (map a parameter to None to read it "
        "without carrying it)",
    )
    ds.refuse(~f["USUBJID"].isin(subjects), "USUBJID", "subject not in ADSL")
    bor = paramcd.map(known) == "best_response"
    ds.refuse(
        bor & f["USUBJID"].where(bor).duplicated(keep=False),
        "USUBJID",
        "more than one best-response record for this subject",
    )
    notes = [
        note(
            ds,
            "PARAMCD",
            str(code),
            "adam_not_carried",
            f"{int((paramcd == code).sum())} "
            f"ADRS {code} record(s) of {f.loc[paramcd == code, 'USUBJID'].nunique()} "
            "subject(s) not carried: the registry model has no per-visit response field (its "
            "lesion table holds measurements, not overall responses); best_response comes "
            "from the PARAMCD mapped to it",
        )
        for code, target in known.items()
        if target is None and bool((paramcd == code).any())
    ]
    notes += unused(ds, {"USUBJID", "PARAMCD", "AVALC"})
    values = recode("best_response", f.loc[bor, "AVALC"].astype("string"))
    values.index = pd.Index(f.loc[bor, "USUBJID"])
    without = subjects.difference(values.index)
    if len(without):
        notes.append(
            note(
                ds,
                "PARAMCD",
                None,
                "adam_no_best_response",
                f"{len(without)} "
                "ADSL subject(s) without a best-response record: best_response empty",
            )
        )
    return values, notes
