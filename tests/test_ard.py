"""The ARD export (issue 17, item 4): ``ard.csv`` read back gives the numbers of
``results.json``, in the column layout of R's ``cards``; and it is refused with --min-cell."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from captemstats.analysis import analyze
from captemstats.ard import ARD_COLUMNS, to_ard
from captemstats.outputs import write_outputs

REGISTRY = Path(__file__).parents[1] / "data" / "registry"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[str, Any]]:
    out = tmp_path_factory.mktemp("ard")
    paths = write_outputs(analyze(REGISTRY), out, ard=True)
    assert "ard.csv" in paths and "results.json" in paths
    ard = pd.read_csv(paths["ard.csv"], dtype=str, keep_default_na=False)
    results = json.loads(paths["results.json"].read_text(encoding="utf-8"))
    return ard, results


def _num(text: str) -> float | None:
    return None if text == "" else float(text)


def _stat(ard: pd.DataFrame, **where: str) -> list[str]:
    mask = pd.Series(True, index=ard.index)
    for column, value in where.items():
        mask &= ard[column] == value
    return ard.loc[mask, "stat"].tolist()


def _by(group: str, grouping: str = "line_group") -> dict[str, str]:
    """The group columns of a row: empty for the whole cohort."""
    if group in ("all", "(all)"):
        return {"group1": "", "group1_level": ""}
    return {"group1": grouping, "group1_level": group}


def _same(got: list[str], expected: Any) -> bool:
    assert len(got) == 1, got
    value = _num(got[0])
    if expected is None:
        return value is None
    return value is not None and math.isclose(value, float(expected), rel_tol=1e-12, abs_tol=0)


def test_the_columns_are_those_of_cards(written: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    ard, _ = written
    assert tuple(ard.columns) == ARD_COLUMNS
    assert {"group1", "group1_level", "variable", "variable_level", "stat_name", "stat"} <= set(
        ard.columns
    )


def test_table1_counts_and_summaries_read_back(
    written: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    ard, results = written
    for r in results["table1"]:
        by = _by(r["group"])
        if r["type"] == "categorical":
            keys = {
                "context": "categorical",
                "variable": r["variable"],
                "variable_level": r["level"],
            }
            assert _same(_stat(ard, **keys, **by, stat_name="n"), r["n"])
            assert _same(_stat(ard, **keys, **by, stat_name="N"), r["denominator"])
        else:
            keys = {"context": "continuous", "variable": r["variable"]}
            for name in ("median", "mean", "sd", "min", "max"):
                assert _same(_stat(ard, **keys, **by, stat_name=name), r[name])
        if r["test"] is not None:
            p = _stat(ard, context="hypothesis_test", variable=r["variable"], stat_name="p.value")
            assert _same(p, r["p_value"])


def test_responses_survival_and_cox_read_back(written: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    ard, results = written
    for r in results["table2"]:
        by = _by(r["group"])
        keys = {"context": "proportion_ci", "variable": r["measure"], **by}
        assert _same(_stat(ard, **keys, stat_name="n"), r["count"])
        assert _same(_stat(ard, **keys, stat_name="conf.low"), r["ci_lower"])
    for rec in results["survival"]:
        for g in rec["groups"]:
            by = _by(g["group"], rec["grouping"])
            keys = {"context": "survival", "endpoint": rec["endpoint"], **by}
            assert _same(_stat(ard, **keys, stat_name="estimate"), g["median"])
            assert _same(_stat(ard, **keys, stat_name="conf.high"), g["upper"])
        if rec["logrank"]:
            keys = {"context": "survival_survdiff", "endpoint": rec["endpoint"]}
            got = _stat(ard, **keys, variable=rec["grouping"], stat_name="p.value")
            assert _same(got, rec["logrank"]["p_value"])
    for endpoint, terms in results["table3"].items():
        for t in terms:
            keys = {"context": "regression", "endpoint": endpoint, "variable": t["term"]}
            assert _same(_stat(ard, **keys, stat_name="hr"), t["hr"])
            assert _same(_stat(ard, **keys, stat_name="p.value"), t["p_value"])


def test_adverse_events_and_attrition_read_back(
    written: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    ard, results = written
    for r in results["table4"]:
        keys = {"context": "categorical", "variable": r["term"], "variable_level": r["band"]}
        assert _same(_stat(ard, **keys, stat_name="n"), r["n"])
    for step in results["attrition"]["steps"]:
        got = _stat(ard, context="attrition", variable=step["step"], stat_name="n_removed")
        assert _same(got, step["n_excluded"])
    assert _same(_stat(ard, context="cohort", group1="", stat_name="N"), results["cohort"]["n"])


def test_every_row_is_one_statistic(written: tuple[pd.DataFrame, dict[str, Any]]) -> None:
    ard, _ = written
    keys = [c for c in ARD_COLUMNS if c not in ("stat", "stat_label")]
    assert not ard.duplicated(subset=keys).any()


def test_the_library_frame_equals_the_file(
    written: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    ard, _ = written
    frame = to_ard(analyze(REGISTRY))
    assert len(frame) == len(ard)
    assert frame["stat_name"].tolist() == ard["stat_name"].tolist()


def test_ard_is_refused_with_min_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from captemstats.cli import main

    out = tmp_path / "o"
    args = ["analyze", "--registry", str(REGISTRY), "--out", str(out), "--ard", "--min-cell", "5"]
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    message = capsys.readouterr().err
    assert "--ard" in message and "--min-cell" in message and "Traceback" not in message
    assert not out.exists()
