"""captemstats.survival against R's survival package (3.5), plus invariants and edge cases.

The R side is ``tests/reference/make_reference.R``: for every dataset listed in
``datasets.csv`` it writes ``<name>_reference.csv`` in long format (analysis, group, term,
stat, value). Each survival analysis there is one parametrised test below, which computes the
same quantities with captemstats in the same long format and requires EVERY R row to be
matched by the shared rule of ``tests/_compare.py`` (1e-8 relative, P values too, on the log
scale below 1e-300), R's NA to NaN/None.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _compare import REL, assert_close, problem
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from captemstats.errors import AnalysisError
from captemstats.survival import (
    Covariate,
    CoxResult,
    MethodInfo,
    ZphResult,
    cox_ph,
    cox_zph,
    kaplan_meier,
    logrank_test,
    logrank_trend_test,
    observed_followup,
    reverse_km_followup,
    univariable_cox,
)

REF = Path(__file__).parent / "reference"
P_STATS = {"p", "lr_p", "wald_p"}
SURVIVAL_ANALYSES = re.compile(r"^(km_|logrank|cox_|zph_|followup_)")
CONF_TYPES = ("log", "plain", "log-log")
ALL = "(all)"

Key = tuple[str, str, str]  # (group, term, stat)
Values = dict[Key, float]


# ---- reference data ---------------------------------------------------------------------------


def _config() -> list[dict[str, str]]:
    frame = pd.read_csv(REF / "datasets.csv", dtype=str, keep_default_na=False)
    return [{str(k): str(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _split(x: str) -> list[str]:
    return [s.strip() for s in x.split(";")] if x else []


@functools.cache
def dataset(name: str) -> tuple[dict[str, str], pd.DataFrame]:
    """The dataset as make_reference.R prepares it: .time, .event (0/1) and g (group)."""
    cfg = next(c for c in _config() if c["name"] == name)
    d = pd.read_csv(REF / f"{cfg.get('data') or name}.csv")  # `data`: another row's file
    d[".time"] = d[cfg["time"]]
    d[".event"] = (d[cfg["event"]] == float(cfg["event_value"])).astype(int)
    if cfg["group"]:
        d["g"] = d[cfg["group"]]
    return cfg, d


@functools.cache
def reference(file: str) -> pd.DataFrame:
    frame = pd.read_csv(REF / file, dtype=str, keep_default_na=False)
    frame["value"] = [math.nan if v == "NA" else float(v) for v in frame["value"]]
    return frame


def r_rows(name: str, analysis: str) -> pd.DataFrame:
    ref = reference(f"{name}_reference.csv")
    return ref[ref["analysis"] == analysis]


def survival_cases() -> list[tuple[str, str]]:
    cases = []
    for cfg in _config():
        ref = reference(f"{cfg['name']}_reference.csv")
        for analysis in dict.fromkeys(ref["analysis"]):
            if SURVIVAL_ANALYSES.match(analysis):
                cases.append((cfg["name"], analysis))
    return cases


def num_key(x: float) -> str:
    """A number as R's as.character() prints it (15 significant digits)."""
    return format(float(x), ".15g")


def opt(x: float | None) -> float:
    return math.nan if x is None else float(x)


def assert_matches(rows: pd.DataFrame, ours: Values, context: str) -> None:
    """Every R row has a counterpart in ``ours`` equal within tolerance (NA <-> NaN)."""
    assert len(rows) > 0, f"{context}: no reference rows"
    problems = []
    null = rows.loc[rows["stat"] == "loglik_null", "value"]
    loglik_scale = abs(float(null.iloc[0])) if len(null) else 0.0
    for group, term, stat, want in zip(
        rows["group"], rows["term"], rows["stat"], rows["value"], strict=True
    ):
        key = (group, term, stat)
        if key not in ours:
            problems.append(f"{key}: not computed by captemstats")
            continue
        rel = REL
        if stat == "lr_chisq" and want:
            # 2 (loglik - loglik_null) is a difference of two numbers of size |loglik_null|:
            # its rounding error is relative to them (about 1e-15 |loglik|), not to itself,
            # so a model that explains almost nothing (a chi-square of 7e-5 from log-
            # likelihoods of -1,200) cannot agree to 1e-8 of the chi-square. Allowed: 1e-12
            # |loglik_null| absolute (1,000 x double rounding), or 1e-8 relative if larger.
            rel = max(REL, 1e-12 * loglik_scale / abs(float(want)))
        msg = problem(ours[key], want, p_value=stat in P_STATS, what=str(key), rel=rel)
        if msg is not None:
            problems.append(msg)
    assert not problems, f"{context}: {len(problems)} mismatch(es):\n" + "\n".join(problems[:20])


