"""Specifications of ``cox_ph`` / ``univariable_cox`` and ``cox_zph`` that the R cross-checks of
test_survival.py leave open (issue 21, mutation testing of survival/cox.py and survival/zph.py).

Every number is R's (survival 3.5; the committed references of ``tests/reference/``: the long
files of ``make_reference.R`` and the weighted, counting-process and factor-term files), an
independent formula applied to R's numbers (scipy's chi-square and normal distributions, the
closed-form Kaplan–Meier of a few rows), a property that follows from the model's definition
(the partial likelihood depends on the times only through their order; a stratum in which a
covariate is constant carries no information on it), or a metadata string printed in the
manuscript's Methods (method names, R equivalents, warnings and errors).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _compare import LongReference, assert_close, check_rows
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from captemstats.errors import AnalysisError
from captemstats.survival import (
    Covariate,
    CoxResult,
    CoxResultCollection,
    Factor,
    cox_ph,
    cox_zph,
    univariable_cox,
)

REF = Path(__file__).parent / "reference"
TERMS = LongReference(REF / "cox_terms_reference.csv")
WEIGHTS = LongReference(REF / "cox_weights_reference.csv")
COUNTING = LongReference(REF / "cox_counting_reference.csv")

FAST = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# ---- R's reference values (long format of make_reference.R) -----------------------------------


@functools.cache
def _long(name: str) -> pd.DataFrame:
    frame = pd.read_csv(REF / f"{name}_reference.csv", dtype=str, keep_default_na=False)
    frame["value"] = [math.nan if v == "NA" else float(v) for v in frame["value"]]
    return frame


@functools.cache
def _index(name: str) -> dict[tuple[str, str, str, str], float]:
    f = _long(name)
    keys = zip(f["analysis"], f["group"], f["term"], f["stat"], strict=True)
    out: dict[tuple[str, str, str, str], float] = {}
    for key, value in zip(keys, f["value"], strict=True):
        assert key not in out, key  # one R value per key
        out[key] = float(value)
    return out


def r(name: str, analysis: str, term: str, stat: str, group: str = "") -> float:
    """One value of ``<name>_reference.csv``."""
    return _index(name)[(analysis, group, term, stat)]


def r_terms(name: str, analysis: str, stat: str) -> list[str]:
    """The terms of an analysis in R's order (rows of ``stat`` with a term)."""
    f = _long(name)
    rows = f[(f["analysis"] == analysis) & (f["stat"] == stat) & (f["group"] == "")]
    return [t for t in rows["term"] if t]


# ---- the datasets as make_reference.R prepares them --------------------------------------------


@functools.cache
def aml() -> pd.DataFrame:
    d = pd.read_csv(REF / "aml.csv")
    return d.assign(event=d["status"])


@functools.cache
def lung() -> pd.DataFrame:
    d = pd.read_csv(REF / "lung.csv")
    return d.assign(event=(d["status"] == 2).astype(int))


AML_X = Covariate(
    "x", level="Maintained", reference="Nonmaintained", label="x[Maintained|Nonmaintained]"
)
ECOG_GROUP = Covariate("ph.ecog", level=(0.0, 1.0), reference=(2.0, 3.0), label="ph.ecog[0,1|2,3]")
LUNG_ALL: list[str | Covariate] = ["age", "sex", "ph.ecog", "wt.loss", ECOG_GROUP]
LUNG_NO_SEX: list[str | Covariate] = ["age", "ph.ecog", "wt.loss", ECOG_GROUP]

#: model -> (dataset, covariates, cox_ph options, R analysis)
MODELS: dict[str, tuple[str, list[Any], dict[str, Any], str]] = {
    "aml_efron": ("aml", [AML_X], {}, "cox_efron"),
    "aml_breslow": ("aml", [AML_X], {"ties": "breslow"}, "cox_breslow"),
    "lung_efron": ("lung", LUNG_ALL, {}, "cox_efron"),
    "lung_cluster": ("lung", LUNG_ALL, {"cluster": "inst"}, "cox_cluster"),
    "lung_strata": ("lung", LUNG_NO_SEX, {"strata": "sex"}, "cox_strata"),
}
DATA = {"aml": aml, "lung": lung}


@functools.cache
def fitted(model: str) -> CoxResult:
    name, covs, opts, _ = MODELS[model]
    return cox_ph(DATA[name](), "time", "event", covs, **opts)


def ref_of(model: str) -> tuple[str, str]:
    name, _, _, analysis = MODELS[model]
    return name, analysis


# ---- CoxResult: its frames and headline ---------------------------------------------------------

FRAME_COLUMNS = [
    "term",
    "column",
    "coef",
    "hr",
    "se",
    "robust_se",
    "lower",
    "upper",
    "z",
    "p_value",
    "n",
    "n_events",
    "concordance",
    "lr_p_value",
]
#: to_frame column -> R's stat in make_reference.R (per term)
PER_TERM = {
    "coef": "coef",
    "hr": "hr",
    "se": "se",
    "lower": "lower",
    "upper": "upper",
    "z": "z",
    "p_value": "p",
}


@pytest.mark.parametrize("model", list(MODELS))
def test_to_frame_is_one_row_per_term_with_rs_numbers(model: str) -> None:
    name, analysis = ref_of(model)
    fit = fitted(model)
    frame = fit.to_frame()
    assert list(frame.columns) == FRAME_COLUMNS
    terms = r_terms(name, analysis, "coef")
    assert frame["term"].tolist() == terms == fit.terms
    assert frame["column"].tolist() == fit.columns
    for col, stat in PER_TERM.items():
        for term, got in zip(terms, frame[col], strict=True):
            assert_close(
                got, r(name, analysis, term, stat), p_value=stat == "p", what=f"{col} {term}"
            )
    robust = "cluster" in MODELS[model][2]
    for term, got in zip(terms, frame["robust_se"], strict=True):
        if robust:
            assert_close(got, r(name, analysis, term, "robust_se"), what=f"robust_se {term}")
        else:
            assert math.isnan(got)  # a column of NA without a robust variance
    assert (frame["n"] == r(name, analysis, "", "n")).all()
    assert (frame["n_events"] == r(name, analysis, "", "n_events")).all()
    for got in frame["concordance"]:
        assert_close(got, r(name, analysis, "", "concordance"), what="concordance")
    for got in frame["lr_p_value"]:
        assert_close(got, r(name, analysis, "", "lr_p"), p_value=True, what="LR P")


