"""The renderer's error type: a message naming the document, line and cause, never a traceback."""

from __future__ import annotations

from captemstats.errors import CaptemError


class RenderError(CaptemError):
    """A document cannot be rendered (bad .qmd syntax, a failing cell, pandoc or typst errors)."""