# ---- captemstats in R's long format -------------------------------------------------------------


def _km(d: pd.DataFrame, by_group: bool, conf_type: str = "log") -> Any:
    group = d["g"] if by_group else None
    return kaplan_meier(d[".time"], d[".event"], by=group, conf_type=conf_type)  # type: ignore[arg-type]


def km_fits(cfg: dict[str, str], d: pd.DataFrame, conf_type: str = "log") -> list[Any]:
    fits = [_km(d, False, conf_type)]
    if cfg["group"]:
        fits.append(_km(d, True, conf_type))
    return fits


def ours_km_table(cfg: dict[str, str], d: pd.DataFrame, conf_type: str) -> Values:
    out: Values = {}
    cols = {
        "time": "time",
        "n.risk": "n_risk",
        "n.event": "n_event",
        "n.censor": "n_censor",
        "surv": "surv",
        "std.err": "std_err",
        "lower": "lower",
        "upper": "upper",
    }
    for fit in km_fits(cfg, d, conf_type):
        for g in fit.groups:
            tab = fit.table(g)
            for rstat, col in cols.items():
                for i, v in enumerate(tab[col], start=1):
                    out[(g, str(i), rstat)] = float(v)
    return out


def ours_km_quantile(cfg: dict[str, str], d: pd.DataFrame, conf_type: str) -> Values:
    out: Values = {}
    for fit in km_fits(cfg, d, conf_type):
        for prob in (0.25, 0.5, 0.75):
            for g, m in fit.quantile(prob).items():
                out[(g, num_key(prob), "quantile")] = opt(m.estimate)
                out[(g, num_key(prob), "lower")] = opt(m.lower)
                out[(g, num_key(prob), "upper")] = opt(m.upper)
    return out


def ours_milestone(cfg: dict[str, str], d: pd.DataFrame) -> Values:
    out: Values = {}
    times = [float(t) for t in _split(cfg["milestones"])]
    cols = {"n.risk": "n_risk", "n.event": "n_event", "surv": "surv", "std.err": "std_err"}
    cols |= {"lower": "lower", "upper": "upper"}
    for fit in km_fits(cfg, d):
        ms = fit.survival_at(times)
        for _, row in ms[ms["surv"].notna()].iterrows():  # R drops times beyond the curve
            for rstat, col in cols.items():
                out[(row["group"], num_key(row["time"]), rstat)] = float(row[col])
    return out


def ours_at_risk(cfg: dict[str, str], d: pd.DataFrame) -> Values:
    times = [float(t) for t in _split(cfg["at_risk_times"])]
    return {
        (row["group"], num_key(row["time"]), "n.risk"): float(row["n_risk"])
        for fit in km_fits(cfg, d)
        for _, row in fit.at_risk(times).iterrows()
    }


def _logrank_values(res: Any, with_df: bool = True) -> Values:
    out: Values = {("", "", "chisq"): res.chisq, ("", "", "p"): res.p_value}
    if with_df:
        out[("", "", "df")] = float(res.df)
    for g in res.groups:
        out[(g, "", "observed")] = res.observed[g]
        out[(g, "", "expected")] = res.expected[g]
    return out


def ours_logrank(cfg: dict[str, str], d: pd.DataFrame) -> Values:
    return _logrank_values(logrank_test(d[".time"], d[".event"], d["g"]))


def ours_logrank_strat(cfg: dict[str, str], d: pd.DataFrame) -> Values:
    res = logrank_test(d[".time"], d[".event"], d["g"], strata=d[cfg["strata"]])
    return _logrank_values(res, with_df=False)


