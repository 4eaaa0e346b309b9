"""Exceptions raised by captemstats. The CLI prints their message without a traceback."""

from __future__ import annotations


class CaptemError(Exception):
    """Base class of every error captemstats raises on purpose."""


class RegistryReadError(CaptemError):
    """A registry file cannot be read (missing, unreadable, wrong format or encoding)."""


class RegistryInvalidError(CaptemError):
    """A registry failed validation; ``report`` holds every problem found."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class AnalysisError(CaptemError):
    """An analysis cannot be computed from the data given (e.g. an empty group)."""
