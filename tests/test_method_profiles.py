"""Methods profiles (issue 14, item 1): ``recommended`` (gtsummary's chi-square/Fisher rule,
rounded P) and ``as_published`` (the paper's Pearson chi-square for every categorical
comparison, P printed as SPSS's three decimals truncated to two)."""

from __future__ import annotations

import json
import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from captemstats.analysis import PRIOR_TREATMENTS, TABLE1_VARIABLES, StudyAnalysis, analyze
from captemstats.audit import audit_published
from captemstats.compare import CategoricalComparison, chi_square_test
from captemstats.formatting import format_p, format_p_as, format_p_truncated
from captemstats.methods import (
    AS_PUBLISHED,
    METHODS_NAMES,
    PROFILES,
    RECOMMENDED,
    get_profile,
)
from captemstats.published import load_published
from captemstats.reanalysis import categorical_tests
from captemstats.tables import characteristics_table, response_table

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "data" / "registry"

#: Table 1's tested categorical rows (the paper's P-value column) and Table 2's tests.
TABLE1_TESTED = [
    v for v in TABLE1_VARIABLES if v not in PRIOR_TREATMENTS and v not in ("age", "cycles")
]
TABLE2_TESTS = ["distribution", "ORR", "DCR"]
#: Table 2's test key -> the published row that prints its P (the CR row: the distribution).
TABLE2_PUBLISHED_ROW = {"distribution": "CR", "ORR": "ORR", "DCR": "DCR"}


@pytest.fixture(scope="module")
def res() -> StudyAnalysis:
    return analyze(REGISTRY)


@pytest.fixture(scope="module")
def pub(res: StudyAnalysis) -> StudyAnalysis:
    return res.with_methods("as_published")


def _comparison(a: StudyAnalysis, table: str, variable: str) -> CategoricalComparison:
    c = a.characteristics.comparisons[variable] if table == "table1" else a.response_tests[variable]
    assert isinstance(c, CategoricalComparison)
    return c


# -- the profiles ----------------------------------------------------------------------------
def test_profiles_are_typed_data() -> None:
    assert METHODS_NAMES == ("recommended", "as_published")
    assert set(PROFILES) == set(METHODS_NAMES)
    assert get_profile("recommended") is RECOMMENDED
    assert get_profile(AS_PUBLISHED) is AS_PUBLISHED
    assert (RECOMMENDED.categorical_rule, RECOMMENDED.p_display) == ("auto", "rounded")
    assert (AS_PUBLISHED.categorical_rule, AS_PUBLISHED.p_display) == ("chisq", "truncated")
    with pytest.raises(ValueError, match="recommended or as_published"):
        get_profile("spss")
    with pytest.raises(ValueError, match="unknown methods profile"):
        analyze(REGISTRY, methods="spss")  # type: ignore[arg-type]


def test_methods_description_is_sentence_free() -> None:
    rec, pub = RECOMMENDED.describe(), AS_PUBLISHED.describe()
    assert rec.small_expected_test == "Fisher's exact test" and rec.small_expected_below == 5.0
    assert pub.small_expected_test is None and pub.small_expected_below is None
    assert pub.software == "SPSS 22.0"
    assert rec.categorical_test == pub.categorical_test
    assert "chi-square" in pub.categorical_test
    for d in (rec, pub):
        for text in (d.categorical_test, d.continuous_test, d.p_value_display, d.software):
            assert not text.endswith(".")


# -- the tests each profile runs -------------------------------------------------------------
ROWS = [("table1", v) for v in TABLE1_TESTED] + [("table2", k) for k in TABLE2_TESTS]


@pytest.mark.parametrize(("table", "variable"), ROWS)
def test_as_published_uses_pearson_chi_square_for_every_row(
    res: StudyAnalysis, pub: StudyAnalysis, table: str, variable: str
) -> None:
    c = _comparison(pub, table, variable)
    assert c.test == "chisq"
    assert c.fisher is None and c.chisq is not None
    assert c.chisq.method.continuity_correction is False
    # the same counts as the recommended profile's comparison, tested by chi-square
    same = chi_square_test(_comparison(res, table, variable).table)
    assert c.p_value == pytest.approx(same.p_value, rel=1e-12)
    assert c.statistic == pytest.approx(same.statistic, rel=1e-12)
    assert c.df == same.df


def test_rows_where_recommended_uses_fisher_are_covered(res: StudyAnalysis) -> None:
    fisher = [(t, v) for t, v in ROWS if _comparison(res, t, v).test != "chisq"]
    # The shipped registry has rows with an expected count below 5 (grade, Ki-67, ...): the
    # table-driven test above includes them.
    assert len(fisher) >= 3
    assert ("table1", "grade") in fisher


def test_continuous_rows_keep_their_rank_test(res: StudyAnalysis, pub: StudyAnalysis) -> None:
    for v in ("age", "cycles"):
        a, b = res.characteristics.comparisons[v], pub.characteristics.comparisons[v]
        assert a is not None and b is not None
        assert b.test == a.test == "kruskal"
        assert b.p_value == a.p_value
    for v in PRIOR_TREATMENTS:
        assert pub.characteristics.comparisons[v] is None


