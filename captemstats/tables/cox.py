"""Table 3: Cox regression for PFS and OS side by side (HR, 95% CI, P)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from captemstats.tables._common import BOLD_NOTE, is_missing, is_significant, num, p_cell
from captemstats.tables._table import Column, Footnote, Table, make_frame

_LABEL_COLUMNS: tuple[str, ...] = ("label", "term", "covariate")


def cox_terms(result: Any) -> pd.DataFrame:
    """Per-term frame of a ``CoxResult`` with columns term, label, hr, lower, upper, p_value.

    The label states the comparison: the covariate's label, plus "(level vs. reference)"
    when the result records a level and reference that the label does not already name.
    """
    frame = result.to_frame()
    key = next((c for c in ("term", "covariate", "label") if c in frame.columns), None)
    if key is None:
        raise ValueError("cox_table: CoxResult.to_frame() has no term column")
    needed = {"hr", "lower", "upper", "p_value"} - set(frame.columns)
    if needed:
        raise ValueError(f"cox_table: CoxResult.to_frame() lacks {sorted(needed)}")
    label_col = next(c for c in _LABEL_COLUMNS if c in frame.columns)
    labels = []
    for _, row in frame.iterrows():
        text = str(row[label_col])
        level, ref = row.get("level"), row.get("reference")
        if not is_missing(level) and not is_missing(ref) and " vs" not in text:
            text = f"{text} ({level} vs. {ref})"
        labels.append(text)
    return pd.DataFrame(
        {
            "term": frame[key].astype("string").to_numpy(),
            "label": labels,
            "hr": frame["hr"].to_numpy(dtype=float),
            "lower": frame["lower"].to_numpy(dtype=float),
            "upper": frame["upper"].to_numpy(dtype=float),
            "p_value": frame["p_value"].to_numpy(dtype=float),
        }
    )


def cox_table(
    pfs: Any,
    os: Any,
    *,
    model_labels: Sequence[str] = ("Progression-free survival", "Overall survival"),
    term_labels: Mapping[str, str] | None = None,
    title: str = "Cox regression analysis of variables associated with PFS and OS",
    digits: int = 2,
    alpha: float = 0.05,
    footnotes: Sequence[str] = (),
) -> Table:
    """Table 3 layout: one row per covariate, HR / 95% CI / P for each model under a spanner.

    Rows follow the PFS model's term order, then terms only in the OS model; a term absent
    from one model prints empty cells there. Reference levels are spelled out in the row
    label ("Gender (male vs. female)"). P values are formatted by
    :func:`captemstats.formatting.format_p` and bold when < ``alpha``. The method of each
    model (``result.method``: ties, variance) is footnoted when the result records it.
    """
    models = {"pfs": cox_terms(pfs), "os": cox_terms(os)}
    order: list[str] = []
    label_of: dict[str, str] = {}
    for frame in models.values():
        for term, label in zip(frame["term"], frame["label"], strict=True):
            if term not in label_of:
                order.append(term)
                label_of[term] = (term_labels or {}).get(term, label)
    rows: list[dict[str, str]] = []
    bold: list[tuple[int, str]] = []
    for i, term in enumerate(order):
        row = {"variable": term, "row_type": "stat", "label": label_of[term]}
        for key, frame in models.items():
            hit = frame[frame["term"] == term]
            if hit.empty:
                continue
            r = hit.iloc[0]
            row[f"{key}_hr"] = num(r["hr"], digits)
            row[f"{key}_ci"] = f"{num(r['lower'], digits)}–{num(r['upper'], digits)}"
            row[f"{key}_p"] = p_cell(r["p_value"])
            if is_significant(r["p_value"], alpha):
                bold.append((i, f"{key}_p"))
        rows.append(row)
    cols: list[Column] = []
    for key, spanner in zip(models, model_labels, strict=True):
        cols += [
            Column(f"{key}_hr", "HR", spanner),
            Column(f"{key}_ci", "95% CI", spanner),
            Column(f"{key}_p", "P value", spanner),
        ]
    notes = [Footnote(text) for text in _methods(pfs, os)]
    notes += [Footnote(text) for text in footnotes]
    return Table(
        data=make_frame(rows, [c.id for c in cols]),
        columns=tuple(cols),
        title=title,
        stub_header="Variable",
        footnotes=tuple(notes),
        notes=(BOLD_NOTE,) if bold else (),
        bold=tuple(bold),
    )


def _methods(*results: Any) -> list[str]:
    """Distinct method descriptions recorded on the results (MethodInfo or text)."""
    seen: list[str] = []
    for result in results:
        method = getattr(result, "method", None)
        if method is None:
            continue
        text = _method_text(method)
        if text and text not in seen:
            seen.append(text)
    return seen


def _method_text(method: Any) -> str:
    """A footnote sentence from a ``survival.MethodInfo`` (or a plain string)."""
    if isinstance(method, str):
        return method
    test = getattr(method, "test", None)
    if not test:
        return ""
    parts = [str(test)]
    level = getattr(method, "conf_level", None)
    ci = " ".join(
        str(x)
        for x in (getattr(method, "ci_method", None), getattr(method, "ci_transform", None))
        if x
    )
    if ci:
        parts.append(f"{level:.0%} CI: {ci}" if level else f"CI: {ci}")
    if getattr(method, "ties", None):
        parts.append(f"{method.ties} ties")
    if getattr(method, "variance", None):
        parts.append(f"{method.variance} variance")
    if getattr(method, "continuity_correction", None):
        parts.append("continuity correction")
    if getattr(method, "software_equivalent", ""):
        parts.append(f"equivalent to R {method.software_equivalent}")
    return "; ".join(parts) + "."
