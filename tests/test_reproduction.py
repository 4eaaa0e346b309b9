"""The reproduction appendix (issue 14, item 3): every printed value beside the recomputed one.

- the verdict rules at their boundaries (table-driven, :mod:`captemstats.reproduction.rules`);
- coverage: every printed value of Tables 1–4 of the YAML is one row of the frame (the
  expected rows are computed from ``load_published()``, never typed);
- the values are looked up, not computed: Table 1/2 P values are the methods module's under
  both profiles, Table 3's reversed reading is 1/HR with the CI inverted;
- reasons: every row that is not equal has one, and every audit finding a row cites exists
  (and every audit finding on Tables 1–4 is cited);
- the shared version keeps no count, percentage or range; the CLI writes the frame.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from captemstats.audit import audit_published
from captemstats.methods import AS_PUBLISHED
from captemstats.outputs import write_outputs
from captemstats.published import load_published
from captemstats.reanalysis import categorical_tests
from captemstats.reproduction import COLUMNS, Reproduction, compare_with_published
from captemstats.reproduction.rules import KINDS, TOLERANCES, Tolerance, verdict

ROOT = Path(__file__).resolve().parents[1]
NAN = math.nan


@pytest.fixture(scope="module")
def res() -> Any:
    from captemstats.analysis import analyze

    return analyze(ROOT / "data" / "registry")


@pytest.fixture(scope="module")
def frame(res: Any) -> pd.DataFrame:
    return compare_with_published(res, load_published()).to_frame()


# -- verdict rules ---------------------------------------------------------------------------------

VERDICT_CASES = [
    # kind, printed, published, recomputed, rounding, expected
    ("count", "59", 59, 59, "round", "equal"),
    ("count", "59", 59, 60, "round", "differs"),  # no tolerance for a count
    ("count", "—", 0, 0, "round", "equal"),
    ("percentage", "44.6", 44.6, 44.64, "round", "equal"),
    ("percentage", "44.6", 44.6, 44.65, "round", "within tolerance"),  # half-up: 44.7
    ("percentage", "44.6", 44.6, 44.7, "round", "within tolerance"),  # 0.1: the boundary
    ("percentage", "44.6", 44.6, 44.71, "round", "differs"),
    ("percentage", "42", 42, 42.49, "round", "equal"),  # the print's decimals
    ("p_value", ".39", 0.39, 0.3949, "round", "equal"),
    ("p_value", ".39", 0.39, 0.3959, "round", "within tolerance"),
    ("p_value", ".39", 0.39, 0.3959, "truncate", "equal"),
    ("p_value", ".39", 0.39, 0.4, "round", "within tolerance"),  # 0.01: the boundary
    ("p_value", ".39", 0.39, 0.4001, "round", "differs"),
    ("p_value", ".051", 0.051, 0.049, "round", "differs"),  # the other side of .05
    ("p_value", ".01", 0.01, 0.00004, "round", "differs"),  # beyond half the printed P
    ("p_value", ".004", 0.004, 0.002, "round", "within tolerance"),  # half: the boundary
    ("p_value", ".004", 0.004, 0.0019, "round", "differs"),
    ("p_value", "<.001", 0.001, 0.00099, "round", "equal"),
    ("p_value", "<.001", 0.001, 0.0015, "round", "within tolerance"),
    ("p_value", "<.001", 0.001, 0.0016, "round", "differs"),
    ("median_survival", "10.6", 10.6, 10.64, "round", "equal"),
    ("median_survival", "10.6", 10.6, 11.66, "round", "within tolerance"),  # 10%
    ("median_survival", "10.6", 10.6, 11.67, "round", "differs"),
    ("median_survival", "not reached", NAN, NAN, "round", "equal"),
    ("median_survival", "not reached", NAN, 144.2, "round", "differs"),
    ("median_survival", "10.6", 10.6, NAN, "round", "differs"),
    ("hazard_ratio", "1.80", 1.8, 1.804, "round", "equal"),
    ("hazard_ratio", "1.80", 1.8, 1.98, "round", "within tolerance"),
    ("hazard_ratio", "1.80", 1.8, 1.99, "round", "differs"),
    ("years", "53", 53, 53.4, "round", "equal"),
    ("years", "53", 53, 54, "round", "within tolerance"),
    ("years", "53", 53, 54.1, "round", "differs"),
    ("months", "41.0", 41.0, 42.0, "round", "within tolerance"),
    ("months", "41.0", 41.0, 42.1, "round", "differs"),
    ("cycles", "2", 2, 2.5, "round", "within tolerance"),  # half-up prints 3
    ("cycles", "2", 2, 1, "round", "differs"),
]


@pytest.mark.parametrize(
    ("kind", "printed", "published", "recomputed", "rounding", "want"), VERDICT_CASES
)
def test_verdict_boundaries(
    kind: Any, printed: str, published: float, recomputed: float, rounding: Any, want: str
) -> None:
    assert verdict(kind, printed, published, recomputed, rounding) == want


def test_verdict_against_a_profile_print() -> None:
    assert verdict("p_value", ".39", 0.39, 0.3959, recomputed_printed=".39") == "equal"
    assert verdict("p_value", ".39", 0.39, 0.3959, recomputed_printed=".40") == "within tolerance"


def test_every_kind_has_one_stated_tolerance() -> None:
    assert set(TOLERANCES) == set(KINDS)
    assert all(t.description for t in TOLERANCES.values())
    assert not Tolerance().allows(1.0, 1.0 + 1e-9)  # no limit given: nothing is allowed


# -- coverage of the printed values ----------------------------------------------------------------


def _expected_cells(table: str, frame: pd.DataFrame, variable: Any, group: str) -> Counter[Any]:
    out: Counter[Any] = Counter()
    for r in frame.to_dict(orient="records"):
        if r["printed"] is None:  # a cell the table leaves blank prints nothing
            continue
        key = (table, variable(r), str(r[group]))
        out[(*key, "count")] += 1
        if r["printed"] != "—":
            out[(*key, "percentage")] += 1
    return out


def test_every_printed_value_of_tables_1_to_4_is_one_row(frame: pd.DataFrame) -> None:
    s = load_published()
    want: Counter[Any] = Counter()
    for h in s.table1.groups:
        want[("Table 1", "patients", h.group, "count")] += 1
        want[("Table 1", "patients", h.group, "percentage")] += 1
    want += _expected_cells(
        "Table 1", s.table1_frame(), lambda r: f"{r['variable']}: {r['level']}", "group"
    )
    for c in s.table1_continuous_frame().to_dict(orient="records"):
        want[("Table 1", c["variable"], c["group"], c["stat"])] += 1
    for p in s.table1_p_frame().to_dict(orient="records"):
        want[("Table 1", p["variable"], "", "P value")] += 1
    for g in s.table2.groups:
        want[("Table 2", "evaluable patients", g.group, "count")] += 1
    want += _expected_cells("Table 2", s.table2_frame(), lambda r: r["response"], "group")
    want[("Table 2", "distribution", "", "P value")] += 1  # the CR row's P
    want += Counter(
        ("Table 2", r.response, "", "P value")
        for r in s.table2.responses
        if r.p_value is not None and r.response != "CR"
    )
    want[("Table 4", "patients", "all", "count")] += 1
    want += _expected_cells("Table 4", s.table4_frame(), lambda r: r["term"], "band")
    got = Counter(
        (r["table"], r["variable"], r["group"], r["quantity"])
        for r in frame.to_dict(orient="records")
        if r["table"] in ("Table 1", "Table 2", "Table 4")
    )
    assert got == want
    cox = frame[frame["table"] == "Table 3"]
    assert len(cox) == 4 * len(s.cox_frame())
    assert Counter(cox["quantity"]) == dict.fromkeys(
        ("hazard ratio", "CI lower", "CI upper", "Cox P"), len(s.cox_frame())
    )


def test_printed_values_are_the_yaml_prints(frame: pd.DataFrame) -> None:
    s = load_published()
    t1 = frame[(frame["table"] == "Table 1") & (frame["quantity"] == "count")]
    printed = {
        (f"{r['variable']}: {r['level']}", r["group"]): r["printed"]
        for r in s.table1_frame().to_dict(orient="records")
    }
    for r in t1[t1["variable"] != "patients"].to_dict(orient="records"):
        cell = printed[(r["variable"], r["group"])]
        assert cell == "—" if r["published"] == "—" else cell.startswith(r["published"] + " (")
    hr = frame[(frame["table"] == "Table 3") & (frame["quantity"] == "hazard ratio")]
    assert list(hr["published"]) == list(s.cox_frame()["hr_printed"])


def test_text_values_are_once_each(frame: pd.DataFrame) -> None:
    s = load_published()
    text = frame[frame["table"] == "Text"]
    medians = text[text["quantity"] == "median survival (months)"]
    assert len(medians) == len(
        s.survival_frame().drop_duplicates(["endpoint", "grouping", "group"])
    )
    assert len(text[text["quantity"] == "log-rank P"]) == len(
        s.survival_p_frame().drop_duplicates(["endpoint", "grouping"])
    )
    summaries = text[text["variable"].isin(["follow-up", "age"])]
    assert sorted(zip(summaries["variable"], summaries["quantity"], strict=True)) == sorted(
        (v, q) for v in ("follow-up", "age") for q in ("median", "min", "max")
    )
    assert (medians["location"].str.contains("; ") | (medians["variable"] != "all")).all()


# -- looked up, not computed -----------------------------------------------------------------------


def test_p_values_are_the_methods_modules_under_both_profiles(
    res: Any, frame: pd.DataFrame
) -> None:
    p = frame[(frame["quantity"] == "P value") & (frame["table"] == "Table 1")]
    rec = categorical_tests(res, "recommended").set_index("variable")["p_value"]
    ap = categorical_tests(res, "as_published").set_index("variable")["p_value"]
    for r in p.to_dict(orient="records"):
        assert r["recomputed"] == rec[r["variable"]]
        assert r["recomputed_as_published"] == ap[r["variable"]]
        assert r["as_published_printed"] == AS_PUBLISHED.format_p(ap[r["variable"]])
        want = "equal" if r["as_published_printed"] == r["published"] else r["verdict_as_published"]
        assert r["verdict_as_published"] == want


def test_table3_is_read_as_labelled_and_reversed(res: Any, frame: pd.DataFrame) -> None:
    cox = frame[frame["table"] == "Table 3"]
    for (endpoint, term), block in cox.groupby(["endpoint", "variable"]):
        fit = res.cox[endpoint].to_frame().set_index("term").loc[term]
        q = block.set_index("quantity")
        assert q.loc["hazard ratio", "recomputed"] == fit["hr"]
        assert q.loc["hazard ratio", "recomputed_reversed"] == pytest.approx(1 / fit["hr"])
        assert q.loc["CI lower", "recomputed_reversed"] == pytest.approx(1 / fit["upper"])
        assert q.loc["CI upper", "recomputed_reversed"] == pytest.approx(1 / fit["lower"])
        assert math.isnan(q.loc["Cox P", "recomputed_reversed"])
        assert len(set(block["reading"]) - {""}) == 1  # one reading per Table 3 row


def test_differences_are_recomputed_minus_published(frame: pd.DataFrame) -> None:
    both = frame.dropna(subset=["published_value", "recomputed"])
    assert (both["difference"] == both["recomputed"] - both["published_value"]).all()
    assert list(frame.columns) == list(COLUMNS)


# -- reasons ---------------------------------------------------------------------------------------


def test_reasons_cite_existing_audit_findings(frame: pd.DataFrame) -> None:
    audit = audit_published(load_published())
    findings = {f"{d.table}:{d.item}:{d.field}": d.check for d in audit.discrepancies}
    cited: set[str] = set()
    for r in frame[frame["audit_item"] != ""].to_dict(orient="records"):
        items, checks = r["audit_item"].split("; "), r["audit_check"].split("; ")
        for item, check in zip(items, checks, strict=True):
            assert item in findings, item
            assert check in r["reason"]
            cited.add(item)
    on_tables = {
        k
        for k in findings
        if k.split(":")[0] in ("table1", "table1_continuous", "table2", "table3", "table4")
    }
    assert on_tables <= cited, sorted(on_tables - cited)


def test_every_value_not_equal_has_a_reason(frame: pd.DataFrame) -> None:
    assert (frame.loc[frame["verdict"] != "equal", "reason"] != "").all()
    questioned = frame[
        frame["audit_check"].str.contains("cox_direction_vs_km|cox_hr_vs_km_medians")
    ]
    assert len(questioned) and questioned["reason"].str.contains("label reading").all()


def test_summary_counts_the_frame(frame: pd.DataFrame) -> None:
    s = Reproduction(frame).summary()
    assert int(s.loc["All", "total"]) == len(frame)
    for table in ("Table 1", "Table 2", "Table 3", "Table 4", "Text"):
        assert int(s.loc[table, "equal"]) == int(
            ((frame["table"] == table) & (frame["verdict"] == "equal")).sum()
        )


# -- privacy and outputs ---------------------------------------------------------------------------


def test_shared_version_keeps_no_count_percentage_or_range(res: Any, frame: pd.DataFrame) -> None:
    from captemstats.disclosure import plan_disclosure

    decision = plan_disclosure(res, 10)
    shared = Reproduction(frame).shareable(decision).to_frame()
    assert not set(shared["kind"]) & {"count", "percentage"}
    assert not set(shared["quantity"]) & {"min", "max"}
    for keys in shared["disclosure_key"]:
        assert not any(decision.is_hidden(k) for k in str(keys).split())
    assert (shared["kind"] == "p_value").sum() == (frame["kind"] == "p_value").sum()


def test_analysis_write_includes_the_reproduction(res: Any, tmp_path: Path) -> None:
    written = write_outputs(res, tmp_path / "out")
    assert {"reproduction.csv", "reproduction.json"} <= set(written)
    csv = pd.read_csv(written["reproduction.csv"], keep_default_na=False)
    records = json.loads(written["reproduction.json"].read_text(encoding="utf-8"))
    assert list(csv.columns) == list(COLUMNS) and len(records) == len(csv)


def test_appendix_table_and_summary_come_from_the_frame(frame: pd.DataFrame) -> None:
    from captemstats.tables.appendix import reproduction_summary, reproduction_table

    rep = Reproduction(frame)
    table = reproduction_table(rep)
    levels = table.data[table.data["row_type"] == "level"]
    # an n (%) cell is one line, and so is an HR with its CI limits
    merged = (frame["kind"] == "percentage").sum() + 2 * (frame["quantity"] == "hazard ratio").sum()
    assert len(levels) == len(frame) - merged
    single = frame[frame["kind"].isin(["p_value", "median_survival", "years", "cycles", "months"])]
    assert set(single["published"]) <= set(levels["published"])
    assert set(levels["verdict"]) <= {"equal", "within tolerance", "differs"} | {
        v for v in levels["verdict"] if "; " in v
    }
    headings = table.data.loc[table.data["row_type"] == "label", "label"]
    assert {h.split(" · ")[0] for h in headings} == set(frame["table"])
    s = rep.summary()
    text = reproduction_summary(rep)
    assert text.startswith(f"{s.loc['All', 'equal']} of {s.loc['All', 'total']} printed values")
