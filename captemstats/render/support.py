"""What the built-in renderer implements, and a warning for everything else it meets.

The renderer is a bridge for machines without Quarto, not a Quarto clone: an option, cell option,
cross-reference kind or syntax it does not implement must never be dropped silently. Each check
here returns :class:`Unsupported` findings naming the file, line and option; the engine prints
them as warnings, and ``strict=True`` (``captemstats report --strict``) turns them into an error.

The lists follow Quarto's reference pages (https://quarto.org/docs/reference/): project and
manuscript options, ``execute``, the ``html``/``typst``/``docx`` format options, Jupyter cell
options and cross-reference kinds. Anything not listed is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from captemstats.render.qmd import CodeCell, MarkdownBlock, QmdDocument, key_lines, prose_spans

# Options read from `_quarto.yml` (top level) and the front matter, by where they may stand.
PROJECT_KEYS = frozenset(
    {"project", "manuscript", "execute", "format", "quarto-required", "bibliography", "csl"}
)
DOCUMENT_KEYS = frozenset(
    {
        "title",
        "subtitle",
        "author",
        "date",
        "abstract",
        "abstract-title",
        "keywords",
        "lang",
        "bibliography",
        "csl",
        "execute",
        "format",
        "crossref",
        "jupyter",
        "link-citations",
        "nocite",
        "reference-section-title",
        "suppress-bibliography",
        "thanks",
        "fig-width",
        "fig-height",
        "fig-dpi",
        "fig-format",
    }
)
PROJECT_OPTIONS = frozenset({"type", "output-dir", "render"})
PROJECT_TYPES = frozenset({"default", "manuscript"})
MANUSCRIPT_OPTIONS = frozenset({"article", "notebooks"})
EXECUTE_OPTIONS = frozenset({"freeze", "echo", "eval", "output", "include", "warning", "error"})
CROSSREF_OPTIONS = frozenset({"fig-title", "tbl-title", "title-delim", "custom"})
_FIGURE = frozenset({"fig-width", "fig-height", "fig-dpi", "fig-format"})
FORMAT_OPTIONS: Mapping[str, frozenset[str]] = {
    "html": frozenset(
        {
            "embed-resources",
            "toc",
            "toc-title",
            "toc-depth",
            "number-sections",
            "css",
            "include-in-header",
            "mainfont",
            "fontsize",
            "linestretch",
            "max-width",
        }
    )
    | _FIGURE,
    "typst": frozenset(
        {
            "papersize",
            "margin",
            "fontsize",
            "mainfont",
            "columns",
            "section-numbering",
            "toc",
            "number-sections",
            "include-in-header",
        }
    )
    | _FIGURE,
    "docx": frozenset({"toc", "toc-title", "number-sections", "reference-doc"}) | _FIGURE,
}
FIG_FORMATS = frozenset({"png", "svg"})
CELL_OPTIONS = frozenset(
    {
        "label",
        "fig-cap",
        "fig-alt",
        "tbl-cap",
        "echo",
        "eval",
        "output",
        "include",
        "warning",
        "error",
        "tags",
    }
)
# Cross-reference kinds: fig and tbl (numbered floats), sec (headings); custom float kinds are
# declared under `crossref: custom:`. Every other Quarto kind is reported.
REF_KINDS = frozenset({"fig", "tbl", "sec"})
QUARTO_REF_KINDS = frozenset(
    {"eq", "lst", "thm", "lem", "cor", "prp", "cnj", "def", "exm", "exr", "sol", "rem", "alg"}
)
CALLOUT_TYPES = frozenset({"note", "tip", "warning", "important", "caution"})
# Div classes with a Quarto meaning this renderer does not implement (a prefix matches).
_QUARTO_DIV_PREFIXES = ("column-", "panel-", "content-visible", "content-hidden", "page-")
_DIV_OPEN = re.compile(
    r"^ {0,3}:{3,}\s*\{(?P<attrs>[^}]*)\}\s*$|^ {0,3}:{3,}\s*(?P<bare>[\w-]+)\s*$"
)
_SHORTCODE = re.compile(r"\{\{<\s*(?P<name>[\w-]+)")
_ANY_REF = re.compile(r"(?<![\w\\@])-?@(?P<kind>[A-Za-z]+)-(?P<name>[\w-]*\w)")
_RAW_FORMATS = frozenset({"html", "html5", "typst", "openxml"})
_RAW = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*\{=(?P<fmt>[\w-]+)\}\s*$")


@dataclass(frozen=True)
class Unsupported:
    """One thing the built-in renderer meets but does not implement."""

    where: str
    option: str
    detail: str

    def message(self) -> str:
        """``file:line: 'option' detail`` for a warning line."""
        return f"{self.where}: {self.option!r} {self.detail}"


def custom_kinds(*configs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Custom float kinds declared under ``crossref: custom:`` (key -> its settings)."""
    kinds: dict[str, dict[str, Any]] = {}
    for config in configs:
        crossref = config.get("crossref")
        entries = crossref.get("custom") if isinstance(crossref, Mapping) else None
        for entry in entries or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
                kinds[str(entry["key"])] = dict(entry)
    return kinds


