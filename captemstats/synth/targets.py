"""Calibration targets of the synthetic registry, taken from the resolved published values.

:func:`load_resolved` returns ``captemstats.audit.resolve(study, audit)`` (the audited,
arithmetically consistent published values). :class:`Targets` reshapes those tidy frames
into arrays per treatment line and scales them to any cohort size with the largest-remainder
method, so every N uses the same design and N = 308 reproduces the published counts exactly.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from captemstats.published import COX_COVARIATES as PUBLISHED_COX
from captemstats.published import TABLE1_LEVELS as PUBLISHED_LEVELS
from captemstats.synth.allocate import IntArray, largest_remainder

#: Treatment-line groups, in order.
LINES: tuple[str, ...] = ("1", "2", "3+")
#: Best-response categories of Table 2 (NE = not evaluable, derived as the remainder).
BOR_CODES: tuple[str, ...] = ("NE", "CR", "PR", "SD", "PD")
#: Table 4 bands.
AE_BANDS: tuple[str, ...] = ("grade_1_2", "grade_3", "grade_4", "interruption")
#: Table 3 covariates of the survival model other than the line (modelled by line-specific
#: baselines), in a fixed order.
COX_COVARIATES: tuple[str, ...] = tuple(c for c in PUBLISHED_COX if c != "first_line")
#: Median follow-up (diagnosis to last follow-up or death), Results para 1 and Abstract.
FOLLOWUP_MEDIAN_MONTHS = 41.0

#: Levels of each Table 1 categorical variable, in print order: the published table's levels
#: (:data:`captemstats.published.TABLE1_LEVELS`), completed with "no" where the paper prints
#: only the "yes" row (previous treatments), since every generated patient needs a value.
TABLE1_LEVELS: dict[str, tuple[str, ...]] = {
    variable: levels if len(levels) > 1 else (*levels, "no")
    for variable, levels in PUBLISHED_LEVELS.items()
}


@functools.lru_cache(maxsize=1)
def load_resolved() -> Any:
    """The resolved published values: ``captemstats.audit.resolve(study, audit)`` (computed
    once per process; treat the frames as read-only)."""
    audit = importlib.import_module("captemstats.audit")
    published = importlib.import_module("captemstats.published")
    study = published.load_published()
    return audit.resolve(study, audit.audit_published(study))


@dataclass(frozen=True)
class Targets:
    """Targets per treatment line (index 0, 1, 2 = lines "1", "2", "3+").

    ``line_n``: patients per line; ``table1[var]``: counts (levels x lines); ``continuous``:
    (variable, stat, group) -> value; ``bor``: counts (BOR_CODES x lines) including the not
    evaluable; ``ae``: counts (terms x AE_BANDS); ``medians``: (endpoint, group) -> months;
    ``log_hr``: (endpoint, covariate) -> log hazard ratio.
    """

    line_n: IntArray
    table1: dict[str, IntArray]
    continuous: dict[tuple[str, str, str], float]
    bor: IntArray
    ae_terms: tuple[str, ...]
    ae: IntArray
    medians: dict[tuple[str, str], float]
    log_hr: dict[tuple[str, str], float]
    followup_median_months: float = FOLLOWUP_MEDIAN_MONTHS
    #: (endpoint, grouping, group) -> median months (``None`` = printed "not reached") for
    #: the groupings other than overall and line.
    group_medians: dict[tuple[str, str, str], float | None] = field(default_factory=dict)
    #: (endpoint, grouping) -> printed log-rank P (line included).
    group_p: dict[tuple[str, str], float] = field(default_factory=dict)
    #: The printed range of follow-up (months), when the resolved values hold one.
    followup_range_months: tuple[float, float] | None = None

    @property
    def n(self) -> int:
        return int(self.line_n.sum())

    @classmethod
    def from_resolved(cls, resolved: Any) -> Targets:
        t1 = resolved.table1.copy()
        t1["group"] = t1["group"].astype(str)
        t1["level"] = t1["level"].astype(str)
        sex = t1.loc[(t1["variable"] == "sex") & t1["group"].isin(LINES)]
        line_n = np.array(
            [int(sex.loc[sex["group"] == g, "n"].sum()) for g in LINES], dtype=np.int64
        )
        table1: dict[str, IntArray] = {}
        for var, levels in TABLE1_LEVELS.items():
            sub = t1.loc[(t1["variable"] == var) & t1["group"].isin(LINES)]
            m = np.zeros((len(levels), 3), dtype=np.int64)
            for i, lev in enumerate(levels):
                for j, g in enumerate(LINES):
                    hit = sub.loc[(sub["level"] == lev) & (sub["group"] == g), "n"]
                    if len(hit):
                        m[i, j] = int(hit.iloc[0])
            if levels == ("yes", "no") and not (m[1] > 0).any():
                m[1] = line_n - m[0]  # only "yes" printed (prior therapies)
            if not np.array_equal(m.sum(axis=0), line_n):
                raise ValueError(
                    f"resolved Table 1 {var!r} per-line totals {m.sum(axis=0).tolist()} "
                    f"differ from line sizes {line_n.tolist()}"
                )
            table1[var] = m
        cont = {
            (str(r.variable), str(r.stat), str(r.group)): float(r.value)
            for r in resolved.table1_continuous.itertuples()
            if pd.notna(r.value)
        }
        t2 = resolved.table2.copy()
        t2["group"] = t2["group"].astype(str)
        bor = np.zeros((len(BOR_CODES), 3), dtype=np.int64)
        for i, code in enumerate(BOR_CODES[1:], start=1):
            for j, g in enumerate(LINES):
                hit = t2.loc[(t2["response"] == code) & (t2["group"] == g), "n"]
                bor[i, j] = int(hit.iloc[0]) if len(hit) else 0
        bor[0] = line_n - bor[1:].sum(axis=0)
        if (bor[0] < 0).any():
            raise ValueError("Table 2 evaluable counts exceed the line sizes")
        t4 = resolved.table4
        terms = tuple(dict.fromkeys(str(t) for t in t4["term"]))
        ae = np.zeros((len(terms), len(AE_BANDS)), dtype=np.int64)
        for r in t4.itertuples():
            if str(r.band) in AE_BANDS and pd.notna(r.n):
                ae[terms.index(str(r.term)), AE_BANDS.index(str(r.band))] = int(r.n)
        surv = resolved.survival
        medians: dict[tuple[str, str], float] = {}
        group_medians: dict[tuple[str, str, str], float | None] = {}
        group_p: dict[tuple[str, str], float] = {}
        for r in surv.itertuples():
            grouping, group = str(r.grouping), str(r.group)
            if grouping in ("overall", "line") and pd.notna(r.median_months):
                key = "all" if grouping == "overall" else group
                medians[(str(r.endpoint), key)] = float(r.median_months)
            elif grouping not in ("overall", "line"):
                printed = float(r.median_months) if pd.notna(r.median_months) else None
                group_medians[(str(r.endpoint), grouping, group)] = printed
            if grouping != "overall" and pd.notna(r.p_value):
                group_p[(str(r.endpoint), grouping)] = float(r.p_value)
        log_hr = {
            (str(r.endpoint), str(r.covariate)): float(np.log(float(r.hr)))
            for r in resolved.cox.itertuples()
        }
        fu_raw = getattr(resolved, "followup_months", None)
        fu = (
            fu_raw.get("median", FOLLOWUP_MEDIAN_MONTHS)
            if isinstance(fu_raw, dict)
            else FOLLOWUP_MEDIAN_MONTHS
        )
        fu_range = (
            (float(fu_raw["min"]), float(fu_raw["max"]))
            if isinstance(fu_raw, dict) and "min" in fu_raw and "max" in fu_raw
            else None
        )
        return cls(
            line_n,
            table1,
            cont,
            bor,
            terms,
            ae,
            medians,
            log_hr,
            float(fu),
            group_medians,
            group_p,
            fu_range,
        )

    def scaled(self, n: int) -> Targets:
        """The same design for ``n`` patients: line sizes and every count scaled by the
        largest-remainder method (exactly the published values when n equals the published N)."""
        if n == self.n:
            return self
        line_n = largest_remainder(self.line_n, n)
        table1 = {
            var: np.column_stack([largest_remainder(m[:, j], int(line_n[j])) for j in range(3)])
            for var, m in self.table1.items()
        }
        bor = np.column_stack([largest_remainder(self.bor[:, j], int(line_n[j])) for j in range(3)])
        ae = _scale_adverse(self.ae, n / self.n, int(table1["grade34_ae"][0].sum()))
        return replace(self, line_n=line_n, table1=table1, bor=bor, ae=ae)


def _scale_adverse(ae: IntArray, factor: float, grade34_patients: int) -> IntArray:
    """Table 4 counts (terms x :data:`AE_BANDS`) scaled by ``factor`` with the constraints the
    event generator needs: each band's total is rounded and spread over the terms by largest
    remainder (grade 3 and 4 together); there are at least as many grade 3-4 events as Table
    1's grade 3-4 patients (each of them needs one); a term's interruptions do not exceed its
    grade 1-2 events (an interrupting patient without another event of the term takes one)."""
    out = np.zeros_like(ae)
    severe = ae[:, 1:3]
    n_severe = max(int(np.rint(severe.sum() * factor)), grade34_patients)
    out[:, 1:3] = largest_remainder(severe.ravel(), n_severe).reshape(severe.shape)
    out[:, 0] = largest_remainder(ae[:, 0], int(np.rint(ae[:, 0].sum() * factor)))
    interruption = largest_remainder(ae[:, 3], int(np.rint(ae[:, 3].sum() * factor)))
    out[:, 3] = np.minimum(interruption, out[:, 0])
    return out
