"""The :class:`Table` returned by every table builder.

A table is data first: ``Table.data`` is a DataFrame of display strings, one row per printed
row, with the key columns ``variable`` (what the row describes), ``row_type`` (``label`` for a
variable's heading row, ``level`` for an indented category row, ``stat`` for a summary
row) and ``label`` (the stub text), followed by one column per printed column. This frame is
what the snapshot tests pin and what CSV/XLSX exports contain. The great_tables object is
built from it on demand by :meth:`Table.gt`, so presentation never recomputes anything.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import pandas as pd

from captemstats.atomic import write_atomic
from captemstats.spreadsheet import neutralise_formulas

if TYPE_CHECKING:
    from great_tables import GT

#: Key columns every ``Table.data`` starts with.
KEY_COLUMNS: tuple[str, str, str] = ("variable", "row_type", "label")

RowType = Literal["label", "level", "stat"]


class TableLayout(TypedDict, total=False):
    """The layout fields of a :class:`Table` other than its data and columns
    (the keyword arguments of :meth:`Table.from_rows`)."""

    title: str
    subtitle: str
    stub_header: str
    footnotes: tuple[Footnote, ...]
    notes: tuple[str, ...]
    bold: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class Column:
    """A printed column: its id in ``Table.data``, header text and optional spanner.

    Examples
    --------
    >>> Column("pfs_hr", "HR", spanner="Progression-free survival")
    Column(id='pfs_hr', label='HR', spanner='Progression-free survival')
    """

    id: str
    label: str
    spanner: str | None = None


@dataclass(frozen=True, slots=True)
class Footnote:
    """A marked footnote.

    Attached to the body cells ``rows`` × ``column`` when ``rows`` is given (``column="label"``
    marks the row labels), to the header of ``column`` when only ``column`` is given, and
    printed unmarked below the table otherwise.

    Examples
    --------
    >>> Footnote("Fisher's exact test", column="p", rows=(4,))
    Footnote(text="Fisher's exact test", column='p', rows=(4,))
    """

    text: str
    column: str | None = None
    rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class Table:
    """A publication table: tidy display content plus layout metadata.

    ``bold`` lists ``(row, column)`` body cells printed in bold (significant P values).
    ``notes`` are unmarked source notes (e.g. the significance convention).

    Examples
    --------
    >>> from captemstats.tables import Column, Table
    >>> t = Table.from_rows([{"label": "Patients", "n": "308"}], [Column("n", "n")],
    ...                     title="Cohort")
    >>> t.title, t.to_frame().to_dict("records")
    ('Cohort', [{'variable': '', 'row_type': '', 'label': 'Patients', 'n': '308'}])
    """

    data: pd.DataFrame
    columns: tuple[Column, ...]
    title: str = ""
    subtitle: str = ""
    stub_header: str = ""
    footnotes: tuple[Footnote, ...] = ()
    notes: tuple[str, ...] = ()
    bold: tuple[tuple[int, str], ...] = field(default=())

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[dict[str, str]],
        columns: Sequence[Column],
        **layout: Unpack[TableLayout],
    ) -> Table:
        """A table of display ``rows`` (:func:`make_frame`) printed in ``columns``; ``layout``
        holds the other fields (``title``, ``stub_header``, ``footnotes``...)."""
        cols = tuple(columns)
        return cls(data=make_frame(rows, [c.id for c in cols]), columns=cols, **layout)

    def __post_init__(self) -> None:
        missing = [c for c in (*KEY_COLUMNS, *(c.id for c in self.columns)) if c not in self.data]
        if missing:
            raise ValueError(f"Table.data lacks columns {missing}")
        printed = list(self.headers().values())
        if len(set(printed)) != len(printed):
            raise ValueError(f"Table column headers are not unique: {printed}")

    # -- rendering ---------------------------------------------------------------------------
    def gt(self) -> GT:
        """Build the great_tables ``GT`` object (imported lazily)."""
        from great_tables import GT, loc, style

        ids = [c.id for c in self.columns]
        display = self.data.loc[:, ["label", *ids]].reset_index(drop=True)
        table = GT(display, rowname_col="label")
        if self.title or self.subtitle:
            table = table.tab_header(title=self.title, subtitle=self.subtitle or None)
        labels: dict[str, Any] = {c.id: c.label for c in self.columns}
        table = table.cols_label(cases=labels)
        if self.stub_header:
            table = table.tab_stubhead(label=self.stub_header)
        spanners: dict[str, list[str]] = {}
        for c in self.columns:
            if c.spanner:
                spanners.setdefault(c.spanner, []).append(c.id)
        for label, cols in spanners.items():
            table = table.tab_spanner(label=label, columns=cols)
        # Category rows sit indented under their variable's heading row (gtsummary layout).
        row_type = self.data["row_type"].to_numpy()
        level_rows = [i for i, kind in enumerate(row_type) if kind != "label"]
        if level_rows and (row_type == "label").any():
            table = table.tab_stub_indent(rows=level_rows, indent=2)
        by_column: dict[str, list[int]] = {}
        for row, col in self.bold:
            by_column.setdefault(col, []).append(row)
        for col, rows in by_column.items():
            table = table.tab_style(style=style.text(weight="bold"), locations=loc.body(col, rows))
        # Marks always follow the value (".49¹", "<.001²"): great_tables' "auto" placement
        # puts them before numbers and after text, which reads as two conventions in a column.
        for note in self.footnotes:
            if note.rows and note.column == "label":
                stub = loc.stub(rows=list(note.rows))
                table = table.tab_footnote(note.text, locations=stub, placement="right")
            elif note.rows and note.column:
                body = loc.body(columns=note.column, rows=list(note.rows))
                table = table.tab_footnote(note.text, locations=body, placement="right")
            elif note.column:
                header = loc.column_labels(columns=note.column)
                table = table.tab_footnote(note.text, locations=header, placement="right")
            else:
                table = table.tab_footnote(note.text)
        for text in self.notes:
            table = table.tab_source_note(text)
        return table.cols_align("center", columns=ids).sub_missing(missing_text="")

    def as_html(self) -> str:
        """Inline HTML of the table (great_tables ``as_raw_html``)."""
        return str(self.gt().as_raw_html())

    def _repr_html_(self) -> str:  # Jupyter / Quarto display
        return self.as_html()

    # -- export ------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The tidy display content (a copy of :attr:`data`)."""
        return self.data.copy()

    def headers(self) -> dict[str, str]:
        """Printed header per column id (``"spanner: label"`` under a spanner)."""
        return {c.id: f"{c.spanner}: {c.label}" if c.spanner else c.label for c in self.columns}

    def display_frame(self) -> pd.DataFrame:
        """:attr:`data` with the printed headers as column names (what exports contain)."""
        return self.data.rename(columns=self.headers())

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`display_frame` as UTF-8 CSV, atomically (temp file, ``os.replace``).

        Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab) is
        written with a leading apostrophe (:mod:`captemstats.tables._spreadsheet`).
        """
        frame = neutralise_formulas(self.display_frame())
        return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))

    def to_excel(self, path: str | os.PathLike[str], *, sheet_name: str = "table") -> Path:
        """Write :meth:`display_frame` to an XLSX sheet plus a ``notes`` sheet (title, notes).

        Written atomically (temp file, then ``os.replace``) with openpyxl; formula-like text
        is neutralised as in :meth:`to_csv` (openpyxl would store it as a live formula).
        """
        notes = pd.DataFrame(
            {
                "kind": ["title", "subtitle"]
                + ["footnote"] * len(self.footnotes)
                + ["note"] * len(self.notes),
                "text": [self.title, self.subtitle]
                + [f.text for f in self.footnotes]
                + list(self.notes),
            }
        )

        def write(tmp: Path) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
                body = neutralise_formulas(self.display_frame())
                body.to_excel(xl, sheet_name=sheet_name, index=False)
                neutralise_formulas(notes).to_excel(xl, sheet_name="notes", index=False)

        return write_atomic(path, write)


def make_frame(rows: Sequence[dict[str, str]], columns: Sequence[str]) -> pd.DataFrame:
    """Assemble display rows into a ``Table.data`` frame (missing cells become "")."""
    cols = [*KEY_COLUMNS, *columns]
    frame = pd.DataFrame(list(rows), columns=cols).fillna("")
    return frame.astype("string").reset_index(drop=True)
