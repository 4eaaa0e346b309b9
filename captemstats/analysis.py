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

The result is typed; :meth:`StudyAnalysis.to_dict` gives the versioned ``results.json``
schema (:data:`RESULTS_SCHEMA_VERSION`) and :meth:`StudyAnalysis.write` writes it with tidy
CSVs. Presentation (tables, figures, the manuscript) reads this object and computes nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captemstats._version import __version__
from captemstats.errors import AnalysisError, CaptemError
from captemstats.methods import RECOMMENDED, MethodProfile, MethodsName, get_profile

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.adverse import AdverseEventSummary
    from captemstats.cohort import Cohort
    from captemstats.io.registry import Registry
    from captemstats.recist.best_response import BestResponseResult
    from captemstats.recist.rates import ResponseRates
    from captemstats.survival.cox import Covariate, CoxResult, CoxResultCollection
    from captemstats.survival.followup import FollowUpResult
    from captemstats.survival.km import KaplanMeierResult
    from captemstats.survival.logrank import LogRankResult
    from captemstats.survival.zph import ZphResult
    from captemstats.validation.report import ValidationReport

#: Version of the ``results.json`` layout; bump on any incompatible change. The layout is
#: documented as a JSON Schema in ``captemstats/resources/results/results.schema.json``.
RESULTS_SCHEMA_VERSION = "1.0"

#: Survival endpoints: name -> (time column, event column, label).
ENDPOINTS: dict[str, tuple[str, str, str]] = {
    "pfs": ("pfs_months", "pfs_event", "Progression-free survival"),
    "os": ("os_months", "os_event", "Overall survival"),
}

#: Kaplan–Meier groupings the paper reports (Results): column -> label. "all" = no grouping.
GROUPINGS: dict[str, str] = {
    "all": "All patients",
    "line_group": "Line of treatment",
    "grade": "Histologic grade",
    "ki67_group": "Ki-67 index",
    "primary_site": "Primary tumour site",
}

#: Levels left out of a grouping's curves and log-rank test, as the paper compares grade 1-3
#: and Ki-67 <3 / 3-20 / 21-55 only (the unknowns are counted in ``KaplanMeierResult
#: .n_excluded``).
GROUPING_EXCLUDED_LEVELS: dict[str, tuple[str, ...]] = {
    "grade": ("unknown",),
    "ki67_group": ("unknown",),
}

#: Table 1 rows, in the paper's order: column -> label.
TABLE1_VARIABLES: dict[str, str] = {
    "age": "Age, years",
    "age_group": "Age groups",
    "sex": "Gender",
    "ecog": "PS (ECOG)",
    "comorbidity": "Comorbidities",
    "primary_site": "Site (primary)",
    "grade": "Histologic grade",
    "metastatic_sites": "Metastatic sites",
    "ki67_group": "Ki-67 (%)",
    "cycles": "No. of cycles",
    "prior_curative_surgery": "Prior surgery (curative)",
    "prior_ssa": "Previous somatostatin analogue",
    "prior_prrt": "Previous PRRT",
    "prior_chemo": "Previous cytotoxic chemotherapy",
    "prior_everolimus": "Previous everolimus",
    "prior_sunitinib": "Previous sunitinib",
    "prior_locoregional": "Previous locoregional therapy",
    "grade34_ae": "Grade 3-4 adverse effects",
    "drug_holiday": "Drug holiday",
    "dose_reduction": "Dose reduction",
    "treatment_interruption": "Treatment interruption",
}

#: Table 1's "previous treatment at metastatic stage" rows (untested: none in first line).
PRIOR_TREATMENTS: tuple[str, ...] = (
    "prior_ssa",
    "prior_prrt",
    "prior_chemo",
    "prior_everolimus",
    "prior_sunitinib",
    "prior_locoregional",
)

#: The by-line grouping of the study.
BY = "line_group"


