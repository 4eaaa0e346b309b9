"""Appendix tables: attrition, published vs recomputed values, the audit, provenance.

Layout only: each builder prints values that arrive computed (a ``Reproduction``, an
``AuditResult``, a ``Provenance``, an ``AttritionLog``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from captemstats.formatting import format_number, format_p
from captemstats.tables._common import en_dash
from captemstats.tables.table import Column, Footnote, Table

if TYPE_CHECKING:
    from captemstats.audit.core import AuditResult
    from captemstats.cohort import AttritionLog
    from captemstats.provenance import Provenance
    from captemstats.reproduction import Reproduction

#: Printed names of the reproduction frame's groups (other values print as given).
_GROUPS = {"all": "all", "1": "line 1", "2": "line 2", "3+": "line ≥3", "(all)": "all"}
#: Printed names of the reproduction frame's survival groupings and Table 4 bands.
_NAMES = {
    "all": "all patients",
    "line_group": "treatment line",
    "grade": "grade",
    "ki67_group": "Ki-67",
    "primary_site": "primary site",
    "grade_1_2": "grade 1-2",
    "grade_3": "grade 3",
    "grade_4": "grade 4",
    "interruption": "interruption",
}


def _signed(text: str) -> str:
    """A rounded difference without a negative zero ("-0.0" → "0.0")."""
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


#: Printed names of the reproduction frame's quantities (other values print as given).
_QUANTITIES = {"min": "minimum", "max": "maximum", "sd": "SD", "P value": "P"}


def _name(code: str) -> str:
    from captemstats.study import CAPTEM_STUDY

    labels = CAPTEM_STUDY.table1_labels()
    return _NAMES.get(code) or labels.get(code) or code.replace("_", " ")


def _place(r: Any) -> tuple[str, str]:
    """(heading, line) of a printed value: ("Table 1 · Age groups", "<50 · line ≥3"),
    ("Table 3 · Gender (male vs. female)", "PFS HR (95% CI)"), ("Text · log-rank P", ...)."""
    quantity = _QUANTITIES.get(str(r["quantity"]), str(r["quantity"]))
    variable, group, table = str(r["variable"]), str(r["group"]), str(r["table"])
    endpoint = str(r["endpoint"]).upper()
    if table == "Table 3":
        what = "HR (95% CI)" if quantity == "hazard ratio" else quantity.removeprefix("Cox ")
        return f"{table} · {variable}", f"{endpoint} {what}"
    if r["kind"] == "p_value" and table != "Text":
        return f"{table} · P values", _name(variable)
    if table in ("Table 1", "Table 2", "Table 4") and r["kind"] in ("count", "percentage"):
        code, _, level = variable.partition(": ")
        where = _GROUPS.get(group, _name(group))
        head = _name(code)
        return f"{table} · {head[:1].upper()}{head[1:]}", f"{level} · {where}" if level else where
    if table == "Table 1":
        return f"{table} · {_name(variable)}", f"{quantity} · {_GROUPS.get(group, group)}"
    if r["kind"] == "median_survival":
        if group in ("all", "(all)"):
            return f"{table} · median survival, all patients", endpoint
        prefix = {"line_group": "line ", "grade": "grade ", "ki67_group": "Ki-67 "}
        line = f"{endpoint} · {prefix.get(variable, '')}{_GROUPS.get(group, group)}"
        return f"{table} · median survival by {_name(variable)}", line.replace("line line", "line")
    if r["kind"] == "p_value":
        return f"{table} · {quantity}", f"{endpoint} · {_name(variable)}"
    unit = "years" if r["kind"] == "years" else "months"
    return f"{table} · {variable} ({unit})", quantity


def _repro_value(x: Any, r: Any, missing: str = "") -> str:
    """A value at the print's precision (``missing`` when there is none)."""
    from captemstats.reproduction.rules import printed_decimals

    if x != x:
        return missing
    printed = str(r["published"]).strip()
    if r["kind"] == "p_value":
        if printed.startswith("<"):
            return format_p(x)
        text = format_number(x, printed_decimals(printed))
        return format_p(x) if not text.strip("0.") else text.replace("0.", ".", 1)
    digits = printed_decimals(printed)
    if r["kind"] == "median_survival" and not any(ch.isdigit() for ch in printed):
        digits = 1  # "not reached": months to one decimal, as the paper prints them
    return format_number(x, digits)


def _difference(r: Any) -> str:
    text = "" if r["kind"] == "p_value" else _signed(_repro_value(r["difference"], r))
    return "" if text == "NA" else text


def _verdicts(parts: Sequence[tuple[str, str]]) -> str:
    """One verdict when the parts agree, else each part's ("n equal; % differs")."""
    if len({v for _, v in parts}) == 1:
        return parts[0][1]
    return "; ".join(f"{name} {v}" for name, v in parts)


