"""Which results moved between two data cuts: ``results.json`` content compared quantity by
quantity.

Both sides are ``results.json`` dictionaries (:meth:`captemstats.analysis.StudyAnalysis
.to_dict`, schema 1.0), read from a file or computed by analysing a registry, so one code path
compares a registry with a registry, a file with a file, or one with the other. Each number is
addressed by ``section, endpoint, grouping, level, group, quantity`` (:data:`DIMENSIONS`); the
two sides are merged on that address, so a quantity present on one side only (a group that
appeared or emptied) is reported as ``added`` or ``removed``, never dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from captemstats.results import JSONObject, JSONValue

#: Address of one number of ``results.json``.
DIMENSIONS: tuple[str, ...] = ("section", "endpoint", "grouping", "level", "group", "quantity")

#: Status of a quantity, in print order.
STATUSES: tuple[str, ...] = ("moved", "added", "removed", "unchanged")

#: Sections, in print order, with their printed names.
SECTIONS: dict[str, str] = {
    "cohort": "Cohort",
    "attrition": "Cohort derivation",
    "response": "Tumour response (Table 2)",
    "response_test": "Response tests",
    "survival": "Kaplan–Meier",
    "logrank": "Log-rank test",
    "cox": "Cox model (Table 3)",
    "cox_univariable": "Univariable Cox models",
    "cox_cluster": "Cluster-robust Cox model",
    "zph": "Proportional hazards",
    "followup": "Follow-up",
    "adverse_events": "Adverse events (Table 4)",
    "characteristics": "Characteristics (Table 1)",
}

#: Quantities that count patients or events (the appendix suppresses small ones).
COUNT_QUANTITIES: frozenset[str] = frozenset(
    {
        "patients read",
        "analysis cohort",
        "patients",
        "evaluable",
        "n",
        "events",
        "count",
        "excluded",
    }
)

#: The headline quantities per section (``diff`` prints these; ``--all`` prints every one).
HEADLINE: dict[str, frozenset[str]] = {
    "cohort": frozenset({"patients read", "analysis cohort", "patients"}),
    "attrition": frozenset({"excluded"}),
    "response": frozenset({"evaluable", "count", "proportion"}),
    "response_test": frozenset({"P"}),
    "survival": frozenset({"n", "events", "median"}),
    "logrank": frozenset({"P"}),
    "cox": frozenset({"HR", "P", "n", "events"}),
    "followup": frozenset({"median"}),
}

#: Printed names of the groupings (survival) and endpoints.
_GROUPING_NAMES = {
    "all": "all patients",
    "line_group": "line",
    "grade": "grade",
    "ki67_group": "Ki-67",
    "primary_site": "primary site",
}

#: Relative tolerance below which two values are the same number: ``results.json`` tables are
#: written with 10 decimals, so a smaller difference is rounding, not a changed result.
RTOL = 1e-9

_COX_COLUMNS = {"hr": "HR", "lower": "HR lower", "upper": "HR upper", "p_value": "P"}


@dataclass(frozen=True, eq=False)
class ResultChanges:
    """Every number of two ``results.json`` compared.

    ``compared`` has :data:`DIMENSIONS`, ``old``, ``new``, ``difference`` (new - old) and
    ``status`` (:data:`STATUSES`), one row per quantity on either side, in section order.
    """

    compared: pd.DataFrame

    @property
    def moved(self) -> pd.DataFrame:
        """The quantities that are not unchanged (moved, added or removed)."""
        frame = self.compared.loc[self.compared["status"] != "unchanged"]
        return frame.reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Quantities per status (every status present, zero included)."""
        vc = self.compared["status"].value_counts()
        return {s: int(vc.get(s, 0)) for s in STATUSES}

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`compared`."""
        return self.compared.copy()

    def to_dict(self) -> JSONObject:
        """JSON-ready: the counts per status and every quantity that is not unchanged."""
        moved = self.moved.astype(object)
        return {
            "n_compared": len(self.compared),
            "counts": self.counts(),
            "moved": cast(
                "list[JSONValue]", moved.where(self.moved.notna(), None).to_dict("records")
            ),
        }


def results_quantities(results: Mapping[str, Any]) -> pd.DataFrame:
    """Flatten a ``results.json`` dictionary into one row per number.

    Parameters
    ----------
    results
        ``results.json`` content (schema 1.0).

    Returns
    -------
    pandas.DataFrame
        :data:`DIMENSIONS` and ``value`` (float; NaN for a null such as a median not reached).

    Example
    -------
    >>> q = results_quantities({"cohort": {"n": 10, "by_line": {"1": 10}}})
    >>> q.loc[q["quantity"] == "analysis cohort", "value"].item()
    10.0
    """
    rows: list[tuple[str, str, str, str, str, str, float]] = []

    def add(section: str, quantity: str, value: Any, **where: Any) -> None:
        rows.append(
            (
                section,
                str(where.get("endpoint", "")),
                str(where.get("grouping", "")),
                str(where.get("level", "")),
                str(where.get("group", "")),
                quantity,
                _number(value),
            )
        )

    attrition = results.get("attrition", {})
    cohort = results.get("cohort", {})
    if "n_input" in attrition:
        add("cohort", "patients read", attrition["n_input"])
    if "n" in cohort:
        add("cohort", "analysis cohort", cohort["n"])
    for line, n in cohort.get("by_line", {}).items():
        add("cohort", "patients", n, grouping="line_group", group=line)
    for step in attrition.get("steps", []):
        add("attrition", "excluded", step.get("n_excluded"), level=step.get("step", ""))
    evaluable: set[str] = set()
    for r in results.get("table2", []):
        group = str(r.get("group", ""))
        if group not in evaluable:  # every measure repeats its group's denominator
            evaluable.add(group)
            add("response", "evaluable", r.get("n"), group=group)
        for q in ("count", "proportion"):
            add("response", q, r.get(q), grouping=r.get("measure", ""), group=group)
    for name, test in results.get("table2_tests", {}).items():
        add("response_test", "P", test.get("p_value"), grouping=name)
    for s in results.get("survival", []):
        where = {"endpoint": s.get("endpoint", ""), "grouping": s.get("grouping", "")}
        for g in s.get("groups", []):
            for q, label in (("n", "n"), ("events", "events"), ("median", "median")):
                add("survival", label, g.get(q), group=g.get("group", ""), **where)
            add("survival", "median lower", g.get("lower"), group=g.get("group", ""), **where)
            add("survival", "median upper", g.get("upper"), group=g.get("group", ""), **where)
        if s.get("logrank"):
            add("logrank", "chi-square", s["logrank"].get("chisq"), **where)
            add("logrank", "P", s["logrank"].get("p_value"), **where)
    for section, key in (
        ("cox", "table3"),
        ("cox_univariable", "table3_univariable"),
        ("cox_cluster", "table3_cluster_robust"),
    ):
        for endpoint, records in results.get(key, {}).items():
            for r in records:
                for col, label in _COX_COLUMNS.items():
                    add(section, label, r.get(col), endpoint=endpoint, level=r.get("term", ""))
            if section == "cox" and records:
                add(section, "n", records[0].get("n"), endpoint=endpoint)
                add(section, "events", records[0].get("n_events"), endpoint=endpoint)
    for endpoint, records in results.get("table3_proportional_hazards", {}).items():
        for r in records:
            add("zph", "P", r.get("p_value"), endpoint=endpoint, level=r.get("term", ""))
    for r in results.get("followup", []):
        add("followup", "median", r.get("median"), grouping=r.get("definition", ""))
    if "grade34_patients" in results:
        add("adverse_events", "patients", results["grade34_patients"], level="grade 3-4 (any)")
    for r in results.get("table4", []):
        where = {"grouping": r.get("band", ""), "level": r.get("term", "")}
        add("adverse_events", "patients", r.get("n"), **where)
    tested: set[str] = set()
    for r in results.get("table1", []):
        variable = str(r.get("variable", ""))
        where = {"grouping": variable, "level": r.get("level") or "", "group": r.get("group", "")}
        if r.get("type") == "continuous":
            add("characteristics", "median", r.get("median"), **where)
        else:
            add("characteristics", "patients", r.get("n"), **where)
        if variable not in tested and r.get("p_value") is not None:
            tested.add(variable)
            add("characteristics", "P", r.get("p_value"), grouping=variable)
    frame = pd.DataFrame(rows, columns=[*DIMENSIONS, "value"])
    # Duplicated addresses (a malformed file) would pair arbitrarily: keep the first.
    return frame.drop_duplicates(list(DIMENSIONS)).reset_index(drop=True)


def diff_results(
    old: Mapping[str, Any], new: Mapping[str, Any], *, rtol: float = RTOL
) -> ResultChanges:
    """Compare two ``results.json`` dictionaries number by number.

    Parameters
    ----------
    old, new
        ``results.json`` content of the earlier and the later cut.
    rtol
        Relative tolerance (:data:`RTOL`); two nulls are equal, a null and a number differ.

    Returns
    -------
    ResultChanges
        One row per quantity with both values, the difference and the status.

    Example
    -------
    >>> a = {"cohort": {"n": 308, "by_line": {}}}
    >>> b = {"cohort": {"n": 288, "by_line": {}}}
    >>> diff_results(a, b).moved[["quantity", "old", "new"]].values.tolist()
    [['analysis cohort', 308.0, 288.0]]
    """
    dims = list(DIMENSIONS)
    left, right = results_quantities(old), results_quantities(new)
    # Each side's own order, so the comparison reads in results.json order (an outer merge
    # sorts its keys): the old side first, quantities only in the new cut after theirs.
    left["_seq"] = np.arange(len(left), dtype=float)
    right["_seq"] = np.arange(len(right), dtype=float) + 0.5
    merged = left.merge(right, on=dims, how="outer", suffixes=("_old", "_new"), indicator=True)
    merged = merged.rename(columns={"value_old": "old", "value_new": "new"})
    a = merged["old"].to_numpy(dtype=float)
    b = merged["new"].to_numpy(dtype=float)
    same = np.isclose(a, b, rtol=rtol, atol=0.0, equal_nan=True)
    side = merged.pop("_merge").to_numpy()
    status = np.where(
        side == "left_only", "removed", np.where(side == "right_only", "added", "moved")
    )
    status = np.where((side == "both") & same, "unchanged", status)
    merged["difference"] = b - a
    merged["status"] = status
    order = {s: i for i, s in enumerate(SECTIONS)}
    merged["_order"] = merged["section"].map(order).fillna(len(order))
    merged["_seq"] = merged["_seq_old"].fillna(merged["_seq_new"])
    merged = merged.sort_values(["_order", "_seq"], kind="stable")
    merged = merged.drop(columns=["_order", "_seq", "_seq_old", "_seq_new"])
    return ResultChanges(merged.reset_index(drop=True))


def is_headline(section: str, quantity: str) -> bool:
    """Whether ``diff`` prints the quantity by default (:data:`HEADLINE`)."""
    return quantity in HEADLINE.get(section, frozenset())


def where_text(row: Mapping[str, Any]) -> str:
    """Where a quantity sits, in words: ``"PFS · line 2"``, ``"OS · Age (≤50 vs. >50)"``,
    ``"ORR · line 1"``, ``"age_group <50 · line 1"``."""
    parts: list[str] = []
    if row.get("endpoint"):
        parts.append(str(row["endpoint"]).upper())
    grouping = str(row.get("grouping") or "")
    group = str(row.get("group") or "")
    level = str(row.get("level") or "")
    if row.get("section") in ("survival", "logrank"):
        name = _GROUPING_NAMES.get(grouping, grouping)
        parts.append(name if grouping == "all" else f"{name} {group}".strip())
    else:
        # The line grouping is implied by "line 2" below.
        head = " ".join(p for p in (grouping, level) if p and p != "line_group")
        if head:
            parts.append(head)
        if group:
            parts.append(f"line {group}" if group in ("1", "2", "3+") else group)
    return " · ".join(parts) or "—"


def quantity_text(quantity: str, value: Any) -> str:
    """A value as printed: counts whole, P values as the journal prints them
    (:func:`~captemstats.formatting.format_p`), proportions as percentages, hazard ratios
    with two decimals, medians (months) with one; a null median is "not reached"."""
    from captemstats.formatting import format_number, format_p

    v = _number(value)
    if math.isnan(v):
        return "not reached" if quantity.startswith("median") else "NA"
    if quantity in COUNT_QUANTITIES:
        return f"{v:.0f}"
    if quantity == "P":
        return str(format_p(v))
    if quantity == "proportion":
        return f"{format_number(100.0 * v, 1)}%"
    if quantity.startswith("HR") or quantity == "chi-square":
        return str(format_number(v, 2))
    return str(format_number(v, 1))


def difference_text(quantity: str, old: Any, new: Any) -> str:
    """The signed difference as printed ("+2", "−0.4", "+1.3 pp"); "" for P values (a
    difference of P values means nothing) or when a side is missing."""
    a, b = _number(old), _number(new)
    if quantity == "P" or math.isnan(a) or math.isnan(b):
        return ""
    d = b - a
    if quantity == "proportion":
        text = quantity_text("median", abs(100.0 * d)) + " pp"
    else:
        text = quantity_text(quantity, abs(d))
    if text.strip("0.% p") == "":
        return "0"
    return ("+" if d > 0 else "−") + text


def _number(value: Any) -> float:
    if value is None or isinstance(value, str):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
