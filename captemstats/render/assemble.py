"""Turn a parsed ``.qmd`` plus its executed notebook into pandoc markdown for one output format.

What Quarto does here and this module reproduces (Quarto reference, "Cross References" and
"Jupyter cell options"):

* floats: a cell labelled ``fig-*`` with ``fig-cap`` becomes a numbered figure, one labelled
  ``tbl-*`` with ``tbl-cap`` a numbered table; figures and tables are counted separately in
  document order; captions read "Figure 1: ..." / "Table 1: ..."; markdown images
  ``![cap](path){#fig-x}`` are numbered too;
* ``@fig-x``/``@tbl-x`` become "Figure 1"/"Table 1" (links in HTML and DOCX), ``-@fig-x`` the
  bare number, ``@Fig-x`` the same; unknown labels render as ``?@fig-x`` with a warning;
* outputs are chosen per format by MIME priority; ``echo``/``include``/``output``/``warning``
  are honoured; ``output: asis`` passes stdout through as markdown;
* inline expression values replace their `` `{python} expr` `` (plain values escaped as text,
  objects with ``_repr_markdown_`` inserted as markdown).

Tables that are raw HTML (great_tables) stay raw HTML in the markdown; for DOCX and typst the
Lua filter ``assets/html_tables.lua`` turns them into pandoc tables during conversion.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from captemstats.render.execute import inline_values
from captemstats.render.project import cell_options
from captemstats.render.qmd import CodeCell, MarkdownBlock, QmdDocument, prose_spans

# Output MIME types by preference per format (HTML keeps great_tables' own HTML; DOCX prefers
# PNG, which every Word version shows; typst draws SVG natively).
_HTML, _MD, _SVG, _PNG, _JPEG, _TEXT = (
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/plain",
)
_MIME_PRIORITY: dict[str, tuple[str, ...]] = {
    "html": (_HTML, _MD, _SVG, _PNG, _JPEG, _TEXT),
    "docx": (_MD, _PNG, _JPEG, _SVG, _HTML, _TEXT),
    "pdf": (_MD, _SVG, _PNG, _JPEG, _HTML, _TEXT),
}
_IMAGE_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}
_ESCAPE = re.compile(r"([\\`*_{}\[\]<>#$@~^|+!-])")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
_REF = re.compile(
    r"\[(?P<bminus>-)?@(?P<bkind>[Ff]ig|[Tt]bl)-(?P<bname>[\w-]*\w)\]"
    r"|(?<![\w\\])(?P<minus>-)?@(?P<kind>[Ff]ig|[Tt]bl)-(?P<name>[\w-]*\w)"
)
_MD_FIGURE = re.compile(r"!\[(?P<cap>[^\]\n]*)\](?P<src>\([^)\n]*\))\{#(?P<label>fig-[\w-]*\w)")
_MD_TABLE_CAPTION = re.compile(
    r"^(?P<lead>(?:Table)?:[ \t]+)(?P<cap>.*?)[ \t]*\{#(?P<label>tbl-[\w-]*\w)\}[ \t]*$",
    re.MULTILINE,
)


def escape_text(value: str) -> str:
    """Backslash-escape markdown punctuation so a value renders as literal text.

    Pandoc markdown allows escaping any ASCII punctuation (``all_symbols_escapable``); ``@`` is
    escaped so a value can never become a citation or a cross-reference.
    """
    return _ESCAPE.sub(r"\\\1", value)


@dataclass
class Floats:
    """Float numbers by label, plus the title words and delimiter (Quarto ``crossref:``)."""

    numbers: dict[str, int] = field(default_factory=dict)
    fig_title: str = "Figure"
    tbl_title: str = "Table"
    delim: str = ":"

    def title(self, label: str) -> str:
        return self.fig_title if label.startswith("fig-") else self.tbl_title

    def caption(self, label: str, caption: str) -> str:
        return f"{self.title(label)} {self.numbers[label]}{self.delim} {caption}".rstrip()


def number_floats(doc: QmdDocument, doc_options: Mapping[str, Any]) -> Floats:
    """Number ``fig-``/``tbl-`` floats in document order (figures and tables separately)."""
    crossref = doc.meta.get("crossref")
    crossref = crossref if isinstance(crossref, Mapping) else {}
    floats = Floats(
        fig_title=str(crossref.get("fig-title", "Figure")),
        tbl_title=str(crossref.get("tbl-title", "Table")),
        delim=str(crossref.get("title-delim", ":")),
    )
    counters = {"fig": 0, "tbl": 0}

    def add(label: str) -> None:
        kind = label[:3]
        if label in floats.numbers:
            return
        counters[kind] += 1
        floats.numbers[label] = counters[kind]

    for block in doc.blocks:
        if isinstance(block, MarkdownBlock):
            for start, end in prose_spans(block.text):
                prose = block.text[start:end]
                labels = [m.group("label") for m in _MD_FIGURE.finditer(prose)]
                labels += [m.group("label") for m in _MD_TABLE_CAPTION.finditer(prose)]
                positions = sorted(
                    (prose.find("{#" + lab), lab) for lab in labels if prose.find("{#" + lab) >= 0
                )
                for _, label in positions:
                    add(label)
            continue
        options = cell_options(doc_options, block.options)
        label = block.label
        visible = options.get("include", True) and options.get("output", True)
        if label and label[:4] in ("fig-", "tbl-") and visible and options.get("eval", True):
            add(label)
    return floats


def resolve_refs(text: str, floats: Floats, fmt: str) -> tuple[str, list[str]]:
    """Replace ``@fig-x``/``@tbl-x`` outside code with "Figure 1"/"Table 1" (see module doc)."""
    unresolved: list[str] = []

    def replace(m: re.Match[str]) -> str:
        kind = m.group("bkind") or m.group("kind")
        name = m.group("bname") or m.group("name")
        minus = m.group("bminus") or m.group("minus")
        label = f"{kind.lower()}-{name}"
        number = floats.numbers.get(label)
        if number is None:
            unresolved.append(label)
            return f"?\\@{label}"
        words = str(number) if minus else f"{floats.title(label)} {number}"
        return words if fmt == "pdf" else f"[{words}](#{label})"

    return _map_prose(text, lambda s: _REF.sub(replace, s)), unresolved


def _map_prose(text: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to the text outside fenced blocks and inline code spans."""
    out: list[str] = []
    last = 0
    for start, end in prose_spans(text):
        out.append(text[last:start])
        segment = text[start:end]
        pos = 0
        for m in _CODE_SPAN.finditer(segment):
            out.append(fn(segment[pos : m.start()]))
            out.append(m.group(0))
            pos = m.end()
        out.append(fn(segment[pos:]))
        last = end
    out.append(text[last:])
    return "".join(out)


