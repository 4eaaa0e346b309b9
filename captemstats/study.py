"""The study specification: every choice of the paper the analysis follows, as typed data.

:data:`CAPTEM_STUDY` is the CAPTEM study of 308 patients (the paper's endpoints, Kaplan–Meier
groupings, Table 1 rows, prior-treatment block, by-line grouping, Table 3's Cox terms and the
default methods profile). :func:`captemstats.analysis.analyze` reads it; the analysis
modules' constants (``analysis.ENDPOINTS``, ``analysis.GROUPINGS`` ...) are views of it.
Another study is another :class:`StudySpec`, not an edit of the analysis code.

Labels. The level labels of a grouping or a Table 1 row (``"Grade 1"``, ``"Pancreas"``) are
the registry schema's (:data:`captemstats.schema.LABELS`) and are not repeated here
(:attr:`Grouping.level_labels`). The row and grouping labels ("Gender", "PS (ECOG)",
"Ki-67 index") are the paper's own wording; the schema holds none of them, so they live in
the specification.

Core layer: imports only the standard library, :mod:`captemstats.errors` and
:mod:`captemstats.schema` at module import. The Cox terms become
:class:`captemstats.survival.Covariate` objects only when asked (:meth:`StudySpec.covariates`),
so importing the specification loads no numerical library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from captemstats.errors import CaptemError
from captemstats.recist.config import RecistConfig
from captemstats.schema import LABELS

if TYPE_CHECKING:
    from captemstats.survival.cox import Covariate

__all__ = [
    "CAPTEM_STUDY",
    "CoxTerm",
    "Endpoint",
    "Grouping",
    "StudySpec",
    "StudySpecError",
    "Table1Row",
]

#: How a Table 1 row is summarised: ``None`` lets :mod:`captemstats.compare` infer it,
#: ``"categorical"`` forces counts (a numeric code such as ECOG 0/1/2).
RowType = Literal["categorical"] | None


class StudySpecError(CaptemError, ValueError):
    """A study specification contradicts itself (e.g. a prior treatment not in Table 1)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A survival endpoint: its time column (months), event column (1 = event) and label.

    Examples
    --------
    >>> from captemstats.study import CAPTEM_STUDY
    >>> CAPTEM_STUDY.endpoint("pfs")
    Endpoint(name='pfs', time='pfs_months', event='pfs_event', label='Progression-free survival')
    """

    name: str
    time: str
    event: str
    label: str


@dataclass(frozen=True, slots=True)
class Grouping:
    """A Kaplan–Meier grouping: the cohort column (``"all"`` = no grouping), its label and
    the levels left out of its curves and log-rank test (counted as excluded).

    Examples
    --------
    >>> from captemstats.study import CAPTEM_STUDY
    >>> g = CAPTEM_STUDY.grouping("ki67_group")
    >>> g.label, g.excluded_levels
    ('Ki-67 index', ('unknown',))
    """

    column: str
    label: str
    excluded_levels: tuple[str, ...] = ()
    #: How a figure legend names each level (code, name), in print order. A legend shows a
    #: level without its variable, so where the schema's label needs the variable to be
    #: read ("Unknown", "<3") the legend name carries it ("Unknown grade", "Ki-67 <3%").
    legend: tuple[tuple[str, str], ...] = ()

    @property
    def level_labels(self) -> Mapping[str, str]:
        """Printed labels of the levels, in print order (:data:`captemstats.schema.LABELS`)."""
        return LABELS.get(self.column, {})

    @property
    def legend_labels(self) -> dict[str, str]:
        """The figure-legend names of the levels by code (empty: the codes are printed)."""
        return dict(self.legend)


@dataclass(frozen=True, slots=True)
class Table1Row:
    """A row of Table 1: the cohort column, the paper's row label, how it is summarised and
    whether it is tested across lines.

    Examples
    --------
    >>> from captemstats.study import CAPTEM_STUDY
    >>> CAPTEM_STUDY.table1[0]
    Table1Row(column='age', label='Age, years', type=None, tested=True)
    """

    column: str
    label: str
    type: RowType = None
    tested: bool = True


@dataclass(frozen=True, slots=True)
class CoxTerm:
    """A term of Table 3's Cox models, keyed by the published covariate name
    (``captemstats.published.COX_COVARIATES``): without ``level`` the column enters as a
    number (a 0/1 flag), with ``level`` as the indicator of ``level`` vs ``reference``.

    Examples
    --------
    >>> from captemstats.study import CAPTEM_STUDY
    >>> CAPTEM_STUDY.cox_terms[0]
    CoxTerm(key='sex_male', column='sex', label='Gender (male vs. female)', level='male',
            reference='female')
    """

    key: str
    column: str
    label: str
    level: str | None = None
    reference: str | None = None

    def covariate(self) -> Covariate:
        """The term as a :class:`captemstats.survival.Covariate` (imports the survival code)."""
        from captemstats.survival.cox import Covariate

        return Covariate(self.column, level=self.level, reference=self.reference, label=self.label)


@dataclass(frozen=True, slots=True)
class StudySpec:
    """One study's analysis choices, immutable; read by :func:`captemstats.analysis.analyze`.

    Parameters
    ----------
    name
        A short name of the study.
    endpoints
        The survival endpoints, in report order.
    groupings
        The Kaplan–Meier groupings, in report order (``"all"`` first: no grouping).
    table1
        Table 1's rows in the paper's order; the untested ones (``tested=False``) are the
        prior-treatment block (none in first line by design).
    by
        The cohort column of the by-line comparisons (Tables 1 and 2); one of the groupings.
    cox_terms
        Table 3's Cox terms, in the table's order.
    default_methods
        The methods profile used when none is asked for (a name of
        :data:`captemstats.methods.METHODS_NAMES`).
    time_axis_label
        The label of the time axis of the survival figures.
    recist
        The RECIST 1.1 options of the best-response derivation
        (:class:`captemstats.recist.config.RecistConfig`; e.g.
        ``dataclasses.replace(CAPTEM_STUDY, recist=RecistConfig(max_nr_ne=1))`` for a
        protocol that allows one NE scan between a response and its confirmation).

    Example
    -------
    >>> from captemstats.study import CAPTEM_STUDY
    >>> CAPTEM_STUDY.by, CAPTEM_STUDY.endpoint("pfs").time
    ('line_group', 'pfs_months')
    >>> CAPTEM_STUDY.prior_treatments[:2]
    ('prior_ssa', 'prior_prrt')
    >>> CAPTEM_STUDY.grouping("grade").excluded_levels
    ('unknown',)
    """

    name: str
    endpoints: tuple[Endpoint, ...]
    groupings: tuple[Grouping, ...]
    table1: tuple[Table1Row, ...]
    by: str
    cox_terms: tuple[CoxTerm, ...]
    default_methods: str = "recommended"
    #: The time axis of the survival figures.
    time_axis_label: str = "Months since start of CAPTEM"
    #: The RECIST 1.1 protocol choices (confirmation, SD minimum, counted scans, DCR).
    recist: RecistConfig = field(default_factory=RecistConfig)

    def __post_init__(self) -> None:
        for what, keys in (
            ("endpoint", [e.name for e in self.endpoints]),
            ("grouping", [g.column for g in self.groupings]),
            ("Table 1 row", [r.column for r in self.table1]),
            ("Cox term", [t.key for t in self.cox_terms]),
        ):
            repeated = sorted({k for k in keys if keys.count(k) > 1})
            if repeated:
                raise StudySpecError(f"study {self.name!r}: repeated {what}(s) {repeated}")
        if self.by not in {g.column for g in self.groupings}:
            raise StudySpecError(f"study {self.name!r}: by={self.by!r} is not a grouping")

    # -- look-ups -------------------------------------------------------------------------
    def endpoint(self, name: str) -> Endpoint:
        """The endpoint called ``name`` (``KeyError`` naming the known ones otherwise)."""
        for e in self.endpoints:
            if e.name == name:
                return e
        raise KeyError(f"no endpoint {name!r}; have {[e.name for e in self.endpoints]}")

    def grouping(self, column: str) -> Grouping:
        """The grouping of ``column`` (``KeyError`` naming the known ones otherwise)."""
        for g in self.groupings:
            if g.column == column:
                return g
        raise KeyError(f"no grouping {column!r}; have {[g.column for g in self.groupings]}")

    # -- views as plain mappings (the analysis module's historical constants) -------------
    @property
    def compared_groupings(self) -> tuple[str, ...]:
        """The groupings with groups (all but ``"all"``), in report order."""
        return tuple(g.column for g in self.groupings if g.column != "all")

    @property
    def prior_treatments(self) -> tuple[str, ...]:
        """Table 1's untested prior-treatment rows, in the table's order."""
        return tuple(r.column for r in self.table1 if not r.tested)

    def endpoint_columns(self) -> dict[str, tuple[str, str, str]]:
        """Endpoint name -> (time column, event column, label)."""
        return {e.name: (e.time, e.event, e.label) for e in self.endpoints}

    def grouping_labels(self) -> dict[str, str]:
        """Grouping column -> label, in report order."""
        return {g.column: g.label for g in self.groupings}

    def excluded_levels(self) -> dict[str, tuple[str, ...]]:
        """Grouping column -> its excluded levels (groupings that exclude some only)."""
        return {g.column: g.excluded_levels for g in self.groupings if g.excluded_levels}

    def table1_labels(self) -> dict[str, str]:
        """Table 1 column -> the paper's row label, in the table's order."""
        return {r.column: r.label for r in self.table1}

    def table1_types(self) -> dict[str, Literal["categorical"]]:
        """Table 1 columns whose summary type is set (not inferred) -> the type."""
        return {r.column: r.type for r in self.table1 if r.type is not None}

    def table1_tested(self) -> list[str]:
        """Table 1 columns tested across lines, in the table's order."""
        return [r.column for r in self.table1 if r.tested]

    def covariates(self) -> dict[str, Covariate]:
        """Table 3's terms as :class:`~captemstats.survival.Covariate`, keyed by the
        published covariate names (imports the survival code)."""
        return {t.key: t.covariate() for t in self.cox_terms}


