"""The survival statistics' normal and chi-square tails (captemstats.survival._dist) equal
scipy.stats bit for bit, and a first Kaplan–Meier call on arrays imports neither
scipy.stats nor pandas (issue 20: the first call cost about a second of imports)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from captemstats.survival._dist import chi2_sf, norm_ppf, norm_sf


@pytest.mark.parametrize("df", [1, 2, 3, 5, 8, 17, 50, 2.5, 0, -1])
def test_chi_square_tail_equals_scipy_stats(df: float) -> None:
    x = np.concatenate([np.linspace(-5, 400, 20001), [np.inf, -np.inf, np.nan, 0.0, 1e-300]])
    np.testing.assert_array_equal(chi2_sf(x, df), stats.chi2.sf(x, df))


def test_normal_quantile_and_tail_equal_scipy_stats() -> None:
    q = np.concatenate([np.linspace(0, 1, 20001), [np.nan]])
    np.testing.assert_array_equal(norm_ppf(q), stats.norm.ppf(q))
    x = np.concatenate([np.linspace(-40, 40, 20001), [np.inf, -np.inf, np.nan]])
    np.testing.assert_array_equal(norm_sf(x), stats.norm.sf(x))
    assert float(norm_ppf(0.975)) == float(stats.norm.ppf(0.975))


def test_a_first_kaplan_meier_call_on_arrays_stays_light() -> None:
    code = (
        "import sys, numpy as np\n"
        "from captemstats.survival import kaplan_meier, logrank_test\n"
        "t = np.arange(1, 41, dtype=float); e = np.ones(40)\n"
        "kaplan_meier(t, e)\n"
        "print('scipy.stats' in sys.modules, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
