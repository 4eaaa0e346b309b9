"""Audit of the published values: each named discrepancy, the resolved tables, invariants."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captemstats.audit import CHECKS as INFERENCE_CHECKS
from captemstats.audit import (
    AuditResult,
    Discrepancy,
    audit_published,
    consistency_problems,
    pct_matches,
    resolve,
)
from captemstats.audit import rounded_pct_text as format_pct
from captemstats.published import (
    GROUPS,
    LINE_GROUPS,
    PublishedDataError,
    PublishedStudy,
    default_path,
    load_published,
)


@pytest.fixture(scope="module")
def study() -> PublishedStudy:
    return load_published()


@pytest.fixture(scope="module")
def audit(study: PublishedStudy) -> AuditResult:
    return audit_published(study)


# One row per named discrepancy: (check, table, item, field, printed, consistent)
NAMED = [
    # Table 1 counts that break a row and a column sum
    ("table1_row_column_sums", "table1", "age_group/50-70/2", "n", "5 (50)", "59"),
    ("table1_row_column_sums", "table1", "sex/male/3+", "n", "2 (49)", "25"),
    ("table1_row_column_sums", "table1", "ki67_group/<3/2", "n", "33 (23.7)", "28"),
    ("table1_row_column_sums", "table1", "drug_holiday/yes/all", "n", "5 (16.9)", "52"),
    ("median_vs_category_counts", "table1", "age_group/50-70/2", "n", "5 (50)", "59"),
    # Table 1 percentages
    ("percentage", "table1", "age_group/<50/all", "pct", "124 (44.6)", "40.3"),
    ("percentage", "table1", "age_group/50-70/all", "pct", "154 (42)", "50"),
    ("percentage", "table1", "age_group/>70/all", "pct", "30 (13.4)", "9.7"),
    ("percentage", "table1", "treatment_interruption/yes/all", "pct", "23 (9.1)", "7.5"),
    ("percentage", "table1", "comorbidity/yes/3+", "pct", "25 (40)", "49"),
    ("percentage", "table1", "prior_curative_surgery/yes/2", "pct", "27 (27.9)", "22.9"),
    ("percentage", "table1", "metastatic_sites/both/1", "pct", "76 (45.1)", "54.7"),
    ("percentage", "table1", "prior_ssa/yes/all", "pct", "106 (34.5)", "34.4"),
    ("cell_format", "table1", "prior_chemo/yes/2", "printed", "31 (26.3", "31 (26.3)"),
    # Table 1 continuous
    ("range_within_overall", "table1_continuous", "age/min/all", "min", "22", "18"),
    ("range_within_overall", "table1_continuous", "age/max/all", "max", "79", "82"),
    ("weighted_mean", "table1_continuous", "cycles/mean/all", "mean", "8.21", "8.07"),
    ("pooled_sd", "table1_continuous", "cycles/sd/all", "sd", "7.49", "7.53"),
    ("one_course_vs_cycle_minimum", "table1_continuous", "cycles/min/3+", "min", "2", "1"),
    # Table 1 and 2 P values recomputed by chi-square
    ("p_value_chi_square", "table1", "grade", "p_value", ".01", "<.001"),
    ("p_value_chi_square", "table2", "DCR", "p_value", ".43", ".50"),
    # Table 2
    ("orr_dcr_composition", "table2", "DCR/2", "n", "77 (65.0%)", "76"),
    ("cell_format", "table2", "PD/all", "printed", "97 (31.9))", "97 (31.9)"),
    ("cell_format", "table2", "DCR/2", "printed", "77 (65.0%)", "77 (65.0)"),
    # Table 4 percentages of 308
    ("percentage", "table4", "Fatigue/grade_4", "pct", "1 (1.2)", "0.3"),
    ("percentage", "table4", "Fatigue/grade_1_2", "pct", "127 (41.3)", "41.2"),
    ("percentage", "table4", "Fever/grade_1_2", "pct", "4 (6.8)", "1.3"),
    ("percentage", "table4", "Pruritus/grade_1_2", "pct", "4 (6.8)", "1.3"),
    ("percentage", "table4", "Rash/grade_1_2", "pct", "2 (3.4)", "0.6"),
    ("percentage", "table4", "Dehydration/grade_1_2", "pct", "2 (2.4)", "0.6"),
    ("percentage", "table4", "Dehydration/grade_3", "pct", "2 (2.4)", "0.6"),
    ("percentage", "table4", "Lymphocyte count decreased/grade_1_2", "pct", "40 (12.9)", "13.0"),
    ("percentage", "table4", "Constipation/grade_1_2", "pct", "11 (3.5)", "3.6"),
    ("percentage", "table4", "Anorexia/grade_1_2", "pct", "91 (29.6)", "29.5"),
    ("percentage", "table4", "Anorexia/interruption", "pct", "1 (1.2)", "0.3"),
    ("percentage", "table4", "Blood bilirubin increased/grade_1_2", "pct", "15 (4.8)", "4.9"),
    ("percentage", "table4", "Blood bilirubin increased/interruption", "pct", "1 (1.2)", "0.3"),
    (
        "percentage",
        "table4",
        "Palmar-plantar erythrodysesthesia syndrome/interruption",
        "pct",
        "1 (1.2)",
        "0.3",
    ),
    (
        "percentage",
        "table4",
        "Aspartate aminotransferase increased/interruption",
        "pct",
        "1 (1.2)",
        "0.3",
    ),
    (
        "percentage",
        "table4",
        "Alanine aminotransferase increased/interruption",
        "pct",
        "1 (1.2)",
        "0.3",
    ),
    # text against tables against abstract
    ("text_vs_table", "text", "orr_all_results", "pct", "42.2%", "42.4%"),
    ("text_vs_table", "text", "grade34_ae_pct_results", "pct", "21.1%", "22.4%"),
    ("text_vs_table", "text", "grade34_ae_pct_abstract", "pct", "22.5%", "22.4%"),
    ("text_vs_table", "text", "grade34_ae_pct_discussion", "pct", "22.5%", "22.4%"),
    ("text_vs_table", "text", "dose_reduction_pct_results", "pct", "16.9%", "21.1%"),
    ("text_vs_table", "text", "dose_reduction_pct_3_results", "pct", "41.6%", "41.2%"),
    ("text_vs_table", "text", "discontinuation_pct_abstract", "pct", "9.5%", "7.5%"),
    ("text_vs_table", "text", "discontinuation_pct_discussion", "pct", "9.5%", "7.5%"),
    ("text_vs_table", "text", "grade34_discontinued_n_discussion", "n", "69", "23"),
    ("percentage", "text", "ae_discontinued_pct_discussion", "pct", "9.1%", "7.5%"),
    ("text_vs_table", "text", "unknown_grade_ki67_1_20", "n", "14", "13"),
    ("label", "text", "figure3_ki67_labels", "label", "20%-55%", "21%-55%"),
    # Table 3
    ("cox_wald_p", "table3", "pfs/comorbidity", "p_value", ".21", None),
    ("cox_direction_vs_km", "table3", "os/ki67_le20", "hr", "1.80 (1.09-2.96)", None),
]


@pytest.mark.parametrize(
    ("check", "table", "item", "field", "printed", "consistent"),
    NAMED,
    ids=[f"{r[0]}:{r[2]}:{r[3]}" for r in NAMED],
)
def test_named_discrepancy_is_found(
    audit: AuditResult,
    check: str,
    table: str,
    item: str,
    field: str,
    printed: str,
    consistent: str | None,
) -> None:
    hits = audit.find(check=check, table=table, item=item, field=field)
    assert len(hits) == 1, f"{check} {item}: {hits}"
    d = hits[0]
    assert d.printed == printed
    assert d.consistent == consistent
    assert d.location and d.explanation
    if consistent is None:  # then the explanation must say why
        assert "determinable" in d.explanation or "reversed" in d.explanation


def test_every_discrepancy_is_named_in_the_tests(audit: AuditResult) -> None:
    """No unexplained finding: the audit's list equals the table above, nothing more (the
    inference checks' findings are named in tests/test_audit_inference.py)."""
    named = {(r[0], r[1], r[2], r[3]) for r in NAMED}
    found = {
        (d.check, d.table, d.item, d.field)
        for d in audit.discrepancies
        if d.check not in INFERENCE_CHECKS
    }
    assert found == named