def ours_logrank_trend(cfg: dict[str, str], d: pd.DataFrame) -> Values:
    res = logrank_trend_test(d[".time"], d[".event"], d[cfg["trend_group"]])
    out = _logrank_values(res, with_df=False)
    assert res.scores is not None
    s = np.array([res.scores[g] for g in res.groups])
    oe = np.array([res.observed[g] - res.expected[g] for g in res.groups])
    out[("", "", "U")] = float(s @ oe)
    out[("", "", "var")] = float(s @ res.variance @ s)
    return out


def covariate(spec: str, d: pd.DataFrame) -> Covariate:
    """make_reference.R's covariate spec: ``col``, ``col[l1,l2]`` or ``col[l1,l2|r1,r2]``."""
    m = re.fullmatch(r"([^[]+)\[([^|]*)(?:\|(.*))?\]", spec)
    if m is None:
        return Covariate(spec, label=spec)
    col = m.group(1)
    numeric = pd.api.types.is_numeric_dtype(d[col])

    def levels(text: str) -> tuple[Any, ...]:
        vals = [v.strip() for v in text.split(",")]
        return tuple(float(v) for v in vals) if numeric else tuple(vals)

    ref = levels(m.group(3)) if m.group(3) else None
    return Covariate(col, level=levels(m.group(2)), reference=ref, label=spec)


def cox_values(res: CoxResult) -> Values:
    out: Values = {}
    per_term = {
        "coef": res.coef,
        "hr": res.hr,
        "se": res.se,
        "z": res.z,
        "p": res.p_value,
        "lower": res.lower,
        "upper": res.upper,
    }
    if res.robust_se is not None:
        per_term["robust_se"] = res.robust_se
    for stat, arr in per_term.items():
        for term, v in zip(res.terms, arr, strict=True):
            out[("", term, stat)] = float(v)
    out |= {
        ("", "", "loglik_null"): res.loglik_null,
        ("", "", "loglik"): res.loglik,
        ("", "", "lr_chisq"): res.lr_test.chisq,
        ("", "", "lr_df"): float(res.lr_test.df),
        ("", "", "lr_p"): res.lr_test.p_value,
        ("", "", "wald_chisq"): res.wald_test.chisq,
        ("", "", "wald_p"): res.wald_test.p_value,
        ("", "", "score_chisq"): res.score_test.chisq,
        ("", "", "concordance"): res.concordance,
        ("", "", "n"): float(res.n),
        ("", "", "n_events"): float(res.n_events),
        ("", "", "iter"): float(res.iterations),
    }
    if res.robust_score_test is not None:
        out[("", "", "robust_score_chisq")] = res.robust_score_test.chisq
    for k, v in res.concordance_counts.items():
        out[("", k, "count")] = float(v)
    return out


def _specs(cfg: dict[str, str]) -> list[str]:
    return _split(cfg["covariates"])


def fit_cox(cfg: dict[str, str], d: pd.DataFrame, model: str) -> CoxResult:
    specs = _specs(cfg)
    covs = [covariate(s, d) for s in specs]
    if model == "efron":
        return cox_ph(d, ".time", ".event", covs, ties="efron")
    if model == "breslow":
        return cox_ph(d, ".time", ".event", covs, ties="breslow")
    if model == "cluster":
        return cox_ph(d, ".time", ".event", covs, cluster=cfg["cluster"])
    if model == "strata":
        keep = [c for s, c in zip(specs, covs, strict=True) if s.split("[")[0] != cfg["cox_strata"]]
        return cox_ph(d, ".time", ".event", keep, strata=cfg["cox_strata"])
    raise AssertionError(model)


def ours_cox(cfg: dict[str, str], d: pd.DataFrame, model: str) -> Values:
    if model.startswith("uni_"):
        j = int(model.removeprefix("uni_")) - 1
        spec = _specs(cfg)[j]
        coll = univariable_cox(d, ".time", ".event", [covariate(s, d) for s in _specs(cfg)])
        res = coll.results[j]
        assert res.terms == [spec]
        return cox_values(res)
    return cox_values(fit_cox(cfg, d, model))