@dataclass
class Assembly:
    """Markdown for one format plus the warnings met while writing it."""

    markdown: str
    warnings: list[str] = field(default_factory=list)


def assemble(
    doc: QmdDocument,
    nb: Any,
    *,
    fmt: str,
    doc_options: Mapping[str, Any],
    floats: Floats,
    work_dir: Path,
    files_dir: str,
) -> Assembly:
    """Pandoc markdown (body only) for ``fmt``; figures are written under ``work_dir/files_dir``."""
    by_block: dict[int, Any] = {}
    for cell in nb.cells:
        info = cell.metadata.get("captemstats", {})
        if info.get("kind") in ("cell", "inline"):
            by_block[int(info["block"])] = cell
    result = Assembly(markdown="")
    parts: list[str] = []
    for index, block in enumerate(doc.blocks):
        if isinstance(block, MarkdownBlock):
            text = _substitute_inline(block, by_block.get(index))
            text = _number_markdown_floats(text, floats)
            text, unresolved = resolve_refs(text, floats, fmt)
            result.warnings.extend(
                f"{doc.where(block.line)}: unable to resolve cross-reference @{label}"
                for label in unresolved
            )
            parts.append(text)
            continue
        options = cell_options(doc_options, block.options)
        outputs = by_block[index].get("outputs", []) if index in by_block else []
        writer = _CellWriter(block, options, fmt, floats, work_dir, files_dir)
        parts.append(writer.markdown(outputs))
    result.markdown = "\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"
    return result


def _substitute_inline(block: MarkdownBlock, cell: Any) -> str:
    if not block.inline:
        return block.text
    values = inline_values(cell) if cell is not None else []
    text = block.text
    # Right to left, so earlier offsets stay valid.
    for expr, value in reversed(list(zip(block.inline, values, strict=True))):
        rendered = value["markdown"] if "markdown" in value else escape_text(value["text"])
        text = text[: expr.start] + rendered + text[expr.end :]
    return text


