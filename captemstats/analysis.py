"""The study's whole analysis in one call: ``analyze(registry) -> StudyAnalysis``.

Pipeline (each step is a library call documented in its own module):

1. validate the registry (:mod:`captemstats.validation`); an invalid registry is refused with
   :class:`InvalidRegistryError` carrying the full report — nothing is analysed;
2. derive the analysis cohort with its attrition log (:mod:`captemstats.cohort`);
3. classify tumour response by RECIST 1.1 from the lesion measurements
   (:mod:`captemstats.recist`) and compute ORR/DCR by line with their tests;
4. Table 1 characteristics by line with gtsummary-style tests (:mod:`captemstats.compare`),
   or, with ``methods="as_published"``, the paper's chi-square throughout
   (:mod:`captemstats.methods`; also for Table 2's tests);
5. Kaplan–Meier PFS and OS overall and by every grouping the paper reports, with log-rank
   tests; Cox models of Table 3 (multivariable as the paper's table, univariable beside it,
   cluster-robust by centre as a sensitivity analysis); follow-up;
6. adverse events by CTCAE grade (:mod:`captemstats.adverse`).

The paper's choices (endpoints, groupings, Table 1's rows, Table 3's terms, the by-line
grouping, the default methods profile) are the study specification
(:data:`captemstats.study.CAPTEM_STUDY`); this module's constants (:data:`ENDPOINTS`,
:data:`GROUPINGS` ...) are views of it, kept for the code that reads them.

The result is typed; :meth:`StudyAnalysis.to_dict` gives the versioned ``results.json``
schema (:data:`RESULTS_SCHEMA_VERSION`, :mod:`captemstats.results_files`) and
:func:`captemstats.outputs.write_outputs` writes it with tidy CSVs. Presentation (tables,
figures, the manuscript) reads this object and computes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captemstats.errors import AnalysisError, CaptemError
from captemstats.methods import RECOMMENDED, MethodProfile, MethodsName, get_profile
from captemstats.provenance import Provenance as Provenance  # re-exported
from captemstats.results_files import RESULTS_SCHEMA_VERSION as RESULTS_SCHEMA_VERSION
from captemstats.results_files import csv_writer as _csv_writer  # noqa: F401 - re-exported
from captemstats.results_files import json_safe as _clean  # noqa: F401 - re-exported
from captemstats.results_files import results_dict, results_json
from captemstats.study import CAPTEM_STUDY, StudySpec

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.adverse import AdverseEventSummary
    from captemstats.cohort import Cohort
    from captemstats.compare import CategoricalComparison, CharacteristicsSummary
    from captemstats.io.registry import Registry
    from captemstats.recist.best_response import BestResponseResult
    from captemstats.recist.rates import ResponseRates
    from captemstats.results import JSONObject
    from captemstats.survival.cox import Covariate, CoxResult, CoxResultCollection
    from captemstats.survival.followup import FollowUpResult
    from captemstats.survival.km import KaplanMeierResult
    from captemstats.survival.logrank import LogRankResult
    from captemstats.survival.zph import ZphResult
    from captemstats.validation.report import ValidationReport

# Views of the CAPTEM study specification (captemstats.study), under their historical names.
#: Survival endpoints: name -> (time column, event column, label).
ENDPOINTS: dict[str, tuple[str, str, str]] = CAPTEM_STUDY.endpoint_columns()
#: Kaplan–Meier groupings the paper reports (Results): column -> label. "all" = no grouping.
GROUPINGS: dict[str, str] = CAPTEM_STUDY.grouping_labels()
#: Levels left out of a grouping's curves and log-rank test (grade and Ki-67 unknown).
GROUPING_EXCLUDED_LEVELS: dict[str, tuple[str, ...]] = CAPTEM_STUDY.excluded_levels()
#: Table 1 rows, in the paper's order: column -> label.
TABLE1_VARIABLES: dict[str, str] = CAPTEM_STUDY.table1_labels()
#: Table 1's "previous treatment at metastatic stage" rows (untested: none in first line).
PRIOR_TREATMENTS: tuple[str, ...] = CAPTEM_STUDY.prior_treatments
#: The by-line grouping of the study.
BY = CAPTEM_STUDY.by


def table3_covariates() -> dict[str, Covariate]:
    """Table 3's terms with the paper's reference levels (first level vs reference), keyed
    by the published covariate names (``captemstats.published.COX_COVARIATES``):
    :meth:`CAPTEM_STUDY.covariates() <captemstats.study.StudySpec.covariates>`.

    Returns
    -------
    dict of str to Covariate
        Covariate key -> :class:`~captemstats.survival.Covariate`, in Table 3's order.

    Examples
    --------
    >>> from captemstats.analysis import table3_covariates
    >>> cov = table3_covariates()
    >>> list(cov)[:3], cov["sex_male"].label
    (['sex_male', 'age_le50', 'comorbidity'], 'Gender (male vs. female)')
    """
    return CAPTEM_STUDY.covariates()


class InvalidRegistryError(CaptemError):
    """The registry failed validation; ``report`` lists every problem."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(
            f"the registry is invalid: {report.n_errors} error(s); nothing was analysed"
        )
        self.report = report