def zph_values(z: ZphResult) -> Values:
    out: Values = {}
    tab = z.to_frame()
    for _, row in tab.iterrows():
        out[("", row["term"], "chisq")] = float(row["chisq"])
        out[("", row["term"], "df")] = float(row["df"])
        out[("", row["term"], "p")] = float(row["p_value"])
    return out


def zph_resid_values(z: ZphResult) -> Values:
    out: Values = {}
    for i, (t, x) in enumerate(zip(z.time, z.x, strict=True), start=1):
        out[(str(i), "", "time")] = float(t)
        out[(str(i), "", "x")] = float(x)
        for j, term in enumerate(z.terms):
            out[(str(i), term, "y")] = float(z.y[i - 1, j])
    for j, term in enumerate(z.terms):
        out[("", term, "var_diag")] = float(z.var[j, j])
    return out


def ours_zph(cfg: dict[str, str], d: pd.DataFrame, spec: str) -> Values:
    parts = spec.split("_")
    model = parts[0]
    res = fit_cox(cfg, d, model)
    if parts[1:] == ["resid"]:
        return zph_resid_values(cox_zph(res, transform="km"))
    transform = parts[1] if len(parts) > 1 else "km"
    return zph_values(cox_zph(res, transform=transform))


def ours_followup(cfg: dict[str, str], d: pd.DataFrame, kind: str) -> Values:
    out: Values = {}
    groups = [None, d["g"]] if cfg["group"] else [None]
    for group in groups:
        if kind == "reverse_km":
            rk = reverse_km_followup(d[".time"], d[".event"], by=group)
            for g, e in rk.estimates.items():
                out[(g, "0.5", "quantile")] = opt(e.median)
                out[(g, "0.5", "lower")] = opt(e.lower)
                out[(g, "0.5", "upper")] = opt(e.upper)
        else:
            ob = observed_followup(d[".time"], event=d[".event"], by=group)
            for g, e in ob.estimates.items():
                out[(g, "", "median")] = opt(e.median)
                out[(g, "", "min")] = e.minimum
                out[(g, "", "max")] = e.maximum
                out[(g, "", "n")] = float(e.n)
    return out


def ours(name: str, analysis: str) -> Values:
    cfg, d = dataset(name)
    handlers: dict[str, Callable[[], Values]] = {
        "km_at_risk": lambda: ours_at_risk(cfg, d),
        "km_milestone": lambda: ours_milestone(cfg, d),
        "logrank": lambda: ours_logrank(cfg, d),
        "logrank_strat": lambda: ours_logrank_strat(cfg, d),
        "logrank_trend": lambda: ours_logrank_trend(cfg, d),
    }
    if analysis in handlers:
        return handlers[analysis]()
    for prefix, fn in (
        ("km_table_", ours_km_table),
        ("km_quantile_", ours_km_quantile),
        ("cox_", ours_cox),
        ("zph_", ours_zph),
        ("followup_", ours_followup),
    ):
        if analysis.startswith(prefix):
            return fn(cfg, d, analysis.removeprefix(prefix))
    raise AssertionError(f"no captemstats counterpart for R analysis {analysis!r}")


# ---- the cross-checks ---------------------------------------------------------------------------

CASES = survival_cases()


def test_reference_covers_every_analysis_kind() -> None:
    """The R reference has every analysis the brief lists, for at least one dataset."""
    kinds = {a for _, a in CASES}
    expected = {f"km_table_{c}" for c in CONF_TYPES} | {f"km_quantile_{c}" for c in CONF_TYPES}
    expected |= {"km_milestone", "km_at_risk", "logrank", "logrank_strat", "logrank_trend"}
    expected |= {"cox_efron", "cox_breslow", "cox_cluster", "cox_strata", "cox_uni_1"}
    expected |= {"zph_efron", "zph_breslow", "zph_strata", "zph_efron_rank"}
    expected |= {"zph_efron_identity", "zph_efron_resid", "zph_strata_resid"}
    expected |= {"followup_reverse_km", "followup_observed"}
    assert expected <= kinds, sorted(expected - kinds)