def test_count_percentage_agreement_is_cited(audit: AuditResult) -> None:
    (d,) = audit.find(check="table1_row_column_sums", item="age_group/50-70/2")
    assert "59/118" in d.explanation and "Second line" in d.location
    (d,) = audit.find(check="text_vs_table", item="discontinuation_pct_abstract")
    assert "no whole count out of 308" in d.explanation


def test_values_that_agree_are_not_flagged(audit: AuditResult) -> None:
    ok = [
        ("table1", "age_group/50-70/1"),  # 66 (47.5)
        ("table1", "dose_reduction/yes/1"),  # 25 (18)
        ("table2", "ORR/all"),  # 129 (42.4)
        ("table4", "Nausea/vomiting/grade_3"),  # 14 (4.5): 4.545 rounds to 4.5
        ("text", "dose_reduction_pct_1_results"),  # 18.0% vs the table's 18
        ("text", "dcr_2_results"),  # 65.0% = 76/117
        ("table3", "os/first_line"),
    ]
    for table, item in ok:
        # os/first_line's CI and its HR against the medians are flagged by the inference
        # checks (tests/test_audit_inference.py); its arithmetic agrees
        hits = [d for d in audit.find(table=table, item=item) if d.check not in INFERENCE_CHECKS]
        assert hits == [], item


