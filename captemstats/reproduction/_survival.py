"""Rows of the survival results: the text's Kaplan–Meier medians and log-rank P values, Table 3
(HR, CI, P; as labelled and reversed) and the text's follow-up and age, each read from a
:class:`~captemstats.analysis.StudyAnalysis` (nothing is estimated here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from captemstats.reproduction._base import number, row
from captemstats.reproduction.rules import Kind, verdict

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.analysis import StudyAnalysis
    from captemstats.published import PublishedStudy

#: Published grouping name -> the analysis' grouping column.
GROUPING_COLUMNS: dict[str, str] = {
    "overall": "all",
    "line": "line_group",
    "grade": "grade",
    "ki67_group": "ki67_group",
    "primary_site": "primary_site",
}
#: The text's follow-up and age summaries: text-value id prefix -> (variable, statistic, kind).
TEXT_SUMMARIES: dict[str, tuple[str, str, Kind]] = {
    "followup_median": ("follow-up", "median", "months"),
    "followup_min": ("follow-up", "min", "months"),
    "followup_max": ("follow-up", "max", "months"),
    "age_median": ("age", "median", "years"),
    "age_min": ("age", "min", "years"),
    "age_max": ("age", "max", "years"),
}
TEXT = "Text"


def _places(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per printed value (its first printing), ``where`` listing every place."""
    where = frame.groupby(keys, sort=False)["where"].agg(lambda w: "; ".join(dict.fromkeys(w)))
    first = frame.drop_duplicates(keys).set_index(keys)
    first["where"] = where
    return first.reset_index()


def survival_rows(res: StudyAnalysis, study: PublishedStudy) -> list[dict[str, Any]]:
    """Every printed median (months) and log-rank P, once each."""
    rows: list[dict[str, Any]] = []
    for m in _places(study.survival_frame(), ["endpoint", "grouping", "group"]).to_dict("records"):
        grouping = GROUPING_COLUMNS[str(m["grouping"])]
        km = res.km(str(m["endpoint"]), grouping).km
        group = "(all)" if grouping == "all" else str(m["group"])
        est = km.median[group].estimate if group in km.median else None
        key_group = "all" if grouping == "all" else group
        rows.append(
            row(
                "median survival (months)",
                "median_survival",
                TEXT,
                str(m["where"]),
                grouping,
                str(m["group"]),
                str(m["printed"]),
                m["median_months"],
                est,
                endpoint=str(m["endpoint"]),
                audit=(("survival", f"{m['endpoint']}/{m['grouping']}/{m['group']}", "median"),),
                disclosure_key=f"km|{grouping}|{key_group}",
            )
        )
    for p in _places(study.survival_p_frame(), ["endpoint", "grouping"]).to_dict("records"):
        grouping = GROUPING_COLUMNS[str(p["grouping"])]
        test = res.km(str(p["endpoint"]), grouping).logrank
        rows.append(
            row(
                "log-rank P",
                "p_value",
                TEXT,
                str(p["where"]),
                grouping,
                "",
                str(p["printed"]),
                p["value"],
                None if test is None else test.p_value,
                endpoint=str(p["endpoint"]),
                audit=(("survival", f"{p['endpoint']}/{p['grouping']}", "p_value"),),
            )
        )
    return rows


#: Table 3's values: quantity -> (published column, printed column, analysis column, analysis
#: column whose inverse is the reversed reading; empty: not reversed).
_COX = {
    "hazard ratio": ("hr", "hr_printed", "hr", "hr"),
    "CI lower": ("lower", "ci_printed", "lower", "upper"),
    "CI upper": ("upper", "ci_printed", "upper", "lower"),
    "Cox P": ("p_value", "p_printed", "p_value", ""),
}


def _ci_part(printed: str, quantity: str) -> str:
    """``"0.79-1.05"`` -> ``"0.79"`` (lower) or ``"1.05"`` (upper)."""
    parts = printed.replace("–", "-").split("-")
    return parts[0].strip() if quantity == "CI lower" else parts[-1].strip()


