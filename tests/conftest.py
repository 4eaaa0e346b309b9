"""Hypothesis profiles: deterministic by default, many random examples on request (issue 21).

- ``ci`` (the default): ``derandomize=True`` and ``database=None`` — every run of every
  checkout draws the same examples, and a failure saved in the git-ignored ``.hypothesis/``
  folder is never replayed, so one machine cannot fail while CI stays green. A failure prints
  its ``@reproduce_failure`` blob instead.
- ``long`` (``HYPOTHESIS_PROFILE=long``): fresh random examples each run, ``LONG_EXAMPLES``
  (default 2000, or ``HYPOTHESIS_LONG_EXAMPLES``) per property test, still without the
  database. Tests that fix ``max_examples`` or ``derandomize`` in their own ``@settings`` are
  raised to the long values too (below), since an explicit setting beats any profile.

Run the long campaign with, e.g.::

    HYPOTHESIS_PROFILE=long .venv/bin/pytest -m "not slow" -p no:cacheprovider

and replay one of its failures with the printed ``--hypothesis-seed`` or blob.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
LONG_EXAMPLES = int(os.environ.get("HYPOTHESIS_LONG_EXAMPLES", "2000"))

settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile(
    "long",
    derandomize=False,
    database=None,
    print_blob=True,
    deadline=None,
    max_examples=LONG_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
if PROFILE not in ("ci", "long"):
    raise pytest.UsageError(f"HYPOTHESIS_PROFILE={PROFILE!r}: use 'ci' (default) or 'long'")
settings.load_profile(PROFILE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``long``, lift every property test to the long profile's example count and
    randomness. A test's own ``@settings(max_examples=...)`` overrides the loaded profile, so
    without this the long run would repeat the same 60 derandomised examples."""
    if PROFILE != "long":
        return
    for item in items:
        fn = getattr(item, "obj", None)
        own = getattr(fn, "_hypothesis_internal_use_settings", None)  # set by @settings
        if own is None or not hasattr(fn, "hypothesis"):
            continue
        fn._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
            own,
            max_examples=max(own.max_examples, LONG_EXAMPLES),
            derandomize=False,
            database=None,
        )
