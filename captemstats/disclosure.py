"""Disclosure control on the counts of one analysis: which published counts a shared version
(``--min-cell K``) must withhold so that no count below K can be recomputed.

The planner works on the analysis result's count frames, never on display strings. Every
count one shared render publishes gets a key (``t1|variable|level|group`` for Table 1,
``t1|N|group`` for the line sizes, ``t2|measure|group`` and ``t2|N|group`` for Table 2,
``t2|NOTEVAL|all`` for the patients not evaluable, ``t4|term|band`` and ``ae|grade34`` for
Table 4, ``att|step|before/excluded/after`` for the attrition steps, ``km|grouping|group``
for the n of a survival group). The study's arithmetic links them (:func:`count_system`):
levels add up to the column n, lines to the all-patients column, CR + PR + SD + non-CR/non-PD
+ PD + NE to the evaluable n, ORR = CR + PR, DCR = ORR + SD + non-CR/non-PD, evaluable +
not evaluable = treated, the attrition arithmetic, a survival group's n = its Table 1 cell.

*Primary suppression*: counts 1..K-1 (printed ``<K``). *Complementary suppression*
(printed ``*``): while an integer programme over the published numbers, the bounds
``1 <= x <= K-1`` of the primary cells and ``0 <= x <= n`` of the others fixes a hidden cell
(its minimum equals its maximum, :func:`scipy.optimize.milp`), the smallest published count
of a relation holding that cell is withheld too (Hundepool et al., *Statistical Disclosure
Control*, Wiley 2012, §7.3 on secondary suppression and the audit by linear programming).
Percentages of a hidden count, and every percentage over a hidden denominator, are withheld
with it by the outputs, so percentages carry no extra relation.

Example
-------
>>> system = CountSystem({"a": 3, "b": 40, "n": 43}, [({"a": 1, "b": 1, "n": -1}, 0.0, 0.0)])
>>> sorted(plan(system, 5).hidden)
['a', 'b']
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.study import CAPTEM_STUDY

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.analysis import StudyAnalysis

#: A linear relation ``lo <= sum(coef * count) <= hi`` between keyed counts.
Relation = tuple[Mapping[str, float], float, float]

LINES: tuple[str, ...] = ("1", "2", "3+")
GROUPS: tuple[str, ...] = ("all", *LINES)
RESPONSE_CODES: tuple[str, ...] = ("CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE")
#: Table 4 bands a relation adds up (any grade = the worst grade of each patient).
AE_GRADES: tuple[str, ...] = ("grade_1_2", "grade_3", "grade_4", "grade_5")
#: The survival groupings whose group sizes are published (the study's, :mod:`captemstats.study`).
SURVIVAL_GROUPINGS: tuple[str, ...] = CAPTEM_STUDY.compared_groupings
#: Table 1's prior-treatment rows (the study's): their "no" rows are printed nowhere.
PRIOR_TREATMENTS: tuple[str, ...] = CAPTEM_STUDY.prior_treatments


@dataclass(frozen=True)
class CountSystem:
    """Keyed counts and the relations between them (see the module docstring)."""

    values: dict[str, int]
    relations: list[Relation] = field(default_factory=list)
    #: Table 1 levels of each categorical variable, in the analysis' order.
    levels: dict[str, list[str]] = field(default_factory=dict)
    #: Counts no output prints (the "no" row of a previous treatment, grade 5 and any-grade
    #: adverse events): unknowns to a reader, never withheld (nothing to withhold).
    unpublished: frozenset[str] = frozenset()
    #: Counts a reader knows without a printed cell (Table 2 prints non-CR/non-PD and NE only
    #: when someone has them: an absent row is 0): constants that cannot be withheld.
    fixed: frozenset[str] = frozenset()

    @property
    def n_max(self) -> int:
        """An upper bound of every count: the largest count (the registry size)."""
        return max(self.values.values(), default=0)


@dataclass(frozen=True)
class Decision:
    """What a shared version withholds: ``primary`` (printed ``<K``) and the complementary
    cells (printed ``*``) of one :class:`CountSystem`, and how many relations were checked."""

    min_cell: int
    primary: frozenset[str]
    hidden: frozenset[str]
    levels: dict[str, list[str]]
    relations_checked: int

    def marker(self, key: str) -> str | None:
        """``"<K"`` for a primary cell, ``"*"`` for a complementary one, else ``None``."""
        if key in self.primary:
            return f"<{self.min_cell}"
        return "*" if key in self.hidden else None

    def is_hidden(self, key: str) -> bool:
        return key in self.hidden


def count_system(res: StudyAnalysis) -> CountSystem:
    """The published counts of ``res`` with the study's arithmetic (module docstring).

    Every relation is checked on the counts themselves: one that does not hold (missing
    values in a variable) is left out rather than assumed.
    """
    import pandas as pd

    v: dict[str, int] = {}
    frame = res.characteristics.to_frame()
    cat = frame[frame["type"] == "categorical"]
    for r in _records(cat):
        v[f"t1|{r['variable']}|{r['level']}|{r['group']}"] = int(r["n"])
    v["t1|N|all"] = res.n
    for line in LINES:
        v[f"t1|N|{line}"] = res.n_by_line.get(line, 0)
    for r in _records(res.response_rates.table):
        group = "all" if r["group"] == "All patients" else str(r["group"])
        v[f"t2|{r['measure']}|{group}"] = int(r["count"])
        v[f"t2|N|{group}"] = int(r["n"])
    v["t2|NOTEVAL|all"] = res.n - v.get("t2|N|all", 0)
    for r in _records(res.adverse.to_frame()):
        v[f"t4|{r['term']}|{r['band']}"] = int(r["n"])
    v["ae|grade34"] = int(res.adverse.grade34_patients)
    att = res.cohort.attrition
    v["att|input"], v["att|excluded"] = int(att.n_input), int(att.n_excluded)
    steps = [step.name for step in att.steps]
    for step in att.steps:
        for col in ("before", "excluded", "after"):
            v[f"att|{step.name}|{col}"] = int(getattr(step, f"n_{col}"))
    for g in SURVIVAL_GROUPINGS:
        for r in _records(res.km("pfs", g).to_frame()):
            v[f"km|{g}|{r['group']}"] = int(r["n"])
    v["km|all|all"] = res.n

    levels = {
        str(var): [str(x) for x in pd.unique(cat.loc[cat["variable"] == var, "level"])]
        for var in pd.unique(cat["variable"])
    }
    rel: list[Relation] = []
    for var, lv in levels.items():
        rel += [({f"t1|{var}|{x}|{g}": 1 for x in lv} | {f"t1|N|{g}": -1}, 0, 0) for g in GROUPS]
        rel += [_line_sum(f"t1|{var}|{x}") for x in lv]
    rel.append(_line_sum("t1|N"))
    for g in GROUPS:
        rel.append(({f"t2|{c}|{g}": 1 for c in RESPONSE_CODES} | {f"t2|N|{g}": -1}, 0, 0))
        rel.append(({f"t2|ORR|{g}": 1, f"t2|CR|{g}": -1, f"t2|PR|{g}": -1}, 0, 0))
        dcr = {f"t2|{c}|{g}": -1 for c in ("CR", "PR", "SD", "NON_CR_NON_PD")}
        rel.append(({f"t2|DCR|{g}": 1} | dcr, 0, 0))
        rel.append(({f"t2|N|{g}": 1, f"t1|N|{g}": -1}, -np.inf, 0))
    rel += [_line_sum(f"t2|{m}") for m in (*RESPONSE_CODES, "ORR", "DCR", "N")]
    rel.append(({"t2|NOTEVAL|all": 1, "t2|N|all": 1, "t1|N|all": -1}, 0, 0))
    for s in steps:
        rel.append(({f"att|{s}|before": 1, f"att|{s}|excluded": -1, f"att|{s}|after": -1}, 0, 0))
    rel += [({f"att|{a}|after": 1, f"att|{b}|before": -1}, 0, 0) for a, b in _pairs(steps)]
    if steps:
        rel.append(({"att|input": 1, f"att|{steps[0]}|before": -1}, 0, 0))
        rel.append(({f"att|{steps[-1]}|after": 1, "t1|N|all": -1}, 0, 0))
    rel.append(({"att|input": 1, "att|excluded": -1, "t1|N|all": -1}, 0, 0))
    for key in [k for k in v if k.startswith("km|")]:
        _, g, level = key.split("|")
        twin = {"all": "t1|N|all", "line_group": f"t1|N|{level}"}.get(g, f"t1|{g}|{level}|all")
        rel.append(({key: 1, twin: -1}, 0, 0))
    rel.append(({"ae|grade34": 1, "t1|grade34_ae|True|all": -1}, 0, 0))
    for term in pd.unique(res.adverse.to_frame()["term"]):
        bands = {f"t4|{term}|{b}": 1.0 for b in AE_GRADES}
        rel.append((bands | {f"t4|{term}|any_grade": -1}, 0, 0))
    unpublished = {f"t1|{var}|False|{g}" for var in PRIOR_TREATMENTS for g in GROUPS}
    unpublished |= {k for k in v if k.endswith(("|any_grade", "|grade_5", "|discontinuation"))}
    kept = [r for r in rel if _holds(r, v)]
    absent = [c for c in RESPONSE_CODES if all(v.get(f"t2|{c}|{g}", 0) == 0 for g in GROUPS)]
    fixed = frozenset(f"t2|{c}|{g}" for c in absent for g in GROUPS) & set(v)
    return CountSystem(v, kept, levels, frozenset(unpublished & set(v)), fixed)


def plan(system: CountSystem, min_cell: int) -> Decision:
    """Primary and complementary suppression of ``system`` at threshold ``min_cell``.

    Iterates: find a hidden cell the published numbers determine (:func:`determined`); withhold
    the smallest published count in a relation holding it (zeros included: a printed ``—`` is
    a published number too); stop when none is determined.

    Parameters
    ----------
    system
        The counts and relations (:func:`count_system`).
    min_cell
        The threshold K (counts 1..K-1 are primary cells).

    Returns
    -------
    Decision
        The withheld keys; no hidden key is determined by the rest.
    """
    primary = frozenset(
        k for k, n in system.values.items() if 0 < n < min_cell and k not in system.unpublished
    )
    hidden = set(primary)
    # Withholding more only widens the feasible set, so a cell found undetermined stays so.
    safe: set[str] = set()
    for _ in range(len(system.values)):
        todo = sorted(hidden - safe)
        target = None
        for key in todo:
            if determined(system, primary, hidden, min_cell, only=key):
                target = key
                break
            safe.add(key)
        if target is None:
            break
        candidates = _candidates(system, hidden, target)
        if not candidates:  # every count around it is withheld already: cannot happen
            raise RuntimeError(f"disclosure: no complementary cell for {target}")
        pick = candidates[0]  # the cheapest (trying each for one that frees the target
        # alone was measured: more cells withheld, 30x slower)
        hidden.add(pick)
    return Decision(min_cell, primary, frozenset(hidden), system.levels, len(system.relations))


def determined(
    system: CountSystem,
    primary: frozenset[str] | set[str],
    hidden: set[str] | frozenset[str],
    min_cell: int,
    *,
    only: str | None = None,
) -> list[str]:
    """The hidden keys whose value the published counts fix over the integers.

    Published counts are constants; a primary cell lies in 1..K-1, another hidden cell in
    0..n, and so is an unpublished count. A key (``only``: just that one) is determined
    when its minimum and maximum under the relations are equal
    (two :func:`scipy.optimize.milp` solves). Relations without a hidden key are skipped.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    unknown = sorted(set(hidden) | system.unpublished)
    index = {k: i for i, k in enumerate(unknown)}
    rows, lo, hi = [], [], []
    for coefs, r_lo, r_hi in system.relations:
        row = np.zeros(len(unknown))
        const = 0.0
        for key, c in coefs.items():
            if key in index:
                row[index[key]] += c
            else:
                const += c * system.values[key]
        if row.any():
            rows.append(row)
            lo.append(r_lo - const)
            hi.append(r_hi - const)
    if not rows:
        return []
    cons = LinearConstraint(np.vstack(rows), lo, hi)
    low = np.array([1.0 if k in primary else 0.0 for k in unknown])
    high = np.array([min_cell - 1.0 if k in primary else system.n_max for k in unknown])
    bounds = Bounds(low, high)
    ints = np.ones(len(unknown))
    found: list[str] = []
    for key in [only] if only is not None else sorted(hidden):
        objective = np.zeros(len(unknown))
        objective[index[key]] = 1.0
        ends = [
            milp(s * objective, constraints=cons, bounds=bounds, integrality=ints) for s in (1, -1)
        ]
        if all(e.status == 0 for e in ends) and round(ends[0].fun) == round(-ends[1].fun):
            found.append(key)
    return found


