"""The values the CAPTEM paper prints, as typed data.

Every count, percentage, median, hazard ratio and P value of the paper (Tables 1–4, the
abstract and the text) is transcribed *exactly as printed* — typographical errors included —
in ``captem_study.yaml``, each with where it appears. This module validates that file with
pydantic models and offers tidy pandas views of it. It never corrects a value: the audit of
the printed values (:mod:`captemstats.audit`) finds the inconsistencies and
:func:`captemstats.audit.resolve` derives one consistent set of values from them.

Where the file lives
--------------------
The canonical copy is package data, ``captemstats/resources/published/captem_study.yaml``, so
:func:`load_published` works from an installed wheel. ``data/published/captem_study.yaml`` is
the user-facing duplicate (a plain copy, no symlink, so it survives any checkout or archive);
``tests/test_published.py`` asserts the two files are byte-identical, and also that the
committed JSON schema (``captem_study.schema.json``, both places) equals
:func:`json_schema`.

Conventions of the file
-----------------------
* Groups (columns) are coded ``all``, ``1``, ``2``, ``3+`` (line of CAPTEM).
* A cell keeps the printed text (``printed``), the count (``n``) and the percentage *as the
  printed string* (``pct``), because the number of printed decimals matters to the rounding
  check and some prints are odd (``"31.9)"``, ``"65.0%"``, a missing parenthesis).
* A dash (``—``) is a cell with ``n`` and ``pct`` null; a cell the table does not print at all
  is null.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from captemstats.errors import CaptemError
from captemstats.schema import CTCAE_TERMS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "GROUPS",
    "LINE_GROUPS",
    "SIGNIFICANCE_CLAIMS",
    "TABLE1_LEVELS",
    "Cell",
    "PublishedDataError",
    "PublishedStudy",
    "default_path",
    "json_schema",
    "load_published",
]

#: Column codes of Tables 1 and 2: all patients, then CAPTEM line 1, 2 and ≥3.
GROUPS: tuple[str, ...] = ("all", "1", "2", "3+")
LINE_GROUPS: tuple[str, ...] = ("1", "2", "3+")

#: Table 1 categorical variables and their level codes, in the paper's order.
TABLE1_LEVELS: dict[str, tuple[str, ...]] = {
    "age_group": ("<50", "50-70", ">70"),
    "sex": ("female", "male"),
    "ecog": ("0", "1", "2"),
    "comorbidity": ("yes", "no"),
    "primary_site": ("pancreas", "gastrointestinal", "lung", "unknown"),
    "grade": ("1", "2", "3", "unknown"),
    "metastatic_sites": ("liver", "extrahepatic", "both"),
    "ki67_group": ("<3", "3-20", "21-55", "unknown"),
    "prior_curative_surgery": ("yes", "no"),
    "prior_ssa": ("yes",),
    "prior_prrt": ("yes",),
    "prior_chemo": ("yes",),
    "prior_everolimus": ("yes",),
    "prior_sunitinib": ("yes",),
    "prior_locoregional": ("yes",),
    "grade34_ae": ("yes", "no"),
    "drug_holiday": ("yes", "no"),
    "dose_reduction": ("yes", "no"),
    "treatment_interruption": ("yes", "no"),
}
CONTINUOUS_STATS: dict[str, tuple[str, ...]] = {
    "age": ("median", "min", "max"),
    "cycles": ("median", "min", "max", "mean", "sd"),
}
RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "PD", "ORR", "DCR")
AE_BANDS: tuple[str, ...] = ("grade_1_2", "grade_3", "grade_4", "interruption")
Endpoint = Literal["pfs", "os"]
Grouping = Literal["overall", "line", "grade", "ki67_group", "primary_site"]
COX_COVARIATES: tuple[str, ...] = (
    "sex_male",
    "age_le50",
    "comorbidity",
    "ecog_0_1",
    "pancreas",
    "ki67_le20",
    "grade_1_2",
    "first_line",
    "prior_curative_surgery",
)
SURVIVAL_GROUPS: dict[str, tuple[str, ...]] = {
    "overall": ("all",),
    "line": LINE_GROUPS,
    "grade": ("1", "2", "3"),
    "ki67_group": ("<3", "3-20", "21-55"),
    "primary_site": ("pancreas", "gastrointestinal", "lung", "unknown"),
}

#: The claims a ``kind="significance"`` text value can make.
SIGNIFICANCE_CLAIMS: tuple[str, ...] = ("significant", "not significant")

_NUMBER = re.compile(r"(\d*)\.(\d+)|\d+")
_CELL = re.compile(r"(\d+) \(")
_RESOURCE = ("resources", "published", "captem_study.yaml")


class PublishedDataError(CaptemError):
    """The published-values file is missing, not YAML, or does not match the model."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_printed_number(printed: str) -> tuple[float, int] | None:
    """The first decimal number in a print and its decimals (``"65.0%"`` -> (65.0, 1);
    ``".039"`` -> (0.039, 3))."""
    m = _NUMBER.search(printed)
    if m is None:
        return None
    return float(m.group(0)), len(m.group(2) or "")


