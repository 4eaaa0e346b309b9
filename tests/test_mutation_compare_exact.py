"""Tests that kill surviving mutants of Fisher's exact tests and the 2×2 tests (issue 21):
captemstats.compare._exact, captemstats.compare._network and captemstats.compare.two_by_two.

The expected values are independent of the implementation:

* R's ``fisher.test`` and ``chisq.test(correct = TRUE)`` on 2×2 tables
  (``tests/reference/rmst_reference.csv``, dataset "tables", made by make_rmst_reference.R),
  and the same tables with their columns swapped: given the margins, swapping the columns maps
  x₁₁ to k − x₁₁ and the odds ratio ψ to 1/ψ, so the mirror's estimate and limits are the
  reciprocals of R's (lower ↔ upper), "less" and "greater" trade places and the two-sided P is
  unchanged — this reaches the other end of the support (x₁₁ at its lowest value);
* brute-force enumeration (itertools) of every table with the observed margins for the r×c P,
  of the splits of a column over a node's rows, and of the node network's stages for the
  sizes named in the work-limit messages;
* hand derivations written next to the cases (tables whose every completion is equally
  probable, point-mass laws at ψ = 0 and ψ = ∞).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _compare import assert_close, problem

from captemstats.compare import _exact, chi_square_test, fisher_test
from captemstats.compare._exact import EnumerationTooLarge, _log_factorials
from captemstats.compare._network import (
    _allocation_counts,
    _allocations,
    _two_column_extremes,
    _two_column_values,
    _unique_rows,
)
from captemstats.compare.two_by_two import (
    UNIROOT_TOL,
    Alternative,
    _NCHyper,
    fisher_exact_2x2,
    yates_chi_square_test,
    zeroin,
)
from captemstats.errors import AnalysisError
from captemstats.results import MethodInfo

REF = Path(__file__).parent / "reference"
#: FEXACT's tol (f2xact), on the log-probability scale: R's r×c rule P(t) ≤ P(observed)·e^tol
FEXACT_TOL = 3.45254e-7
ALTERNATIVES: tuple[Alternative, ...] = ("two.sided", "less", "greater")
MIRROR_ALTERNATIVE: dict[str, Alternative] = {
    "two.sided": "two.sided",
    "less": "greater",
    "greater": "less",
}


# -- R's 2×2 reference values -----------------------------------------------------------------


@functools.cache
def tables_reference() -> pd.DataFrame:
    frame = pd.read_csv(REF / "rmst_reference.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["dataset"] == "tables"].copy()
    frame["value"] = [float(v) for v in frame["value"]]  # "Inf" reads as inf
    return frame


def table_names() -> list[str]:
    ref = tables_reference()
    return list(dict.fromkeys(ref.loc[ref["analysis"] == "table", "group"]))


def r_table(name: str) -> np.ndarray[Any, Any]:
    ref = tables_reference()
    cells = ref.loc[(ref["analysis"] == "table") & (ref["group"] == name), "value"]
    return np.asarray(cells, dtype=float).reshape(2, 2, order="F").astype(np.int64)  # R: by column


def r_value(analysis: str, name: str, term: str, stat: str) -> float:
    ref = tables_reference()
    hit = ref[
        (ref["analysis"] == analysis)
        & (ref["group"] == name)
        & (ref["term"] == term)
        & (ref["stat"] == stat)
    ]
    assert len(hit) == 1, (analysis, name, term, stat)
    return float(hit["value"].iloc[0])


def reciprocal(v: float) -> float:
    return math.inf if v == 0 else 1 / v


TABLES = table_names()


@pytest.mark.parametrize("mirror", [False, True], ids=["as R", "columns swapped"])
@pytest.mark.parametrize("name", TABLES)
def test_fisher_2x2_matches_r(name: str, mirror: bool) -> None:
    table = r_table(name)
    if mirror:
        table = table[:, ::-1]
    problems: list[str | None] = []
    for alt in ALTERNATIVES:
        ref_alt = MIRROR_ALTERNATIVE[alt] if mirror else alt
        for lev in (0.95, 0.9):
            res = fisher_exact_2x2(table, alternative=alt, conf_level=lev)
            term = f"{ref_alt}@{lev:g}"
            want = {
                s: r_value("fisher", name, term, s) for s in ("p", "estimate", "lower", "upper")
            }
            if mirror:
                want["estimate"] = reciprocal(want["estimate"])
                want["lower"], want["upper"] = reciprocal(want["upper"]), reciprocal(want["lower"])
            got = {"p": res.p_value, "estimate": res.odds_ratio}
            got |= {"lower": res.lower, "upper": res.upper}
            if mirror and 0 < want["estimate"] < math.inf:
                # the mirror's MLE solves E[x] = x₁₁ from the other end (R's uniroot from ψ = 0
                # instead of ε): equal to R within uniroot's tolerance on the [0, 1] scale of
                # the search, not to rounding (its CI limits solve the same equations as R's)
                near = min(want["estimate"], 1 / want["estimate"])
                assert abs(min(res.odds_ratio, 1 / res.odds_ratio) - near) <= UNIROOT_TOL
                del want["estimate"]
            problems += [
                problem(got[s], w, p_value=s == "p", what=f"{alt}@{lev:g} {s}")
                for s, w in want.items()
            ]
        for psi, label in ((2.0, "2"), (0.0, "0"), (math.inf, "Inf")):
            res = fisher_exact_2x2(
                table, alternative=alt, null_odds_ratio=reciprocal(psi) if mirror else psi
            )
            want_p = r_value("fisher", name, f"{ref_alt}@or{label}", "p")
            problems.append(problem(res.p_value, want_p, p_value=True, what=f"{alt}@or{label}"))
    # the two-sided P of fisher_test's 2×2 path is R's too
    two_sided = r_value("fisher", name, "two.sided@0.95", "p")
    problems.append(problem(fisher_test(table).p_value, two_sided, p_value=True, what="fisher"))
    bad = [p for p in problems if p]
    assert not bad, bad


@pytest.mark.parametrize("name", TABLES)
def test_yates_matches_r(name: str) -> None:
    table = r_table(name)
    res = yates_chi_square_test(table)
    base = chi_square_test(table)
    bad = [
        problem(res.statistic, r_value("chisq_yates", name, "", "statistic"), what="statistic"),
        problem(res.p_value, r_value("chisq_yates", name, "", "p"), p_value=True, what="P"),
    ]
    assert not [b for b in bad if b], bad
    assert res.df == 1 and res.test == "chisq_yates"
    assert res.observed.tolist() == table.tolist()
    assert np.array_equal(res.expected, base.expected)
    assert res.min_expected == base.min_expected
    assert res.n_expected_below_5 == base.n_expected_below_5


# (table, statistic, whether corrected, the note's Y): Y = min(0.5, min |O − E|) is R's YATES;
# a 2×2 table's |O − E| are all equal, so when they are below 0.5 the corrected statistic
# Σ (|O − E| − Y)²/E is 0 and P = 1
YATES_CASES = [
    # E = 12.5 everywhere, |O − E| = 0: no correction, statistic 0
    ("O = E", [[5, 5], [5, 5]], 0.0, False, "0"),
    # rows 5, 3, columns 5, 3, n = 8: E₁₁ = 25/8, |O − E| = 1/8 < 0.5
    ("|O - E| = 1/8", [[3, 2], [2, 1]], 0.0, True, "0.125"),
]


@pytest.mark.parametrize(
    ("case", "table", "statistic", "corrected", "yates"),
    YATES_CASES,
    ids=[c[0] for c in YATES_CASES],
)
def test_yates_correction_is_at_most_the_smallest_deviation(
    case: str, table: list[list[int]], statistic: float, corrected: bool, yates: str
) -> None:
    res = yates_chi_square_test(table)
    assert res.statistic == statistic, case
    assert res.p_value == 1.0
    assert res.method == MethodInfo(
        test="Pearson's chi-square test with Yates' continuity correction",
        continuity_correction=corrected,
        software_equivalent="chisq.test(x, correct = TRUE)",
        notes=(f"correction min(0.5, min|O - E|) = {yates}",),
    )


def test_yates_keeps_the_labels_and_notes_a_half() -> None:
    frame = pd.DataFrame([[12, 5], [7, 14]], index=["yes", "no"], columns=["A", "B"])
    res = yates_chi_square_test(frame)
    assert res.row_labels == ("yes", "no") and res.col_labels == ("A", "B")
    assert res.method.notes == ("correction min(0.5, min|O - E|) = 0.5",)
    assert res.method.continuity_correction is True


@pytest.mark.parametrize("table", [[[10, 4, 6], [3, 9, 8]], [[10, 4], [6, 3], [9, 8]]])
def test_yates_leaves_other_shapes_uncorrected_as_r(table: list[list[int]]) -> None:
    res = yates_chi_square_test(table)
    base = chi_square_test(table)
    assert res.test == "chisq" and res.method.continuity_correction is False
    assert res.statistic == base.statistic and res.p_value == base.p_value
    assert res.df == base.df == 2


# -- fisher_exact_2x2: rules not covered by R's tables ----------------------------------------


def test_balanced_table_has_odds_ratio_one() -> None:
    """[[5, 5], [5, 5]]: at ψ = 1 the mean of x₁₁ is 5 = x₁₁, so the conditional MLE is
    exactly 1 (R returns 1 without a root search)."""
    assert fisher_exact_2x2([[5, 5], [5, 5]]).odds_ratio == 1.0


def test_limit_is_one_when_the_tail_at_one_equals_alpha() -> None:
    """[[1, 1], [1, 1]]: x₁₁ ∈ {0, 1, 2} with probabilities 1/6, 4/6, 1/6 at ψ = 1, so
    P(X ≤ 1) = P(X ≥ 1) = 5/6. With 1 − conf_level = 5/6 the one-sided test at ψ = 1 is on its
    boundary, the inverted limit is ψ = 1 (R returns 1 without a root search)."""
    from scipy.stats import hypergeom

    tail = float(hypergeom(4, 2, 2).cdf(1))
    level = 1 - tail
    assert 1 - level == tail  # the level gives back the tail exactly
    less = fisher_exact_2x2([[1, 1], [1, 1]], alternative="less", conf_level=level)
    greater = fisher_exact_2x2([[1, 1], [1, 1]], alternative="greater", conf_level=level)
    assert (less.lower, less.upper) == (0.0, 1.0)
    assert (greater.lower, greater.upper) == (1.0, math.inf)


def test_noncentral_law_at_the_ends() -> None:
    """ψ = 0 and ψ = ∞ are point masses at the lowest and highest x₁₁ of the support."""
    h = _NCHyper(np.array([[2, 3], [4, 1]]))  # m = 6, n = 4, k = 5: support 1..5
    assert (h.lo, h.hi) == (1, 5)
    assert h.mean(0.0) == 1.0 and h.mean(math.inf) == 5.0
    assert h.p(3, 0.0) == 1.0 and h.p(3, 0.0, upper=True) == 0.0
    assert h.p(1, 0.0, upper=True) == 1.0
    assert h.p(3, math.inf) == 0.0 and h.p(3, math.inf, upper=True) == 1.0
    assert h.p(5, math.inf) == 1.0


SOFTWARE = [
    ({}, "fisher.test(x)"),
    ({"alternative": "less"}, 'fisher.test(x, alternative = "less")'),
    ({"conf_level": 0.9}, "fisher.test(x, conf.level = 0.9)"),
    ({"null_odds_ratio": 2.0}, "fisher.test(x, or = 2)"),
    ({"null_odds_ratio": 0.0}, "fisher.test(x, or = 0)"),
    (
        {"alternative": "greater", "conf_level": 0.8, "null_odds_ratio": 0.5},
        'fisher.test(x, alternative = "greater", conf.level = 0.8, or = 0.5)',
    ),
]


@pytest.mark.parametrize(("options", "call"), SOFTWARE, ids=[c[1] for c in SOFTWARE])
def test_fisher_2x2_records_the_r_call(options: dict[str, Any], call: str) -> None:
    res = fisher_exact_2x2([[3, 1], [1, 3]], **options)
    level = options.get("conf_level", 0.95)
    assert res.method == MethodInfo(
        test="Fisher's exact test",
        ci_method="exact conditional (inverted one-sided tests, Cornfield 1956)",
        conf_level=level,
        software_equivalent=call,
        notes=("odds ratio: conditional maximum-likelihood estimate",),
    )
    assert res.alternative == options.get("alternative", "two.sided")
    assert res.conf_level == level
    assert res.null_odds_ratio == options.get("null_odds_ratio", 1.0)
    assert res.observed.tolist() == [[3, 1], [1, 3]]
    assert res.test == "fisher"


def test_fisher_2x2_frame() -> None:
    res = fisher_exact_2x2([[3, 1], [1, 3]], alternative="less", null_odds_ratio=2.0)
    want = pd.DataFrame(
        [
            {
                "test": "fisher",
                "alternative": "less",
                "p_value": res.p_value,
                "odds_ratio": res.odds_ratio,
                "lower": 0.0,
                "upper": res.upper,
                "conf_level": 0.95,
                "null_odds_ratio": 2.0,
            }
        ]
    )
    pd.testing.assert_frame_equal(res.to_frame(), want)


FISHER_2X2_ERRORS: list[tuple[str, Callable[[], object], str]] = [
    (
        "not 2 x 2",
        lambda: fisher_exact_2x2([[1, 2, 3], [4, 5, 6]]),
        r"^fisher_exact_2x2: the table is \(2, 3\), not 2 x 2 "
        r"\(use captemstats.compare.fisher_test for r x c tables\)$",
    ),
    (
        "alternative",
        lambda: fisher_exact_2x2([[1, 2], [3, 4]], alternative="probit"),  # type: ignore[arg-type]
        r"^alternative 'probit' is not one of 'two.sided', 'less', 'greater'$",
    ),
    ("level 0", lambda: fisher_exact_2x2([[1, 2], [3, 4]], conf_level=0.0), r"^conf_level 0.0 is"),
    (
        "level 1",
        lambda: fisher_exact_2x2([[1, 2], [3, 4]], conf_level=1.0),
        r"^conf_level 1.0 is not in \(0, 1\)$",
    ),
    (
        "negative null",
        lambda: fisher_exact_2x2([[1, 2], [3, 4]], null_odds_ratio=-0.5),
        r"^null_odds_ratio -0.5 must be between 0 and Inf$",
    ),
    (
        "NaN null",
        lambda: fisher_exact_2x2([[1, 2], [3, 4]], null_odds_ratio=math.nan),
        r"^null_odds_ratio nan must be between 0 and Inf$",
    ),
]


@pytest.mark.parametrize(
    ("case", "call", "message"), FISHER_2X2_ERRORS, ids=[c[0] for c in FISHER_2X2_ERRORS]
)
def test_fisher_2x2_errors_name_the_cause(
    case: str, call: Callable[[], object], message: str
) -> None:
    with pytest.raises(AnalysisError, match=message):
        call()


# -- zeroin: R's uniroot ----------------------------------------------------------------------


def sign(x: float) -> float:
    return float((x > 0) - (x < 0))


ZEROIN_ENDS = [
    # R returns an end point whose f is exactly 0 as it is, before any step
    ("root at the lower end", lambda x: x, 0.0, 1.0, 0.0),
    ("root at the upper end", lambda x: x - 1, 0.0, 1.0, 1.0),
    # a straight line: the first secant step lands on the root, where f is exactly 0
    ("line", lambda x: 2 * x - 1, 0.0, 1.0, 0.5),
]


@pytest.mark.parametrize(
    ("case", "f", "lo", "hi", "root"), ZEROIN_ENDS, ids=[c[0] for c in ZEROIN_ENDS]
)
def test_zeroin_exact_roots(
    case: str, f: Callable[[float], float], lo: float, hi: float, root: float
) -> None:
    assert zeroin(f, lo, hi) == root, case


def bisection_as_r(f: Callable[[float], float], ax: float, bx: float, tol: float) -> float:
    """R's zeroin for a function whose |f| is the same everywhere (f = ±1, never 0): it swaps
    b and c only when |f(c)| < |f(b)| and interpolates only when |f(a)| > |f(b)|, so it never
    does either and bisects: b steps halfway to c, c becomes the previous b when the new f(b)
    has c's sign, and b is returned once |c − b|/2 ≤ 2ε|b| + tol/2."""
    eps = float(np.finfo(float).eps)
    b, c = bx, ax
    fc = f(ax)
    while abs((c - b) / 2) > 2 * eps * abs(b) + tol / 2:
        a, b = b, b + (c - b) / 2
        if (f(b) > 0) == (fc > 0):
            c, fc = a, f(a)
    return b