def test_with_methods_shares_the_rest_and_matches_a_full_run(
    res: StudyAnalysis, pub: StudyAnalysis
) -> None:
    assert pub.methods is AS_PUBLISHED and res.methods is RECOMMENDED
    assert pub.survival is res.survival and pub.cox is res.cox and pub.cohort is res.cohort
    assert res.with_methods("recommended") is res
    full = analyze(REGISTRY, methods="as_published")
    assert full.methods is AS_PUBLISHED
    assert categorical_tests(full).equals(categorical_tests(pub))
    back = pub.with_methods("recommended")
    assert back.characteristics.to_frame().equals(res.characteristics.to_frame())
    assert categorical_tests(back).equals(categorical_tests(res))


def test_categorical_tests_frame(res: StudyAnalysis) -> None:
    frame = categorical_tests(res, "as_published")
    assert list(frame.columns) == [
        "table",
        "variable",
        "test",
        "statistic",
        "df",
        "p_value",
        "methods",
    ]
    assert [(t, v) for t, v in zip(frame["table"], frame["variable"], strict=True)] == ROWS
    assert set(frame["test"]) == {"chisq"} and set(frame["methods"]) == {"as_published"}
    assert frame["p_value"].dtype == "float64" and frame["statistic"].notna().all()
    rec = categorical_tests(res)
    assert set(rec["methods"]) == {"recommended"}
    assert rec["statistic"].isna().tolist() == (rec["test"] != "chisq").tolist()


def test_results_json_records_the_profile(res: StudyAnalysis, pub: StudyAnalysis) -> None:
    rec_doc, pub_doc = json.loads(res.to_json()), json.loads(pub.to_json())
    assert rec_doc["methods"]["name"] == "recommended"
    assert pub_doc["methods"] == json.loads(json.dumps(AS_PUBLISHED.to_dict()))
    assert {v["test"] for v in pub_doc["table2_tests"].values()} == {"chisq"}
    tests = {r["variable"]: r["test"] for r in pub_doc["table1"] if r["test"] is not None}
    assert {tests[v] for v in TABLE1_TESTED} == {"chisq"}


# -- P-value print -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("p", "printed"),
    [
        (0.0, "<.001"),
        (0.00049999, "<.001"),  # SPSS shows .000
        (0.0005, ".001"),  # SPSS rounds half-up to .001
        (0.00057, ".001"),
        (0.001, ".001"),
        (0.0094, ".009"),
        (0.00949, ".009"),
        (0.0095, ".01"),  # SPSS .010, truncated to two decimals
        (0.0099, ".01"),
        (0.01, ".01"),
        (0.0194, ".01"),
        (0.0199, ".02"),  # SPSS .020
        (0.0494, ".04"),
        (0.0496, ".05"),  # SPSS .050: the paper's software prints it .05 (still P < .05)
        (0.3959, ".39"),
        (0.3995, ".40"),  # SPSS .400
        (0.9994, ".99"),
        (0.9995, "1.00"),
        (1.0, "1.00"),
    ],
)
def test_truncated_print_boundaries(p: float, printed: str) -> None:
    assert format_p_truncated(p) == printed
    assert format_p_as(p, "truncated") == printed
    assert AS_PUBLISHED.format_p(p) == printed


def test_truncated_print_edge_inputs() -> None:
    assert format_p_truncated(0.3959, leading_zero=True) == "0.39"
    assert format_p_truncated(0.0001, leading_zero=True) == "<0.001"
    assert format_p_truncated(None) == "NA" and format_p_truncated(math.nan) == "NA"
    with pytest.raises(ValueError, match="not a probability"):
        format_p_truncated(1.5)
    with pytest.raises(ValueError, match="unknown display"):
        format_p_as(0.5, "spss")  # type: ignore[arg-type]
    assert format_p_as(0.3959) == format_p(0.3959) == RECOMMENDED.format_p(0.3959)


def _rounded_or_truncated(p: float, printed: str) -> bool:
    """The audit's acceptance rule: the exact P rounded or truncated to the printed decimals
    (``<.001``: any P below .001)."""
    if printed == "<.001":
        return p < 0.001
    target = Decimal(printed)
    q = Decimal(1).scaleb(target.as_tuple().exponent)  # type: ignore[arg-type]
    exact = Decimal(repr(p))
    return any(exact.quantize(q, rounding=m) == target for m in (ROUND_HALF_UP, ROUND_DOWN))


@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_every_truncated_print_is_the_p_rounded_or_truncated(p: float) -> None:
    printed = format_p_truncated(p)
    assert _rounded_or_truncated(p, printed), (p, printed)
    # Truncation never prints a P above .05 as one below it.
    if p >= 0.05:
        assert printed == "1.00" or Decimal(printed) >= Decimal("0.05")