@pytest.mark.parametrize(("name", "analysis"), CASES, ids=[f"{n}-{a}" for n, a in CASES])
def test_matches_r(name: str, analysis: str) -> None:
    assert_matches(r_rows(name, analysis), ours(name, analysis), f"{name} {analysis}")


@pytest.mark.parametrize("name", [c["name"] for c in _config()])
def test_milestones_beyond_curve_are_missing_as_r_drops_them(name: str) -> None:
    """R's summary(times=) drops times after a curve's last observation; captemstats keeps
    the row with NaN estimates and every other milestone row is in R's output."""
    cfg, d = dataset(name)
    rows = r_rows(name, "km_milestone")
    r_keys = {(g, t) for g, t in zip(rows["group"], rows["term"], strict=True)}
    times = [float(t) for t in _split(cfg["milestones"])]
    for fit in km_fits(cfg, d):
        ms = fit.survival_at(times)
        for _, row in ms.iterrows():
            key = (row["group"], num_key(row["time"]))
            assert (key in r_keys) == (not math.isnan(row["surv"])), key


def edge_cases() -> list[str]:
    ref = reference("survival_edge_reference.csv")
    return list(dict.fromkeys(ref.loc[ref["analysis"] == "edge_data", "group"]))


def edge_data(case: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    ref = reference("survival_edge_reference.csv")
    rows = ref[(ref["analysis"] == "edge_data") & (ref["group"] == case)]
    t = rows.loc[rows["stat"] == "time", "value"].to_numpy(dtype=float)
    e = rows.loc[rows["stat"] == "event", "value"].to_numpy(dtype=float)
    return t, e


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("case", edge_cases())
def test_edge_curves_match_r(case: str, conf_type: str) -> None:
    """Small curves: flat S = 0.5 stretches (midpoint medians), S falling to 0 (NA log limits),
    all censored (not reached), ties of deaths and censorings, a single event."""
    t, e = edge_data(case)
    fit = kaplan_meier(t, e, conf_type=conf_type)  # type: ignore[arg-type]
    ref = reference("survival_edge_reference.csv")
    ours_t: Values = {}
    tab = fit.table()
    cols = {"time": "time", "n.risk": "n_risk", "n.event": "n_event", "surv": "surv"}
    cols |= {"std.err": "std_err", "lower": "lower", "upper": "upper"}
    for rstat, col in cols.items():
        for i, v in enumerate(tab[col], start=1):
            ours_t[(case, str(i), rstat)] = float(v)
    rows = ref[(ref["analysis"] == f"edge_table_{conf_type}") & (ref["group"] == case)]
    assert_matches(rows, ours_t, f"edge {case} table {conf_type}")
    ours_q: Values = {}
    for prob in (0.25, 0.5, 0.75):
        m = fit.quantile(prob)[ALL]
        ours_q[(case, num_key(prob), "quantile")] = opt(m.estimate)
        ours_q[(case, num_key(prob), "lower")] = opt(m.lower)
        ours_q[(case, num_key(prob), "upper")] = opt(m.upper)
    rows = ref[(ref["analysis"] == f"edge_quantile_{conf_type}") & (ref["group"] == case)]
    assert_matches(rows, ours_q, f"edge {case} quantiles {conf_type}")


# ---- edge cases, stated ----------------------------------------------------------------------


def test_flat_half_gives_midpoint_median() -> None:
    """S = 0.5 exactly over [2, 3): the median is the midpoint 2.5 (quantile.survfit)."""
    fit = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])
    m = fit.median[ALL]
    assert m.estimate == pytest.approx(2.5, rel=1e-12)
    assert m.reached


def test_last_observation_event_gives_missing_log_limits() -> None:
    fit = kaplan_meier([1, 2, 3], [0, 1, 1], conf_type="log")
    tab = fit.table()
    assert tab["surv"].iloc[-1] == 0.0
    assert np.isnan(tab["lower"].iloc[-1]) and np.isnan(tab["upper"].iloc[-1])
    assert np.isfinite(tab["lower"].iloc[1])


def test_all_censored_median_not_reached() -> None:
    fit = kaplan_meier([2, 4, 6, 8], [0, 0, 0, 0])
    m = fit.median[ALL]
    assert m.estimate is None and not m.reached and m.upper is None and m.lower is None
    assert np.isnan(fit.medians_frame()["median"].iloc[0])


