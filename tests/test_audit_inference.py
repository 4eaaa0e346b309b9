"""The audit's inference checks (captemstats.audit.run): each fires at its boundary and
not before, on small synthetic studies, and the real paper gives the findings the reasoning
below predicts; the checks never change what ``resolve()`` calibrates the registry to."""

from __future__ import annotations

import copy
import math
from typing import Any

import pandas as pd
import pytest
import yaml

from captemstats.audit import (
    CHECKS,
    AuditResult,
    Discrepancy,
    InferenceContext,
    audit_published,
    ci_width_tier,
    grade_rounding_only,
    max_events,
    max_exposed_variance,
    mixture_median,
    p_print_interval,
    resolve,
    run_inference_checks,
    significance_severity,
    ulp,
)
from captemstats.published import PublishedStudy, default_path, load_published

Z = 1.959963984540054


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def study() -> PublishedStudy:
    return load_published()


@pytest.fixture(scope="module")
def audit(study: PublishedStudy) -> AuditResult:
    return audit_published(study)


def _study(raw: dict[str, Any], **parts: Any) -> PublishedStudy:
    """The printed study with some parts replaced (``table3_rows``, ``medians``,
    ``p_values``, ``text_values``)."""
    data = copy.deepcopy(raw)
    if "table3_rows" in parts:
        data["table3"]["rows"] = parts["table3_rows"]
    if "medians" in parts:
        data["survival"]["medians"] = parts["medians"]
    if "p_values" in parts:
        data["survival"]["p_values"] = parts["p_values"]
    if "text_values" in parts:
        data["text_values"] = parts["text_values"]
    return PublishedStudy.model_validate(data)


def _run(study: PublishedStudy, check: str) -> list[tuple[str, str]]:
    ctx = InferenceContext(study)
    CHECKS[check][0](ctx)
    assert ctx.checks.get(check, 0) >= 0
    assert all(d.consistent is None and d.check == check for d in ctx.out)
    return [(d.item, d.severity) for d in ctx.out]


def _cox_row(covariate: str, hr: str, ci: str, p: str, endpoint: str = "pfs") -> dict[str, Any]:
    lo, hi = ci.split("-")
    return {
        "endpoint": endpoint,
        "covariate": covariate,
        "label": covariate,
        "hr": {"printed": hr, "value": float(hr)},
        "ci": {"printed": ci, "lower": float(lo), "upper": float(hi)},
        "p_value": {"printed": p, "value": float(p)},
        "where": f"Table 3 {covariate}",
    }


# ------------------------------------------------------------------------ the registry
def test_registry_and_docstrings() -> None:
    import captemstats.audit as audit_mod

    assert list(CHECKS) == [
        "significance_statement",
        "cox_ci_width_vs_events",
        "cox_hr_vs_km_medians",
        "p_vs_ci",
    ]
    for check_id, (fn, meaning) in CHECKS.items():
        assert fn.__doc__ and meaning
        assert f"``{check_id}``" in (audit_mod.__doc__ or "")


def test_number_helpers() -> None:
    assert (ulp("0.80"), ulp("16.1"), ulp(".003"), ulp("53")) == (0.01, 0.1, 0.001, 1.0)
    lo, hi = p_print_interval(".05")  # rounding [.045, .055) or truncation [.05, .06)
    assert (float(lo), float(hi)) == (0.045, 0.06)
    lo, hi = p_print_interval("<.001")
    assert (float(lo), float(hi)) == (0.0, 0.001)
    assert mixture_median([10.0], [5]) == pytest.approx(10.0)
    assert 6.0 < mixture_median([6.0, 20.0], [118, 51]) < 20.0


# ---------------------------------------------------------------- significance_statement
@pytest.mark.parametrize(
    ("claim", "p", "severity"),
    [
        ("significant", ".04", None),
        # exactly P = .05: not significant (P < .05 is); "significant" is rounding-only,
        # a P of .046 prints .05
        ("significant", ".05", "info"),
        ("not significant", ".05", None),
        ("significant", ".050", "info"),
        ("significant", ".06", "warning"),  # [.055, .07): no P below .05 prints .06
        ("not significant", ".049", "warning"),  # [.0485, .050): all below .05
        ("not significant", ".04", "warning"),  # truncation [.04, .05): still below .05
        ("significant", "<.001", None),
        ("not significant", "<.001", "warning"),
        ("not significant", ".3", None),
        ("significant", ".42", "warning"),
    ],
)
def test_significance_boundary(claim: str, p: str, severity: str | None) -> None:
    assert significance_severity(claim, p) == severity


