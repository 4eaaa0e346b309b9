"""Analysis cohort: eligibility with a STROBE attrition log, and the Methods' derived variables.

Eligibility is a sequence of declarative :class:`EligibilityRule` steps applied in order
(STROBE item 13, flow of participants). A patient is removed by the FIRST step it fails and
by no other, so ``input = kept + sum of exclusions`` holds by construction and every excluded
patient carries exactly one named step and a reason citing the offending values.

The default steps (:data:`DEFAULT_RULES`) are the paper's Methods:

1. ``metastatic_net`` — "we included patients with confirmed NETs" (NEC excluded);
2. ``grade_ki67`` — grade 1–2 (Ki-67 unknown allowed), grade 3 NET with Ki-67 <= 55 %, or
   unknown grade with Ki-67 1–20 %; "No patient had a Ki-67 level above 55%", so a known
   Ki-67 above 55 % fails for every grade;
3. ``captem_both_drugs`` — "at least one cycle of CAPTEM"; "patients who either received one
   drug in the CAPTEM regimen without using the other ... were excluded";
4. ``regular_followup`` — "... or failed to follow up regularly were excluded" (missing counts
   as regular: only an explicit ``false`` excludes);
5. ``evaluable_disease`` — "radiologically measurable or evaluable metastatic disease according
   to RECIST 1.1" (the ``evaluable_disease`` flag, or, where it is missing, at least one
   target or non-target lesion at the patient's baseline assessment in the lesion table).

Derived variables follow the Methods: months are days / 30.4375; PFS runs from CAPTEM start
to progression or death (censored at last follow-up); OS from CAPTEM start to death (censored
at last follow-up); follow-up from diagnosis to last follow-up or death.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from captemstats.errors import AnalysisError
from captemstats.units import DAYS_PER_MONTH as DAYS_PER_MONTH  # re-exported

Predicate = Callable[[pd.DataFrame], "pd.Series[bool]"]


class RegistryLike(Protocol):
    """What :func:`derive_cohort` reads of a registry: its typed ``patients`` frame (and, when
    present, ``lesions`` and ``adverse_events``), e.g. a :class:`~captemstats.io.Registry`."""

    @property
    def patients(self) -> pd.DataFrame:
        """The typed patients table."""
        ...


@dataclass(frozen=True, slots=True)
class EligibilityRule:
    """One eligibility step: ``predicate(patients)`` is True for patients that PASS.

    ``columns`` are cited with their values in each excluded patient's reason; ``wording`` is
    the paper's own sentence for the criterion, printed in the STROBE flow.
    """

    name: str
    description: str
    predicate: Predicate
    wording: str = ""
    columns: tuple[str, ...] = ()


def _bool(s: pd.Series, *, missing: bool) -> pd.Series:
    """A nullable boolean column as plain bool, with ``missing`` standing in for NA."""
    return s.astype("boolean").fillna(missing).astype(bool)


def _is_net(p: pd.DataFrame) -> pd.Series:
    return (p["tumour_type"].astype("string") == "NET").fillna(False).astype(bool)


def _grade_ki67(p: pd.DataFrame) -> pd.Series:
    grade = p["grade"].astype("string")
    ki67 = pd.to_numeric(p["ki67"], errors="coerce").astype("float64")
    known = ki67.notna()
    not_above_55 = ~known | (ki67 <= 55)
    g12 = grade.isin(["1", "2"]).fillna(False).astype(bool) & not_above_55
    g3 = (grade == "3").fillna(False).astype(bool) & known & (ki67 <= 55)
    unknown = (grade == "unknown").fillna(False).astype(bool) & ki67.between(1, 20)
    return g12 | g3 | unknown


def _both_drugs(p: pd.DataFrame) -> pd.Series:
    cycles = pd.to_numeric(p["cycles"], errors="coerce").astype("float64")
    return (
        _bool(p["capecitabine"], missing=False)
        & _bool(p["temozolomide"], missing=False)
        & (cycles >= 1).to_numpy()
    )


def _regular(p: pd.DataFrame) -> pd.Series:
    if "regular_followup" not in p.columns:
        return pd.Series(True, index=p.index)
    return _bool(p["regular_followup"], missing=True)


def _evaluable(p: pd.DataFrame) -> pd.Series:
    # `_lesion_evaluable` is attached by derive_cohort from the lesion table; the recorded
    # flag wins wherever it is given.
    recorded = p["evaluable_disease"].astype("boolean") if "evaluable_disease" in p else None
    derived = p.get("_lesion_evaluable", pd.Series(pd.NA, index=p.index, dtype="boolean"))
    value = derived.astype("boolean") if recorded is None else recorded.fillna(derived)
    return value.fillna(False).astype(bool)


DEFAULT_RULES: tuple[EligibilityRule, ...] = (
    EligibilityRule(
        "metastatic_net",
        "Metastatic neuroendocrine tumour (neuroendocrine carcinoma excluded)",
        _is_net,
        "To examine as homogeneous a cohort as possible, we included patients with confirmed NETs.",
        ("tumour_type",),
    ),
    EligibilityRule(
        "grade_ki67",
        "Grade 1-2 (Ki-67 unknown allowed), grade 3 with Ki-67 <= 55%, or unknown grade "
        "with Ki-67 1-20%",
        _grade_ki67,
        "Patients with grades 1 and 2 tumors, with unknown Ki-67 levels, were included. In "
        "addition, we included 14 patients with tumors of unknown grade that had Ki-67 levels "
        "between 1% and 20%. No patient had a Ki-67 level above 55%.",
        ("grade", "ki67"),
    ),
    EligibilityRule(
        "captem_both_drugs",
        "At least one cycle of CAPTEM with both capecitabine and temozolomide",
        _both_drugs,
        "Eleven patients who either received one drug in the CAPTEM regimen without using "
        "the other or failed to follow up regularly were excluded.",
        ("capecitabine", "temozolomide", "cycles"),
    ),
    EligibilityRule(
        "regular_followup",
        "Regular follow-up",
        _regular,
        "... or failed to follow up regularly were excluded.",
        ("regular_followup",),
    ),
    EligibilityRule(
        "evaluable_disease",
        "Radiologically measurable or evaluable disease (RECIST 1.1)",
        _evaluable,
        "Patients had to ... have radiologically measurable or evaluable metastatic disease "
        "according to Response Evaluation Criteria in Solid Tumors (RECIST) 1.1 criteria.",
        ("evaluable_disease",),
    ),
)


@dataclass(frozen=True, slots=True)
class AttritionStep:
    """One row of the STROBE flow."""

    name: str
    description: str
    wording: str
    n_before: int
    n_excluded: int
    n_after: int


@dataclass(frozen=True, slots=True)
class AttritionLog:
    """The STROBE participant flow: ``n_input`` patients, each step's exclusions, ``n_kept``."""

    n_input: int
    steps: tuple[AttritionStep, ...]

    @property
    def n_kept(self) -> int:
        return self.steps[-1].n_after if self.steps else self.n_input

    @property
    def n_excluded(self) -> int:
        return sum(s.n_excluded for s in self.steps)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: step, description, wording, n_before, n_excluded, n_after."""
        return pd.DataFrame(
            [
                {
                    "step": s.name,
                    "description": s.description,
                    "wording": s.wording,
                    "n_before": s.n_before,
                    "n_excluded": s.n_excluded,
                    "n_after": s.n_after,
                }
                for s in self.steps
            ],
            columns=["step", "description", "wording", "n_before", "n_excluded", "n_after"],
        )


@dataclass(frozen=True, slots=True)
class Cohort:
    """The analysis cohort: derived ``data``, its ``attrition`` log and the ``excluded`` list.

    ``lesions`` and ``adverse_events`` are restricted to the cohort's patients.
    """

    data: pd.DataFrame
    attrition: AttritionLog
    excluded: pd.DataFrame
    lesions: pd.DataFrame | None = None
    adverse_events: pd.DataFrame | None = None
    rules: tuple[EligibilityRule, ...] = field(default=DEFAULT_RULES)

    def to_frame(self) -> pd.DataFrame:
        return self.data


def _reason(p: pd.DataFrame, rule: EligibilityRule) -> pd.Series:
    parts = [
        col + "=" + p[col].astype("string").fillna("<missing>")
        for col in rule.columns
        if col in p.columns
    ]
    base = pd.Series(rule.description, index=p.index, dtype="string")
    if not parts:
        return base
    cited = parts[0]
    for extra in parts[1:]:
        cited = cited + ", " + extra
    return "failed: " + base + " (" + cited + ")"


def lesion_evaluable(patients: pd.DataFrame, lesions: pd.DataFrame) -> pd.Series:
    """Boolean per patient: at least one target or non-target lesion at baseline (the patient's
    earliest assessment) — RECIST 1.1 §3.1 measurable/non-measurable disease at baseline.

    Parameters
    ----------
    patients
        Typed patients frame (``patient_id``); the result is aligned to its index.
    lesions
        Typed lesions frame (``patient_id``, ``assessment_date``, ``role``).

    Returns
    -------
    pandas.Series
        True for patients with a target or non-target lesion at their first assessment.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> reg = read_registry("data/registry")
    >>> ok = lesion_evaluable(reg.patients, reg.lesions)
    >>> int(ok.sum()), len(ok)
    (308, 319)
    """
    if lesions.empty:
        return pd.Series(False, index=patients.index)
    first = lesions.groupby("patient_id", observed=True)["assessment_date"].transform("min")
    base = lesions.loc[
        (lesions["assessment_date"] == first)
        & lesions["role"].astype("string").isin(["target", "non_target"]).fillna(False)
    ]
    ids = pd.Index(base["patient_id"].astype("string").unique())
    return patients["patient_id"].astype("string").isin(ids).fillna(False).astype(bool)


def apply_eligibility(
    patients: pd.DataFrame, rules: Sequence[EligibilityRule] = DEFAULT_RULES
) -> tuple[pd.Series, AttritionLog, pd.DataFrame]:
    """Apply eligibility ``rules`` in order, as a STROBE flow.

    Each patient is charged to the first rule it fails; later rules only see the survivors,
    so the steps' exclusions add up to the patients left out (nobody is counted twice or
    lost). A predicate's missing answer counts as a failure.

    Parameters
    ----------
    patients
        Typed patients frame, with any columns the rules read (``derive_cohort`` adds
        ``_lesion_evaluable``).
    rules
        :class:`EligibilityRule` objects with unique names (default :data:`DEFAULT_RULES`,
        the study's criteria).

    Returns
    -------
    tuple
        The kept mask (aligned to ``patients``), the :class:`AttritionLog` (one step per
        rule) and the excluded patients (patient_id, step, reason).

    Raises
    ------
    AnalysisError
        Duplicate rule names, or a rule that does not give one boolean per patient.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> reg = read_registry("data/registry")
    >>> p = reg.patients.assign(_lesion_evaluable=lesion_evaluable(reg.patients, reg.lesions))
    >>> kept, log, excluded = apply_eligibility(p)
    >>> int(kept.sum()), [(s.name, s.n_excluded) for s in log.steps if s.n_excluded]
    (308, [('captem_both_drugs', 6), ('regular_followup', 5)])
    >>> excluded.columns.tolist()
    ['patient_id', 'step', 'reason']
    """
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise AnalysisError(f"eligibility rule names must be unique, got {names}")
    remaining = pd.Series(True, index=patients.index)
    steps: list[AttritionStep] = []
    excluded: list[pd.DataFrame] = []
    for rule in rules:
        passed = rule.predicate(patients)
        if not isinstance(passed, pd.Series) or len(passed) != len(patients):
            raise AnalysisError(f"eligibility rule {rule.name!r} must return one bool per patient")
        passed = passed.astype("boolean").fillna(False).astype(bool)
        fails = remaining & ~passed
        n_before = int(remaining.sum())
        steps.append(
            AttritionStep(
                rule.name,
                rule.description,
                rule.wording,
                n_before,
                int(fails.sum()),
                n_before - int(fails.sum()),
            )
        )
        if fails.any():
            sub = patients.loc[fails]
            excluded.append(
                pd.DataFrame(
                    {
                        "patient_id": sub["patient_id"].astype("string"),
                        "step": pd.Series(rule.name, index=sub.index, dtype="string"),
                        "reason": _reason(sub, rule).astype("string"),
                    }
                )
            )
        remaining &= passed
    frame = (
        pd.concat(excluded, ignore_index=True)
        if excluded
        else pd.DataFrame({c: pd.Series(dtype="string") for c in ("patient_id", "step", "reason")})
    )
    return remaining, AttritionLog(len(patients), tuple(steps)), frame


def _months(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.days.astype("float64") / DAYS_PER_MONTH


def _age_from_birth(birth: pd.Series, at: pd.Series) -> pd.Series:
    """Completed years between ``birth`` and ``at`` (calendar age)."""
    years = at.dt.year - birth.dt.year
    before_birthday = (at.dt.month < birth.dt.month) | (
        (at.dt.month == birth.dt.month) & (at.dt.day < birth.dt.day)
    )
    out: pd.Series[Any] = (years - before_birthday.astype("float64")).astype("float64")
    return out


def derive_variables(
    patients: pd.DataFrame, adverse_events: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Add the Methods' derived variables to a typed patients frame (returns a copy).

    line_group "1"/"2"/"3+"; age (from birth_date when age is missing); age_group "<50",
    "50-70", ">70"; age_le50; ki67_group "<3", "3-20", "21-55", ">55", "unknown"; ki67_le20
    (NA when Ki-67 is unknown or > 55: Table 3 compares <=20 with 21-55); grade_1_2 / grade3
    (NA for unknown grade: Table 3 compares 1-2 with 3); pancreas; ecog_0_1; first_line;
    pfs_months/pfs_event; os_months/os_event; followup_months; grade34_ae (NA when no
    adverse-event table is given).

    PFS ends at progression or death, whichever comes first, else is censored at the last
    follow-up; OS ends at death; months are days / :data:`captemstats.units.DAYS_PER_MONTH`.

    Parameters
    ----------
    patients
        Typed patients frame (the registry's ``patients`` table).
    adverse_events
        Optional typed adverse-event table: grade34_ae is True for a patient with an event
        of grade 3 or 4 (CTCAE), NA for everyone without the table.

    Returns
    -------
    pandas.DataFrame
        A copy of ``patients`` with the derived columns added.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> reg = read_registry("data/registry")
    >>> d = derive_variables(reg.patients, reg.adverse_events)
    >>> d["line_group"].value_counts().sort_index().to_dict()
    {'1': 144, '2': 123, '3+': 52}
    >>> d[["pfs_months", "pfs_event", "grade34_ae"]].dtypes.astype(str).tolist()
    ['float64', 'bool', 'boolean']
    """
    d = patients.copy()
    line = pd.to_numeric(d["line"], errors="coerce").astype("Float64")
    # np.select needs plain booleans: a missing line matches no condition (line_group NA)
    known_line = [(c).fillna(False).to_numpy(dtype=bool) for c in (line == 1, line == 2, line >= 3)]
    d["line_group"] = pd.Series(
        np.select(known_line, ["1", "2", "3+"], default=""),
        index=d.index,
        dtype="string",
    ).replace("", pd.NA)
    age = pd.to_numeric(d["age"], errors="coerce").astype("float64")
    if "birth_date" in d.columns:
        age = age.fillna(_age_from_birth(d["birth_date"], d["captem_start_date"]))
    d["age"] = age
    d["age_group"] = pd.Series(
        np.select([age < 50, age <= 70, age > 70], ["<50", "50-70", ">70"], default=""),
        index=d.index,
        dtype="string",
    ).replace("", pd.NA)
    d["age_le50"] = (age <= 50).astype("boolean").mask(age.isna())
    ki67 = pd.to_numeric(d["ki67"], errors="coerce").astype("float64")
    d["ki67_group"] = pd.Series(
        np.select(
            [ki67.isna(), ki67 < 3, ki67 <= 20, ki67 <= 55],
            ["unknown", "<3", "3-20", "21-55"],
            default=">55",
        ),
        index=d.index,
        dtype="string",
    )
    d["ki67_le20"] = (ki67 <= 20).astype("boolean").mask(ki67.isna() | (ki67 > 55))
    grade = d["grade"].astype("string")
    known = grade.isin(["1", "2", "3"]).fillna(False).astype(bool)
    d["grade_1_2"] = grade.isin(["1", "2"]).astype("boolean").mask(~known)
    d["grade3"] = (grade == "3").astype("boolean").mask(~known)
    d["pancreas"] = (d["primary_site"].astype("string") == "pancreas").astype("boolean")
    ecog = pd.to_numeric(d["ecog"], errors="coerce").astype("Float64")
    d["ecog_0_1"] = (ecog <= 1).astype("boolean")
    d["first_line"] = (line == 1).astype("boolean")

    start = d["captem_start_date"]
    prog, death, last = d["progression_date"], d["death_date"], d["last_followup_date"]
    pfs_end = prog.where(prog.notna() & (death.isna() | (prog <= death)), death)
    d["pfs_event"] = pfs_end.notna()
    d["pfs_months"] = _months(pfs_end.fillna(last), start)
    d["os_event"] = death.notna()
    d["os_months"] = _months(death.fillna(last), start)
    d["followup_months"] = _months(death.fillna(last), d["diagnosis_date"])

    if adverse_events is None:
        d["grade34_ae"] = pd.Series(pd.NA, index=d.index, dtype="boolean")
    else:
        grade_ae = pd.to_numeric(adverse_events["grade"], errors="coerce")
        severe = adverse_events.loc[grade_ae.between(3, 4), "patient_id"].astype("string")
        d["grade34_ae"] = d["patient_id"].astype("string").isin(pd.Index(severe.unique()))
        d["grade34_ae"] = d["grade34_ae"].astype("boolean")
    return d


def derive_cohort(
    registry_or_patients: RegistryLike | pd.DataFrame,
    lesions: pd.DataFrame | None = None,
    adverse_events: pd.DataFrame | None = None,
    *,
    rules: Sequence[EligibilityRule] = DEFAULT_RULES,
) -> Cohort:
    """Derive the analysis cohort from a registry (anything with ``.patients``, ``.lesions``,
    ``.adverse_events``) or from typed frames.

    Steps: attach lesion-derived evaluability, apply ``rules`` in order (STROBE flow), keep
    the survivors, add :func:`derive_variables`. Lesion and adverse-event rows are restricted
    to the kept patients.

    Parameters
    ----------
    registry_or_patients
        A :class:`~captemstats.io.Registry` (or anything with ``.patients``, ``.lesions``,
        ``.adverse_events``), or a typed patients frame.
    lesions, adverse_events
        Typed tables when a patients frame is given (they override the registry's).
    rules
        Eligibility rules in order (default :data:`DEFAULT_RULES`, the study's criteria).

    Returns
    -------
    Cohort
        ``data`` (one row per kept patient with the derived variables), ``attrition``,
        ``excluded`` (who was left out and why), the restricted ``lesions`` and
        ``adverse_events``, and the ``rules``.

    Raises
    ------
    AnalysisError
        The patients table lacks ``patient_id`` or ``captem_start_date``, or a rule is
        malformed.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> c = derive_cohort(read_registry("data/registry"))
    >>> len(c.data), c.attrition.n_input, len(c.excluded)
    (308, 319, 11)
    """
    if isinstance(registry_or_patients, pd.DataFrame):
        patients = registry_or_patients
    else:
        patients = registry_or_patients.patients
        lesions = lesions if lesions is not None else getattr(registry_or_patients, "lesions", None)
        if adverse_events is None:
            adverse_events = getattr(registry_or_patients, "adverse_events", None)
    missing = [c for c in ("patient_id", "captem_start_date") if c not in patients.columns]
    if missing:
        raise AnalysisError(f"patients table lacks required column(s) {missing}")
    work = patients.copy()
    if lesions is not None:
        work["_lesion_evaluable"] = lesion_evaluable(work, lesions).astype("boolean")
    kept, log, excluded = apply_eligibility(work, rules)
    data = derive_variables(
        work.loc[kept].drop(columns=["_lesion_evaluable"], errors="ignore"), adverse_events
    ).reset_index(drop=True)
    ids = pd.Index(data["patient_id"].astype("string"))
    les = None if lesions is None else lesions.loc[lesions["patient_id"].isin(ids)].copy()
    aes = (
        None
        if adverse_events is None
        else adverse_events.loc[adverse_events["patient_id"].isin(ids)].copy()
    )
    return Cohort(data, log, excluded, les, aes, tuple(rules))