def test_frames(audit: AuditResult) -> None:
    f = audit.to_frame()
    assert list(f.columns) == list(Discrepancy.__dataclass_fields__)
    assert len(f) == len(audit.discrepancies)
    assert set(f["severity"]) <= {"error", "warning", "info"}
    c = audit.checks_frame()
    assert (c["examined"] > 0).all()
    assert c.set_index("check")["found"].sum() == len(f)


# ------------------------------------------------------------------------- resolved
@pytest.fixture(scope="module")
def resolved(study: PublishedStudy, audit: AuditResult) -> Any:
    return resolve(study, audit)


def test_resolved_is_internally_consistent(resolved: Any) -> None:
    assert consistency_problems(resolved) == []
    t1 = resolved.table1
    wide = t1.pivot_table(index=["variable", "level"], columns="group", values="n")
    assert (wide["all"] == wide[list(LINE_GROUPS)].sum(axis=1)).all()
    sums = t1.groupby(["variable", "group"])["n"].sum().unstack()
    for g in GROUPS:
        assert (sums[g] == resolved.n_per_group[g]).all()
    assert str(t1["n"].dtype) == "int64"


@pytest.mark.parametrize(
    ("variable", "level", "group", "n"),
    [
        ("age_group", "50-70", "2", 59),
        ("sex", "male", "3+", 25),
        ("ki67_group", "<3", "2", 28),
        ("drug_holiday", "yes", "all", 52),
        ("prior_ssa", "yes", "1", 0),
        ("prior_ssa", "no", "2", 45),
        ("grade", "unknown", "all", 13),
    ],
)
def test_resolved_table1_cells(
    resolved: Any, variable: str, level: str, group: str, n: int
) -> None:
    assert resolved.table1_count(variable, level, group) == n


def test_resolved_table2(resolved: Any) -> None:
    w = resolved.table2.pivot(index="response", columns="group", values="n")
    assert w.loc["DCR", "2"] == 76
    assert (w.loc["ORR"] == w.loc["CR"] + w.loc["PR"]).all()
    assert (w.loc["DCR"] == w.loc["ORR"] + w.loc["SD"]).all()
    assert w.loc["NE"].to_dict() == {"1": 2, "2": 1, "3+": 1, "all": 4}
    base = w.loc[["CR", "PR", "SD", "PD", "NE"]].sum()
    assert base.to_dict() == resolved.n_per_group


