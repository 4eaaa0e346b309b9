"""ADTTE -> the registry's survival dates, with the CNSR guard.

CDISC ADaM IG (BDS for time-to-event, ADTTE): one record per subject and parameter
(``PARAMCD``), ``AVAL`` the time from ``STARTDT`` to ``ADT`` in the unit ``AVALU``, ``CNSR``
0 for an event and 1 for a censored time. The registry model stores dates, not times, and
the pipeline (:func:`captemstats.cohort.derive_variables`) derives PFS and OS from them, so
this module turns each time into a date: ``end = ADT`` when given, else ``TRTSDT + AVAL``
days, with months converted as days = months × 365.25 / 12
(:data:`captemstats.units.DAYS_PER_MONTH`), the pipeline's own convention. ``AVAL`` must be
the elapsed time ``ADT − STARTDT`` (the pipeline's ``(end − start).days``); a sponsor that
counts the start day as day 1 (``ADT − STARTDT + 1``) must subtract one day first.

**The CNSR trap.** ``CNSR`` is a *censoring* indicator; survival calls take an *event*
indicator. Passing ``CNSR`` as the event inverts every estimate, silently. Here the event is
``1 − CNSR``, and any ``CNSR`` other than 0 or 1 is refused (:func:`events_from_cnsr`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from captemstats.io.adam._files import (
    AdamReadError,
    Dataset,
    iso_dates,
    note,
    problem_rows,
    unused,
)
from captemstats.io.problems import Problem
from captemstats.units import DAYS_PER_MONTH

Endpoint = Literal["pfs", "os"]
#: ADTTE PARAMCD -> registry endpoint (None: read, reported, not carried).
DEFAULT_ENDPOINTS: dict[str, Endpoint | None] = {"PFS": "pfs", "OS": "os"}
#: AVALU spellings -> days per unit.
UNITS: dict[str, float] = {
    "DAYS": 1.0,
    "DAY": 1.0,
    "D": 1.0,
    "MONTHS": DAYS_PER_MONTH,
    "MONTH": DAYS_PER_MONTH,
    "MO": DAYS_PER_MONTH,
}
CNSR_RULE = (
    "CNSR must be 0 (event) or 1 (censored) (CDISC ADaM IG, ADTTE: CNSR is a censoring "
    "indicator); the event indicator is derived as 1 − CNSR. Recode sponsor-specific "
    "censoring codes (2, 3 ...) to 1 before reading"
)
_ADT_RULE = (
    "ADT must equal STARTDT + AVAL (AVAL = ADT − STARTDT, elapsed days; CDISC ADaM IG, ADTTE) "
    "to within one day; if AVAL counts the start day as day 1 (ADT − STARTDT + 1), subtract 1 "
    "day first; AVAL in months needs at least two decimals"
)

_WHOLE = (
    "AVAL is not a whole number of days (months × 365.25/12): the registry's dates give the "
    "nearest day, so the pipeline's time differs from AVAL by under one day"
)


def events_from_cnsr(ds: Dataset) -> pd.Series:
    """The event indicator ``1 − CNSR``, refusing any CNSR but 0 or 1.

    Parameters
    ----------
    ds : Dataset
        ADTTE read as text; ``CNSR`` is the ADaM IG censoring indicator (0 = event,
        1 = censored).

    Returns
    -------
    pandas.Series
        Boolean, True where the record is an event (``CNSR == 0``).

    Raises
    ------
    AdamReadError
        Naming the file, row, column, value and rule of the first offending records (a
        missing CNSR, 2, "Y" ...).

    Example
    -------
    >>> import pandas as pd
    >>> from captemstats.io.adam._files import Dataset
    >>> from captemstats.io.readers import SourceInfo
    >>> from pathlib import Path
    >>> f = pd.DataFrame({"CNSR": pd.array(["0", "1"], dtype="string")})
    >>> ds = Dataset("adtte", f, SourceInfo("adtte", Path("adtte.csv"), "", 2, "csv"))
    >>> events_from_cnsr(ds).tolist()
    [True, False]
    """
    cnsr = pd.to_numeric(ds.frame["CNSR"], errors="coerce")
    ds.refuse(~cnsr.isin([0.0, 1.0]), "CNSR", CNSR_RULE)
    event: pd.Series = (1 - cnsr).astype(bool)  # event = 1 − CNSR, never CNSR itself
    return event


def _days(ds: Dataset, unit: str | None) -> pd.Series:
    """AVAL in days (float), per AVALU or the ``unit`` given when ADTTE has no AVALU."""
    f = ds.frame
    aval = pd.to_numeric(f["AVAL"], errors="coerce").astype("float64")
    ds.refuse(
        ~pd.Series(np.isfinite(aval), index=aval.index) | (aval < 0),
        "AVAL",
        "AVAL must be a number >= 0",
    )
    if "AVALU" in f.columns:
        factor = f["AVALU"].str.strip().str.upper().map(UNITS).astype("float64")
        ds.refuse(factor.isna(), "AVALU", f"AVALU must be one of {', '.join(UNITS)}")
    elif unit is not None:
        factor = pd.Series(UNITS[unit.upper()], index=f.index)
    else:
        raise AdamReadError(
            f"{ds.label}: AVALU missing and no aval_unit given: pass aval_unit='days' or "
            "'months' (CDISC ADaM IG, ADTTE: AVALU)"
        )
    return aval * factor


def _starts(ds: Dataset, trtsdt: pd.Series) -> pd.Series:
    """STARTDT per record; it must equal ADSL TRTSDT (the registry times start at CAPTEM)."""
    f = ds.frame
    start = f["USUBJID"].map(trtsdt).astype("datetime64[ns]")
    ds.refuse(start.isna(), "USUBJID", "the subject's ADSL TRTSDT is missing or unreadable")
    if "STARTDT" in f.columns:
        given = pd.to_datetime(iso_dates(ds, "STARTDT"), format="%Y-%m-%d", errors="coerce")
        ds.refuse(f["STARTDT"].notna() & given.isna(), "STARTDT", "not a date")
        ds.refuse(
            given.notna() & (given != start),
            "STARTDT",
            "STARTDT must equal ADSL TRTSDT: the registry measures PFS and OS from the start "
            "of CAPTEM (captem_start_date)",
        )
    return start


def _targets(
    ds: Dataset, endpoints: Mapping[str, Endpoint | None]
) -> tuple[pd.Series, list[Problem]]:
    """The endpoint of each record by its PARAMCD (refusing an unmapped one), and a note per
    PARAMCD mapped to None."""
    known = {k.strip().upper(): v for k, v in endpoints.items()}
    paramcd = ds.frame["PARAMCD"].str.strip().str.upper()
    ds.refuse(
        ~paramcd.isin(list(known)).fillna(False).astype(bool),
        "PARAMCD",
        f"PARAMCD not in the endpoint mapping {known} (map a parameter to None to read it "
        "without carrying it)",
    )
    notes = [
        note(
            ds,
            "PARAMCD",
            str(code),
            "adam_not_carried",
            f"{int((paramcd == code).sum())} ADTTE record(s) of PARAMCD {code} read but not "
            "carried: the registry model has PFS and OS only",
        )
        for code, ep in known.items()
        if ep is None and bool((paramcd == code).any())
    ]
    return paramcd.map(known), notes


def read_endpoints(
    ds: Dataset,
    trtsdt: pd.Series,
    endpoints: Mapping[str, Endpoint | None],
    unit: str | None,
) -> tuple[dict[str, pd.DataFrame], list[pd.DataFrame], list[Problem]]:
    """Per endpoint, a frame indexed by USUBJID: ``end`` date, ``event``, ``desc``, ``line``.

    ``trtsdt`` maps USUBJID -> ADSL TRTSDT. Returns (frames, problem frames, notes).
    """
    ds.require(["USUBJID", "PARAMCD", "AVAL", "CNSR"], "CDISC ADaM IG, ADTTE")
    f = ds.frame
    target, notes = _targets(ds, endpoints)
    event = events_from_cnsr(ds)
    ds.refuse(~f["USUBJID"].isin(trtsdt.index), "USUBJID", "subject not in ADSL")
    ds.refuse(
        target.notna() & pd.DataFrame({"u": f["USUBJID"], "t": target}).duplicated(keep=False),
        "USUBJID",
        "more than one record for this subject and PARAMCD (ADTTE has one per subject and "
        "parameter)",
    )
    days = _days(ds, unit)
    start = _starts(ds, trtsdt)
    end = start + pd.to_timedelta(days.round(), unit="D")
    if "ADT" in f.columns:
        adt = pd.to_datetime(iso_dates(ds, "ADT"), format="%Y-%m-%d", errors="coerce")
        ds.refuse(f["ADT"].notna() & adt.isna(), "ADT", "not a date")
        ds.refuse(((adt - start).dt.days - days).abs() >= 1, "ADT", _ADT_RULE)
        end = adt.fillna(end)
    off = target.notna() & (((end - start).dt.days - days).abs() > 1e-6)
    problems = [
        problem_rows(ds, off, "AVAL", "adam_aval_not_whole_days", _WHOLE, severity="warning")
    ]
    desc = f["EVNTDESC"].str.upper() if "EVNTDESC" in f.columns else pd.Series(pd.NA, f.index)
    out = pd.DataFrame(
        {"end": end, "event": event, "desc": desc.astype("string"), "line": f.index, "t": target}
    )
    out.index = pd.Index(f["USUBJID"], name="USUBJID")
    notes += unused(
        ds, {"USUBJID", "PARAMCD", "AVAL", "AVALU", "CNSR", "STARTDT", "ADT", "EVNTDESC"}
    )
    frames = {str(t): g.drop(columns="t") for t, g in out.groupby("t")}
    return frames, problems, notes


def registry_dates(
    ds: Dataset,
    frames: dict[str, pd.DataFrame],
    subjects: pd.Index,
    pfs_censoring: Literal["refuse", "last_followup"],
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """``progression_date``, ``death_date``, ``last_followup_date`` (ISO text) per subject.

    OS: an event is the death date; the OS date (event or censored) is the last follow-up.
    PFS: an event is the progression date, except a PFS event on the day of an OS death whose
    ``EVNTDESC`` does not name progression (a death without progression: the pipeline counts
    the death). A censored PFS is representable only where the registry's rule gives the
    same time: censored at the last follow-up, no death; otherwise it is reported
    (``adam_pfs_censoring``, an error unless ``pfs_censoring="last_followup"``).
    """
    missing = {
        e: subjects.difference(frames[e].index) if e in frames else subjects for e in ("pfs", "os")
    }
    for e, ids in missing.items():
        if len(ids):
            raise AdamReadError(
                f"{ds.label}, column PARAMCD: no {e.upper()} record for ADSL subject(s) "
                f"{', '.join(map(str, ids[:5]))}{' ...' if len(ids) > 5 else ''}: the registry "
                "model needs PFS and OS for every patient"
            )
    pfs, os_ = frames["pfs"].reindex(subjects), frames["os"].reindex(subjects)
    same_day_death = pfs["event"] & os_["event"] & (pfs["end"] == os_["end"])
    names_prog = pfs["desc"].str.contains("PROG").fillna(False).astype(bool)
    progression = pfs["end"].where(pfs["event"] & ~(same_day_death & ~names_prog))
    out = pd.DataFrame(
        {
            "progression_date": progression,
            "death_date": os_["end"].where(os_["event"]),
            "last_followup_date": os_["end"],
        },
        index=subjects,
    )
    after = pfs["event"] & (pfs["end"] > os_["end"])
    censor = ~pfs["event"] & (os_["event"] | (pfs["end"] != os_["end"]))
    severity = "error" if pfs_censoring == "refuse" else "warning"
    checks = (
        (
            after,
            "error",
            "adam_pfs_after_os",
            "PFS event after the OS date: the registry ends PFS at the death or last follow-up",
        ),
        (
            censor,
            severity,
            "adam_pfs_censoring",
            "PFS censored on a date the registry model "
            "cannot hold: it censors PFS at the last follow-up (the OS date) and counts a death "
            "as a PFS event, so the pipeline's PFS differs from AVAL for this subject (pass "
            "pfs_censoring='last_followup' to accept the registry's rule)",
        ),
    )
    problems = [
        problem_rows(ds, _rows(ds, pfs["line"][mask]), "AVAL", rule, msg, severity=sev)
        for mask, sev, rule, msg in checks
    ]
    iso = {c: out[c].dt.strftime("%Y-%m-%d").astype("string") for c in out.columns}
    return pd.DataFrame(iso, index=subjects), problems


def _rows(ds: Dataset, lines: pd.Series) -> pd.Series:
    """A mask over ``ds``'s records: those at ``lines``."""
    return pd.Series(ds.frame.index.isin(lines.to_numpy()), index=ds.frame.index)
