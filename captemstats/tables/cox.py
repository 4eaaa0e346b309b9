"""Table 3: Cox regression for PFS and OS side by side (HR, 95% CI, P)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from captemstats.tables._common import (
    BOLD_NOTE,
    is_missing,
    is_significant,
    method_text,
    num,
    p_cell,
)
from captemstats.tables.table import Column, Footnote, Table
from captemstats.term_labels import DEFAULT_REFERENCES as DEFAULT_REFERENCES  # re-exported
from captemstats.term_labels import cox_terms as cox_terms  # re-exported

if TYPE_CHECKING:
    from captemstats.survival.cox import CoxResult, CoxResultCollection

#: Footnotes on a term's label, keyed by the covariate column (the paper's Table 3 note).
DEFAULT_TERM_FOOTNOTES: dict[str, str] = {
    "first_line": "Subsequent therapies: CAPTEM given as second, third or later line.",
}


def cox_table(
    pfs: CoxResult | CoxResultCollection,
    os: CoxResult | CoxResultCollection,
    *,
    model_labels: Sequence[str] = ("Progression-free survival", "Overall survival"),
    term_labels: Mapping[str, str] | None = None,
    references: Mapping[str, str] | None = None,
    term_footnotes: Mapping[str, str] | None = None,
    title: str = "Cox regression analysis of variables associated with PFS and OS",
    digits: int = 2,
    alpha: float = 0.05,
    footnotes: Sequence[str] = (),
) -> Table:
    """Table 3 layout: one row per covariate, HR / 95% CI / P for each model under a spanner.

    Rows follow the PFS model's term order, then terms only in the OS model; a term absent
    from one model prints empty cells there. Reference levels are spelled out in the row
    label ("Gender (male vs. female)", see :func:`cox_terms`; ``term_labels`` keyed by term
    replaces a label). P values are formatted by :func:`captemstats.formatting.format_p`
    and bold when < ``alpha``.

    Footnotes: each model's size on its HR header (patients, events and patients excluded
    for a missing covariate, from ``result.n``, ``n_events``, ``n_excluded``); that the
    terms were entered together (one multivariable model per endpoint); the method
    (``result.method``: ties, variance, CI); and ``term_footnotes`` keyed by covariate
    column (default :data:`DEFAULT_TERM_FOOTNOTES`: what "subsequent therapies" are).

    Parameters
    ----------
    pfs, os
        The Cox models of the two endpoints (:func:`captemstats.survival.cox_ph`).
    model_labels
        The spanner labels of the two models.
    term_labels
        Row label per term.
    references
        Reference-level text per term.
    term_footnotes
        Footnote per covariate column.
    title
        The table's title.
    digits
        Decimals of HRs and CIs.
    alpha
        P values below it are bold.
    footnotes
        Extra footnotes.

    Returns
    -------
    Table
        Display content (``data``), column headers, title and footnotes; ``gt()`` gives the
        great_tables table, ``as_html()``, ``to_csv()`` and ``to_excel()`` write it.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> d = derive_cohort(read_registry("data/registry")).data
    >>> from captemstats.survival import cox_ph
    >>> pfs = cox_ph(d, "pfs_months", "pfs_event", ["ecog_0_1", "first_line"])
    >>> os = cox_ph(d, "os_months", "os_event", ["ecog_0_1", "first_line"])
    >>> cox_table(pfs, os).data[["label", "pfs_hr", "pfs_ci", "pfs_p", "os_hr", "os_ci", "os_p"]]
            label pfs_hr     pfs_ci pfs_p os_hr      os_ci os_p
    0    ecog_0_1   0.97  0.65–1.44   .89  0.75  0.46–1.22  .25
    1  first_line   0.69  0.53–0.90  .005  0.68  0.48–0.94  .02
    """
    models = {
        "pfs": cox_terms(pfs, references=references),
        "os": cox_terms(os, references=references),
    }
    order, label_of, column_of = _term_order(models, term_labels)
    rows, bold = _term_rows(models, order, label_of, digits, alpha)
    cols: list[Column] = []
    for key, spanner in zip(models, model_labels, strict=True):
        cols += [
            Column(f"{key}_hr", "HR", spanner),
            Column(f"{key}_ci", "95% CI", spanner),
            Column(f"{key}_p", "P value", spanner),
        ]
    notes = _model_notes(pfs, os)
    by_column = DEFAULT_TERM_FOOTNOTES if term_footnotes is None else term_footnotes
    for i, term in enumerate(order):
        text = by_column.get(column_of[term]) or by_column.get(term)
        if text:
            notes.append(Footnote(text, column="label", rows=(i,)))
    notes += [Footnote(text) for text in _methods(pfs, os)]
    notes += [Footnote(text) for text in footnotes]
    return Table.from_rows(
        rows,
        cols,
        title=title,
        stub_header="Variable",
        footnotes=tuple(notes),
        notes=(BOLD_NOTE,) if bold else (),
        bold=tuple(bold),
    )


def _term_order(
    models: Mapping[str, Any], term_labels: Mapping[str, str] | None
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """The row order (the PFS model's terms, then those only in the OS model), each term's
    printed label and its covariate column."""
    order: list[str] = []
    label_of: dict[str, str] = {}
    column_of: dict[str, str] = {}
    for frame in models.values():
        for term, column, label in zip(frame["term"], frame["column"], frame["label"], strict=True):
            if term not in label_of:
                order.append(term)
                label_of[term] = (term_labels or {}).get(term, label)
                column_of[term] = column
    return order, label_of, column_of


def _term_rows(
    models: Mapping[str, Any],
    order: Sequence[str],
    label_of: Mapping[str, str],
    digits: int,
    alpha: float,
) -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
    """One row per term, HR / 95% CI / P per model (empty where the model lacks the term),
    and the significant P cells to embolden."""
    rows: list[dict[str, str]] = []
    bold: list[tuple[int, str]] = []
    for i, term in enumerate(order):
        row = {"variable": term, "row_type": "stat", "label": label_of[term]}
        for key, frame in models.items():
            hit = frame[frame["term"] == term]
            if hit.empty:
                continue
            r = hit.iloc[0]
            row[f"{key}_hr"] = num(r["hr"], digits)
            row[f"{key}_ci"] = f"{num(r['lower'], digits)}–{num(r['upper'], digits)}"
            row[f"{key}_p"] = p_cell(r["p_value"])
            if is_significant(r["p_value"], alpha):
                bold.append((i, f"{key}_p"))
        rows.append(row)
    return rows, bold


def _model_notes(pfs: Any, os: Any) -> list[Footnote]:
    """Each model's size on its HR header, then the design note (the terms entered together
    or one model per variable) when both models share it."""
    notes: list[Footnote] = []
    for key, result in (("pfs", pfs), ("os", os)):
        size = _model_size(result)
        if size:
            notes.append(Footnote(size, column=f"{key}_hr"))
    kinds = {_model_kind(result) for result in (pfs, os)}
    design = {
        "multivariable": "Multivariable models: the terms of each endpoint were entered together",
        "univariable": "Univariable models: one Cox model per variable and endpoint",
    }
    if len(kinds) == 1 and (kind := kinds.pop()) in design:
        notes.append(
            Footnote(f"{design[kind]}; HR > 1 means a higher hazard for the first-named level.")
        )
    return notes


def _parts(result: Any) -> list[Any]:
    """The single models of a result: a ``CoxResultCollection``'s ``results`` or itself."""
    inner = getattr(result, "results", None)
    return list(inner) if isinstance(inner, list | tuple) else [result]