@pytest.mark.parametrize("model", list(MODELS))
def test_summary_is_table_3s_columns_of_the_frame(model: str) -> None:
    fit = fitted(model)
    summary = fit.summary()
    assert list(summary.columns) == ["term", "hr", "lower", "upper", "p_value"]
    pd.testing.assert_frame_equal(summary, fit.to_frame()[list(summary.columns)])


@pytest.mark.parametrize(
    ("model", "words"),
    [("aml_efron", "1 term"), ("lung_efron", "5 terms"), ("lung_strata", "4 terms")],
)
def test_repr_headline_counts_terms_n_events_and_the_lr_p(model: str, words: str) -> None:
    name, analysis = ref_of(model)
    n, events = int(r(name, analysis, "", "n")), int(r(name, analysis, "", "n_events"))
    p = r(name, analysis, "", "lr_p")
    assert repr(fitted(model)) == (
        f"<CoxResult: {words}, n = {n}, {events} events, likelihood-ratio P = {p:.3g}; "
        ".summary(), .to_frame()>"
    )


# ---- the global tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(MODELS))
def test_global_tests_have_rs_statistics_p_df_and_scipys_p(model: str) -> None:
    """LR, Wald and score tests on p df (R's summary.coxph); the score test's P, which R does
    not print unrounded, is scipy's chi-square tail of R's statistic."""
    name, analysis = ref_of(model)
    fit = fitted(model)
    p = len(fit.terms)
    assert p == r(name, analysis, "", "lr_df")
    lr, wald, score = fit.lr_test, fit.wald_test, fit.score_test
    assert (lr.df, wald.df, score.df) == (p, p, p)
    assert_close(lr.chisq, r(name, analysis, "", "lr_chisq"), rel=1e-7, what="LR chisq")
    assert_close(lr.p_value, r(name, analysis, "", "lr_p"), p_value=True, what="LR P")
    assert_close(wald.chisq, r(name, analysis, "", "wald_chisq"), what="Wald chisq")
    assert_close(wald.p_value, r(name, analysis, "", "wald_p"), p_value=True, what="Wald P")
    r_score = r(name, analysis, "", "score_chisq")
    assert_close(score.chisq, r_score, what="score chisq")
    assert_close(score.p_value, stats.chi2.sf(r_score, p), p_value=True, what="score P")
    assert_close(fit.loglik, r(name, analysis, "", "loglik"), what="loglik")
    assert_close(fit.loglik_null, r(name, analysis, "", "loglik_null"), what="loglik null")
    assert fit.iterations == r(name, analysis, "", "iter")
    assert fit.converged


def test_robust_score_test_is_rs_rscore_on_p_df() -> None:
    fit = fitted("lung_cluster")
    rs = fit.robust_score_test
    assert rs is not None
    want = r("lung", "cox_cluster", "", "robust_score_chisq")
    assert_close(rs.chisq, want, what="robust score chisq")
    assert rs.df == len(fit.terms) == 5
    assert_close(rs.p_value, stats.chi2.sf(want, 5), p_value=True, what="robust score P")
    assert fitted("lung_efron").robust_score_test is None


def test_cluster_variance_is_the_sandwich_and_naive_var_the_inverse_information() -> None:
    fit = fitted("lung_cluster")
    terms = r_terms("lung", "cox_cluster", "coef")
    for j, term in enumerate(terms):
        assert_close(math.sqrt(fit.var[j, j]), r("lung", "cox_cluster", term, "robust_se"))
        assert_close(math.sqrt(fit.naive_var[j, j]), r("lung", "cox_cluster", term, "se"))
        assert_close(fit.robust_se[j], r("lung", "cox_cluster", term, "robust_se"))  # type: ignore[index]
    plain = fitted("lung_efron")
    np.testing.assert_array_equal(plain.var, plain.naive_var)


@pytest.mark.parametrize(("model", "dataset_rows"), [("lung_efron", 228), ("lung_cluster", 228)])
def test_rows_missing_a_used_column_are_counted_as_excluded(model: str, dataset_rows: int) -> None:
    # lung has 228 rows; R's n is what is left after na.omit (inst is used only with a cluster)
    name, analysis = ref_of(model)
    fit = fitted(model)
    assert fit.n_excluded == dataset_rows - r(name, analysis, "", "n")
    assert fit.n + fit.n_excluded == dataset_rows


@pytest.mark.parametrize("conf_level", [0.8, 0.9, 0.95, 0.99])
def test_confidence_level_sets_the_wald_interval(conf_level: float) -> None:
    """exp(coef ± z_(1-alpha/2) se) with R's coefficient and SE and scipy's normal quantile."""
    fit = cox_ph(aml(), "time", "event", [AML_X], conf_level=conf_level)
    term = "x[Maintained|Nonmaintained]"
    coef, se = r("aml", "cox_efron", term, "coef"), r("aml", "cox_efron", term, "se")
    zc = stats.norm.ppf(1 - (1 - conf_level) / 2)
    assert_close(fit.lower[0], math.exp(coef - zc * se), what="lower")
    assert_close(fit.upper[0], math.exp(coef + zc * se), what="upper")
    assert fit.conf_level == conf_level == fit.method.conf_level


# ---- the method record (printed in the Methods) -------------------------------------------------

