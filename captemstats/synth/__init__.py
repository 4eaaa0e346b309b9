"""Synthetic registry generator calibrated to the study's resolved published values.

``generate_registry(n_patients=308, seed=DEFAULT_SEED, n_ineligible=11, progress=None)``
returns a :class:`SyntheticRegistry` (typed ``patients``, ``lesions``, ``adverse_events``);
``write_registry(registry, out_dir, format="csv"|"parquet")`` writes it with a provenance file.
Every patient it makes is synthetic.
"""

from __future__ import annotations

from captemstats.synth.generate import (
    ALL_INELIGIBLE,
    DEFAULT_SEED,
    GENERATOR_VERSION,
    PAPER_INELIGIBLE,
    SyntheticRegistry,
    generate_registry,
    write_registry,
)

__all__ = [
    "ALL_INELIGIBLE",
    "DEFAULT_SEED",
    "GENERATOR_VERSION",
    "PAPER_INELIGIBLE",
    "SyntheticRegistry",
    "generate_registry",
    "write_registry",
]
