"""The provenance record of an analysis: which files were analysed, with which versions, and
whether the registry is the synthetic one it says it is.

:func:`registry_provenance` builds the record (:class:`Provenance`) from a read registry;
the synthetic label is verified by :mod:`captemstats.provenance_check` against the recorded
SHA-256s, never read from a flag. The record is ``results.json``'s ``"provenance"``
(:meth:`Provenance.to_dict`) and :attr:`captemstats.analysis.StudyAnalysis.provenance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from captemstats._version import __version__

if TYPE_CHECKING:
    from captemstats.io.registry import Registry
    from captemstats.results import JSONObject

__all__ = ["Provenance", "package_versions", "registry_provenance"]


@dataclass(frozen=True, eq=False)
class Provenance:
    """Where the numbers come from: the input files (SHA-256, rows), versions, and whether
    the registry is the synthetic one its ``provenance.json`` records.

    ``synthetic`` is True only when the recorded SHA-256s match the files analysed
    (:mod:`captemstats.provenance_check`); ``synthetic_status`` is ``"synthetic"``,
    ``"modified"`` (says synthetic, files differ: ``modified_files``) or ``"not_synthetic"``.
    """

    registry: str
    files: tuple[dict[str, str | int], ...]
    synthetic: bool
    captemstats_version: str
    package_versions: dict[str, str]
    synthetic_status: str = "not_synthetic"
    modified_files: tuple[str, ...] = ()
    check_message: str = ""

    @property
    def modified(self) -> bool:
        """A synthetic registry whose files differ from the recorded ones."""
        return self.synthetic_status == "modified"

    def to_dict(self) -> JSONObject:
        """The record for ``results.json`` (``"provenance"``)."""
        return {
            "registry": self.registry,
            "files": list(self.files),
            "synthetic": self.synthetic,
            "synthetic_status": self.synthetic_status,
            "modified_files": list(self.modified_files),
            "captemstats_version": self.captemstats_version,
            "package_versions": self.package_versions,
        }


def package_versions() -> dict[str, str]:
    """Versions of the numerical and rendering packages the results depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("numpy", "pandas", "scipy", "great-tables", "matplotlib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - a stripped environment
            out[name] = "not installed"
    return out


def registry_provenance(registry: Registry, label: str) -> Provenance:
    """The provenance of ``registry`` (``label``: its folder or workbook name, never a
    path), warning when a synthetic registry's files differ from the recorded ones."""
    files: tuple[dict[str, str | int], ...] = tuple(
        {
            "table": name,
            "file": info.path.name,
            "sha256": info.sha256,
            "rows": info.rows,
            "format": str(info.format),
        }
        for name, info in sorted(registry.sources.items())
    )
    from captemstats.provenance_check import check_registry, warn_if_modified

    # The synthetic label is verified against the recorded SHA-256s, never read from a flag.
    check = check_registry(registry)
    warn_if_modified(check)
    return Provenance(
        label,
        files,
        check.synthetic,
        __version__,
        package_versions(),
        synthetic_status=str(check.status),
        modified_files=check.differing_files,
        check_message=check.message(),
    )