def _prior(column: str, label: str) -> Table1Row:
    return Table1Row(column, label, tested=False)


#: The CAPTEM study (308 patients with neuroendocrine tumours, CAPTEM in any line): the
#: paper's endpoints, groupings, Table 1, Table 3 and methods profile. Another study is a
#: new :class:`StudySpec`.
CAPTEM_STUDY = StudySpec(
    name="captem",
    endpoints=(
        Endpoint("pfs", "pfs_months", "pfs_event", "Progression-free survival"),
        Endpoint("os", "os_months", "os_event", "Overall survival"),
    ),
    # The paper compares grade 1-3 and Ki-67 <3 / 3-20 / 21-55 only: the unknowns are left
    # out of the curves and tests (counted in ``KaplanMeierResult.n_excluded``).
    groupings=(
        Grouping("all", "All patients"),
        Grouping(
            "line_group",
            "Line of treatment",
            legend=(("1", "First line"), ("2", "Second line"), ("3+", "≥Third line")),
        ),
        Grouping(
            "grade",
            "Histologic grade",
            excluded_levels=("unknown",),
            legend=(
                ("1", "Grade 1"),
                ("2", "Grade 2"),
                ("3", "Grade 3"),
                ("unknown", "Unknown grade"),
            ),
        ),
        Grouping(
            "ki67_group",
            "Ki-67 index",
            excluded_levels=("unknown",),
            legend=(
                ("<3", "Ki-67 <3%"),
                ("3-20", "Ki-67 3%–20%"),
                ("21-55", "Ki-67 21%–55%"),
                ("unknown", "Ki-67 unknown"),
            ),
        ),
        Grouping(
            "primary_site",
            "Primary tumour site",
            legend=(
                ("pancreas", "Pancreas"),
                ("gastrointestinal", "Gastrointestinal"),
                ("lung", "Lung"),
                ("unknown", "Unknown primary"),
            ),
        ),
    ),
    table1=(
        Table1Row("age", "Age, years"),
        Table1Row("age_group", "Age groups"),
        Table1Row("sex", "Gender"),
        Table1Row("ecog", "PS (ECOG)", type="categorical"),  # an ordinal category 0, 1, 2
        Table1Row("comorbidity", "Comorbidities"),
        Table1Row("primary_site", "Site (primary)"),
        Table1Row("grade", "Histologic grade"),
        Table1Row("metastatic_sites", "Metastatic sites"),
        Table1Row("ki67_group", "Ki-67 (%)"),
        Table1Row("cycles", "No. of cycles"),
        Table1Row("prior_curative_surgery", "Prior surgery (curative)"),
        # "Previous treatment at metastatic stage": not tested (none in first line).
        _prior("prior_ssa", "Previous somatostatin analogue"),
        _prior("prior_prrt", "Previous PRRT"),
        _prior("prior_chemo", "Previous cytotoxic chemotherapy"),
        _prior("prior_everolimus", "Previous everolimus"),
        _prior("prior_sunitinib", "Previous sunitinib"),
        _prior("prior_locoregional", "Previous locoregional therapy"),
        Table1Row("grade34_ae", "Grade 3-4 adverse effects"),
        Table1Row("drug_holiday", "Drug holiday"),
        Table1Row("dose_reduction", "Dose reduction"),
        Table1Row("treatment_interruption", "Treatment interruption"),
    ),
    by="line_group",
    # Table 3: first level vs the paper's reference level, labelled as the table prints them.
    cox_terms=(
        CoxTerm("sex_male", "sex", "Gender (male vs. female)", level="male", reference="female"),
        CoxTerm("age_le50", "age_le50", "Age (≤50 vs. >50)"),
        CoxTerm("comorbidity", "comorbidity", "Comorbidities (yes vs. no)"),
        CoxTerm("ecog_0_1", "ecog_0_1", "PS (ECOG 0-1 vs. 2)"),
        CoxTerm("pancreas", "pancreas", "Site type (pancreas vs. others)"),
        CoxTerm("ki67_le20", "ki67_le20", "Ki-67 (≤20% vs. 21%-55%)"),
        CoxTerm("grade_1_2", "grade_1_2", "Grade (1-2 vs. 3)"),
        CoxTerm("first_line", "first_line", "First-line therapy vs. subsequent therapies"),
        CoxTerm("prior_curative_surgery", "prior_curative_surgery", "Prior surgery (curative)"),
    ),
    default_methods="recommended",
)
