"""Column mapping: a center's own column names and labels onto the data model (YAML).

A mapping file has one optional section per table and a few settings that apply to every
table (a table's own setting wins)::

    encoding: cp1254          # CSV encoding when the file is not UTF-8
    dayfirst: true            # dates like 03.04.2021 are day-first (the default reading)
    true_values: [Evet]       # extra spellings of yes / no for every boolean column
    false_values: [Hayır]
    missing_values: [Bilinmiyor]   # cells meaning "empty"
    patients:
      rename: {Hasta No: patient_id, Cinsiyet: sex}
      recode:
        sex: {Kadın: female, Erkek: male}

``rename`` maps *their* column name to *our* column; ``recode`` maps, per (our) column, their
label to our code. Labels are compared by :func:`captemstats.io.text.fold_key`: Unicode NFKC,
white space collapsed and trimmed, Turkish-aware case folding (so ``KADIN``, ``Kadın`` and
``kadın`` are one label, and keys may be written in lower-case Turkish). The YAML is parsed
with size and alias limits (:func:`safe_yaml`). Targets are
checked against :mod:`captemstats.schema`: an unknown table, column or code is an error naming
the mapping file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from captemstats.errors import RegistryReadError
from captemstats.schema import FALSE_TOKENS, TABLES, TRUE_TOKENS


class MappingError(RegistryReadError):
    """A column mapping file is unreadable or maps onto names the data model does not have."""


class TableMapping(BaseModel):
    """How one table of a center's registry maps onto the data model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rename: dict[str, str] = Field(default_factory=dict)
    recode: dict[str, dict[str, str]] = Field(default_factory=dict)
    true_values: list[str] = Field(default_factory=list)
    false_values: list[str] = Field(default_factory=list)
    missing_values: list[str] = Field(default_factory=list)
    encoding: str | None = None
    dayfirst: bool | None = None
    decimal: Literal[".", ","] | None = None


