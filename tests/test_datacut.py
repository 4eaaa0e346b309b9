"""``captemstats diff``: what changed since the last data cut (issue 13, part 6).

The main fixture is the shipped registry against a copy with 20 patients removed (with their
lesion and adverse-event rows) and 10 dates moved, chosen with a fixed seed. The expected
changes come from the edits the fixture made to the CSV text, never from the library.
"""

from __future__ import annotations

import json
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from captemstats.analysis import StudyAnalysis, analyze
from captemstats.cli import _register, app
from captemstats.diff import (
    DIFF_SCHEMA,
    DataCutDiff,
    InvalidCutError,
    ResultsReadError,
    diff_datacuts,
    diff_results,
    diff_table,
    read_results,
)
from captemstats.io import read_registry
from captemstats.schema import ADVERSE_EVENTS, PATIENTS
from captemstats.tables.datacut import (
    datacut_records_table,
    datacut_results_table,
    datacut_tables,
)

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "data" / "registry"
INVALID = ROOT / "tests" / "data" / "invalid" / "01_missing_required_column"

_register()

_PATIENTS = read_registry(REGISTRY).patients


@dataclass(frozen=True)
class Cuts:
    old: Path
    new: Path
    removed: frozenset[str]
    moved: frozenset[tuple[str, str, str, str]]  # (patient_id, field, old, new)
    lesions_removed: int
    events_removed: int


def _read_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _shift(dates: pd.Series, days: np.ndarray) -> pd.Series:
    moved = pd.to_datetime(dates) + pd.to_timedelta(days, unit="D")
    return moved.dt.strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def cuts(tmp_path_factory: pytest.TempPathFactory) -> Cuts:
    """Old = the shipped registry; new = 20 patients removed, 10 dates moved (seed 13):
    five last follow-up dates of living patients later, five diagnosis dates earlier."""
    base = tmp_path_factory.mktemp("cuts")
    old, new = base / "old", base / "new"
    shutil.copytree(REGISTRY, old)
    shutil.copytree(REGISTRY, new)
    # A centre's export carries no provenance file; the synthetic one would flag the edits.
    (new / "provenance.json").unlink()
    rng = np.random.default_rng(13)
    patients = _read_text(new / "patients.csv")
    removed = set(rng.choice(patients["patient_id"].to_numpy(), 20, replace=False).tolist())
    patients = patients.loc[~patients["patient_id"].isin(removed)]
    alive = patients.index[patients["death_date"] == ""].to_numpy()
    chosen = rng.choice(alive, 10, replace=False)
    moved: set[tuple[str, str, str, str]] = set()
    for field, rows, days in (
        ("last_followup_date", chosen[:5], rng.integers(20, 90, 5)),
        ("diagnosis_date", chosen[5:], -rng.integers(5, 60, 5)),
    ):
        before = patients.loc[rows, field]
        after = _shift(before, days)
        patients.loc[rows, field] = after
        ids = patients.loc[rows, "patient_id"]
        moved |= set(zip(ids, [field] * len(rows), before, after, strict=True))
    patients.to_csv(new / "patients.csv", index=False)
    counts = {}
    for table in ("lesions", "adverse_events"):
        frame = _read_text(new / f"{table}.csv")
        gone = frame["patient_id"].isin(removed)
        counts[table] = int(gone.sum())
        frame.loc[~gone].to_csv(new / f"{table}.csv", index=False)
    return Cuts(
        old, new, frozenset(removed), frozenset(moved), counts["lesions"], counts["adverse_events"]
    )


@pytest.fixture(scope="module")
def analyses(cuts: Cuts) -> tuple[StudyAnalysis, StudyAnalysis]:
    return analyze(cuts.old), analyze(cuts.new)


@pytest.fixture(scope="module")
def found(cuts: Cuts) -> DataCutDiff:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the comparison itself warns about nothing
        return diff_datacuts(cuts.old, cuts.new)