def _model_kind(result: Any) -> str:
    """ "univariable" (a collection of one-term models), "multivariable" (one model with
    several terms) or "" (a single term)."""
    parts = _parts(result)
    if len(parts) > 1:
        return "univariable"
    return "multivariable" if len(result.to_frame()) > 1 else ""


def _count_text(values: list[int], noun: str) -> str:
    """ "283 patients" or, when the models differ, "283–308 patients"."""
    lo, hi = min(values), max(values)
    return f"{lo} {noun}" if lo == hi else f"{lo}–{hi} {noun}"


def _model_size(result: Any) -> str:
    """ "283 patients, 258 events; 25 patients with a missing covariate excluded." for a
    model; the range over the models of a collection ("per model"); "" if unrecorded."""
    parts = _parts(result)
    ns = [getattr(r, "n", None) for r in parts]
    events = [getattr(r, "n_events", None) for r in parts]
    if any(not isinstance(x, int | float) or is_missing(x) for x in (*ns, *events)):
        return ""
    text = (
        f"{_count_text([int(x) for x in ns], 'patients')}, "  # type: ignore[arg-type]
        f"{_count_text([int(x) for x in events], 'events')}"  # type: ignore[arg-type]
    )
    if len(parts) > 1:
        return text + " per model."
    excluded = getattr(result, "n_excluded", None)
    if isinstance(excluded, int | float) and not is_missing(excluded) and int(excluded) > 0:
        k = int(excluded)
        text += f"; {k} {'patient' if k == 1 else 'patients'} with a missing covariate excluded"
    return text + "."


def _methods(*results: Any) -> list[str]:
    """Distinct method descriptions recorded on the results (MethodInfo or text)."""
    seen: list[str] = []
    for result in results:
        for part in _parts(result):
            text = method_text(getattr(part, "method", None))
            if text and text not in seen:
                seen.append(text)
    return seen


def _method_text(method: Any) -> str:
    """A footnote sentence from a ``survival.MethodInfo`` (or a plain string)."""
    return method_text(method)
