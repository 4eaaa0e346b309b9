"""Read a rendered manuscript back: the prose, the captions, the tables and the links.

Two readers, one model (:class:`Document`): :func:`read_html` (the standard library's
``html.parser``) and :func:`read_docx` (``word/document.xml`` through ``zipfile`` and
``xml.etree``, so no python-docx is needed). What the audit must not read as a statement of
the document is dropped at the source: scripts, styles, SVG text (axis ticks), the table of
contents, superscripts (citation numbers and table footnote marks, which would otherwise glue
onto the numbers beside them: "<.001" + "2" reads "<.0012").
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

from captemstats.errors import CaptemError

__all__ = ["Block", "Document", "Link", "Table", "read_docx", "read_html"]

#: A float label as Quarto writes it: a kind key, a dash, a name ("tbl-cox", "suppfig-km").
_LABEL = re.compile(r"^[a-z][a-z0-9]*-[\w-]+$")
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Collapse white space (line breaks of the source are not the document's)."""
    return _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()


@dataclass(frozen=True)
class Block:
    """A paragraph, heading or caption in document order; ``label``: the float it belongs
    to (captions), ``kind``: ``"paragraph"``, ``"heading"`` or ``"caption"``."""

    kind: str
    text: str
    label: str | None = None


@dataclass(frozen=True)
class Link:
    """An internal link: its target label and its text ("Table 2")."""

    target: str
    text: str


@dataclass(frozen=True)
class Cell:
    """A table cell as read: its text and how many columns and rows it spans."""

    text: str
    cols: int = 1
    rows: int = 1


@dataclass(frozen=True)
class Table:
    """A table's cells row by row (a spanning cell repeated over its columns); ``header``:
    how many leading rows are header rows; ``notes``: footnote rows (one cell across)."""

    label: str | None
    rows: tuple[tuple[str, ...], ...]
    header: int
    notes: tuple[str, ...] = ()

    @property
    def body(self) -> tuple[tuple[str, ...], ...]:
        return self.rows[self.header :]


@dataclass(frozen=True)
class Document:
    """One rendered file: ``fmt`` (``"html"``/``"docx"``), its blocks, tables and links."""

    fmt: str
    path: str
    blocks: tuple[Block, ...]
    tables: tuple[Table, ...]
    links: tuple[Link, ...] = field(default=())

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind == "paragraph")

    @property
    def captions(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.kind == "caption")

    @property
    def text(self) -> str:
        """Everything the reader sees as text: blocks, then every table cell and note."""
        cells = [" ".join(r) for t in self.tables for r in t.rows]
        notes = [n for t in self.tables for n in t.notes]
        return " ".join([*(b.text for b in self.blocks), *cells, *notes])


# -- HTML --------------------------------------------------------------------------------------
_SKIP = {"script", "style", "svg", "nav", "head", "math", "sup"}
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption", "dt", "dd"}