@dataclass(frozen=True, eq=False)
class SurvivalComparison:
    """Kaplan–Meier curves of one endpoint by one grouping, with the log-rank test
    (``None`` for the ungrouped curve or a grouping with one non-empty group).

    The levels the study leaves out of a comparison (:attr:`captemstats.study.Grouping
    .excluded_levels`: unknown grade or Ki-67, as the paper compares grades 1-3 only) are
    named in :attr:`excluded_levels`; their patients are counted in :attr:`n_excluded`,
    never dropped unsaid.

    Examples
    --------
    >>> from captemstats import analyze
    >>> sc = analyze("data/registry").km("os", "grade")
    >>> sc.km.groups, sc.excluded_levels, sc.n_excluded
    (['1', '2', '3'], ('unknown',), 13)
    """

    endpoint: str
    grouping: str
    km: KaplanMeierResult
    logrank: LogRankResult | None
    excluded_levels: tuple[str, ...] = ()

    @property
    def n_excluded(self) -> int:
        """Patients left out of the curves and the test (a left-out level, or no value)."""
        return int(self.km.n_excluded)

    def to_frame(self) -> pd.DataFrame:
        """One row per group: medians with CI (NaN = not reached) and the log-rank P."""
        frame = self.km.medians_frame()
        frame.insert(0, "grouping", self.grouping)
        frame.insert(0, "endpoint", self.endpoint)
        frame["logrank_chisq"] = math.nan if self.logrank is None else self.logrank.chisq
        frame["logrank_df"] = math.nan if self.logrank is None else self.logrank.df
        frame["logrank_p"] = math.nan if self.logrank is None else self.logrank.p_value
        return frame


