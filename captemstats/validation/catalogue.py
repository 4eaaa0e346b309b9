"""The catalogue of validation rules: each rule id with its severity and plain-language meaning.

Rule ids are stable strings that tests, the CLI and users rely on. The catalogue sits apart
from the rule functions (:mod:`captemstats.validation.rules`) so that the problem builder
(:mod:`captemstats.validation.checker`), which the rules import, can look a severity up
without importing the rules back.
"""

from __future__ import annotations

#: rule id -> (severity, meaning). Parse-time rules are listed too.
RULES: dict[str, tuple[str, str]] = {
    "field_count": ("error", "a CSV row has more or fewer fields than the header"),
    "formula_without_value": ("error", "an Excel formula cell without a saved (cached) value"),
    "invisible_character": ("error", "an identifier holds an invisible character (BOM, NBSP ...)"),
    "merged_variants": ("warning", "spellings of one centre / organ / term merged into one"),
    "response_not_evaluable": (
        "warning",
        "no lesions table and no recorded best_response: response not evaluable",
    ),
    "unknown_column": ("warning", "a column that is not in the data model (not read)"),
    "missing_column": ("error", "a required column is absent"),
    "wrong_type": ("error", "a cell is not a valid date / number / whole number / yes-no"),
    "unknown_code": ("error", "a category cell holds a code the data model does not define"),
    "missing_value": ("error", "a required cell is empty"),
    "empty_table": ("error", "the patients table has no data rows"),
    "no_adverse_events": ("warning", "the adverse-events table has no data rows"),
    "out_of_range": ("error", "a value outside the column's allowed range"),
    "ki67_range": ("error", "Ki-67 outside 0-100 %"),
    "cycles_negative": ("error", "a negative number of CAPTEM cycles"),
    "ae_grade_range": ("error", "CTCAE grade outside 1-5"),
    "diameter_negative": ("error", "a negative lesion diameter"),
    "diameter_implausible": ("error", "a lesion diameter above 500 mm"),
    "diameter_centimetres": ("warning", "all of a patient's target diameters < 10 with decimals"),
    "target_diameter_missing": ("error", "a target lesion with neither diameter nor status"),
    "duplicate_patient_id": ("error", "a patient id given on more than one row"),
    "duplicate_lesion": ("error", "a lesion id repeated within one patient's assessment"),
    "duplicate_adverse_event": ("warning", "the same adverse event (term, grade, onset) twice"),
    "unknown_patient": ("error", "a lesion or adverse-event row for a patient not in patients"),
    "progression_before_start": ("error", "progression date before CAPTEM start"),
    "death_before_start": ("error", "death date before CAPTEM start"),
    "start_before_diagnosis": ("error", "CAPTEM start before the diagnosis date"),
    "metastatic_before_diagnosis": ("error", "metastatic diagnosis before the diagnosis date"),
    "followup_before_start": ("error", "last follow-up before CAPTEM start"),
    "followup_before_progression": ("error", "last follow-up before the progression date"),
    "followup_before_death": ("error", "last follow-up before the death date"),
    "subsequent_therapy_before_start": ("error", "next therapy before CAPTEM start"),
    "diagnosis_before_birth": ("error", "diagnosis before the birth date"),
    "start_before_metastatic": ("warning", "CAPTEM start before metastatic diagnosis"),
    "future_date": ("error", "a date after today"),
    "implausible_date": ("error", "a date before 1900"),
    "age_missing": ("error", "neither age nor birth_date"),
    "age_under_18": ("warning", "age at CAPTEM start below 18"),
    "age_birth_date_mismatch": ("warning", "age disagrees with birth_date by more than 1.5 years"),
    "ki67_above_55": ("warning", "Ki-67 above 55 % for a NET (the study had none)"),
    "grade_ki67_mismatch": ("warning", "grade disagrees with Ki-67 (WHO: G1 <3, G2 3-20, G3 >20)"),
    "unknown_ctcae_term": ("warning", "an adverse-event term not among the study's CTCAE terms"),
    "ae_before_start": ("warning", "an adverse event starting before CAPTEM start"),
    "reason_without_date": ("warning", "discontinued for progression/death but no such date"),
}

__all__ = ["RULES"]
