"""The synthetic registry: the shipped ``data/registry`` through the real pipeline, the
generator's determinism and calibration at other sizes, and the ``captemstats synth`` CLI.

Pipeline: read_registry -> validate -> derive_cohort -> RECIST 1.1 best response (from the
generated lesion measurements) -> counts, Kaplan–Meier medians and Cox directions, compared
with the resolved (audit-corrected) published values of ``captemstats.audit.resolve``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from typer.testing import CliRunner

from captemstats.audit import audit_published, resolve
from captemstats.cohort import Cohort, derive_cohort
from captemstats.io import read_registry
from captemstats.published import load_published
from captemstats.recist import assess_timepoints, best_overall_response
from captemstats.survival.cox import Covariate, cox_ph
from captemstats.survival.km import kaplan_meier
from captemstats.synth import (
    ALL_INELIGIBLE,
    DEFAULT_SEED,
    PAPER_INELIGIBLE,
    SyntheticRegistry,
    generate_registry,
    write_registry,
)
from captemstats.synth import _columns as cols
from captemstats.synth.targets import (
    AE_BANDS,
    BOR_CODES,
    LINES,
    TABLE1_LEVELS,
    Targets,
    load_resolved,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "registry"
TABLES = ("patients.csv", "lesions.csv", "adverse_events.csv")
#: numpy's AVX-512 dispatch targets (numpy 2.x names), switched off to run on other kernels.
NO_AVX512 = (
    "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"
)
#: Table 3 covariates as the cohort's derived columns (multivariable model, both endpoints).
COX_TERMS: dict[str, Covariate] = {
    "sex_male": Covariate("sex", level="male", reference="female"),
    "age_le50": Covariate("age_le50"),
    "comorbidity": Covariate("comorbidity"),
    "ecog_0_1": Covariate("ecog_0_1"),
    "pancreas": Covariate("pancreas"),
    "ki67_le20": Covariate("ki67_le20"),
    "grade_1_2": Covariate("grade_1_2"),
    "first_line": Covariate("first_line"),
    "prior_curative_surgery": Covariate("prior_curative_surgery"),
}


@dataclass(frozen=True)
class Pipeline:
    cohort: Cohort
    bor: pd.DataFrame  # per patient: bor, bor_confirmed, line_group, ...
    n_validation_errors: int


def run_pipeline(registry: Any) -> Pipeline:
    """derive_cohort -> RECIST best response, on a read or generated registry."""
    cohort = derive_cohort(registry)
    assert cohort.lesions is not None
    tp = assess_timepoints(cohort.lesions.reset_index(drop=True), patients=cohort.data)
    best = best_overall_response(tp, cohort.data)
    assert best.errors.empty, best.errors.head().to_string()
    bor = best.patients.merge(cohort.data[["patient_id", "line_group"]], on="patient_id")
    return Pipeline(cohort, bor, 0)


def _as_level(d: pd.DataFrame, variable: str) -> pd.Series:
    s = d[variable]
    if isinstance(s.dtype, pd.BooleanDtype) or s.dtype == bool:
        return s.map({True: "yes", False: "no"}).astype("string")
    return s.astype("string")


def table1_counts(d: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    """(variable, level, group) -> patients, for every Table 1 variable; group "all" too."""
    out: dict[tuple[str, str, str], int] = {}
    for var, levels in TABLE1_LEVELS.items():
        lv = _as_level(d, var)
        for level in levels:
            hit = (lv == level).fillna(False)
            out[(var, level, "all")] = int(hit.sum())
            for g in LINES:
                out[(var, level, g)] = int((hit & (d["line_group"] == g)).sum())
    return out


@pytest.fixture(scope="module")
def resolved() -> Any:
    study = load_published()
    return resolve(study, audit_published(study))


@pytest.fixture(scope="module")
def shipped() -> Pipeline:
    registry = read_registry(SHIPPED)
    report = registry.validate()
    result = run_pipeline(registry)
    return Pipeline(result.cohort, result.bor, report.n_errors)


# --------------------------------------------------------------------------- shipped registry
def test_generator_targets_are_the_audited_values(resolved: Any) -> None:
    """The generator calibrates to captemstats.audit.resolve, not to the stand-in."""
    ours = load_resolved()
    for name in ("table1", "table2", "table4", "survival", "cox"):
        pd.testing.assert_frame_equal(getattr(ours, name), getattr(resolved, name))
    prov = json.loads((SHIPPED / "provenance.json").read_text(encoding="utf-8"))
    assert prov["targets"] == "captemstats.audit.resolve"
    assert prov["synthetic"] is True


def test_shipped_registry_is_valid(shipped: Pipeline) -> None:
    assert shipped.n_validation_errors == 0


def test_shipped_attrition(shipped: Pipeline, resolved: Any) -> None:
    log = shipped.cohort.attrition
    assert log.n_kept == resolved.n_per_group["all"] == 308
    assert log.n_excluded == resolved.excluded == 11
    assert log.n_input == log.n_kept + log.n_excluded
    # the paper's exclusions: one drug only, or irregular follow-up
    assert set(shipped.cohort.excluded["step"]) == {"captem_both_drugs", "regular_followup"}
    assert shipped.cohort.excluded["patient_id"].is_unique


def test_table1_every_count_per_line(shipped: Pipeline, resolved: Any) -> None:
    got = table1_counts(shipped.cohort.data)
    t1 = resolved.table1
    assert len(t1) == len(got)
    wrong = [
        f"{r.variable}/{r.level}/{r.group}: {got[(r.variable, r.level, r.group)]} != {r.n}"
        for r in t1.itertuples()
        if got[(r.variable, r.level, r.group)] != r.n
    ]
    assert not wrong, wrong
    sizes = shipped.cohort.data["line_group"].value_counts().to_dict()
    assert sizes == {g: resolved.n_per_group[g] for g in LINES}


@pytest.mark.parametrize("variable", ["age", "cycles"])
def test_table1_medians_and_ranges_per_line(
    shipped: Pipeline, resolved: Any, variable: str
) -> None:
    d = shipped.cohort.data
    c = resolved.table1_continuous
    for g in ("all", *LINES):
        values = d[variable] if g == "all" else d.loc[d["line_group"] == g, variable]
        values = values.astype("float64")
        for stat, got in (
            ("median", values.median()),
            ("min", values.min()),
            ("max", values.max()),
        ):
            want = c.loc[(c.variable == variable) & (c.stat == stat) & (c.group == g), "value"]
            assert got == float(want.iloc[0]), (variable, stat, g)


def test_table2_best_response_from_measurements(shipped: Pipeline, resolved: Any) -> None:
    """Best responses come from the RECIST engine on generated measurements, not a label."""
    bor = shipped.bor
    assert shipped.cohort.data["best_response"].isna().all()
    assert (bor["source"].dropna() == "measurements").all()
    t2 = resolved.table2
    for column in ("bor", "bor_confirmed"):
        for code in BOR_CODES:
            for g in ("all", *LINES):
                sel = bor if g == "all" else bor[bor["line_group"] == g]
                got = int((sel[column] == code).fillna(False).sum())
                want = int(t2.loc[(t2.response == code) & (t2.group == g), "n"].iloc[0])
                assert got == want, (column, code, g, got, want)
    # the 4 not evaluable are the one-course patients (Table 2 footnote)
    ne = bor[bor["bor"] == "NE"]
    assert len(ne) == 4 == resolved.n_per_group["all"] - resolved.response_denominators["all"]
    assert set(ne["not_evaluable_rule"]) == {"one_course_only"}


def _medians(d: pd.DataFrame, endpoint: str) -> dict[str, float]:
    t, e = d[f"{endpoint}_months"], d[f"{endpoint}_event"]
    overall = kaplan_meier(t, e).median
    by_line = kaplan_meier(t, e, by=d["line_group"]).median
    out = {"all": next(iter(overall.values())).estimate}
    out |= {g: m.estimate for g, m in by_line.items()}
    return {g: float("nan") if v is None else float(v) for g, v in out.items()}


@pytest.mark.parametrize("endpoint", ["pfs", "os"])
def test_km_medians_within_10_percent(shipped: Pipeline, resolved: Any, endpoint: str) -> None:
    """The headline medians (overall and by line) within ±10 % (issue 14's tolerance for the
    printed medians; the scheduled model rakes all 28 of them jointly, so a KM median that
    jumps between scans can no longer be pinned to 5 % on its own)."""
    got = _medians(shipped.cohort.data, endpoint)
    s = resolved.survival
    for group in ("all", *LINES):
        grouping = "overall" if group == "all" else "line"
        want = float(
            s.loc[
                (s.endpoint == endpoint) & (s.grouping == grouping) & (s.group == group),
                "median_months",
            ].iloc[0]
        )
        assert got[group] == pytest.approx(want, rel=0.10), (endpoint, group, got[group], want)


@pytest.fixture(scope="module")
def weibull_model() -> Pipeline:
    """The 308-patient registry of the earlier (``weibull``) survival model, default seed."""
    result = run_pipeline(generate_registry(survival_model="weibull"))
    return Pipeline(result.cohort, result.bor, 0)


@pytest.mark.parametrize("endpoint", ["pfs", "os"])
def test_weibull_model_medians_within_5_percent(
    weibull_model: Pipeline, resolved: Any, endpoint: str
) -> None:
    """The earlier model fits only the overall and by-line medians, and keeps them within 5 %."""
    got = _medians(weibull_model.cohort.data, endpoint)
    s = resolved.survival
    for group in ("all", *LINES):
        grouping = "overall" if group == "all" else "line"
        want = float(
            s.loc[
                (s.endpoint == endpoint) & (s.grouping == grouping) & (s.group == group),
                "median_months",
            ].iloc[0]
        )
        assert got[group] == pytest.approx(want, rel=0.05), (endpoint, group, got[group], want)


def test_followup_median(shipped: Pipeline, resolved: Any) -> None:
    fu = shipped.cohort.data["followup_months"].median()
    assert fu == pytest.approx(resolved.followup_months["median"], rel=0.05)


@pytest.mark.parametrize("endpoint", ["pfs", "os"])
def test_table3_significant_effects_keep_their_direction(
    shipped: Pipeline, resolved: Any, endpoint: str
) -> None:
    d = shipped.cohort.data
    cox = resolved.cox[resolved.cox.endpoint == endpoint].set_index("covariate")
    fit = cox_ph(d, f"{endpoint}_months", f"{endpoint}_event", list(COX_TERMS.values()))
    fitted = dict(zip(COX_TERMS, fit.coef, strict=True))
    significant = cox.index[cox["p_value"] < 0.05]
    assert len(significant) > 0
    # rows whose printed direction the audit finds contradicted by the KM medians (reference
    # category reversed): the registry follows the medians, so the sign is the opposite
    findings = audit_published(load_published()).to_frame()
    direction = findings[
        findings["check"].isin(["cox_direction_vs_km", "cox_hr_vs_km_medians"])
        & (findings["severity"] == "warning")  # a contradicted direction, not a magnitude
    ]
    reversed_rows = {
        str(item).split("/", 1)[1]
        for item in direction["item"]
        if str(item).split("/", 1)[0] == endpoint
    }
    for covariate in significant:
        published = np.log(cox.loc[covariate, "hr"])
        expected = -np.sign(published) if covariate in reversed_rows else np.sign(published)
        assert np.sign(fitted[covariate]) == expected, (
            endpoint,
            covariate,
            np.exp(fitted[covariate]),
            cox.loc[covariate, "hr"],
        )


# --------------------------------------------------------------------------- small registries
@pytest.fixture(scope="module")
def small() -> SyntheticRegistry:
    """30 eligible + 6 ineligible patients of every kind (seed 2)."""
    return generate_registry(30, seed=2, n_ineligible=6, ineligible_kinds=ALL_INELIGIBLE)


@pytest.fixture(scope="module")
def small_other_seed() -> tuple[SyntheticRegistry, list[tuple[str, float]]]:
    """As ``small`` with seed 1, and the progress reports it made."""
    seen: list[tuple[str, float]] = []
    reg = generate_registry(
        30,
        seed=1,
        n_ineligible=6,
        ineligible_kinds=ALL_INELIGIBLE,
        progress=lambda s, f: seen.append((s, f)),
    )
    return reg, seen


# --------------------------------------------------------------------------- determinism
def test_default_seed_regenerates_the_shipped_registry(tmp_path: Path) -> None:
    """``captemstats synth --patients 308 --seed 20240305 --out DIR`` rewrites data/registry
    byte for byte; provenance.json differs only by the --out folder it records.

    The command runs in a child process with numpy's AVX-512 kernels and OpenBLAS's
    AVX-512 code paths switched off (``NPY_DISABLE_CPU_FEATURES``, ``OPENBLAS_CORETYPE``):
    the shipped files were written on an AVX-512 machine, so on such a machine this is a run
    on other kernels, whose sums differ in the last bits (a CI machine once regenerated a
    different registry because of that, synth.refine's ``TIE_TOLERANCE``); elsewhere the
    switches name features the machine lacks and change nothing."""
    out = tmp_path / "registry"
    args = ["synth", "--patients", "308", "--seed", str(DEFAULT_SEED), "--out", str(out)]
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": NO_AVX512, "OPENBLAS_CORETYPE": "Haswell"}
    result = subprocess.run(
        [sys.executable, "-m", "captemstats", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in TABLES:
        assert (out / name).read_bytes() == (SHIPPED / name).read_bytes(), name
    ours = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    theirs = json.loads((SHIPPED / "provenance.json").read_text(encoding="utf-8"))
    assert ours.pop("command") == f"captemstats synth --patients 308 --seed {DEFAULT_SEED} " + (
        f"--out {out.as_posix()}"
    )
    assert theirs.pop("command") == (
        f"captemstats synth --patients 308 --seed {DEFAULT_SEED} --out data/registry"
    )
    assert ours == theirs


def test_same_seed_gives_byte_identical_files(
    tmp_path: Path,
    small: SyntheticRegistry,
    small_other_seed: tuple[SyntheticRegistry, list[tuple[str, float]]],
) -> None:
    again = generate_registry(30, seed=2, n_ineligible=6, ineligible_kinds=ALL_INELIGIBLE)
    for fmt in ("csv", "parquet"):
        a = write_registry(small, tmp_path / f"a.{fmt}", format=fmt)
        b = write_registry(again, tmp_path / f"b.{fmt}", format=fmt)
        c = write_registry(small_other_seed[0], tmp_path / f"c.{fmt}", format=fmt)
        for name in a:
            assert a[name].read_bytes() == b[name].read_bytes(), (fmt, name)
        assert a["patients"].read_bytes() != c["patients"].read_bytes()


def test_parquet_and_csv_read_back_equal(tmp_path: Path, small: SyntheticRegistry) -> None:
    write_registry(small, tmp_path / "csv")
    write_registry(small, tmp_path / "pq", format="parquet")
    a, b = read_registry(tmp_path / "csv"), read_registry(tmp_path / "pq")
    for name in ("patients", "lesions", "adverse_events"):
        left = a.table(name).reset_index(drop=True)
        right = b.table(name).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right)
        pd.testing.assert_frame_equal(left, small.tables[name], check_dtype=True)
    prov = json.loads((tmp_path / "pq" / "provenance.json").read_text(encoding="utf-8"))
    assert prov["format"] == "parquet" and prov["seed"] == 2 and prov["n_patients"] == 30
    assert set(prov["files"]) == {"patients.parquet", "lesions.parquet", "adverse_events.parquet"}


# --------------------------------------------------------------------------- other sizes
@pytest.mark.parametrize(("n", "seed"), [(30, 2), (90, 7)])
def test_scaled_targets_reproduced_at_other_sizes(
    n: int, seed: int, small: SyntheticRegistry
) -> None:
    """Any N uses the same design: the pipeline returns the largest-remainder-scaled counts
    of Tables 1, 2 and 4 exactly, and every ineligible kind is removed by its own step."""
    reg = (
        small
        if (n, seed) == (30, 2)
        else generate_registry(n, seed=seed, n_ineligible=6, ineligible_kinds=ALL_INELIGIBLE)
    )
    targets = Targets.from_resolved(load_resolved()).scaled(n)
    result = run_pipeline(reg)
    d = result.cohort.data
    assert len(d) == n and result.cohort.attrition.n_excluded == 6
    assert result.cohort.excluded["step"].nunique() == 5  # no_cycles and one_drug share one
    got1 = table1_counts(d)
    for var, levels in TABLE1_LEVELS.items():
        for i, level in enumerate(levels):
            for j, g in enumerate(LINES):
                assert got1[(var, level, g)] == targets.table1[var][i, j], (var, level, g)
    for i, code in enumerate(BOR_CODES):
        for j, g in enumerate(LINES):
            sel = result.bor[result.bor["line_group"] == g]
            assert int((sel["bor"] == code).sum()) == targets.bor[i, j], (code, g)
    from captemstats.adverse import summarize_adverse_events

    assert result.cohort.adverse_events is not None
    counts = summarize_adverse_events(result.cohort.adverse_events, d["patient_id"]).counts
    for i, term in enumerate(targets.ae_terms):
        for k, band in enumerate(AE_BANDS):
            assert counts.loc[term, band] == targets.ae[i, k], (term, band)


def test_generator_arguments_and_progress(
    small_other_seed: tuple[SyntheticRegistry, list[tuple[str, float]]],
) -> None:
    with pytest.raises(ValueError, match="at least 30"):
        generate_registry(29)
    with pytest.raises(ValueError, match="unknown ineligible kind"):
        generate_registry(30, ineligible_kinds=("bogus",))
    reg, seen = small_other_seed
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(reg.patients) == 36 and reg.n_patients == 30 and reg.n_ineligible == 6
    assert reg.provenance()["synthetic"] is True
    assert set(PAPER_INELIGIBLE) <= set(ALL_INELIGIBLE)


# --------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def cli() -> Any:
    from captemstats.cli import _register, app

    _register()
    return app


@pytest.mark.parametrize(
    ("patients", "seed", "ineligible", "fmt", "expected"),
    [
        (308, DEFAULT_SEED, 11, "csv", f"--patients 308 --seed {DEFAULT_SEED} --out o/r"),
        (30, 4, 2, "parquet", "--patients 30 --seed 4 --ineligible 2 --format parquet --out o/r"),
        (30, 4, 0, "csv", "--patients 30 --seed 4 --ineligible 0 --out o/r"),
    ],
)
def test_cli_records_the_command(
    patients: int, seed: int, ineligible: int, fmt: str, expected: str
) -> None:
    from captemstats.cli.synth_cmd import SynthFormat, _command

    got = _command(patients, seed, ineligible, SynthFormat(fmt), Path("o") / "r")
    assert got == "captemstats synth " + expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patients", "5"], "--patients"),
        (["--patients", "many"], "--patients"),
        (["--seed", "x"], "--seed"),
        (["--seed", "-3"], "error"),
        (["--ineligible", "-1"], "--ineligible"),
        (["--format", "xls"], "--format"),
        ([], "--out"),
        (["--out", "{file}"], "is a file"),
    ],
)
def test_cli_bad_arguments_give_messages(
    cli: Any, tmp_path: Path, args: list[str], message: str
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    args = [a.replace("{file}", str(afile)) for a in args]
    if "--out" not in args and args != []:
        args += ["--out", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, ["synth", *args])
    assert result.exit_code == 2, result.output
    # the console wraps at 80 columns, wherever a long temporary path puts the break
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --------------------------------------------------------------------------- columnar helpers
# (the fast paths of the generator must give exactly what the plain pandas/numpy calls give)
@st.composite
def _sort_keys(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(0, 60))
    k = draw(st.integers(1, 3))
    # narrow ranges give ties; 2**40-wide ones force the packed-stable and lexsort paths
    bound = draw(st.sampled_from([2, 5, 1000, 2**40]))
    return tuple(
        draw(hnp.arrays(np.int64, n, elements=st.integers(-bound, bound))) for _ in range(k)
    )


@settings(max_examples=200, deadline=None)
@given(_sort_keys())
def test_lexsort_order_is_numpy_lexsort(keys: tuple[np.ndarray, ...]) -> None:
    got = cols.lexsort_order(keys)
    want = np.lexsort(keys) if keys[0].size else np.zeros(0, dtype=np.int64)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    ("spans", "path"),
    [((3, 5), "packed + row"), ((2**30, 2**25), "packed, stable"), ((2**40, 2**40), "lexsort")],
)
def test_lexsort_order_every_path(spans: tuple[int, ...], path: str) -> None:
    rng = np.random.default_rng(5)
    keys = tuple(rng.integers(0, s, 500) for s in spans)
    keys = (keys[0], keys[1] // 7 * 7)  # ties in the primary key
    np.testing.assert_array_equal(cols.lexsort_order(keys), np.lexsort(keys), err_msg=path)


def _old_text(values: tuple[str, ...], codes: np.ndarray) -> pd.Series:
    """How the generator built text columns before (object array -> ``string``)."""
    arr = np.asarray([*values, None], dtype=object)[np.where(codes < 0, len(values), codes)]
    return pd.Series(arr, dtype="string")


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 40), elements=st.integers(-1, 2)))
def test_coded_text_to_pandas_and_arrow(codes: np.ndarray) -> None:
    import pyarrow as pa

    c = cols.text(("b", "a", "lymph node"), codes)
    got = pd.Series(c.to_pandas())
    pd.testing.assert_series_equal(got, _old_text(c.values, codes), check_exact=True)
    assert c.to_arrow().equals(pa.array(got.array, type=pa.string()))
    assert c.matches(got.array)


def test_coded_text_matches_only_the_same_text() -> None:
    c = cols.text(("x", "y"), np.array([0, 1, -1, 1]))
    arr = c.to_pandas()
    assert c.matches(arr)
    changed = arr.copy()
    changed[1] = "x"
    assert not c.matches(changed)
    filled = arr.copy()
    filled[2] = "x"  # text where the codes say missing
    assert not c.matches(filled)
    emptied = arr.copy()
    emptied[0] = pd.NA  # missing where the codes say text
    assert not c.matches(emptied)
    assert not c.matches(arr[:3])
    assert not c.matches(pd.array(["x", "y", None, "y"], dtype="object"))


def test_parquet_from_codes_is_the_pandas_conversion(
    tmp_path: Path, small: SyntheticRegistry
) -> None:
    """write_registry's Parquet is byte-identical to pq.write_table(pa.Table.from_pandas(...)),
    and a frame changed after generation is written as changed, not from stale codes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert small.coded_text["lesions"].keys() >= {"patient_id", "organ", "measurement_status"}
    paths = write_registry(small, tmp_path / "fast", format="parquet")
    for name, frame in small.tables.items():
        ref = tmp_path / f"{name}.ref.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), ref)
        assert paths[name].read_bytes() == ref.read_bytes(), name
    lesions = small.lesions.copy()
    lesions.loc[0, "organ"] = "brain"
    edited = SyntheticRegistry(
        small.patients,
        lesions,
        small.adverse_events,
        small.seed,
        small.n_patients,
        small.n_ineligible,
        small.targets_source,
        coded_text=small.coded_text,
    )
    paths = write_registry(edited, tmp_path / "edited", format="parquet")
    back = pq.read_table(paths["lesions"]).column("organ").to_pylist()
    assert back[0] == "brain" and back[1:] == small.lesions["organ"].iloc[1:].tolist()