def step_at(jump: float) -> Callable[[float], float]:
    return lambda x: 1.0 if x >= jump else -1.0


# (jump, end points, tol)
BISECTIONS = [
    (math.sqrt(2) / 3, (0.0, 1.0), 1e-4),
    (math.sqrt(2) / 3, (1.0, 0.0), 0.0),
    (0.07480320191876152, (0.0, 1.0), 0.1),
    (1 / 3, (-1.0, 3.0), 1e-9),
    (0.9999, (0.0, 1.0), 0.0),
    (0.5 + 2**-52, (0.0, 1.0), 0.0),
    # b = 0 after one step: tol_act = tol/2 = 0.5 = |c − b|/2 exactly, which stops R
    (0.0, (-1.0, 1.0), 1.0),
]


@pytest.mark.parametrize(("jump", "ends", "tol"), BISECTIONS)
def test_zeroin_bisects_a_step_function_as_r(
    jump: float, ends: tuple[float, float], tol: float
) -> None:
    f = step_at(jump)
    want = bisection_as_r(f, *ends, tol)
    assert zeroin(f, *ends, tol=tol) == want
    # R's documented accuracy: within 4ε|x| + tol of the root
    assert abs(want - jump) <= 4 * np.finfo(float).eps * abs(want) + tol


ZEROIN_ERRORS: list[tuple[str, Callable[[], object], str]] = [
    (
        "same sign",
        lambda: zeroin(lambda x: x + 1, 0.0, 1.0),
        r"^zeroin: f\(\) values at end points not of opposite sign$",
    ),
    (
        "NaN at the lower end",
        lambda: zeroin(lambda x: math.nan if x == 0 else x, 0.0, 1.0),
        "opposite",
    ),
    (
        "NaN at the upper end",
        lambda: zeroin(lambda x: math.nan if x == 1 else x - 2, 0.0, 1.0),
        "opposite",
    ),
    # a jump at 0 with tol = 0: the bracket halves towards 0 and tol_act = 2ε|b| with it, so it
    # never closes in R's 1000 iterations (R warns; this raises)
    (
        "no convergence",
        lambda: zeroin(sign, -1.0, math.sqrt(3), tol=0.0),
        r"^zeroin: not converged in 1000 iterations$",
    ),
]