class Cell(_Model):
    """One ``n (%)`` cell as printed. ``pct`` is the printed percentage text, verbatim."""

    printed: str
    where: str
    n: int | None
    pct: str | None

    @model_validator(mode="after")
    def _n_matches_print(self) -> Cell:
        if self.printed == "—":
            if self.n is not None or self.pct is not None:
                raise ValueError(f"{self.where}: a dash cell has no n or pct")
            return self
        m = _CELL.match(self.printed)
        if m is None or self.n != int(m.group(1)):
            raise ValueError(f"{self.where}: n={self.n} does not match print {self.printed!r}")
        if self.pct is None or self.pct not in self.printed:
            raise ValueError(f"{self.where}: pct={self.pct!r} is not in print {self.printed!r}")
        return self

    @property
    def is_dash(self) -> bool:
        return self.printed == "—"

    @property
    def pct_value(self) -> float | None:
        """The printed percentage as a number (``"31.9)"`` -> 31.9)."""
        parsed = None if self.pct is None else parse_printed_number(self.pct)
        return None if parsed is None else parsed[0]

    @property
    def pct_decimals(self) -> int | None:
        parsed = None if self.pct is None else parse_printed_number(self.pct)
        return None if parsed is None else parsed[1]

    @property
    def well_formed(self) -> bool:
        """True when the print is exactly ``n (p)`` with a plain number ``p`` (or a dash)."""
        return self.is_dash or re.fullmatch(r"\d+ \(\d+(?:\.\d+)?\)", self.printed) is not None


class PrintedP(_Model):
    printed: str
    value: float
    where: str

    @property
    def is_bound(self) -> bool:
        """``<.001`` is an upper bound, not a value."""
        return self.printed.strip().startswith("<")


class PrintedInt(_Model):
    printed: str
    value: int
    where: str


class GroupHeader(_Model):
    group: str
    header: str
    cell: Cell


class Level(_Model):
    level: str
    label: str
    cells: dict[str, Cell]

    @field_validator("cells")
    @classmethod
    def _groups(cls, v: dict[str, Cell]) -> dict[str, Cell]:
        if set(v) != set(GROUPS):
            raise ValueError(f"cells must be keyed {GROUPS}, got {tuple(v)}")
        return {g: v[g] for g in GROUPS}


class Variable(_Model):
    variable: str
    label: str
    p_value: PrintedP | None
    levels: list[Level]

    @model_validator(mode="after")
    def _codes(self) -> Variable:
        expected = TABLE1_LEVELS.get(self.variable)
        if expected is None:
            raise ValueError(f"unknown Table 1 variable {self.variable!r}")
        got = tuple(lv.level for lv in self.levels)
        if got != expected:
            raise ValueError(f"{self.variable}: levels {got} != expected {expected}")
        return self


class ContinuousCell(_Model):
    printed: str
    where: str
    stats: dict[str, str]


class Continuous(_Model):
    variable: Literal["age", "cycles"]
    label: str
    cells: dict[str, ContinuousCell]


class Table1(_Model):
    title: str
    groups: list[GroupHeader]
    variables: list[Variable]
    continuous: list[Continuous]
    footnotes: list[str]

    @model_validator(mode="after")
    def _complete(self) -> Table1:
        if tuple(g.group for g in self.groups) != GROUPS:
            raise ValueError(f"Table 1 groups must be {GROUPS}")
        if tuple(v.variable for v in self.variables) != tuple(TABLE1_LEVELS):
            raise ValueError("Table 1 variables are incomplete or out of order")
        return self


