"""One internally consistent set of values derived from the print and its audit.

:func:`resolve` turns the printed values plus the audit into :class:`ResolvedValues`, the
tidy tables the synthetic registry is calibrated to; :func:`consistency_problems` lists the
arithmetic rules they must satisfy that they break (none, or :func:`resolve` raises).

How discrepancies are resolved
------------------------------
The rule: prefer the value that makes both the row and the column arithmetic consistent;
when a printed count and its printed percentage disagree and the sums do not decide, keep the
count (counts are what the other cells add up to) and recompute the percentage. Concretely:

* Table 1 counts that break a row *and* a column sum by the same amount are replaced by the
  value that satisfies both (second-line 50–70: 5 -> 59; ≥third-line male: 2 -> 25; second-line
  Ki-67 <3: 33 -> 28; All drug holiday: 5 -> 52). In every case the printed percentage agrees
  with the corrected count, and the recomputed chi-square P reproduces the printed P.
* Percentages are never used as data: every percentage is recomputed from the resolved count.
* Table 2 ORR and DCR are derived as CR + PR and CR + PR + SD (second-line DCR: 77 -> 76,
  which also matches its printed 65.0%). Not-evaluable patients (``NE``) are Table 1's n
  minus Table 2's denominator (2, 1, 1; four in all, as the footnote says).
* Table 4: printed counts are kept (no sum constrains them); a dash or a blank cell is 0.
* Table 1 continuous values: the All age range becomes the union of the line ranges
  (18–82), the All cycle mean and SD become the pooled values (8.07, 7.53), and the
  ≥third-line cycle minimum becomes 1 (a third-line patient had one course and was left out
  of Table 2; the denominator 50 is pinned by 15 = 30.0%).
* Survival medians, log-rank P values and Table 3 are kept as printed (they agree wherever
  they are repeated; Table 3's inconsistencies cannot be corrected from the print).

Only ``consistent`` values are applied, and the inference checks never set one, so the
resolved values do not depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from captemstats.audit.core import AuditResult, Table2Key, count_of, printed_stats
from captemstats.published import (
    AE_BANDS,
    GROUPS,
    LINE_GROUPS,
    TABLE1_LEVELS,
    PublishedDataError,
    PublishedStudy,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass(frozen=True)
class ResolvedValues:
    """The published values made internally consistent (see the module docstring).

    ``table1`` [variable, level, group, n]: integer counts; per-line counts add up to All and
    the levels of every variable to the group n (the ``prior_*`` variables get a derived
    ``no`` level; first-line prior treatment is 0).
    ``table1_continuous`` [variable, stat, group, value].
    ``table2`` [response, group, n]: CR, PR, SD, PD, derived ORR and DCR, and NE (Table 1 n
    minus Table 2 denominator).
    ``table4`` [term, band, n] (dash or blank = 0).
    ``survival`` [endpoint, grouping, group, median_months, p_value] (NaN median = not
    reached; NaN P for the overall curve).
    ``cox`` [endpoint, covariate, hr, lower, upper, p_value] as printed (``<.001`` -> .001).
    """

    table1: pd.DataFrame
    table1_continuous: pd.DataFrame
    table2: pd.DataFrame
    table4: pd.DataFrame
    survival: pd.DataFrame
    cox: pd.DataFrame
    n_per_group: dict[str, int]
    response_denominators: dict[str, int]
    followup_months: dict[str, float]
    excluded: int

    def table1_count(self, variable: str, level: str, group: str) -> int:
        t = self.table1
        hit = t[(t["variable"] == variable) & (t["level"] == level) & (t["group"] == group)]
        if len(hit) != 1:
            raise KeyError((variable, level, group))
        return int(hit["n"].iloc[0])


def _fixes(audit: AuditResult, table: str, *, errors_only: bool = True) -> dict[str, str]:
    """item -> consistent value of the audit's findings on ``table`` (errors only unless
    ``errors_only`` is false)."""
    return {
        d.item: d.consistent
        for d in audit.discrepancies
        if d.table == table
        and d.consistent is not None
        and (d.severity == "error" or not errors_only)
    }


def _table1(study: PublishedStudy, audit: AuditResult) -> pd.DataFrame:
    """Table 1 counts with the audit's corrections, and a derived 'no' level for the
    one-level (prior treatment) variables."""
    import pandas as pd

    n = study.n_per_group()
    fixes = _fixes(audit, "table1")
    rows: list[tuple[str, str, str, int]] = []
    for v in study.table1.variables:
        yes: dict[str, int] = {}
        for lv in v.levels:
            for g, c in lv.cells.items():
                fixed = fixes.get(f"{v.variable}/{lv.level}/{g}")
                count = int(fixed) if fixed is not None else count_of(c)
                rows.append((v.variable, lv.level, g, count))
                yes[g] = count
        if len(v.levels) == 1:  # prior treatments: derive 'no'
            rows += [(v.variable, "no", g, n[g] - yes[g]) for g in GROUPS]
    frame = pd.DataFrame(rows, columns=["variable", "level", "group", "n"])
    return frame.astype({"n": "int64"})


def _table1_continuous(study: PublishedStudy, audit: AuditResult) -> pd.DataFrame:
    """Table 1's continuous values with every consistent value of the audit (warnings
    too: the pooled cycle mean and SD)."""
    import pandas as pd

    fixes = _fixes(audit, "table1_continuous", errors_only=False)
    return pd.DataFrame(
        [
            {
                "variable": key.variable,
                "stat": key.stat,
                "group": key.group,
                "value": float(fixes.get("/".join(key)) or printed.text),
            }
            for key, printed in printed_stats(study).items()
        ]
    )


def _table2(study: PublishedStudy, audit: AuditResult) -> pd.DataFrame:
    """Table 2 counts with the audit's corrections, derived ORR, DCR and NE."""
    import pandas as pd

    n = study.n_per_group()
    den = study.table2_denominators()
    fixes = _fixes(audit, "table2")
    counts: dict[Table2Key, int] = {}
    for r in study.table2.responses[:4]:
        for g, c in r.cells.items():
            fixed = fixes.get(f"{r.response}/{g}")
            counts[Table2Key(r.response, g)] = int(fixed) if fixed is not None else count_of(c)
    for g in GROUPS:
        counts[Table2Key("ORR", g)] = counts[Table2Key("CR", g)] + counts[Table2Key("PR", g)]
        counts[Table2Key("DCR", g)] = counts[Table2Key("ORR", g)] + counts[Table2Key("SD", g)]
        counts[Table2Key("NE", g)] = n[g] - den[g]
    rows = [(key.response, key.group, v) for key, v in counts.items()]
    return pd.DataFrame(rows, columns=["response", "group", "n"]).astype({"n": "int64"})


