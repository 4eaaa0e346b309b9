"""Baseline characteristics of the synthetic cohort (Table 1), allocated with exact counts.

Every categorical Table 1 variable is allocated per treatment line by shuffled allocation of
its resolved counts. Grade and Ki-67 class are allocated jointly (a comonotone table with
both margins exact) so that they agree as the eligibility rules need: unknown grade only with
Ki-67 1–20 %, unknown Ki-67 only with grade 1–2. Ages and cycles are built per line from a
stratified quantile grid and then pinned to the resolved minimum, maximum and median.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from captemstats.synth.allocate import FloatArray, IntArray, northwest_corner, shuffled_codes
from captemstats.synth.targets import TABLE1_LEVELS, Targets

#: Lines larger than this keep the quantile grid's cycles, whose mean and SD fall short of
#: the targets (the grid is truncated to the printed range): ``match_moments`` takes O(n) per
#: unit step and a number of steps proportional to n.
MOMENT_LIMIT = 5000


def joint_grade_ki67(grade: IntArray, ki67: IntArray) -> IntArray:
    """4x4 counts (grade 1, 2, 3, unknown) x (Ki-67 <3, 3-20, 21-55, unknown) with the given
    margins: unknown Ki-67 goes to grade 2 then 1, unknown grade to Ki-67 3-20 then <3, the
    rest by the north-west corner rule (low grade with low Ki-67)."""
    g = grade.astype(np.int64).copy()
    k = ki67.astype(np.int64).copy()
    m = np.zeros((4, 4), dtype=np.int64)
    for gi in (1, 0):  # Ki-67 unknown -> grade 2, then grade 1
        take = min(k[3], g[gi])
        m[gi, 3] += take
        k[3] -= take
        g[gi] -= take
    for ki in (1, 0):  # grade unknown -> Ki-67 3-20, then <3
        take = min(g[3], k[ki])
        m[3, ki] += take
        g[3] -= take
        k[ki] -= take
    if k[3] or g[3]:
        raise ValueError("grade and Ki-67 margins cannot satisfy the eligibility rules")
    m[:3, :3] = northwest_corner(g[:3], k[:3])
    return m


def ki67_values(rng: np.random.Generator, ki_class: IntArray) -> FloatArray:
    """Ki-67 % per class: <3 -> 1.0-2.9 (one decimal), 3-20 and 21-55 -> whole percent."""
    out = np.full(ki_class.size, np.nan)
    lo = ki_class == 0
    out[lo] = np.round(rng.uniform(1.0, 2.9, lo.sum()), 1)
    mid = ki_class == 1
    out[mid] = rng.integers(3, 21, mid.sum())
    hi = ki_class == 2
    out[hi] = rng.integers(21, 56, hi.sum())
    return out


def pinned_values(
    counts: IntArray,
    bounds: list[tuple[float, float]],
    dist: stats.rv_continuous | stats.rv_frozen,
    *,
    median: float | None,
    lowest: float | None,
    highest: float | None,
) -> FloatArray:
    """Sorted whole numbers: ``counts[i]`` values inside ``bounds[i]`` (ordered, disjoint bands)
    on the stratified quantile grid of ``dist`` truncated to the band; the first and last
    values set to ``lowest``/``highest`` and the middle order statistic(s) to ``median`` when
    that stays inside the bands (values only move towards the median, so bands and order hold).
    """
    parts = []
    for n, (a, b) in zip(counts, bounds, strict=True):
        if n == 0:
            continue
        fa, fb = dist.cdf(a - 0.5), dist.cdf(b + 0.5)
        q = fa + (fb - fa) * (np.arange(n) + 0.5) / n
        parts.append(np.clip(np.rint(dist.ppf(q)), a, b))
    v = np.sort(np.concatenate(parts)) if parts else np.zeros(0)
    if v.size == 0:
        return v
    band_of = np.repeat(np.arange(len(counts)), counts)
    if lowest is not None and bounds[band_of[0]][0] <= lowest <= bounds[band_of[0]][1]:
        v[0] = lowest
    if highest is not None and bounds[band_of[-1]][0] <= highest <= bounds[band_of[-1]][1]:
        v[-1] = highest
    if median is not None and v.size >= 3:
        lo_i, hi_i = (v.size - 1) // 2, v.size // 2
        a, b = bounds[band_of[lo_i]]
        same_band = band_of[lo_i] == band_of[hi_i]
        if same_band and a <= median <= b:
            v[: lo_i + 1] = np.minimum(v[: lo_i + 1], median)
            v[hi_i:] = np.maximum(v[hi_i:], median)
            v[lo_i : hi_i + 1] = median
            v = np.sort(v)
    return v


def categorical(rng: np.random.Generator, targets: Targets, line: IntArray) -> dict[str, IntArray]:
    """Level index per patient for every Table 1 categorical variable (exact counts per line)."""
    out: dict[str, IntArray] = {}
    for var in TABLE1_LEVELS:
        if var in ("grade", "ki67_group"):
            continue
        codes = np.empty(line.size, dtype=np.int64)
        for j in range(3):
            sel = np.flatnonzero(line == j)
            codes[sel] = shuffled_codes(rng, targets.table1[var][:, j])
        out[var] = codes
    grade = np.empty(line.size, dtype=np.int64)
    ki = np.empty(line.size, dtype=np.int64)
    for j in range(3):
        sel = np.flatnonzero(line == j)
        m = joint_grade_ki67(targets.table1["grade"][:, j], targets.table1["ki67_group"][:, j])
        cells = shuffled_codes(rng, m.ravel())
        grade[sel], ki[sel] = cells // 4, cells % 4
    out["grade"], out["ki67_group"] = grade, ki
    return out


def _stat(targets: Targets, var: str, stat: str, group: str) -> float | None:
    v = targets.continuous.get((var, stat, group))
    return None if v is None or not np.isfinite(v) else float(v)


def ages(
    rng: np.random.Generator, targets: Targets, line: IntArray, age_group: IntArray
) -> FloatArray:
    """Whole-year ages per patient consistent with the allocated age group, per line pinned to
    the resolved median, minimum and maximum (normal(54, 12) quantile grid within bands)."""
    out = np.empty(line.size)
    dist = stats.norm(54.0, 12.0)
    for j, g in enumerate(("1", "2", "3+")):
        sel = np.flatnonzero(line == j)
        lo = _stat(targets, "age", "min", g) or 18.0
        hi = _stat(targets, "age", "max", g) or 85.0
        bounds = [(min(lo, 49.0), 49.0), (50.0, 70.0), (71.0, max(hi, 71.0))]
        counts = np.bincount(age_group[sel], minlength=3)
        v = pinned_values(
            counts, bounds, dist, median=_stat(targets, "age", "median", g), lowest=lo, highest=hi
        )
        # deal each band's values to the patients of that band in random order
        start = 0
        for b in range(3):
            members = sel[age_group[sel] == b]
            vals = v[start : start + members.size]
            out[members] = rng.permutation(vals)
            start += members.size
    return out


def cycle_values(targets: Targets, n: int, n_one: int, group: str) -> FloatArray:
    """Sorted cycle counts of one line: ``n_one`` patients with exactly 1 cycle (the not
    evaluable), the others >= 2 on a shifted log-normal quantile grid with the resolved mean
    and SD, pinned to the resolved median and maximum, then moved unit by unit to the
    resolved mean and SD (:func:`match_moments`: the grid's rounding and the pinned order
    statistics leave them short otherwise)."""
    mean = _stat(targets, "cycles", "mean", group) or 8.0
    sd = _stat(targets, "cycles", "sd", group) or 7.0
    hi = _stat(targets, "cycles", "max", group) or 60.0
    med = _stat(targets, "cycles", "median", group)
    m = n - n_one
    if m <= 0:
        return np.ones(n)
    total = mean * n - n_one
    sum_sq = (n - 1) * sd**2 + n * mean**2 - n_one
    mu = total / m
    var = max((sum_sq - m * mu**2) / max(m - 1, 1), 1.0)
    shift = 1.5  # values >= 2 after rounding
    s2 = np.log1p(var / max(mu - shift, 0.5) ** 2)
    dist = stats.lognorm(s=np.sqrt(s2), scale=max(mu - shift, 0.5) * np.exp(-s2 / 2), loc=shift)
    v = pinned_values(
        np.array([n_one, m]),
        [(1.0, 1.0), (2.0, max(hi, 2.0))],
        dist,
        median=med,
        lowest=None,
        highest=hi,
    )
    fixed = np.zeros(n, dtype=bool)
    fixed[:n_one] = True  # the not evaluable: exactly one cycle
    fixed[-1] = True  # the printed maximum
    if med is not None and n >= 3:
        fixed[(n - 1) // 2 : n // 2 + 1] = True  # the printed median
    if n > MOMENT_LIMIT:
        return v
    return match_moments(v, fixed, mean, sd, low=2.0, high=max(hi, 2.0))


def match_moments(
    values: FloatArray,
    fixed: npt.NDArray[np.bool_],
    mean: float,
    sd: float,
    *,
    low: float,
    high: float,
) -> FloatArray:
    """Sorted whole numbers moved one unit at a time towards a target mean and SD.

    Each step applies the single +1 or −1 (of an element not ``fixed``, keeping the values
    sorted and inside [``low``, ``high``]) that most reduces (mean − target)² + (SD −
    target)² (sample SD, n − 1); it stops when no step helps. The grid's quantiles keep their
    shape, the pinned order statistics (median, extremes) their values.

    Examples
    --------
    >>> v = np.array([2.0, 3.0, 4.0, 5.0, 9.0])
    >>> out = match_moments(v, np.array([1, 0, 1, 0, 1], bool), 5.0, 3.0, low=2, high=9)
    >>> out.tolist(), float(out.mean()), round(float(out.std(ddof=1)), 2)
    ([2.0, 3.0, 4.0, 7.0, 9.0], 5.0, 2.92)
    """
    v = values.astype(np.float64).copy()
    n = v.size
    if n < 2:
        return v
    total, squares = float(v.sum()), float(np.square(v).sum())

    def badness(t: FloatArray | float, q: FloatArray) -> FloatArray:
        var = np.maximum((q - t * t / n) / (n - 1), 0.0)
        return np.asarray(np.square(t / n - mean) + np.square(np.sqrt(var) - sd), np.float64)

    current = float(badness(np.array([total]), np.array([squares]))[0])
    for _ in range(50 * n):
        nxt = np.r_[v[1:], high]
        prv = np.r_[low, v[:-1]]
        up = ~fixed & (v + 1 <= nxt) & (v + 1 <= high)
        down = ~fixed & (v - 1 >= prv) & (v - 1 >= low)
        b_up = np.where(up, badness(total + 1.0, squares + 2.0 * v + 1.0), np.inf)
        b_down = np.where(down, badness(total - 1.0, squares - 2.0 * v + 1.0), np.inf)
        i_up, i_down = int(np.argmin(b_up)), int(np.argmin(b_down))
        best = min(b_up[i_up], b_down[i_down])
        if not best < current - 1e-15:
            break
        i, step = (i_up, 1.0) if b_up[i_up] <= b_down[i_down] else (i_down, -1.0)
        squares += 2.0 * step * v[i] + 1.0
        total += step
        v[i] += step
        current = float(best)
    return v