def _sig(id_: str, claim: str, refers_to: dict[str, str], p: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": id_,
        "where": "Discussion",
        "quote": f"quote {id_}",
        "printed": claim,
        "kind": "significance",
        "value": None,
        "refers_to": refers_to,
        "claim": claim,
    }
    if p is not None:
        entry |= {"p_value": float(p.lstrip("<")), "p_printed": p}
    return entry


def test_significance_statement_looks_up_the_comparison(raw: dict[str, Any]) -> None:
    p_values = [
        {"endpoint": "os", "grouping": "grade", "printed": ".05", "value": 0.05, "where": "R4"},
        {"endpoint": "pfs", "grouping": "grade", "printed": ".57", "value": 0.57, "where": "R4"},
    ]
    texts = [
        _sig(
            "os_grade_sig",
            "significant",
            {"table": "survival", "endpoint": "os", "grouping": "grade"},
        ),
        _sig(
            "os_grade_ns",
            "not significant",
            {"table": "survival", "endpoint": "os", "grouping": "grade"},
        ),
        _sig(
            "pfs_grade_sig",
            "significant",
            {"table": "survival", "endpoint": "pfs", "grouping": "grade"},
        ),
        _sig("ae", "significant", {"table": "table1", "variable": "grade34_ae"}),  # P .29
        _sig("orr", "not significant", {"table": "table2", "response": "ORR"}),  # P <.001
        _sig("cox", "significant", {"table": "table3", "endpoint": "os", "covariate": "age_le50"}),
        _sig("cited", "significant", {"table": "cited", "reference": "1"}, ".42"),
        {
            "id": "list",
            "where": "Results",
            "quote": "q",
            "printed": "sex, age",
            "kind": "covariate_list",
            "value": None,
            "refers_to": {"table": "table3", "endpoint": "pfs"},
            "covariates": ["sex_male", "first_line"],  # P .22 and .003
        },
    ]
    s = _study(raw, p_values=p_values, text_values=texts)
    assert sorted(_run(s, "significance_statement")) == [
        ("ae", "warning"),
        ("cited", "warning"),
        ("list/sex_male", "warning"),
        ("orr", "warning"),
        ("os_grade_sig", "info"),
        ("pfs_grade_sig", "warning"),
    ]


def test_significance_statement_rejects_a_claim_without_its_p(raw: dict[str, Any]) -> None:
    bad = _sig("x", "significant", {"table": "cited", "reference": "1"})
    with pytest.raises(ValueError, match="printed P"):
        _study(raw, text_values=[bad])
    bad = _sig("y", "maybe", {"table": "table1", "variable": "grade34_ae"})
    with pytest.raises(ValueError, match="claim"):
        _study(raw, text_values=[bad])


# --------------------------------------------------------------- cox_ci_width_vs_events
def _se(lower: float, upper: float) -> float:
    return math.log(upper / lower) / (2 * Z)


def test_ci_width_tier_boundary() -> None:
    half = _se(0.80 - 0.005, 1.24 + 0.005)  # the widest the print 0.80-1.24 allows
    one = _se(0.80 - 0.01, 1.24 + 0.01)  # ... with one unit of its last digits
    assert ci_width_tier("0.80", "1.24", half) == 0  # exactly at the bound: possible
    assert ci_width_tier("0.80", "1.24", half * (1 + 1e-9)) == 1  # rounding-only
    assert ci_width_tier("0.80", "1.24", one) == 1
    assert ci_width_tier("0.80", "1.24", one * (1 + 1e-9)) == 2


@pytest.mark.parametrize(
    ("covariate", "ci", "severity"),
    [
        # age <=50: Table 1 cannot split at 50, so p may be 1/2 and both bounds are
        # SE >= sqrt(4/308) = 0.114 (308 PFS events at most; no PFS median 'not reached')
        ("age_le50", "0.80-1.24", None),  # widest 0.795-1.245: SE 0.1144 >= 0.1140
        ("age_le50", "0.80-1.23", "info"),  # 0.795-1.235 falls short; 0.79-1.24 does not
        ("age_le50", "0.80-1.22", "error"),  # narrower than any 308 events can give
        # ECOG 0-1 vs 2: p = 273/308, 1/sqrt(D p(1-p)) = 0.180 > the exact 0.114
        ("ecog_0_1", "0.77-1.21", "warning"),  # meets the exact bound, not the approximation
        ("ecog_0_1", "0.60-1.50", None),
    ],
)
def test_ci_width_vs_events(
    raw: dict[str, Any], covariate: str, ci: str, severity: str | None
) -> None:
    s = _study(raw, table3_rows=[_cox_row(covariate, "0.98", ci, ".80")])
    expected = [] if severity is None else [(f"pfs/{covariate}", severity)]
    assert _run(s, "cox_ci_width_vs_events") == expected


