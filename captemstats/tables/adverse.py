"""Table 4: adverse events by CTCAE v4.0 grade with the treatment-interruption column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from captemstats.tables._format import n_pct
from captemstats.tables.table import Column, Footnote, Table

if TYPE_CHECKING:
    from captemstats.adverse import AdverseEventSummary

#: Column headers per band of :data:`captemstats.adverse.BANDS` and the action columns.
BAND_LABELS: dict[str, str] = {
    "grade_1_2": "Grade 1–2, n (%)",
    "grade_3": "Grade 3, n (%)",
    "grade_4": "Grade 4, n (%)",
    "grade_5": "Grade 5, n (%)",
    "interruption": "Treatment interruption, n (%)",
    "discontinuation": "Treatment discontinuation, n (%)",
}


def adverse_event_table(
    summary: AdverseEventSummary,
    *,
    columns: Sequence[str] = ("grade_1_2", "grade_3", "grade_4", "interruption"),
    term_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    zero_text: str = "—",
    include_unobserved: bool = True,
    footnotes: Sequence[str] = (),
) -> Table:
    """Table 4 layout: one row per CTCAE term, patients n (%) per worst-grade band.

    Counts come from :func:`captemstats.adverse.summarize_adverse_events` (a patient is
    counted once per term at the worst grade, CTCAE v4.0 reporting convention); percentages
    are of ``summary.denominator`` patients, stated in the default title (and in a footnote
    when ``title`` is given, e.g. ``""`` for a manuscript whose caption is the title). A band
    column with any patient is always shown — a grade 5 event is never hidden because
    ``columns`` omits it. A last row gives the patients with any grade 3–4 event.
    ``zero_text`` prints empty cells (the paper's "—"). Terms nobody had are kept unless
    ``include_unobserved`` is false.

    Parameters
    ----------
    summary
        :func:`captemstats.adverse.summarize_adverse_events` (``StudyAnalysis.adverse``).
    columns
        The band columns (and ``interruption``/``discontinuation``) to print.
    term_labels
        Printed name per CTCAE term.
    title
        The table's title (default states the denominator).
    zero_text
        Text of an empty cell.
    include_unobserved
        Keep the terms nobody had.
    footnotes
        Extra footnotes.

    Returns
    -------
    Table
        Display content (``data``), column headers, title and footnotes; ``gt()`` gives the
        great_tables table, ``as_html()``, ``to_csv()`` and ``to_excel()`` write it.

    Examples
    --------
    >>> import pandas as pd
    >>> from captemstats.adverse import summarize_adverse_events
    >>> ae = pd.DataFrame({"patient_id": ["P1", "P1", "P2", "P3"],
    ...                    "term": ["Fatigue", "Anemia", "Fatigue", "Diarrhea"],
    ...                    "grade": [2, 3, 1, 4], "led_to_interruption": [False, True, False, True],
    ...                    "led_to_discontinuation": False})
    >>> t = adverse_event_table(summarize_adverse_events(ae, ["P1", "P2", "P3", "P4"], terms=None))
    >>> t.title
    'Adverse events of CAPTEM chemotherapy (n = 4)'
    >>> t.data[["label", "grade_1_2", "grade_3", "grade_4"]]
                             label grade_1_2   grade_3   grade_4
    0                       Anemia         —  1 (25.0)         —
    1                     Diarrhea         —         —  1 (25.0)
    2                      Fatigue  2 (50.0)         —         —
    3  Any grade 3–4 adverse event            2 (50.0)
    """
    counts = summary.counts
    tidy = summary.to_frame().set_index(["term", "band"])
    shown = list(columns)
    if "grade_5" not in shown and int(counts["grade_5"].sum()) > 0:
        shown.insert(shown.index("grade_4") + 1 if "grade_4" in shown else 0, "grade_5")
    unknown = [c for c in shown if c not in counts.columns]
    if unknown:
        raise ValueError(f"adverse_event_table: unknown columns {unknown}")
    labels = dict(term_labels or {})
    rows: list[dict[str, str]] = []
    for term in counts.index:
        if not include_unobserved and int(counts.loc[term, "any_grade"]) == 0:
            continue
        row = {"variable": str(term), "row_type": "stat", "label": labels.get(term, str(term))}
        for band in shown:
            n = int(tidy.loc[(term, band), "n"])
            row[band] = zero_text if n == 0 else n_pct(n, float(tidy.loc[(term, band), "pct"]))
        rows.append(row)
    d = summary.denominator
    severe = {
        "variable": "grade34_any",
        "row_type": "stat",
        "label": "Any grade 3–4 adverse event",
    }
    first = next((c for c in shown if c in ("grade_3", "grade_4")), None)
    if first is not None:
        severe[first] = n_pct(summary.grade34_patients, 100.0 * summary.grade34_patients / d)
    rows.append(severe)
    cols = tuple(Column(b, BAND_LABELS.get(b, b)) for b in shown)
    default_title = f"Adverse events of CAPTEM chemotherapy (n = {d})"
    notes = [Footnote(summary.method)]
    if title is not None and f"n = {d}" not in title:
        notes.append(Footnote(f"n = {d} patients (the denominator of every percentage)."))
    if zero_text:
        notes.append(Footnote(f"{zero_text}, no patient."))
    if first is not None and first == "grade_3" and "grade_4" in shown:
        notes.append(
            Footnote(
                "Patients with at least one grade 3 or 4 event of any term.",
                column=first,
                rows=(len(rows) - 1,),
            )
        )
    notes += [Footnote(text) for text in footnotes]
    return Table.from_rows(
        rows,
        cols,
        title=default_title if title is None else title,
        stub_header="Adverse event (CTCAE v4.0)",
        footnotes=tuple(notes),
    )