class ColumnMapping(BaseModel):
    """A whole registry's mapping (see the module docstring for the YAML layout)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    encoding: str | None = None
    dayfirst: bool | None = None
    true_values: list[str] = Field(default_factory=list)
    false_values: list[str] = Field(default_factory=list)
    missing_values: list[str] = Field(default_factory=list)
    patients: TableMapping = Field(default_factory=TableMapping)
    lesions: TableMapping = Field(default_factory=TableMapping)
    adverse_events: TableMapping = Field(default_factory=TableMapping)
    source: str | None = Field(default=None, exclude=True)

    def table(self, name: str) -> TableMapping:
        """The mapping of one table, with the file-wide settings merged in."""
        own: TableMapping = getattr(self, name)
        return own.model_copy(
            update={
                "true_values": [*self.true_values, *own.true_values],
                "false_values": [*self.false_values, *own.false_values],
                "missing_values": [*self.missing_values, *own.missing_values],
                "encoding": own.encoding or self.encoding,
                "dayfirst": self.dayfirst if own.dayfirst is None else own.dayfirst,
            }
        )

    def check(self) -> list[str]:
        """Every target that is not in the data model, as messages (empty list: fine)."""
        messages: list[str] = []
        for name, spec in TABLES.items():
            tm: TableMapping = getattr(self, name)
            known = set(spec.names)
            targets: dict[str, str] = {}
            for theirs, ours in tm.rename.items():
                if ours not in known:
                    messages.append(
                        f"{name}.rename: {theirs!r} -> {ours!r}: {name} has no column {ours!r}"
                    )
                elif ours in targets:
                    messages.append(
                        f"{name}.rename: both {targets[ours]!r} and {theirs!r} map to {ours!r}"
                    )
                targets[ours] = theirs
            for column, labels in tm.recode.items():
                if column not in known:
                    messages.append(f"{name}.recode: {name} has no column {column!r}")
                    continue
                col = spec.column(column)
                if col.kind == "category":
                    allowed = set(col.categories)
                elif col.kind == "boolean":
                    allowed = set(TRUE_TOKENS | FALSE_TOKENS)
                else:
                    continue
                for theirs, ours in labels.items():
                    if ours not in allowed:
                        messages.append(
                            f"{name}.recode.{column}: {theirs!r} -> {ours!r} is not an allowed "
                            f"value (allowed: {', '.join(sorted(allowed))})"
                        )
        return messages


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a YAML column mapping (a center's own column names and codes).

    The file is parsed with the project's bounded YAML loader (no aliases past a limit, no
    Python objects), its leaves read as text (YAML would read "yes" or "1" as booleans and
    numbers), and the mapping is checked against the data model.

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    ColumnMapping
        The checked mapping (``rename`` and ``recode`` per table, CSV settings).

    Raises
    ------
    MappingError
        The file cannot be read, is not a mapping or names something the model lacks; the
        message names the file and the entry.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "centre.yaml"
    ...     _ = path.write_text("patients:\\n  rename:\\n    Hasta No: patient_id\\n")
    ...     load_mapping(path).patients.rename
    {'Hasta No': 'patient_id'}
    """

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {path}: cannot be read ({exc})") from None
    data = safe_yaml(text, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MappingError(f"mapping file {path}: expected a mapping of tables at the top level")
    # YAML reads yes/no/true/1 as bool or int; labels and codes are text.
    clean = _stringify_leaves(data)
    assert isinstance(clean, dict)
    try:
        mapping = ColumnMapping.model_validate({**clean, "source": str(path)})
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise MappingError(f"mapping file {path}: {details}") from None
    problems = mapping.check()
    if problems:
        raise MappingError(f"mapping file {path}: " + "; ".join(problems))
    return mapping


#: A mapping file is a few kilobytes; these bounds are far above any real one.
MAX_MAPPING_BYTES = 1_000_000
#: Nodes after expanding aliases: ``&a [x, x] ; &b [*a, *a] ...`` nine levels deep is a
#: "billion laughs" file of 1 KB that expands to 10^9 nodes (6 GB in 88 s, unbounded).
MAX_MAPPING_NODES = 100_000
#: Nesting depth (a mapping file has table -> recode -> column -> label: 4).
MAX_MAPPING_DEPTH = 32


def safe_yaml(text: str, path: Path) -> object:
    """Parse YAML text with bounded size: at most :data:`MAX_MAPPING_BYTES` of text and
    :data:`MAX_MAPPING_NODES` nodes once aliases are expanded and :data:`MAX_MAPPING_DEPTH`
    levels of nesting; recursive aliases are refused. Raises :class:`MappingError` naming the file.

    PyYAML's ``safe_load`` shares aliased nodes, so the expansion happens later, when the
    data is walked (here: in validation). The node graph is therefore measured before any
    Python object is built, counting each alias at its expanded size (memoised: linear time).

    Parameters
    ----------
    text : str
        The file's text.
    path : pathlib.Path
        The file, for messages.

    Returns
    -------
    object
        The parsed document (``None`` for an empty file).

    Example
    -------
    >>> safe_yaml("a: &x [1, 2]\\nb: *x\\n", Path("m.yaml"))
    {'a': [1, 2], 'b': [1, 2]}
    """
    import yaml

    if len(text) > MAX_MAPPING_BYTES:
        raise MappingError(
            f"mapping file {path}: {len(text):,} characters; a column mapping is at most "
            f"{MAX_MAPPING_BYTES:,}"
        )
    loader = yaml.SafeLoader(text)
    try:
        _check_depth(text, path)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expanded_size(node, path)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise MappingError(f"mapping file {path}: not valid YAML ({exc})") from None
    except RecursionError:
        raise MappingError(f"mapping file {path}: nested too deeply to be a mapping") from None
    finally:
        loader.dispose()


def _check_depth(text: str, path: Path) -> None:
    """Refuse nesting deeper than :data:`MAX_MAPPING_DEPTH` while streaming the parse events,
    before PyYAML's recursive composer (and its scanner, quadratic in the flow depth) runs."""
    import yaml

    if _flow_depth(text, MAX_MAPPING_DEPTH) > MAX_MAPPING_DEPTH:
        raise MappingError(
            f"mapping file {path}: nested more than {MAX_MAPPING_DEPTH} levels "
            "deep; a column mapping has four"
        )
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_MAPPING_DEPTH:
                raise MappingError(
                    f"mapping file {path}: nested more than {MAX_MAPPING_DEPTH} levels "
                    "deep; a column mapping has four"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


_FLOW_MARKS = re.compile(r"""[\[\]{}'"#\n]""")
#: the characters after which a flow collection can start (YAML 1.1 §9: a node follows an
#: indicator, the start of a line or a space; "a[b" is a plain scalar, not a sequence)
_NODE_START = frozenset("[{,:-?\n")


def _flow_depth(text: str, limit: int | None = None) -> int:
    """The deepest nesting of flow collections (``[`` / ``{``), quoted scalars and comments
    skipped, in one pass over the bracket, quote and comment characters only; with ``limit``,
    the count stops at the first level beyond it.

    PyYAML's pure-Python scanner looks ahead over every pending flow level before it emits
    the first event (quadratic in the depth: 20,000 ``[`` took seconds), so this linear
    count refuses a deep flow before it runs. A bracket inside a plain scalar is not counted
    (it cannot open a collection there); the event check after it remains the rule.

    Example
    -------
    >>> _flow_depth("a: [1, {b: [2]}]\\nc: 'x[[[y'\\nd: e[f  # [[\\n")
    3
    """
    depth = deepest = 0
    quote = ""
    skip_to = -1
    for m in _FLOW_MARKS.finditer(text):
        pos, ch = m.start(), m.group()
        if pos < skip_to:
            continue
        if quote:
            # '' inside single quotes is one quote; a double-quoted scalar ends at an
            # unescaped quote
            if quote == "'" and ch == "'" and text.startswith("'", pos + 1):
                skip_to = pos + 2
            elif ch == quote and (quote == "'" or _unescaped(text, pos)):
                quote = ""
            continue
        before = _previous(text, pos)
        if ch in "'\"":
            if before in _NODE_START or before == "":
                quote = ch
        elif ch == "#":
            if pos == 0 or text[pos - 1] in " \t\n":
                end = text.find("\n", pos)
                skip_to = len(text) if end < 0 else end
        elif ch in "[{":
            if before in _NODE_START or before == "":
                depth += 1
                deepest = max(deepest, depth)
                if limit is not None and deepest > limit:
                    break
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


def _previous(text: str, pos: int) -> str:
    """The character before ``pos`` with spaces and tabs skipped ("" at the start)."""
    j = pos - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return text[j] if j >= 0 else ""


def _unescaped(text: str, pos: int) -> bool:
    """Whether the character at ``pos`` follows an even number of backslashes."""
    j = pos - 1
    while j >= 0 and text[j] == "\\":
        j -= 1
    return (pos - 1 - j) % 2 == 0


def _check_expanded_size(root: object, path: Path) -> None:
    """Refuse a node graph larger than :data:`MAX_MAPPING_NODES` when expanded, or cyclic."""
    import yaml

    def children(node: object) -> list[object]:
        if isinstance(node, yaml.MappingNode):
            return [n for pair in node.value for n in pair]
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return []

    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:  # iterative post-order walk: no recursion limit, each node once
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children(node))
            if size[key] > MAX_MAPPING_NODES:
                raise MappingError(
                    f"mapping file {path}: more than {MAX_MAPPING_NODES:,} values once its "
                    "aliases (*name) are expanded; a column mapping is far smaller (a YAML "
                    "'billion laughs' file?)"
                )
            continue
        if key in size:
            continue
        if key in active:
            raise MappingError(f"mapping file {path}: an alias (*name) refers to itself")
        active.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children(node) if id(c) not in size)


def _stringify_leaves(value: object, key: str | None = None) -> object:
    if isinstance(value, dict):
        return {
            (str(k).lower() if isinstance(k, bool) else str(k)): _stringify_leaves(v, str(k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_stringify_leaves(v) for v in value]
    if key == "dayfirst" or value is None:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value