@pytest.mark.parametrize(
    ("time", "event", "message"),
    [
        (pd.Series([1.0, -2.0, 3.0], index=["a", "b", "c"]), [1, 0, 1], "row 'b'"),
        (pd.Series([1.0, np.nan, 3.0], index=[10, 11, 12]), [1, 0, 1], "row 11"),
        (pd.Series([1.0, 2.0, np.inf]), [1, 0, 1], "row 2"),
        (
            pd.Series([1.0, 2.0, 3.0], index=["x", "y", "z"]),
            pd.Series([1, 2, 0], index=["x", "y", "z"]),
            "row 'y'",
        ),
        ([1.0, 2.0, 3.0], [1, 0], "length 2 differs"),
        (["1", "two", "3"], [1, 0, 1], "must be numeric"),
    ],
)
def test_bad_input_names_the_row(time: Any, event: Any, message: str) -> None:
    for fn in (
        lambda: kaplan_meier(time, event),
        lambda: logrank_test(time, event, ["a", "b", "a"][: len(event)]),
        lambda: reverse_km_followup(time, event),
    ):
        with pytest.raises(AnalysisError, match=re.escape(message)):
            fn()


def test_bad_cox_inputs() -> None:
    d = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 0, 1, 1], "x": ["a", "b", "a", "b"]})
    with pytest.raises(AnalysisError, match="'nope' is not in the data"):
        cox_ph(d, "t", "e", ["nope"])
    # a text column named as a covariate is a factor (R codes a character column so); asked
    # for explicitly as a number, it is refused
    assert cox_ph(d, "t", "e", ["x"]).terms == ["x: b vs a"]
    with pytest.raises(AnalysisError, match="'x' is not numeric"):
        cox_ph(d, "t", "e", [Covariate("x")])
    with pytest.raises(AnalysisError, match="level"):
        cox_ph(d, "t", "e", [Covariate("x", level="zzz")])
    res = cox_ph(d, "t", "e", [Covariate("x", level="b")])
    with pytest.raises(AnalysisError, match="transform 'bogus'"):
        cox_zph(res, transform="bogus")


def test_logrank_needs_two_groups() -> None:
    with pytest.raises(AnalysisError, match="at least 2 groups"):
        logrank_test([1, 2, 3], [1, 1, 0], ["a", "a", "a"])


def test_followup_dropna_counts_and_observed_definition() -> None:
    t = pd.Series([5.0, np.nan, 1.7, 212.1, 41.0])
    with pytest.raises(AnalysisError, match="row 1"):
        observed_followup(t)
    res = observed_followup(t, dropna=True)
    assert res.n_excluded == 1
    est = res.overall
    assert (est.median, est.minimum, est.maximum, est.n) == (23.0, 1.7, 212.1, 4)
    frame = res.to_frame()
    assert list(frame.columns[:3]) == ["definition", "group", "n"]
    assert isinstance(res.method, MethodInfo)


def test_reverse_km_is_km_of_censoring() -> None:
    t = np.array([3.0, 5, 5, 8, 10, 12, 15, 20])
    e = np.array([1, 0, 1, 0, 1, 0, 0, 1])
    rk = reverse_km_followup(t, e).overall
    km = kaplan_meier(t, 1 - e).median[ALL]
    assert (rk.median, rk.lower, rk.upper) == (km.estimate, km.lower, km.upper)
    assert rk.n_censored == 4


def test_zph_result_frames() -> None:
    _, d = dataset("lung")
    res = cox_ph(d, ".time", ".event", ["age", "sex"])
    z = res.zph()
    frame = z.to_frame()
    assert list(frame["term"]) == ["age", "sex", "GLOBAL"]
    assert list(frame["df"]) == [1, 1, 2]
    no_global = cox_zph(res, global_=False).to_frame()
    assert list(no_global["term"]) == ["age", "sex"]
    resid = z.residuals_frame()
    assert len(resid) == res.n_events and list(resid.columns) == ["time", "x", "age", "sex"]
    assert "cox.zph" in z.method.software_equivalent