@pytest.fixture(scope="module")
def result_files(
    cuts: Cuts,
    analyses: tuple[StudyAnalysis, StudyAnalysis],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("results")
    paths = (folder / "old_results.json", folder / "new_results.json")
    for path, a in zip(paths, analyses, strict=True):
        path.write_text(a.to_json(), encoding="utf-8")
    return paths


# -- records --------------------------------------------------------------------------------
def test_the_new_cut_is_a_valid_registry(cuts: Cuts) -> None:
    assert read_registry(cuts.new).validate().ok


def test_lists_exactly_the_removed_patients_and_the_moved_dates(
    found: DataCutDiff, cuts: Cuts
) -> None:
    assert found.records is not None
    p = found.records.patients
    assert set(p.removed["patient_id"]) == cuts.removed
    assert len(p.removed) == 20
    assert p.added.empty
    listed = set(
        p.changed[["patient_id", "field", "old", "new"]].itertuples(index=False, name=None)
    )
    assert listed == cuts.moved
    assert len(p.changed) == 10
    by_field = dict(zip(*p.changed_by_field()[["field", "values"]].T.values, strict=True))
    assert by_field == {"diagnosis_date": 5, "last_followup_date": 5}


def test_rows_of_removed_patients_are_listed_and_flagged(found: DataCutDiff, cuts: Cuts) -> None:
    assert found.records is not None
    lesions, events = found.records.lesions, found.records.adverse_events
    assert len(lesions.removed) == cuts.lesions_removed
    assert len(events.removed) == cuts.events_removed
    for t in (lesions, events):
        assert set(t.removed["patient_id"]) <= cuts.removed
        assert t.removed["patient_removed"].all()
        assert t.added.empty and t.changed.empty


def test_frames_long_and_summary(found: DataCutDiff, cuts: Cuts) -> None:
    assert found.records is not None
    long = found.records.to_frame()
    patients = long.loc[long["table"] == "patients"]
    assert patients["change"].value_counts().to_dict() == {"removed": 20, "changed": 10}
    assert (long["table"] == "lesions").sum() == cuts.lesions_removed
    summary = found.to_frame()  # counts only: what a shared document may use
    assert not summary.astype(str).isin(list(cuts.removed)).any(axis=None)
    removed = summary.loc[(summary["table"] == "patients") & (summary["change"] == "removed")]
    assert removed["rows"].tolist() == [20]
    assert set(summary.loc[summary["table"] == "results", "change"]) <= {"moved", "unchanged"}


def test_moved_date_carries_its_shift_in_days_and_source_lines(found: DataCutDiff) -> None:
    assert found.records is not None
    c = found.records.patients.changed
    shift = (pd.to_datetime(c["new"]) - pd.to_datetime(c["old"])).dt.days
    assert (shift == c["delta"]).all()
    assert (c["file_line_old"] >= 2).all() and (c["file_line_new"] >= 2).all()


def test_swapped_cuts_report_added_patients(cuts: Cuts) -> None:
    back = diff_datacuts(cuts.new, cuts.old, results=False)
    assert back.records is not None
    p = back.records.patients
    assert set(p.added["patient_id"]) == cuts.removed and p.removed.empty
    listed = set(
        p.changed[["patient_id", "field", "new", "old"]].itertuples(index=False, name=None)
    )
    assert listed == cuts.moved
    assert len(back.records.lesions.added) == cuts.lesions_removed
    assert back.records.lesions.added["patient_added"].all()


def test_identical_cuts_have_no_difference(cuts: Cuts, result_files: tuple[Path, Path]) -> None:
    same = diff_datacuts(cuts.old, REGISTRY, results=False)
    assert same.records is not None and not same.records.any
    # The same registry analysed again against its results.json: every number unchanged.
    again = diff_datacuts(result_files[0], REGISTRY)
    assert again.results is not None and again.results.moved.empty
    assert again.results.counts()["unchanged"] == len(again.results.compared)


@settings(max_examples=25, derandomize=True, deadline=None)
@given(
    drop=st.sets(st.integers(0, 318), max_size=15),
    edit=st.sets(st.integers(0, 318), max_size=15),
    new_ids=st.integers(0, 5),
)
def test_table_diff_recovers_random_edits(drop: set[int], edit: set[int], new_ids: int) -> None:
    old = _PATIENTS
    new = old.copy()
    edit -= drop
    new.iloc[sorted(edit), new.columns.get_loc("cycles")] = new["cycles"].iloc[sorted(edit)] + 1
    new = new.drop(new.index[sorted(drop)])
    extra = old.iloc[:new_ids].copy()
    extra["patient_id"] = [f"NEW{i}" for i in range(new_ids)]
    if new_ids:
        new = pd.concat([new, extra])
    d = diff_table(old, new, PATIENTS)
    assert set(d.removed["patient_id"]) == set(old["patient_id"].iloc[sorted(drop)])
    assert set(d.added["patient_id"]) == set(extra["patient_id"])
    assert set(d.changed["patient_id"]) == set(old["patient_id"].iloc[sorted(edit)])
    assert set(d.changed["field"]) <= {"cycles"} and (d.changed["delta"] == 1).all()


def test_duplicate_keys_pair_in_file_order() -> None:
    ae = read_registry(REGISTRY).adverse_events
    twice = pd.concat([ae, ae.iloc[:3]])
    d = diff_table(ae, twice, ADVERSE_EVENTS)
    assert len(d.added) == 3 and d.removed.empty and d.changed.empty
    assert (d.added["occurrence"] >= 1).all()


# -- results --------------------------------------------------------------------------------
def _value(found: DataCutDiff, side: str, **where: str) -> float:
    assert found.results is not None
    frame = found.results.compared
    mask = np.ones(len(frame), dtype=bool)
    for k, v in where.items():
        mask &= (frame[k] == v).to_numpy()
    assert mask.sum() == 1, where
    return float(frame.loc[mask, side].item())


def test_moved_results_are_the_two_analyses(
    found: DataCutDiff, analyses: tuple[StudyAnalysis, StudyAnalysis]
) -> None:
    for side, a in zip(("old", "new"), analyses, strict=True):
        assert _value(found, side, section="cohort", quantity="analysis cohort") == a.n
        km = a.km("pfs", "line_group").km
        for g in km.groups:
            got = _value(
                found,
                side,
                section="survival",
                endpoint="pfs",
                grouping="line_group",
                group=g,
                quantity="median",
            )
            assert got == pytest.approx(km.median[g].estimate, rel=1e-12)
        lr = a.km("os", "grade").logrank
        assert lr is not None
        got = _value(found, side, section="logrank", endpoint="os", grouping="grade", quantity="P")
        assert got == pytest.approx(lr.p_value, rel=1e-9)
        cox = a.cox["os"].to_frame().iloc[0]
        got = _value(found, side, section="cox", endpoint="os", level=cox["term"], quantity="HR")
        assert got == pytest.approx(cox["hr"], rel=1e-9)
    assert found.results is not None
    moved = found.results.moved
    assert {"cohort", "survival", "logrank", "cox", "response"} <= set(moved["section"])
    compared = found.results.compared
    cohort = compared.loc[compared["quantity"] == "analysis cohort", "status"]
    assert cohort.tolist() == ["moved"]


def test_results_json_against_results_json(
    found: DataCutDiff, result_files: tuple[Path, Path]
) -> None:
    files = diff_datacuts(*result_files)
    assert files.records is None
    assert files.notes == ("patient records are compared only between two registries",)
    assert files.results is not None and found.results is not None
    pd.testing.assert_frame_equal(files.results.compared, found.results.compared)
    assert files.old.kind == "results" and files.old.name == "old_results.json"


def test_registry_against_previous_results_json(
    cuts: Cuts, found: DataCutDiff, result_files: tuple[Path, Path]
) -> None:
    mixed = diff_datacuts(result_files[0], cuts.new)
    assert mixed.results is not None and found.results is not None
    pd.testing.assert_frame_equal(mixed.results.compared, found.results.compared)


def test_previous_results_against_an_analysis_in_memory(
    found: DataCutDiff,
    analyses: tuple[StudyAnalysis, StudyAnalysis],
    result_files: tuple[Path, Path],
) -> None:
    """What ``report --since PREVIOUS_results.json`` needs: the file against the analysis
    the report has already run, with no second analysis."""
    since = diff_datacuts(result_files[0], analyses[1])
    assert since.results is not None and found.results is not None
    pd.testing.assert_frame_equal(since.results.compared, found.results.compared)
    assert sorted(datacut_tables(since)) == ["datacut_results"]


def test_a_quantity_on_one_side_only_is_never_dropped() -> None:
    old = {"cohort": {"n": 30, "by_line": {"1": 20, "2": 10}}}
    new = {"cohort": {"n": 20, "by_line": {"1": 20}}}
    moved = diff_results(old, new).moved
    gone = moved.loc[moved["group"] == "2"]
    assert gone["status"].tolist() == ["removed"] and gone["old"].tolist() == [10.0]


@settings(max_examples=30, derandomize=True, deadline=None)
@given(
    old_lines=st.dictionaries(st.sampled_from(["1", "2", "3+"]), st.integers(0, 400)),
    new_lines=st.dictionaries(st.sampled_from(["1", "2", "3+"]), st.integers(0, 400)),
)
def test_result_diff_is_antisymmetric(old_lines: dict[str, int], new_lines: dict[str, int]) -> None:
    """Swapping the cuts swaps old and new, negates differences and turns added into
    removed; a cut against itself has nothing moved."""
    old = {"cohort": {"n": sum(old_lines.values()), "by_line": old_lines}}
    new = {"cohort": {"n": sum(new_lines.values()), "by_line": new_lines}}
    there, back = diff_results(old, new).compared, diff_results(new, old).compared
    key = ["section", "grouping", "group", "quantity"]
    there, back = (
        there.sort_values(key).reset_index(drop=True),
        back.sort_values(key).reset_index(drop=True),
    )
    assert there[key].equals(back[key])
    assert np.array_equal(there["old"], back["new"], equal_nan=True)
    flip = {"added": "removed", "removed": "added", "moved": "moved", "unchanged": "unchanged"}
    assert there["status"].map(flip).tolist() == back["status"].tolist()
    assert np.allclose(there["difference"], -back["difference"], equal_nan=True)
    assert (diff_results(old, old).compared["status"] == "unchanged").all()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "invalid JSON"),
        ("[1, 2]", "top level is not an object"),
        ('{"schema_version": "1.0"}', "missing attrition"),
    ],
)
def test_unreadable_results_json_is_refused_by_name(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "results.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ResultsReadError, match=message) as info:
        read_results(path)
    assert str(path) in str(info.value)


def test_other_schema_version_is_refused(tmp_path: Path, result_files: tuple[Path, Path]) -> None:
    data = json.loads(result_files[0].read_text(encoding="utf-8"))
    data["schema_version"] = "9.9"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ResultsReadError, match=r"schema '9\.9'"):
        read_results(path)


