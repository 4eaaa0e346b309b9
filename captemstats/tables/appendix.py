"""Appendix tables: attrition, published vs recomputed values, the audit, provenance.

Layout only: each builder prints values that arrive computed (a ``Reproduction``, an
``AuditResult``, a ``Provenance``, an ``AttritionLog``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from captemstats.formatting import format_number, format_p
from captemstats.tables._common import en_dash
from captemstats.tables._table import Column, Footnote, Table, make_frame

_QUANTITY_DIGITS = {"median (months)": 1, "hazard ratio": 2}

#: Printed names of the reproduction frame's groupings (other values print as given).
_GROUPINGS = {
    "all": "",
    "line_group": "treatment line",
    "grade": "grade",
    "ki67_group": "Ki-67",
    "primary_site": "primary site",
    "table3": "Table 3",
}


def _where(endpoint: str, grouping: str, group: str) -> str:
    """ "PFS · treatment line 3+", "OS · all patients", "PFS · Table 3 · Gender (...)"."""
    parts = [endpoint.upper()]
    name = _GROUPINGS.get(grouping, grouping)
    if grouping == "all":
        parts.append("all patients")
    elif grouping == "table3":
        parts += [name, group] if group else [name]
    else:
        parts.append(f"{name} {group}".strip() if group else name)
    return en_dash(" · ".join(p for p in parts if p))


def _signed(text: str) -> str:
    """A rounded difference without a negative zero ("-0.0" → "0.0")."""
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def attrition_table(attrition: Any, *, title: str = "Cohort derivation") -> Table:
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
    return Table(
        data=make_frame(rows, [c.id for c in cols]),
        columns=cols,
        title=title,
        stub_header="Eligibility step",
    )


def reproduction_table(
    reproduction: Any,
    *,
    title: str = "Published and recomputed values",
    footnotes: Sequence[str] = (),
) -> Table:
    """Each published median, log-rank P and hazard ratio beside the recomputed value and
    their difference (P values printed as the journal prints them)."""
    frame = reproduction.to_frame()
    rows = []
    for _, r in frame.iterrows():
        quantity = str(r["quantity"])
        is_p = quantity == "log-rank P"
        digits = _QUANTITY_DIGITS.get(quantity, 3)
        group = "" if str(r["group"]) in ("(all)", "all") else str(r["group"])
        label = _where(str(r["endpoint"]), str(r["grouping"]), group)
        recomputed = (
            ("not computed" if r["recomputed"] != r["recomputed"] else format_p(r["recomputed"]))
            if is_p
            else (
                "not reached"
                if r["recomputed"] != r["recomputed"]
                else format_number(r["recomputed"], digits)
            )
        )
        diff = "" if is_p else _signed(format_number(r["difference"], digits))
        if diff == "NA":
            diff = ""
        rows.append(
            {
                "variable": quantity,
                "row_type": "stat",
                "label": f"{quantity[:1].upper()}{quantity[1:]}: {label}",
                "published": str(r["published"]),
                "recomputed": recomputed,
                "difference": diff,
            }
        )
    cols = (
        Column("published", "Published"),
        Column("recomputed", "Recomputed"),
        Column("difference", "Difference"),
    )
    return Table(
        data=make_frame(rows, [c.id for c in cols]),
        columns=cols,
        title=title,
        stub_header="Quantity",
        footnotes=tuple(Footnote(t) for t in footnotes),
    )


def audit_table(
    audit: Any, *, title: str = "Internal consistency of the published tables"
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
    return Table(
        data=make_frame(rows, [c.id for c in cols]),
        columns=cols,
        title=title,
        stub_header="Location",
    )


def provenance_table(provenance: Any, *, title: str = "Input files") -> Table:
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
    return Table(
        data=make_frame(rows, [c.id for c in cols]),
        columns=cols,
        title=title,
        stub_header="Table",
    )