class _HtmlReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.tables: list[Table] = []
        self.links: list[Link] = []
        # Open elements: (tag, id, class, skip).
        self._stack: list[tuple[str, str, str, bool]] = []
        self._buf: list[list[str]] = []  # one buffer per open block
        self._block_tags: list[str] = []
        self._table: list[tuple[list[Cell], bool]] | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._in_thead = False
        self._link: tuple[str, list[str]] | None = None

    # The void elements never get an end tag: keep them off the stack.
    _VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "source", "col", "wbr"})

    def _skipping(self) -> bool:
        return any(s for *_, s in self._stack)

    def _label(self) -> str | None:
        for _, ident, _, _ in reversed(self._stack):
            if _LABEL.match(ident):
                return ident
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("br", "wbr"):
            self._data(" ")
        if tag in self._VOID:
            return
        cls = a.get("class", "")
        skip = tag in _SKIP or "footnote_marks" in cls or a.get("id") == "TOC"
        self._stack.append((tag, a.get("id", ""), cls, skip))
        if tag == "table" and self._table is None:
            self._table = []
        elif tag == "thead":
            self._in_thead = True
        elif tag == "tr" and self._table is not None:
            self._table.append(([], self._in_thead))
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
            self._span = (int(a.get("colspan") or 1), int(a.get("rowspan") or 1))
        elif tag == "a" and a.get("href", "").startswith("#"):
            self._link = (a["href"][1:], [])
        elif tag in _BLOCKS and self._table is None:
            self._buf.append([])
            self._block_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._VOID or not any(t == tag for t, *_ in self._stack):
            return
        while self._stack:
            open_tag = self._stack[-1][0]
            self._close(open_tag)
            self._stack.pop()
            if open_tag == tag:
                break

    def _close(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self._table[-1][0].append(Cell(clean("".join(self._cell)), *self._span))
            self._cell = None
        elif tag == "thead":
            self._in_thead = False
        elif tag == "table" and self._table is not None:
            self.tables.append(_make_table(self._label(), self._table))
            self._table = None
        elif tag == "a" and self._link is not None:
            self.links.append(Link(self._link[0], clean("".join(self._link[1]))))
            self._link = None
        elif tag in _BLOCKS and self._block_tags and self._block_tags[-1] == tag:
            text = clean("".join(self._buf.pop()))
            self._block_tags.pop()
            in_caption = tag in ("figcaption", "caption") or any(
                "caption" in c for _, _, c, _ in self._stack
            )
            kind = "caption" if in_caption else "heading" if tag[0] == "h" else "paragraph"
            if text:
                self.blocks.append(Block(kind, text, self._label() if in_caption else None))

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self._data(data)

    def _data(self, data: str) -> None:
        if self._link is not None:
            self._link[1].append(data)
        if self._cell is not None:
            self._cell.append(data)
        elif self._buf:
            self._buf[-1].append(data)


def _make_table(label: str | None, raw: list[tuple[list[Cell], bool]]) -> Table:
    """Rows with spanning cells repeated over their columns and rows (a stub headed over
    two header rows stays in column 0 of both); a lone cell across the table is a note."""
    width = max((sum(c.cols for c in cells) for cells, _ in raw), default=0)
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    header = 0
    carry: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    for cells, is_head in raw:
        if not is_head and len(cells) == 1 and cells[0].cols == width and width > 1:
            if cells[0].text:
                notes.append(cells[0].text)
            continue
        out: list[str] = []
        queue = list(cells)
        while queue or any(j >= len(out) for j in carry):
            j = len(out)
            if j in carry:
                text, left = carry.pop(j)
                out.append(text)
                if left > 1:
                    carry[j] = (text, left - 1)
                continue
            if not queue:
                break
            c = queue.pop(0)
            for k in range(c.cols):
                if c.rows > 1:
                    carry[j + k] = (c.text, c.rows - 1)
                out.append(c.text)
        rows.append(tuple(out))
        if is_head and len(rows) == header + 1:
            header += 1
    return Table(label, tuple(rows), header, tuple(notes))


def read_html(path: str | Path) -> Document:
    """Read a rendered HTML file (:class:`Document`).

    Parameters
    ----------
    path
        The ``index.html`` written by ``captemstats report`` (or by Quarto).

    Returns
    -------
    Document
        Paragraphs, headings, captions (with the label of their float), tables and links.

    Example
    -------
    >>> doc = read_html("_output/report/index.html")  # doctest: +SKIP
    >>> doc.captions[0].text                          # doctest: +SKIP
    'Figure 1: Flow of patients through the eligibility steps (STROBE).'
    """
    p = Path(path)
    try:
        source = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaptemError(f"cannot read {p}: {exc}") from None
    reader = _HtmlReader()
    reader.feed(source)
    reader.close()
    return Document("html", str(p), tuple(reader.blocks), tuple(reader.tables), tuple(reader.links))


# -- DOCX --------------------------------------------------------------------------------------
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CAPTION_STYLES = {"TableCaption", "ImageCaption", "Caption", "FigureCaption"}


def _run_text(run: ET.Element) -> str:
    props = run.find(f"{_W}rPr")
    if props is not None:
        va = props.find(f"{_W}vertAlign")
        if va is not None and va.get(f"{_W}val") == "superscript":
            return ""
    out = []
    for el in run:
        if el.tag == f"{_W}t":
            out.append(el.text or "")
        elif el.tag in (f"{_W}tab", f"{_W}br", f"{_W}cr"):
            out.append(" ")
    return "".join(out)


def _paragraph(p: ET.Element, links: list[Link], open_marks: list[str]) -> str:
    """A paragraph's text (hyperlinks recorded); its bookmarks update ``open_marks``."""
    out: list[str] = []
    linked = _linked_runs(p)
    for el in p.iter():
        if el.tag == f"{_W}r" and el not in linked:
            out.append(_run_text(el))
        elif el.tag == f"{_W}hyperlink":
            text = "".join(_run_text(r) for r in el.iter(f"{_W}r"))
            anchor = el.get(f"{_W}anchor")
            if anchor:
                links.append(Link(anchor, clean(text)))
            out.append(text)
        elif el.tag == f"{_W}bookmarkStart":
            open_marks.append(el.get(f"{_W}name", ""))
    return clean("".join(out))


def _linked_runs(p: ET.Element) -> set[ET.Element]:
    return {r for h in p.iter(f"{_W}hyperlink") for r in h.iter(f"{_W}r")}


def _docx_table(tbl: ET.Element, label: str | None, links: list[Link]) -> Table:
    raw: list[tuple[list[Cell], bool]] = []
    above: dict[int, str] = {}  # grid column -> text of the cell above
    for tr in tbl.findall(f"{_W}tr"):
        props = tr.find(f"{_W}trPr")
        is_head = props is not None and props.find(f"{_W}tblHeader") is not None
        cells = []
        column = 0
        for tc in tr.findall(f"{_W}tc"):
            span = tc.find(f"{_W}tcPr/{_W}gridSpan")
            n = int(span.get(f"{_W}val", "1")) if span is not None else 1
            text = clean(" ".join(_paragraph(p, links, []) for p in tc.iter(f"{_W}p")))
            merge = tc.find(f"{_W}tcPr/{_W}vMerge")
            if merge is not None and merge.get(f"{_W}val", "continue") == "continue":
                # A vertically merged cell continues the one above, as an HTML rowspan.
                text = above.get(column, "")
            above.update({column + k: text for k in range(n)})
            cells.append(Cell(text, n))
            column += n
        raw.append((cells, is_head))
    return _make_table(label, raw)


def read_docx(path: str | Path) -> Document:
    """Read a rendered DOCX (``word/document.xml``) into a :class:`Document`.

    Captions are the paragraphs in a caption style (``TableCaption``, ``ImageCaption``,
    ``Caption``); a caption's or table's label is the innermost open bookmark that looks like
    a float label, as pandoc writes ``tbl-cox`` around the caption and its table.

    Example
    -------
    >>> doc = read_docx("_output/report/index.docx")  # doctest: +SKIP
    >>> len(doc.tables) > 0                           # doctest: +SKIP
    True
    """
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as z:
            root = ET.fromstring(z.read("word/document.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError) as exc:
        raise CaptemError(f"cannot read {p} as a Word document: {exc}") from None
    body = root.find(f"{_W}body")
    blocks: list[Block] = []
    tables: list[Table] = []
    links: list[Link] = []
    marks: dict[str, str] = {}  # bookmark id -> name, for the open ones
    order: list[str] = []

    def label() -> str | None:
        for ident in reversed(order):
            if _LABEL.match(marks[ident]) and not marks[ident].startswith("sec-"):
                return marks[ident]
        return None

    for el in [] if body is None else list(body):
        if el.tag == f"{_W}bookmarkStart":
            ident = el.get(f"{_W}id", "")
            marks[ident] = el.get(f"{_W}name", "")
            order.append(ident)
        elif el.tag == f"{_W}bookmarkEnd":
            ident = el.get(f"{_W}id", "")
            if ident in marks:
                order.remove(ident)
                del marks[ident]
        elif el.tag == f"{_W}tbl":
            tables.append(_docx_table(el, label(), links))
        elif el.tag == f"{_W}p":
            style_el = el.find(f"{_W}pPr/{_W}pStyle")
            style = "" if style_el is None else style_el.get(f"{_W}val", "")
            inner: list[str] = []
            text = _paragraph(el, links, inner)
            if not text or style == "TOCHeading" or style.startswith("TOC"):
                continue
            if style.startswith("TableNote") and tables:
                # Notes typeset below the table (printed once, not in a repeated row).
                last = tables[-1]
                tables[-1] = replace(last, notes=(*last.notes, text))
            elif style in _CAPTION_STYLES:
                own = next((m for m in reversed(inner) if _LABEL.match(m)), None)
                blocks.append(Block("caption", text, own or label()))
            elif style.startswith(("Heading", "Title")):
                blocks.append(Block("heading", text))
            else:
                blocks.append(Block("paragraph", text))
    return Document("docx", str(p), tuple(blocks), tuple(tables), tuple(links))
