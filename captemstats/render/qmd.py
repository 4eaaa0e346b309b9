"""Parse a Quarto ``.qmd`` document into front matter, markdown blocks and python cells.

Follows Quarto's source syntax (https://quarto.org/docs/reference/cells/cells-jupyter.html):
a YAML front matter between ``---`` lines at the very top; executable cells fenced as
```` ```{python} ```` whose leading ``#|`` lines are YAML cell options; inline expressions
written `` `{python} expr` ``. Fenced blocks that are not ``{python}`` (```` ```python ````,
```` ```{=html} ````) are plain markdown and their content is never scanned for inline code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from captemstats.render.errors import RenderError

# An opening fence: indentation, 3+ backticks or tildes, then the info string.
_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
# ```{python}, ```{python3}; other engines ({r}, {julia}, {ojs}) are refused.
_EXEC_INFO = re.compile(r"^\{(?P<engine>[A-Za-z][\w-]*)(?P<rest>[^}]*)\}$")
_INLINE = re.compile(r"`\{python\}\s+(?P<code>[^`]+?)\s*`")
_OPTION = re.compile(r"^#\|\s?(?P<yaml>.*)$")


@dataclass(frozen=True)
class InlineExpr:
    """One `` `{python} expr` `` occurrence: ``start:end`` are offsets into its block's text."""

    code: str
    line: int
    start: int
    end: int


@dataclass(frozen=True)
class MarkdownBlock:
    """A run of markdown lines between cells (``line`` is 1-based in the .qmd)."""

    text: str
    line: int
    inline: tuple[InlineExpr, ...] = ()


@dataclass(frozen=True)
class CodeCell:
    """An executable ```` ```{python} ```` cell: code without its ``#|`` lines, and options."""

    source: str
    line: int
    options: Mapping[str, Any] = field(default_factory=dict)
    option_lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str | None:
        value = self.options.get("label")
        return None if value is None else str(value)

    @property
    def tags(self) -> tuple[str, ...]:
        value = self.options.get("tags", ())
        if isinstance(value, str):
            return (value,)
        return tuple(str(v) for v in value)

    def describe(self) -> str:
        """Name the cell for messages: its label, else its line."""
        return f"cell '{self.label}'" if self.label else f"cell at line {self.line}"


Block = MarkdownBlock | CodeCell


@dataclass(frozen=True)
class QmdDocument:
    """A parsed document; ``meta`` is the YAML front matter (empty when absent)."""

    source: str
    meta: Mapping[str, Any]
    blocks: tuple[Block, ...]
    path: Path | None = None

    @property
    def cells(self) -> tuple[CodeCell, ...]:
        return tuple(b for b in self.blocks if isinstance(b, CodeCell))

    def where(self, line: int) -> str:
        """``file:line`` for messages."""
        return f"{self.path or '<qmd>'}:{line}"


def parse_qmd(source: str, *, path: Path | None = None) -> QmdDocument:
    """Parse ``.qmd`` text; errors name ``file:line`` and the rule broken."""
    name = str(path or "<qmd>")
    lines = source.splitlines()
    meta, body_start = _front_matter(lines, name)
    blocks: list[Block] = []
    md_lines: list[str] = []
    md_start = body_start + 1
    i = body_start
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if m is None:
            md_lines.append(lines[i])
            i += 1
            continue
        close = _find_close(lines, i, m.group("fence"))
        if close is None:
            raise RenderError(f"{name}:{i + 1}: code fence {m.group('fence')!r} is never closed")
        info = _EXEC_INFO.match(m.group("info"))
        if info is None or info.group("engine").startswith("="):
            # A plain fenced block (```python, ```{=html}, ```{.lang}): markdown, kept verbatim.
            md_lines.extend(lines[i : close + 1])
            i = close + 1
            continue
        engine, rest = info.group("engine"), info.group("rest").strip()
        if engine not in ("python", "python3"):
            raise RenderError(
                f"{name}:{i + 1}: only {{python}} cells are supported, found {{{engine}}}"
            )
        if rest:
            raise RenderError(
                f"{name}:{i + 1}: options in the fence header ({rest!r}) are not supported; "
                "write them as '#| key: value' lines"
            )
        if md_lines:
            blocks.append(_markdown_block(md_lines, md_start, name))
        blocks.append(_code_cell(lines[i + 1 : close], i + 1, name))
        md_lines = []
        md_start = close + 2
        i = close + 1
    if md_lines:
        blocks.append(_markdown_block(md_lines, md_start, name))
    return QmdDocument(source=source, meta=meta, blocks=tuple(blocks), path=path)