def test_resolved_continuous_table4_survival_cox(resolved: Any) -> None:
    c = resolved.table1_continuous.set_index(["variable", "stat", "group"])["value"]
    assert (c[("age", "min", "all")], c[("age", "max", "all")]) == (18.0, 82.0)
    assert c[("cycles", "min", "3+")] == 1.0
    assert c[("cycles", "mean", "all")] == pytest.approx(8.07)
    t4 = resolved.table4
    assert len(t4) == 21 * 4 and (t4["n"] >= 0).all()
    fever = t4[t4["term"] == "Fever"].set_index("band")["n"].to_dict()
    assert fever == {"grade_1_2": 4, "grade_3": 0, "grade_4": 0, "interruption": 0}
    s = resolved.survival
    assert not s.duplicated(["endpoint", "grouping", "group"]).any()
    assert list(resolved.cox.columns) == [
        "endpoint",
        "covariate",
        "hr",
        "lower",
        "upper",
        "p_value",
    ]
    assert resolved.followup_months == {"median": 41.0, "min": 1.7, "max": 212.1}
    assert resolved.excluded == 11


def test_resolve_refuses_an_audit_that_misses_errors(study: PublishedStudy) -> None:
    with pytest.raises(PublishedDataError, match="age_group"):
        resolve(study, AuditResult(discrepancies=[]))


# ------------------------------------------------------------------ rules and invariants
@pytest.mark.parametrize(
    ("printed", "decimals", "n", "d", "ok"),
    [
        (40.3, 1, 124, 308, True),
        (44.6, 1, 124, 308, False),
        (49.0, 0, 151, 308, True),  # "49"
        (12.5, 1, 1, 8, True),  # exact tie: 12.5
        (4.5, 1, 14, 308, True),  # 4.545... -> 4.5, not 4.6
        (29.6, 1, 91, 308, False),  # 29.545... -> 29.5 (29.6 is double rounding)
        (
            2.5,
            1,
            1,
            40,
            True,
        ),  # exactly 2.5 at one decimal
        (3.0, 0, 1, 40, True),  # the tie 2.5 at 0 decimals: half-up "3" and
        (2.0, 0, 1, 40, True),
    ],
)
def test_rounding_rule(printed: float, decimals: int, n: int, d: int, ok: bool) -> None:
    assert pct_matches(printed, decimals, n, d) is ok


@given(d=st.integers(1, 500), data=st.data(), k=st.integers(0, 2))
def test_recomputed_percentage_always_matches(d: int, data: st.DataObject, k: int) -> None:
    n = data.draw(st.integers(0, d))
    assert pct_matches(float(format_pct(n, d, k)), k, n, d)


def _consistent_raw(study: PublishedStudy, resolved: Any) -> dict[str, Any]:
    """The YAML with Table 1 counts replaced by the resolved ones (percentages recomputed)."""
    raw = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    n = study.n_per_group()
    for v in raw["table1"]["variables"]:
        for lv in v["levels"]:
            for g, cell in lv["cells"].items():
                if cell["printed"] == "—":
                    continue
                count = resolved.table1_count(v["variable"], lv["level"], g)
                k = 1 if "." in cell["pct"] else 0
                pct = format_pct(count, n[g], k)
                cell.update(n=count, pct=pct, printed=f"{count} ({pct})")
    return raw


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_planted_count_error_is_located_and_undone(
    study: PublishedStudy, resolved: Any, data: st.DataObject
) -> None:
    """Property: in an otherwise consistent Table 1, one wrong count is found at its cell
    and its consistent value is the original count."""
    raw = _consistent_raw(study, resolved)
    vi = data.draw(
        st.sampled_from(
            [i for i, v in enumerate(raw["table1"]["variables"]) if len(v["levels"]) > 1]
        )
    )
    var = raw["table1"]["variables"][vi]
    li = data.draw(st.integers(0, len(var["levels"]) - 1))
    g = data.draw(st.sampled_from(GROUPS))
    cell = var["levels"][li]["cells"][g]
    true = cell["n"]
    wrong = data.draw(st.integers(0, 400).filter(lambda x: x != true))
    bad = copy.deepcopy(raw)
    bcell = bad["table1"]["variables"][vi]["levels"][li]["cells"][g]
    bcell.update(n=wrong, printed=f"{wrong} ({bcell['pct']})")
    a = audit_published(PublishedStudy.model_validate(bad))
    hits = a.find(check="table1_row_column_sums")
    assert [(d.item, d.consistent) for d in hits] == [
        (f"{var['variable']}/{var['levels'][li]['level']}/{g}", str(true))
    ]
