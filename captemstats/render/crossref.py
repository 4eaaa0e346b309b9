"""Quarto cross-references: numbered floats (``fig``, ``tbl``, custom kinds) and sections.

What Quarto does here and this module reproduces (Quarto reference, "Cross References"):

* a cell labelled ``fig-*`` with ``fig-cap`` is a numbered figure, ``tbl-*`` with ``tbl-cap`` a
  numbered table, and ``KEY-*`` with ``KEY-cap`` a float of a custom kind declared under
  ``crossref: custom:`` (``kind: float``, ``key``, ``reference-prefix``,
  ``space-before-numbering``); each kind is counted separately in document order; captions read
  "Figure 1: ..." (``title-delim``); markdown images ``![cap](path){#fig-x}`` and pipe-table
  captions ``: cap {#tbl-x}`` are numbered too;
* ``@fig-x`` becomes "Figure 1" (a link in HTML and DOCX), ``-@fig-x`` the bare number,
  ``@Fig-x`` the same; unknown labels of a known kind render as ``?@fig-x`` with a warning;
* ``@sec-x`` links to the heading ``# Title {#sec-x}`` and reads as its title (the manuscript
  has no section numbers; Quarto would print "Section 2" when sections are numbered);
* any other ``@word-x`` is left to pandoc's citation processing, as in Quarto.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from captemstats.render.project import cell_options
from captemstats.render.qmd import CodeCell, MarkdownBlock, QmdDocument, prose_spans

_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
_REF = re.compile(
    r"\[(?P<bminus>-)?@(?P<bkind>[A-Za-z]+)-(?P<bname>[\w-]*\w)\]"
    r"|(?<![\w\\])(?P<minus>-)?@(?P<kind>[A-Za-z]+)-(?P<name>[\w-]*\w)"
)
MD_FIGURE = re.compile(r"!\[(?P<cap>[^\]\n]*)\](?P<src>\([^)\n]*\))\{#(?P<label>fig-[\w-]*\w)")
MD_TABLE_CAPTION = re.compile(
    r"^(?P<lead>(?:Table)?:[ \t]+)(?P<cap>.*?)[ \t]*\{#(?P<label>tbl-[\w-]*\w)\}[ \t]*$",
    re.MULTILINE,
)
_HEADING = re.compile(
    r"^#{1,6}[ \t]+(?P<title>.*?)[ \t]*\{[^}\n]*#(?P<label>sec-[\w-]*\w)[^}\n]*\}[ \t]*$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class FloatKind:
    """A kind of numbered float: its label prefix, the word before its number and spacing."""

    key: str
    prefix: str
    space: bool = True

    def reference(self, number: int) -> str:
        """``Figure 1``, or ``Figure S1`` for a kind declared without a space."""
        return f"{self.prefix}{' ' if self.space else ''}{number}"


@dataclass
class Floats:
    """Float numbers by label, the kinds' titles and delimiter (Quarto ``crossref:``), sections."""

    numbers: dict[str, int] = field(default_factory=dict)
    fig_title: str = "Figure"
    tbl_title: str = "Table"
    delim: str = ":"
    custom: dict[str, FloatKind] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)

    def kinds(self) -> dict[str, FloatKind]:
        """Every float kind by key: ``fig``, ``tbl`` and the custom ones."""
        return {
            "fig": FloatKind("fig", self.fig_title),
            "tbl": FloatKind("tbl", self.tbl_title),
            **self.custom,
        }

    def kind(self, label: str) -> FloatKind | None:
        return self.kinds().get(label.split("-", 1)[0])

    def title(self, label: str) -> str:
        kind = self.kind(label)
        return kind.prefix if kind else ""

    def reference(self, label: str) -> str:
        kind = self.kind(label)
        assert kind is not None
        return kind.reference(self.numbers[label])

    def caption(self, label: str, caption: str) -> str:
        return f"{self.reference(label)}{self.delim} {caption}".rstrip()


def caption_option(label: str) -> str:
    """The cell option holding a float's caption: ``fig-cap``, ``tbl-cap`` or ``KEY-cap``."""
    return f"{label.split('-', 1)[0]}-cap"


