"""Rules on the numbers: the prose's headline values, n/N/%, confidence intervals, table sums."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from captemstats.docaudit._base import Check, Context, rule
from captemstats.docaudit._document import Table
from captemstats.formatting import format_number

if TYPE_CHECKING:
    from captemstats.prose import ProseNumbers

NUM = r"\d+(?:\.\d+)?"
_ENDPOINTS = {"pfs": r"PFS|[Pp]rogression-free", "os": r"\bOS\b|[Oo]verall survival"}
_MEASURES = {"ORR": r"ORR|[Oo]bjective response", "DCR": r"DCR|[Dd]isease control"}
_LIST_SEP = r"(?:,\s+and\s+|,\s+|\s+and\s+)"
_UNIT = r"(?:\s*months)?"


def _token(value: str) -> str:
    """``value`` as a whole printed token: not part of a longer number."""
    return rf"(?<![\w.]){re.escape(value)}(?![\d]|\.\d)"


def _headline(ctx: Context) -> list[tuple[str, str, str, bool]]:
    """(name, context pattern, value pattern, in prose) for every headline number, each
    computed by :class:`captemstats.prose.ProseNumbers`; a value in the prose must be in a
    sentence matching its context pattern, a ``False`` one anywhere in the document."""
    t = ctx.txt
    out: list[tuple[str, str, str, bool]] = [
        ("patients analysed", r"patients", _token(str(t.n)), True),
        ("patients in the registry", r"registry|held", _token(str(t.n_input)), True),
        ("patients excluded", r"exclu", _token(t.n_excluded), True),
        ("centres", r"centres|centers|hospitals", _token(str(t.n_centres)), True),
        ("median follow-up", r"follow-up", _token(t.followup_median), True),
        # a shared version withholds the range (two patients' times) and says so
        ("follow-up range", r"follow-up", _token(_followup_range(t)), True),
        ("median age", r"\bage\b", _token(t.continuous("age")), True),
        # as printed: the withheld mark when the decision hides the number evaluable
        ("patients evaluable", r"evaluable", _token(t.evaluable()), True),
        ("grade 3–4 adverse events", r"[Gg]rade 3", _token(t.grade34), True),
    ]
    for e, ctx_pattern in _ENDPOINTS.items():
        name = e.upper()
        out.append((f"median {name}", ctx_pattern, _token(t.median(e)), True))
        out.append((f"median {name} (95% CI)", ctx_pattern, _token(t.median(e, ci=True)), True))
        groups = ctx.res.km(e, "line_group").km.groups
        values = [t.median(e, "line_group", g) for g in groups]
        out.append((f"median {name} by line", ctx_pattern, _series(values, _UNIT), True))
        logrank = _token(t.p_logrank(e, "line_group"))
        out.append((f"log-rank P of {name} by line", ctx_pattern, logrank, True))
        for g in groups:
            ci = t.median(e, "line_group", g, ci=True)
            out.append((f"median {name}, line {g} (95% CI)", "", _token(ci), False))
    for m, ctx_pattern in _MEASURES.items():
        out.append((f"{m} (95% CI)", ctx_pattern, _token(t.rate(m, ci=True)), True))
        groups = [g for g in ("1", "2", "3+") if g in ctx.res.n_by_line]
        out.append((f"{m} by line", ctx_pattern, _series([t.rate(m, g) for g in groups]), True))
    return out


def _followup_range(t: ProseNumbers) -> str:
    """The follow-up range as the prose prints it: the range, or in a shared version the
    sentence that says it is withheld (:attr:`ProseNumbers.followup_spread`)."""
    return t.followup_range if t.min_cell is None else t.followup_spread


def _series(values: list[str], unit: str = "") -> str:
    """The values printed as a list in order ("16.1, 7.9 and 9.6")."""
    parts = [_token(v) + unit for v in values]
    return _LIST_SEP.join(parts)


@rule("prose_number", "a headline number of the prose equals the value it is computed from")
def prose_numbers(ctx: Context) -> Iterator[Check]:
    for name, context, value, in_prose in _headline(ctx):
        pattern = re.compile(value)
        if in_prose:
            hits = [s for s in ctx.sentences if re.search(context, s) and pattern.search(s)]
            where = "prose"
        else:
            hits = [ctx.doc.text] if pattern.search(ctx.doc.text) else []
            where = "document"
        shown = _unescape(value)
        found = "" if hits else f"no sentence with {name!r} prints it"
        yield ctx.check("prose_number", bool(hits), where, hits[0] if hits else name, shown, found)


def _unescape(pattern: str) -> str:
    """A readable form of a value pattern for the report."""
    text = re.sub(r"\(\?<!\[\\w\.\]\)|\(\?!\[\\d\]\|\\\.\\d\)", "", pattern)
    text = text.replace(_LIST_SEP, ", ").replace(_UNIT, "")
    return re.sub(r"\\(.)", r"\1", text)


# -- n / N / % ---------------------------------------------------------------------------------
_N_OF_N = re.compile(rf"(?<![\w./])(\d+)\s*/\s*(\d+)\s*\(({NUM})%\)")
_N_PCT = re.compile(rf"(?<![\w./<])(\d+)\s*\(({NUM})%\)")
_CELL = re.compile(rf"^(\d+)\s*\(({NUM})%?\)$")
_HEADER_N = re.compile(r"\bn\s*=\s*(\d+)")


def _decimals(printed: str) -> int:
    return len(printed.split(".")[1]) if "." in printed else 0


def _pct_ok(n: int, denominator: int, printed: str) -> bool:
    """``printed`` is 100 n / denominator rounded half-up to its own decimals."""
    return denominator > 0 and format_number(100 * n / denominator, _decimals(printed)) == printed


def denominators(ctx: Context) -> dict[str, int]:
    """The denominators a percentage of the prose may use, by name."""
    t = ctx.txt
    out = {"patients analysed": t.n, "patients in the registry": t.n_input}
    out |= {f"line {g}": n for g, n in ctx.res.n_by_line.items()}
    out["patients evaluable"] = t.n_evaluable()
    for g in ctx.res.n_by_line:
        try:
            out[f"evaluable, line {g}"] = t.n_evaluable(g)
        except KeyError:
            continue
    out["adverse-event denominator"] = int(ctx.res.adverse.denominator)
    return out


@rule("n_pct", "every printed n (x%) / n/N (x%) has x = 100 n / N for its denominator")
def n_pct(ctx: Context) -> Iterator[Check]:
    dens = denominators(ctx)
    for s in ctx.sentences:
        for m in _N_OF_N.finditer(s):
            n, d, x = int(m[1]), int(m[2]), m[3]
            ok = _pct_ok(n, d, x)
            want = format_number(100 * n / d, 1) if d else "n/a"
            yield ctx.check("n_pct", ok, "prose", s, f"{n}/{d} = {want}%", m[0])
        for m in _N_PCT.finditer(s):
            if s[: m.start()].rstrip().endswith("/"):
                continue
            n, x = int(m[1]), m[2]
            fits = [k for k, d in dens.items() if _pct_ok(n, d, x)]
            expected = f"{n}/N for N in {sorted(set(dens.values()))}"
            yield ctx.check("n_pct", bool(fits), "prose", s, expected, m[0])
    for table in ctx.tables:
        yield from _table_pcts(ctx, table)


def column_ns(table: Table) -> list[int | None]:
    """Each column's n from its header ("First line (n = 139)"), else None."""
    width = max((len(r) for r in table.rows), default=0)
    out: list[int | None] = [None] * width
    for row in table.rows[: table.header]:
        for j, cell in enumerate(row):
            m = _HEADER_N.search(cell)
            if m:
                out[j] = int(m[1])
    return out


