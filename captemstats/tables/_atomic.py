"""Atomic file writes shared by tables and figures (see :mod:`captemstats.atomic`)."""

from __future__ import annotations

from captemstats.atomic import atomic_path, write_atomic

__all__ = ["atomic_path", "write_atomic"]