def _custom_kinds(crossref: Mapping[str, Any]) -> dict[str, FloatKind]:
    kinds: dict[str, FloatKind] = {}
    for entry in crossref.get("custom") or []:
        if not isinstance(entry, Mapping) or entry.get("kind", "float") != "float":
            continue
        key = entry.get("key")
        if isinstance(key, str) and key:
            prefix = str(entry.get("reference-prefix", key))
            kinds[key] = FloatKind(key, prefix, bool(entry.get("space-before-numbering", True)))
    return kinds


def number_floats(
    doc: QmdDocument,
    doc_options: Mapping[str, Any],
    project_crossref: Mapping[str, Any] | None = None,
) -> Floats:
    """Number the floats of every kind in document order and collect section labels.

    ``crossref:`` options come from ``_quarto.yml`` (``project_crossref``) and the front matter
    (which wins), as Quarto merges them.
    """
    crossref: dict[str, Any] = dict(project_crossref or {})
    if isinstance(doc.meta.get("crossref"), Mapping):
        crossref.update(doc.meta["crossref"])
    floats = Floats(
        fig_title=str(crossref.get("fig-title", "Figure")),
        tbl_title=str(crossref.get("tbl-title", "Table")),
        delim=str(crossref.get("title-delim", ":")),
        custom=_custom_kinds(crossref),
    )
    kinds = floats.kinds()
    counters = dict.fromkeys(kinds, 0)

    def add(label: str) -> None:
        kind = label.split("-", 1)[0]
        if label in floats.numbers or kind not in counters:
            return
        counters[kind] += 1
        floats.numbers[label] = counters[kind]

    for block in doc.blocks:
        if isinstance(block, MarkdownBlock):
            for start, end in prose_spans(block.text):
                prose = block.text[start:end]
                for m in _HEADING.finditer(prose):
                    floats.sections[m.group("label")] = m.group("title")
                labels = [m.group("label") for m in MD_FIGURE.finditer(prose)]
                labels += [m.group("label") for m in MD_TABLE_CAPTION.finditer(prose)]
                positions = sorted(
                    (prose.find("{#" + lab), lab) for lab in labels if prose.find("{#" + lab) >= 0
                )
                for _, label in positions:
                    add(label)
            continue
        if _is_float_cell(block, doc_options, kinds):
            add(str(block.label))
    return floats


def _is_float_cell(
    cell: CodeCell, doc_options: Mapping[str, Any], kinds: Mapping[str, FloatKind]
) -> bool:
    label = cell.label
    if not label or "-" not in label or label.split("-", 1)[0] not in kinds:
        return False
    options = cell_options(doc_options, cell.options)
    visible = options.get("include", True) and options.get("output", True)
    return bool(visible and options.get("eval", True))


def resolve_refs(text: str, floats: Floats, fmt: str) -> tuple[str, list[str]]:
    """Replace cross-references outside code with their words (see the module docstring)."""
    unresolved: list[str] = []
    kinds = floats.kinds()

    def replace(m: re.Match[str]) -> str:
        kind = m.group("bkind") or m.group("kind")
        name = m.group("bname") or m.group("name")
        minus = m.group("bminus") or m.group("minus")
        key = kind if kind in kinds else kind.lower()
        label = f"{key}-{name}"
        if key == "sec":
            title = floats.sections.get(label)
            if title is None:
                unresolved.append(label)
                return f"?\\@{label}"
            return f"[{title}](#{label})"
        if key not in kinds or (key != kind and key not in ("fig", "tbl")):
            return m.group(0)  # not a cross-reference: a citation key with a dash
        number = floats.numbers.get(label)
        if number is None:
            unresolved.append(label)
            return f"?\\@{label}"
        words = str(number) if minus else floats.reference(label)
        return words if fmt == "pdf" else f"[{words}](#{label})"

    return map_prose(text, lambda s: _REF.sub(replace, s)), unresolved


def map_prose(text: str, fn: Callable[[str], str]) -> str:
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
