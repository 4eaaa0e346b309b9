"""Registry data model: the three tables a participating center sends.

The model is declarative. Each table is a :class:`TableSpec` holding :class:`ColumnSpec`
entries; loading (:mod:`captemstats.io`), validation (:mod:`captemstats.validation`) and the
human data dictionary (``data/README.md``, produced by :func:`data_dictionary_markdown`) are
all driven from these definitions, so the code and the documentation cannot drift apart.

Categorical codes are :class:`enum.StrEnum` members; the code is what a file holds, the
label (``LABELS``) is what a table prints.

Tables
------
``patients``
    One row per patient (key ``patient_id``).
``lesions``
    One row per lesion per radiological assessment (key ``patient_id, assessment_date,
    lesion_id``). Optional: a registry may send only ``patients.best_response``.
``adverse_events``
    One row per CTCAE v4.0 event, graded 1–5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

ColumnKind = Literal["string", "integer", "number", "boolean", "date", "category"]


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class PrimarySite(StrEnum):
    PANCREAS = "pancreas"
    GASTROINTESTINAL = "gastrointestinal"
    LUNG = "lung"
    UNKNOWN = "unknown"


class Grade(StrEnum):
    G1 = "1"
    G2 = "2"
    G3 = "3"
    UNKNOWN = "unknown"


class MetastaticSites(StrEnum):
    LIVER = "liver"
    EXTRAHEPATIC = "extrahepatic"
    BOTH = "both"


class TumourType(StrEnum):
    NET = "NET"
    NEC = "NEC"


class Response(StrEnum):
    """RECIST 1.1 response categories (Eisenhauer et al. 2009, §4.3–4.4).

    ``NON_CR_NON_PD`` is the overall response for non-target-only disease (RECIST 1.1
    Table 2); it counts as disease control like SD but is never called SD.
    """

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON_CR_NON_PD"
    PD = "PD"
    NE = "NE"


class DiscontinuationReason(StrEnum):
    PROGRESSION = "progression"
    TOXICITY = "toxicity"
    DEATH = "death"
    PATIENT_CHOICE = "patient_choice"
    COMPLETED = "completed"
    ONGOING = "ongoing"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"
    OTHER = "other"


class LesionRole(StrEnum):
    """Role of a lesion row: a baseline target, a baseline non-target, or a new lesion."""

    TARGET = "target"
    NON_TARGET = "non_target"
    NEW = "new"


class MeasurementStatus(StrEnum):
    """How a target lesion was recorded (RECIST 1.1 Appendix I, 'Special notes')."""

    MEASURED = "measured"
    TOO_SMALL = "too_small"  # counted as 5 mm
    DISAPPEARED = "disappeared"  # counted as 0 mm
    NOT_ASSESSED = "not_assessed"


class NonTargetStatus(StrEnum):
    """Non-target lesion assessment (RECIST 1.1 §4.3.2)."""

    PRESENT = "present"  # persisting: non-CR/non-PD
    ABSENT = "absent"  # disappeared (nodes < 10 mm): contributes to CR
    UNEQUIVOCAL_PROGRESSION = "unequivocal_progression"
    NOT_ASSESSED = "not_assessed"


#: CTCAE v4.0 terms reported in the study's Table 4, in the paper's order.
CTCAE_TERMS: tuple[str, ...] = (
    "Platelet count decreased",
    "Neutrophil count decreased",
    "Lymphocyte count decreased",
    "Anemia",
    "Fatigue",
    "Nausea/vomiting",
    "Constipation",
    "Gastrointestinal hemorrhage",
    "Diarrhea",
    "Anorexia",
    "Abdominal pain",
    "Fever",
    "Oral mucositis",
    "Pruritus",
    "Rash",
    "Palmar-plantar erythrodysesthesia syndrome",
    "Blood bilirubin increased",
    "Alkaline phosphatase increased",
    "Aspartate aminotransferase increased",
    "Alanine aminotransferase increased",
    "Dehydration",
)

#: Human labels for category codes, as the published tables print them.
LABELS: dict[str, dict[str, str]] = {
    "sex": {"female": "Female", "male": "Male"},
    "primary_site": {
        "pancreas": "Pancreas",
        "gastrointestinal": "Gastrointestinal system",
        "lung": "Lung",
        "unknown": "Unknown",
    },
    "grade": {"1": "Grade 1", "2": "Grade 2", "3": "Grade 3", "unknown": "Unknown"},
    "metastatic_sites": {
        "liver": "Liver",
        "extrahepatic": "Extra-liver",
        "both": "Liver and extra-liver",
    },
    "tumour_type": {"NET": "Neuroendocrine tumour", "NEC": "Neuroendocrine carcinoma"},
    # Derived variables (captemstats.cohort), in the order the paper's Table 1 prints them.
    "age_group": {"<50": "<50", "50-70": "50–70", ">70": ">70"},
    "ki67_group": {"<3": "<3", "3-20": "3–20", "21-55": "21–55", "unknown": "Unknown (grades 1/2)"},
    "ecog": {"0": "0", "1": "1", "2": "2"},
    "best_response": {
        "CR": "Complete response",
        "PR": "Partial response",
        "SD": "Stable disease",
        "NON_CR_NON_PD": "Non-CR/non-PD",
        "PD": "Progressive disease",
        "NE": "Not evaluable",
    },
}


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column of a registry table.

    ``required`` means the column must be present in the file; ``nullable`` whether a cell may
    be empty. ``categories`` lists the allowed codes of a categorical column.
    """

    name: str
    kind: ColumnKind
    description: str
    required: bool = True
    nullable: bool = False
    categories: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A registry table: its columns, its key and the file stem it is read from."""

    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    required_table: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


#: The ``patients`` flags of a treatment given at the metastatic stage before CAPTEM.
METASTATIC_PRIOR_TREATMENTS: tuple[str, ...] = (
    "prior_ssa",
    "prior_prrt",
    "prior_chemo",
    "prior_everolimus",
    "prior_sunitinib",
    "prior_locoregional",
)
#: Every previous-treatment flag of ``patients``, in column order.
PRIOR_TREATMENTS: tuple[str, ...] = ("prior_curative_surgery", *METASTATIC_PRIOR_TREATMENTS)


def _codes(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(m.value for m in enum)


def _flag(name: str, description: str, *, required: bool = True) -> ColumnSpec:
    return ColumnSpec(name, "boolean", description, required=required, nullable=not required)


PATIENTS = TableSpec(
    name="patients",
    description="One row per patient treated with CAPTEM.",
    key=("patient_id",),
    columns=(
        ColumnSpec("patient_id", "string", "Pseudonymous patient identifier, unique."),
        ColumnSpec("center", "string", "Treating hospital (code or name)."),
        ColumnSpec("sex", "category", "Sex.", categories=_codes(Sex)),
        ColumnSpec(
            "age",
            "number",
            "Age at CAPTEM start. Required unless birth_date is given.",
            required=False,
            nullable=True,
            minimum=0,
            maximum=110,
            unit="years",
        ),
        ColumnSpec(
            "birth_date",
            "date",
            "Date of birth; age is derived from it when age is absent.",
            required=False,
            nullable=True,
        ),
        ColumnSpec(
            "ecog",
            "integer",
            "ECOG performance status at CAPTEM start.",
            minimum=0,
            maximum=4,
        ),
        _flag(
            "comorbidity",
            "Any of hypertension, diabetes, coronary heart disease, chronic kidney disease, "
            "cerebrovascular disease, COPD, thyroiditis.",
        ),
        ColumnSpec(
            "primary_site", "category", "Primary tumour site.", categories=_codes(PrimarySite)
        ),
        ColumnSpec("grade", "category", "WHO histological grade.", categories=_codes(Grade)),
        ColumnSpec(
            "ki67",
            "number",
            "Ki-67 proliferation index; empty when unknown.",
            nullable=True,
            minimum=0,
            maximum=100,
            unit="%",
        ),
        ColumnSpec(
            "metastatic_sites",
            "category",
            "Sites of metastatic disease.",
            categories=_codes(MetastaticSites),
        ),
        _flag("prior_curative_surgery", "Curative-intent surgery before CAPTEM."),
        _flag("prior_ssa", "Somatostatin analogue at the metastatic stage before CAPTEM."),
        _flag("prior_prrt", "PRRT at the metastatic stage before CAPTEM."),
        _flag("prior_chemo", "Cytotoxic chemotherapy at the metastatic stage before CAPTEM."),
        _flag("prior_everolimus", "Everolimus at the metastatic stage before CAPTEM."),
        _flag("prior_sunitinib", "Sunitinib at the metastatic stage before CAPTEM."),
        _flag(
            "prior_locoregional",
            "Locoregional therapy (TARE, TACE, RFA) at the metastatic stage before CAPTEM.",
        ),
        ColumnSpec("diagnosis_date", "date", "Date of histological diagnosis."),
        ColumnSpec(
            "metastatic_date",
            "date",
            "Date metastatic disease was diagnosed.",
            required=False,
            nullable=True,
        ),
        ColumnSpec("captem_start_date", "date", "First day of the first CAPTEM cycle."),
        ColumnSpec(
            "line",
            "integer",
            "Line of therapy at the metastatic stage in which CAPTEM was given (1 = first).",
            minimum=1,
            maximum=20,
        ),
        ColumnSpec("cycles", "integer", "CAPTEM cycles received.", minimum=0, maximum=200),
        _flag("capecitabine", "Capecitabine received."),
        _flag("temozolomide", "Temozolomide received."),
        _flag("concomitant_ssa", "Somatostatin analogue given with CAPTEM.", required=False),
        _flag("dose_reduction", "Dose reduced during CAPTEM."),
        _flag("drug_holiday", "Planned drug holiday during CAPTEM."),
        _flag("treatment_interruption", "Treatment interrupted (unplanned)."),
        ColumnSpec(
            "discontinuation_reason",
            "category",
            "Why CAPTEM was stopped; empty or 'ongoing' while on treatment.",
            required=False,
            nullable=True,
            categories=_codes(DiscontinuationReason),
        ),
        ColumnSpec(
            "progression_date",
            "date",
            "Date of radiological progression; empty if none observed.",
            nullable=True,
        ),
        ColumnSpec("death_date", "date", "Date of death; empty if alive.", nullable=True),
        ColumnSpec("last_followup_date", "date", "Date of last contact."),
        ColumnSpec(
            "subsequent_therapy_date",
            "date",
            "Start of the next anticancer therapy after CAPTEM; response assessments from "
            "this date on do not count (RECIST 1.1 §4.4.1).",
            required=False,
            nullable=True,
        ),
        ColumnSpec(
            "tumour_type",
            "category",
            "Neuroendocrine tumour or carcinoma.",
            categories=_codes(TumourType),
        ),
        _flag("regular_followup", "Followed up regularly (study eligibility).", required=False),
        _flag(
            "evaluable_disease",
            "Radiologically measurable or evaluable disease by RECIST 1.1 at baseline. When "
            "absent it is derived from the lesion table.",
            required=False,
        ),
        ColumnSpec(
            "best_response",
            "category",
            "Best overall response as recorded by the center; used only when no lesion "
            "measurements are supplied for the patient.",
            required=False,
            nullable=True,
            categories=_codes(Response),
        ),
    ),
)

LESIONS = TableSpec(
    name="lesions",
    description=(
        "One row per lesion per radiological assessment (RECIST 1.1). The baseline "
        "assessment is each patient's earliest date; target and non-target lesions are "
        "declared there. New lesions are rows with role 'new'."
    ),
    key=("patient_id", "assessment_date", "lesion_id"),
    required_table=False,
    columns=(
        ColumnSpec("patient_id", "string", "Patient identifier (patients.patient_id)."),
        ColumnSpec("assessment_date", "date", "Date of the imaging assessment."),
        ColumnSpec("lesion_id", "string", "Lesion identifier, stable across assessments."),
        ColumnSpec("role", "category", "Lesion role.", categories=_codes(LesionRole)),
        ColumnSpec("organ", "string", "Organ of the lesion (e.g. liver, lung, lymph node)."),
        _flag("nodal", "Lymph node (measured in short axis)."),
        ColumnSpec(
            "diameter_mm",
            "number",
            "Longest diameter (short axis for nodes) of a target lesion. Empty when "
            "measurement_status says too_small, disappeared or not_assessed.",
            nullable=True,
            minimum=0,
            maximum=500,
            unit="mm",
        ),
        ColumnSpec(
            "measurement_status",
            "category",
            "Target lesions: how the size was recorded.",
            nullable=True,
            categories=_codes(MeasurementStatus),
        ),
        ColumnSpec(
            "non_target_status",
            "category",
            "Non-target lesions: status at this assessment.",
            nullable=True,
            categories=_codes(NonTargetStatus),
        ),
    ),
)

ADVERSE_EVENTS = TableSpec(
    name="adverse_events",
    description="One row per adverse event graded by CTCAE v4.0.",
    key=("patient_id", "term", "grade", "onset_date"),
    columns=(
        ColumnSpec("patient_id", "string", "Patient identifier (patients.patient_id)."),
        ColumnSpec(
            "term",
            "string",
            "CTCAE v4.0 term; the study's terms are listed in captemstats.schema.CTCAE_TERMS.",
        ),
        ColumnSpec("grade", "integer", "CTCAE grade.", minimum=1, maximum=5),
        ColumnSpec("onset_date", "date", "Date of onset.", required=False, nullable=True),
        _flag("led_to_interruption", "The event led to treatment interruption."),
        _flag("led_to_discontinuation", "The event led to treatment discontinuation."),
    ),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (PATIENTS, LESIONS, ADVERSE_EVENTS)}

#: Spellings accepted for boolean cells (case-insensitive); anything else is an error.
TRUE_TOKENS: frozenset[str] = frozenset({"1", "true", "yes", "y", "t"})
FALSE_TOKENS: frozenset[str] = frozenset({"0", "false", "no", "n", "f"})


def data_dictionary_markdown() -> str:
    """Render the data model as the Markdown data dictionary shipped as ``data/README.md``'s
    second part (``data/DICTIONARY.md``). A test checks the committed file equals this text."""
    lines = [
        "# Registry data dictionary",
        "",
        "Generated from `captemstats/schema.py` by `captemstats dictionary`; do not edit by hand.",
        "",
        "A registry is a folder (or one workbook) with the tables below, as CSV, XLSX (one sheet",
        "per table), SPSS `.sav` or Parquet. Dates are ISO (`2021-03-14`) or day-first",
        "(`14.03.2021`, `14/03/2021`). Booleans are `yes`/`no`, `true`/`false` or `1`/`0`.",
        "A column mapping (YAML, `--mapping`) renames a center's own columns and recodes its",
        "labels onto these codes.",
        "",
    ]
    for table in TABLES.values():
        optional = "" if table.required_table else " (optional table)"
        lines += [
            f"## `{table.name}`{optional}",
            "",
            table.description,
            "",
            f"Key: {', '.join(f'`{k}`' for k in table.key)}.",
            "",
            "| column | type | required | empty allowed | allowed values | description |",
            "|---|---|---|---|---|---|",
        ]
        for c in table.columns:
            allowed = ", ".join(f"`{v}`" for v in c.categories)
            if c.minimum is not None or c.maximum is not None:
                allowed = f"{c.minimum:g} to {c.maximum:g}" if c.maximum is not None else ""
                allowed += f" {c.unit}".rstrip()
            elif c.unit:
                allowed = c.unit
            lines.append(
                f"| `{c.name}` | {c.kind} | {'yes' if c.required else 'no'} | "
                f"{'yes' if c.nullable else 'no'} | {allowed} | {c.description} |"
            )
        lines.append("")
    lines += ["## CTCAE v4.0 terms of the study", ""]
    lines += [f"- {t}" for t in CTCAE_TERMS]
    lines.append("")
    return "\n".join(lines)
