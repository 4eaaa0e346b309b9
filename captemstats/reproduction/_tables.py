"""Rows of Tables 1, 2 and 4: every printed count, percentage, summary and P value beside the
value read from a :class:`~captemstats.analysis.StudyAnalysis` (nothing is estimated here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from captemstats.reproduction._base import number, row
from captemstats.reproduction.rules import Kind, verdict

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.analysis import StudyAnalysis
    from captemstats.published import PublishedStudy

#: Published level codes of yes/no rows -> the analysis' level codes.
_LEVELS = {"yes": "True", "no": "False"}
#: Table 2's P column: the row it is printed in -> the test it reports (the CR row's P is the
#: test of the whole CR/PR/SD/PD distribution, :mod:`captemstats.audit`).
TABLE2_TESTS = {"CR": "distribution", "ORR": "ORR", "DCR": "DCR"}
#: Table 1 continuous variables -> kind of value.
_CONTINUOUS_KIND: dict[str, Kind] = {"age": "years", "cycles": "cycles"}


def _index(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], dict[str, Any]]:
    records: list[dict[str, Any]] = frame.to_dict(orient="records")  # type: ignore[assignment]
    return {tuple(str(r[k]) for k in keys): r for r in records}


def _cell_rows(
    table: str,
    where: str,
    variable: str,
    group: str,
    printed: str,
    n: Any,
    pct: Any,
    rec_n: Any,
    rec_pct: Any,
    *,
    audit_item: tuple[str, str],
    key: str,
    denominator_key: str,
) -> list[dict[str, Any]]:
    """A printed ``n (%)`` cell: its count row and, unless a dash, its percentage row."""
    audit_table, item = audit_item
    dash = printed.strip() == "—"
    count_print = "—" if dash else printed.split(" ", 1)[0]
    rows = [
        row(
            "count",
            "count",
            table,
            where,
            variable,
            group,
            count_print,
            0 if dash else n,
            rec_n,
            audit=((audit_table, item, "n"),),
            disclosure_key=key,
        )
    ]
    if not dash and pct is not None:
        rows.append(
            row(
                "percentage",
                "percentage",
                table,
                where,
                variable,
                group,
                str(pct),
                pct_value(str(pct)),
                rec_pct,
                audit=((audit_table, item, "pct"), (audit_table, item, "printed")),
                disclosure_key=" ".join(dict.fromkeys((key, denominator_key))),
            )
        )
    return rows


def pct_value(printed: str) -> float:
    """The number in a printed percentage (``"31.9)"`` → 31.9)."""
    from captemstats.published import parse_printed_number

    parsed = parse_printed_number(printed)
    return number(None if parsed is None else parsed[0])


def _p_row(
    table: str, where: str, variable: str, printed: str, value: float, rec: Any, ap: Any, item: str
) -> dict[str, Any]:
    from captemstats.methods import AS_PUBLISHED

    out = row("P value", "p_value", table, where, variable, "", printed, value, rec)
    out["_audit"] = ((table.lower().replace(" ", ""), item, "p_value"),)
    ap_value = number(ap)
    ap_printed = AS_PUBLISHED.format_p(ap_value)
    out["recomputed_as_published"] = ap_value
    out["as_published_printed"] = ap_printed
    out["verdict_as_published"] = verdict(
        "p_value", printed, value, ap_value, recomputed_printed=ap_printed
    )
    return out


def table1_rows(
    res: StudyAnalysis, study: PublishedStudy, tests: Mapping[str, pd.DataFrame]
) -> list[dict[str, Any]]:
    """Table 1: group sizes, every ``n (%)`` cell, the continuous summaries and the P values
    (``tests``: the categorical tests under the "recommended" and "as_published" profiles,
    :func:`captemstats.reanalysis.categorical_tests`)."""
    chars = res.characteristics.to_frame()
    cat = _index(chars[chars["type"] == "categorical"], ["variable", "level", "group"])
    cont = _index(chars[chars["type"] == "continuous"], ["variable", "group"])
    sizes = {"all": res.n, **res.n_by_line}
    rows: list[dict[str, Any]] = []
    for h in study.table1.groups:
        n = sizes.get(h.group)
        rows += _cell_rows(
            "Table 1",
            h.cell.where,
            "patients",
            h.group,
            h.cell.printed,
            h.cell.n,
            h.cell.pct,
            n,
            None if n is None else 100 * n / res.n,
            audit_item=("table1", f"patients/{h.group}"),
            key=f"t1|N|{h.group}",
            denominator_key="t1|N|all",
        )
    for c in study.table1_frame().to_dict(orient="records"):
        var, level, group = str(c["variable"]), str(c["level"]), str(c["group"])
        got = cat.get((var, _LEVELS.get(level, level), group), {})
        rows += _cell_rows(
            "Table 1",
            str(c["where"]),
            f"{var}: {level}",
            group,
            str(c["printed"]),
            c["n"],
            c["pct"],
            got.get("n"),
            got.get("pct"),
            audit_item=("table1", f"{var}/{level}/{group}"),
            key=f"t1|{var}|{_LEVELS.get(level, level)}|{group}",
            denominator_key=f"t1|N|{group}",
        )
    for s in study.table1_continuous_frame().to_dict(orient="records"):
        var, stat, group = str(s["variable"]), str(s["stat"]), str(s["group"])
        rows.append(
            row(
                stat,
                _CONTINUOUS_KIND[var],
                "Table 1",
                str(s["where"]),
                var,
                group,
                str(s["printed"]),
                s["value"],
                cont.get((var, group), {}).get(stat),
                audit=(("table1_continuous", f"{var}/{stat}/{group}", stat),),
                disclosure_key=f"t1|N|{group}",
            )
        )
    rec = _p_by_variable(tests["recommended"], "table1")
    ap = _p_by_variable(tests["as_published"], "table1")
    for p in study.table1_p_frame().to_dict(orient="records"):
        var = str(p["variable"])
        rows.append(
            _p_row(
                "Table 1",
                str(p["where"]),
                var,
                str(p["printed"]),
                float(p["value"]),
                rec.get(var),
                ap.get(var),
                var,
            )
        )
    return rows


def _p_by_variable(tests: pd.DataFrame, table: str) -> dict[str, float]:
    sub = tests[tests["table"] == table]
    return {str(v): float(p) for v, p in zip(sub["variable"], sub["p_value"], strict=True)}


def table2_rows(
    res: StudyAnalysis, study: PublishedStudy, tests: Mapping[str, pd.DataFrame]
) -> list[dict[str, Any]]:
    """Table 2: the denominators, every ``n (%)`` cell and the P values (``tests`` as for
    :func:`table1_rows`)."""
    rates = res.response_rates.table.copy()
    rates["group"] = rates["group"].astype(str).replace({"All patients": "all"})
    got = _index(rates, ["measure", "group"])
    sizes = {str(g): int(n) for g, n in zip(rates["group"], rates["n"], strict=True)}
    rows: list[dict[str, Any]] = []
    for h in study.table2.groups:
        rows.append(
            row(
                "count",
                "count",
                "Table 2",
                h.denominator.where,
                "evaluable patients",
                h.group,
                str(h.denominator.value),
                h.denominator.value,
                sizes.get(h.group),
                audit=(("table2", f"denominator/{h.group}", "n"),),
                disclosure_key=f"t2|N|{h.group}",
            )
        )
    for c in study.table2_frame().to_dict(orient="records"):
        resp, group = str(c["response"]), str(c["group"])
        g = got.get((resp, group), {})
        count, prop = g.get("count"), number(g.get("proportion"))
        rows += _cell_rows(
            "Table 2",
            str(c["where"]),
            resp,
            group,
            str(c["printed"]),
            c["n"],
            c["pct"],
            count,
            100 * prop,
            audit_item=("table2", f"{resp}/{group}"),
            key=f"t2|{resp}|{group}",
            denominator_key=f"t2|N|{group}",
        )
    rec = _p_by_variable(tests["recommended"], "table2")
    ap = _p_by_variable(tests["as_published"], "table2")
    for r in study.table2.responses:
        if r.p_value is None:
            continue
        test = TABLE2_TESTS[r.response]
        rows.append(
            _p_row(
                "Table 2",
                r.p_value.where,
                test,
                r.p_value.printed,
                r.p_value.value,
                rec.get(test),
                ap.get(test),
                r.response,
            )
        )
    return rows


def table4_rows(res: StudyAnalysis, study: PublishedStudy) -> list[dict[str, Any]]:
    """Table 4: the denominator and every printed ``n (%)`` cell (blank cells print nothing)."""
    ae = res.adverse.to_frame()
    got = _index(ae, ["term", "band"])
    den = study.table4.denominator
    denominators = sorted({int(d) for d in ae["denominator"]})
    rows = [
        row(
            "count",
            "count",
            "Table 4",
            den.where,
            "patients",
            "all",
            str(den.value),
            den.value,
            denominators[0] if len(denominators) == 1 else None,
            audit=(("table4", "denominator", "n"),),
            disclosure_key="t1|N|all",
        )
    ]
    for c in study.table4_frame().to_dict(orient="records"):
        if c["printed"] is None:
            continue
        term, band = str(c["term"]), str(c["band"])
        g = got.get((term, band), {})
        rows += _cell_rows(
            "Table 4",
            str(c["where"]),
            term,
            band,
            str(c["printed"]),
            c["n"],
            c["pct"],
            g.get("n"),
            g.get("pct"),
            audit_item=("table4", f"{term}/{band}"),
            key=f"t4|{term}|{band}",
            denominator_key="t1|N|all",
        )
    return rows
