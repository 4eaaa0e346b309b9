"""Benchmark of the RECIST 1.1 engine: ~1,000,000 lesion rows, ~100,000 patients.

Run: ``.venv/bin/python benchmarks/bench_recist.py [n_patients]``. Prints the wall-clock and
CPU time of assess_timepoints and best_overall_response (target: under 10 s together on 2
cores).

Each patient: 2 targets (and for half of them 1 non-target) at baseline, 3 days before CAPTEM
start, then 3 follow-up assessments every ~90 days with random size changes; 5% new lesions
per assessment. Rows are shuffled.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from captemstats.recist import assess_timepoints, best_overall_response


def make_registry(n_patients: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_assess = 4
    lesions_per = 2  # targets; plus one non-target
    pids = np.array([f"P{i:06d}" for i in range(n_patients)], dtype=object)
    start = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 2000, n_patients), "D")
    a = np.arange(n_assess)
    # dates: baseline at start-3, then every ~90 days
    offs = np.where(a == 0, -3, a * 90)[None, :] + np.where(
        a == 0, 0, rng.integers(-7, 8, (n_patients, n_assess))
    )
    dates = start.to_numpy()[:, None] + offs.astype("timedelta64[D]")
    base = rng.uniform(15, 60, (n_patients, lesions_per))
    trend = rng.normal(-0.05, 0.15, (n_patients, 1))
    factor = np.clip(1 + trend * a[None, :], 0.0, None)
    sizes = np.round(
        base[:, :, None]
        * factor[:, None, :]
        * rng.uniform(0.9, 1.1, (n_patients, lesions_per, n_assess)),
        1,
    )
    sizes[:, :, 0] = np.round(base, 1)
    # targets
    P = np.repeat(pids, lesions_per * n_assess)
    D = np.broadcast_to(dates[:, None, :], (n_patients, lesions_per, n_assess)).reshape(-1)
    lid = np.broadcast_to(
        np.array(["T1", "T2"])[None, :, None], (n_patients, lesions_per, n_assess)
    ).reshape(-1)
    organ = np.broadcast_to(
        np.array(["liver", "lung"])[None, :, None], (n_patients, lesions_per, n_assess)
    ).reshape(-1)
    s = sizes.reshape(-1)
    status = np.where(s < 5, "too_small", "measured").astype(object)
    diam = np.where(s < 5, np.nan, s)
    targets = pd.DataFrame(
        {
            "patient_id": P,
            "assessment_date": D,
            "lesion_id": lid,
            "role": "target",
            "organ": organ,
            "nodal": False,
            "diameter_mm": diam,
            "measurement_status": status,
            "non_target_status": None,
        }
    )
    nt_status = np.where(
        rng.random((n_patients, n_assess)) < 0.03, "unequivocal_progression", "present"
    )
    nt_status[:, 0] = "present"
    non_targets = pd.DataFrame(
        {
            "patient_id": np.repeat(pids, n_assess),
            "assessment_date": dates.reshape(-1),
            "lesion_id": "N1",
            "role": "non_target",
            "organ": "bone",
            "nodal": False,
            "diameter_mm": np.nan,
            "measurement_status": None,
            "non_target_status": nt_status.reshape(-1),
        }
    )
    new_mask = rng.random((n_patients, n_assess)) < 0.05
    new_mask[:, 0] = False
    new = pd.DataFrame(
        {
            "patient_id": np.repeat(pids, n_assess)[new_mask.reshape(-1)],
            "assessment_date": dates.reshape(-1)[new_mask.reshape(-1)],
            "lesion_id": "X1",
            "role": "new",
            "organ": "brain",
            "nodal": False,
            "diameter_mm": np.nan,
            "measurement_status": None,
            "non_target_status": None,
        }
    )
    has_nt = np.repeat(np.arange(n_patients) % 2 == 0, n_assess)
    non_targets = non_targets[has_nt]
    lesions = pd.concat([targets, non_targets, new], ignore_index=True)
    lesions = lesions.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    lesions = lesions.astype(
        {
            "patient_id": "string",
            "lesion_id": "string",
            "role": "string",
            "organ": "string",
            "nodal": "boolean",
            "diameter_mm": "float64",
            "measurement_status": "string",
            "non_target_status": "string",
        }
    )
    lesions["assessment_date"] = pd.to_datetime(lesions["assessment_date"]).astype("datetime64[ns]")
    patients = pd.DataFrame(
        {
            "patient_id": pd.array(pids, dtype="string"),
            "captem_start_date": start.astype("datetime64[ns]"),
            "cycles": pd.array(rng.integers(1, 20, n_patients), dtype="Int64"),
        }
    )
    return lesions, patients


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Time the RECIST engine on simulated lesions.")
    parser.add_argument(
        "patients", nargs="?", type=int, default=100_000, help="patients (~10 lesion rows each)"
    )
    n = parser.parse_args().patients
    lesions, patients = make_registry(n)
    print(f"{len(lesions):,} lesion rows, {n:,} patients")
    t0, c0 = time.perf_counter(), time.process_time()
    tp = assess_timepoints(lesions)
    t1, c1 = time.perf_counter(), time.process_time()
    bor = best_overall_response(tp, patients)
    t2, c2 = time.perf_counter(), time.process_time()
    # wall-clock and this process's CPU time: on a machine shared with other jobs the wall
    # clock grows with their load, the CPU time much less
    print(
        f"assess_timepoints:     {t1 - t0:6.2f} s wall, {c1 - c0:6.2f} s CPU "
        f"({len(tp.timepoints):,} timepoints, {len(tp.errors)} errors)"
    )
    print(f"best_overall_response: {t2 - t1:6.2f} s wall, {c2 - c1:6.2f} s CPU")
    print(f"total:                 {t2 - t0:6.2f} s wall, {c2 - c0:6.2f} s CPU")
    print(bor.to_frame()["bor"].value_counts().to_string())


if __name__ == "__main__":
    main()
