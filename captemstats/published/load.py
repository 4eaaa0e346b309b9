"""Locating, reading and validating the published-values file.

:func:`default_path` is the canonical copy shipped as package data
(``captemstats/resources/published/captem_study.yaml``, found through
:mod:`importlib.resources`, so it works from an installed wheel); :func:`load_published`
reads and validates a file into a :class:`~captemstats.published.study.PublishedStudy`,
raising :class:`PublishedDataError`; :func:`json_schema` is the JSON schema of the file.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from captemstats.errors import CaptemError
from captemstats.published.study import PublishedStudy

__all__ = ["PublishedDataError", "default_path", "json_schema", "load_published"]

_RESOURCE = ("resources", "published", "captem_study.yaml")


class PublishedDataError(CaptemError):
    """The published-values file is missing, not YAML, or does not match the model."""


def default_path() -> Path:
    """The YAML shipped inside the package (works from an installed wheel)."""
    return Path(str(resources.files("captemstats").joinpath(*_RESOURCE)))


def load_published(path: str | Path | None = None) -> PublishedStudy:
    """Read and validate the published values (default: the copy shipped in the package).

    Raises :class:`PublishedDataError` naming the file and each offending field.
    """
    import yaml

    p = Path(path) if path is not None else default_path()
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
        raw = yaml.load(p.read_text(encoding="utf-8"), Loader=loader)  # a safe loader
    except OSError as exc:
        raise PublishedDataError(f"{p}: cannot read published values ({exc})") from exc
    except yaml.YAMLError as exc:
        raise PublishedDataError(f"{p}: not valid YAML ({exc})") from exc
    try:
        return PublishedStudy.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise PublishedDataError(
            f"{p}: does not match the published-values model: {problems}"
        ) from exc


def json_schema() -> str:
    """The JSON schema of the YAML file, generated from the pydantic models (stable text)."""
    return json.dumps(PublishedStudy.model_json_schema(), indent=2, sort_keys=True) + "\n"
