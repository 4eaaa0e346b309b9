"""The models of each section of the published-values file: Table 1 (groups, categorical
variables and levels, continuous rows), Table 2 (responses), Table 3 (Cox rows), Table 4
(adverse-event terms), the survival medians and log-rank P values, the numbers printed in the
abstract and text, and the study facts.

Each model checks its codes against :mod:`captemstats.published.vocabulary` (and Table 4's
terms against :data:`captemstats.schema.CTCAE_TERMS`); the whole file is
:class:`captemstats.published.study.PublishedStudy`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, field_validator, model_validator

from captemstats.published.printed import (
    Cell,
    PrintedCI,
    PrintedFloat,
    PrintedInt,
    PrintedP,
    _Model,
    parse_printed_number,
)
from captemstats.published.vocabulary import (
    AE_BANDS,
    COX_COVARIATES,
    GROUPS,
    RESPONSES,
    SIGNIFICANCE_CLAIMS,
    SURVIVAL_GROUPS,
    TABLE1_LEVELS,
    Endpoint,
    Grouping,
)
from captemstats.schema import CTCAE_TERMS

__all__ = [
    "AETerm",
    "Continuous",
    "ContinuousCell",
    "CoxRow",
    "GroupHeader",
    "Level",
    "ResponseRow",
    "StudyFacts",
    "Survival",
    "SurvivalMedian",
    "SurvivalP",
    "Table1",
    "Table2",
    "Table2Group",
    "Table3",
    "Table4",
    "TextValue",
    "Variable",
]


def _keyed_by_groups(v: dict[str, Cell]) -> dict[str, Cell]:
    if set(v) != set(GROUPS):
        raise ValueError(f"cells must be keyed {GROUPS}, got {tuple(v)}")
    return {g: v[g] for g in GROUPS}


#: A row's cells, one per group of :data:`GROUPS` and put in that order.
GroupCells = Annotated[dict[str, Cell], AfterValidator(_keyed_by_groups)]


class GroupHeader(_Model):
    group: str
    header: str
    cell: Cell


class Level(_Model):
    level: str
    label: str
    cells: GroupCells


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
    cells: GroupCells


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