# ---- invariants (hypothesis) ------------------------------------------------------------------


@st.composite
def survival_data(draw: st.DrawFn, min_size: int = 2, max_size: int = 40) -> pd.DataFrame:
    n = draw(st.integers(min_size, max_size))
    time = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    event = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    group = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    x = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    return pd.DataFrame(
        {"time": np.array(time, float), "event": event, "group": group, "x": np.array(x, float)}
    )


FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@FAST
@given(survival_data(), st.sampled_from(CONF_TYPES))
def test_km_survival_non_increasing_in_unit_interval(d: pd.DataFrame, conf_type: str) -> None:
    fit = kaplan_meier(d["time"], d["event"], by=d["group"], conf_type=conf_type)  # type: ignore[arg-type]
    for g in fit.groups:
        tab = fit.table(g)
        s = tab["surv"].to_numpy()
        assert ((s >= 0) & (s <= 1)).all()
        assert (np.diff(s) <= 0).all()
        ok = tab["lower"].notna() & tab["upper"].notna()
        assert (tab.loc[ok, "lower"] <= tab.loc[ok, "surv"] + 1e-12).all()
        assert (tab.loc[ok, "surv"] <= tab.loc[ok, "upper"] + 1e-12).all()
        assert tab["n_risk"].iloc[0] == fit.n[g]


@FAST
@given(survival_data(min_size=4), st.randoms(use_true_random=False))
def test_logrank_invariant_to_row_order_and_labels(d: pd.DataFrame, rnd: Any) -> None:
    perm = list(range(len(d)))
    rnd.shuffle(perm)
    shuffled = d.iloc[perm]
    relabel = {"a": "z", "b": "m", "c": "0"}  # reverses the sort order of the labels
    try:
        base = logrank_test(d["time"], d["event"], d["group"])
    except AnalysisError:  # one group, or a singular variance (R's survdiff fails too)
        with pytest.raises(AnalysisError):
            logrank_test(shuffled["time"], shuffled["event"], shuffled["group"].map(relabel))
        return
    other = logrank_test(shuffled["time"], shuffled["event"], shuffled["group"].map(relabel))
    assert other.df == base.df
    assert other.chisq == pytest.approx(base.chisq, rel=1e-9, abs=1e-12)
    for g in base.groups:
        assert other.observed[relabel[g]] == base.observed[g]
        assert other.expected[relabel[g]] == pytest.approx(base.expected[g], rel=1e-12)


@st.composite
def cox_data(draw: st.DrawFn) -> pd.DataFrame:
    """Well-posed single-covariate Cox data: >= 5 events at >= 4 distinct times and a
    covariate with >= 3 distinct values (degenerate fits are R errors, not invariants)."""
    n = draw(st.integers(15, 40))
    time = draw(st.lists(st.integers(1, 100), min_size=n, max_size=n))
    event = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    x = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    d = pd.DataFrame({"time": np.array(time, float), "event": event, "x": np.array(x, float)})
    dead = d.loc[d["event"] == 1, "time"]
    assume(len(dead) >= 5 and dead.nunique() >= 4 and d["x"].nunique() >= 3)
    return d


def _cox_or_none(d: pd.DataFrame, cols: list[str]) -> CoxResult | None:
    try:
        res = cox_ph(d, "time", "event", cols)
    except AnalysisError:
        return None
    well_posed = res.converged and not res.warnings and np.all(np.abs(res.coef) < 10)
    return res if well_posed and np.all(np.isfinite(res.se)) else None


def _outcome(fn: Callable[[], Any]) -> Any:
    """The value of ``fn()``, or the library error it raised (any other exception escapes)."""
    try:
        return fn()
    except AnalysisError as exc:
        return exc


#: the three codings of one covariate: the same model, as R treats them
CODINGS = ("x", "neg", "shifted")