def read_qmd(path: Path) -> QmdDocument:
    """Read and parse a ``.qmd`` file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RenderError(f"{path}: document not found") from None
    except UnicodeDecodeError as exc:
        raise RenderError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_qmd(text, path=path)


def _front_matter(lines: list[str], name: str) -> tuple[dict[str, Any], int]:
    if not lines or lines[0].rstrip() != "---":
        return {}, 0
    for j in range(1, len(lines)):
        if lines[j].rstrip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:j])) or {}
            except yaml.YAMLError as exc:
                raise RenderError(f"{name}:1: front matter is not valid YAML: {exc}") from None
            if not isinstance(meta, dict):
                raise RenderError(f"{name}:1: front matter must be a YAML mapping")
            return meta, j + 1
    raise RenderError(f"{name}:1: front matter opened with '---' is never closed")


def _find_close(lines: list[str], start: int, fence: str) -> int | None:
    # CommonMark: the closing fence uses the same character, at least as long, nothing after it.
    pattern = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for j in range(start + 1, len(lines)):
        if pattern.match(lines[j]):
            return j
    return None


def _code_cell(body: list[str], fence_line: int, name: str) -> CodeCell:
    option_lines: list[str] = []
    k = 0
    while k < len(body) and (m := _OPTION.match(body[k])):
        option_lines.append(m.group("yaml"))
        k += 1
    options: dict[str, Any] = {}
    if option_lines:
        try:
            loaded = yaml.safe_load("\n".join(option_lines))
        except yaml.YAMLError as exc:
            raise RenderError(
                f"{name}:{fence_line + 1}: '#|' cell options are not valid YAML: {exc}"
            ) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise RenderError(f"{name}:{fence_line + 1}: '#|' cell options must be 'key: value'")
        options = loaded or {}
    lines = {
        key[0]: line for key, line in key_lines("\n".join(option_lines), fence_line + 1).items()
    }
    return CodeCell(
        source="\n".join(body[k:]).strip("\n"),
        line=fence_line,
        options=options,
        option_lines={k: v for k, v in lines.items() if k in options},
    )


def key_lines(text: str, first_line: int) -> dict[tuple[str, ...], int]:
    """1-based line of every mapping key (by its path of keys) in a YAML text.

    ``first_line`` is the file line of the text's first line; read from the YAML node marks, so
    multi-line values do not shift the lines of the keys after them.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[tuple[str, ...], int] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(key.value))
                lines[sub] = first_line + key.start_mark.line
                walk(value, sub)

    walk(root, ())
    return lines


def _markdown_block(md_lines: list[str], first_line: int, name: str) -> MarkdownBlock:
    text = "\n".join(md_lines)
    exprs: list[InlineExpr] = []
    for start, end in prose_spans(text):
        for m in _INLINE.finditer(text, start, end):
            line = first_line + text.count("\n", 0, m.start())
            code = " ".join(m.group("code").split())
            exprs.append(InlineExpr(code=code, line=line, start=m.start(), end=m.end()))
    return MarkdownBlock(text=text, line=first_line, inline=tuple(exprs))


def prose_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the text outside fenced blocks (inline expressions live only there)."""
    spans: list[tuple[int, int]] = []
    lines = text.split("\n")
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln) + 1)
    i, span_start = 0, 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        close = _find_close(lines, i, m.group("fence")) if m else None
        if m is None or close is None:
            i += 1
            continue
        spans.append((span_start, offsets[i]))
        span_start = min(offsets[close + 1], len(text))
        i = close + 1
    spans.append((span_start, len(text)))
    return [(a, b) for a, b in spans if b > a]
