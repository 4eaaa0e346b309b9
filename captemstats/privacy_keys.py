"""Apply a disclosure decision (:mod:`captemstats.disclosure`) to a built table, by keys.

Each body cell of a study table is identified by its row (``variable``, ``row_type`` and the
analysis' level order, or the survival table's group labels) and its column id, never by
the number it prints, and gets the key of :func:`captemstats.disclosure.count_system`. A
withheld key prints ``<K`` (primary) or ``*`` (complementary). With it go the numbers that
would give it back: its percentage; every percentage over a withheld column n (the n is
``p`` percent of the count); the confidence interval of a withheld rate or of a rate over a
withheld n (a Clopper–Pearson interval pins both); the median survival of a group below K.
The range (min–max) of a continuous variable prints two patients' values and is dropped in a
shared version, leaving the median.

Example
-------
>>> from captemstats.disclosure import Decision
>>> d = Decision(5, frozenset({"att|a|excluded"}), frozenset({"att|a|excluded"}), {}, 0)
>>> _marked(d, "att|a|excluded"), _marked(d, "att|a|after")
('<5', None)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.disclosure import Decision
    from captemstats.tables.table import Table

GROUPS = ("all", "1", "2", "3+")
_RESPONSE = {
    "(CR)": "CR",
    "(PR)": "PR",
    "(SD)": "SD",
    "(PD)": "PD",
    "(non-CR/non-PD)": "NON_CR_NON_PD",
    "(NE)": "NE",
}
_PCT = re.compile(r"^(\d+) \(\d+(?:\.\d+)?%?\)$")
_HEADER_N = re.compile(r"\(n = \d+\)")
_RANGE = re.compile(r"^(\S+) \([^()]*–[^()]*\)$")
KINDS = ("table1", "table2", "table4", "survival", "attrition")


def apply_decision(
    table: Table,
    kind: str,
    decision: Decision,
    *,
    group_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> Table:
    """A copy of ``table`` (a study table of ``kind``) with the decision's cells withheld.

    Parameters
    ----------
    table
        A table built by :mod:`captemstats.tables` from the analysis the decision is for.
    kind
        One of :data:`KINDS`.
    decision
        :func:`captemstats.disclosure.plan_disclosure` of that analysis.
    group_labels
        The survival table's ``group_labels`` (display label -> code is inverted from it).

    Returns
    -------
    Table
        The shared table with the suppression footnote.
    """
    from captemstats.privacy_marks import WITHHELD, suppression_note
    from captemstats.tables.table import Column, Footnote

    if kind not in KINDS:
        raise ValueError(f"apply_decision: kind must be one of {KINDS}, not {kind!r}")
    data = table.data.reset_index(drop=True)
    out = data.copy()
    col_ids = [c.id for c in table.columns]
    row_keys = _row_keys(kind, data, decision, group_labels or {})
    for i, rk in enumerate(row_keys):
        for col in col_ids:
            key = _cell_key(kind, rk, col)
            mark = None if key is None else _marked(decision, key)
            if mark is not None and str(data.loc[i, col]).strip() != "":
                out.loc[i, col] = mark
    hidden_n = {c for c in col_ids if _marked(decision, _column_n(kind, c) or "") is not None}
    total_hidden = decision.is_hidden("t1|N|all")
    for i, rk in enumerate(row_keys):
        variable, row_type = str(data.loc[i, "variable"]), str(data.loc[i, "row_type"])
        for col in col_ids:
            text = str(out.loc[i, col])
            over_total = kind == "table4" or (kind == "table1" and variable == "n")
            if (col in hidden_n or (over_total and total_hidden)) and _PCT.match(text):
                out.loc[i, col] = _PCT.sub(r"\1", text)  # the n stays, its share goes
            if kind == "table2" and row_type == "stat" and text:
                rate = _marked(decision, f"t2|{variable}|{col}")
                if rate is not None or col in hidden_n:
                    out.loc[i, col] = WITHHELD
            if kind == "table1" and "min–max" in str(data.loc[i, "label"]):
                m = _RANGE.match(text)
                out.loc[i, col] = m.group(1) if m else text
            if kind == "survival" and rk is not None and decision.min_cell > 0:
                small = rk in decision.primary
                if small and col != "n" and text and not col.endswith("_p"):
                    out.loc[i, col] = WITHHELD
    labels = out["label"].astype("string").str.replace(" (min–max)", "", regex=False)
    out["label"] = labels
    columns = tuple(
        Column(c.id, _header(c.label, _marked(decision, _column_n(kind, c.id) or "")), c.spanner)
        for c in table.columns
    )
    if bool((out != data).any(axis=None)) or columns != table.columns:
        note = Footnote(suppression_note(decision.min_cell))
        return dataclasses.replace(
            table, data=out.astype("string"), columns=columns, footnotes=(*table.footnotes, note)
        )
    return table


def _marked(decision: Decision, key: str) -> str | None:
    return decision.marker(key)


def _header(label: str, mark: str | None) -> str:
    if mark is None:
        return label
    return _HEADER_N.sub("(n = *)" if mark == "*" else f"(n {mark})", label)


def _column_n(kind: str, col: str) -> str | None:
    """The key of a column's n (its header ``(n = …)`` and the denominator of its %)."""
    if kind == "table1" and col in GROUPS:
        return f"t1|N|{col}"
    if kind == "table2" and col in GROUPS:
        return f"t2|N|{col}"
    return None


def _cell_key(kind: str, row_key: str | None, col: str) -> str | None:
    if row_key is None:
        return None
    if kind in ("table1", "table2"):
        return f"{row_key}|{col}" if col in GROUPS else None
    if kind == "table4":
        return row_key if row_key == "ae|grade34" else f"{row_key}|{col}"
    if kind == "survival":
        return row_key if col == "n" else None
    return f"{row_key}|{col}" if col in ("before", "excluded", "after") else None


def _row_keys(
    kind: str,
    data: pd.DataFrame,
    decision: Decision,
    group_labels: Mapping[str, Mapping[str, str]],
) -> list[str | None]:
    """The key prefix of each row (see the module docstring)."""
    keys: list[str | None] = []
    seen: dict[str, int] = {}
    for r in data.itertuples():
        var, rtype, label = str(r.variable), str(r.row_type), str(r.label)
        key: str | None = None
        if kind == "table1" and var == "n":
            key = "t1|N"
        elif kind == "table1" and rtype == "level" and var in decision.levels:
            i = seen.get(var, 0)
            seen[var] = i + 1
            # A lone printed row of a yes/no variable (previous treatments) is its "yes".
            single = int((data["variable"] == var).sum()) == 1
            key = f"t1|{var}|{'True' if single else decision.levels[var][i]}"
        elif kind == "table2" and rtype == "level":
            key = next((f"t2|{c}" for s, c in _RESPONSE.items() if label.endswith(s)), None)
        elif kind == "table2" and var in ("ORR", "DCR") and rtype == "label":
            key = f"t2|{var}"
        elif kind == "table4":
            key = "ae|grade34" if var == "grade34_any" else f"t4|{var}"
        elif kind == "survival" and var == "all":
            key = "km|all|all"
        elif kind == "survival" and rtype in ("level", "label"):
            codes = {v: k for k, v in group_labels.get(var, {}).items()}
            key = f"km|{var}|{codes.get(label, label)}" if rtype == "level" else None
        elif kind == "attrition":
            key = f"att|{var}"
        keys.append(key)
    return keys


__all__ = ["KINDS", "apply_decision"]