def _reading(labelled: str, reversed_: str) -> str:
    """Which reading of a Table 3 row matches better: ``as labelled``, ``reversed``,
    ``either`` (both equally good and not "differs") or ``neither``."""
    rank = {"equal": 0, "within tolerance": 1, "differs": 2}
    a, b = rank[labelled], rank[reversed_]
    if a == b:
        return "neither" if a == 2 else "either"
    return "as labelled" if a < b else "reversed"


def cox_rows(res: StudyAnalysis, study: PublishedStudy) -> list[dict[str, Any]]:
    """Table 3: HR, CI limits and P of each printed row; the HR and CI also reversed
    (1/HR, the CI's limits inverted and swapped) with the reading that matches."""
    from captemstats.study import CAPTEM_STUDY

    terms = CAPTEM_STUDY.covariates()
    fits = {e: fit.to_frame().set_index("term") for e, fit in res.cox.items()}
    rows: list[dict[str, Any]] = []
    for c in study.cox_frame().to_dict("records"):
        endpoint, cov = str(c["endpoint"]), str(c["covariate"])
        term = str(terms[cov].label)
        fit = fits[endpoint]
        got = fit.loc[term] if term in fit.index else None
        item = f"{endpoint}/{cov}"
        for quantity, (pub_col, printed_col, rec_col, rev_col) in _COX.items():
            printed = str(c[printed_col])
            if quantity.startswith("CI"):
                printed = _ci_part(printed, quantity)
            kind: Kind = "p_value" if quantity == "Cox P" else "hazard_ratio"
            field = {"hazard ratio": "hr", "Cox P": "p_value"}.get(quantity, "ci")
            out = row(
                quantity,
                kind,
                "Table 3",
                str(c["where"]),
                term,
                "",
                printed,
                c[pub_col],
                None if got is None else got[rec_col],
                endpoint=endpoint,
                audit=(("table3", item, field),),
            )
            if rev_col and got is not None:
                rev = 1.0 / number(got[rev_col])
                out["recomputed_reversed"] = rev
                out["verdict_reversed"] = verdict(kind, printed, number(c[pub_col]), rev)
            rows.append(out)
        # The reading is the HR's (a CI limit alone can match either way by chance).
        hr = rows[-len(_COX)]
        if hr["verdict_reversed"]:
            reading = _reading(str(hr["verdict"]), str(hr["verdict_reversed"]))
            for r in rows[-len(_COX) :]:
                r["reading"] = reading if r["verdict_reversed"] else ""
    return rows


def text_rows(res: StudyAnalysis, study: PublishedStudy) -> list[dict[str, Any]]:
    """The text's median follow-up (range) and median age (range), once each."""
    frame = study.text_values_frame()
    frame = frame[frame["id"].str.rsplit("_", n=1).str[0].isin(list(TEXT_SUMMARIES))].copy()
    frame["summary"] = frame["id"].str.rsplit("_", n=1).str[0]
    fu = res.followup["observed"].overall
    chars = res.characteristics.to_frame()
    age = chars[(chars["variable"] == "age") & (chars["group"] == "all")]
    recomputed = {
        "follow-up": {"median": fu.median, "min": fu.minimum, "max": fu.maximum},
        "age": {s: (age[s].iloc[0] if len(age) else None) for s in ("median", "min", "max")},
    }
    rows: list[dict[str, Any]] = []
    for t in _places(frame, ["summary"]).to_dict("records"):
        variable, stat, kind = TEXT_SUMMARIES[str(t["summary"])]
        ids = frame.loc[frame["summary"] == t["summary"], "id"]
        audit = tuple(("text", str(i), f) for i in ids for f in ("n", "pct", "value"))
        if variable == "age":
            audit += (("table1_continuous", f"age/{stat}/all", stat),)
        rows.append(
            row(
                stat,
                kind,
                TEXT,
                str(t["where"]),
                variable,
                "all",
                str(t["printed"]),
                t["value"],
                recomputed[variable][stat],
                audit=audit,
            )
        )
    return rows
