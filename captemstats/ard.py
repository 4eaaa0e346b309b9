"""Analysis Results Data (ARD): every number of the analysis in the long layout of R's
``cards`` package, one statistic per row, for re-rendering in R (gtsummary v2, CDISC ARS).

The columns follow ``cards::ard_*()`` output, with the list-column ``stat`` written as one
value per row:

``group1``, ``group1_level``
    The by-variable and its level (``line_group`` and ``1``/``2``/``3+`` for Tables 1 and 2,
    the grouping of a Kaplan–Meier curve); empty for the whole cohort.
``variable``, ``variable_level``
    What is summarised (a Table 1 variable and its level, a response measure, a Cox term, an
    adverse-event term and its grade band, an attrition step).
``context``
    The kind of summary, named as ``cards``/``cardx`` name theirs: ``categorical``,
    ``continuous``, ``proportion_ci``, ``hypothesis_test``, ``survival``,
    ``survival_survdiff``, ``regression``, ``regression_univariable``,
    ``regression_cluster``, ``cox_zph``, ``attrition``, ``followup``, ``cohort``.
``stat_name``, ``stat_label``, ``stat``
    The statistic (``n``, ``N``, ``p``, ``median``, ``estimate``, ``conf.low``, ``p.value``
    ...), its printed name and its value.
``endpoint``
    ``pfs`` or ``os`` for survival and Cox rows (an extra column; ``cards`` would put it in
    the variable name).

Every value is taken from the same record as ``results.json``
(:func:`captemstats.results_files.results_dict`, after the same JSON conversion), so the two
files cannot disagree; the round trip is a test. Like ``results.json`` the ARD holds
unsuppressed counts: it is for the study team, not for a shared version.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from captemstats.results import JSONValue
from captemstats.results_files import json_safe, results_dict

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.analysis import StudyAnalysis

#: The columns of the ARD, in order.
ARD_COLUMNS: tuple[str, ...] = (
    "group1",
    "group1_level",
    "variable",
    "variable_level",
    "context",
    "stat_name",
    "stat_label",
    "stat",
    "endpoint",
)

#: stat_name -> stat_label, as ``cards`` labels them.
STAT_LABELS: dict[str, str] = {
    "n": "n",
    "N": "N",
    "p": "%",
    "N_miss": "N Missing",
    "mean": "Mean",
    "sd": "SD",
    "median": "Median",
    "min": "Min",
    "max": "Max",
    "estimate": "Estimate",
    "conf.low": "CI Lower Bound",
    "conf.high": "CI Upper Bound",
    "std.error": "Standard Error",
    "statistic": "Statistic",
    "parameter": "Degrees of Freedom",
    "p.value": "p-value",
    "method": "Method",
    "n.event": "Number of Events",
    "hr": "Hazard Ratio",
    "robust.se": "Robust Standard Error",
    "lr.p.value": "Likelihood-Ratio p-value",
    "concordance": "Concordance",
    "n_removed": "Removed",
    "n_before": "Before",
    "n_after": "After",
    "n.censor": "Number Censored",
}

#: One ARD row: :data:`ARD_COLUMNS` -> a JSON value (the statistic, its labels and keys).
Row = dict[str, JSONValue]
BY = "line_group"
OVERALL = "all"


def _row(context: str, variable: str, stat_name: str, stat: Any, **keys: Any) -> Row:
    return {
        "group1": keys.get("group1"),
        "group1_level": keys.get("group1_level"),
        "variable": variable,
        "variable_level": keys.get("variable_level"),
        "context": context,
        "stat_name": stat_name,
        "stat_label": STAT_LABELS.get(stat_name, stat_name),
        "stat": stat,
        "endpoint": keys.get("endpoint"),
    }


def _by_line(group: str) -> dict[str, str | None]:
    """The by-line keys of a Table 1/2 record ("all" is the whole cohort: no group)."""
    return (
        {"group1": None, "group1_level": None}
        if group == OVERALL
        else {
            "group1": BY,
            "group1_level": group,
        }
    )


def _table1(rows: list[Mapping[str, Any]]) -> Iterator[Row]:
    """Table 1: counts with N and proportion per level, or the continuous summary; the
    by-line test once per variable (``hypothesis_test``)."""
    tested: set[str] = set()
    for r in rows:
        keys = _by_line(str(r["group"]))
        var = str(r["variable"])
        if r["type"] == "categorical":
            level = {"variable_level": r["level"]}
            pct = r["pct"]
            yield _row("categorical", var, "n", r["n"], **keys, **level)
            yield _row("categorical", var, "N", r["denominator"], **keys, **level)
            yield _row("categorical", var, "p", None if pct is None else pct / 100, **keys, **level)
        else:
            for name in ("n", "median", "mean", "sd", "min", "max"):
                yield _row("continuous", var, "N" if name == "n" else name, r[name], **keys)
            yield _row("continuous", var, "N_miss", r["n_missing"], **keys)
        if var not in tested and r.get("test") is not None:
            tested.add(var)
            test = {"group1": BY, "variable_level": None}
            yield _row("hypothesis_test", var, "p.value", r["p_value"], **test)
            yield _row("hypothesis_test", var, "method", r["test"], **test)


def _table2(rows: list[Mapping[str, Any]], tests: Mapping[str, Any]) -> Iterator[Row]:
    """Table 2: each response measure as a proportion with its exact CI; the by-line tests."""
    for r in rows:
        keys = _by_line(str(r["group"]))
        measure = str(r["measure"])
        for name, field in (
            ("n", "count"),
            ("N", "n"),
            ("estimate", "proportion"),
            ("conf.low", "ci_lower"),
            ("conf.high", "ci_upper"),
        ):
            yield _row("proportion_ci", measure, name, r[field], **keys)
    for measure, t in tests.items():
        yield _row("hypothesis_test", measure, "p.value", t["p_value"], group1=BY)
        yield _row("hypothesis_test", measure, "method", t["test"], group1=BY)


_COX_STATS: tuple[tuple[str, str], ...] = (
    ("estimate", "coef"),
    ("std.error", "se"),
    ("robust.se", "robust_se"),
    ("statistic", "z"),
    ("p.value", "p_value"),
    ("hr", "hr"),
    ("conf.low", "lower"),
    ("conf.high", "upper"),
    ("lr.p.value", "lr_p_value"),
    ("concordance", "concordance"),
    ("N", "n"),
    ("n.event", "n_events"),
)


def _cox(context: str, models: Mapping[str, list[Mapping[str, Any]]]) -> Iterator[Row]:
    """Table 3 (and its univariable and cluster-robust variants): one row per term and
    statistic; ``estimate`` is the log hazard ratio, ``conf.low``/``conf.high`` bound the HR."""
    for endpoint, terms in models.items():
        for r in terms:
            for name, field in _COX_STATS:
                if field in r:
                    yield _row(context, str(r["term"]), name, r[field], endpoint=endpoint)


def _zph(models: Mapping[str, list[Mapping[str, Any]]]) -> Iterator[Row]:
    for endpoint, terms in models.items():
        for r in terms:
            for name, field in (
                ("statistic", "chisq"),
                ("parameter", "df"),
                ("p.value", "p_value"),
            ):
                yield _row("cox_zph", str(r["term"]), name, r[field], endpoint=endpoint)


def _survival(records: list[Mapping[str, Any]]) -> Iterator[Row]:
    """Median survival (``variable`` = ``prob``, level 0.5, as ``cardx::ard_survival_survfit``)
    per group, and the log-rank test per grouping (``survival_survdiff``)."""
    for rec in records:
        endpoint, grouping = str(rec["endpoint"]), str(rec["grouping"])
        for g in rec["groups"]:
            keys: dict[str, Any] = {"endpoint": endpoint, "variable_level": 0.5}
            if grouping != OVERALL:
                keys |= {"group1": grouping, "group1_level": g["group"]}
            for name, field in (
                ("estimate", "median"),
                ("conf.low", "lower"),
                ("conf.high", "upper"),
                ("N", "n"),
                ("n.event", "events"),
            ):
                yield _row("survival", "prob", name, g[field], **keys)
        test = rec.get("logrank")
        if test:
            for name, field in (
                ("statistic", "chisq"),
                ("parameter", "df"),
                ("p.value", "p_value"),
            ):
                yield _row("survival_survdiff", grouping, name, test[field], endpoint=endpoint)


def _table4(rows: list[Mapping[str, Any]]) -> Iterator[Row]:
    for r in rows:
        level = {"variable_level": r["band"]}
        term = str(r["term"])
        pct = r["pct"]
        yield _row("categorical", term, "n", r["n"], **level)
        yield _row("categorical", term, "N", r["denominator"], **level)
        yield _row("categorical", term, "p", None if pct is None else pct / 100, **level)


def _cohort(d: Mapping[str, Any]) -> Iterator[Row]:
    """The attrition steps, the cohort by line and the follow-up (grade 3-4 events are a
    Table 1 row)."""
    for step in d["attrition"]["steps"]:
        for name, field in (
            ("n_before", "n_before"),
            ("n_removed", "n_excluded"),
            ("n_after", "n_after"),
        ):
            yield _row("attrition", str(step["step"]), name, step[field])
    yield _row("cohort", "patients", "N", d["cohort"]["n"])
    for line, n in d["cohort"]["by_line"].items():
        yield _row("cohort", "patients", "N", n, group1=BY, group1_level=line)
    for f in d["followup"]:
        for name in ("median", "lower", "upper", "minimum", "maximum", "n", "n_censored"):
            stat = {
                "lower": "conf.low",
                "upper": "conf.high",
                "minimum": "min",
                "maximum": "max",
                "n": "N",
                "n_censored": "n.censor",
            }.get(name, name)
            yield _row("followup", str(f["definition"]), stat, f[name])


def ard_rows(results: Mapping[str, JSONValue]) -> list[Row]:
    """The ARD rows of a ``results.json`` document (its parsed content).

    Parameters
    ----------
    results
        The parsed ``results.json`` (``json.load``, or :meth:`StudyAnalysis.to_dict`).

    Returns
    -------
    list of dict
        One dict per statistic with the keys of :data:`ARD_COLUMNS`.

    Examples
    --------
    >>> from captemstats import analyze
    >>> rows = ard_rows(analyze("data/registry").to_dict())
    >>> len(rows), rows[0]["context"], rows[0]["stat_name"], rows[0]["stat"]
    (2162, 'attrition', 'n_before', 319)
    """
    doc = cast("Mapping[str, Any]", results)  # read by the schema's keys, not by type
    rows: list[Row] = [
        *_cohort(doc),
        *_table1(doc["table1"]),
        *_table2(doc["table2"], doc["table2_tests"]),
        *_cox("regression", doc["table3"]),
        *_cox("regression_univariable", doc["table3_univariable"]),
        *_cox("regression_cluster", doc["table3_cluster_robust"]),
        *_zph(doc["table3_proportional_hazards"]),
        *_survival(doc["survival"]),
        *_table4(doc["table4"]),
    ]
    return rows


def to_ard(analysis: StudyAnalysis) -> pd.DataFrame:
    """Every number of the analysis as an Analysis Results Data frame (``cards`` layout).

    Parameters
    ----------
    analysis : StudyAnalysis
        The result of :func:`captemstats.analyze`.

    Returns
    -------
    pandas.DataFrame
        One row per statistic, columns :data:`ARD_COLUMNS`; ``stat`` holds numbers, the
        test method names and ``None`` where a statistic is not estimable (an upper
        confidence limit not reached).

    Examples
    --------
    >>> from captemstats import analyze
    >>> ard = to_ard(analyze("data/registry"))
    >>> pfs = ard.query("context == 'survival' and endpoint == 'pfs' and group1.isna()")
    >>> {r.stat_name: round(r.stat, 2) for r in pfs.head(5).itertuples()}
    {'estimate': 10.48, 'conf.low': 7.79, 'conf.high': 15.61, 'N': 308, 'n.event': 236}
    """
    import pandas as pd

    results = json_safe(results_dict(analysis))
    frame = pd.DataFrame(ard_rows(results), columns=list(ARD_COLUMNS))
    return frame.astype({c: "object" for c in ARD_COLUMNS})


__all__ = ["ARD_COLUMNS", "STAT_LABELS", "ard_rows", "to_ard"]