def _reasons(rows: Sequence[Any]) -> str:
    """The rows' reasons once each, the audit's findings first."""
    parts = dict.fromkeys(p for r in rows if r["reason"] for p in str(r["reason"]).split("; "))
    return "; ".join(sorted(parts, key=lambda p: not p.startswith(("misprint", "flagged"))))


def _single(r: Any) -> dict[str, str]:
    reached = "not reached" if r["kind"] == "median_survival" else ""
    other = str(r["as_published_printed"]) or _repro_value(r["recomputed_reversed"], r)
    return {
        "published": str(r["published"]),
        "recomputed": _repro_value(r["recomputed"], r, reached),
        "other": other,
        "difference": _difference(r),
        "verdict": str(r["verdict"]),
        "reason": _reasons([r]),
    }


def _cell(n: Any, pct: Any) -> dict[str, str]:
    """A printed ``n (%)`` cell: its count row and percentage row as one line."""
    return {
        "published": f"{n['published']} ({pct['published']})",
        "recomputed": f"{_repro_value(n['recomputed'], n)} "
        f"({_repro_value(pct['recomputed'], pct)})",
        "other": "",
        "difference": f"{_difference(n)} ({_difference(pct)})",
        "verdict": _verdicts([("n", str(n["verdict"])), ("%", str(pct["verdict"]))]),
        "reason": _reasons([n, pct]),
    }


def _hr(hr: Any, lo: Any, up: Any) -> dict[str, str]:
    """A Table 3 HR with its CI as one line (as labelled; the reversed reading beside it)."""

    def ci(col: str) -> str:
        return (
            f"{_repro_value(hr[col], hr)} ({_repro_value(lo[col], lo)}–{_repro_value(up[col], up)})"
        )

    worst = max((str(lo["verdict"]), str(up["verdict"])), key=_VERDICT_ORDER.index)
    return {
        "published": f"{hr['published']} ({lo['published']}–{up['published']})",
        "recomputed": ci("recomputed"),
        "other": ci("recomputed_reversed")
        if hr["recomputed_reversed"] == hr["recomputed_reversed"]
        else "",
        "difference": f"{_difference(hr)} ({_difference(lo)}, {_difference(up)})",
        "verdict": _verdicts([("HR", str(hr["verdict"])), ("CI", worst)]),
        "reason": _reasons([hr, lo, up]),
    }


_VERDICT_ORDER = ["equal", "within tolerance", "differs"]


def _same_place(a: Any, b: Any) -> bool:
    keys = ("table", "location", "endpoint", "variable", "group")
    return all(a[k] == b[k] for k in keys)


def _display_rows(records: Sequence[Any]) -> list[tuple[Any, dict[str, str]]]:
    """(first frame row, display cells) per printed line: an ``n (%)`` cell and a Table 3
    HR with its CI limits are one line each; every other value is a line of its own."""
    out: list[tuple[Any, dict[str, str]]] = []
    i = 0
    while i < len(records):
        r, nxt = records[i], records[i + 1 : i + 3]
        if (
            r["kind"] == "count"
            and nxt
            and nxt[0]["kind"] == "percentage"
            and _same_place(r, nxt[0])
        ):
            out.append((r, _cell(r, nxt[0])))
            i += 2
        elif (
            r["quantity"] == "hazard ratio"
            and [x["quantity"] for x in nxt] == ["CI lower", "CI upper"]
            and all(_same_place(r, x) for x in nxt)
        ):
            out.append((r, _hr(r, *nxt)))
            i += 3
        else:
            out.append((r, _single(r)))
            i += 1
    return out


def reproduction_summary(reproduction: Reproduction) -> str:
    """The verdict counts as a sentence fragment, read from ``reproduction.summary()``.

    Parameters
    ----------
    reproduction
        A :class:`~captemstats.reproduction.Reproduction`.

    Returns
    -------
    str
        "M of N printed values are equal at the printed precision, W within tolerance and D
        differ (Table 1: ...; Text: ...)".

    Example
    -------
    >>> reproduction_summary(compare_with_published(res, study))  # doctest: +SKIP
    '527 of 680 printed values are equal at the printed precision, ...'
    """
    s = reproduction.summary()
    total = s.loc["All"]
    by_table = "; ".join(
        f"{t}: {s.loc[t, 'equal']} equal, {s.loc[t, 'within tolerance']} within tolerance, "
        f"{s.loc[t, 'differs']} differ"
        for t in s.index
        if t != "All"
    )
    return (
        f"{total['equal']} of {total['total']} printed values are equal at the printed "
        f"precision, {total['within tolerance']} within tolerance and {total['differs']} "
        f"differ ({by_table})"
    )


