"""JSON Schema (draft 2020-12) of ``captemstats diff --format json`` (version 1.0).

Kept as Python data beside the code that writes the layout, so the package ships it without
a data file; the tests validate every JSON output against it.
"""

from __future__ import annotations

from typing import Any

_NULLABLE_TEXT: dict[str, Any] = {"type": ["string", "null"]}
_NULLABLE_NUMBER: dict[str, Any] = {"type": ["number", "null"]}

_SOURCE: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "name", "patients", "fingerprint"],
    "additionalProperties": False,
    "properties": {
        "kind": {"enum": ["registry", "results"]},
        "name": {"type": "string", "not": {"pattern": "^/"}},
        "patients": {"type": ["integer", "null"], "minimum": 0},
        "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
}

_CHANGE: dict[str, Any] = {
    "type": "object",
    "required": ["patient_id", "field", "old", "new", "delta", "file_line_old", "file_line_new"],
    "properties": {
        "patient_id": {"type": "string"},
        "field": {"type": "string"},
        "old": _NULLABLE_TEXT,
        "new": _NULLABLE_TEXT,
        "delta": _NULLABLE_NUMBER,
        "file_line_old": {"type": "integer", "minimum": 1},
        "file_line_new": {"type": "integer", "minimum": 1},
    },
}

_COUNT = {"type": "integer", "minimum": 0}

_TABLE: dict[str, Any] = {
    "type": "object",
    "required": [
        "key",
        "n_old",
        "n_new",
        "n_added",
        "n_removed",
        "n_changed_rows",
        "n_changed_values",
        "changed_by_field",
        "added",
        "removed",
        "changed",
    ],
    "additionalProperties": False,
    "properties": {
        "key": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "n_old": _COUNT,
        "n_new": _COUNT,
        "n_added": _COUNT,
        "n_removed": _COUNT,
        "n_changed_rows": _COUNT,
        "n_changed_values": _COUNT,
        "changed_by_field": {"type": "object", "additionalProperties": _COUNT},
        "added": {"type": "array"},
        "removed": {"type": "array"},
        "changed": {"type": "array", "items": _CHANGE},
    },
}

_PATIENTS: dict[str, Any] = {
    **_TABLE,
    "properties": {
        **_TABLE["properties"],
        "added": {"type": "array", "items": {"type": "string"}},
        "removed": {"type": "array", "items": {"type": "string"}},
    },
}


def _row(flag: str) -> dict[str, Any]:
    """A whole lesion or adverse-event row: its cells as text, its line, its flag."""
    return {
        "type": "object",
        "required": ["file_line", "patient_id", "occurrence", flag],
        "properties": {
            "file_line": {"type": "integer", "minimum": 1},
            "patient_id": {"type": "string"},
            "occurrence": {"type": "integer", "minimum": 0},
            flag: {"type": "boolean"},
        },
        "additionalProperties": _NULLABLE_TEXT,
    }


_ROWS: dict[str, Any] = {
    **_TABLE,
    "properties": {
        **_TABLE["properties"],
        "added": {"type": "array", "items": _row("patient_added")},
        "removed": {"type": "array", "items": _row("patient_removed")},
    },
}

_QUANTITY: dict[str, Any] = {
    "type": "object",
    "required": [
        "section",
        "endpoint",
        "grouping",
        "level",
        "group",
        "quantity",
        "old",
        "new",
        "difference",
        "status",
    ],
    "additionalProperties": False,
    "properties": {
        "section": {"type": "string"},
        "endpoint": {"type": "string"},
        "grouping": {"type": "string"},
        "level": {"type": "string"},
        "group": {"type": "string"},
        "quantity": {"type": "string"},
        "old": _NULLABLE_NUMBER,
        "new": _NULLABLE_NUMBER,
        "difference": _NULLABLE_NUMBER,
        "status": {"enum": ["moved", "added", "removed"]},
    },
}

#: The schema of :meth:`captemstats.diff.DataCutDiff.to_dict` / ``diff --format json``.
DIFF_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "captemstats diff",
    "description": "What changed between two data cuts. Lists patient ids: for the data "
    "manager, not for a shared document.",
    "type": "object",
    "required": ["schema_version", "old", "new", "records", "results", "notes"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": "1.0"},
        "old": _SOURCE,
        "new": _SOURCE,
        "records": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["patients", "lesions", "adverse_events"],
                    "additionalProperties": False,
                    "properties": {
                        "patients": _PATIENTS,
                        "lesions": _ROWS,
                        "adverse_events": _ROWS,
                    },
                },
            ]
        },
        "results": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["n_compared", "counts", "moved"],
                    "additionalProperties": False,
                    "properties": {
                        "n_compared": _COUNT,
                        "counts": {
                            "type": "object",
                            "required": ["moved", "added", "removed", "unchanged"],
                            "additionalProperties": _COUNT,
                        },
                        "moved": {"type": "array", "items": _QUANTITY},
                    },
                },
            ]
        },
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}
