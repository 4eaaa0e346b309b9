"""Table 1: patient characteristics by group (gtsummary ``tbl_summary(by=) |> add_p()`` layout).

The builder lays out a ``captemstats.compare.CharacteristicsSummary`` (or its tidy frame):
categorical variables as a heading row carrying the P value with one indented row per level,
"n (%)"; continuous variables as "Median (min–max)" and "Mean ± SD" rows. As in the paper's
Table 1, a "Number of patients" row comes first and yes/no variables listed in a block (the
previous treatments) print one row each, their "yes" count, under a shared heading. Counts,
percentages, summaries, P values and the test used all come from the summary.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from captemstats.schema import LABELS, METASTATIC_PRIOR_TREATMENTS
from captemstats.tables._common import (
    BOLD_NOTE,
    LINE_LABELS,
    en_dash,
    header,
    is_missing,
    is_significant,
    label_for,
    num,
    p_cell,
    profile_of,
    test_footnotes,
)
from captemstats.tables._format import n_pct
from captemstats.tables.table import Column, Footnote, Table

if TYPE_CHECKING:
    from captemstats.compare import CharacteristicsSummary
    from captemstats.formatting import PValueDisplay
    from captemstats.methods import MethodProfile, MethodsName

#: The paper's definition of a comorbidity (Table 1 footnote).
COMORBIDITY_NOTE = (
    "Hypertension, diabetes, coronary heart disease, chronic kidney disease, cerebrovascular "
    "disease, chronic obstructive pulmonary disease, thyroiditis."
)

#: Names the summary may give its all-patients group.
OVERALL_NAMES: tuple[str, ...] = ("all", "overall", "All patients", "Overall", "All")

#: Yes/no variables printed as one "yes" row each under a shared heading (heading → variables),
#: as the paper's "Previous treatment at metastatic stage" block.
DEFAULT_BLOCKS: dict[str, tuple[str, ...]] = {
    "Previous treatment at metastatic stage": METASTATIC_PRIOR_TREATMENTS,
}

#: Level labels that differ from :data:`captemstats.schema.LABELS` in Table 1: an unknown
#: grade is only eligible with Ki-67 1–20% (the cohort's eligibility rule), as the paper prints.
DEFAULT_LEVEL_LABELS: dict[str, dict[str, str]] = {
    "grade": {"unknown": "Unknown (Ki-67 1–20%)"},
}

_YES_LEVELS: tuple[str, ...] = ("True", "true", "Yes", "yes", "1")

_YES_NO = {"True": "Yes", "False": "No", "true": "Yes", "false": "No", "yes": "Yes", "no": "No"}


def characteristics_table(
    summary: CharacteristicsSummary | pd.DataFrame,
    *,
    group_labels: Mapping[str, str] | None = None,
    overall_label: str = "All patients",
    level_labels: Mapping[str, Mapping[str, str]] | None = None,
    variable_footnotes: Mapping[str, str] | None = None,
    blocks: Mapping[str, Sequence[str]] | None = None,
    number_row: bool = True,
    zero_text: str = "—",
    title: str = "Patient characteristics",
    digits: Mapping[str, int] | None = None,
    alpha: float = 0.05,
    footnotes: Sequence[str] = (),
    methods: MethodsName | MethodProfile | None = None,
) -> Table:
    """Table 1 from a ``CharacteristicsSummary`` (or its ``to_frame()``).

    Columns: the all-patients group first, then the ``by`` groups in summary order, each
    headed "<label> (n = N), n (%)", then "P value". A level's cell is "n (%)"; when a
    variable's denominator differs from the column N (missing values), the cell states it:
    "n/d (%)". Continuous variables print "Median (min–max)" and "Mean ± SD" with
    ``digits[variable]`` decimals (default 0 for medians/ranges, 2 for mean ± SD as the
    paper). P values (``formatting.format_p``) sit on the variable's heading row, bold when
    < ``alpha``; the test used is footnoted on each P cell. ``variable_footnotes`` attaches
    a note to a variable's label (default: the comorbidity definitions on ``comorbidity``).

    ``number_row`` prints "Number of patients, n (%)" first: each column's N and its share
    of all patients. ``blocks`` (default :data:`DEFAULT_BLOCKS`) maps a heading to yes/no
    variables printed as one row each (the variable's label without a leading "Previous",
    its "yes" count; a zero count prints ``zero_text``, the paper's "—"); pass ``{}`` for
    the plain yes/no layout. ``level_labels`` extend :data:`DEFAULT_LEVEL_LABELS`. Numeric
    ranges in labels print with an en dash.

    ``methods`` is the analysis' methods profile (``StudyAnalysis.methods``, a name or a
    :class:`captemstats.methods.MethodProfile`; None: the default's print). It sets how P
    values print (``"as_published"``: the paper's truncated print,
    :func:`captemstats.formatting.format_p_truncated`) and, for a profile other than the
    default, adds a footnote stating it; the tests themselves come from the summary.

    Parameters
    ----------
    summary
        :func:`captemstats.compare.summarize_characteristics` (``StudyAnalysis.characteristics``)
        or its ``to_frame()``.
    group_labels
        Printed name per ``by`` group.
    overall_label
        Printed name of the all-patients column.
    level_labels
        Printed names of levels, per variable.
    variable_footnotes
        A footnote per variable label.
    blocks
        Yes/no variables printed as one block (above).
    number_row
        Print the "Number of patients" row first.
    zero_text
        Text of a zero count in a block.
    title
        The table's title.
    digits
        Decimals per continuous variable.
    alpha
        P values below it are bold.
    footnotes
        Extra footnotes.
    methods
        The methods profile (above).

    Returns
    -------
    Table
        Display content (``data``), column headers, title and footnotes; ``gt()`` gives the
        great_tables table, ``as_html()``, ``to_csv()`` and ``to_excel()`` write it.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "arm": ["A"] * 6 + ["B"] * 6,
    ...     "sex": ["female", "male", "male", "female", "female", "male",
    ...             "male", "male", "male", "female", "male", "male"],
    ...     "age": [54, 61, 47, 70, 66, 58, 49, 52, 63, 71, 45, 60],
    ... })
    >>> from captemstats.compare import summarize_characteristics
    >>> t = characteristics_table(summarize_characteristics(df, "arm", ["age", "sex"]))
    >>> t.data[["label", "all", "A", "B", "p"]]
                           label           all             A             B    p
    0  Number of patients, n (%)    12 (100.0)      6 (50.0)      6 (50.0)
    1                        age                                            .70
    2           Median (min–max)    59 (45–71)    60 (47–70)    56 (45–71)
    3                  Mean ± SD  58.00 ± 8.73  59.33 ± 8.29  56.67 ± 9.73
    4                        sex                                            .55
    5                     Female      4 (33.3)      3 (50.0)      1 (16.7)
    6                       Male      8 (66.7)      3 (50.0)      5 (83.3)
    >>> [f.text for f in t.footnotes[:2]]
    ['Wilcoxon rank-sum (Mann–Whitney) test', "Fisher's exact test"]
    """
    frame = summary if isinstance(summary, pd.DataFrame) else summary.to_frame()
    need = {"variable", "label", "level", "group", "n", "denominator", "pct", "p_value", "test"}
    missing = need - set(frame.columns)
    if missing:
        raise ValueError(f"characteristics_table: summary frame lacks {sorted(missing)}")
    frame = frame.assign(group=frame["group"].astype("string"))
    display, profile_notes = profile_of(methods)
    groups = list(pd.unique(frame["group"]))
    overall = next((g for g in groups if g in OVERALL_NAMES), None)
    order = ([overall] if overall is not None else []) + [g for g in groups if g != overall]
    ids = {g: "all" if g == overall else str(g) for g in order}
    names = {**LINE_LABELS, **({overall: overall_label} if overall is not None else {})}
    group_n = _group_sizes(frame, order)
    layout = _Layout(
        ids=ids,
        group_n=group_n,
        display=display,
        alpha=alpha,
        zero_text=zero_text,
        notes_by_var=(
            {"comorbidity": COMORBIDITY_NOTE} if variable_footnotes is None else variable_footnotes
        ),
        digits=dict(digits or {}),
        level_labels=_merged_level_labels(level_labels),
        block_of=_block_of(frame, DEFAULT_BLOCKS if blocks is None else blocks),
    )

    out = _Rows()
    if number_row and overall is not None and overall in group_n:
        out.rows.append(_number_row(order, ids, group_n, group_n[overall]))
    for variable in pd.unique(frame["variable"]):
        _add_variable(out, layout, variable, frame[frame["variable"] == variable])

    cols = (
        *(
            Column(ids[g], header(label_for(g, group_labels, names), group_n.get(g), ", n (%)"))
            for g in order
        ),
        Column("p", "P value"),
    )
    notes = [*test_footnotes(out.tested, "p"), *profile_notes, *out.var_notes]
    if out.used_zero_text:
        notes.append(Footnote(f"{zero_text}, no patient."))
    notes += [Footnote(t) for t in footnotes]
    return Table.from_rows(
        out.rows,
        cols,
        title=title,
        stub_header="Characteristic",
        footnotes=tuple(notes),
        notes=(BOLD_NOTE,) if out.bold else (),
        bold=tuple(out.bold),
    )


@dataclasses.dataclass(frozen=True)
class _Layout:
    """What the rows of one Table 1 are laid out with: columns, labels and print rules."""

    ids: Mapping[str, str]
    group_n: Mapping[str, int]
    display: PValueDisplay
    alpha: float
    zero_text: str
    notes_by_var: Mapping[str, str]
    digits: Mapping[str, int]
    level_labels: Mapping[str, Mapping[str, str]]
    block_of: Mapping[str, str]


@dataclasses.dataclass
class _Rows:
    """The rows laid out so far, with the P cells to footnote and embolden."""

    rows: list[dict[str, str]] = dataclasses.field(default_factory=list)
    tested: list[tuple[int, Any]] = dataclasses.field(default_factory=list)
    bold: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    var_notes: list[Footnote] = dataclasses.field(default_factory=list)
    headings_done: set[str] = dataclasses.field(default_factory=set)
    used_zero_text: bool = False


def _merged_level_labels(
    level_labels: Mapping[str, Mapping[str, str]] | None,
) -> dict[str, dict[str, str]]:
    """:data:`DEFAULT_LEVEL_LABELS` extended by the caller's ``level_labels``."""
    lev_labels: dict[str, dict[str, str]] = {k: dict(v) for k, v in DEFAULT_LEVEL_LABELS.items()}
    for var, mapping in (level_labels or {}).items():
        lev_labels.setdefault(var, {}).update(mapping)
    return lev_labels