def tolerance_note() -> str:
    """The verdict rule and the tolerance of each kind of value, as
    :data:`captemstats.reproduction.rules.TOLERANCES` states them (the table's footnote).

    Returns
    -------
    str
        One sentence per rule.

    Example
    -------
    >>> tolerance_note().startswith("Equal: the recomputed value")
    True
    """
    from captemstats.reproduction.rules import TOLERANCES

    rules = "; ".join(f"{k.replace('_', ' ')}: {t.description}" for k, t in TOLERANCES.items())
    return (
        "Equal: the recomputed value printed at the published precision is the published "
        f"print. Within tolerance, by kind of value: {rules}."
    )


def attrition_table(attrition: AttritionLog, *, title: str = "Cohort derivation") -> Table:
    """One row per eligibility step: description, patients before, excluded, after."""
    frame = attrition.to_frame()
    rows = [
        {
            "variable": str(r["step"]),
            "row_type": "stat",
            "label": str(r["description"]),
            "before": str(int(r["n_before"])),
            "excluded": str(int(r["n_excluded"])),
            "after": str(int(r["n_after"])),
        }
        for _, r in frame.iterrows()
    ]
    cols = (
        Column("before", "Patients before"),
        Column("excluded", "Excluded"),
        Column("after", "Patients after"),
    )
    return Table.from_rows(
        rows,
        cols,
        title=title,
        stub_header="Eligibility step",
    )


def reproduction_table(
    reproduction: Reproduction,
    *,
    title: str = "Published and recomputed values",
    footnotes: Sequence[str] = (),
) -> Table:
    """Every printed value beside the recomputed one, grouped by table: the other reading
    (the as-published profile's P of Table 1/2, Table 3 reversed), the difference, the
    verdict and its reason; an ``n (%)`` cell, and an HR with its CI, print as one line.
    Layout only: the values, verdicts and reasons arrive in ``reproduction``.

    Parameters
    ----------
    reproduction
        A :class:`~captemstats.reproduction.Reproduction`.
    title, footnotes
        The table's title and further footnotes.

    Returns
    -------
    Table
        One heading row per printed place (Table 1–4, Text) and its lines beneath.

    Example
    -------
    >>> table = reproduction_table(compare_with_published(res, study))  # doctest: +SKIP
    >>> table.data["row_type"].iloc[0]  # doctest: +SKIP
    'label'
    """
    frame = reproduction.to_frame()
    rows: list[dict[str, str]] = []
    heading = ""
    for first, cells in _display_rows(frame.to_dict(orient="records")):
        head, line = _place(first)
        if head != heading:
            rows.append({"variable": head, "row_type": "label", "label": en_dash(head)})
            heading = head
        rows.append({"variable": head, "row_type": "level", "label": en_dash(line)} | cells)
    cols = (
        Column("published", "Published"),
        Column("recomputed", "Recomputed"),
        Column("other", "Other reading"),
        Column("difference", "Difference"),
        Column("verdict", "Verdict"),
        Column("reason", "Reason"),
    )
    notes = (
        "Recomputed: the recommended methods profile. Other reading: for a Table 1 or 2 P, "
        "the as-published profile's (the paper's chi-square, its P truncated); for Table 3, "
        "the HR and CI with the reference category swapped (1/HR, the CI inverted). An n (%) "
        "cell and an HR with its CI are one line (differences: n (%), HR (lower, upper)).",
        tolerance_note(),
    )
    return Table.from_rows(
        rows,
        cols,
        title=title,
        stub_header="Printed value",
        footnotes=tuple(Footnote(t) for t in (*notes, *footnotes)),
    )


def audit_table(
    audit: AuditResult, *, title: str = "Internal consistency of the published tables"
) -> Table:
    """Every discrepancy the audit found: where, what was printed, the consistent value and
    the check that found it."""
    frame = audit.to_frame()
    rows = [
        {
            "variable": str(r["check"]),
            "row_type": "stat",
            "label": str(r["location"]),
            "printed": str(r["printed"]),
            "consistent": "" if r["consistent"] is None else str(r["consistent"]),
            "check": str(r["explanation"]),
        }
        for _, r in frame.iterrows()
    ]
    cols = (
        Column("printed", "Printed"),
        Column("consistent", "Consistent value"),
        Column("check", "Why"),
    )
    return Table.from_rows(
        rows,
        cols,
        title=title,
        stub_header="Location",
    )


def provenance_table(provenance: Provenance, *, title: str = "Input files") -> Table:
    """The registry files with their SHA-256 and row counts (no content of the files)."""
    rows = [
        {
            "variable": str(f["table"]),
            "row_type": "stat",
            "label": str(f["table"]),
            "file": str(f["file"]),
            "rows": str(f["rows"]),
            "sha256": str(f["sha256"]),
        }
        for f in provenance.files
    ]
    cols = (Column("file", "File"), Column("rows", "Rows"), Column("sha256", "SHA-256"))
    return Table.from_rows(
        rows,
        cols,
        title=title,
        stub_header="Table",
    )