@dataclass(frozen=True, eq=False, repr=False)
class StudyAnalysis:
    """Every result of the study's analysis, computed from one registry.

    Attributes
    ----------
    provenance
        The input files (SHA-256, rows), the versions, and whether the registry is the
        shipped synthetic one.
    validation
        The :class:`~captemstats.ValidationReport` of the registry.
    cohort
        The analysis cohort with its attrition log and derived variables.
    responses, response_rates, response_tests
        RECIST 1.1 best responses, ORR/DCR with exact CIs, Table 2's tests.
    characteristics
        Table 1's :class:`~captemstats.compare.CharacteristicsSummary`.
    survival
        Kaplan–Meier comparisons keyed by (endpoint, grouping); see :meth:`km`.
    cox, cox_univariable, cox_cluster, zph
        Per endpoint: the multivariable Cox model (Table 3), the univariable models, the
        model with a cluster-robust variance by centre, and the proportional-hazards tests.
    followup
        Median follow-up: ``"observed"`` (diagnosis to last contact or death, the paper's)
        and ``"reverse_km"`` (reverse Kaplan–Meier from the start of CAPTEM).
    adverse
        Table 4's :class:`~captemstats.adverse.AdverseEventSummary`.

    Examples
    --------
    >>> from captemstats import analyze
    >>> res = analyze("data/registry")
    >>> res.cohort.attrition.to_frame()[["step", "n_before", "n_excluded", "n_after"]]
                    step  n_before  n_excluded  n_after
    0     metastatic_net       319           0      319
    1         grade_ki67       319           0      319
    2  captem_both_drugs       319           6      313
    3   regular_followup       313           5      308
    4  evaluable_disease       308           0      308
    """

    provenance: Provenance
    validation: ValidationReport
    cohort: Cohort
    responses: BestResponseResult
    response_rates: ResponseRates
    response_tests: dict[str, CategoricalComparison]
    characteristics: CharacteristicsSummary
    survival: dict[tuple[str, str], SurvivalComparison]
    cox: dict[str, CoxResult]
    cox_univariable: dict[str, CoxResultCollection]
    cox_cluster: dict[str, CoxResult]
    zph: dict[str, ZphResult]
    followup: dict[str, FollowUpResult]
    adverse: AdverseEventSummary
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: The methods profile of Table 1/2's tests and P-value print (:mod:`captemstats.methods`).
    methods: MethodProfile = RECOMMENDED
    #: The study specification the analysis followed (:mod:`captemstats.study`).
    study: StudySpec = CAPTEM_STUDY

    def __repr__(self) -> str:
        """A one-screen summary (the fields hold frames of every patient: printing them all
        would fill a notebook); the parts are attributes, e.g. ``res.cohort``, ``res.cox``."""
        lines = ", ".join(f"{k} {v}" for k, v in self.n_by_line.items())
        survival = sorted({g for _, g in self.survival})
        return (
            f"StudyAnalysis(study={self.study.name!r}, registry={self.provenance.registry!r}, "
            f"n={self.n} [line {lines}], excluded={self.cohort.attrition.n_excluded}, "
            f"methods={self.methods.name!r}, survival groupings={survival}, "
            f"cox={sorted(self.cox)}, validation: {self.validation.n_errors} errors, "
            f"{self.validation.n_warnings} warnings)"
        )

    def with_methods(self, methods: MethodsName | MethodProfile) -> StudyAnalysis:
        """This analysis under another methods profile (``"recommended"``, ``"as_published"``
        or a :class:`~captemstats.methods.MethodProfile`): only Table 1's and Table 2's
        categorical tests are recomputed, the rest (cohort, responses, survival, Cox, adverse
        events) is shared, not re-run; this analysis itself when the profile is its own
        (also :func:`captemstats.reanalysis.with_methods`).

        Parameters
        ----------
        methods
            A profile name or :class:`~captemstats.methods.MethodProfile`.

        Returns
        -------
        StudyAnalysis
            The analysis with the profile's Table 1 and Table 2 tests.

        Examples
        --------
        >>> from captemstats import analyze
        >>> res = analyze("data/registry")
        >>> res.characteristics.tests["grade"]
        'fisher'
        >>> res.with_methods("as_published").characteristics.tests["grade"]
        'chisq'
        """
        from dataclasses import replace

        from captemstats.methods import response_tests, table1_summary

        profile = get_profile(methods)
        if profile == self.methods:
            return self
        return replace(
            self,
            methods=profile,
            characteristics=table1_summary(self.cohort.data, profile, study=self.study),
            response_tests=response_tests(self.bor_frame(), profile, by=self.study.by),
        )

    # -- convenience views used by the manuscript -------------------------------------------
    @property
    def n(self) -> int:
        """Size of the analysis cohort."""
        return len(self.cohort.data)

    @property
    def n_by_line(self) -> dict[str, int]:
        counts = self.cohort.data[self.study.by].value_counts()
        return {str(k): int(v) for k, v in counts.sort_index().items()}

    def km(self, endpoint: str, grouping: str = "all") -> SurvivalComparison:
        """The Kaplan–Meier comparison of ``endpoint`` ("pfs"/"os") by ``grouping``.

        Levels the study leaves out (e.g. unknown Ki-67) are not in the curves: the result
        names them (``.excluded_levels``) and counts their patients (``.n_excluded``).

        Examples
        --------
        >>> from captemstats import analyze
        >>> sc = analyze("data/registry").km("pfs", "ki67_group")
        >>> sc.excluded_levels, sc.n_excluded, sc.km.groups
        (('unknown',), 12, ['<3', '3-20', '21-55'])
        """
        try:
            return self.survival[(endpoint, grouping)]
        except KeyError:
            raise KeyError(
                f"no survival analysis ({endpoint!r}, {grouping!r}); have {sorted(self.survival)}"
            ) from None

    def bor_frame(self) -> pd.DataFrame:
        """Best response per patient joined to the cohort's line group (anonymous order)."""
        cols = ["patient_id", self.study.by]
        return self.responses.patients.merge(
            self.cohort.data[cols], on="patient_id", how="left", validate="one_to_one"
        )

    # -- machine-readable output (captemstats.results_files) -------------------------------
    def to_dict(self) -> JSONObject:
        """The ``results.json`` content (schema :data:`RESULTS_SCHEMA_VERSION`): no patient
        identifier and no date appears in it (:func:`captemstats.results_files.results_dict`)."""
        return results_dict(self)

    def to_json(self) -> str:
        """``results.json`` text (sorted keys, NaN written as null)."""
        return results_json(self)