def table3_covariates() -> dict[str, Covariate]:
    """Table 3's terms with the paper's reference levels (first level vs reference), keyed
    by the published covariate names (``captemstats.published.COX_COVARIATES``)."""
    from captemstats.survival.cox import Covariate

    return {
        "sex_male": Covariate(
            "sex", level="male", reference="female", label="Gender (male vs. female)"
        ),
        "age_le50": Covariate("age_le50", label="Age (≤50 vs. >50)"),
        "comorbidity": Covariate("comorbidity", label="Comorbidities (yes vs. no)"),
        "ecog_0_1": Covariate("ecog_0_1", label="PS (ECOG 0-1 vs. 2)"),
        "pancreas": Covariate("pancreas", label="Site type (pancreas vs. others)"),
        "ki67_le20": Covariate("ki67_le20", label="Ki-67 (≤20% vs. 21%-55%)"),
        "grade_1_2": Covariate("grade_1_2", label="Grade (1-2 vs. 3)"),
        "first_line": Covariate("first_line", label="First-line therapy vs. subsequent therapies"),
        "prior_curative_surgery": Covariate(
            "prior_curative_surgery", label="Prior surgery (curative)"
        ),
    }


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
    (``None`` for the ungrouped curve or a grouping with one non-empty group)."""

    endpoint: str
    grouping: str
    km: KaplanMeierResult
    logrank: LogRankResult | None

    def to_frame(self) -> pd.DataFrame:
        """One row per group: medians with CI (NaN = not reached) and the log-rank P."""
        frame = self.km.medians_frame()
        frame.insert(0, "grouping", self.grouping)
        frame.insert(0, "endpoint", self.endpoint)
        frame["logrank_chisq"] = math.nan if self.logrank is None else self.logrank.chisq
        frame["logrank_df"] = math.nan if self.logrank is None else self.logrank.df
        frame["logrank_p"] = math.nan if self.logrank is None else self.logrank.p_value
        return frame


@dataclass(frozen=True, eq=False)
class Provenance:
    """Where the numbers come from: the input files (SHA-256, rows), versions, and whether
    the registry is the synthetic one its ``provenance.json`` records.

    ``synthetic`` is True only when the recorded SHA-256s match the files analysed
    (:mod:`captemstats.provenance_check`); ``synthetic_status`` is ``"synthetic"``,
    ``"modified"`` (says synthetic, files differ: ``modified_files``) or ``"not_synthetic"``.
    """

    registry: str
    files: tuple[dict[str, Any], ...]
    synthetic: bool
    captemstats_version: str
    package_versions: dict[str, str]
    synthetic_status: str = "not_synthetic"
    modified_files: tuple[str, ...] = ()
    check_message: str = ""

    @property
    def modified(self) -> bool:
        """A synthetic registry whose files differ from the recorded ones."""
        return self.synthetic_status == "modified"

    def to_dict(self) -> dict[str, Any]:
        return {
            "registry": self.registry,
            "files": list(self.files),
            "synthetic": self.synthetic,
            "synthetic_status": self.synthetic_status,
            "modified_files": list(self.modified_files),
            "captemstats_version": self.captemstats_version,
            "package_versions": self.package_versions,
        }


@dataclass(frozen=True, eq=False)
class StudyAnalysis:
    """Every result of the study's analysis, computed from one registry."""

    provenance: Provenance
    validation: ValidationReport
    cohort: Cohort
    responses: BestResponseResult
    response_rates: ResponseRates
    response_tests: dict[str, Any]
    characteristics: Any
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

    def with_methods(self, methods: MethodsName | MethodProfile) -> StudyAnalysis:
        """This analysis under another methods profile: only Table 1's and Table 2's
        categorical tests are recomputed (:func:`captemstats.methods.with_methods`).

        Parameters
        ----------
        methods
            ``"recommended"``, ``"as_published"`` or a :class:`~captemstats.methods.MethodProfile`.

        Returns
        -------
        StudyAnalysis
            A new analysis sharing everything else with this one (this one when unchanged).

        Example
        -------
        >>> res = analyze("data/registry")  # doctest: +SKIP
        >>> res.with_methods("as_published").characteristics.tests["grade"]  # doctest: +SKIP
        'chisq'
        """
        from captemstats.methods import with_methods

        return with_methods(self, methods)

    # -- convenience views used by the manuscript -------------------------------------------
    @property
    def n(self) -> int:
        """Size of the analysis cohort."""
        return len(self.cohort.data)

    @property
    def n_by_line(self) -> dict[str, int]:
        counts = self.cohort.data[BY].value_counts()
        return {str(k): int(v) for k, v in counts.sort_index().items()}

    def km(self, endpoint: str, grouping: str = "all") -> SurvivalComparison:
        """The Kaplan–Meier comparison of ``endpoint`` ("pfs"/"os") by ``grouping``."""
        try:
            return self.survival[(endpoint, grouping)]
        except KeyError:
            raise KeyError(
                f"no survival analysis ({endpoint!r}, {grouping!r}); have {sorted(self.survival)}"
            ) from None

    def bor_frame(self) -> pd.DataFrame:
        """Best response per patient joined to the cohort's line group (anonymous order)."""
        cols = ["patient_id", BY]
        return self.responses.patients.merge(
            self.cohort.data[cols], on="patient_id", how="left", validate="one_to_one"
        )

    # -- machine-readable output ------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``results.json`` content (schema :data:`RESULTS_SCHEMA_VERSION`): no patient
        identifier and no date appears in it."""
        att = self.cohort.attrition
        survival = [
            {
                "endpoint": e,
                "grouping": g,
                "groups": [
                    _median_dict(grp, sc.km.n[grp], sc.km.n_events[grp], sc.km.median[grp])
                    for grp in sc.km.groups
                ],
                "logrank": None
                if sc.logrank is None
                else {
                    "chisq": sc.logrank.chisq,
                    "df": sc.logrank.df,
                    "p_value": sc.logrank.p_value,
                },
            }
            for (e, g), sc in self.survival.items()
        ]
        return {
            "schema_version": RESULTS_SCHEMA_VERSION,
            "methods": self.methods.to_dict(),
            "provenance": self.provenance.to_dict(),
            "validation": {
                "errors": self.validation.n_errors,
                "warnings": self.validation.n_warnings,
            },
            "attrition": {
                "n_input": att.n_input,
                "n_kept": att.n_kept,
                "steps": _records(att.to_frame()),
            },
            "cohort": {"n": self.n, "by_line": self.n_by_line},
            "table1": _records(self.characteristics.to_frame()),
            "table2": _records(self.response_rates.table),
            "table2_tests": {
                k: {"test": str(v.test), "p_value": float(v.p_value)}
                for k, v in self.response_tests.items()
            },
            "table3": {e: _records(r.to_frame()) for e, r in self.cox.items()},
            "table3_univariable": {
                e: _records(r.to_frame()) for e, r in self.cox_univariable.items()
            },
            "table3_cluster_robust": {
                e: _records(r.to_frame()) for e, r in self.cox_cluster.items()
            },
            "table3_proportional_hazards": {e: _records(z.to_frame()) for e, z in self.zph.items()},
            "table4": _records(self.adverse.to_frame()),
            "grade34_patients": self.adverse.grade34_patients,
            "survival": survival,
            "followup": [r for f in self.followup.values() for r in _records(f.to_frame())],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        """``results.json`` text (sorted keys, NaN written as null)."""
        return json.dumps(_clean(self.to_dict()), indent=2, sort_keys=True, ensure_ascii=False)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``results.json`` and the tidy CSVs (attrition, table1, table2, table3_pfs,
        table3_os, table4, survival_medians) into ``out_dir``, all or nothing, with the
        reproduction of every printed value of the paper (``reproduction.csv`` and
        ``reproduction.json``, :func:`captemstats.reproduction.compare_with_published`).

        The reproduction holds recomputed counts, percentages and ranges (and an ``equal``
        verdict gives a count back from the public print), so, like ``results.json``, it is
        part of this unsuppressed output only: a ``--min-cell`` export
        (:func:`captemstats.privacy.write_shareable`) does not write it.

        The whole set is written into a staging folder and swapped in at once
        (:func:`captemstats.atomic.atomic_folder`): a full disk or a kill leaves the previous
        set as it was; a second process writing the same folder is refused
        (:class:`captemstats.atomic.OutputLockedError`). Returns the final paths.
        """
        from captemstats.atomic import atomic_folder, folder_lock

        final = Path(out_dir)
        with folder_lock(final, "analyze"), atomic_folder(final) as staging:
            written = self._write_files(staging)
        return {name: final / name for name in written}

    def _write_files(self, out: Path) -> dict[str, Path]:
        from captemstats.atomic import write_atomic

        written: dict[str, Path] = {}
        text = self.to_json() + "\n"
        written["results.json"] = write_atomic(
            out / "results.json", lambda tmp: tmp.write_text(text, encoding="utf-8")
        )
        import pandas as pd

        frames: dict[str, pd.DataFrame] = {
            "attrition": self.cohort.attrition.to_frame(),
            "table1": self.characteristics.to_frame(),
            "table2": self.response_rates.table,
            "table4": self.adverse.to_frame(),
            "survival_medians": pd.concat(
                [sc.to_frame() for sc in self.survival.values()], ignore_index=True
            ),
            "followup": pd.concat(
                [f.to_frame() for f in self.followup.values()], ignore_index=True
            ),
        }
        for e, r in self.cox.items():
            frames[f"table3_{e}"] = r.to_frame()
            frames[f"table3_{e}_zph"] = self.zph[e].to_frame()
        from captemstats.published import load_published
        from captemstats.reproduction import compare_with_published

        frames["reproduction"] = compare_with_published(self, load_published()).to_frame()
        for name, frame in frames.items():
            path = out / f"{name}.csv"
            written[path.name] = write_atomic(path, _csv_writer(frame))
        records = json.dumps(
            _clean(_records(frames["reproduction"])), indent=2, ensure_ascii=False, sort_keys=True
        )
        written["reproduction.json"] = write_atomic(
            out / "reproduction.json",
            lambda tmp: tmp.write_text(records + "\n", encoding="utf-8"),
        )
        return written


