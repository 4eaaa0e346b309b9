"""The generated registry, :class:`SyntheticRegistry`: the three typed tables, the seed and
sizes they were made with, the calibration record, and their provenance record
(:meth:`SyntheticRegistry.provenance`, written as ``provenance.json`` by
:func:`~captemstats.synth.write.write_registry`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from captemstats._version import __version__
from captemstats.synth import _columns as cols

__all__ = ["GENERATOR_VERSION", "SyntheticRegistry"]

GENERATOR_VERSION = "1.1.0"


@dataclass
class SyntheticRegistry:
    """The three registry tables (typed per the data model) plus how they were made."""

    patients: pd.DataFrame
    lesions: pd.DataFrame
    adverse_events: pd.DataFrame
    seed: int
    n_patients: int
    n_ineligible: int
    targets_source: str
    calibration: dict[str, Any] = field(default_factory=dict)
    #: The survival model (``generate_registry(survival_model=)``).
    survival_model: str = "scheduled"
    #: Text columns of the tables as integer codes (table -> column -> codes), from which
    #: :func:`write_registry` writes Parquet without converting Python strings; a column is
    #: taken from its codes only while the frame still holds exactly that text.
    coded_text: dict[str, dict[str, cols.CodedText]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "patients": self.patients,
            "lesions": self.lesions,
            "adverse_events": self.adverse_events,
        }

    def provenance(self, command: str | None = None) -> dict[str, Any]:
        return {
            "synthetic": True,
            "description": "Synthetic patients calibrated to the published aggregates of the "
            "CAPTEM multicenter study; no real patient is represented.",
            "generator": "captemstats.synth",
            "generator_version": GENERATOR_VERSION,
            "captemstats_version": __version__,
            "seed": self.seed,
            "n_patients": self.n_patients,
            "n_ineligible": self.n_ineligible,
            "targets": self.targets_source,
            "survival_model": self.survival_model,
            "command": command
            or f"captemstats synth --patients {self.n_patients} --seed {self.seed} "
            f"--ineligible {self.n_ineligible}",
        }