def _block_of(frame: pd.DataFrame, blocks: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Variable → its block heading, for the block members the summary has."""
    present = set(map(str, pd.unique(frame["variable"])))
    return {v: heading for heading, members in blocks.items() for v in members if v in present}


def _number_row(
    order: Sequence[str], ids: Mapping[str, str], group_n: Mapping[str, int], total: int
) -> dict[str, str]:
    """ "Number of patients, n (%)": each column's N and its share of all patients."""
    # a top-level row (not indented under a heading), hence row_type "label"
    number = {"variable": "n", "row_type": "label", "label": "Number of patients, n (%)"}
    for g in order:
        if g in group_n:
            number[ids[g]] = n_pct(group_n[g], 100.0 * group_n[g] / total)
    return number


def _add_variable(out: _Rows, layout: _Layout, variable: Any, part: pd.DataFrame) -> None:
    """One variable's rows: its heading row (P value, footnotes), then its levels or stats; a
    block member's single "yes" row (under the block heading, added once)."""
    first = part.iloc[0]
    p, test = _variable_value(part, "p_value"), _variable_value(part, "test")
    block = layout.block_of.get(str(variable))
    if block is not None:
        row = _block_row(out, layout, variable, part, block, p)
    else:
        row = {"variable": str(variable), "row_type": "label", "label": str(first["label"])}
        row["label"] = en_dash(row["label"])
        row["p"] = p_cell(p, layout.display)
    if not is_missing(p):
        out.tested.append((len(out.rows), test))
        if is_significant(p, layout.alpha):
            out.bold.append((len(out.rows), "p"))
    if variable in layout.notes_by_var:
        note = Footnote(layout.notes_by_var[variable], column="label", rows=(len(out.rows),))
        out.var_notes.append(note)
    out.rows.append(row)
    if block is not None:
        return
    levels = part["level"]
    categorical = part[levels.notna() & (levels.astype("string") != "")]
    if len(categorical):
        out.rows += _level_rows(str(variable), categorical, layout)
    else:
        out.rows += _continuous_rows(
            str(variable), part, layout.ids, layout.digits.get(str(variable))
        )


def _block_row(
    out: _Rows, layout: _Layout, variable: Any, part: pd.DataFrame, block: str, p: Any
) -> dict[str, str]:
    """A block member's row (its "yes" counts), after the block's heading row if not yet
    added; a zero count prints ``zero_text``."""
    if block not in out.headings_done:
        out.headings_done.add(block)
        out.rows.append({"variable": block, "row_type": "label", "label": f"{block}, n (%)"})
    row = {
        "variable": str(variable),
        "row_type": "level",
        "label": en_dash(_block_item_label(str(part.iloc[0]["label"]))),
        "p": p_cell(p, layout.display),
    }
    yes = part[part["level"].astype("string").isin(_YES_LEVELS)]
    for _, c in yes.iterrows():
        if c["group"] in layout.ids:
            zero = not is_missing(c["n"]) and int(c["n"]) == 0 and bool(layout.zero_text)
            out.used_zero_text |= zero
            row[layout.ids[c["group"]]] = (
                layout.zero_text if zero else _count_cell(c, layout.group_n.get(c["group"]))
            )
    return row


def _level_rows(variable: str, categorical: pd.DataFrame, layout: _Layout) -> list[dict[str, str]]:
    """One indented "n (%)" row per level of a categorical variable."""
    rows: list[dict[str, str]] = []
    for level in pd.unique(categorical["level"].astype("string")):
        row = {
            "variable": variable,
            "row_type": "level",
            "label": en_dash(_level_label(variable, str(level), layout.level_labels)),
        }
        cells = categorical[categorical["level"].astype("string") == level]
        for _, c in cells.iterrows():
            if c["group"] in layout.ids:
                row[layout.ids[c["group"]]] = _count_cell(c, layout.group_n.get(c["group"]))
        rows.append(row)
    return rows


def _group_sizes(frame: pd.DataFrame, order: Sequence[str]) -> dict[str, int]:
    """Column N: the largest denominator recorded for the group (no missing values)."""
    den = frame.dropna(subset=["denominator"]).groupby("group")["denominator"].max()
    return {g: int(den[g]) for g in order if g in den.index}


def _block_item_label(label: str) -> str:
    """ "Previous somatostatin analogue" → "Somatostatin analogue" (the heading says it)."""
    for prefix in ("Previous ", "Prior "):
        if label.startswith(prefix) and len(label) > len(prefix):
            rest = label[len(prefix) :]
            return rest[:1].upper() + rest[1:]
    return label


def _variable_value(part: pd.DataFrame, column: str) -> Any:
    values = part[column].dropna()
    return values.iloc[0] if len(values) else None


def _level_label(variable: str, level: str, level_labels: Any) -> str:
    if level_labels and variable in level_labels and level in level_labels[variable]:
        return str(level_labels[variable][level])
    if variable in LABELS and level in LABELS[variable]:
        return LABELS[variable][level]
    return _YES_NO.get(level, level)


def _count_cell(c: pd.Series, column_n: int | None) -> str:
    n, d, pct = c["n"], c["denominator"], c["pct"]
    if is_missing(n):
        return ""
    if is_missing(pct):
        return str(int(n))
    if column_n is not None and not is_missing(d) and int(d) != column_n:
        return f"{int(n)}/{int(d)} ({num(pct, 1)})"
    return n_pct(int(n), float(pct))


def _continuous_rows(
    variable: str, part: pd.DataFrame, ids: Mapping[str, str], digits: int | None
) -> list[dict[str, str]]:
    med = {"variable": variable, "row_type": "stat", "label": "Median (min–max)"}
    mean = {"variable": variable, "row_type": "stat", "label": "Mean ± SD"}
    d_med = 0 if digits is None else digits
    d_mean = 2 if digits is None else digits
    for _, c in part.iterrows():
        gid = ids.get(c["group"])
        if gid is None:
            continue
        if "median" in c and not is_missing(c["median"]):
            med[gid] = f"{num(c['median'], d_med)} ({num(c['min'], d_med)}–{num(c['max'], d_med)})"
        if "mean" in c and not is_missing(c["mean"]):
            mean[gid] = f"{num(c['mean'], d_mean)} ± {num(c['sd'], d_mean)}"
    return [med, mean]