METHODS = [
    # (options, variance, software equivalent, notes)
    (
        {},
        "model-based (inverse information)",
        "R survival::coxph(Surv(time, event) ~ terms, ties = 'efron')",
        (),
    ),
    (
        {"ties": "breslow", "strata": "sex"},
        "model-based (inverse information)",
        "R survival::coxph(Surv(time, event) ~ terms + strata(sex), ties = 'breslow')",
        (),
    ),
    (
        {"cluster": "inst"},
        "cluster-robust sandwich (grouped dfbeta)",
        "R survival::coxph(Surv(time, event) ~ terms, ties = 'efron', cluster = inst)",
        ("likelihood-ratio test assumes independence within clusters",),
    ),
    (
        {"weights": "w"},
        "robust sandwich (dfbeta, each subject its own cluster)",
        "R survival::coxph(Surv(time, event) ~ terms, ties = 'efron', weights = w, robust = TRUE)",
        (
            "likelihood-ratio test assumes independence within clusters",
            "case weights from 'w' (weighted Efron/Breslow as R's coxfit6)",
        ),
    ),
    (
        {"start": "t0", "robust": True},
        "robust sandwich (dfbeta, each subject its own cluster)",
        "R survival::coxph(Surv(t0, time, event) ~ terms, ties = 'efron', robust = TRUE)",
        ("likelihood-ratio test assumes independence within clusters",),
    ),
]


@pytest.mark.parametrize(("opts", "variance", "software", "notes"), METHODS)
def test_method_names_the_equivalent_coxph_call(
    opts: dict[str, Any], variance: str, software: str, notes: tuple[str, ...]
) -> None:
    d = lung().assign(w=1 + (np.arange(len(lung())) % 4) / 2, t0=0.0)
    m = cox_ph(d, "time", "event", ["age", "ph.ecog"], conf_level=0.9, **opts).method
    assert m.test == "Cox proportional-hazards regression, Wald test per term"
    assert m.ties == opts.get("ties", "efron")
    assert m.conf_level == 0.9
    assert m.variance == variance
    assert m.software_equivalent == software
    assert m.notes == notes


# ---- R's rule for the robust variance ------------------------------------------------------------

ROBUST_RULE = [
    # (weights, cluster, robust, robust variance used, cluster ignored with a warning)
    (None, None, None, False, False),
    ("integer", None, None, False, False),
    ("fractional", None, None, True, False),
    (None, "karno_grp", None, True, False),
    (None, "karno_grp", False, False, True),
    ("integer", None, True, True, False),
    ("fractional", None, False, False, False),
    (None, None, True, True, False),
]


@pytest.mark.parametrize(("weights", "cluster", "robust", "used", "ignored"), ROBUST_RULE)
def test_variance_is_robust_as_r_decides(
    weights: str | None, cluster: str | None, robust: bool | None, used: bool, ignored: bool
) -> None:
    """R: robust with a cluster or any non-integer weight, unless ``robust`` says otherwise;
    ``cluster`` with ``robust = FALSE`` is ignored with a warning."""
    d = pd.read_csv(REF / "veteran.csv")
    d["integer"] = 1 + np.arange(len(d)) % 3
    d["fractional"] = 1 + (np.arange(len(d)) % 4) / 2
    fit = cox_ph(
        d, "time", "status", ["karno", "trt"], weights=weights, cluster=cluster, robust=robust
    )
    assert (fit.robust_se is not None) == used
    assert (fit.robust_score_test is not None) == used
    if used:
        assert fit.robust_score_test is not None
        assert fit.robust_score_test.df == 2
        assert_close(
            fit.robust_score_test.p_value,
            stats.chi2.sf(fit.robust_score_test.chisq, 2),
            p_value=True,
        )
        np.testing.assert_array_equal(fit.robust_se, np.sqrt(np.diag(fit.var)))
    else:
        np.testing.assert_array_equal(fit.var, fit.naive_var)
    warning = "cluster given with robust=False: the cluster is ignored, as R"
    assert (warning in fit.warnings) == ignored
    if ignored:  # the fit is the one without the cluster, and says so
        assert "cluster" not in fit.method.software_equivalent
        assert fit.method.variance == "model-based (inverse information)"


def test_robust_without_cluster_makes_each_subject_its_own_cluster() -> None:
    """robust = TRUE without a cluster equals a cluster of one row per subject (R)."""
    d = pd.read_csv(REF / "veteran.csv").assign(own=lambda f: np.arange(len(f)))
    alone = cox_ph(d, "time", "status", ["karno", "trt"], robust=True)
    own = cox_ph(d, "time", "status", ["karno", "trt"], cluster="own")
    assert alone.robust_se is not None and own.robust_se is not None
    assert_close(alone.robust_se[0], own.robust_se[0])
    assert_close(alone.robust_se[1], own.robust_se[1])
    assert alone.robust_score_test is not None and own.robust_score_test is not None
    assert_close(alone.robust_score_test.chisq, own.robust_score_test.chisq)


# ---- case weights and counting-process data against R --------------------------------------------


def _fractional(n: int) -> np.ndarray[Any, Any]:
    return 1 + (np.arange(n) % 4) / 2


@functools.cache
def weighted(model: str) -> CoxResult:
    """make_cox_weights_reference.R's models."""
    if model.startswith("lung"):
        d = lung().dropna(subset=["time", "status", "ph.ecog", "sex", "age"])
        d = d.assign(w=_fractional(len(d)))
        ties = "breslow" if model.endswith("breslow") else "efron"
        return cox_ph(d, "time", "event", ["ph.ecog", "sex", "age"], ties=ties, weights="w")
    d = pd.read_csv(REF / "veteran.csv")
    d["w"] = 1 + np.arange(len(d)) % 3
    return cox_ph(d, "time", "status", ["karno", "trt", "age"], weights="w")


@pytest.mark.parametrize("model", ["lung_fractional", "lung_fractional_breslow", "veteran_integer"])
def test_case_weighted_fit_concordance_and_zph_equal_r(model: str) -> None:
    fit = weighted(model)
    want = WEIGHTS.want
    check_rows(list(fit.coef), want(model, "coef"), "coef")
    check_rows([fit.loglik_null, fit.loglik], want(model, "loglik"), "loglik")
    check_rows(list(np.sqrt(np.diag(fit.var))), want(model, "se"), "se")
    check_rows(list(fit.se), want(model, "naive_se"), "model-based se")
    check_rows([fit.score_test.chisq], want(model, "score_test"), "score")
    robust = bool(want(model, "robust")["value"].iloc[0])
    assert (fit.robust_se is not None) == robust
    if robust:
        assert fit.robust_score_test is not None
        check_rows([fit.robust_score_test.chisq], want(model, "robust_score_test"), "rscore")
    conc = want(model, "concordance").set_index("term")["value"]
    for key in ("concordant", "discordant", "tied.x", "tied.y"):
        assert_close(fit.concordance_counts[key], conc[key], what=key)
    zph = cox_zph(fit)
    check_rows(list(zph.to_frame()["chisq"]), want(model, "zph_chisq"), "zph chisq")
    check_rows([float(v) for j in range(3) for v in zph.y[:, j]], want(model, "zph_y"), "zph y")