def _candidates(system: CountSystem, hidden: set[str], target: str) -> list[str]:
    """Published counts sharing a relation with ``target``, then with the hidden cells of
    those relations, ring by ring; within a ring inner cells before margins (column n,
    all-patients column), smallest first, zeros last (a 1..K-1 cell beside a withheld zero is
    still fixed); ties by key, for a reproducible decision."""
    frontier, seen = {target}, set()
    ordered: list[str] = []
    while frontier:
        pool: set[str] = set()
        reached: set[str] = set()
        for i, (coefs, _, _) in enumerate(system.relations):
            if i in seen or not frontier.intersection(coefs):
                continue
            seen.add(i)
            pool |= {
                k
                for k in coefs
                if k not in hidden and k not in system.unpublished and k not in system.fixed
            }
            reached |= {k for k in coefs if k in hidden or k in system.unpublished}
        rank = sorted(pool - set(ordered), key=lambda k: (_cost(system, k), k))
        ordered += rank
        frontier = reached - frontier
    return ordered


def _cost(system: CountSystem, key: str) -> tuple[bool, bool, int]:
    return (system.values[key] == 0, _margin(key), system.values[key])


def _margin(key: str) -> bool:
    return "|N|" in key or key.endswith("|all") or key in ("att|input", "att|excluded")


def _line_sum(prefix: str) -> Relation:
    """The lines add up to the all-patients column: ``prefix|1 + prefix|2 + ... = prefix|all``."""
    return ({f"{prefix}|{g}": 1 for g in LINES} | {f"{prefix}|all": -1}, 0.0, 0.0)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _pairs(items: list[str]) -> list[tuple[str, str]]:
    return list(itertools.pairwise(items))


def _holds(relation: Relation, values: dict[str, int]) -> bool:
    coefs, lo, hi = relation
    if not all(k in values for k in coefs):
        return False
    total = sum(c * values[k] for k, c in coefs.items())
    return bool(lo - 1e-9 <= total <= hi + 1e-9)


def plan_disclosure(res: StudyAnalysis, min_cell: int) -> Decision:
    """:func:`plan` on :func:`count_system` of one analysis: the decision every shared output
    (tables, prose, CSVs) applies."""
    return plan(count_system(res), min_cell)


__all__ = [
    "CountSystem",
    "Decision",
    "count_system",
    "determined",
    "plan",
    "plan_disclosure",
]
