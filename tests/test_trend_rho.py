"""The G-rho log-rank test for trend against R (issue 19, item 4).

References: ``tests/reference/make_trend_rho_reference.R`` (R 4.2.2 / survival 3.5-3): the
trend statistic (s'(O − E))² / s'Vs from ``survdiff(rho = )``'s O, E and variance, on the
veteran data by Karnofsky group (with and without strata), lung by ECOG and the synthetic
cohort by ECOG.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from _compare import assert_close

from captemstats.survival import logrank_trend_test

REF = Path(__file__).parent / "reference"
CASES = pd.read_csv(REF / "trend_rho_reference.csv", dtype={"chisq": str, "U": str, "var": str})


@pytest.mark.parametrize(
    "row",
    [r for _, r in CASES.iterrows()],
    ids=[f"{r.data}-rho{r.rho:g}-strata{r.strata}" for _, r in CASES.iterrows()],
)
def test_trend_test_with_rho_equals_r(row: pd.Series) -> None:
    if row["data"] == "veteran":
        d = pd.read_csv(REF / "veteran.csv")
        args = (d["time"], d["status"], d["karno_grp"])
        strata = d["trt"] if row["strata"] else None
    elif row["data"] == "lung":
        d = pd.read_csv(REF / "lung.csv").dropna(subset=["ph.ecog"])
        args = (d["time"], d["status"] == 2, d["ph.ecog"])
        strata = None
    else:
        d = pd.read_csv(REF / "captem_synthetic.csv").dropna(subset=["ecog"])
        args = (d["pfs_months"], d["pfs_event"], d["ecog"])
        strata = None
    r = logrank_trend_test(*args, strata=strata, rho=float(row["rho"]))
    assert_close(r.chisq, float(row["chisq"]), what="chisq")
    assert r.df == 1
    if row["rho"]:
        assert f"rho = {row['rho']:g}" in r.method.software_equivalent