HEART = ["age", "year", "surgery", "transplant"]


@functools.cache
def heart(model: str) -> CoxResult:
    """make_cox_counting_reference.R's Stanford heart transplant models."""
    d = pd.read_csv(REF / "heart.csv")
    weights = None
    if model == "heart_weighted":
        d["w"] = 1 + (np.arange(len(d)) % 4) / 2
        weights = "w"
    ties = "breslow" if model == "heart_breslow" else "efron"
    return cox_ph(d, "stop", "event", HEART, start="start", weights=weights, ties=ties)


@pytest.mark.parametrize("model", ["heart", "heart_breslow", "heart_weighted"])
def test_counting_process_fit_concordance_and_zph_equal_r(model: str) -> None:
    fit = heart(model)
    want = COUNTING.want
    check_rows(list(fit.coef), want(model, "coef"), "coef")
    check_rows(list(fit.se), want(model, "naive_se"), "model-based se")
    check_rows([fit.loglik_null, fit.loglik], want(model, "loglik"), "loglik")
    conc = want(model, "concordance").set_index("term")["value"]
    for key in ("concordant", "discordant", "tied.x", "tied.y"):
        assert_close(fit.concordance_counts[key], conc[key], what=key)
    assert_close(fit.concordance, conc["concordance"], what="concordance")
    for transform in ("km", "rank", "identity"):
        chisq = list(cox_zph(fit, transform=transform).to_frame()["chisq"])
        check_rows(chisq, want(model, f"zph_{transform}"), f"zph {transform}")


# ---- factor terms: term_of, term_tests and zph by term -----------------------------------------


@functools.cache
def veteran_factor() -> CoxResult:
    d = pd.read_csv(REF / "veteran.csv")
    return cox_ph(d, "time", "status", ["celltype", "karno", "trt"])


def test_factor_columns_name_their_term() -> None:
    fit = veteran_factor()
    assert fit.columns == ["celltype", "celltype", "celltype", "karno", "trt"]
    assert fit.term_of == ("celltype", "celltype", "celltype", "karno", "trt")


def test_term_tests_are_rs_joint_wald_and_drop_one_lr() -> None:
    tests = veteran_factor().term_tests()
    assert tests.terms == ["celltype", "karno", "trt"]
    check_rows(list(tests.wald_chisq), TERMS.want("veteran", "wald"), "wald")
    check_rows(list(tests.lr_chisq), TERMS.want("veteran", "lr"), "lr")
    assert tests.df.tolist() == [3, 1, 1]


@pytest.mark.parametrize(
    ("kwargs", "tag"),
    [({}, "zph_terms"), ({"terms": True}, "zph_terms"), ({"terms": False}, "zph_columns")],
)
def test_zph_method_tests_a_factor_jointly_by_default(kwargs: dict[str, bool], tag: str) -> None:
    z = veteran_factor().zph(**kwargs)
    table = z.to_frame()
    check_rows(list(table["chisq"]), TERMS.want("veteran", f"{tag}_chisq"), tag)
    assert table["df"].tolist() == [int(v) for v in TERMS.want("veteran", f"{tag}_df")["value"]]
    # R's zph$y: a factor's residual combined over its columns (centred on 1), column by column
    assert z.y.shape == (veteran_factor().n_events, len(z.terms))
    got = [float(v) for j in range(z.y.shape[1]) for v in z.y[:, j]]
    check_rows(got, TERMS.want("veteran", f"{tag}_y"), f"{tag} y")


@pytest.mark.parametrize(
    ("args", "kwargs", "analysis"),
    [
        ((), {}, "zph_efron"),
        (("km",), {}, "zph_efron"),
        (("rank",), {}, "zph_efron_rank"),
        ((), {"transform": "identity"}, "zph_efron_identity"),
    ],
)
def test_zph_method_passes_the_transform(
    args: tuple[str, ...], kwargs: dict[str, str], analysis: str
) -> None:
    z = fitted("lung_efron").zph(*args, **kwargs)
    for term, chisq, df, p in zip(z.terms, z.chisq, z.df, z.p_value, strict=True):
        assert_close(chisq, r("lung", analysis, term, "chisq"), what=f"chisq {term}")
        assert df == r("lung", analysis, term, "df")
        assert_close(p, r("lung", analysis, term, "p"), p_value=True, what=f"P {term}")
    assert z.transform == (args or (kwargs.get("transform", "km"),))[0]


# ---- univariable_cox ---------------------------------------------------------------------------

LUNG_UNI = ["age", "sex", "ph.ecog", "wt.loss", ECOG_GROUP]


@functools.cache
def lung_univariable() -> CoxResultCollection:
    return univariable_cox(lung(), "time", "event", LUNG_UNI)


def test_univariable_models_each_equal_rs_own_fit() -> None:
    coll = lung_univariable()
    assert len(coll.results) == 5
    for j, res in enumerate(coll.results, start=1):
        term = r_terms("lung", f"cox_uni_{j}", "coef")
        assert res.terms == term
        assert_close(res.coef[0], r("lung", f"cox_uni_{j}", term[0], "coef"))
        assert res.n == r("lung", f"cox_uni_{j}", "", "n")  # each on its own complete cases


def test_univariable_options_reach_every_model() -> None:
    coll = univariable_cox(aml(), "time", "event", [AML_X, AML_X], ties="breslow", conf_level=0.9)
    term = "x[Maintained|Nonmaintained]"
    zc = stats.norm.ppf(0.95)
    coef, se = r("aml", "cox_breslow", term, "coef"), r("aml", "cox_breslow", term, "se")
    for res in coll.results:
        assert_close(res.coef[0], coef, what="Breslow coef")
        assert_close(res.lower[0], math.exp(coef - zc * se), what="90% lower")
        assert res.method.ties == "breslow"