def test_max_events_and_exposed_fraction(study: PublishedStudy) -> None:
    # PFS: no median 'not reached', so at most one event per patient
    assert max_events(study, "pfs")[0] == study.n_per_group()["all"]
    # OS: the Ki-67 <3% median is 'not reached': fewer than half of its 63 patients died
    ki67_low = next(
        lv.cells["all"].n for lv in study.variable("ki67_group").levels if lv.level == "<3"
    )
    assert ki67_low is not None
    assert max_events(study, "os")[0] == 308 - ki67_low + (ki67_low - 1) // 2
    pq, _ = max_exposed_variance(study, "age_le50") or (0.0, "")
    assert pq == 0.25  # 154 of 308 is one of the splits Table 1 allows
    assert max_exposed_variance(study, "ecog_0_1") is not None


# ----------------------------------------------------------------- cox_hr_vs_km_medians
def _line_medians(m1: str, m2: str, m3: str) -> list[dict[str, Any]]:
    return [
        {
            "endpoint": "pfs",
            "grouping": "line",
            "group": g,
            "printed": m,
            "median_months": float(m),
            "where": "Results",
        }
        for g, m in (("1", m1), ("2", m2), ("3+", m3))
    ]


@pytest.mark.parametrize(
    ("medians", "hr", "ci", "cox_p", "km_p", "severity"),
    [
        # HR ~ median(2, 3+) / median(1) = 0.5
        (("20.0", "10.0", "10.0"), "0.50", "0.40-0.62", ".001", ".001", None),
        (("20.0", "10.0", "10.0"), "1.20", "0.90-1.60", ".20", ".20", "warning"),
        # both significant: cox_direction_vs_km reports the contradiction, not this check
        (("20.0", "10.0", "10.0"), "1.20", "1.05-1.37", ".01", ".01", None),
        # magnitude: the medians allow at most 10.1/19.9 = 0.508 with one unit of rounding
        (("20.0", "10.0", "10.0"), "0.60", "0.52-0.70", ".001", ".001", "info"),
        (("20.0", "10.0", "10.0"), "0.60", "0.51-0.70", ".001", ".001", None),
        # medians one print apart: the order holds within rounding, not within one unit
        (("10.2", "10.0", "10.0"), "1.20", "0.90-1.60", ".20", ".20", "info"),
        # overlapping within rounding: pooled, ratio ~0.99, inside the CI
        (("10.1", "10.0", "10.0"), "1.20", "0.90-1.60", ".20", ".20", None),
        # the exposed median inside the reference's: pooled by Table 1's 118 and 51
        # (mixture median ~8.1 months), ratio ~0.81, far outside 2.50-3.60
        (("10.0", "6.0", "20.0"), "3.00", "2.50-3.60", ".001", ".20", "info"),
    ],
)
def test_hr_vs_km_medians(
    raw: dict[str, Any],
    medians: tuple[str, str, str],
    hr: str,
    ci: str,
    cox_p: str,
    km_p: str,
    severity: str | None,
) -> None:
    s = _study(
        raw,
        table3_rows=[_cox_row("first_line", hr, ci, cox_p)],
        medians=_line_medians(*medians),
        p_values=[
            {
                "endpoint": "pfs",
                "grouping": "line",
                "printed": km_p,
                "value": float(km_p),
                "where": "R",
            }
        ],
    )
    expected = [] if severity is None else [("pfs/first_line", severity)]
    assert _run(s, "cox_hr_vs_km_medians") == expected


def test_hr_vs_km_medians_defers_to_the_existing_check(raw: dict[str, Any]) -> None:
    """Both P significant and the HR against the medians: the whole audit reports it once,
    as cox_direction_vs_km (the paper's other values kept, PFS by line replaced)."""
    rows = [
        _cox_row("first_line", "1.20", "1.05-1.37", ".01")
        if (r["endpoint"], r["covariate"]) == ("pfs", "first_line")
        else r
        for r in raw["table3"]["rows"]
    ]
    medians = [
        m for m in raw["survival"]["medians"] if (m["endpoint"], m["grouping"]) != ("pfs", "line")
    ] + _line_medians("20.0", "10.0", "10.0")
    s = _study(raw, table3_rows=rows, medians=medians)
    a = audit_published(s)
    assert a.find(check="cox_direction_vs_km", item="pfs/first_line") != []
    assert a.find(check="cox_hr_vs_km_medians", item="pfs/first_line") == []


