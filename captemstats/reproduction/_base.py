"""One reproduction row: a printed value, where it is printed, and the value looked up for it."""

from __future__ import annotations

import math
from typing import Any

from captemstats.reproduction.rules import Kind, Rounding, verdict

#: Columns of :meth:`captemstats.reproduction.Reproduction.to_frame`, in order.
COLUMNS: tuple[str, ...] = (
    "quantity",
    "kind",
    "table",
    "location",
    "endpoint",
    "variable",
    "group",
    "published",
    "published_value",
    "recomputed",
    "recomputed_as_published",
    "as_published_printed",
    "recomputed_reversed",
    "difference",
    "verdict",
    "verdict_as_published",
    "verdict_reversed",
    "reading",
    "reason",
    "audit_check",
    "audit_item",
    "disclosure_key",
)

#: An audit lookup key: (audit table, item, field) of :class:`captemstats.audit.Discrepancy`.
AuditKey = tuple[str, str, str]


def number(x: Any) -> float:
    """``x`` as a float; NaN for None, NA or anything not numeric."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return math.nan
    return value


def row(
    quantity: str,
    kind: Kind,
    table: str,
    location: str,
    variable: str,
    group: str,
    printed: str,
    published: Any,
    recomputed: Any,
    *,
    endpoint: str = "",
    audit: tuple[AuditKey, ...] = (),
    disclosure_key: str = "",
    rounding: Rounding = "round",
) -> dict[str, Any]:
    """A row of the reproduction frame (verdict of the value as recomputed; the optional
    columns start empty and are filled by the callers that have them)."""
    pub, rec = number(published), number(recomputed)
    return {
        "quantity": quantity,
        "kind": kind,
        "table": table,
        "location": location,
        "endpoint": endpoint,
        "variable": variable,
        "group": group,
        "published": printed,
        "published_value": pub,
        "recomputed": rec,
        "recomputed_as_published": math.nan,
        "as_published_printed": "",
        "recomputed_reversed": math.nan,
        "difference": rec - pub,
        "verdict": verdict(kind, printed, pub, rec, rounding),
        "verdict_as_published": "",
        "verdict_reversed": "",
        "reading": "",
        "reason": "",
        "audit_check": "",
        "audit_item": "",
        "disclosure_key": disclosure_key,
        "_audit": audit,
    }