# -- tables ----------------------------------------------------------------------------------
def test_tables_state_and_print_the_profile(res: StudyAnalysis, pub: StudyAnalysis) -> None:
    note = AS_PUBLISHED.footnote()
    assert note is not None and "SPSS 22.0" in note and RECOMMENDED.footnote() is None
    t1 = characteristics_table(pub.characteristics, methods=pub.methods)
    t2 = response_table(pub.response_rates, tests=pub.response_tests, methods="as_published")
    for table in (t1, t2):
        assert note in [f.text for f in table.footnotes]
    grade = t1.data.loc[t1.data["variable"].eq("grade") & t1.data["p"].ne(""), "p"].item()
    p = pub.characteristics.comparisons["grade"]
    assert p is not None and grade == format_p_truncated(p.p_value)
    # the recommended profile's tables are the tables without a profile, byte for byte
    plain = characteristics_table(res.characteristics)
    same = characteristics_table(res.characteristics, methods=res.methods)
    assert plain.data.equals(same.data) and plain.footnotes == same.footnotes
    plain2 = response_table(res.response_rates, tests=res.response_tests)
    same2 = response_table(res.response_rates, tests=res.response_tests, methods="recommended")
    assert plain2.data.equals(same2.data) and plain2.footnotes == same2.footnotes


# -- the paper's printed P values ---------------------------------------------------------------
def _norm(text: str) -> str:
    return "".join(text.split())


def test_as_published_agreement_with_the_paper(pub: StudyAnalysis) -> None:
    """On the shipped registry, the paper's rule printed the paper's way reproduces the
    printed P values except where the audit shows the print itself is inconsistent."""
    study = load_published()
    printed1 = {str(r["variable"]): str(r["printed"]) for _, r in study.table1_p_frame().iterrows()}
    printed2 = {
        key: r.p_value.printed
        for key, row in TABLE2_PUBLISHED_ROW.items()
        for r in study.table2.responses
        if r.response == row and r.p_value is not None
    }
    assert sorted(printed1) == sorted(TABLE1_TESTED) and sorted(printed2) == sorted(TABLE2_TESTS)
    ours = categorical_tests(pub)
    shown = {
        (str(t), str(v)): pub.methods.format_p(p)
        for t, v, p in zip(ours["table"], ours["variable"], ours["p_value"], strict=True)
    }
    differ1 = {v for v, text in printed1.items() if _norm(shown[("table1", v)]) != _norm(text)}
    differ2 = {k for k, text in printed2.items() if _norm(shown[("table2", k)]) != _norm(text)}
    assert len(printed1) - len(differ1) >= 12  # of 13
    assert len(printed2) - len(differ2) >= 2  # of 3
    flagged = {
        (d.table, d.item)
        for d in audit_published(study).discrepancies
        if d.check == "p_value_chi_square"
    }
    assert {("table1", v) for v in differ1} <= flagged
    assert {("table2", TABLE2_PUBLISHED_ROW[k]) for k in differ2} <= flagged


# -- the command line --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli() -> CliRunner:
    from captemstats.cli import _register

    _register()
    return CliRunner()


def test_analyze_cli_records_the_profile(cli: CliRunner, tmp_path: Path) -> None:
    from captemstats.cli import app

    out = tmp_path / "out"
    ok = cli.invoke(
        app,
        ["analyze", "--registry", str(REGISTRY), "--out", str(out), "--methods", "as_published"],
    )
    assert ok.exit_code == 0, ok.output
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["methods"]["name"] == "as_published"
    assert {v["test"] for v in doc["table2_tests"].values()} == {"chisq"}
    bad = cli.invoke(
        app, ["analyze", "--registry", str(REGISTRY), "--out", str(out), "--methods", "spss"]
    )
    assert bad.exit_code == 2 and "Traceback" not in bad.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [([], "recommended"), (["--methods", "as_published"], "as_published")],
)
def test_report_cli_passes_the_profile(
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    expected: str,
) -> None:
    from captemstats.cli import app, report_cmd
    from captemstats.render.engine import RenderResult

    calls: dict[str, Any] = {}
    html = tmp_path / "index.html"

    def render_document(qmd: Path, **kw: Any) -> RenderResult:
        calls["params"] = kw["params"]
        return RenderResult({"html": html}, "captemstats", {}, False, 0, tmp_path)

    def audit(*a: Any, **kw: Any) -> bool:
        calls["audit_methods"] = a[-1]
        return True

    monkeypatch.setattr("captemstats.render.engine.render_document", render_document)
    monkeypatch.setattr(report_cmd, "_audit", audit)
    document = tmp_path / "index.qmd"
    document.write_text("# x\n", encoding="utf-8")
    result = cli.invoke(
        app,
        ["report", "--registry", str(REGISTRY), "--document", str(document), *args],
    )
    assert result.exit_code == 0, result.output
    # The default is not passed to the document: its parameters (and render cache) unchanged.
    assert calls["params"].get("methods", "recommended") == expected
    assert ("methods" in calls["params"]) == (expected != "recommended")
    assert calls["audit_methods"] == expected