def _table_pcts(ctx: Context, table: Table) -> Iterator[Check]:
    cols = column_ns(table)
    noted = [int(m[1]) for n in table.notes for m in [_HEADER_N.search(n)] if m]
    fallback = noted[0] if len(set(noted)) == 1 else None
    where = table.label or "table"
    for row in table.body:
        parsed = {j: _CELL.match(c) for j, c in enumerate(row) if j < len(cols)}
        counts = {j: m for j, m in parsed.items() if m}
        # A row of the columns' own sizes ("Number of patients") is a share of the first one.
        sizes = bool(counts) and all(cols[j] == int(m[1]) for j, m in counts.items())
        first = next((n for n in cols if n is not None), None)
        for j, m in counts.items():
            d = cols[j] if cols[j] is not None else fallback
            if d is None:
                continue
            n, x = int(m[1]), m[2]
            ok = _pct_ok(n, d, x) or (sizes and first is not None and _pct_ok(n, first, x))
            want = format_number(100 * n / d, _decimals(x))
            yield ctx.check("n_pct", ok, where, " | ".join(row), f"{n}/{d} = {want}", row[j])


# -- confidence intervals ----------------------------------------------------------------------
_LIMIT = rf"({NUM}|NR)"
_DASH = r"\s*[–—-]\s*"
_CI_PROSE = (
    re.compile(
        rf"(?<![\w.])({NUM})%?(?:\s+(?:months|years))?\s+\((?:\d+%\s+CI,?\s+|CI,?\s+|range,\s+)?"
        rf"{_LIMIT}{_DASH}{_LIMIT}\)"
    ),
    re.compile(rf"\bHR,?\s+({NUM})\s*[;,(]\s*(?:\d+%\s+)?CI,?\s+{_LIMIT}{_DASH}{_LIMIT}"),
)
_CI_CELL = re.compile(rf"^({NUM})%?\s*\({_LIMIT}{_DASH}{_LIMIT}\)$")
_INTERVAL_CELL = re.compile(rf"^{_LIMIT}{_DASH}{_LIMIT}$")
_NUMBER_CELL = re.compile(rf"^({NUM})$")