class Table2Group(_Model):
    group: str
    header: str
    denominator: PrintedInt


class ResponseRow(_Model):
    response: Literal["CR", "PR", "SD", "PD", "ORR", "DCR"]
    label: str
    p_value: PrintedP | None
    cells: dict[str, Cell]

    @field_validator("cells")
    @classmethod
    def _groups(cls, v: dict[str, Cell]) -> dict[str, Cell]:
        if set(v) != set(GROUPS):
            raise ValueError(f"cells must be keyed {GROUPS}, got {tuple(v)}")
        return {g: v[g] for g in GROUPS}


class Table2(_Model):
    title: str
    groups: list[Table2Group]
    responses: list[ResponseRow]
    footnotes: list[str]
    one_course_excluded: PrintedInt

    @model_validator(mode="after")
    def _complete(self) -> Table2:
        if tuple(r.response for r in self.responses) != RESPONSES:
            raise ValueError(f"Table 2 responses must be {RESPONSES}")
        if tuple(g.group for g in self.groups) != GROUPS:
            raise ValueError(f"Table 2 groups must be {GROUPS}")
        return self


class PrintedFloat(_Model):
    printed: str
    value: float

    @property
    def decimals(self) -> int:
        parsed = parse_printed_number(self.printed)
        return 0 if parsed is None else parsed[1]


class PrintedCI(_Model):
    printed: str
    lower: float
    upper: float


class CoxRow(_Model):
    endpoint: Endpoint
    covariate: str
    label: str
    hr: PrintedFloat
    ci: PrintedCI
    p_value: PrintedFloat
    where: str

    @field_validator("covariate")
    @classmethod
    def _cov(cls, v: str) -> str:
        if v not in COX_COVARIATES:
            raise ValueError(f"unknown Cox covariate {v!r}")
        return v


class Table3(_Model):
    title: str
    rows: list[CoxRow]
    footnotes: list[str]


class AETerm(_Model):
    term: str
    printed_term: str
    cells: dict[str, Cell | None]
    note: str | None = None

    @field_validator("term")
    @classmethod
    def _term(cls, v: str) -> str:
        if v not in CTCAE_TERMS:
            raise ValueError(f"{v!r} is not in captemstats.schema.CTCAE_TERMS")
        return v

    @field_validator("cells")
    @classmethod
    def _bands(cls, v: dict[str, Cell | None]) -> dict[str, Cell | None]:
        if set(v) != set(AE_BANDS):
            raise ValueError(f"bands must be {AE_BANDS}, got {tuple(v)}")
        return {b: v[b] for b in AE_BANDS}


class Table4(_Model):
    title: str
    denominator: PrintedInt
    terms: list[AETerm]

    @model_validator(mode="after")
    def _all_terms(self) -> Table4:
        if tuple(t.term for t in self.terms) != CTCAE_TERMS:
            raise ValueError("Table 4 terms must be CTCAE_TERMS in order")
        return self


class SurvivalMedian(_Model):
    endpoint: Endpoint
    grouping: Grouping
    group: str
    printed: str
    median_months: float | None  # None: "not reached"
    where: str
    printed_group: str | None = None

    @model_validator(mode="after")
    def _group(self) -> SurvivalMedian:
        if self.group not in SURVIVAL_GROUPS[self.grouping]:
            raise ValueError(f"{self.grouping}: unknown group {self.group!r}")
        return self


class SurvivalP(_Model):
    endpoint: Endpoint
    grouping: Grouping
    printed: str
    value: float
    where: str


class Survival(_Model):
    medians: list[SurvivalMedian]
    p_values: list[SurvivalP]