def _survival(study: PublishedStudy) -> pd.DataFrame:
    """The first print of every median, with its grouping's log-rank P."""
    import numpy as np
    import pandas as pd

    pv = {(p.endpoint, p.grouping): p.value for p in study.survival.p_values}
    seen: dict[tuple[str, str, str], dict[str, object]] = {}
    for m in study.survival.medians:
        seen.setdefault(
            (m.endpoint, m.grouping, m.group),
            {
                "endpoint": m.endpoint,
                "grouping": m.grouping,
                "group": m.group,
                "median_months": np.nan if m.median_months is None else m.median_months,
                "p_value": pv.get((m.endpoint, m.grouping), np.nan),
            },
        )
    return pd.DataFrame(list(seen.values()))


def resolve(study: PublishedStudy, audit: AuditResult | None = None) -> ResolvedValues:
    """One internally consistent set of values: the printed ones with the audit's count
    corrections applied (module docstring, 'How discrepancies are resolved').

    Raises :class:`~captemstats.published.PublishedDataError` if the result is still
    inconsistent (which would mean the audit missed something).
    """
    import pandas as pd

    from captemstats.audit.run import audit_published

    audit = audit if audit is not None else audit_published(study)
    table4 = pd.DataFrame(
        [
            {"term": t.term, "band": band, "n": count_of(c)}
            for t in study.table4.terms
            for band, c in t.cells.items()
        ]
    ).astype({"n": "int64"})
    assert tuple(table4["band"].unique()) == AE_BANDS
    cox = study.cox_frame()[["endpoint", "covariate", "hr", "lower", "upper", "p_value"]]
    fu = {
        t.stat: float(t.value)
        for t in study.text_values
        if t.kind == "months" and t.stat is not None and t.value is not None
    }
    resolved = ResolvedValues(
        table1=_table1(study, audit),
        table1_continuous=_table1_continuous(study, audit),
        table2=_table2(study, audit),
        table4=table4,
        survival=_survival(study),
        cox=cox.reset_index(drop=True),
        n_per_group=study.n_per_group(),
        response_denominators=study.table2_denominators(),
        followup_months=fu,
        excluded=study.study.excluded.value,
    )
    problems = consistency_problems(resolved)
    if problems:
        raise PublishedDataError("resolved values are inconsistent: " + "; ".join(problems))
    return resolved