# ----------------------------------------------------------------------------- p_vs_ci
def _cox_text(printed: str) -> dict[str, Any]:
    return {
        "id": "restated",
        "where": "Discussion",
        "quote": printed,
        "printed": printed,
        "kind": "cox",
        "value": None,
        "refers_to": {"table": "table3", "endpoint": "pfs", "covariate": "first_line"},
    }


@pytest.mark.parametrize(
    ("printed", "severity"),
    [
        # Wald P of 0.80 (0.69-0.93) lies in [.0017, .0063] over the prints' rounding and
        # in [.0007, .0107] with one unit of their last digits
        ("HR: 0.80, P = .003, 95% CI, 0.69-0.93", None),
        ("HR: 0.80, P = .006, 95% CI, 0.69-0.93", None),  # [.0055, .007) meets .0063
        ("HR: 0.80, P = .007, 95% CI, 0.69-0.93", "info"),  # rounding-only
        ("HR: 0.80, P = .02, 95% CI, 0.69-0.93", "warning"),
        ("HR: 0.90, P = .03, 95% CI, 0.80-1.01", "warning"),  # also P < .05 with 1 in the CI
        ("HR: 0.90, P = .08, 95% CI, 0.80-1.01", None),
    ],
)
def test_p_vs_ci(raw: dict[str, Any], printed: str, severity: str | None) -> None:
    s = _study(raw, text_values=[_cox_text(printed)])
    expected = [] if severity is None else [("restated", severity)]
    assert _run(s, "p_vs_ci") == expected


# ------------------------------------------------------------------------ the real paper
#: What the printed paper must give, and why (the reasoning, not our output):
#:
#: significance_statement — the Discussion says OS differed significantly by grade and by
#: Ki-67 ("Figs. 2 and 3"), but grade's log-rank P is .16 (Ki-67's .02 agrees); it says
#: Jeong et al.'s first line "significantly" contributed to PFS with P = .42. Every other
#: statement agrees with its P (site .45/.85; side effects .29; line .01/.003; ORR <.001;
#: dose reduction .001; Table 3's first line, surgery, Ki-67 PFS .51, pancreas .39/.46).
#:
#: cox_ci_width_vs_events — 308 patients give at most 308 PFS events, and at most 276
#: deaths (fewer than half of the 63 Ki-67 <3% patients died: OS 'not reached'): SE(log
#: HR) >= sqrt(4/308) = 0.114 and sqrt(4/276) = 0.120, i.e. a 95% CI upper/lower ratio of
#: at least 1.56 (PFS) and 1.60 (OS). Sex (1.33, 1.46), comorbidity (1.35, 1.45), first
#: line (1.35, 1.47) and PFS prior surgery (1.41) are narrower: errors. ECOG (p = 273/308;
#: 1.57 and 1.67 against ~2.0 by 1/(D p(1-p))) and OS prior surgery (p = 78/308; 1.67
#: against 1.72) meet only the exact bound: warnings. Age, site, Ki-67 and grade are wide.
#:
#: cox_hr_vs_km_medians — grade 1-2 (13.1, 11.9 / 61.9, 67.6) outlive grade 3 (9.8 / 36.0),
#: so HR(1-2 vs 3) should be < 1; it is 1.24 and 1.54: warnings. First line's medians
#: (16.1 vs 7.9-9.6; 105.8 vs 24.1-47.2) imply HRs 0.49-0.60 and 0.23-0.45, outside the
#: CIs 0.69-0.93 and 0.60-0.88: info. Pancreas's PFS 9.8 lies inside the other sites'
#: 6.4-17.8, pooled ~13 months: HR ~1.3, outside 0.66-1.17: info (OS pooled ~1.2 lies in
#: 0.60-1.26). Ki-67 OS (1.80 against not reached/61.9 vs 30.4) is cox_direction_vs_km's.
#: Ki-67 PFS (12.9/9.8 vs 13.0) pools to ~1.25, inside 0.75-1.75.
#:
#: p_vs_ci — the Discussion's 0.80 (0.69-0.93) P = .003 and 0.72 (0.60-0.88) P = .001 are
#: their Wald P values: nothing.
EXPECTED = {
    ("significance_statement", "sig_grade_os_discussion", "warning"),
    ("significance_statement", "sig_cited_jeong_discussion", "warning"),
    ("cox_ci_width_vs_events", "pfs/sex_male", "error"),
    ("cox_ci_width_vs_events", "os/sex_male", "error"),
    ("cox_ci_width_vs_events", "pfs/comorbidity", "error"),
    ("cox_ci_width_vs_events", "os/comorbidity", "error"),
    ("cox_ci_width_vs_events", "pfs/first_line", "error"),
    ("cox_ci_width_vs_events", "os/first_line", "error"),
    ("cox_ci_width_vs_events", "pfs/prior_curative_surgery", "error"),
    ("cox_ci_width_vs_events", "pfs/ecog_0_1", "warning"),
    ("cox_ci_width_vs_events", "os/ecog_0_1", "warning"),
    ("cox_ci_width_vs_events", "os/prior_curative_surgery", "warning"),
    ("cox_hr_vs_km_medians", "pfs/grade_1_2", "warning"),
    ("cox_hr_vs_km_medians", "os/grade_1_2", "warning"),
    ("cox_hr_vs_km_medians", "pfs/first_line", "info"),
    ("cox_hr_vs_km_medians", "os/first_line", "info"),
    ("cox_hr_vs_km_medians", "pfs/pancreas", "info"),
}