class TextValue(_Model):
    """A number printed in the abstract or text, with the table cell it restates if any.

    ``kind="significance"`` is a statement of significance in the prose (``claim`` is
    ``"significant"`` or ``"not significant"``; ``printed`` the words that say so);
    ``refers_to`` names the comparison whose printed P decides it (``table`` ``survival``,
    ``table1``, ``table2``, ``table3``) or ``{"table": "cited", "reference": ...}`` for a
    statement about a cited study, whose P is then ``p_value`` / ``p_printed``.
    """

    id: str
    where: str
    quote: str
    printed: str
    kind: Literal[
        "count",
        "percent",
        "months",
        "years",
        "p_value",
        "cox",
        "covariate_list",
        "label",
        "percent_threshold",
        "significance",
    ]
    value: float | None
    refers_to: dict[str, str] | None = None
    stat: str | None = None
    denominator: int | None = None
    claim: str | None = None
    hr: float | None = None
    p_value: float | None = None
    lower: float | None = None
    upper: float | None = None
    covariates: list[str] | None = None
    p_printed: str | None = None

    @model_validator(mode="after")
    def _significance(self) -> TextValue:
        if self.kind != "significance":
            return self
        if self.claim not in SIGNIFICANCE_CLAIMS:
            raise ValueError(f"{self.id}: claim must be one of {SIGNIFICANCE_CLAIMS}")
        if self.refers_to is None or "table" not in self.refers_to:
            raise ValueError(f"{self.id}: a significance statement needs refers_to.table")
        if self.refers_to["table"] == "cited" and (self.p_printed is None or self.p_value is None):
            raise ValueError(f"{self.id}: a statement about a cited study needs its printed P")
        return self

    @property
    def decimals(self) -> int:
        parsed = parse_printed_number(self.printed)
        return 0 if parsed is None else parsed[1]


class StudyFacts(_Model):
    patients: PrintedInt
    hospitals: PrintedInt
    period: dict[str, str]
    excluded: PrintedInt
    ctcae_version: dict[str, str]
    months_note: str


class PublishedStudy(_Model):
    """The whole transcription. Use the ``*_frame`` methods for tidy views."""

    schema_version: Literal[1]
    source: dict[str, str]
    study: StudyFacts
    table1: Table1
    table2: Table2
    table3: Table3
    table4: Table4
    survival: Survival
    text_values: list[TextValue] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> PublishedStudy:
        ids = [t.id for t in self.text_values]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate text_values ids: {dup}")
        return self

    # ----------------------------------------------------------------- lookups
    def n_per_group(self) -> dict[str, int]:
        """Table 1 'Number' row: {'all': 308, '1': 139, '2': 118, '3+': 51}."""
        return {g.group: int(g.cell.n or 0) for g in self.table1.groups}

    def table2_denominators(self) -> dict[str, int]:
        """Table 2 header denominators: {'all': 304, '1': 137, '2': 117, '3+': 50}."""
        return {g.group: g.denominator.value for g in self.table2.groups}

    def variable(self, code: str) -> Variable:
        for v in self.table1.variables:
            if v.variable == code:
                return v
        raise KeyError(code)

    def text_value(self, id_: str) -> TextValue:
        for t in self.text_values:
            if t.id == id_:
                return t
        raise KeyError(id_)

    # ------------------------------------------------------------------ frames
    def table1_frame(self) -> pd.DataFrame:
        """Tidy Table 1 counts as printed: variable, level, group, n, pct (printed text),
        pct_value, printed, where. Dash cells have n = <NA>."""
        rows = [
            _cell_row({"variable": v.variable, "level": lv.level, "group": g}, c)
            for v in self.table1.variables
            for lv in v.levels
            for g, c in lv.cells.items()
        ]
        return _frame(rows, int_cols=("n",))

    def table1_continuous_frame(self) -> pd.DataFrame:
        """Tidy continuous rows: variable, stat, group, printed (the stat), value, cell, where."""
        rows = [
            {
                "variable": c.variable,
                "stat": stat,
                "group": g,
                "printed": text,
                "value": float(text),
                "cell": cell.printed,
                "where": cell.where,
            }
            for c in self.table1.continuous
            for g, cell in c.cells.items()
            for stat, text in cell.stats.items()
        ]
        return _frame(rows)

    def table1_p_frame(self) -> pd.DataFrame:
        """Table 1 P values: variable, printed, value, where."""
        rows = [
            {"variable": v.variable, "printed": p.printed, "value": p.value, "where": p.where}
            for v in self.table1.variables
            if (p := v.p_value) is not None
        ]
        return _frame(rows)

    def table2_frame(self) -> pd.DataFrame:
        """Tidy Table 2: response, group, n, pct, pct_value, printed, where, denominator."""
        den = self.table2_denominators()
        rows = [
            _cell_row({"response": r.response, "group": g}, c) | {"denominator": den[g]}
            for r in self.table2.responses
            for g, c in r.cells.items()
        ]
        return _frame(rows, int_cols=("n",))

    def table4_frame(self) -> pd.DataFrame:
        """Tidy Table 4: term, printed_term, band, n, pct, pct_value, printed, where.

        Dashes give n = <NA> with printed '—'; cells the table leaves blank give printed = None.
        """
        rows: list[dict[str, Any]] = []
        for t in self.table4.terms:
            for band, c in t.cells.items():
                key = {"term": t.term, "printed_term": t.printed_term, "band": band}
                if c is None:
                    rows.append(key | dict.fromkeys(_CELL_KEYS))
                else:
                    rows.append(_cell_row(key, c))
        return _frame(rows, int_cols=("n",))

    def survival_frame(self) -> pd.DataFrame:
        """Every printed median (one row per appearance): endpoint, grouping, group, printed,
        median_months (NaN = not reached), where, plus the log-rank P printed at that place."""
        rows = [m.model_dump() for m in self.survival.medians]
        return _frame(rows)

    def survival_p_frame(self) -> pd.DataFrame:
        """Every printed log-rank P (one row per appearance)."""
        return _frame([p.model_dump() for p in self.survival.p_values])

    def cox_frame(self) -> pd.DataFrame:
        """Table 3 tidy: endpoint, covariate, hr, lower, upper, p_value, and the printed
        strings hr_printed, ci_printed, p_printed, plus where."""
        rows = [
            {
                "endpoint": r.endpoint,
                "covariate": r.covariate,
                "hr": r.hr.value,
                "lower": r.ci.lower,
                "upper": r.ci.upper,
                "p_value": r.p_value.value,
                "hr_printed": r.hr.printed,
                "ci_printed": r.ci.printed,
                "p_printed": r.p_value.printed,
                "where": r.where,
            }
            for r in self.table3.rows
        ]
        return _frame(rows)

    def text_values_frame(self) -> pd.DataFrame:
        """Numbers printed in the abstract and text: id, where, printed, kind, value, refers_to."""
        rows = [
            {
                "id": t.id,
                "where": t.where,
                "printed": t.printed,
                "kind": t.kind,
                "value": t.value,
                "refers_to": json.dumps(t.refers_to, sort_keys=True) if t.refers_to else None,
                "quote": t.quote,
            }
            for t in self.text_values
        ]
        return _frame(rows)


