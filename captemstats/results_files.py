"""Serialisation of a :class:`~captemstats.analysis.StudyAnalysis`: ``results.json`` and the
tidy CSVs of ``captemstats analyze --out``.

:func:`results_dict` is the versioned ``results.json`` content (:data:`RESULTS_SCHEMA_VERSION`,
documented as a JSON Schema in ``captemstats/resources/results/results.schema.json``),
:func:`results_json` its text and :func:`write_results` the whole output folder, written all
or nothing. The :class:`~captemstats.analysis.StudyAnalysis` methods ``to_dict``, ``to_json``
and ``write`` delegate here.

The byte-stable helpers are shared with the other writers: :func:`json_safe` (strict JSON
values), :func:`records` (a frame as JSON records) and :func:`csv_writer` (a formula-safe CSV
with LF line ends for :func:`captemstats.atomic.write_atomic`).

Nothing is computed here: every number is read from the analysis result, which this module
reads through the :class:`AnalysisResults` protocol (it does not import
:mod:`captemstats.analysis`, whose methods call it), and the reproduction of the paper's
values arrives as a callable from the caller (:func:`captemstats.outputs.write_outputs`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.adverse import AdverseEventSummary
    from captemstats.cohort import Cohort
    from captemstats.methods import MethodProfile
    from captemstats.provenance import Provenance
    from captemstats.recist.rates import ResponseRates
    from captemstats.survival.cox import CoxResult, CoxResultCollection
    from captemstats.survival.followup import FollowUpResult
    from captemstats.survival.km import KaplanMeierResult
    from captemstats.survival.logrank import LogRankResult
    from captemstats.survival.zph import ZphResult
    from captemstats.validation.report import ValidationReport

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "AnalysisResults",
    "SurvivalRecord",
    "csv_writer",
    "json_safe",
    "records",
    "results_dict",
    "results_json",
    "write_result_files",
    "write_results",
]

#: Version of the ``results.json`` layout; bump on any incompatible change. The layout is
#: documented as a JSON Schema in ``captemstats/resources/results/results.schema.json``.
RESULTS_SCHEMA_VERSION = "1.0"


class SurvivalRecord(Protocol):
    """What is written of one Kaplan–Meier comparison
    (:class:`captemstats.analysis.SurvivalComparison`)."""

    @property
    def km(self) -> KaplanMeierResult: ...
    @property
    def logrank(self) -> LogRankResult | None: ...
    def to_frame(self) -> pd.DataFrame: ...


class AnalysisResults(Protocol):
    """What is written of an analysis (:class:`captemstats.analysis.StudyAnalysis`)."""

    @property
    def provenance(self) -> Provenance: ...
    @property
    def validation(self) -> ValidationReport: ...
    @property
    def cohort(self) -> Cohort: ...
    @property
    def response_rates(self) -> ResponseRates: ...
    @property
    def response_tests(self) -> Mapping[str, Any]: ...
    @property
    def characteristics(self) -> Any: ...
    @property
    def survival(self) -> Mapping[tuple[str, str], SurvivalRecord]: ...
    @property
    def cox(self) -> Mapping[str, CoxResult]: ...
    @property
    def cox_univariable(self) -> Mapping[str, CoxResultCollection]: ...
    @property
    def cox_cluster(self) -> Mapping[str, CoxResult]: ...
    @property
    def zph(self) -> Mapping[str, ZphResult]: ...
    @property
    def followup(self) -> Mapping[str, FollowUpResult]: ...
    @property
    def adverse(self) -> AdverseEventSummary: ...
    @property
    def notes(self) -> tuple[str, ...]: ...
    @property
    def methods(self) -> MethodProfile: ...
    @property
    def n(self) -> int: ...
    @property
    def n_by_line(self) -> dict[str, int]: ...


# -- byte-stable helpers --------------------------------------------------------------------
def json_safe(value: Any) -> Any:
    """NaN/inf -> None, numpy scalars -> Python, recursively (strict JSON).

    Example
    -------
    >>> json_safe({"a": float("nan"), "b": (1, 2.5)})
    {'a': None, 'b': [1, 2.5]}
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame`` as JSON records (pandas' JSON conversion: ISO dates, NaN as None)."""
    out: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return out


def csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A writer for :func:`~captemstats.atomic.write_atomic`: tidy CSV with LF line ends
    (byte-stable); text a spreadsheet would run as a formula gets a leading apostrophe."""
    from captemstats.spreadsheet import neutralise_formulas

    safe = neutralise_formulas(frame)

    def write(tmp: Path) -> None:
        safe.to_csv(tmp, index=False, lineterminator="\n")

    return write


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


# -- results.json ---------------------------------------------------------------------------
def _survival_records(res: AnalysisResults) -> list[dict[str, Any]]:
    """``results.json``'s ``survival``: per endpoint and grouping, the groups' medians and
    the log-rank test."""
    return [
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
        for (e, g), sc in res.survival.items()
    ]


def results_dict(res: AnalysisResults) -> dict[str, Any]:
    """The ``results.json`` content (schema :data:`RESULTS_SCHEMA_VERSION`): no patient
    identifier and no date appears in it (:meth:`StudyAnalysis.to_dict
    <captemstats.analysis.StudyAnalysis.to_dict>`)."""
    att = res.cohort.attrition
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "methods": res.methods.to_dict(),
        "provenance": res.provenance.to_dict(),
        "validation": {"errors": res.validation.n_errors, "warnings": res.validation.n_warnings},
        "attrition": {
            "n_input": att.n_input,
            "n_kept": att.n_kept,
            "steps": records(att.to_frame()),
        },
        "cohort": {"n": res.n, "by_line": res.n_by_line},
        "table1": records(res.characteristics.to_frame()),
        "table2": records(res.response_rates.table),
        "table2_tests": {
            k: {"test": str(v.test), "p_value": float(v.p_value)}
            for k, v in res.response_tests.items()
        },
        "table3": {e: records(r.to_frame()) for e, r in res.cox.items()},
        "table3_univariable": {e: records(r.to_frame()) for e, r in res.cox_univariable.items()},
        "table3_cluster_robust": {e: records(r.to_frame()) for e, r in res.cox_cluster.items()},
        "table3_proportional_hazards": {e: records(z.to_frame()) for e, z in res.zph.items()},
        "table4": records(res.adverse.to_frame()),
        "grade34_patients": res.adverse.grade34_patients,
        "survival": _survival_records(res),
        "followup": [r for f in res.followup.values() for r in records(f.to_frame())],
        "notes": list(res.notes),
    }


def results_json(res: AnalysisResults) -> str:
    """``results.json`` text (sorted keys, NaN written as null)."""
    return json.dumps(json_safe(results_dict(res)), indent=2, sort_keys=True, ensure_ascii=False)


# -- the output folder ----------------------------------------------------------------------
def write_results(
    res: AnalysisResults,
    out_dir: str | Path,
    *,
    reproduction: Callable[[], pd.DataFrame] | None = None,
    ard: Callable[[], pd.DataFrame] | None = None,
) -> dict[str, Path]:
    """Write ``results.json`` and the tidy CSVs (attrition, table1, table2, table3_pfs,
    table3_os, table4, survival_medians, followup) into ``out_dir``, all or nothing, with the
    reproduction of every printed value of the paper (``reproduction.csv`` and
    ``reproduction.json``) when ``reproduction`` gives its frame
    (:func:`captemstats.reproduction.compare_with_published`, as
    :func:`captemstats.outputs.write_outputs` passes it).

    The reproduction holds recomputed counts, percentages and ranges (and an ``equal``
    verdict gives a count back from the public print), so, like ``results.json``, it is
    part of this unsuppressed output only: a ``--min-cell`` export
    (:func:`captemstats.sharing.write_shareable`) does not write it.

    The whole set is written into a staging folder and swapped in at once
    (:func:`captemstats.atomic.atomic_folder`): a full disk or a kill leaves the previous
    set as it was; a second process writing the same folder is refused
    (:class:`captemstats.atomic.OutputLockedError`). ``ard`` gives the Analysis Results Data
    frame written as ``ard.csv`` (:func:`captemstats.ard.to_ard`). Returns the final paths.
    """
    from captemstats.atomic import atomic_folder, folder_lock

    final = Path(out_dir)
    with folder_lock(final, "analyze"), atomic_folder(final) as staging:
        written = write_result_files(res, staging, reproduction=reproduction, ard=ard)
    return {name: final / name for name in written}


def _frames(
    res: AnalysisResults,
    reproduction: Callable[[], pd.DataFrame] | None,
    ard: Callable[[], pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """The CSVs' frames by file stem, in the order they are written."""
    import pandas as pd

    frames: dict[str, pd.DataFrame] = {
        "attrition": res.cohort.attrition.to_frame(),
        "table1": res.characteristics.to_frame(),
        "table2": res.response_rates.table,
        "table4": res.adverse.to_frame(),
        "survival_medians": pd.concat(
            [sc.to_frame() for sc in res.survival.values()], ignore_index=True
        ),
        "followup": pd.concat([f.to_frame() for f in res.followup.values()], ignore_index=True),
    }
    for e, r in res.cox.items():
        frames[f"table3_{e}"] = r.to_frame()
        frames[f"table3_{e}_zph"] = res.zph[e].to_frame()
    if reproduction is not None:
        frames["reproduction"] = reproduction()
    if ard is not None:
        frames["ard"] = ard()
    return frames


def write_result_files(
    res: AnalysisResults,
    out: Path,
    *,
    reproduction: Callable[[], pd.DataFrame] | None = None,
    ard: Callable[[], pd.DataFrame] | None = None,
) -> dict[str, Path]:
    """Write the output files into the folder ``out`` itself, each atomically (no folder
    swap: :func:`write_results` does that); returns the paths by file name."""
    from captemstats.atomic import write_atomic

    written: dict[str, Path] = {}
    text = results_json(res) + "\n"
    written["results.json"] = write_atomic(
        out / "results.json", lambda tmp: tmp.write_text(text, encoding="utf-8")
    )
    frames = _frames(res, reproduction, ard)
    for name, frame in frames.items():
        path = out / f"{name}.csv"
        written[path.name] = write_atomic(path, csv_writer(frame))
    if "reproduction" in frames:
        rows = json.dumps(
            json_safe(records(frames["reproduction"])), indent=2, ensure_ascii=False, sort_keys=True
        )
        written["reproduction.json"] = write_atomic(
            out / "reproduction.json", lambda tmp: tmp.write_text(rows + "\n", encoding="utf-8")
        )
    return written