def _number_markdown_floats(text: str, floats: Floats) -> str:
    def figure(m: re.Match[str]) -> str:
        label = m.group("label")
        return f"![{floats.caption(label, m.group('cap'))}]{m.group('src')}{{#{label}"

    def table(m: re.Match[str]) -> str:
        label = m.group("label")
        # The id moves to a wrapper link target in HTML; pandoc table captions take no attributes.
        return f"{m.group('lead')}[]{{#{label}}}{floats.caption(label, m.group('cap'))}"

    def both(segment: str) -> str:
        return _MD_TABLE_CAPTION.sub(table, _MD_FIGURE.sub(figure, segment))

    return _map_prose(text, both)


def _fence(body: str, info: str) -> str:
    ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", body)), default=0))
    return f"{ticks}{info}\n{body.rstrip(chr(10))}\n{ticks}"


class _CellWriter:
    """Markdown for one executed cell under its effective options."""

    def __init__(
        self,
        cell: CodeCell,
        options: Mapping[str, Any],
        fmt: str,
        floats: Floats,
        work_dir: Path,
        files_dir: str,
    ) -> None:
        self.cell, self.options, self.fmt, self.floats = cell, options, fmt, floats
        self.work_dir, self.files_dir = work_dir, files_dir
        label = cell.label or ""
        self.fig_label = label if label.startswith("fig-") and label in floats.numbers else None
        self.tbl_label = label if label.startswith("tbl-") and label in floats.numbers else None
        self.images = 0
        self.table_done = False

    def markdown(self, outputs: list[Any]) -> str:
        if not self.options.get("include", True):
            return ""
        parts: list[str] = []
        if self.options.get("echo", False):
            parts.append(_fence(self.cell.source, "python"))
        if self.options.get("output", True) not in (False, "false"):
            parts.extend(p for p in (self._output(o) for o in _merge_streams(outputs)) if p)
        return "\n\n".join(parts)

    def _output(self, output: Any) -> str:
        kind = output.get("output_type")
        asis = self.options.get("output") == "asis"
        if kind == "stream":
            text = str(output.get("text", ""))
            if output.get("name") == "stderr":
                warn = self.options.get("warning", True)
                return _fence(text, " {.cell-output-stderr}") if warn else ""
            return text if asis else _fence(text, " {.cell-output-stdout}")
        if kind == "error":  # only reaches here with `error: true`
            message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
            return _fence(message, " {.cell-output-error}")
        if kind in ("display_data", "execute_result"):
            return self._display(output.get("data", {}), asis)
        return ""

    def _display(self, data: Mapping[str, Any], asis: bool) -> str:
        for mime in _MIME_PRIORITY[self.fmt]:
            if mime not in data:
                continue
            value = data[mime]
            text = "".join(value) if isinstance(value, list) else str(value)
            if mime == "text/html" and self.fmt != "html" and "<table" not in text:
                continue  # other raw HTML has no DOCX/typst rendering; fall back
            if mime in _IMAGE_EXT:
                return self._image(mime, text)
            if mime == "text/html":
                return self._table(_fence(text, "{=html}"))
            if mime == "text/markdown" or asis:
                return self._table(text)
            return self._table(_fence(text, " {.cell-output-display}"))
        return ""

    def _image(self, mime: str, payload: str) -> str:
        self.images += 1
        stem = self.cell.label or f"cell-{self.cell.line}"
        rel = f"{self.files_dir}/{stem}-{self.images}.{_IMAGE_EXT[mime]}"
        target = self.work_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if mime == "image/svg+xml":
            target.write_text(payload, encoding="utf-8")
        else:
            target.write_bytes(base64.b64decode(payload))
        caption = str(self.options.get("fig-cap") or "")
        if self.fig_label and self.images == 1:
            return f"![{self.floats.caption(self.fig_label, caption)}]({rel}){{#{self.fig_label}}}"
        return f"![{caption if self.images == 1 else ''}]({rel})"

    def _table(self, body: str) -> str:
        if self.tbl_label is None or self.table_done:
            return body
        self.table_done = True
        caption = self.floats.caption(self.tbl_label, str(self.options.get("tbl-cap") or ""))
        return f"::: {{#{self.tbl_label} .cs-table}}\n::: cs-caption\n{caption}\n:::\n\n{body}\n:::"


def _merge_streams(outputs: list[Any]) -> list[Any]:
    """Join consecutive stream outputs of the same name (print calls split them arbitrarily)."""
    merged: list[Any] = []
    for output in outputs:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and output.get("output_type") == "stream"
            and prev.get("output_type") == "stream"
            and prev.get("name") == output.get("name")
        ):
            merged[-1] = {**prev, "text": str(prev.get("text", "")) + str(output.get("text", ""))}
        else:
            merged.append(output)
    return merged
