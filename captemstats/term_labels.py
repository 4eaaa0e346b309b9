"""Labelled Cox terms: each term of a fitted Cox model with the comparison it makes spelled
out ("Gender (male vs. female)"), shared by Table 3 (:func:`captemstats.tables.cox_table`) and
the forest plot (:func:`captemstats.figures.forest_figure`), so both print the same labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from captemstats.formatting import en_dash, is_missing

_LABEL_COLUMNS: tuple[str, ...] = ("label", "term", "covariate")

#: Comparison printed after a term whose label names none, keyed by the covariate column.
#: An indicator entered as 0/1 (``Covariate`` without ``level``) compares yes with no.
DEFAULT_REFERENCES: dict[str, str] = {"prior_curative_surgery": "yes vs. no"}


def cox_terms(result: Any, *, references: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per-term frame of a ``CoxResult`` with columns term, column, label, hr, lower, upper,
    p_value.

    The label states the comparison (the reference level spelled out): the term's label,
    plus "(level vs. reference)" when the result records a level and reference that the
    label does not already name, or the text ``references[column]`` (default
    :data:`DEFAULT_REFERENCES`) for an indicator whose label names no comparison. Numeric
    ranges print with an en dash ("ECOG 0–1 vs. 2"). ``term`` stays the result's own key.
    """
    frame = result.to_frame()
    key = next((c for c in ("term", "covariate", "label") if c in frame.columns), None)
    if key is None:
        raise ValueError("cox_table: CoxResult.to_frame() has no term column")
    needed = {"hr", "lower", "upper", "p_value"} - set(frame.columns)
    if needed:
        raise ValueError(f"cox_table: CoxResult.to_frame() lacks {sorted(needed)}")
    refs = DEFAULT_REFERENCES if references is None else references
    label_col = next(c for c in _LABEL_COLUMNS if c in frame.columns)
    columns = (
        frame["column"].astype("string").fillna("").tolist()
        if "column" in frame.columns
        else [""] * len(frame)
    )
    labels = []
    for (_, row), column in zip(frame.iterrows(), columns, strict=True):
        text = str(row[label_col])
        level, ref = row.get("level"), row.get("reference")
        if " vs" not in text:
            if not is_missing(level) and not is_missing(ref):
                text = _with_comparison(text, f"{level} vs. {ref}")
            elif column in refs:
                text = _with_comparison(text, refs[column])
        labels.append(en_dash(text))
    return pd.DataFrame(
        {
            "term": frame[key].astype("string").to_numpy(),
            "column": columns,
            "label": labels,
            "hr": frame["hr"].to_numpy(dtype=float),
            "lower": frame["lower"].to_numpy(dtype=float),
            "upper": frame["upper"].to_numpy(dtype=float),
            "p_value": frame["p_value"].to_numpy(dtype=float),
        }
    )


def _with_comparison(label: str, comparison: str) -> str:
    """ "Gender" + "male vs. female" → "Gender (male vs. female)"; a label that already ends
    in parentheses takes the comparison inside them: "Prior surgery (curative; yes vs. no)"."""
    if label.endswith(")"):
        return f"{label[:-1]}; {comparison})"
    return f"{label} ({comparison})"
