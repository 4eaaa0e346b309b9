"""Builders of small, schema-conforming lesion and patient frames for the RECIST tests.

A case is written as a list of :class:`Visit` (days from CAPTEM start). The first visit is the
baseline: its target and non-target dicts declare the lesions. Target values are a size in mm
or one of the measurement statuses ``too_small``, ``disappeared``, ``not_assessed``; ``None``
leaves the row out (a lesion with no row at that assessment). Non-target values are
non-target statuses. ``new`` lists the ids of new lesions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from captemstats.schema import LESIONS

START = pd.Timestamp("2020-01-06")
SizeSpec = float | str | None


@dataclass(frozen=True)
class Visit:
    day: int
    t: Mapping[str, SizeSpec] = field(default_factory=dict)
    nt: Mapping[str, str | None] = field(default_factory=dict)
    new: tuple[str, ...] = ()


def lesion_rows(
    pid: str,
    visits: Sequence[Visit],
    *,
    nodes: Iterable[str] = (),
    organs: Mapping[str, str] | None = None,
    start: pd.Timestamp = START,
) -> list[dict[str, object]]:
    """Rows of the lesions table for one patient (dicts keyed by the LESIONS columns).

    Each lesion sits in its own organ (so the 2-per-organ rule holds) unless ``organs`` says
    otherwise; lesions listed in ``nodes`` are lymph nodes.
    """
    nodal = set(nodes)
    organ_of = dict(organs or {})
    rows: list[dict[str, object]] = []
    for v in visits:
        date = start + pd.Timedelta(days=v.day)
        for lid, spec in v.t.items():
            if spec is None:
                continue
            measured = not isinstance(spec, str)
            rows.append(
                {
                    "patient_id": pid,
                    "assessment_date": date,
                    "lesion_id": lid,
                    "role": "target",
                    "organ": organ_of.get(lid, "lymph node" if lid in nodal else f"organ-{lid}"),
                    "nodal": lid in nodal,
                    "diameter_mm": float(spec) if measured else None,  # type: ignore[arg-type]
                    "measurement_status": "measured" if measured else spec,
                    "non_target_status": None,
                }
            )
        for lid, status in v.nt.items():
            if status is None:
                continue
            rows.append(
                {
                    "patient_id": pid,
                    "assessment_date": date,
                    "lesion_id": lid,
                    "role": "non_target",
                    "organ": organ_of.get(lid, "lymph node" if lid in nodal else f"organ-{lid}"),
                    "nodal": lid in nodal,
                    "diameter_mm": None,
                    "measurement_status": None,
                    "non_target_status": status,
                }
            )
        for lid in v.new:
            rows.append(
                {
                    "patient_id": pid,
                    "assessment_date": date,
                    "lesion_id": lid,
                    "role": "new",
                    "organ": "brain",
                    "nodal": False,
                    "diameter_mm": None,
                    "measurement_status": None,
                    "non_target_status": None,
                }
            )
    return rows


def lesion_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """A typed lesions frame as :func:`captemstats.read_registry` returns it."""
    df = pd.DataFrame(list(rows), columns=list(LESIONS.names))
    return df.astype(
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
    ).assign(assessment_date=lambda d: pd.to_datetime(d["assessment_date"]).astype("<M8[ns]"))


def case(
    visits: Sequence[Visit],
    *,
    pid: str = "P1",
    nodes: Iterable[str] = (),
    organs: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Lesions frame of a single patient."""
    return lesion_frame(lesion_rows(pid, visits, nodes=nodes, organs=organs))


def patient_frame(
    pids: Sequence[str],
    *,
    cycles: int | Sequence[int] = 6,
    start: pd.Timestamp = START,
    progression_day: Mapping[str, int] | None = None,
    subsequent_day: Mapping[str, int] | None = None,
    death_day: Mapping[str, int] | None = None,
    last_followup_day: int = 720,
    best_response: Mapping[str, str] | None = None,
    line: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """The patient columns the RECIST engine reads (typed as the registry reader types them)."""

    def dates(days: Mapping[str, int] | None) -> pd.Series:
        days = days or {}
        return pd.Series(
            [start + pd.Timedelta(days=days[p]) if p in days else pd.NaT for p in pids],
            dtype="datetime64[ns]",
        )

    n = len(pids)
    cyc = [cycles] * n if isinstance(cycles, int) else list(cycles)
    rec = best_response or {}
    return pd.DataFrame(
        {
            "patient_id": pd.array(list(pids), dtype="string"),
            "captem_start_date": pd.Series([start] * n, dtype="datetime64[ns]"),
            "cycles": pd.array(cyc, dtype="Int64"),
            "line": pd.array([(line or {}).get(p, 1) for p in pids], dtype="Int64"),
            "progression_date": dates(progression_day),
            "subsequent_therapy_date": dates(subsequent_day),
            "death_date": dates(death_day),
            "last_followup_date": pd.Series(
                [start + pd.Timedelta(days=last_followup_day)] * n, dtype="datetime64[ns]"
            ),
            "best_response": pd.array([rec.get(p) for p in pids], dtype="string"),
        }
    )