def check_project(config: Mapping[str, Any], path: Path) -> list[Unsupported]:
    """Options of ``_quarto.yml`` the renderer ignores (top level, project, execute, format)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        text = ""
    lines = key_lines(text, 1)
    allowed_top = PROJECT_KEYS | DOCUMENT_KEYS
    found = _check_mapping(config, allowed_top, (), lines, str(path))
    project = config.get("project")
    if isinstance(project, Mapping):
        found += _check_mapping(project, PROJECT_OPTIONS, ("project",), lines, str(path))
        kind = project.get("type", "default")
        if kind not in PROJECT_TYPES:
            where = f"{path}:{lines.get(('project', 'type'), 1)}"
            found.append(
                Unsupported(where, "project: type", f"{kind!r} is rendered as a single document")
            )
    manuscript = config.get("manuscript")
    if isinstance(manuscript, Mapping):
        found += _check_mapping(manuscript, MANUSCRIPT_OPTIONS, ("manuscript",), lines, str(path))
    return found + _check_shared(config, lines, str(path))


def check_document(
    doc: QmdDocument, project_config: Mapping[str, Any] | None = None
) -> list[Unsupported]:
    """Front matter, cell options and markdown syntax of ``doc`` the renderer does not implement.

    ``project_config`` (``_quarto.yml``) contributes its custom cross-reference kinds.
    """
    name = str(doc.path or "<qmd>")
    fm_text = _front_matter_text(doc.source)
    lines = key_lines(fm_text, 2)
    found = _check_mapping(doc.meta, DOCUMENT_KEYS, (), lines, name)
    found += _check_shared(doc.meta, lines, name)
    kinds = set(custom_kinds(project_config or {}, doc.meta))
    for block in doc.blocks:
        if isinstance(block, CodeCell):
            found += _check_cell(block, name, kinds)
        else:
            found += _check_markdown(block, name, kinds)
    return found


def _front_matter_text(source: str) -> str:
    lines = source.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return ""
    for j in range(1, len(lines)):
        if lines[j].rstrip() in ("---", "..."):
            return "\n".join(lines[1:j])
    return ""


def _check_mapping(
    values: Mapping[str, Any],
    allowed: frozenset[str],
    path: tuple[str, ...],
    lines: Mapping[tuple[str, ...], int],
    name: str,
) -> list[Unsupported]:
    found: list[Unsupported] = []
    prefix = ": ".join(path)
    for key in values:
        if key in allowed:
            continue
        option = f"{prefix}: {key}" if prefix else str(key)
        where = f"{name}:{lines.get((*path, str(key)), 1)}"
        found.append(Unsupported(where, option, "is not implemented by the built-in renderer"))
    return found


def _check_shared(
    config: Mapping[str, Any], lines: Mapping[tuple[str, ...], int], name: str
) -> list[Unsupported]:
    """``execute``, ``crossref`` and ``format`` blocks (allowed in both files)."""
    found: list[Unsupported] = []
    execute = config.get("execute")
    if isinstance(execute, Mapping):
        found += _check_mapping(execute, EXECUTE_OPTIONS, ("execute",), lines, name)
    crossref = config.get("crossref")
    if isinstance(crossref, Mapping):
        found += _check_mapping(crossref, CROSSREF_OPTIONS, ("crossref",), lines, name)
    formats = config.get("format")
    if isinstance(formats, Mapping):
        for fmt, options in formats.items():
            key = ("format", str(fmt))
            if fmt not in FORMAT_OPTIONS:
                where = f"{name}:{lines.get(key, 1)}"
                found.append(
                    Unsupported(
                        where, f"format: {fmt}", "is not an output of the built-in renderer"
                    )
                )
                continue
            if isinstance(options, Mapping):
                found += _check_mapping(options, FORMAT_OPTIONS[fmt], key, lines, name)
                found += _check_values(options, key, lines, name)
    return found


def _check_values(
    options: Mapping[str, Any],
    path: tuple[str, ...],
    lines: Mapping[tuple[str, ...], int],
    name: str,
) -> list[Unsupported]:
    found: list[Unsupported] = []
    fmt = path[-1]
    if fmt == "html" and options.get("embed-resources", True) is not True:
        where = f"{name}:{lines.get((*path, 'embed-resources'), 1)}"
        found.append(
            Unsupported(
                where, "embed-resources: false", "has no effect: the HTML is always self-contained"
            )
        )
    fig_format = options.get("fig-format")
    if fig_format is not None and fig_format not in FIG_FORMATS:
        where = f"{name}:{lines.get((*path, 'fig-format'), 1)}"
        found.append(
            Unsupported(where, f"fig-format: {fig_format}", "is not implemented (png or svg)")
        )
    return found


def _check_cell(cell: CodeCell, name: str, kinds: set[str]) -> list[Unsupported]:
    found: list[Unsupported] = []
    for key in cell.options:
        if key in CELL_OPTIONS or _is_custom_cap(key, kinds):
            continue
        where = f"{name}:{cell.option_lines.get(key, cell.line)}"
        found.append(Unsupported(where, f"#| {key}", "cell option is not implemented"))
    return found


def _is_custom_cap(key: str, kinds: set[str]) -> bool:
    return key.endswith("-cap") and key[: -len("-cap")] in kinds


def _check_markdown(block: MarkdownBlock, name: str, kinds: set[str]) -> list[Unsupported]:
    found: list[Unsupported] = []
    for lineno, line in _prose_lines(block):
        where = f"{name}:{lineno}"
        found += _check_div(line, where)
        for m in _SHORTCODE.finditer(line):
            found.append(
                Unsupported(
                    where, "{{< " + m.group("name") + " >}}", "shortcode is not implemented"
                )
            )
        for m in _ANY_REF.finditer(line):
            kind = m.group("kind")
            if kind.lower() in REF_KINDS or kind in kinds:
                continue
            if kind in QUARTO_REF_KINDS:
                found.append(
                    Unsupported(
                        where,
                        f"@{kind}-{m.group('name')}",
                        "cross-reference kind is not implemented",
                    )
                )
    for m in _RAW.finditer(block.text):
        fmt = m.group("fmt")
        if fmt not in _RAW_FORMATS:
            lineno = block.line + block.text.count("\n", 0, m.start())
            found.append(
                Unsupported(f"{name}:{lineno}", f"{{={fmt}}}", "raw block reaches no output")
            )
    return found


def _prose_lines(block: MarkdownBlock) -> Iterator[tuple[int, str]]:
    for start, end in prose_spans(block.text):
        first = block.line + block.text.count("\n", 0, start)
        for i, line in enumerate(block.text[start:end].split("\n")):
            yield first + i, line


def _check_div(line: str, where: str) -> list[Unsupported]:
    m = _DIV_OPEN.match(line)
    if m is None:
        return []
    attrs = m.group("attrs") or ("." + m.group("bare") if m.group("bare") else "")
    found: list[Unsupported] = []
    for token in attrs.split():
        if token.startswith("."):
            cls = token[1:]
            if cls.startswith("callout-") and cls[len("callout-") :] not in CALLOUT_TYPES:
                found.append(Unsupported(where, token, "is not a Quarto callout type"))
            elif cls.startswith(_QUARTO_DIV_PREFIXES):
                found.append(Unsupported(where, token, "div class is not implemented"))
        elif token.startswith("#") and token[1:4] in ("fig", "tbl") and token[4:5] == "-":
            found.append(
                Unsupported(where, token, "div float is not implemented (use a cell label)")
            )
        elif "=" in token and token.split("=", 1)[0].startswith(("layout", "fig-", "tbl-")):
            found.append(
                Unsupported(where, token.split("=", 1)[0], "div attribute is not implemented")
            )
    return found
