"""CDISC ADaM adapters (issue 18, item 6): ``read_adam`` and its CNSR guard.

An ADaM set (ADSL, ADRS BOR + OVR, ADTTE PFS/OS, ADAE) is built from the shipped registry's
analysis, written as Parquet and CSV, read back and analysed again: Kaplan–Meier medians,
log-rank P values, Cox coefficients (and Table 1, Table 2, the adverse events) must equal
the shipped registry's. The other tests break one thing each and check the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from captemstats.analysis import StudyAnalysis, analyze
from captemstats.io import Registry, read_adam
from captemstats.io.adam import ADAM_RULES, AdamReadError
from captemstats.units import DAYS_PER_MONTH

REGISTRY = Path(__file__).resolve().parents[1] / "data" / "registry"
RTOL = 1e-10
FLAGS = {
    "comorbidity": "COMORBFL",
    "prior_curative_surgery": "PRSURGFL",
    "prior_ssa": "PRSSAFL",
    "prior_prrt": "PRPRRTFL",
    "prior_chemo": "PRCHEMFL",
    "prior_everolimus": "PREVERFL",
    "prior_sunitinib": "PRSUNIFL",
    "prior_locoregional": "PRLRTFL",
    "capecitabine": "CAPEFL",
    "temozolomide": "TEMOFL",
    "concomitant_ssa": "CONSSAFL",
    "dose_reduction": "DOSREDFL",
    "drug_holiday": "DRGHOLFL",
    "treatment_interruption": "TRTINTFL",
    "regular_followup": "REGFUFL",
    "evaluable_disease": "EVALFL",
}
PLAIN = {
    "patient_id": "USUBJID",
    "center": "SITEID",
    "age": "AGE",
    "birth_date": "BRTHDT",
    "ecog": "ECOGBL",
    "primary_site": "PRIMSITE",
    "grade": "TUMGR",
    "ki67": "KI67BL",
    "metastatic_sites": "METSITE",
    "diagnosis_date": "DIAGDT",
    "metastatic_date": "METDT",
    "captem_start_date": "TRTSDT",
    "line": "TRTLINE",
    "cycles": "NCYCLE",
    "subsequent_therapy_date": "NXTTRTDT",
    "tumour_type": "TUMTYPE",
}
REASONS = {"progression": "PROGRESSIVE DISEASE", "toxicity": "ADVERSE EVENT", "death": "DEATH"}


def _yn(s: pd.Series) -> pd.Series:
    return s.astype("boolean").map({True: "Y", False: "N"}).astype("string")


def build_adam(res: StudyAnalysis) -> dict[str, pd.DataFrame]:
    """ADSL, ADTTE, ADRS and ADAE holding the analysed cohort (what the pipeline derived)."""
    d = res.cohort.data
    adsl = pd.DataFrame({"STUDYID": "CAPTEM", **{v: d[c] for c, v in PLAIN.items()}})
    adsl["DTHDT"] = d["death_date"]  # not read: the death date comes from ADTTE OS
    adsl["SEX"] = d["sex"].map({"male": "M", "female": "F"})
    adsl["DCTREAS"] = d["discontinuation_reason"].map(lambda v: REASONS.get(v, v))
    for column, variable in FLAGS.items():
        adsl[variable] = _yn(d[column])
    ids, start = d["patient_id"], d["captem_start_date"]
    pfs_days = (d["pfs_months"] * DAYS_PER_MONTH).round()
    by_death = d["progression_date"].isna() & d["pfs_event"]
    adtte = pd.concat(
        [
            pd.DataFrame(  # PFS in months, without ADT: the date is TRTSDT + AVAL
                {
                    "USUBJID": ids,
                    "PARAMCD": "PFS",
                    "AVAL": d["pfs_months"],
                    "AVALU": "MONTHS",
                    "CNSR": 1 - d["pfs_event"].astype(int),
                    "STARTDT": start,
                    "EVNTDESC": np.where(
                        d["pfs_event"], np.where(by_death, "DEATH", "DISEASE PROGRESSION"), ""
                    ),
                }
            ),
            pd.DataFrame(  # OS in days, with ADT
                {
                    "USUBJID": ids,
                    "PARAMCD": "OS",
                    "AVAL": (d["os_months"] * DAYS_PER_MONTH).round(),
                    "AVALU": "DAYS",
                    "CNSR": 1 - d["os_event"].astype(int),
                    "STARTDT": start,
                    "ADT": d["death_date"].fillna(d["last_followup_date"]),
                    "SRCDOM": "ADSL",
                }
            ),
        ],
        ignore_index=True,
    )
    assert (pfs_days >= 0).all()
    bor = res.responses.patients[["patient_id", "bor"]]
    adrs = pd.concat(
        [
            pd.DataFrame(
                {"USUBJID": bor["patient_id"], "PARAMCD": "BOR", "AVALC": bor["bor"]}
            ).replace({"AVALC": {"NON_CR_NON_PD": "NON-CR/NON-PD"}}),
            pd.DataFrame({"USUBJID": ids[:7], "PARAMCD": "OVR", "AVALC": "SD"}),
        ],
        ignore_index=True,
    )
    ae = res.cohort.adverse_events
    assert ae is not None
    action = np.select(
        [ae["led_to_interruption"].astype(bool), ae["led_to_discontinuation"].astype(bool)],
        ["DRUG INTERRUPTED", "DRUG WITHDRAWN"],
        "DOSE NOT CHANGED",
    )
    adae = pd.DataFrame(
        {
            "USUBJID": ae["patient_id"],
            "AEDECOD": ae["term"],
            "AETOXGR": ae["grade"],
            "ASTDT": ae["onset_date"],
            "AEACN": action,
            "AESER": "N",
        }
    )
    return {"adsl": adsl, "adtte": adtte, "adrs": adrs, "adae": adae}


def write(adam: dict[str, pd.DataFrame], folder: Path, fmt: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in adam.items():
        frame = frame.reset_index(drop=True)
        if fmt == "parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        else:  # dates as SAS DATE9. text, as many CSV exports of SAS datasets hold them
            dates = frame.select_dtypes("datetime64[ns]").columns
            frame = frame.assign(**{c: frame[c].dt.strftime("%d%b%Y").str.upper() for c in dates})
            frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def shipped() -> StudyAnalysis:
    return analyze(REGISTRY)


@pytest.fixture(scope="module")
def adam(shipped: StudyAnalysis) -> dict[str, pd.DataFrame]:
    return build_adam(shipped)


@pytest.fixture(scope="module")
def parquet(adam: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(adam, tmp_path_factory.mktemp("adam_parquet"), "parquet")


def _close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=RTOL, atol=0)


def assert_same_results(got: StudyAnalysis, want: StudyAnalysis) -> None:
    assert got.n == want.n and got.n_by_line == want.n_by_line
    assert sorted(got.survival) == sorted(want.survival)
    for key, sc in want.survival.items():
        g, w = got.survival[key].km.medians_frame(), sc.km.medians_frame()
        assert g["group"].tolist() == w["group"].tolist(), key
        for col in ("n", "n_events", "median", "lower", "upper"):
            _close(g[col], w[col])
        if sc.logrank is None:
            assert got.survival[key].logrank is None
        else:
            other = got.survival[key].logrank
            assert other is not None
            _close([other.chisq, other.p_value], [sc.logrank.chisq, sc.logrank.p_value])
    for e, cox in want.cox.items():
        assert got.cox[e].terms == cox.terms
        _close(got.cox[e].coef, cox.coef)
        _close(got.cox[e].se, cox.se)
        _close(got.cox_cluster[e].coef, want.cox_cluster[e].coef)
    g_dict, w_dict = got.to_dict(), want.to_dict()
    for part in ("table1", "table2", "table2_tests", "table3", "table3_univariable", "table4"):
        assert g_dict[part] == w_dict[part], part


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_reproduces_the_shipped_results(
    fmt: str, shipped: StudyAnalysis, adam: dict[str, pd.DataFrame], parquet: Path, tmp_path: Path
) -> None:
    folder = parquet if fmt == "parquet" else write(adam, tmp_path / "csv", "csv")
    registry = read_adam(folder)
    assert registry.lesions.empty and len(registry.patients) == shipped.n
    assert not (registry.parse_problems["severity"] == "error").any()
    got = analyze(registry)
    assert_same_results(got, shipped)
    d, w = got.cohort.data, shipped.cohort.data
    for col in ("pfs_months", "os_months", "followup_months"):
        _close(d[col], w[col])
    assert d["pfs_event"].tolist() == w["pfs_event"].tolist()


def test_not_carried_is_reported(parquet: Path) -> None:
    problems = read_adam(parquet).parse_problems
    carried = problems[problems["rule"].isin(ADAM_RULES)]
    assert set(carried["severity"]) == {"warning"}
    said = set(
        zip(carried["file"], carried["column"].fillna(""), carried["value"].fillna(""), strict=True)
    )
    assert ("adsl.parquet", "STUDYID", "") in said
    assert ("adae.parquet", "AESER", "") in said
    assert ("adtte.parquet", "SRCDOM", "") in said
    dthdt = carried[carried["column"] == "DTHDT"]["message"].iloc[0]
    assert "the death date is taken from ADTTE OS" in dthdt
    ovr = carried[(carried["file"] == "adrs.parquet") & (carried["value"] == "OVR")]
    assert "7 ADRS OVR record(s) of 7 subject(s) not carried" in ovr["message"].iloc[0]
    assert "no per-visit response field" in ovr["message"].iloc[0]


def _variant(adam: dict[str, pd.DataFrame], tmp_path: Path, name: str, frame: pd.DataFrame) -> Path:
    return write({**adam, name: frame}, tmp_path / "v", "parquet")


def test_the_event_is_one_minus_cnsr(adam: dict[str, pd.DataFrame], parquet: Path) -> None:
    # Fails if CNSR is passed as the event: censored patients would get a death date.
    registry = read_adam(parquet)
    os_ = adam["adtte"][adam["adtte"]["PARAMCD"] == "OS"].set_index("USUBJID")
    p = registry.patients.set_index("patient_id")
    dead = p["death_date"].notna().reindex(os_.index)
    assert (dead == (os_["CNSR"] == 0)).all()
    assert dead.any() and (~dead).any()


@pytest.mark.parametrize("value", [2, -1, np.nan])
def test_cnsr_other_than_0_1_is_refused(
    adam: dict[str, pd.DataFrame], tmp_path: Path, value: float
) -> None:
    tte = adam["adtte"].copy()
    tte["CNSR"] = tte["CNSR"].astype(float)
    tte.loc[3, "CNSR"] = value
    with pytest.raises(AdamReadError) as err:
        read_adam(_variant(adam, tmp_path, "adtte", tte))
    msg = str(err.value)
    assert msg.startswith("adtte.parquet, column CNSR: row 5 CNSR=")
    assert "CNSR must be 0 (event) or 1 (censored)" in msg and "1 − CNSR" in msg


def test_unknown_paramcd_is_refused_and_none_reports_it(
    adam: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    tte = pd.concat([adam["adtte"], adam["adtte"].iloc[:2].assign(PARAMCD="TTR")])
    folder = _variant(adam, tmp_path, "adtte", tte)
    with pytest.raises(
        AdamReadError,
        match=r"adtte\.parquet, column PARAMCD: row \d+ "
        r"PARAMCD='TTR'.*not in the endpoint mapping",
    ):
        read_adam(folder)
    registry = read_adam(folder, endpoints={"PFS": "pfs", "OS": "os", "TTR": None})
    note = registry.parse_problems.query("value == 'TTR'")
    assert note["rule"].tolist() == ["adam_not_carried"]


@pytest.mark.parametrize(
    ("name", "drop", "text"),
    [
        ("adsl", "USUBJID", "adsl.parquet: required ADSL variable(s) USUBJID missing"),
        ("adsl", "TRTSDT", "adsl.parquet: required ADSL variable(s) TRTSDT missing"),
        ("adsl", "ECOGBL", "ADSL variable(s) the registry model needs are missing: ECOGBL (ecog)"),
        ("adtte", "CNSR", "adtte.parquet: required ADTTE variable(s) CNSR missing"),
        ("adae", "AETOXGR", "adae.parquet: required ADAE variable(s) AETOXGR missing"),
    ],
)
def test_missing_variables_are_named(
    adam: dict[str, pd.DataFrame], tmp_path: Path, name: str, drop: str, text: str
) -> None:
    with pytest.raises(AdamReadError, match=text.replace("(", r"\(").replace(")", r"\)")):
        read_adam(_variant(adam, tmp_path, name, adam[name].drop(columns=drop)))


def test_adt_disagreeing_with_aval_is_refused(
    adam: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    tte = adam["adtte"].copy()
    row = tte.index[tte["PARAMCD"] == "OS"][0]
    tte.loc[row, "AVAL"] += 1  # an AVAL counting the start day as day 1
    with pytest.raises(AdamReadError, match=r"column ADT: .*ADT must equal STARTDT \+ AVAL"):
        read_adam(_variant(adam, tmp_path, "adtte", tte))


def test_pfs_censoring_the_model_cannot_hold(adam: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    tte = adam["adtte"].copy()
    pfs = tte.index[(tte["PARAMCD"] == "PFS") & (tte["CNSR"] == 1)][0]
    tte.loc[pfs, "AVAL"] = tte.loc[pfs, "AVAL"] / 2  # censored at an earlier assessment
    folder = _variant(adam, tmp_path, "adtte", tte)
    problems = read_adam(folder).parse_problems.query("rule == 'adam_pfs_censoring'")
    assert problems["severity"].tolist() == ["error"]
    assert problems["patient_id"].tolist() == [tte.loc[pfs, "USUBJID"]]
    accepted = read_adam(folder, pfs_censoring="last_followup").parse_problems
    assert accepted.query("rule == 'adam_pfs_censoring'")["severity"].tolist() == ["warning"]


def test_adsl_cell_problems_cite_the_adam_variable(
    adam: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    adsl = adam["adsl"].copy()
    adsl["ECOGBL"] = adsl["ECOGBL"].astype("string")
    adsl.loc[0, "ECOGBL"] = "two"
    registry = read_adam(_variant(adam, tmp_path, "adsl", adsl))
    bad = registry.parse_problems.query("column == 'ecog'")
    assert bad["line"].tolist() == [2] and bad["value"].tolist() == ["two"]
    assert "(ADaM variable ECOGBL)" in bad["message"].iloc[0]


def test_sas_transport_files_are_read(adam: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    import pyreadstat

    folder = tmp_path / "xpt"
    folder.mkdir()
    for name, frame in adam.items():
        frame = frame.reset_index(drop=True).copy()
        for col in frame.columns:  # XPT holds numbers and text: dates as SAS day counts
            if pd.api.types.is_datetime64_any_dtype(frame[col]):
                frame[col] = (frame[col] - pd.Timestamp("1960-01-01")).dt.days.astype(float)
            elif not pd.api.types.is_numeric_dtype(frame[col]):
                frame[col] = frame[col].astype(object).where(frame[col].notna(), "")
        pyreadstat.write_xport(frame, str(folder / f"{name}.xpt"), table_name=name.upper())
    registry: Registry = read_adam(folder)
    want = read_adam(_variant(adam, tmp_path, "adsl", adam["adsl"]))
    pd.testing.assert_frame_equal(registry.patients, want.patients)
    assert len(registry.adverse_events) == len(want.adverse_events)
