"""Is this registry the synthetic one its ``provenance.json`` describes? Checked, not trusted.

``captemstats synth`` writes ``provenance.json`` beside the tables with ``"synthetic": true``
and the SHA-256 of every file it wrote. A flag alone proves nothing: an edited copy, or real
data dropped into a copied folder, keeps it. So the manuscript's synthetic notice follows
:func:`check_registry`, which compares the SHA-256 of each file *as it was read for the
analysis* (``SourceInfo.sha256``, the bytes parsed) with the recorded one. Three states:

* **SYNTHETIC** — ``provenance.json`` says ``"synthetic": true``, records a SHA-256 for every
  file analysed, every recorded file was analysed, and every digest matches.
* **MODIFIED** — it says synthetic, but a file's digest differs, an analysed file is not
  recorded, a recorded one was not analysed, or no digests are recorded (nothing to verify):
  the data were derived from a synthetic registry and then changed, so they are labelled
  neither synthetic nor real, and :func:`warn_if_modified` warns naming the files.
* **NOT_SYNTHETIC** — no ``provenance.json`` beside the analysed files, or one that does not
  say ``"synthetic": true`` (or cannot be read: then ``problem`` says why). Such a registry
  is never called synthetic.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from captemstats.io.registry import Registry

__all__ = [
    "PROVENANCE_FILE",
    "ModifiedSyntheticRegistryWarning",
    "ProvenanceCheck",
    "SyntheticStatus",
    "check_files",
    "check_registry",
    "warn_if_modified",
]

PROVENANCE_FILE = "provenance.json"


class SyntheticStatus(StrEnum):
    """Whether a registry is the synthetic one its provenance records (module docstring)."""

    SYNTHETIC = "synthetic"
    MODIFIED = "modified"
    NOT_SYNTHETIC = "not_synthetic"


class ModifiedSyntheticRegistryWarning(UserWarning):
    """A registry whose ``provenance.json`` says synthetic does not match its digests."""


@dataclass(frozen=True)
class ProvenanceCheck:
    """The outcome of :func:`check_files`.

    ``changed`` lists the analysed files whose SHA-256 differs from the recorded one,
    ``unrecorded`` the analysed files ``provenance.json`` does not list, ``missing`` the
    recorded files that were not analysed; ``problem`` says why a provenance file could not
    be used (or that it records no digests).
    """

    status: SyntheticStatus
    provenance_file: Path | None = None
    changed: tuple[str, ...] = ()
    unrecorded: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    problem: str | None = None

    @property
    def synthetic(self) -> bool:
        """True only for a verified synthetic registry."""
        return self.status is SyntheticStatus.SYNTHETIC

    @property
    def differing_files(self) -> tuple[str, ...]:
        """Every file that makes the registry differ from the recorded one, sorted."""
        return tuple(sorted({*self.changed, *self.unrecorded, *self.missing}))

    @property
    def _name(self) -> str:
        # The file's name only: the message reaches results.json and the manuscript, which
        # must not hold a path of the analyst's machine.
        return self.provenance_file.name if self.provenance_file else "provenance.json"

    def message(self) -> str:
        """One sentence for the console, the log and the manuscript."""
        if self.status is SyntheticStatus.SYNTHETIC:
            return f"synthetic registry: every file matches the SHA-256 in {self._name}"
        if self.status is SyntheticStatus.NOT_SYNTHETIC:
            why = f" ({self.problem})" if self.problem else ""
            return f"registry without synthetic provenance{why}"
        parts = []
        if self.changed:
            parts.append("changed: " + ", ".join(self.changed))
        if self.unrecorded:
            parts.append("not recorded: " + ", ".join(self.unrecorded))
        if self.missing:
            parts.append("recorded but not analysed: " + ", ".join(self.missing))
        if self.problem:
            parts.append(self.problem)
        return (
            f"modified synthetic registry: {self._name} says synthetic, but the files "
            f"differ from the ones it records ({'; '.join(parts)})"
        )


def _read_provenance(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path}: cannot be read ({exc.__class__.__name__})"
    except ValueError as exc:
        return None, f"{path}: not valid JSON ({exc})"
    if not isinstance(data, dict):
        return None, f"{path}: not a JSON object"
    return data, None


def check_files(analysed: Mapping[str, str], folder: Path) -> ProvenanceCheck:
    """Check ``analysed`` (file name -> SHA-256 of the bytes analysed) against the
    ``provenance.json`` in ``folder`` (rule: module docstring).

    Parameters
    ----------
    analysed
        Every file the analysis read, by name (as ``provenance.json`` records them).
    folder
        The folder the files were read from.

    Returns
    -------
    ProvenanceCheck

    Example
    -------
    >>> import tempfile
    >>> check_files({"patients.csv": "0" * 64}, Path(tempfile.mkdtemp())).status
    <SyntheticStatus.NOT_SYNTHETIC: 'not_synthetic'>
    """
    path = folder / PROVENANCE_FILE
    if not path.is_file():
        return ProvenanceCheck(SyntheticStatus.NOT_SYNTHETIC)
    data, problem = _read_provenance(path)
    if data is None:
        return ProvenanceCheck(SyntheticStatus.NOT_SYNTHETIC, path, problem=problem)
    # Only the literal JSON true counts: "yes", 1 or "true" are not what synth writes.
    if data.get("synthetic") is not True:
        return ProvenanceCheck(SyntheticStatus.NOT_SYNTHETIC, path)
    recorded = data.get("files")
    if not isinstance(recorded, dict) or not recorded:
        return ProvenanceCheck(
            SyntheticStatus.MODIFIED,
            path,
            unrecorded=tuple(sorted(analysed)),
            problem="it records no SHA-256 to verify",
        )
    digests = {str(k): str(v).lower() for k, v in recorded.items()}
    changed = tuple(
        sorted(n for n in analysed if n in digests and analysed[n].lower() != digests[n])
    )
    unrecorded = tuple(sorted(n for n in analysed if n not in digests))
    missing = tuple(sorted(n for n in digests if n not in analysed))
    status = (
        SyntheticStatus.MODIFIED if changed or unrecorded or missing else SyntheticStatus.SYNTHETIC
    )
    return ProvenanceCheck(status, path, changed, unrecorded, missing)


def check_registry(registry: Registry) -> ProvenanceCheck:
    """Check a registry read by :func:`captemstats.io.read_registry` (its ``sources``).

    The digests are those of the bytes the reader parsed, so a file changed after reading
    cannot pass for the one analysed. A registry with no source file (built in memory) is
    not synthetic. When the files come from several folders, the one holding a
    ``provenance.json`` is checked (the first in path order if several do) and the files read
    from elsewhere are unrecorded.

    Example
    -------
    >>> from captemstats.io import read_registry              # doctest: +SKIP
    >>> check_registry(read_registry("data/registry")).status  # doctest: +SKIP
    <SyntheticStatus.SYNTHETIC: 'synthetic'>
    """
    sources = sorted(registry.sources.values(), key=lambda s: str(s.path))
    if not sources:
        return ProvenanceCheck(SyntheticStatus.NOT_SYNTHETIC)
    folders = sorted({s.path.parent for s in sources}, key=str)
    with_provenance = [f for f in folders if (f / PROVENANCE_FILE).is_file()]
    folder = with_provenance[0] if with_provenance else folders[0]
    analysed: dict[str, str] = {}
    for info in sources:
        # A workbook's sheets are several tables from one file: one digest.
        name = info.path.name if info.path.parent == folder else str(info.path)
        analysed[name] = info.sha256
    return check_files(analysed, folder)


def warn_if_modified(check: ProvenanceCheck) -> None:
    """Warn (:class:`ModifiedSyntheticRegistryWarning`) when the registry is a modified
    synthetic one, naming the differing files."""
    if check.status is SyntheticStatus.MODIFIED:
        warnings.warn(check.message(), ModifiedSyntheticRegistryWarning, stacklevel=3)