@pytest.mark.parametrize(
    ("case", "call", "message"), ZEROIN_ERRORS, ids=[c[0] for c in ZEROIN_ERRORS]
)
def test_zeroin_errors(case: str, call: Callable[[], object], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        call()


# -- Fisher's exact P by enumeration of every table with the margins --------------------------


def tables_with_margins(rows: list[int], cols: list[int]) -> list[np.ndarray[Any, Any]]:
    """Every table of non-negative counts with these row and column totals (tiny tables)."""
    out: list[np.ndarray[Any, Any]] = []

    def fill(prefix: list[tuple[int, ...]], left: tuple[int, ...]) -> None:
        j = len(prefix)
        if j == len(cols) - 1:
            out.append(np.array([*prefix, left]).T)
            return
        for x in itertools.product(*(range(r + 1) for r in left)):
            if sum(x) == cols[j]:
                fill([*prefix, x], tuple(r - v for r, v in zip(left, x, strict=True)))

    fill([], tuple(rows))
    return out


def table_probability(t: np.ndarray[Any, Any]) -> Fraction:
    """The multivariate hypergeometric probability Π rᵢ! Π cⱼ! / (n! Π xᵢⱼ!), exactly."""
    num = math.prod(math.factorial(int(v)) for v in (*t.sum(axis=1), *t.sum(axis=0)))
    den = math.factorial(int(t.sum())) * math.prod(math.factorial(int(v)) for v in t.ravel())
    return Fraction(num, den)


def enumerated_p(table: list[list[int]], log_tol: float) -> float:
    """Σ P(t) over the tables with P(t) ≤ P(observed)·e^tol (R's rule: tol = log(1 + 1e-7)
    for 2×2, FEXACT's 3.45254e-7 for r×c)."""
    t = np.array(table)
    obs = table_probability(t)
    total = Fraction(0)
    for other in tables_with_margins(list(t.sum(axis=1)), list(t.sum(axis=0))):
        p = table_probability(other)
        if float(p / obs) <= math.exp(log_tol):
            total += p
    return float(total)


def two_by_two_p(table: list[list[int]]) -> float:
    """R's 2×2 rule over the support of x₁₁: C(m, x) C(n, k − x) ≤ the observed × (1 + 1e-7)."""
    (a, b), (c, d) = table
    m, n, k = a + c, b + d, a + b
    weight = {x: math.comb(m, x) * math.comb(n, k - x) for x in range(max(0, k - n), min(k, m) + 1)}
    obs = weight[a]
    kept = sum(w for w in weight.values() if Fraction(w, obs) <= Fraction(10**7 + 1, 10**7))
    return float(Fraction(kept, sum(weight.values())))


TWO_BY_TWO_P = [
    ("first column total 1", [[1, 2], [0, 3]]),
    ("second column total 1", [[2, 1], [3, 0]]),
    ("both column totals 1", [[1, 0], [0, 1]]),
    # the observed table is the most probable: every table counts and P = 1 (the sum of the
    # normalised probabilities rounds above 1 here)
    ("P = 1", [[1, 3], [2, 3]]),
    ("P = 1, second", [[0, 1], [2, 6]]),
    # log C(600, 300) ≈ 412: weights exp(log d) of this size overflow
    ("large, at the mode", [[300, 300], [300, 300]]),
    ("large", [[320, 280], [290, 310]]),
    ("large, far in the tail", [[400, 200], [200, 400]]),
]


@pytest.mark.parametrize(("case", "table"), TWO_BY_TWO_P, ids=[c[0] for c in TWO_BY_TWO_P])
def test_fisher_2x2_p_equals_enumeration(case: str, table: list[list[int]]) -> None:
    want = two_by_two_p(table)
    got = fisher_test(table)
    assert got.algorithm == "hypergeometric"
    assert_close(got.p_value, want, p_value=True, what=case)
    assert got.p_value <= 1.0
    assert_close(fisher_exact_2x2(table).p_value, want, p_value=True, what=case)


# -- Monte Carlo ------------------------------------------------------------------------------

# tables all of whose tables with the same margins are equally probable, so every simulated
# table is as extreme as the observed one: hits = b and P = (1 + b)/(b + 1) = 1
EQUALLY_PROBABLE = [
    # rows 1, 1, columns 1, 1: −Σ log x! = 0 for both tables
    ("statistic 0", [[1, 0], [0, 1]], 40),
    # rows 1, 3, columns 2, 2: the lone unit of row 1 in either column, −Σ log x! = −log 2
    ("statistic -log 2", [[0, 1], [2, 1]], 40),
    # rows 1, 199 999, columns 100 000, 100 000: the same, over several chunks of simulations
    # (2 000 000 // n = 10 tables per chunk)
    ("large n", [[1, 0], [99_999, 100_000]], 25),
]


@pytest.mark.parametrize(
    ("case", "table", "b"), EQUALLY_PROBABLE, ids=[c[0] for c in EQUALLY_PROBABLE]
)
def test_monte_carlo_counts_every_equally_probable_table(
    case: str, table: list[list[int]], b: int
) -> None:
    res = fisher_test(table, simulate=True, b=b, seed=5)
    assert res.hits == b, case
    assert res.p_value == 1.0
    assert res.b == b and res.seed == 5 and res.simulated


@pytest.mark.parametrize(
    "table", [[[3, 1, 0], [0, 2, 4]], [[4, 1, 1], [0, 3, 4], [1, 0, 3]], [[2, 0], [1, 3], [0, 2]]]
)
def test_monte_carlo_estimates_the_exact_p(table: list[list[int]]) -> None:
    """With b = 2000 draws the simulated P is within 4 standard errors of the enumerated one
    (the seed is fixed: the check is deterministic), and the same seed gives the same draws."""
    exact = enumerated_p(table, FEXACT_TOL)
    b = 2000
    res = fisher_test(table, simulate=True, b=b, seed=11)
    assert res.p_value == (1 + (res.hits or 0)) / (b + 1)
    se = math.sqrt(exact * (1 - exact) / b)
    assert abs(res.p_value - exact) < 4 * se + 1 / (b + 1)
    again = fisher_test(table, simulate=True, b=b, seed=11)
    assert again.hits == res.hits


# -- the node network's building blocks (captemstats.compare._network) ------------------------


def splits(row: tuple[int, ...] | list[int], c: int) -> list[tuple[int, ...]]:
    """Every split x of c over the row totals (0 ≤ xᵢ ≤ rowᵢ, Σ x = c), in lexicographic order."""
    return [x for x in itertools.product(*(range(v + 1) for v in row)) if sum(x) == c]


# (nodes, c): nodes of one stage (rows of equal length, sorted row totals left)
SPLIT_CASES = [
    ("one node", [[1, 2, 2]], 2),
    ("two nodes", [[1, 2, 2], [0, 3, 1]], 2),
    ("a node without splits", [[1, 1, 0], [2, 2, 2], [0, 0, 1]], 3),
    ("c = 0", [[0, 2], [3, 1]], 0),
    ("c = the node total", [[2, 3], [1, 4]], 5),
    ("one row", [[3], [1]], 2),
    ("four rows", [[1, 1, 2, 3], [0, 2, 2, 2]], 4),
]


@pytest.mark.parametrize(("case", "nodes", "c"), SPLIT_CASES, ids=[c[0] for c in SPLIT_CASES])
def test_allocations_are_every_split_in_order(case: str, nodes: list[list[int]], c: int) -> None:
    arr = np.array(nodes, dtype=np.int64)
    parent, x = _allocations(arr, c)
    want = [(i, s) for i, row in enumerate(nodes) for s in splits(row, c)]
    got = [(int(p), tuple(int(v) for v in row)) for p, row in zip(parent, x, strict=True)]
    assert got == want, case
    assert x.shape == (len(want), arr.shape[1])
    counts = _allocation_counts(arr, c)
    assert counts.tolist() == [float(len(splits(row, c))) for row in nodes], case


@pytest.mark.parametrize(("case", "nodes", "c"), SPLIT_CASES, ids=[c[0] for c in SPLIT_CASES])
def test_two_column_values_are_the_completions_log_weights(
    case: str, nodes: list[list[int]], c: int
) -> None:
    """A completion splits c over the rows (x) and leaves row − x to the last column; its value
    is −Σ log xᵢ! − Σ log (rowᵢ − xᵢ)!."""
    arr = np.array(nodes, dtype=np.int64)
    lf = _log_factorials(int(arr.sum()))
    parent, values = _two_column_values(arr, c, lf)
    want = [
        (i, -sum(math.lgamma(v + 1) + math.lgamma(r - v + 1) for v, r in zip(s, row, strict=True)))
        for i, row in enumerate(nodes)
        for s in splits(row, c)
    ]
    assert parent.tolist() == [i for i, _ in want], case
    for got, (_, value) in zip(values, want, strict=True):
        assert_close(float(got), value, what=case)


UNIQUE_CASES = [
    # r·log2(n + 1) < 62: rows packed into one int64 key
    ("packed", [[2, 1], [0, 3], [2, 1], [1, 0], [0, 3]], 3),
    ("packed, one column", [[4], [0], [4], [2]], 4),
    ("packed, n = 1", [[1, 0], [0, 1], [1, 0]], 1),
    ("packed, n = 0", [[0, 0, 0], [0, 0, 0]], 0),
    # 3·log2(2²⁰) = 60: packed keys up to 2⁶⁰, beyond a float's 53 bits
    (
        "packed, large keys",
        [[1048575, 1048574, 1048573], [1, 2, 3], [1048575, 1048574, 1048573]],
        1048575,
    ),
    # 3·log2(2 400 001) ≈ 63.6: a packed key (n + 1)³ − 1 would pass 2⁶³ − 1
    ("too wide to pack", [[0, 0, 2_400_000], [2_400_000, 0, 0], [0, 0, 2_400_000]], 2_400_000),
    # 8·log2(1025) ≈ 80
    ("eight columns", [[1024, 0, 5, 7, 1, 1, 0, 3], [0] * 8, [1024, 0, 5, 7, 1, 1, 0, 3]], 1024),
]


@pytest.mark.parametrize(("case", "rows", "n"), UNIQUE_CASES, ids=[c[0] for c in UNIQUE_CASES])
def test_unique_rows_with_inverse(case: str, rows: list[list[int]], n: int) -> None:
    a = np.array(rows, dtype=np.int64)
    uniq, inv = _unique_rows(a, n)
    assert uniq.dtype == np.int64 and inv.dtype == np.int64
    assert sorted(map(tuple, uniq.tolist())) == sorted(set(map(tuple, rows))), case
    assert uniq[inv].tolist() == rows, case


def completion_values(row: list[int], c: int) -> list[float]:
    return [
        -sum(math.lgamma(v + 1) + math.lgamma(r - v + 1) for v, r in zip(s, row, strict=True))
        for s in splits(row, c)
    ]


# (nodes, c ≤ each node's total): the largest value of the first node of the "exchange" cases
# needs unit exchanges after the proportional start and the greedy completion (found by
# enumeration)
EXTREME_CASES = [
    ("exchange needed, c = 17", [[1, 2, 2, 17], [3, 4, 5, 6], [0, 0, 8, 9]], 17),
    ("exchange needed, c = 12", [[0, 2, 2, 12], [3, 3, 3, 3], [1, 2, 4, 8]], 12),
    ("exchange needed, c = 6", [[0, 1, 1, 1, 6], [1, 1, 1, 1, 4], [0, 0, 0, 0, 7]], 6),
    ("greedy completion", [[1, 1, 1], [3, 4, 5], [0, 2, 9]], 2),
    ("c = 0", [[0, 3], [2, 2]], 0),
    ("c = the node total", [[2, 3], [1, 4]], 5),
]


@pytest.mark.parametrize(("case", "nodes", "c"), EXTREME_CASES, ids=[c[0] for c in EXTREME_CASES])
def test_two_column_extremes_equal_enumeration_per_node(
    case: str, nodes: list[list[int]], c: int
) -> None:
    arr = np.array(nodes, dtype=np.int64)
    lf = _log_factorials(int(arr.sum(axis=1).max()))
    largest, smallest = _two_column_extremes(arr, c, lf)
    for i, row in enumerate(nodes):
        values = completion_values(row, c)
        assert_close(float(largest[i]), max(values), what=f"{case}: largest of {row}")
        assert_close(float(smallest[i]), min(values), what=f"{case}: smallest of {row}")


def test_two_column_extremes_of_no_nodes() -> None:
    largest, smallest = _two_column_extremes(np.zeros((0, 3), np.int64), 2, _log_factorials(4))
    assert largest.shape == smallest.shape == (0,)


# -- the exact r×c enumeration (captemstats.compare._exact) -----------------------------------

# (node counts, chunks) with _CHUNK = 10: a chunk closes after the node at which the running
# total of counts reaches the next multiple of _CHUNK below the grand total
CHUNK_CASES = [
    ("crossing multiples", [6, 6, 6, 15, 1], [(0, 2), (2, 4), (4, 5)]),
    ("reaching multiples exactly", [10, 10, 5], [(0, 1), (1, 2), (2, 3)]),
    ("grand total a multiple", [5, 5], [(0, 2)]),
    ("below one chunk", [3, 4], [(0, 2)]),
    ("one large node", [35], [(0, 1)]),
    ("zero counts", [0, 0, 10, 0], [(0, 4)]),
    ("no nodes", [], []),
]


@pytest.mark.parametrize(("case", "counts", "chunks"), CHUNK_CASES, ids=[c[0] for c in CHUNK_CASES])
def test_node_chunks(
    monkeypatch: pytest.MonkeyPatch, case: str, counts: list[int], chunks: list[tuple[int, int]]
) -> None:
    monkeypatch.setattr(_exact, "_CHUNK", 10)
    assert _exact._node_chunks(np.array(counts, dtype=np.float64)) == chunks, case


def log_weight(cells: Any) -> float:
    """−Σ log x! of some cells (a table's log-probability up to its margins' constant)."""
    return -sum(math.lgamma(int(v) + 1) for v in np.ravel(cells))


def network_sizes(table: list[list[int]]) -> dict[str, list[int]]:
    """The sizes FEXACT's network has for this table, by enumeration, in the order the
    enumeration meets them (rows: the smaller dimension, sorted; columns in ascending order
    of their totals; a node: the sorted row totals left after some columns):

    * ``splits[j]``: the splits of column j + 1 over every node of stage j (j < c − 2);
    * ``last``: the completions (splits of column c − 1) of every node of stage c − 2;
    * ``partial[j]``: the splits of column j + 1 over the partial tables (node, past value)
      left at stage j — those neither settled (every completion as or less probable than the
      observed table: log P ≤ log P_obs + tol) nor dropped (none is) at any stage ≤ j.
    """
    t = np.array(table)
    if t.shape[0] > t.shape[1]:
        t = t.T
    rows = tuple(sorted(int(v) for v in t.sum(axis=1)))
    cols = sorted(int(v) for v in t.sum(axis=0))
    n_col = len(cols)
    threshold = log_weight(t) + FEXACT_TOL

    @functools.cache
    def completions(node: tuple[int, ...], j: int) -> tuple[float, float]:
        values = [log_weight(c) for c in tables_with_margins(list(node), cols[j:])]
        return max(values), min(values)

    def child(node: tuple[int, ...], x: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(r - v for r, v in zip(node, x, strict=True)))

    stages = [{rows}]
    for j in range(n_col - 2):
        stages.append({child(node, x) for node in stages[j] for x in splits(node, cols[j])})
    sizes: dict[str, list[int]] = {
        "splits": [sum(len(splits(v, cols[j])) for v in stages[j]) for j in range(n_col - 2)],
        "last": [sum(len(splits(v, cols[n_col - 2])) for v in stages[n_col - 2])],
        "partial": [],
    }

    def settle(j: int, partials: set[tuple[tuple[int, ...], int]]) -> set[Any]:
        left = set()
        for node, prod in partials:  # the past value is −log prod, prod = Π x! (exact)
            past = -math.log(prod)
            best, worst = completions(node, j)
            if not (past + best <= threshold or past + worst > threshold):
                left.add((node, prod))
        return left

    alive = settle(0, {(rows, 1)})
    for j in range(n_col - 2):
        if not alive:
            break
        sizes["partial"].append(sum(len(splits(node, cols[j])) for node, _ in alive))
        alive = settle(
            j + 1,
            {
                (child(node, x), prod * math.prod(math.factorial(v) for v in x))
                for node, prod in alive
                for x in splits(node, cols[j])
            },
        )
    return sizes


def expected_limit_error(table: list[list[int]], max_work: int) -> str | None:
    """The message of the first size beyond ``max_work`` (the limit is inclusive), if any."""
    sizes = network_sizes(table)
    found = [
        (v, f"splits of column {j + 1} (node network limit 2,000,000)")
        for j, v in enumerate(sizes["splits"])
    ]
    found += [(sizes["last"][0], "completions at the last two columns")]
    found += [(v, f"partial tables at column {j + 1}") for j, v in enumerate(sizes["partial"])]
    for size, what in found:
        if size > max_work:
            r, c = np.array(table).shape
            n = int(np.array(table).sum())
            return (
                f"Fisher's exact test: the exact enumeration of this {r}×{c} table (n = {n}) "
                f"needs {size:,} {what}, more than max_work = {max_work:,}; "
                "use the Monte-Carlo P value (simulate=True)"
            )
    return None


LIMIT_TABLES = [
    # rows 3, 3, columns 2, 2, 2: 3 splits of the first column, children {1, 3} and {2, 2}
    # with 2 + 3 = 5 completions; the observed table is the most probable, so the root settles
    ("2x3", [[1, 1, 1], [1, 1, 1]]),
    ("3x2, reported as given", [[1, 2], [2, 0], [1, 1]]),
    # partial tables outnumber the network's splits at the third column
    ("2x5", [[3, 3, 0, 0, 3], [3, 0, 1, 3, 1]]),
    ("3x4", [[2, 0, 1, 3], [0, 3, 1, 1], [1, 1, 2, 0]]),
]


@pytest.mark.parametrize(("case", "table"), LIMIT_TABLES, ids=[c[0] for c in LIMIT_TABLES])
def test_work_limits_name_the_size_beyond_max_work(case: str, table: list[list[int]]) -> None:
    sizes = network_sizes(table)
    limits = sorted({v + d for vs in sizes.values() for v in vs for d in (-1, 0)})
    want_p = enumerated_p(table, FEXACT_TOL)
    for max_work in limits:
        message = expected_limit_error(table, max_work)
        if message is None:
            assert_close(fisher_test(table, max_work=max_work).p_value, want_p, p_value=True)
        else:
            with pytest.raises(EnumerationTooLarge) as err:
                fisher_test(table, max_work=max_work)
            assert str(err.value) == message, case


@pytest.mark.parametrize("chunk", [8, 6, 2])
def test_expansion_settles_partial_tables_in_chunks_of_at_most_chunk_splits(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Partial tables are expanded in consecutive chunks holding as many whole partial tables
    as fit in _CHUNK splits, and at least one. Rows 10, 10 and columns 2, 2, 2, 2, 2, 10:
    every partial table left before one of the first five columns has 3 splits of it (both
    rows keep at least 2), so with _CHUNK = 8 a chunk holds 2 partial tables (6 splits), the
    last of a stage 1 or 2; with _CHUNK = 6 exactly 2 fit, with _CHUNK = 2 it holds one."""
    table = [[2, 0, 2, 0, 1, 5], [0, 2, 0, 2, 1, 5]]
    monkeypatch.setattr(_exact, "_CHUNK", chunk)
    sizes: dict[int, list[int]] = {}
    settle = _exact._Network.settle

    def spy(net: Any, j: int, node: Any, val: Any, freq: Any) -> Any:
        if j > 0:
            assert node.size > 0, "an empty chunk"
            sizes.setdefault(j, []).append(int(node.size))
        return settle(net, j, node, val, freq)

    monkeypatch.setattr(_exact._Network, "settle", spy)
    assert_close(fisher_test(table).p_value, enumerated_p(table, FEXACT_TOL), p_value=True)
    assert sizes, "no stage was expanded"
    full = 3 * max(1, chunk // 3)
    for j, chunks in sizes.items():
        total = sum(chunks)
        assert total % 3 == 0
        assert chunks == [full] * (total // full) + [total % full] * (total % full > 0), j


RXC_P = [
    # the observed table is the most probable: P = 1, though the probabilities settled at the
    # root sum to a little more than 1 in floating point
    ("P = 1, 2x3", [[0, 0, 2], [1, 2, 3]]),
    ("P = 1, 2x3 second", [[2, 2, 2], [3, 1, 1]]),
    ("P = 1, 3x3", [[3, 1, 1], [4, 2, 1], [4, 2, 0]]),
    ("3x4", [[2, 0, 1, 3], [0, 3, 1, 1], [1, 1, 2, 0]]),
    ("4x3, transposed", [[2, 0, 1], [0, 3, 1], [1, 1, 2], [3, 1, 0]]),
    ("2x5", [[3, 3, 0, 0, 3], [3, 0, 1, 3, 1]]),
]


@pytest.mark.parametrize(("case", "table"), RXC_P, ids=[c[0] for c in RXC_P])
def test_fisher_rxc_p_equals_enumeration(case: str, table: list[list[int]]) -> None:
    res = fisher_test(table)
    assert res.algorithm == "network"
    assert_close(res.p_value, enumerated_p(table, FEXACT_TOL), p_value=True, what=case)
    assert res.p_value <= 1.0


@pytest.mark.parametrize("shape", [(8, 8), (8, 9), (9, 8)])
def test_fisher_rxc_up_to_eight_rows(shape: tuple[int, int]) -> None:
    """An 8×8 identity: with all margins 1 every table is a permutation matrix of probability
    1/8!, so P = 1 (an extra empty column or row is dropped)."""
    table = np.zeros(shape, dtype=np.int64)
    table[np.arange(8), np.arange(8)] = 1
    res = fisher_test(table)
    assert res.algorithm == "network" and res.p_value == 1.0


@pytest.mark.parametrize("shape", [(9, 9), (9, 10), (10, 9)])
def test_fisher_rxc_beyond_eight_rows_raises(shape: tuple[int, int]) -> None:
    table = np.ones(shape, dtype=np.int64)
    with pytest.raises(EnumerationTooLarge) as err:
        fisher_test(table)
    assert str(err.value) == (
        "Fisher's exact test: exact enumeration is limited to tables with at most 8 non-empty "
        f"rows or columns (got {shape[0]}×{shape[1]}); use the Monte-Carlo P value "
        "(simulate=True)"
    )


def test_merge_partials_adds_the_frequencies_of_equal_partial_tables() -> None:
    """Partial tables with the same node and the same past value (to 1e-9: values rounding to
    the same multiple of 1e-9) are one, with their frequencies added; the result is ordered by
    node, then value."""
    node = np.array([2, 0, 2, 1, 0, 2])
    val = np.array([0.25, -1.5, 0.25 + 0.3e-9, 3.0, -1.5, 0.75])
    freq = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    got_node, got_val, got_freq = _exact._merge_partials(node, val, freq)
    assert got_node.tolist() == [0, 1, 2, 2]
    assert got_val.tolist() == [-1.5, 3.0, 0.25, 0.75]
    assert got_freq.tolist() == [18.0, 8.0, 5.0, 32.0]


@pytest.mark.parametrize("n", [0, 1, 7, 40])
def test_log_factorials_cover_zero_to_n_plus_one(n: int) -> None:
    lf = _log_factorials(n)
    assert lf.shape == (n + 2,) and lf.dtype == np.float64
    for k, v in enumerate(lf):
        assert_close(float(v), math.lgamma(k + 1), what=f"log {k}!")