@contextmanager
def _naming(what: str) -> Iterator[None]:
    """Prefix an :class:`AnalysisError` with the analysis step it came from."""
    try:
        yield
    except AnalysisError as exc:
        raise AnalysisError(f"{what} cannot be estimated: {exc}") from exc


def _grouping_levels(
    data: pd.DataFrame, grouping: str, excluded: tuple[str, ...] = ()
) -> pd.Series[Any]:
    """The grouping column as an ordered categorical (print order of ``schema.LABELS``, so
    curves, legends and tables follow the paper's order), the ``excluded`` levels set
    missing."""
    import pandas as pd

    from captemstats.schema import LABELS

    values = data[grouping].astype("string")
    present = [str(v) for v in values.dropna().unique()]
    known = [v for v in LABELS.get(grouping, {}) if v in present]
    order = known + sorted(v for v in present if v not in known)
    order = [v for v in order if v not in excluded]
    out: pd.Series[Any] = pd.Series(
        pd.Categorical(values, categories=order), index=data.index, name=grouping
    )
    return out


def _load(registry: Registry | str | Path, mapping: str | Path | None) -> tuple[Registry, str]:
    """The registry, read when given as a path, and its label for the provenance."""
    from captemstats.io import read_registry

    if isinstance(registry, str | Path):
        # The folder's or workbook's name only: no path of the analyst's machine in the outputs
        # (the files are identified by their SHA-256 in the provenance).
        return read_registry(registry, mapping=mapping), Path(registry).name
    return registry, "<in-memory registry>"


def _responses(
    registry: Registry, cohort: Cohort, profile: MethodProfile, study: StudySpec
) -> tuple[BestResponseResult, ResponseRates, dict[str, Any]]:
    """RECIST 1.1 best response, ORR/DCR by line and Table 2's tests."""
    from captemstats.methods import response_tests
    from captemstats.recist import assess_timepoints, best_overall_response, response_rates

    data = cohort.data
    # RECIST 1.1 best response (measurements, or the recorded best response when a registry
    # has no lesion rows for a patient; the engine says which in its ``source`` column).
    lesions = cohort.lesions if cohort.lesions is not None else registry.lesions.iloc[0:0]
    timepoints = assess_timepoints(lesions, study.recist, patients=data)
    responses = best_overall_response(timepoints, data, study.recist)
    bor = responses.patients.merge(data[["patient_id", study.by]], on="patient_id", how="left")
    rates = response_rates(bor, by=study.by)
    # Table 2's tests (distribution, ORR, DCR on the evaluable patients), with the profile's
    # categorical test.
    return responses, rates, response_tests(bor, profile, by=study.by)


def _survival(
    data: pd.DataFrame, study: StudySpec, conf_level: float
) -> dict[tuple[str, str], SurvivalComparison]:
    """Kaplan–Meier curves of every endpoint by every grouping, with the log-rank tests."""
    from captemstats.survival.km import kaplan_meier
    from captemstats.survival.logrank import logrank_test

    survival: dict[tuple[str, str], SurvivalComparison] = {}
    for endpoint in study.endpoints:
        tcol, ecol = endpoint.time, endpoint.event
        for g in study.groupings:
            grouping = g.column
            group = (
                None if grouping == "all" else _grouping_levels(data, grouping, g.excluded_levels)
            )
            km = kaplan_meier(data[tcol], data[ecol], by=group, conf_level=conf_level)
            test = None
            if group is not None and len(km.groups) > 1:
                test = logrank_test(data[tcol], data[ecol], group)
            survival[(endpoint.name, grouping)] = SurvivalComparison(
                endpoint.name, grouping, km, test, excluded_levels=g.excluded_levels
            )
    return survival