def _contains(est: str, lo: str, hi: str) -> bool:
    e = float(est)
    return (lo == "NR" or float(lo) <= e) and (hi == "NR" or e <= float(hi))


@rule("ci_contains", "every printed confidence interval (or range) contains its estimate")
def ci_contains(ctx: Context) -> Iterator[Check]:
    for s in ctx.sentences:
        seen: set[int] = set()  # "HR 0.80 (95% CI 0.69–0.93)" matches both patterns: once
        for pattern in _CI_PROSE:
            for m in pattern.finditer(s):
                if m.start(1) in seen:
                    continue
                seen.add(m.start(1))
                ok = _contains(m[1], m[2], m[3])
                yield ctx.check("ci_contains", ok, "prose", s, f"{m[2]} ≤ {m[1]} ≤ {m[3]}", m[0])
    for table in ctx.tables:
        yield from _table_cis(ctx, table)


def _estimate(cell: str) -> str | None:
    m = _CELL.match(cell) or _NUMBER_CELL.match(cell)
    return None if m is None else m[m.lastindex or 1]


def _table_cis(ctx: Context, table: Table) -> Iterator[Check]:
    where = table.label or "table"
    heads = [" ".join(col) for col in zip(*table.rows[: table.header], strict=False)]
    previous: tuple[str, ...] = ()
    for row in table.body:
        is_ci_row = bool(row) and row[0].startswith(("95% CI", "CI"))
        for j, cell in enumerate(row):
            m = _CI_CELL.match(cell)
            if m:
                ok = _contains(m[1], m[2], m[3])
                yield ctx.check("ci_contains", ok, where, cell, f"{m[2]} ≤ {m[1]} ≤ {m[3]}", cell)
                continue
            iv = _INTERVAL_CELL.match(cell)
            if iv is None or j == 0:
                continue
            # The estimate is the row above (a "95% CI" row) or the cell before a CI column.
            if is_ci_row and j < len(previous):
                est = _estimate(previous[j])
            elif j < len(heads) and "CI" in heads[j]:
                est = _estimate(row[j - 1])
            else:
                continue
            if est is not None:
                ok = _contains(est, iv[1], iv[2])
                yield ctx.check(
                    "ci_contains", ok, where, " | ".join(row), f"{iv[1]} ≤ {est} ≤ {iv[2]}", cell
                )
        previous = row


# -- table sums ----------------------------------------------------------------------------------
_COUNT = re.compile(rf"^(\d+)(?:\s*\({NUM}%?\))?$")
_SUPPRESSED = re.compile(r"^(<\s*\d+|[—–-]|NA)$")


@rule("table_sum", "the level counts of a table block add up to the column's header n")
def table_sum(ctx: Context) -> Iterator[Check]:
    for table in ctx.tables:
        cols = column_ns(table)
        count_cols = [j for j, n in enumerate(cols) if n is not None]
        if not count_cols:
            continue
        for label, levels in _blocks(table, count_cols):
            if len(levels) < 2 or any(_SUPPRESSED.match(r[j]) for r in levels for j in count_cols):
                continue  # a suppressed or empty cell: the sum is not printed
            sums = {j: sum(_count(r[j]) for r in levels) for j in count_cols}
            # A block whose levels add up in no column is not a partition (several yes/no
            # rows under one heading, as "Previous treatment"): it states no sum.
            if not any(sums[j] == cols[j] for j in count_cols):
                continue
            for j in count_cols:
                head = table.rows[0][j] if table.rows else ""
                yield ctx.check(
                    "table_sum",
                    sums[j] == cols[j],
                    table.label or "table",
                    f"{label} ({len(levels)} levels), column {head!r}",
                    f"n = {cols[j]}",
                    f"levels sum to {sums[j]}",
                )


def _count(cell: str) -> int:
    m = _COUNT.match(cell)
    if m is None:  # _blocks admits only counts and suppressed cells, and those are skipped
        raise ValueError(f"not a count: {cell!r}")
    return int(m[1])


def _blocks(table: Table, count_cols: list[int]) -> Iterator[tuple[str, list[tuple[str, ...]]]]:
    """(heading, level rows): a row whose count columns are all empty opens a block; the
    rows below it with a count (or a suppressed cell) in every count column and nothing in
    the other columns are its levels; any other row closes it."""
    label: str | None = None
    levels: list[tuple[str, ...]] = []
    for row in table.body:
        if len(row) <= max(count_cols):
            continue
        cells = [row[j] for j in count_cols]
        others = [c for j, c in enumerate(row) if j and j not in count_cols]
        if row[0] and all(not c for c in cells):
            if label is not None:
                yield label, levels
            label, levels = row[0], []
        elif (
            label is not None
            and all(_COUNT.match(c) or _SUPPRESSED.match(c) for c in cells)
            and not any(others)
        ):
            levels.append(row)
        else:
            if label is not None:
                yield label, levels
            label, levels = None, []
    if label is not None:
        yield label, levels