def test_collection_frames_stack_the_models_in_order() -> None:
    coll = lung_univariable()
    frame = coll.to_frame()
    assert frame["model"].tolist() == [0, 1, 2, 3, 4]
    assert frame["term"].tolist() == ["age", "sex", "ph.ecog", "wt.loss", "ph.ecog[0,1|2,3]"]
    assert list(frame.index) == [0, 1, 2, 3, 4]
    assert list(frame.columns) == [*FRAME_COLUMNS, "model"]
    summary = coll.summary()
    assert list(summary.columns) == ["model", "term", "hr", "lower", "upper", "p_value"]
    pd.testing.assert_frame_equal(summary, frame[list(summary.columns)])
    for j, hr in enumerate(summary["hr"], start=1):
        term = r_terms("lung", f"cox_uni_{j}", "coef")[0]
        assert_close(hr, r("lung", f"cox_uni_{j}", term, "hr"), what=f"HR {term}")


@pytest.mark.parametrize(("covariates", "words"), [([AML_X], "1 model"), ([AML_X] * 3, "3 models")])
def test_collection_repr_counts_models(covariates: list[Covariate], words: str) -> None:
    coll = univariable_cox(aml(), "time", "event", covariates)
    assert repr(coll) == f"<CoxResultCollection: {words}; .summary(), .to_frame()>"


# ---- invariants (hypothesis) ---------------------------------------------------------------------