@FAST
@given(cox_data())
def test_cox_hr_inverts_when_covariate_negated(d: pd.DataFrame) -> None:
    """x, -x and 3x + 7 are one model: the HR inverts (or takes the power 1/3), SE, P and C
    agree, the PH test is the same, and a model refused for one coding is refused for all
    with the library's error (never a raw numpy one)."""
    d = d.assign(neg=-d["x"], shifted=3 * d["x"] + 7)
    fits = {c: _outcome(lambda c=c: cox_ph(d, "time", "event", [c])) for c in CODINGS}
    refused = [c for c in CODINGS if isinstance(fits[c], AnalysisError)]
    assert refused in ([], list(CODINGS)), f"refused only for {refused}: {fits}"
    assume(not refused)
    base, neg, shifted = (fits[c] for c in CODINGS)
    assume(_cox_or_none(d, ["x"]) is not None)  # infinite coefficients: no finite HR to invert
    # Newton-Raphson is affine-equivariant, so the three fits take the same steps and differ
    # by rounding only; 1e-8 relative as the R cross-checks (tests/_compare.py)
    assert neg.iterations == base.iterations == shifted.iterations
    assert_close(neg.hr[0], 1 / base.hr[0], what="HR of -x")
    assert_close(shifted.hr[0], base.hr[0] ** (1 / 3), what="HR of 3x + 7")
    for other in (neg, shifted):
        assert_close(other.z[0] ** 2, base.z[0] ** 2, what="Wald z^2")
        assert_close(other.p_value[0], base.p_value[0], p_value=True, what="Wald P")
        assert_close(other.loglik, base.loglik, what="log partial likelihood")
    assert_close(shifted.se[0], base.se[0] / 3, what="SE of 3x + 7")
    # the coefficient flips with the covariate, so the linear predictor and C are unchanged
    assert neg.concordance_counts == base.concordance_counts
    assert shifted.concordance_counts == base.concordance_counts
    # the PH test is invariant to affine changes of the covariate
    zph = {c: _outcome(lambda c=c: cox_zph(fits[c])) for c in CODINGS}
    undefined = [c for c in CODINGS if isinstance(zph[c], AnalysisError)]
    assert undefined in ([], list(CODINGS)), f"PH test refused only for {undefined}: {zph}"
    if undefined:  # x varies in the risk set at one transformed event time only
        assert all("undefined" in str(zph[c]) for c in CODINGS)
        return
    for c in ("neg", "shifted"):
        assert_close(zph[c].chisq[0], zph["x"].chisq[0], what=f"zph chisq of {c}")


@FAST
@given(cox_data(), st.randoms(use_true_random=False))
def test_cox_and_zph_invariant_to_row_order(d: pd.DataFrame, rnd: Any) -> None:
    base = _cox_or_none(d, ["x"])
    assume(base is not None)
    assert base is not None
    perm = list(range(len(d)))
    rnd.shuffle(perm)
    other = cox_ph(d.iloc[perm], "time", "event", ["x"])
    assert other.coef[0] == pytest.approx(base.coef[0], rel=1e-7, abs=1e-10)
    assert other.loglik == pytest.approx(base.loglik, rel=1e-10)
    try:
        zb = cox_zph(base).global_chisq
    except AnalysisError:
        with pytest.raises(AnalysisError, match="undefined"):
            cox_zph(other)
        return
    zo = cox_zph(other).global_chisq
    assert zo == pytest.approx(zb, rel=1e-6, abs=1e-9)


def test_concordance_is_computed_on_first_use_and_kept() -> None:
    """A fit does not pay for its concordance until it is read; then it is R's (the
    cross-checks above) and computed once."""
    rng = np.random.default_rng(8)
    n = 400
    d = pd.DataFrame(
        {
            "t": np.rint(rng.exponential(20.0, n)) + 1,
            "e": rng.random(n) < 0.7,
            "x": rng.integers(0, 3, n).astype(float),
            "z": rng.normal(size=n),
        }
    )
    fit = cox_ph(d, "t", "e", ["x", "z"])
    assert "_concordance_pair" not in vars(fit)
    first = fit.concordance_counts
    assert "_concordance_pair" in vars(fit)
    assert fit.concordance_counts is first
    total = first["concordant"] + first["discordant"] + first["tied.x"]
    assert fit.concordance == (first["concordant"] + first["tied.x"] / 2) / total
    assert fit.to_frame()["concordance"].iloc[0] == fit.concordance