def test_invalid_registry_names_its_side(cuts: Cuts) -> None:
    with pytest.raises(InvalidCutError, match="the new registry 01_missing_required_column"):
        diff_datacuts(cuts.old, INVALID, results=False)


# -- JSON and the command line --------------------------------------------------------------
def test_json_output_follows_the_schema(cuts: Cuts) -> None:
    args = ["diff", str(cuts.old), str(cuts.new), "--format", "json", "--no-results"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, DIFF_SCHEMA)
    assert set(data["records"]["patients"]["removed"]) == cuts.removed
    assert data["records"]["patients"]["n_changed_values"] == 10
    assert data["old"]["name"] == "old" and not data["new"]["name"].startswith("/")
    assert str(cuts.old) not in result.stdout  # names, never the absolute path


def test_json_of_results_only_follows_the_schema(result_files: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(app, ["diff", *map(str, result_files), "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, DIFF_SCHEMA)
    assert data["records"] is None and data["results"]["counts"]["moved"] > 0


def test_text_output_lists_the_changes(cuts: Cuts) -> None:
    result = CliRunner().invoke(app, ["diff", str(cuts.old), str(cuts.new)])
    assert result.exit_code == 0, result.output
    for pid in cuts.removed:
        assert pid in result.stdout
    for pid, field, before, after in cuts.moved:
        assert f"{pid}  {field}: {before} → {after}" in result.stdout
    assert "Kaplan–Meier" in result.stdout and "Cox model (Table 3)" in result.stdout


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        (lambda d: d / "missing", 2, "does not exist"),
        (lambda d: _write(d / "bad.json", "{"), 2, "invalid JSON"),
        (lambda d: _write(d / "list.json", "[]"), 2, "not an object"),
        (lambda d: _write(d / "empty.json", ""), 2, "invalid JSON"),
        (lambda d: INVALID, 1, "is invalid"),
    ],
    ids=["missing", "bad-json", "json-list", "empty-json", "invalid-registry"],
)
def test_exit_codes_and_one_line_errors(tmp_path: Path, make: Any, code: int, message: str) -> None:
    target = make(tmp_path)
    result = CliRunner().invoke(app, ["diff", str(REGISTRY), str(target), "--no-results"])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.stderr
    if code == 2:
        assert len(result.stderr.strip().splitlines()) == 1


def test_lesion_edits_of_kept_patients_are_listed(tmp_path: Path) -> None:
    """A deleted lesion row and an edited diameter of patients who stay: both listed in the
    text (with the line) and in JSON; a removed row is never folded into a patient count."""
    new = tmp_path / "edited"
    shutil.copytree(REGISTRY, new)
    (new / "provenance.json").unlink()
    lesions = _read_text(new / "lesions.csv")
    measured = lesions.index[lesions["diameter_mm"] != ""]
    edited, dropped = measured[0], measured[-1]
    before = lesions.loc[edited, "diameter_mm"]
    lesions.loc[edited, "diameter_mm"] = str(float(before) + 3)
    gone = lesions.loc[dropped]
    lesions.drop(index=dropped).to_csv(new / "lesions.csv", index=False)
    result = CliRunner().invoke(app, ["diff", str(REGISTRY), str(new), "--no-results"])
    assert result.exit_code == 0, result.output
    key = (
        f"{gone['patient_id']} {gone['assessment_date']} {gone['lesion_id']}  (line {dropped + 2})"
    )
    assert "removed rows of kept patients (1):" in result.stdout and key in result.stdout
    row = lesions.loc[edited]
    line = f"{row['patient_id']} {row['assessment_date']} {row['lesion_id']}  diameter_mm: "
    assert f"{line}{float(before)} → {float(before) + 3} (+3)" in result.stdout


def test_a_mapped_export_is_compared_in_codes(tmp_path: Path) -> None:
    """A Turkish centre's cp1254 export through its mapping: an edited label is reported as
    the code it maps to, and the unedited rest compares equal."""
    data = ROOT / "tests" / "data"
    new = tmp_path / "turkish"
    shutil.copytree(data / "turkish", new)
    path = new / "patients.csv"
    text = path.read_text(encoding="cp1254").replace(
        "P001;İstanbul Çapa;Kadın", "P001;İstanbul Çapa;Erkek"
    )
    path.write_text(text, encoding="cp1254")
    mapping = str(data / "mapping_turkish.yaml")
    args = ["diff", str(data / "turkish"), str(new), "-m", mapping, "--no-results", "-f", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    changed = json.loads(result.stdout)["records"]["patients"]["changed"]
    assert [(c["patient_id"], c["field"], c["old"], c["new"]) for c in changed] == [
        ("P001", "sex", "female", "male")
    ]
    unmapped = CliRunner().invoke(app, ["diff", str(data / "turkish"), str(new), "--no-results"])
    assert unmapped.exit_code == 2 and "--encoding cp1254" in unmapped.stderr


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- the appendix ---------------------------------------------------------------------------
def test_appendix_prints_counts_and_never_an_identifier(found: DataCutDiff, cuts: Cuts) -> None:
    tables = datacut_tables(found)
    assert sorted(tables) == ["datacut_records", "datacut_results"]
    records = tables["datacut_records"].data
    row = records.loc[(records["variable"] == "patients") & (records["label"] == "Removed")]
    assert row["patients"].tolist() == ["20"]
    changed = records.loc[records["label"].str.endswith(" changed"), ["label", "patients"]]
    assert changed.values.tolist() == [
        ["diagnosis_date changed", "5"],
        ["last_followup_date changed", "5"],
    ]
    for table in tables.values():
        html = table.as_html()
        text = table.data.to_csv()
        assert not [
            pid for pid in cuts.removed | {m[0] for m in cuts.moved} if pid in html or pid in text
        ]


def test_appendix_results_show_the_moved_headline_values(
    found: DataCutDiff, analyses: tuple[StudyAnalysis, StudyAnalysis]
) -> None:
    data = datacut_results_table(found).data
    cohort = data.loc[data["label"] == "Analysis cohort"]
    old, new = (a.n for a in analyses)  # some of the 20 removed may be excluded patients
    assert new < old
    want = [[str(old), str(new), f"−{old - new}"]]
    assert cohort[["previous", "current", "difference"]].values.tolist() == want
    assert data["variable"].isin(["survival", "logrank", "cox"]).any()


def _small_cut(line1: int, line2: int, median: float) -> dict[str, Any]:
    """A results dictionary whose second-line group is small (its count and median)."""
    groups = [{"group": "2", "n": line2, "events": line2, "median": median}]
    return {
        "cohort": {"n": line1 + line2, "by_line": {"1": line1, "2": line2}},
        "survival": [{"endpoint": "pfs", "grouping": "line_group", "groups": groups}],
    }


def test_appendix_suppresses_small_counts_and_their_statistics() -> None:
    from captemstats.diff import CutSource

    src = CutSource("results", "results.json", 40, "0" * 64)
    old, new = _small_cut(37, 3, 5.0), _small_cut(38, 4, 6.5)
    d = DataCutDiff(src, src, None, diff_results(old, new))
    data = datacut_results_table(d, min_cell=5).data.set_index("label")
    assert data.loc["line 2: patients", ["previous", "current", "difference"]].tolist() == [
        "<5",
        "<5",
        "*",
    ]
    assert data.loc["PFS · line 2: median", ["previous", "current", "difference"]].tolist() == [
        "*",
        "*",
        "*",
    ]
    plain = datacut_results_table(d).data.set_index("label")
    assert plain.loc["PFS · line 2: median", "current"] == "6.5"


def test_records_appendix_withholds_a_complement(cuts: Cuts) -> None:
    d = diff_datacuts(cuts.old, cuts.new, results=False)
    data = datacut_records_table(d, min_cell=25).data
    patients = data.loc[data["variable"] == "patients"].set_index("label")["patients"]
    assert patients["Removed"] == "<25"
    # previous = both + removed: one more of them must go, or the removal count follows.
    assert "*" in (patients["In the previous cut"], patients["In both cuts"])
