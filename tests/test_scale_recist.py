"""The partitioned (DuckDB) RECIST stage equals the in-memory engine (issue 15, item 2).

The property test draws random registries of 10^2-10^4 patients with the entry problems a
real export has (baselines outside the window, missing or negative sizes, duplicated lesion
rows, unknown patients, new lesions, statuses that conflict with sizes, patients without
lesion rows and with a recorded best response) and requires every best response, every
error (row numbers and messages included) and every timepoint of the partitioned run to
equal the in-memory run's, for any partition size and for inputs given as frames or as a
folder of several Parquet files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from recist_frames import lesion_frame

from captemstats.recist import RecistConfig, RecistInputError, assess_timepoints
from captemstats.recist import best_overall_response as whole_bor
from captemstats.scale import memory_bytes, partitioned_best_response
from captemstats.scale.engine import connect, quote, source_sql
from captemstats.scale.recist_stage import PATIENT_COLUMNS
from captemstats.schema import LESIONS

STATUSES = np.array(
    ["measured", "measured", "measured", "too_small", "disappeared", "not_assessed"]
)
NT_STATUSES = np.array(["present", "absent", "unequivocal_progression", "not_assessed"])


def random_registry(seed: int, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A messy random registry of ``n`` patients: (lesions, patients), rows shuffled."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:05d}" for i in range(n)], dtype=object)
    start = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 2500, n), "D")
    rows: list[tuple[object, ...]] = []
    for i in range(n):
        if rng.random() < 0.08:  # no lesion rows: recorded best response or NE
            continue
        base = start[i] - pd.Timedelta(days=int(rng.choice([0, 3, 20, 42, 43, 60])))
        visits = [base] + [
            start[i] + pd.Timedelta(days=int(d))
            for d in np.sort(rng.choice(np.arange(20, 900), rng.integers(0, 6), replace=False))
        ]
        n_t, n_nt = int(rng.integers(0, 4)), int(rng.integers(0, 3))
        size = rng.uniform(4, 60, n_t)
        nodal = rng.random(n_t) < 0.2
        for v, date in enumerate(visits):
            size = np.round(np.clip(size * rng.uniform(0.5, 1.4, n_t), 0, None), 1)
            status = STATUSES[rng.integers(0, len(STATUSES), n_t)] if v else "measured"
            diam = np.where(status == "measured", size, np.nan)
            if rng.random() < 0.03:
                diam = -diam  # negative size: an input error
            for j in range(n_t):
                rows.append(
                    _row(ids[i], date, f"T{j}", "target", bool(nodal[j]), diam[j], status[j])
                )
            for j in range(n_nt):
                nt = "present" if v == 0 else str(NT_STATUSES[rng.integers(0, 4)])
                rows.append(_row(ids[i], date, f"N{j}", "non_target", False, np.nan, None, nt))
            if v and rng.random() < 0.06:
                rows.append(_row(ids[i], date, f"X{v}", "new", False, np.nan, None))
        if rng.random() < 0.02 and rows:
            rows.append(rows[-1])  # a duplicated lesion row
    for k in range(max(1, n // 200)):  # lesion rows of patients not in the patients table
        rows.append(_row(f"Z{k}", start[0], "T0", "target", False, 20.0, "measured"))
    lesions = lesion_frame(dict(zip(LESIONS.names, r, strict=True)) for r in rows)
    lesions = lesions.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    never = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    prog = start + pd.to_timedelta(rng.integers(30, 1200, n), "D")
    patients = pd.DataFrame(
        {
            "patient_id": pd.array(ids, dtype="string"),
            "captem_start_date": pd.Series(start).where(rng.random(n) > 0.01),
            "cycles": pd.array(rng.integers(1, 14, n), dtype="Int64"),
            "progression_date": pd.Series(prog).where(rng.random(n) < 0.6, never),
            "subsequent_therapy_date": pd.Series(prog + pd.Timedelta(days=30)).where(
                rng.random(n) < 0.3, never
            ),
            "best_response": pd.array(
                rng.choice(np.array(["CR", "PR", "SD", "PD", None], dtype=object), n),
                dtype="string",
            ),
        }
    )
    return lesions, patients.sample(frac=1.0, random_state=seed + 1).reset_index(drop=True)


def _row(
    pid: str,
    date: pd.Timestamp,
    lesion: str,
    role: str,
    nodal: bool,
    diam: float,
    status: str | None,
    nt: str | None = None,
) -> tuple[object, ...]:
    organ = "lymph node" if nodal else "liver"
    return (pid, date, lesion, role, organ, nodal, diam, status, nt)


def in_memory(
    lesions: pd.DataFrame, patients: pd.DataFrame, config: RecistConfig
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The in-memory engine's best responses (by patient_id), errors and timepoints."""
    tp = assess_timepoints(lesions, config, patients=patients)
    res = whole_bor(tp, patients, config)
    bor = res.patients.sort_values("patient_id", kind="stable").reset_index(drop=True)
    return bor, res.errors, _sorted_timepoints(tp.timepoints)


