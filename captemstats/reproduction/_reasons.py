"""Why a printed value is not reproduced: the audit finding on it, the methods profile, the
reading of Table 3's labels, or the limits of a synthetic registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from captemstats.reproduction._base import AuditKey

if TYPE_CHECKING:
    from captemstats.audit import AuditResult, Discrepancy

#: The audit checks that question Table 3's reference categories (its labels' direction).
DIRECTION_CHECKS: frozenset[str] = frozenset({"cox_direction_vs_km", "cox_hr_vs_km_medians"})
#: Kinds whose values come from the survival model of a synthetic registry.
SURVIVAL_KINDS: frozenset[str] = frozenset({"median_survival", "hazard_ratio", "months"})

#: The synthetic registry's survival is calibrated to the printed medians, log-rank P values
#: and hazard ratios within the appendix's tolerances (data/README.md), not to their exact
#: prints, the confidence limits or the Cox P values.
SYNTHETIC_SURVIVAL = (
    "synthetic-data limit: survival calibrated to the printed medians, log-rank P and HRs "
    "within tolerance, not to confidence limits or Cox P values"
)
SYNTHETIC_COUNTS = "synthetic-data limit: generated to the audit's resolved values"
UNEXPLAINED = "not explained by the audit or the methods profile"


def audit_index(audit: AuditResult) -> dict[AuditKey, list[Discrepancy]]:
    """The audit's discrepancies keyed by (table, item, field)."""
    out: dict[AuditKey, list[Discrepancy]] = {}
    for d in audit.discrepancies:
        out.setdefault((d.table, d.item, d.field), []).append(d)
    return out


def describe_finding(d: Discrepancy) -> str:
    """``misprint found by the audit (check, consistent value X)`` or ``flagged by the audit
    (check, severity)``.

    Example
    -------
    >>> from captemstats.audit import audit_published
    >>> from captemstats.published import load_published
    >>> d = audit_published(load_published()).discrepancies[0]
    >>> describe_finding(d).startswith("misprint found by the audit (")
    True
    """
    if d.consistent is not None:
        return f"misprint found by the audit ({d.check}, consistent value {d.consistent})"
    return f"flagged by the audit ({d.check}, {d.severity})"


def _method_reason(r: dict[str, Any]) -> str:
    rec, ap = r["verdict"], r["verdict_as_published"]
    if not ap or rec == ap:
        return ""
    if ap == "equal":
        return "method choice: equal as published (chi-square, P truncated)"
    if rec == "equal":
        return "method choice: equal under the recommended profile only"
    return ""


def _reading_reason(r: dict[str, Any], direction_flagged: bool) -> str:
    reading = r["reading"]
    if not reading or (reading == "as labelled" and not direction_flagged):
        return ""
    if reading in ("either", "neither") and not direction_flagged:
        return ""
    text = {
        "as labelled": "as labelled matches",
        "reversed": "reversed (1/HR, CI inverted) matches",
        "either": "both readings match equally",
        "neither": "neither reading matches",
    }[reading]
    return f"label reading: {text}"


def _survival_value(r: dict[str, Any]) -> bool:
    return r["kind"] in SURVIVAL_KINDS or r["table"] == "Table 3" or r["quantity"] == "log-rank P"


def attach_reasons(rows: Sequence[dict[str, Any]], audit: AuditResult, synthetic: bool) -> None:
    """Fill ``reason``, ``audit_check`` and ``audit_item`` of every row (in place).

    A row cites every audit finding on its printed value; a P value of Table 1/2 says which
    methods profile reproduces it; a Table 3 HR or CI says which label reading matches (always
    when the audit questions the row's direction); a value still not equal without any of
    these is put down to the synthetic registry (or left unexplained for a real one).
    """
    index = audit_index(audit)
    findings: list[list[Discrepancy]] = []
    for r in rows:
        found: list[Discrepancy] = []
        for key in r.pop("_audit", ()):
            found += [d for d in index.get(key, []) if d not in found]
        findings.append(found)
    # Table 3 rows (endpoint, term) whose HR the audit questions as to its direction.
    questioned = {
        (r["endpoint"], r["variable"])
        for r, found in zip(rows, findings, strict=True)
        if r["table"] == "Table 3" and any(d.check in DIRECTION_CHECKS for d in found)
    }
    for r, found in zip(rows, findings, strict=True):
        r["audit_check"] = "; ".join(d.check for d in found)
        r["audit_item"] = "; ".join(f"{d.table}:{d.item}:{d.field}" for d in found)
        flagged = (r["endpoint"], r["variable"]) in questioned
        method = _method_reason(r)
        parts = [describe_finding(d) for d in found]
        parts += [p for p in (method, _reading_reason(r, flagged)) if p]
        misprint = any(d.consistent is not None for d in found)
        explained = misprint or bool(method) or r["reading"] == "reversed"
        if r["verdict"] != "equal" and not explained:
            if not synthetic:
                parts.append(UNEXPLAINED)
            elif _survival_value(r):
                parts.append(SYNTHETIC_SURVIVAL)
            else:
                parts.append(SYNTHETIC_COUNTS)
        r["reason"] = "; ".join(parts)  # parts hold no "; " (the appendix splits on it)
