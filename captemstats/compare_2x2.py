"""2×2 table tests equal to R: Yates-corrected chi-square and Fisher's exact test with the
conditional maximum-likelihood odds ratio.

Kept for compatibility: the tests are in :mod:`captemstats.compare.two_by_two`.
"""

from __future__ import annotations

from captemstats.compare.two_by_two import (
    UNIROOT_TOL,
    Alternative,
    Fisher2x2Result,
    fisher_exact_2x2,
    yates_chi_square_test,
    zeroin,
)

__all__ = [
    "UNIROOT_TOL",
    "Alternative",
    "Fisher2x2Result",
    "fisher_exact_2x2",
    "yates_chi_square_test",
    "zeroin",
]