def _csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A writer for :func:`write_atomic`: tidy CSV with LF line ends (byte-stable); text a
    spreadsheet would run as a formula gets a leading apostrophe."""
    from captemstats.spreadsheet import neutralise_formulas

    safe = neutralise_formulas(frame)

    def write(tmp: Path) -> None:
        safe.to_csv(tmp, index=False, lineterminator="\n")

    return write


@contextmanager
def _naming(what: str) -> Iterator[None]:
    """Prefix an :class:`AnalysisError` with the analysis step it came from."""
    try:
        yield
    except AnalysisError as exc:
        raise AnalysisError(f"{what} cannot be estimated: {exc}") from exc


def _grouping_levels(data: pd.DataFrame, grouping: str) -> pd.Series[Any]:
    """The grouping column as an ordered categorical (print order of ``schema.LABELS``, so
    curves, legends and tables follow the paper's order), excluded levels set missing."""
    import pandas as pd

    from captemstats.schema import LABELS

    values = data[grouping].astype("string")
    present = [str(v) for v in values.dropna().unique()]
    known = [v for v in LABELS.get(grouping, {}) if v in present]
    order = known + sorted(v for v in present if v not in known)
    order = [v for v in order if v not in GROUPING_EXCLUDED_LEVELS.get(grouping, ())]
    out: pd.Series[Any] = pd.Series(
        pd.Categorical(values, categories=order), index=data.index, name=grouping
    )
    return out


def _median_dict(group: str, n: int, events: int, m: Any) -> dict[str, Any]:
    return {
        "group": group,
        "n": n,
        "events": events,
        "median": m.estimate,
        "lower": m.lower,
        "upper": m.upper,
        "reached": m.reached,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return out


def _clean(value: Any) -> Any:
    """NaN/inf -> None, numpy scalars -> Python, recursively (strict JSON)."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("numpy", "pandas", "scipy", "great-tables", "matplotlib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - a stripped environment
            out[name] = "not installed"
    return out


def _provenance(registry: Registry, label: str) -> Provenance:
    files = tuple(
        {
            "table": name,
            "file": info.path.name,
            "sha256": info.sha256,
            "rows": info.rows,
            "format": str(info.format),
        }
        for name, info in sorted(registry.sources.items())
    )
    from captemstats.provenance_check import check_registry, warn_if_modified

    # The synthetic label is verified against the recorded SHA-256s, never read from a flag.
    check = check_registry(registry)
    warn_if_modified(check)
    return Provenance(
        label,
        files,
        check.synthetic,
        __version__,
        _package_versions(),
        synthetic_status=str(check.status),
        modified_files=check.differing_files,
        check_message=check.message(),
    )


def analyze(
    registry: Registry | str | Path,
    *,
    mapping: str | Path | None = None,
    conf_level: float = 0.95,
    methods: MethodsName | MethodProfile = "recommended",
) -> StudyAnalysis:
    """Run the whole study analysis on a registry (a :class:`~captemstats.io.Registry` or a
    path that :func:`~captemstats.io.read_registry` reads, with an optional column
    ``mapping``). Raises :class:`InvalidRegistryError` when validation finds errors.

    ``methods`` is the methods profile of Table 1's and Table 2's tests
    (:mod:`captemstats.methods`): ``"recommended"`` (gtsummary's chi-square/Fisher rule) or
    ``"as_published"`` (the paper's Pearson chi-square for every categorical comparison);
    it is recorded as :attr:`StudyAnalysis.methods` and in ``results.json``. An unknown name
    raises ``ValueError`` before anything is read."""
    from captemstats.adverse import summarize_adverse_events
    from captemstats.cohort import derive_cohort
    from captemstats.io import read_registry
    from captemstats.methods import response_tests as categorical_response_tests
    from captemstats.methods import table1_summary
    from captemstats.recist import assess_timepoints, best_overall_response, response_rates
    from captemstats.survival.cox import cox_ph, univariable_cox
    from captemstats.survival.followup import observed_followup, reverse_km_followup
    from captemstats.survival.km import kaplan_meier
    from captemstats.survival.logrank import logrank_test
    from captemstats.survival.zph import cox_zph

    profile = get_profile(methods)
    if isinstance(registry, str | Path):
        # The folder's or workbook's name only: no path of the analyst's machine in the outputs
        # (the files are identified by their SHA-256 in the provenance).
        label = Path(registry).name
        registry = read_registry(registry, mapping=mapping)
    else:
        label = "<in-memory registry>"
    report = registry.validate()
    if not report.ok:
        raise InvalidRegistryError(report)
    cohort = derive_cohort(registry)
    data = cohort.data
    if data.empty:
        raise CaptemError("no patient is eligible: the analysis cohort is empty")

    # RECIST 1.1 best response (measurements, or the recorded best response when a registry
    # has no lesion rows for a patient; the engine says which in its ``source`` column).
    lesions = cohort.lesions if cohort.lesions is not None else registry.lesions.iloc[0:0]
    timepoints = assess_timepoints(lesions, patients=data)
    responses = best_overall_response(timepoints, data)
    bor = responses.patients.merge(data[["patient_id", BY]], on="patient_id", how="left")
    rates = response_rates(bor, by=BY)
    # Table 2's tests (distribution, ORR, DCR on the evaluable patients) and Table 1 by line
    # (ECOG an ordinal category; no prior-treatment row tested: first-line patients have none
    # by design), each with the profile's categorical test.
    response_tests = categorical_response_tests(bor, profile)
    characteristics = table1_summary(data, profile)

    survival: dict[tuple[str, str], SurvivalComparison] = {}
    for endpoint, (tcol, ecol, _) in ENDPOINTS.items():
        for grouping in GROUPINGS:
            group = None if grouping == "all" else _grouping_levels(data, grouping)
            km = kaplan_meier(data[tcol], data[ecol], group=group, conf_level=conf_level)
            test = None
            if group is not None and len(km.groups) > 1:
                test = logrank_test(data[tcol], data[ecol], group)
            survival[(endpoint, grouping)] = SurvivalComparison(endpoint, grouping, km, test)

    covs = list(table3_covariates().values())
    cox: dict[str, CoxResult] = {}
    cox_uni: dict[str, CoxResultCollection] = {}
    cox_cluster: dict[str, CoxResult] = {}
    zph: dict[str, ZphResult] = {}
    for e, (t, ev, endpoint_label) in ENDPOINTS.items():
        what = endpoint_label.lower()
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
    # The paper's follow-up (diagnosis to last contact or death) and, for reference, the
    # reverse Kaplan–Meier median from the start of CAPTEM (Schemper & Smith 1996).
    followup = {
        "observed": observed_followup(data["followup_months"], event=data["os_event"], dropna=True),
        "reverse_km": reverse_km_followup(
            data["os_months"], data["os_event"], conf_level=conf_level
        ),
    }
    ae = registry.adverse_events if cohort.adverse_events is None else cohort.adverse_events
    adverse = summarize_adverse_events(ae, data["patient_id"])
    notes = tuple(
        note
        for e, r in cox.items()
        for note in (
            *r.warnings,
            f"{ENDPOINTS[e][2]} Cox model: {r.n_excluded} patient(s) with a missing covariate "
            "(unknown grade or Ki-67) excluded",
        )
    ) + tuple(
        f"follow-up ({name}): {f.n_excluded} patient(s) without the dates it needs excluded"
        for name, f in followup.items()
        if f.n_excluded
    )
    # A registry whose responses cannot be classified from measurements says so in the notes,
    # which the manuscript prints as a callout (the validation warning alone reaches no reader).
    notes = tuple(w.message for w in report.warnings if w.rule == "response_not_evaluable") + notes
    provenance = _provenance(registry, label)
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
    )