def _table1_problems(r: ResolvedValues) -> list[str]:
    """Table 1: lines add up to All, levels to the group n, every variable present."""
    out: list[str] = []
    t = r.table1
    wide = t.pivot_table(index=["variable", "level"], columns="group", values="n", aggfunc="sum")
    lines = wide[list(LINE_GROUPS)].sum(axis=1)
    for idx in wide.index[wide["all"] != lines]:
        out.append(f"table1 {idx}: lines sum to {lines[idx]}, All is {wide.loc[idx, 'all']}")
    sums = t.groupby(["variable", "group"])["n"].sum()
    for (var, g), total in zip(sums.index.tolist(), sums.tolist(), strict=True):
        if total != r.n_per_group[g]:
            out.append(f"table1 {var}/{g}: levels sum to {total}, n is {r.n_per_group[g]}")
    if set(t["variable"]) != set(TABLE1_LEVELS):
        out.append("table1 variables incomplete")
    return out


def _table2_problems(r: ResolvedValues) -> list[str]:
    """Table 2: lines add up to All, responses to the denominators, ORR/DCR/NE derived."""
    out: list[str] = []
    w2 = r.table2.pivot_table(index="response", columns="group", values="n", aggfunc="sum")
    for resp in w2.index:
        if w2.loc[resp, "all"] != w2.loc[resp, list(LINE_GROUPS)].sum():
            out.append(f"table2 {resp}: lines do not sum to All")
    for g in GROUPS:
        col = w2[g]
        if col["CR"] + col["PR"] + col["SD"] + col["PD"] != r.response_denominators[g]:
            out.append(f"table2 {g}: responses do not sum to the denominator")
        if col["ORR"] != col["CR"] + col["PR"] or col["DCR"] != col["ORR"] + col["SD"]:
            out.append(f"table2 {g}: ORR/DCR not derived")
        if col["NE"] + r.response_denominators[g] != r.n_per_group[g]:
            out.append(f"table2 {g}: NE + denominator != n")
    return out


def consistency_problems(r: ResolvedValues) -> list[str]:
    """Every arithmetic rule the resolved values must satisfy; returns the broken ones."""
    out = _table1_problems(r) + _table2_problems(r)
    c = r.table1_continuous.set_index(["variable", "stat", "group"])["value"]
    for var in ("age", "cycles"):
        if c[(var, "min", "all")] > min(c[(var, "min", g)] for g in LINE_GROUPS):
            out.append(f"{var}: a line minimum is below the All minimum")
        if c[(var, "max", "all")] < max(c[(var, "max", g)] for g in LINE_GROUPS):
            out.append(f"{var}: a line maximum is above the All maximum")
    for g in GROUPS:
        if r.n_per_group[g] > r.response_denominators[g] and c[("cycles", "min", g)] > 1:
            out.append(f"cycles {g}: one-course patients but minimum > 1")
    if (r.table4["n"] < 0).any() or (r.table2["n"] < 0).any() or (r.table1["n"] < 0).any():
        out.append("negative count")
    return out
