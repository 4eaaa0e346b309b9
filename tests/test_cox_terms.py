"""Cox models with multi-level factor terms against R (issue 19 item 4, issue 17 item 1).

References: ``tests/reference/make_cox_terms_reference.R`` (R 4.2.2 / survival 3.5-3; the
versions it ran with are in ``cox_terms_session.csv``): coefficients and SEs, the joint Wald
test per term (robust with a cluster), the drop-one likelihood-ratio test (``drop1``) and
``cox.zph`` with ``terms = TRUE`` (a factor jointly, its residual combined) and ``FALSE``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _compare import LongReference, check_rows

from captemstats.errors import AnalysisError
from captemstats.survival import Covariate, CoxResult, Factor, cox_ph, cox_zph

REF = Path(__file__).parent / "reference"


REFERENCE = LongReference(REF / "cox_terms_reference.csv")
want = REFERENCE.want


def fitted(model: str) -> CoxResult:
    if model == "veteran":
        d = pd.read_csv(REF / "veteran.csv")
        return cox_ph(d, "time", "status", ["celltype", "karno", "trt"])
    if model.startswith("lung"):
        d = pd.read_csv(REF / "lung.csv").dropna(subset=["time", "status", "ph.ecog", "sex", "age"])
        d["event"] = (d["status"] == 2).astype(int)
        ties = "breslow" if model == "lung_breslow" else "efron"
        return cox_ph(d, "time", "event", [Factor("ph.ecog"), "sex", "age"], ties=ties)
    d = pd.read_csv(REF / "captem_synthetic.csv").dropna(
        subset=["pfs_months", "pfs_event", "grade", "primary_site", "ecog_0_1", "center"]
    )
    return cox_ph(
        d, "pfs_months", "pfs_event", ["grade", "primary_site", "ecog_0_1"], cluster="center"
    )


MODELS = ["veteran", "lung", "lung_breslow", "captem_pfs"]


check = check_rows


@pytest.mark.parametrize("model", MODELS)
def test_factor_coefficients_equal_r(model: str) -> None:
    fit = fitted(model)
    check(list(fit.coef), want(model, "coef"), "coef")
    check(list(np.sqrt(np.diag(fit.var))), want(model, "se"), "se")
    check([fit.loglik], want(model, "loglik"), "loglik")


@pytest.mark.parametrize("model", MODELS)
def test_joint_wald_and_drop_one_lr_per_term_equal_r(model: str) -> None:
    tests = fitted(model).term_tests()
    assert tests.terms == want(model, "wald")["term"].tolist()
    check(list(tests.wald_chisq), want(model, "wald"), "wald")
    assert tests.df.tolist() == [int(v) for v in want(model, "wald_df")["value"]]
    check(list(tests.lr_chisq), want(model, "lr"), "lr")
    assert tests.robust == (model == "captem_pfs")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("terms", [True, False], ids=["terms", "columns"])
def test_zph_by_term_and_by_column_equal_r(model: str, terms: bool) -> None:
    tag = "zph_terms" if terms else "zph_columns"
    z = cox_zph(fitted(model), terms=terms)
    table = z.to_frame()
    check(list(table["chisq"]), want(model, f"{tag}_chisq"), f"{tag} chisq")
    assert table["df"].astype(int).tolist() == [int(v) for v in want(model, f"{tag}_df")["value"]]
    ref_y = want(model, f"{tag}_y")
    assert z.y.shape[1] == ref_y["term"].nunique() == len(z.terms)
    got_y = [float(v) for j in range(z.y.shape[1]) for v in z.y[:, j]]
    check(got_y, ref_y, f"{tag} y")


def test_term_names_say_level_vs_reference_and_the_reference_is_explicit() -> None:
    fit = fitted("veteran")
    assert fit.terms[:3] == [
        "celltype: large vs adeno",
        "celltype: smallcell vs adeno",
        "celltype: squamous vs adeno",
    ]
    assert fit.term_of[:3] == ("celltype",) * 3
    d = pd.read_csv(REF / "veteran.csv")
    other = cox_ph(d, "time", "status", [Factor("celltype", reference="squamous"), "karno"])
    assert other.terms[:3] == [
        "celltype: adeno vs squamous",
        "celltype: large vs squamous",
        "celltype: smallcell vs squamous",
    ]
    # the reference changes the coefficients, not the model: same likelihood, same joint test
    base = cox_ph(d, "time", "status", ["celltype", "karno"])
    assert other.loglik == pytest.approx(base.loglik, rel=1e-12)
    assert other.term_tests().wald_chisq[0] == pytest.approx(
        base.term_tests().wald_chisq[0], rel=1e-9
    )


def test_numeric_codes_as_a_factor_print_whole_numbers() -> None:
    assert fitted("lung").terms[:3] == [
        "ph.ecog: 1 vs 0",
        "ph.ecog: 2 vs 0",
        "ph.ecog: 3 vs 0",
    ]


def test_a_one_column_term_gives_z_squared_and_its_own_lr() -> None:
    fit = fitted("lung")
    tests = fit.term_tests().to_frame().set_index("term")
    assert tests.loc["sex", "wald_chisq"] == pytest.approx(fit.z[3] ** 2, rel=1e-12)
    single = cox_ph(
        pd.read_csv(REF / "veteran.csv"), "time", "status", [Covariate("karno")]
    ).term_tests()
    # dropping the only term leaves the null model: the LR test is the model's own
    assert single.lr_chisq[0] == pytest.approx(
        cox_ph(pd.read_csv(REF / "veteran.csv"), "time", "status", ["karno"]).lr_test.chisq,
        rel=1e-12,
    )


def test_missing_factor_values_are_excluded_and_counted() -> None:
    d = pd.read_csv(REF / "veteran.csv")
    d.loc[:4, "celltype"] = None
    fit = cox_ph(d, "time", "status", ["celltype", "karno"])
    assert (fit.n, fit.n_excluded) == (len(d) - 5, 5)


FACTOR_REFUSALS = {
    "reference that never occurs": (Factor("celltype", reference="oat"), "never occurs"),
    "a value missing from levels": (
        Factor("celltype", levels=("adeno", "large")),
        "are not in levels",
    ),
    "one level only": (Factor("one"), "nothing to compare"),
}


@pytest.mark.parametrize(("term", "match"), FACTOR_REFUSALS.values(), ids=list(FACTOR_REFUSALS))
def test_bad_factors_are_refused_with_the_reason(term: Factor, match: str) -> None:
    d = pd.read_csv(REF / "veteran.csv").assign(one="x")
    with pytest.raises(AnalysisError, match=match):
        cox_ph(d, "time", "status", [term, "karno"])


def test_categorical_columns_keep_their_category_order() -> None:
    d = pd.read_csv(REF / "veteran.csv")
    order = ["squamous", "smallcell", "adeno", "large"]  # R's own level order of veteran
    d["celltype"] = pd.Categorical(d["celltype"], categories=order)
    fit = cox_ph(d, "time", "status", ["celltype", "karno"])
    assert fit.terms[:3] == [f"celltype: {v} vs squamous" for v in order[1:]]