def _cox_models(
    data: pd.DataFrame, study: StudySpec, conf_level: float
) -> tuple[
    dict[str, CoxResult], dict[str, CoxResultCollection], dict[str, CoxResult], dict[str, ZphResult]
]:
    """Table 3 per endpoint: the multivariable model, univariable models, the cluster-robust
    (by centre) model and the proportional-hazards check."""
    from captemstats.survival.cox import cox_ph, univariable_cox
    from captemstats.survival.zph import cox_zph

    covs = list(study.covariates().values())
    cox: dict[str, CoxResult] = {}
    cox_uni: dict[str, CoxResultCollection] = {}
    cox_cluster: dict[str, CoxResult] = {}
    zph: dict[str, ZphResult] = {}
    for endpoint in study.endpoints:
        e, t, ev, what = endpoint.name, endpoint.time, endpoint.event, endpoint.label.lower()
        # A model the data cannot support (e.g. a small centre's export) stops the analysis
        # with a message naming the model, never a bare numerical error.
        with _naming(f"Table 3 Cox model of {what}"):
            cox[e] = cox_ph(data, t, ev, covs, conf_level=conf_level)
            # Proportional-hazards check beside each model (R cox.zph, KM transform).
            zph[e] = cox_zph(cox[e])
        with _naming(f"univariable Cox models of {what}"):
            cox_uni[e] = univariable_cox(data, t, ev, covs, conf_level=conf_level)
        with _naming(f"cluster-robust Cox model of {what}"):
            cox_cluster[e] = cox_ph(data, t, ev, covs, cluster="center", conf_level=conf_level)
    return cox, cox_uni, cox_cluster, zph


def _followup(data: pd.DataFrame, conf_level: float) -> dict[str, FollowUpResult]:
    """The paper's follow-up (diagnosis to last contact or death) and, for reference, the
    reverse Kaplan–Meier median from the start of CAPTEM (Schemper & Smith 1996)."""
    from captemstats.survival.followup import observed_followup, reverse_km_followup

    return {
        "observed": observed_followup(data["followup_months"], event=data["os_event"], dropna=True),
        "reverse_km": reverse_km_followup(
            data["os_months"], data["os_event"], conf_level=conf_level
        ),
    }


def _notes(
    report: ValidationReport,
    cox: dict[str, CoxResult],
    followup: dict[str, FollowUpResult],
    study: StudySpec,
) -> tuple[str, ...]:
    """The analysis' notes: unclassifiable responses, Cox warnings and exclusions, follow-up
    exclusions."""
    notes = tuple(
        note
        for e, r in cox.items()
        for note in (
            *r.warnings,
            f"{study.endpoint(e).label} Cox model: {r.n_excluded} patient(s) with a missing "
            "covariate (unknown grade or Ki-67) excluded",
        )
    ) + tuple(
        f"follow-up ({name}): {f.n_excluded} patient(s) without the dates it needs excluded"
        for name, f in followup.items()
        if f.n_excluded
    )
    # A registry whose responses cannot be classified from measurements says so in the notes,
    # which the manuscript prints as a callout (the validation warning alone reaches no reader).
    return tuple(w.message for w in report.warnings if w.rule == "response_not_evaluable") + notes