def test_the_paper_gives_the_reasoned_findings(audit: AuditResult) -> None:
    found = {(d.check, d.item, d.severity) for d in audit.discrepancies if d.check in CHECKS}
    assert found == EXPECTED
    for d in audit.discrepancies:
        if d.check in CHECKS:
            assert d.consistent is None and d.location and "determinable" in d.explanation
    for d in audit.find(check="cox_hr_vs_km_medians"):
        assert "adjusted (multivariable)" in d.explanation
    assert all(audit.checks[c] > 0 for c in CHECKS)
    # the Ki-67 OS contradiction stays with the existing check, once
    assert [d.check for d in audit.find(table="table3", item="os/ki67_le20")] == [
        "cox_direction_vs_km"
    ]


def test_inference_checks_alone_match_the_audit(study: PublishedStudy, audit: AuditResult) -> None:
    found, examined = run_inference_checks(study)
    assert found == [d for d in audit.discrepancies if d.check in CHECKS]
    assert examined == {c: audit.checks[c] for c in CHECKS}


def test_resolve_is_unchanged_by_the_inference_checks(
    study: PublishedStudy, audit: AuditResult
) -> None:
    without = AuditResult(
        discrepancies=[d for d in audit.discrepancies if d.check not in CHECKS],
        checks={c: n for c, n in audit.checks.items() if c not in CHECKS},
    )
    a, b = resolve(study, audit), resolve(study, without)
    for name in ("table1", "table1_continuous", "table2", "table4", "survival", "cox"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert (a.n_per_group, a.response_denominators, a.followup_months, a.excluded) == (
        b.n_per_group,
        b.response_denominators,
        b.followup_months,
        b.excluded,
    )


# ------------------------------------------------------------ rounding-only severities
def _pct_finding(check: str, printed: str, consistent: str) -> Discrepancy:
    return Discrepancy(check, "warning", "t", "i", "pct", "here", printed, consistent, "why")


@pytest.mark.parametrize(
    ("check", "printed", "consistent", "severity"),
    [
        ("percentage", "127 (41.3)", "41.2", "info"),  # one unit in the last digit
        ("percentage", "91 (29.6)", "29.5", "info"),  # double rounding of 29.545
        ("percentage", "4 (6.8)", "1.3", "warning"),
        ("percentage", "154 (42)", "50", "warning"),
        ("percentage", "25 (40)", "49", "warning"),
        ("text_vs_table", "22.5%", "22.4%", "info"),
        ("text_vs_table", "42.2%", "42.4%", "warning"),  # two units
        ("percentage", "13 (4)", "4.2", "warning"),  # different decimals: not a rounding slip
    ],
)
def test_rounding_only_percentages_are_info(
    check: str, printed: str, consistent: str, severity: str
) -> None:
    (d,) = grade_rounding_only([_pct_finding(check, printed, consistent)])
    assert d.severity == severity
    assert (d.printed, d.consistent, d.explanation) == (printed, consistent, "why")


def test_rounding_only_grading_on_the_paper(audit: AuditResult) -> None:
    sev = {(d.check, d.item): d.severity for d in audit.discrepancies}
    assert sev[("percentage", "Fatigue/grade_1_2")] == "info"  # 127 (41.3): 41.23
    assert sev[("percentage", "prior_ssa/yes/all")] == "info"  # 106 (34.5): 34.42
    assert sev[("text_vs_table", "grade34_ae_pct_abstract")] == "info"  # 22.5% vs 22.4%
    assert sev[("percentage", "Fever/grade_1_2")] == "warning"  # 4 (6.8): 1.3
    assert sev[("text_vs_table", "orr_all_results")] == "warning"  # 42.2% vs 42.4%
    assert sev[("table1_row_column_sums", "age_group/50-70/2")] == "error"  # untouched
