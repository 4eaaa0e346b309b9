"""Edits of a registry copy that tests use to prove a number follows the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd


def move_progressions_at_the_median(
    registry: Path, cohort: pd.DataFrame, median_months: float, copy: Path
) -> list[str]:
    """Copy ``registry`` to ``copy`` and move the progression of *every* patient whose PFS
    event lies at the median to 14 days after the CAPTEM start.

    Moving all of them (not one) makes the change certain: the Kaplan–Meier median is an event
    time, and no event is left at the old one, so the median moves (or is no longer reached);
    moving one of several tied events can leave it where it was. Returns the moved patients.
    """
    at_median = cohort[(cohort["pfs_months"] == median_months) & cohort["pfs_event"]]
    moved = [str(p) for p in at_median["patient_id"]]
    if not moved:
        raise AssertionError(f"no PFS event at the median ({median_months} months)")
    shutil.copytree(registry, copy)
    patients = pd.read_csv(copy / "patients.csv", dtype=str, keep_default_na=False)
    rows = patients["patient_id"].isin(moved)
    start = pd.to_datetime(patients.loc[rows, "captem_start_date"])
    patients.loc[rows, "progression_date"] = (start + pd.Timedelta(days=14)).dt.strftime("%Y-%m-%d")
    patients.to_csv(copy / "patients.csv", index=False)
    return moved
