"""``captemstats recist``: the out-of-core RECIST stage from the command line (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from captemstats.cli import _register, app
from captemstats.io import read_registry
from captemstats.recist import assess_timepoints, best_overall_response

_register()
SHIPPED = Path(__file__).resolve().parents[1] / "data" / "registry"


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped registry's lesions and patients as Parquet files."""
    folder = tmp_path_factory.mktemp("registry")
    reg = read_registry(SHIPPED)
    reg.lesions.to_parquet(folder / "lesions.parquet", index=False)
    reg.patients.to_parquet(folder / "patients.parquet", index=False)
    return folder


def _run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["recist", *args])
    return res.exit_code, res.stdout, res.stderr


def test_writes_the_in_memory_result(parquet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, _ = _run(
        str(parquet / "lesions.parquet"),
        str(parquet / "patients.parquet"),
        "--out",
        str(out),
        "--timepoints",
        "--memory-limit",
        "512MB",
    )
    assert code == 0, stdout
    reg = read_registry(SHIPPED)
    summary = f"{len(reg.patients)} patients, {len(reg.lesions):,} lesion rows in 1 partition(s)"
    assert f"{summary} (memory limit 512MB)" in stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "best_response.parquet",
        "errors.parquet",
        "timepoints",
    ]
    whole = best_overall_response(
        assess_timepoints(reg.lesions, patients=reg.patients), reg.patients
    )
    expected = whole.patients.sort_values("patient_id").reset_index(drop=True)
    got = pd.read_parquet(out / "best_response.parquet")
    pd.testing.assert_frame_equal(got, expected)
    assert len(pd.read_parquet(out / "timepoints")) == len(
        assess_timepoints(reg.lesions, patients=reg.patients).timepoints
    )


def test_csv_output(parquet: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, _ = _run(
        str(parquet / "lesions.parquet"),
        str(parquet / "patients.parquet"),
        "--out",
        str(out),
        "--format",
        "csv",
    )
    assert code == 0 and "best_response.csv, errors.csv" in stdout
    assert len(pd.read_csv(out / "best_response.csv")) == 319
    assert not (out / "timepoints").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--memory-limit", "1G"], "error: --memory-limit: memory limit '1G' is not a number"),
        (["--patients-csv"], "must be Parquet for the out-of-core stage"),
        (["--missing"], "nothing.parquet: no such file or folder"),
    ],
)
def test_unusable_input_is_one_line_and_exit_2(
    parquet: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    patients = str(parquet / "patients.parquet")
    lesions = str(parquet / "lesions.parquet")
    extra: list[str] = []
    if args == ["--patients-csv"]:
        patients = "data/registry/patients.csv"
    elif args == ["--missing"]:
        lesions = str(tmp_path / "nothing.parquet")
    else:
        extra = args
    code, stdout, stderr = _run(lesions, patients, "--out", str(tmp_path / "out"), *extra)
    assert code == 2
    assert message in stderr and len(stderr.strip().splitlines()) == 1
    assert "Traceback" not in stderr + stdout
    assert not (tmp_path / "out").exists()