@st.composite
def cox_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Well-posed one-covariate data: >= 5 deaths at >= 4 distinct times, >= 3 x values."""
    n = draw(st.integers(12, 30))
    time = draw(st.lists(st.integers(1, 60), min_size=n, max_size=n))
    event = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    x = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    d = pd.DataFrame({"time": np.array(time, float), "event": event, "x": np.array(x, float)})
    dead = d.loc[d["event"] == 1, "time"]
    assume(len(dead) >= 5 and dead.nunique() >= 4 and d["x"].nunique() >= 3)
    return d


def _finite_fit(d: pd.DataFrame, col: str, **opts: Any) -> CoxResult | None:
    try:
        fit = cox_ph(d, "time", "event", [col], **opts)
    except AnalysisError:
        return None
    ok = fit.converged and not fit.warnings and abs(fit.coef[0]) < 5
    return fit if ok else None


@FAST
@given(cox_frames(), st.sampled_from(["efron", "breslow"]))
def test_negating_a_covariate_inverts_the_hr_and_swaps_its_interval(
    d: pd.DataFrame, ties: str
) -> None:
    base = _finite_fit(d, "x", ties=ties)
    assume(base is not None)
    assert base is not None
    neg = cox_ph(d.assign(x=-d["x"]), "time", "event", ["x"], ties=ties)
    assert_close(neg.hr[0], 1 / base.hr[0], rel=1e-7, what="HR")
    assert_close(neg.lower[0], 1 / base.upper[0], rel=1e-7, what="lower = 1 / upper")
    assert_close(neg.upper[0], 1 / base.lower[0], rel=1e-7, what="upper = 1 / lower")
    for name in ("lr_test", "wald_test", "score_test"):
        assert_close(getattr(neg, name).chisq, getattr(base, name).chisq, rel=1e-7, what=name)


@FAST
@given(cox_frames(), st.integers(2, 4))
def test_a_common_integer_weight_keeps_the_estimate_and_the_model_variance(
    d: pd.DataFrame, k: int
) -> None:
    """Weight k on every row: each risk-set sum and each death count k times, so the log
    partial likelihood is k (loglik - D log k) for D deaths, the score and information are k
    times theirs: the same beta, the model-based variance divided by k, the LR statistic
    times k and (integer weights) no robust variance."""
    base = _finite_fit(d, "x")
    assume(base is not None)
    assert base is not None
    w = cox_ph(d.assign(w=float(k)), "time", "event", ["x"], weights="w")
    assert w.robust_se is None
    assert_close(w.coef[0], base.coef[0], rel=1e-7, what="coef")
    assert_close(w.naive_var[0, 0], base.naive_var[0, 0] / k, rel=1e-7, what="variance / k")
    deaths = int(d["event"].sum())
    assert_close(w.loglik, k * (base.loglik - deaths * math.log(k)), rel=1e-9, what="loglik")
    assert_close(w.lr_test.chisq, k * base.lr_test.chisq, rel=1e-6, what="k x LR")


# ---- cox_zph ------------------------------------------------------------------------------------

#: (dataset, covariates, R analysis of the Cox model, R analysis of its km-scale zph)
ZPH_MODELS = {
    "aml": ("aml", [AML_X], {}, "zph_efron"),
    "lung": ("lung", LUNG_ALL, {}, "zph_efron"),
    "lung_breslow": ("lung", LUNG_ALL, {"ties": "breslow"}, "zph_breslow"),
    "lung_strata": ("lung", LUNG_NO_SEX, {"strata": "sex"}, "zph_strata"),
}


@functools.cache
def zph_fit(model: str) -> CoxResult:
    name, covs, opts, _ = ZPH_MODELS[model]
    return cox_ph(DATA[name](), "time", "event", covs, **opts)


@pytest.mark.parametrize("model", list(ZPH_MODELS))
def test_zph_table_is_rs_with_the_global_row_last(model: str) -> None:
    name, _, _, analysis = ZPH_MODELS[model]
    z = cox_zph(zph_fit(model))
    table = z.to_frame()
    assert list(table.columns) == ["term", "chisq", "df", "p_value"]
    terms = r_terms(name, analysis, "chisq")
    assert table["term"].tolist() == terms == [*z.terms, "GLOBAL"]
    for term, chisq, df, p in table.itertuples(index=False):
        assert_close(chisq, r(name, analysis, term, "chisq"), what=f"chisq {term}")
        assert df == r(name, analysis, term, "df")
        assert_close(p, r(name, analysis, term, "p"), p_value=True, what=f"P {term}")
    assert z.global_df == len(z.terms) == r(name, analysis, "GLOBAL", "df")
    pd.testing.assert_frame_equal(z.summary(), table)


@pytest.mark.parametrize("model", list(ZPH_MODELS))
def test_zph_without_the_global_test(model: str) -> None:
    name, _, _, analysis = ZPH_MODELS[model]
    z = cox_zph(zph_fit(model), global_=False)
    assert (z.global_chisq, z.global_df, z.global_p_value) == (None, None, None)
    table = z.to_frame()
    assert table["term"].tolist() == z.terms
    for term, chisq in zip(table["term"], table["chisq"], strict=True):
        assert_close(chisq, r(name, analysis, term, "chisq"), what=f"chisq {term}")


@pytest.mark.parametrize(("model", "words"), [("aml", "1 term"), ("lung_strata", "4 terms")])
def test_zph_repr_headline_is_the_global_test(model: str, words: str) -> None:
    name, _, _, analysis = ZPH_MODELS[model]
    chisq, p = r(name, analysis, "GLOBAL", "chisq"), r(name, analysis, "GLOBAL", "p")
    df = int(r(name, analysis, "GLOBAL", "df"))
    assert repr(cox_zph(zph_fit(model))) == (
        f"<ZphResult: {words}, global chi-square {chisq:.4g} on {df} df, P = {p:.3g}; "
        ".summary(), .to_frame()>"
    )


@pytest.mark.parametrize(
    ("model", "resid", "strata"),
    [
        ("aml", "zph_efron_resid", None),
        ("lung", "zph_efron_resid", None),
        ("lung_strata", "zph_strata_resid", "sex"),
    ],
)
def test_residuals_frame_is_rs_zph_y_per_death(model: str, resid: str, strata: str | None) -> None:
    name = ZPH_MODELS[model][0]
    fit = zph_fit(model)
    z = cox_zph(fit)
    frame = z.residuals_frame()
    extra = ["stratum"] if strata else []
    assert list(frame.columns) == ["time", "x", *extra, *z.terms]
    assert len(frame) == fit.n_events
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        assert_close(row.time, r(name, resid, "", "time", group=str(i)), what=f"time {i}")
        assert_close(row.x, r(name, resid, "", "x", group=str(i)), what=f"x {i}")
    for j, term in enumerate(z.terms):
        got = frame[term].to_numpy()
        want = [r(name, resid, term, "y", group=str(i)) for i in range(1, len(frame) + 1)]
        for i, (g, w) in enumerate(zip(got, want, strict=True), start=1):
            assert_close(g, w, what=f"y {term} {i}")
        assert_close(z.var[j, j], r(name, resid, term, "var_diag"), what=f"var {term}")
    if strata:
        # deaths come sorted by stratum (R's order): codes of the sorted stratum values
        d = DATA[name]().dropna(subset=["age", "ph.ecog", "wt.loss"])
        deaths = d.loc[d["event"] == 1, strata].sort_values()
        codes = pd.factorize(deaths, sort=True)[0]
        assert frame["stratum"].tolist() == codes.tolist()
        assert z.strata is not None and z.strata.tolist() == codes.tolist()
    else:
        assert z.strata is None


def test_zph_method_record() -> None:
    for model, ties in [("lung", "efron"), ("lung_breslow", "breslow")]:
        for transform in ("km", "rank", "identity", "log"):
            z = cox_zph(zph_fit(model), transform=transform)
            assert z.transform == transform
            m = z.method
            assert m.test == (
                "Grambsch–Therneau score test of proportional hazards (per term and global)"
            )
            assert m.ties == ties
            assert m.variance == "model-based information at the fitted coefficients"
            assert m.software_equivalent == f"R survival::cox.zph(transform='{transform}')"
            assert m.notes == (
                f"time transform: {transform}",
                "exact score test (R >= 3.0), not the scaled-residual approximation of lifelines",
            )


# ---- the log transform: g(t) = log t ------------------------------------------------------------


def _aml_m() -> pd.DataFrame:
    return aml().assign(m=(aml()["x"] == "Maintained").astype(float))


@pytest.mark.parametrize("scale", [1.0, 0.01, 1 / 365.25])
def test_log_transform_is_the_identity_transform_on_log_time(scale: float) -> None:
    """The partial likelihood depends on the times only through their order, so the fit on
    s·t equals the fit on log t; log(s·t) = log t + log s and g is centred, so cox.zph's log
    scale on s·t is its identity scale on log t (aml: every time >= 5, log t > 0). Times
    below 1 (s < 1) have negative logs and are valid."""
    d = _aml_m()
    on_log = cox_zph(cox_ph(d.assign(time=np.log(d["time"])), "time", "event", ["m"]), "identity")
    logged = cox_zph(cox_ph(d.assign(time=scale * d["time"]), "time", "event", ["m"]), "log")
    assert_close(logged.chisq[0], on_log.chisq[0], what="chisq")
    assert logged.global_chisq is not None and on_log.global_chisq is not None
    assert_close(logged.global_chisq, on_log.global_chisq, what="global chisq")
    np.testing.assert_allclose(logged.x, np.log(scale * d["time"][d["event"] == 1].sort_values()))


def test_log_transform_needs_positive_times() -> None:
    d = _aml_m()
    d.loc[0, "time"] = 0.0  # a death at time 0 is a valid Cox model, but has no log
    fit = cox_ph(d, "time", "event", ["m"])
    with pytest.raises(AnalysisError, match=r"^cox_zph: transform 'log' needs positive times$"):
        cox_zph(fit, transform="log")
    assert cox_zph(fit, transform="identity").x[0] == 0.0


@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
def test_identity_rank_and_km_transforms_equal_r_on_aml(transform: str) -> None:
    analysis = {"km": "zph_efron", "rank": "zph_efron_rank", "identity": "zph_efron_identity"}
    z = cox_zph(zph_fit("aml"), transform=transform)
    term = "x[Maintained|Nonmaintained]"
    assert_close(z.chisq[0], r("aml", analysis[transform], term, "chisq"))
    assert_close(z.p_value[0], r("aml", analysis[transform], term, "p"), p_value=True)


def test_km_scale_is_one_minus_the_left_continuous_km_of_all_times() -> None:
    """Hand-computed on five rows: S drops at deaths 1 (x 4/5) and 3 (x 2/3): g(t) = 1 - S(t-)
    is 0 at t = 1, 1/5 at t = 3 (the censoring at 2 does not move S) and 1 - 8/15 at t = 4."""
    d = pd.DataFrame(
        {"time": [1.0, 2.0, 3.0, 4.0, 5.0], "event": [1, 0, 1, 1, 0], "x": [1.0, 0, 1, 0, 2]}
    )
    z = cox_zph(cox_ph(d, "time", "event", ["x"]), transform="km")
    np.testing.assert_allclose(z.x, [0.0, 1 / 5, 1 - 8 / 15], rtol=1e-14, atol=1e-15)
    ranks = cox_zph(cox_ph(d, "time", "event", ["x"]), transform="rank").x
    assert ranks.tolist() == [1.0, 3.0, 4.0]  # among all five observed times


def test_rank_scale_averages_tied_times() -> None:
    d = pd.DataFrame(
        {
            "time": [1.0, 2.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0],
            "event": [1, 1, 0, 1, 1, 1, 0, 1],
            "x": [1.0, 0.0, 2.0, 1.0, 0.0, 2.0, 1.0, 0.0],
        }
    )
    z = cox_zph(cox_ph(d, "time", "event", ["x"]), transform="rank")
    assert z.x.tolist() == [1.0, 3.0, 3.0, 5.0, 6.0, 7.5]  # ranks of the deaths' times


# ---- refusals ----------------------------------------------------------------------------------


def test_unknown_transform_is_refused_naming_the_choices() -> None:
    with pytest.raises(
        AnalysisError,
        match=r"^cox_zph: transform 'bogus' is not one of \('km', 'rank', 'identity', 'log'\)$",
    ):
        cox_zph(zph_fit("aml"), transform="bogus")


def test_a_result_without_its_fitted_data_is_refused() -> None:
    bare = dataclasses.replace(zph_fit("aml"), _fit=None)
    with pytest.raises(AnalysisError, match=r"^cox_zph: the Cox result carries no fitted data$"):
        cox_zph(bare)


def test_aliased_coefficients_are_refused_naming_them() -> None:
    d = _aml_m().assign(m2=lambda f: 2 * f["m"] + 1, z=lambda f: np.arange(len(f)) % 3)
    fit = cox_ph(d, "time", "event", ["m", "z", "m2"])
    assert np.isnan(fit.coef[2]) and not np.isnan(fit.coef[:2]).any()
    with pytest.raises(
        AnalysisError,
        match=(
            r"^cox_zph: the model has coefficients that are not estimable \(NA\): \['m2'\]; "
            r"refit without them$"
        ),
    ):
        cox_zph(fit)


UNDEFINED = (
    r"^cox_zph: the proportional-hazards test is undefined for \['v'\]: the covariate varies "
    r"within the risk set at fewer than two distinct transformed event times$"
)


def test_a_covariate_informative_at_one_event_time_only_is_refused() -> None:
    # the subject with v = 1 is censored at 1.5: v varies in the risk set at t = 1 only
    d = pd.DataFrame(
        {
            "time": [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            "event": [1, 0, 1, 1, 1, 1, 1, 1],
            "v": [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            "u": [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0],
        }
    )
    for cols in (["v"], ["u", "v"]):
        fit = cox_ph(d, "time", "event", cols)
        for transform in ("km", "rank", "identity", "log"):
            with pytest.raises(AnalysisError, match=UNDEFINED):
                cox_zph(fit, transform=transform)
    cox_zph(cox_ph(d, "time", "event", ["u"]))  # u varies at several times: defined


def test_a_test_that_is_defined_but_numerically_unidentifiable_is_refused() -> None:
    """v varies in the risk set at the first two deaths only, 1e-5 apart on the identity
    scale and 4,000 from the deaths' mean: x·g(t) is v times a constant to 1 part in 1e8
    wherever v carries information, so the Schur complement I_gg - I_g' I^-1 I_g is
    rounding noise (below 1e-8 of I_gg) and the test is refused, for v alone and next to u.
    On the km and rank scales the two g values are 1/7 apart and the test is defined."""
    d = pd.DataFrame(
        {
            "time": [1000.0, 1000.00001, 5000.0, 6000.0, 7000.0, 8000.0, 9000.0],
            "event": [1, 1, 1, 1, 1, 0, 1],
            "v": [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            "u": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0],
        }
    )
    for cols in (["v"], ["u", "v"]):
        fit = cox_ph(d, "time", "event", cols)
        for transform in ("identity", "log"):
            with pytest.raises(AnalysisError, match=UNDEFINED):
                cox_zph(fit, transform=transform)
        for transform in ("km", "rank"):
            assert np.isfinite(cox_zph(fit, transform=transform).chisq).all()


# ---- scaled Schoenfeld residuals with strata in which a covariate is constant -------------------


def _veteran_strata() -> pd.DataFrame:
    d = pd.read_csv(REF / "veteran.csv")
    return d.assign(k=np.where(d["trt"] == 2, 50.0, d["karno"]))  # k constant when trt = 2


def test_a_covariate_constant_in_a_stratum_has_no_residual_there() -> None:
    """A stratum where k is constant adds nothing to k's partial likelihood or information,
    and R weights vmean by the deaths of the strata where k varies: k's residuals in trt 1
    are those of the model fitted to trt 1 alone, NaN (R's NA) in trt 2."""
    d = _veteran_strata()
    z = cox_zph(cox_ph(d, "time", "status", ["k"], strata="trt"))
    alone = cox_zph(cox_ph(d[d["trt"] == 1], "time", "status", ["k"]))
    deaths_1 = int(d.loc[d["trt"] == 1, "status"].sum())
    deaths_2 = int(d.loc[d["trt"] == 2, "status"].sum())
    assert z.strata is not None
    assert z.strata.tolist() == [0] * deaths_1 + [1] * deaths_2
    assert np.isnan(z.y[deaths_1:, 0]).all()
    np.testing.assert_allclose(z.y[:deaths_1, 0], alone.y[:, 0], rtol=1e-8)
    assert_close(z.var[0, 0], alone.var[0, 0], what="var")
    frame = z.residuals_frame()
    assert frame["k"].isna().sum() == deaths_2


def _breslow_scaled_residuals(
    d: pd.DataFrame,
    cols: list[str],
    strata: str,
    beta: np.ndarray[Any, Any],
    groups: list[list[int]] | None = None,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """R's cox.zph residuals (survival's R/cox.zph.R) written out for Breslow ties, death by
    death: r_i = x_i - the risk-weighted mean of x over the stratum's risk set, I = the sum
    of the risk-set covariances, used = the stratum's deaths where a column varies (else 0;
    the columns of a multi-column term share their largest), vmean = I / W with W_jk = the
    sum over strata of min(used_sj, used_sk); a multi-column term is combined with its
    coefficients (``temp``); y_i = r_i vmean^-1 on the terms used in the death's stratum
    (NaN elsewhere) plus beta (1 for a combined term)."""
    d = d.sort_values([strata, "time"], kind="stable")
    levels = sorted(d[strata].unique())
    p = len(cols)
    groups = groups or [[j] for j in range(p)]
    resid, rows, info = [], [], np.zeros((p, p))
    used = np.zeros((len(levels), p))
    for s, level in enumerate(levels):
        ds = d[d[strata] == level]
        x = ds[cols].to_numpy(float)
        varies = x.min(axis=0) != x.max(axis=0)
        used[s] = np.where(varies, ds["status"].sum(), 0)
        for i in np.flatnonzero(ds["status"].to_numpy() == 1):
            at_risk = ds["time"].to_numpy() >= ds["time"].iloc[i]
            w = np.exp(x[at_risk] @ beta)
            mean = w @ x[at_risk] / w.sum()
            cov = (w[:, None] * x[at_risk]).T @ x[at_risk] / w.sum() - np.outer(mean, mean)
            info += cov
            resid.append(x[i] - mean)
            rows.append(s)
    for g in groups:
        used[:, g] = used[:, g].max(axis=1)[:, None]
    wtmat = np.minimum(used[:, :, None], used[:, None, :]).sum(axis=0)
    vmean = info / np.where(wtmat == 0, 1.0, wtmat)
    temp = np.zeros((p, len(groups)))
    for t, g in enumerate(groups):
        temp[g, t] = 1.0 if len(g) == 1 else beta[g]
    centre = np.array([beta[g[0]] if len(g) == 1 else 1.0 for g in groups])
    r = np.array(resid) @ temp
    vmean = temp.T @ vmean @ temp
    used = used[:, [g[0] for g in groups]]
    y = np.full((len(resid), len(groups)), np.nan)
    for i, s in enumerate(rows):
        k = np.flatnonzero(used[s] > 0)
        y[i, k] = np.linalg.solve(vmean[np.ix_(k, k)], r[i, k]) + centre[k]
    return y, np.linalg.inv(vmean)


@pytest.mark.parametrize("censored_stratum", [False, True], ids=["two strata", "plus no deaths"])
def test_scaled_residuals_per_stratum_pattern_equal_rs_formula(censored_stratum: bool) -> None:
    """k varies in trt 1 only, age in both: deaths of trt 1 are scaled on (k, age), those of
    trt 2 on age alone, as R's cox.zph. A third stratum without deaths uses no covariate and
    changes no residual (it has no deaths to scale)."""
    d = _veteran_strata()
    if censored_stratum:
        extra = pd.DataFrame(
            {"time": [5.0, 50.0, 500.0], "status": 0, "trt": 3, "k": [20.0, 60.0, 90.0]}
        )
        d = pd.concat([d, extra.assign(age=[40.0, 55.0, 70.0])], ignore_index=True)
    fit = cox_ph(d, "time", "status", ["k", "age"], strata="trt", ties="breslow")
    z = cox_zph(fit)
    y, var = _breslow_scaled_residuals(d, ["k", "age"], "trt", fit.coef)
    assert (np.isnan(z.y) == np.isnan(y)).all()
    assert np.isnan(y[:, 0]).any() and not np.isnan(y[:, 1]).any()
    ok = ~np.isnan(y)
    np.testing.assert_allclose(z.y[ok], y[ok], rtol=1e-8)
    np.testing.assert_allclose(z.var, var, rtol=1e-8)


def _veteran_factor_strata() -> pd.DataFrame:
    """celltype as a factor (reference adeno) with trt as strata; in trt 2 the large cells are
    relabelled squamous, so the term's first column ('large') is constant there while the
    others vary (R's edge case: the term still counts the stratum's deaths)."""
    d = pd.read_csv(REF / "veteran.csv")
    relabel = (d["trt"] == 2) & (d["celltype"] == "large")
    d.loc[relabel, "celltype"] = "squamous"
    for level in ("large", "smallcell", "squamous"):
        d[level] = (d["celltype"] == level).astype(float)
    return d


@pytest.mark.parametrize("terms", [True, False], ids=["terms", "columns"])
def test_a_factor_with_a_level_missing_in_a_stratum_equals_rs_formula(terms: bool) -> None:
    d = _veteran_factor_strata()
    fit = cox_ph(d, "time", "status", [Factor("celltype"), "karno"], strata="trt", ties="breslow")
    assert fit.columns == ["celltype", "celltype", "celltype", "karno"]
    z = cox_zph(fit, terms=terms)
    cols = ["large", "smallcell", "squamous", "karno"]
    groups = [[0, 1, 2], [3]] if terms else None
    y, var = _breslow_scaled_residuals(d, cols, "trt", fit.coef, groups)
    assert z.y.shape == y.shape
    assert (np.isnan(z.y) == np.isnan(y)).all()
    assert np.isnan(y).any() != terms  # by column, 'large' has no residual in trt 2
    ok = ~np.isnan(y)
    np.testing.assert_allclose(z.y[ok], y[ok], rtol=1e-8)
    np.testing.assert_allclose(z.var, var, rtol=1e-8)
    assert z.terms == (["celltype", "karno"] if terms else fit.terms)