def _sorted_timepoints(tp: pd.DataFrame) -> pd.DataFrame:
    return tp.sort_values(["patient_id", "assessment_date"], kind="stable").reset_index(drop=True)


def _write_folder(frame: pd.DataFrame, folder: Path, pieces: int) -> None:
    """``frame`` as ``pieces`` Parquet files whose name order is the row order."""
    folder.mkdir()
    for k, part in enumerate(np.array_split(np.arange(len(frame)), pieces)):
        frame.iloc[part].to_parquet(folder / f"part-{k:03d}.parquet", index=False)


@settings(max_examples=4)
# the two ends of the range always run: 10^4 patients from files, 10^2 in many parts
@example(seed=1, n=10_000, rows_per_partition=20_000, as_files=True, max_nr_ne=1)
@example(seed=2, n=100, rows_per_partition=50, as_files=False, max_nr_ne=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.sampled_from([100, 300, 1_000, 3_000, 10_000]),
    rows_per_partition=st.integers(50, 20_000),
    as_files=st.booleans(),
    max_nr_ne=st.sampled_from([None, 0, 1]),
)
def test_partitioned_equals_in_memory(
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    n: int,
    rows_per_partition: int,
    as_files: bool,
    max_nr_ne: int | None,
) -> None:
    lesions, patients = random_registry(seed, n)
    config = RecistConfig(max_nr_ne=max_nr_ne, accept_sd=seed % 2 == 0)
    bor, errors, timepoints = in_memory(lesions, patients, config)
    tmp = tmp_path_factory.mktemp("scale")
    src_l: Path | pd.DataFrame = lesions
    src_p: Path | pd.DataFrame = patients
    if as_files:
        _write_folder(lesions, tmp / "lesions", 3)
        _write_folder(patients, tmp / "patients", 2)
        src_l, src_p = tmp / "lesions", tmp / "patients"
    res = partitioned_best_response(
        src_l,
        src_p,
        config,
        rows_per_partition=rows_per_partition,
        temp_directory=tmp,
        timepoints_out=tmp / "timepoints",
    )
    assert res.partitions == max(1, -(-len(lesions) // rows_per_partition))
    assert res.lesion_rows == len(lesions)
    pd.testing.assert_frame_equal(res.to_frame(), bor)
    pd.testing.assert_frame_equal(res.errors_frame(), errors)
    assert len(errors) > 0  # the messy registry exercises the renumbered errors
    written = pq.read_table(tmp / "timepoints").to_pandas()
    pd.testing.assert_frame_equal(_sorted_timepoints(written), timepoints, check_dtype=False)
    assert [str(d) for d in written.dtypes] == [str(d) for d in timepoints.dtypes]
    # the work folder is removed; only the timepoints folder stays
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith("captemstats-")) == []


def test_timepoints_without_explanations_change_nothing_else() -> None:
    lesions, patients = random_registry(13, 500)
    full = assess_timepoints(lesions, patients=patients)
    bare = assess_timepoints(lesions, patients=patients, explanations=False)
    assert bare.timepoints["explanation"].isna().all()
    assert full.timepoints["explanation"].notna().all()
    pd.testing.assert_frame_equal(
        bare.timepoints.drop(columns="explanation"), full.timepoints.drop(columns="explanation")
    )
    pd.testing.assert_frame_equal(bare.errors, full.errors)
    pd.testing.assert_frame_equal(bare.baselines, full.baselines)
    pd.testing.assert_frame_equal(
        whole_bor(bare, patients).patients, whole_bor(full, patients).patients
    )


def test_row_numbers_name_the_whole_table() -> None:
    lesions, patients = random_registry(7, 200)
    res = partitioned_best_response(lesions, patients, rows_per_partition=400)
    errors = res.errors_frame()
    numbered = errors[errors["row"].notna()]
    assert len(numbered) > 0 and res.partitions > 4
    for _, e in numbered.iterrows():
        row = lesions.iloc[int(e["row"])]
        assert row["patient_id"] == e["patient_id"]
        assert e["message"].startswith(f"lesions row {int(e['row'])} (patient {e['patient_id']}")


def test_patients_columns_beyond_the_needed_ones_are_not_read(tmp_path: Path) -> None:
    lesions, patients = random_registry(3, 100)
    wide = patients.assign(centre="A", ki67=np.nan)
    a = partitioned_best_response(lesions, wide).to_frame()
    b = partitioned_best_response(lesions, patients[list(PATIENT_COLUMNS[:4])]).to_frame()
    bor, _, _ = in_memory(lesions, patients[list(PATIENT_COLUMNS[:4])], RecistConfig())
    pd.testing.assert_frame_equal(b, bor)
    assert len(a) == len(b) == len(patients)


@pytest.mark.parametrize("column", ["filename", "file_name", "start"])
def test_a_registry_column_named_like_the_stage_s_own_is_harmless(column: str) -> None:
    """DuckDB's file-name column has a name of the stage's own, not "filename"."""
    lesions, patients = random_registry(4, 60)
    res = partitioned_best_response(lesions.assign(**{column: "x"}), patients)
    bor, _, _ = in_memory(lesions, patients, RecistConfig())
    pd.testing.assert_frame_equal(res.to_frame(), bor)


def _text_with(frame: pd.DataFrame, column: str) -> pd.Series:
    """``column`` as ISO text, its first cell "x"."""
    text = frame[column].dt.strftime("%Y-%m-%d").astype(object)
    text.iloc[0] = "x"
    return text


def _object_with(frame: pd.DataFrame, column: str) -> pd.Series:
    """``column`` as objects, its first cell the text "big"."""
    values = frame[column].astype(object)
    values.iloc[0] = "big"
    return values


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda les, pat: (les.drop(columns="nodal"), pat), "lacks column(s) nodal"),
        (lambda les, pat: (les, pat.drop(columns="cycles")), "lacks column(s) cycles"),
        (
            lambda les, pat: (les, pd.concat([pat, pat.iloc[:1]], ignore_index=True)),
            "patients.patient_id is not unique",
        ),
        (
            lambda les, pat: (les.assign(assessment_date=_text_with(les, "assessment_date")), pat),
            "does not have its column's type",
        ),
        (
            lambda les, pat: (les.assign(diameter_mm=_object_with(les, "diameter_mm")), pat),
            "lesions frame: a column has mixed types",
        ),
    ],
)
def test_unusable_tables_are_refused(change: object, message: str) -> None:
    lesions, patients = random_registry(5, 100)
    les, pat = change(lesions, patients)  # type: ignore[operator]
    with pytest.raises(RecistInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        partitioned_best_response(les, pat)


def test_a_registry_without_lesion_rows_gives_every_patient_a_row() -> None:
    lesions, patients = random_registry(11, 50)
    res = partitioned_best_response(lesions.iloc[0:0], patients)
    bor, _, _ = in_memory(lesions.iloc[0:0], patients, RecistConfig())
    assert res.partitions == 1 and res.lesion_rows == 0
    pd.testing.assert_frame_equal(res.to_frame(), bor)


def test_memory_limit_sizes_the_partitions() -> None:
    lesions, patients = random_registry(2, 100)
    res = partitioned_best_response(lesions, patients, memory_limit="400MB")
    assert res.rows_per_partition == 25_000 and res.partitions == 1
    assert partitioned_best_response(lesions, patients, memory_limit="2GB").rows_per_partition == (
        825_000
    )
    assert "patients" in repr(res) and res.summary()["patients"].sum() == len(patients)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1GB", 10**9), ("512 MiB", 2**29), ("1.5gb", 1_500_000_000), (" 2 KiB ", 2048)],
)
def test_memory_limits_read_as_duckdb_writes_them(text: str, expected: int) -> None:
    assert memory_bytes(text) == expected


@pytest.mark.parametrize("text", ["1", "1 G", "GB", "-1GB", "1e9B", ""])
def test_malformed_memory_limits_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a number with a unit"):
        memory_bytes(text)


def test_the_connection_honours_the_limit_and_spill_folder(tmp_path: Path) -> None:
    con = connect("300MB", tmp_path / "spill", threads=1)
    try:
        settings_ = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('memory_limit', 'temp_directory', 'threads')"
            ).fetchall()
        )
    finally:
        con.close()
    assert settings_["memory_limit"] == "286.1 MiB"
    assert settings_["temp_directory"] == str(tmp_path / "spill")
    assert settings_["threads"] == "1"


def test_sources_name_the_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing\.parquet: no such file"):
        source_sql(tmp_path / "nothing.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty: folder holds no \.parquet file"):
        source_sql(tmp_path / "empty")
    assert quote("a'b") == "'a''b'"