def analyze(
    registry: Registry | str | Path,
    *,
    mapping: str | Path | None = None,
    conf_level: float = 0.95,
    methods: MethodsName | MethodProfile | None = None,
    study: StudySpec = CAPTEM_STUDY,
) -> StudyAnalysis:
    """Run the whole study analysis on a registry (a :class:`~captemstats.io.Registry` or a
    path that :func:`~captemstats.io.read_registry` reads, with an optional column
    ``mapping``). Raises :class:`InvalidRegistryError` when validation finds errors.

    ``methods`` is the methods profile of Table 1's and Table 2's tests
    (:mod:`captemstats.methods`): ``"recommended"`` (gtsummary's chi-square/Fisher rule, the
    study's default, :attr:`StudySpec.default_methods
    <captemstats.study.StudySpec.default_methods>`) or ``"as_published"`` (the paper's
    Pearson chi-square for every categorical comparison); it is recorded as
    :attr:`StudyAnalysis.methods` and in ``results.json``. An unknown name raises
    ``ValueError`` before anything is read. ``study`` is the study specification
    (:data:`captemstats.study.CAPTEM_STUDY`: the paper's endpoints, groupings, Table 1 and
    Table 3).

    Parameters
    ----------
    registry
        A :class:`~captemstats.io.Registry`, or the path of a registry folder or workbook.
    mapping
        Optional YAML column mapping, used when ``registry`` is a path.
    conf_level
        Confidence level of the Kaplan–Meier limits and medians, the Cox hazard ratios and
        the reverse Kaplan–Meier follow-up.
    methods
        The methods profile (above); None: the study's default.
    study
        The study specification.

    Returns
    -------
    StudyAnalysis
        Validation, cohort and attrition, RECIST responses and rates, Table 1, the
        Kaplan–Meier comparisons with log-rank tests, the Cox models (multivariable,
        univariable, cluster-robust by centre) with their proportional-hazards tests, the
        follow-up and the adverse events.

    Raises
    ------
    InvalidRegistryError
        The registry has validation errors (nothing is computed).
    ValueError
        An unknown methods profile.

    Notes
    -----
    The steps are those of the paper's Methods: eligibility and attrition (STROBE),
    RECIST 1.1 best response with exact Clopper–Pearson CIs, Kaplan–Meier with log-rank tests
    (R ``survfit``/``survdiff``), Cox regression with Efron ties (R ``coxph``) and
    ``cox.zph``; each result records its method (``.method``).

    Examples
    --------
    >>> from captemstats import analyze
    >>> res = analyze("data/registry")
    >>> res.n, res.n_by_line
    (308, {'1': 139, '2': 118, '3+': 51})
    >>> res.km("pfs", "line_group").to_frame()[["group", "n", "median", "logrank_p"]].round(4)
      group    n   median  logrank_p
    0     1  139  15.9343     0.0116
    1     2  118   7.8193     0.0116
    2    3+   51   9.6591     0.0116
    >>> res.cox["pfs"].to_frame()[["term", "hr", "lower", "upper", "p_value"]].round(2).head(2)
                           term    hr  lower  upper  p_value
    0  Gender (male vs. female)  0.92    0.7   1.21     0.55
    1         Age (≤50 vs. >50)  1.18    0.9   1.56     0.23
    """
    from captemstats.adverse import summarize_adverse_events
    from captemstats.cohort import derive_cohort
    from captemstats.methods import table1_summary
    from captemstats.provenance import registry_provenance

    profile = get_profile(study.default_methods if methods is None else methods)
    registry, label = _load(registry, mapping)
    report = registry.validate()
    if not report.ok:
        raise InvalidRegistryError(report)
    cohort = derive_cohort(registry)
    data = cohort.data
    if data.empty:
        raise CaptemError("no patient is eligible: the analysis cohort is empty")
    responses, rates, response_tests = _responses(registry, cohort, profile, study)
    # Table 1 by line (no prior-treatment row tested: first-line patients have none by design).
    characteristics = table1_summary(data, profile, study=study)
    survival = _survival(data, study, conf_level)
    cox, cox_uni, cox_cluster, zph = _cox_models(data, study, conf_level)
    followup = _followup(data, conf_level)
    ae = registry.adverse_events if cohort.adverse_events is None else cohort.adverse_events
    adverse = summarize_adverse_events(ae, data["patient_id"])
    notes = _notes(report, cox, followup, study)
    provenance = registry_provenance(registry, label)
    if provenance.modified:
        notes += (provenance.check_message,)
    return StudyAnalysis(
        provenance=provenance,
        validation=report,
        cohort=cohort,
        responses=responses,
        response_rates=rates,
        response_tests=response_tests,
        characteristics=characteristics,
        survival=survival,
        cox=cox,
        cox_univariable=cox_uni,
        cox_cluster=cox_cluster,
        zph=zph,
        followup=followup,
        adverse=adverse,
        notes=notes,
        methods=profile,
        study=study,
    )
