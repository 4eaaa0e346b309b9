"""Turn a parsed ``.qmd`` plus its executed notebook into pandoc markdown for one output format.

Floats and cross-references are numbered by :mod:`.crossref`; this module writes them:

* outputs are chosen per format by MIME priority, images by the format's ``fig-format``
  (the kernel emits PNG and SVG, so HTML and typst can take vector figures and DOCX a PNG at the
  format's ``fig-dpi``); ``fig-alt`` becomes the image's alternative text;
  ``echo``/``include``/``output``/``warning`` are honoured; ``output: asis`` passes stdout
  through as markdown;
* inline expression values replace their `` `{python} expr` `` (plain values escaped as text,
  objects with ``_repr_markdown_`` inserted as markdown).

Tables that are raw HTML (great_tables) stay raw HTML in the markdown; for DOCX and typst the
Lua filter ``assets/html_tables.lua`` turns them into pandoc tables during conversion.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from captemstats.render.crossref import (
    MD_FIGURE,
    MD_TABLE_CAPTION,
    Floats,
    caption_option,
    map_prose,
    number_floats,
    resolve_refs,
)
from captemstats.render.execute import inline_values
from captemstats.render.project import cell_options
from captemstats.render.qmd import CodeCell, MarkdownBlock, QmdDocument

__all__ = ["Assembly", "Floats", "assemble", "escape_text", "number_floats", "resolve_refs"]

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
_FIG_MIME = {"png": _PNG, "svg": _SVG, "jpeg": _JPEG, "jpg": _JPEG}


def mime_priority(fmt: str, fig_format: str | None = None) -> tuple[str, ...]:
    """MIME types in order of preference for ``fmt``, the ``fig-format`` image type first.

    DOCX never takes SVG first (older Word versions cannot show it).
    """
    order = _MIME_PRIORITY[fmt]
    preferred = _FIG_MIME.get(fig_format or "")
    if preferred is None or (fmt == "docx" and preferred == _SVG):
        return order
    images = [m for m in order if m in _IMAGE_EXT]
    ranked = iter([preferred, *(m for m in images if m != preferred)])
    return tuple(next(ranked) if m in _IMAGE_EXT else m for m in order)


_ESCAPE = re.compile(r"([\\`*_{}\[\]<>#$@~^|+!-])")


def escape_text(value: str) -> str:
    """Backslash-escape markdown punctuation so a value renders as literal text.

    Pandoc markdown allows escaping any ASCII punctuation (``all_symbols_escapable``); ``@`` is
    escaped so a value can never become a citation or a cross-reference.
    """
    return _ESCAPE.sub(r"\\\1", value)


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
    fig_format: str | None = None,
) -> Assembly:
    """Pandoc markdown (body only) for ``fmt``; figures are written under ``work_dir/files_dir``.

    ``fig_format`` (``png``/``svg``) is the image type this format prefers when a cell
    published several.
    """
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
        writer = _CellWriter(block, options, fmt, floats, work_dir, files_dir, fig_format)
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
        return MD_TABLE_CAPTION.sub(table, MD_FIGURE.sub(figure, segment))

    return map_prose(text, both)


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
        fig_format: str | None = None,
    ) -> None:
        self.cell, self.options, self.fmt, self.floats = cell, options, fmt, floats
        self.work_dir, self.files_dir = work_dir, files_dir
        label = cell.label or ""
        self.float_label = label if label in floats.numbers else None
        self.caption = str(self.options.get(caption_option(label)) or "") if label else ""
        self.priority = mime_priority(fmt, fig_format)
        self.images = 0
        self.float_done = False

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
        for mime in self.priority:
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
        alt = self.options.get("fig-alt")
        attrs = f' fig-alt="{_attr(str(alt))}"' if alt else ""
        if self.float_label and not self.float_done:
            self.float_done = True
            caption = self.floats.caption(self.float_label, self.caption)
            return f"![{caption}]({rel}){{#{self.float_label}{attrs}}}"
        caption = str(self.options.get("fig-cap") or "") if self.images == 1 else ""
        return f"![{caption}]({rel})" + (f"{{{attrs.strip()}}}" if attrs else "")

    def _table(self, body: str) -> str:
        if self.float_label is None or self.float_done:
            return body
        self.float_done = True
        caption = self.floats.caption(self.float_label, self.caption)
        label = self.float_label
        return f"::: {{#{label} .cs-table}}\n::: cs-caption\n{caption}\n:::\n\n{body}\n:::"


def _attr(value: str) -> str:
    """A value for a pandoc attribute in double quotes."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


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