_CELL_KEYS = ("n", "pct", "pct_value", "printed", "where")


def _cell_row(key: dict[str, Any], c: Cell) -> dict[str, Any]:
    return key | {
        "n": c.n,
        "pct": c.pct,
        "pct_value": c.pct_value,
        "printed": c.printed,
        "where": c.where,
    }


def _frame(rows: list[dict[str, Any]], int_cols: tuple[str, ...] = ()) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(rows)
    for col in int_cols:
        df[col] = df[col].astype("Int64")
    return df


def default_path() -> Path:
    """The YAML shipped inside the package (works from an installed wheel)."""
    return Path(str(resources.files("captemstats").joinpath(*_RESOURCE)))


def load_published(path: str | Path | None = None) -> PublishedStudy:
    """Read and validate the published values (default: the copy shipped in the package).

    Raises :class:`PublishedDataError` naming the file and each offending field.
    """
    import yaml

    p = Path(path) if path is not None else default_path()
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
        raw = yaml.load(p.read_text(encoding="utf-8"), Loader=loader)  # a safe loader
    except OSError as exc:
        raise PublishedDataError(f"{p}: cannot read published values ({exc})") from exc
    except yaml.YAMLError as exc:
        raise PublishedDataError(f"{p}: not valid YAML ({exc})") from exc
    try:
        return PublishedStudy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise PublishedDataError(
            f"{p}: does not match the published-values model: {problems}"
        ) from exc


def json_schema() -> str:
    """The JSON schema of the YAML file, generated from the pydantic models (stable text)."""
    return json.dumps(PublishedStudy.model_json_schema(), indent=2, sort_keys=True) + "\n"
