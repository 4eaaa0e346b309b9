"""The one-call analysis (``captemstats.analyze``), its results.json, the ``analyze`` CLI, the
prose look-ups and the published-vs-recomputed comparison, on the shipped synthetic registry.

Expected values are recomputed here from the library's own building blocks or taken from the
resolved published values, never typed in.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from _edits import move_progressions_at_the_median
from typer.testing import CliRunner

import captemstats
from captemstats.analysis import (
    GROUPING_EXCLUDED_LEVELS,
    RESULTS_SCHEMA_VERSION,
    InvalidRegistryError,
    StudyAnalysis,
    analyze,
)
from captemstats.formatting import format_median, format_p
from captemstats.outputs import write_outputs
from captemstats.prose import ProseNumbers, join_words
from captemstats.published import load_published
from captemstats.reproduction import compare_with_published

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "data" / "registry"
INVALID = Path(__file__).parent / "data" / "invalid"
RESULTS_SCHEMA = ROOT / "captemstats" / "resources" / "results" / "results.schema.json"


@pytest.fixture(scope="module")
def res() -> StudyAnalysis:
    return analyze(REGISTRY)


def test_top_level_lazy_export() -> None:
    assert captemstats.analyze is analyze


def test_cohort_and_attrition_account_for_everyone(res: StudyAnalysis) -> None:
    att = res.cohort.attrition
    assert att.n_input == len(pd.read_csv(REGISTRY / "patients.csv"))
    assert att.n_input == att.n_kept + att.n_excluded
    study = load_published()
    assert res.n == study.study.patients.value
    assert res.n_by_line == {k: v for k, v in study.n_per_group().items() if k != "all"}
    assert att.n_excluded == study.study.excluded.value
    assert res.provenance.registry == REGISTRY.name  # a name, never a path
    assert res.provenance.synthetic
    assert {f["table"] for f in res.provenance.files} == {
        "patients",
        "lesions",
        "adverse_events",
    }


def test_every_km_grouping_of_the_paper_is_computed(res: StudyAnalysis) -> None:
    data = res.cohort.data
    for endpoint in ("pfs", "os"):
        for grouping in ("all", "line_group", "grade", "ki67_group", "primary_site"):
            sc = res.km(endpoint, grouping)
            assert sum(sc.km.n.values()) + sc.km.n_excluded == len(data)
            if grouping != "all":
                kept = data[grouping].astype(str)
                kept = kept[~kept.isin(GROUPING_EXCLUDED_LEVELS.get(grouping, ()))]
                assert set(sc.km.groups) == set(kept)
                assert sc.km.n_excluded == len(data) - len(kept)
                assert sc.logrank is not None and 0 <= sc.logrank.p_value <= 1
            else:
                assert sc.logrank is None
    # curves follow the paper's order, not the alphabet
    assert res.km("pfs", "ki67_group").km.groups == ["<3", "3-20", "21-55"]
    assert res.km("pfs", "primary_site").km.groups == [
        "pancreas",
        "gastrointestinal",
        "lung",
        "unknown",
    ]
    with pytest.raises(KeyError, match="no survival analysis"):
        res.km("pfs", "nope")


def test_table2_counts_come_from_the_recist_engine(res: StudyAnalysis) -> None:
    bor = res.bor_frame()
    assert (bor["source"] == "measurements").all()
    table = res.response_rates.table
    orr_all = table[(table["measure"] == "ORR") & (table["group"] == "All patients")].iloc[0]
    evaluable = bor[bor["evaluable"].astype(bool)]
    assert int(orr_all["n"]) == len(evaluable)
    assert int(orr_all["count"]) == int(evaluable["bor"].isin(["CR", "PR"]).sum())
    for key in ("distribution", "ORR", "DCR"):
        test = res.response_tests[key]
        assert 0 <= test.p_value <= 1 and str(test.test)


def test_cox_table3_terms_and_complete_cases(res: StudyAnalysis) -> None:
    data = res.cohort.data
    complete = data["ki67_le20"].notna() & data["grade_1_2"].notna()
    for endpoint in ("pfs", "os"):
        fit = res.cox[endpoint]
        assert len(fit.terms) == 9
        assert fit.n == int(complete.sum()) and fit.n_excluded == int((~complete).sum())
        assert fit.converged
        robust = res.cox_cluster[endpoint]
        assert robust.robust_se is not None
        # Same point estimates; only the variance differs (cluster sandwich by centre).
        assert robust.coef == pytest.approx(fit.coef, rel=1e-12)
        assert len(res.cox_univariable[endpoint].results) == 9


def test_results_json_is_versioned_and_free_of_identifiers(
    res: StudyAnalysis, tmp_path: Path
) -> None:
    written = write_outputs(res, tmp_path)
    assert {"results.json", "table1.csv", "table2.csv", "table3_pfs.csv", "table4.csv"} <= set(
        written
    )
    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == RESULTS_SCHEMA_VERSION
    jsonschema.validate(doc, json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8")))
    assert doc["cohort"]["n"] == res.n
    assert doc["attrition"]["n_input"] == res.cohort.attrition.n_input
    km = {(s["endpoint"], s["grouping"]): s for s in doc["survival"]}
    assert km[("pfs", "all")]["groups"][0]["median"] == pytest.approx(
        res.km("pfs").km.median["(all)"].estimate
    )
    # no patient identifier and no exact date in any output
    ids = set(res.cohort.data["patient_id"].astype(str))
    dates = set(res.cohort.data["captem_start_date"].dt.strftime("%Y-%m-%d"))
    for path in written.values():
        text = path.read_text(encoding="utf-8")
        tokens = set(re.findall(r"[A-Za-z0-9_-]+", text))
        assert not ids & tokens, path.name
        assert not any(d in text for d in dates), path.name
    # deterministic bytes
    again = write_outputs(res, tmp_path / "again")
    for name, path in written.items():
        assert path.read_bytes() == again[name].read_bytes(), name


def test_invalid_registry_is_refused_with_the_report() -> None:
    bad = INVALID / "09_duplicate_patient_id"
    with pytest.raises(InvalidRegistryError) as info:
        analyze(bad)
    assert info.value.report.n_errors >= 1


def test_cli_analyze_writes_results_and_refuses_invalid(tmp_path: Path) -> None:
    from captemstats.cli import _register, app

    _register()
    runner = CliRunner()
    out = tmp_path / "out"
    ok = runner.invoke(app, ["analyze", "--registry", str(REGISTRY), "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert (out / "results.json").is_file()
    bad_out = tmp_path / "bad"
    bad = runner.invoke(
        app,
        ["analyze", "--registry", str(INVALID / "09_duplicate_patient_id"), "--out", str(bad_out)],
    )
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output
    assert not bad_out.exists()


def test_prose_numbers_print_the_results(res: StudyAnalysis) -> None:
    txt = ProseNumbers(res)
    assert txt.n == res.n
    assert txt.median("pfs") == format_median(res.km("pfs").km.median["(all)"], ci=False)
    p = res.km("os", "line_group").logrank
    assert p is not None
    printed = format_p(p.p_value)
    want = f"P {printed[0]} {printed[1:]}" if printed[0] in "<>" else f"P = {printed}"
    assert txt.p_logrank("os", "line_group") == want
    fu = res.followup["observed"].overall
    assert txt.followup_range.startswith(f"{fu.minimum:.1f}")
    assert txt.n_evaluable() + int(txt.n_not_evaluable) == res.n
    # a shared version prints small counts as "<5" and withholds their percentages
    shared = ProseNumbers(res, min_cell=5)
    assert shared.n_not_evaluable == "<5"
    assert shared.n_pct_line("1") == txt.n_pct_line("1")
    assert shared.count("prior_sunitinib", "True", "2") == "<5"
    assert "HR" in txt.hr("pfs", "First-line therapy vs. subsequent therapies")
    assert join_words(["a", "b", "c"]) == "a, b, and c"
    assert join_words(["a", "b"]) == "a and b"
    assert join_words([]) == "none"


def test_reproduction_lines_up_every_published_median(res: StudyAnalysis) -> None:
    study = load_published()
    rep = compare_with_published(res, study).to_frame()
    medians = rep[rep["quantity"] == "median survival (months)"]
    printed = study.survival_frame().drop_duplicates(["endpoint", "grouping", "group"])
    assert len(medians) == len(printed)
    hrs = rep[rep["quantity"] == "hazard ratio"]
    assert len(hrs) == len(study.cox_frame()) and hrs["recomputed"].notna().all()
    reached = medians.dropna(subset=["published_value", "recomputed"])
    assert (reached["difference"] == reached["recomputed"] - reached["published_value"]).all()


def test_changed_progression_date_changes_median_pfs(tmp_path: Path) -> None:
    base = analyze(REGISTRY)
    median = base.km("pfs").km.median["(all)"].estimate
    copy = tmp_path / "registry"
    move_progressions_at_the_median(REGISTRY, base.cohort.data, median, copy)
    changed = analyze(copy)
    assert changed.km("pfs").km.median["(all)"].estimate != median


def test_table1_rows_follow_the_paper(res: StudyAnalysis) -> None:
    from captemstats.analysis import PRIOR_TREATMENTS

    f = res.characteristics.to_frame()
    # the paper tests no prior-treatment row (none in first line by design)
    assert f.loc[f["variable"].isin(PRIOR_TREATMENTS), "p_value"].isna().all()
    assert f.loc[f["variable"] == "grade", "p_value"].notna().all()

    def levels(variable: str) -> list[str]:
        sel = f[(f["variable"] == variable) & (f["group"] == "all")]
        return [str(x) for x in sel["level"]]

    assert levels("age_group") == ["<50", "50-70", ">70"]
    assert levels("ki67_group")[:4] == ["<3", "3-20", "21-55", "unknown"]
    assert levels("ecog") == ["0", "1", "2"]
    # counts per line add up to the All column for every categorical level
    cat = f[f["level"].notna()]
    wide = cat.pivot_table(index=["variable", "level"], columns="group", values="n", aggfunc="sum")
    assert (wide[["1", "2", "3+"]].sum(axis=1) == wide["all"]).all()


def test_a_model_the_data_cannot_support_is_named() -> None:
    from captemstats.errors import AnalysisError

    # eight patients: Table 3's nine-term model is not estimable
    with pytest.raises(AnalysisError, match="Table 3 Cox model of progression-free survival"):
        analyze(Path(__file__).parent / "data" / "valid")


def test_a_registry_with_recorded_best_responses_only(res: StudyAnalysis, tmp_path: Path) -> None:
    """Registries may send the recorded best response instead of lesion measurements: the
    analysis then uses the record and Table 2 is the same."""
    copy = tmp_path / "registry"
    shutil.copytree(REGISTRY, copy)
    (copy / "lesions.csv").unlink()
    bor = res.bor_frame().set_index("patient_id")["bor"].astype(str)
    patients = pd.read_csv(copy / "patients.csv", dtype=str, keep_default_na=False)
    patients["best_response"] = patients["patient_id"].map(bor).fillna("")
    patients.to_csv(copy / "patients.csv", index=False)
    recorded = analyze(copy)
    frame = recorded.bor_frame()
    evaluable = frame["evaluable"].astype(bool)
    assert set(frame.loc[evaluable, "source"]) == {"recorded"}
    # the one-course rule applies whatever the source (the study's four patients)
    assert set(frame.loc[~evaluable, "not_evaluable_rule"]) == {"one_course_only"}
    cols = ["group", "measure", "count", "n"]
    pd.testing.assert_frame_equal(
        recorded.response_rates.table[cols].reset_index(drop=True),
        res.response_rates.table[cols].reset_index(drop=True),
    )


def test_no_lesions_and_no_recorded_response_is_a_note_the_document_prints(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "registry"
    shutil.copytree(REGISTRY, copy)
    (copy / "lesions.csv").unlink()
    patients = pd.read_csv(copy / "patients.csv", dtype=str, keep_default_na=False)
    patients["best_response"] = ""
    patients.to_csv(copy / "patients.csv", index=False)
    res = analyze(copy)
    (note,) = [n for n in res.notes if n.startswith("response not evaluable from measurements")]
    assert "no lesions table" in note
    assert res.response_rates.table is not None  # the analysis still runs: nobody is evaluable
    qmd = (ROOT / "report" / "index.qmd").read_text(encoding="utf-8")
    assert 'note.startswith("response not evaluable from measurements")' in qmd


def test_repr_is_a_one_screen_summary(res: StudyAnalysis) -> None:
    # issue 17: the dataclass repr printed every frame (123,018 characters)
    text = repr(res)
    assert len(text) < 400
    assert f"n={res.n}" in text and "line 1 " in text and "validation:" in text


def test_a_comparison_names_the_levels_it_leaves_out(res: StudyAnalysis) -> None:
    # issue 17: res.km("pfs", "ki67_group") left the unknown Ki-67 patients out unsaid
    sc = res.km("pfs", "ki67_group")
    unknown = int((res.cohort.data["ki67_group"] == "unknown").sum())
    assert sc.excluded_levels == ("unknown",)
    assert sc.n_excluded == unknown > 0
    assert "unknown" not in sc.km.groups
    assert res.km("pfs", "line_group").excluded_levels == ()
    assert res.km("pfs", "line_group").n_excluded == 0


def test_the_recist_protocol_options_come_from_the_study_specification(
    res: StudyAnalysis,
) -> None:
    # issue 18: a protocol's confirmation and DCR rules reach analyze() through the spec
    from dataclasses import replace

    from captemstats.recist.config import RecistConfig
    from captemstats.study import CAPTEM_STUDY

    strict = replace(CAPTEM_STUDY, recist=RecistConfig(dcr_min_sd_weeks=24, max_nr_ne=1))
    other = analyze(REGISTRY, study=strict)

    def dcr(a: StudyAnalysis) -> int:
        t = a.response_rates.table
        return int(t.loc[(t["measure"] == "DCR") & (t["group"] == "All patients"), "count"].iloc[0])

    assert dcr(other) < dcr(res)  # SD shorter than 24 weeks no longer counts
    assert any("24 weeks" in note for note in other.responses.method.notes)
    assert res.responses.method.notes == ()  # the defaults state nothing
