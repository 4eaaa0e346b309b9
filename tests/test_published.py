"""The published values as data: the file, its copies, its model and its tidy views."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from captemstats.published import (
    GROUPS,
    TABLE1_LEVELS,
    PublishedDataError,
    PublishedStudy,
    default_path,
    json_schema,
    load_published,
)
from captemstats.schema import CTCAE_TERMS

ROOT = Path(__file__).resolve().parents[1]
USER_COPY = ROOT / "data" / "published" / "captem_study.yaml"
#: the paper's text, beside the checkout (``<repo>/../shared/reference/``) as in the project
#: layout; it is not distributed with the repository
PAPER = ROOT.parent / "shared" / "reference" / "captem-study.txt"


@pytest.fixture(scope="module")
def study() -> PublishedStudy:
    return load_published()


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_user_copy_is_identical_to_packaged_copy() -> None:
    assert USER_COPY.read_bytes() == default_path().read_bytes()


@pytest.mark.parametrize("folder", [default_path().parent, USER_COPY.parent])
def test_committed_json_schema_matches_models(folder: Path) -> None:
    assert (folder / "captem_study.schema.json").read_text(encoding="utf-8") == json_schema()


def test_default_path_is_package_data() -> None:
    assert default_path().parts[-3:] == ("resources", "published", "captem_study.yaml")
    assert "captemstats" in default_path().parts


def test_both_copies_load(study: PublishedStudy) -> None:
    assert load_published(USER_COPY) == study


def test_group_sizes(study: PublishedStudy) -> None:
    assert study.n_per_group() == {"all": 308, "1": 139, "2": 118, "3+": 51}
    assert study.table2_denominators() == {"all": 304, "1": 137, "2": 117, "3+": 50}
    assert study.study.excluded.value == 11
    assert study.table2.one_course_excluded.value == 4


def test_table1_frame_is_complete_and_typed(study: PublishedStudy) -> None:
    f = study.table1_frame()
    expected = sum(len(levels) for levels in TABLE1_LEVELS.values()) * len(GROUPS)
    assert len(f) == expected
    assert str(f["n"].dtype) == "Int64"
    assert list(f.columns[:4]) == ["variable", "level", "group", "n"]
    dashes = f[f["printed"] == "—"]
    assert set(dashes["group"]) == {"1"} and dashes["n"].isna().all()
    assert set(dashes["variable"]) == {
        v for v in TABLE1_LEVELS if v.startswith("prior_") and v != "prior_curative_surgery"
    }


def test_table4_terms_and_blank_cells(study: PublishedStudy) -> None:
    f = study.table4_frame()
    assert tuple(f["term"].unique()) == CTCAE_TERMS
    blank = f[f["printed"].isna()]
    # rows printed with three cells leave the interruption cell blank
    assert set(blank["band"]) == {"interruption"}
    assert set(blank["term"]) == {
        "Lymphocyte count decreased",
        "Anemia",
        "Constipation",
        "Fever",
        "Pruritus",
        "Rash",
        "Alkaline phosphatase increased",
        "Dehydration",
    }
    pruritus = study.table4.terms[CTCAE_TERMS.index("Pruritus")]
    assert pruritus.printed_term == "Pruritis"


ODD_PRINTS = [
    # (table, locator, printed cell, printed percentage)
    ("table2", ("PD", "all"), "97 (31.9))", "31.9)"),
    ("table2", ("DCR", "2"), "77 (65.0%)", "65.0%"),
    ("table1", ("prior_chemo", "yes", "2"), "31 (26.3", "26.3"),
    ("table1", ("age_group", "50-70", "2"), "5 (50)", "50"),
    ("table1", ("sex", "male", "3+"), "2 (49)", "49"),
    ("table1", ("drug_holiday", "yes", "all"), "5 (16.9)", "16.9"),
    ("table1", ("comorbidity", "yes", "3+"), "25 (40)", "40"),
]


@pytest.mark.parametrize(("table", "loc", "printed", "pct"), ODD_PRINTS)
def test_odd_prints_are_recorded_verbatim(
    study: PublishedStudy, table: str, loc: tuple[str, ...], printed: str, pct: str
) -> None:
    if table == "table2":
        f = study.table2_frame()
        row = f[(f["response"] == loc[0]) & (f["group"] == loc[1])]
    else:
        f = study.table1_frame()
        row = f[(f["variable"] == loc[0]) & (f["level"] == loc[1]) & (f["group"] == loc[2])]
    assert row["printed"].tolist() == [printed]
    assert row["pct"].tolist() == [pct]


def test_cox_printed_and_parsed(study: PublishedStudy) -> None:
    f = study.cox_frame()
    assert len(f) == 18
    row = f[(f["endpoint"] == "os") & (f["covariate"] == "age_le50")].iloc[0]
    assert (row["hr_printed"], row["ci_printed"], row["p_printed"]) == ("1.99", "1.32-3.00", ".001")
    assert (row["hr"], row["lower"], row["upper"], row["p_value"]) == (1.99, 1.32, 3.0, 0.001)
    assert f["hr_printed"].map(lambda s: float(s)).tolist() == f["hr"].tolist()


def test_survival_records_every_appearance(study: PublishedStudy) -> None:
    f = study.survival_frame()
    overall = f[(f["grouping"] == "overall") & (f["endpoint"] == "pfs")]
    assert len(overall) == 3 and set(overall["printed"]) == {"10.6"}
    nr = f[f["printed"] == "not reached"]
    assert nr[["endpoint", "grouping", "group"]].values.tolist() == [["os", "ki67_group", "<3"]]
    assert nr["median_months"].isna().all()


def _row_line(label: str, cells: list[str]) -> str:
    return " ".join([label, *cells])


@pytest.mark.skipif(
    not PAPER.exists(),
    reason=f"the paper's text is not at {PAPER} (put the shared folder beside the checkout)",
)
def test_every_table_cell_appears_in_the_paper(study: PublishedStudy) -> None:
    """The transcription is checked against the paper: every printed row occurs verbatim."""
    text = re.sub(r"[ \t]+", " ", PAPER.read_text(encoding="utf-8"))
    missing = []
    for v in study.table1.variables:
        for lv in v.levels:
            cells = [c.printed for c in lv.cells.values()]
            if _row_line(lv.label, cells) not in text:
                missing.append((v.variable, lv.level))
    for r in study.table2.responses:
        line = " ".join(c.printed for c in r.cells.values())
        if line not in text:
            missing.append(("table2", r.response))
    for t in study.table4.terms:
        cells = [c.printed for c in t.cells.values() if c is not None]
        if _row_line(t.printed_term, cells) not in text:
            missing.append(("table4", t.term))
    for row in study.table3.rows:
        if row.label.replace("Ki- 67", "Ki- 67") not in text or row.ci.printed not in text:
            missing.append(("table3", row.covariate))
    raw_text = PAPER.read_text(encoding="utf-8")
    # a word broken at a line end keeps or loses its hyphen depending on the word
    variants = [re.sub(r"\s+", " ", re.sub(r"-\s*\n\s*", joiner, raw_text)) for joiner in ("", "-")]
    for tv in study.text_values:
        if not any(tv.quote in v for v in variants):
            missing.append(("text", tv.id))
    assert missing == []


def _write(tmp_path: Path, data: Any) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def test_count_not_matching_print_is_rejected(tmp_path: Path, raw: dict[str, Any]) -> None:
    import copy

    bad = copy.deepcopy(raw)
    bad["table1"]["variables"][0]["levels"][1]["cells"]["2"]["n"] = 59  # print says 5
    with pytest.raises(PublishedDataError) as err:
        load_published(_write(tmp_path, bad))
    msg = str(err.value)
    assert "bad.yaml" in msg and "n=59" in msg and "50-70" in msg


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("table1", "variables", 0, "variable"), "age", "unknown Table 1 variable"),
        (("table4", "terms", 0, "term"), "Thrombocytopenia", "CTCAE_TERMS"),
        (("table3", "rows", 0, "covariate"), "male", "unknown Cox covariate"),
        (("survival", "medians", 0, "group"), "first", "unknown group"),
    ],
)
def test_bad_codes_are_rejected(
    tmp_path: Path, raw: dict[str, Any], path: tuple[Any, ...], value: str, needle: str
) -> None:
    import copy

    bad = copy.deepcopy(raw)
    node = bad
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(PublishedDataError, match=needle):
        load_published(_write(tmp_path, bad))


def test_unreadable_and_non_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(PublishedDataError, match="cannot read"):
        load_published(tmp_path / "absent.yaml")
    p = tmp_path / "broken.yaml"
    p.write_text("table1: [unclosed", encoding="utf-8")
    with pytest.raises(PublishedDataError, match="not valid YAML"):
        load_published(p)
