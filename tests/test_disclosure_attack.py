"""Attacker test: everything one ``--min-cell K`` render publishes must not recover a count < K.

The attacker is written independently of :mod:`captemstats.privacy` and
:mod:`captemstats.disclosure`. It renders the shared manuscript (HTML and DOCX) and the shared
``analyze`` export for K = 5 and 10 on the shipped registry, reads every published number it
understands (table cells and header n of the HTML, DOCX and CSV tables; the prose sentences
that quote counts, rates and ranges; the footnotes), and writes them as a system over the
true counts of the study:

* each published count fixes its cell, ``<K`` bounds it to 1..K-1, ``—`` fixes it to 0,
  ``*`` only bounds it by the cohort size;
* a printed percentage ``p`` of a count ``n`` over a denominator ``d`` gives
  ``(p - 0.05) d <= 100 n <= (p + 0.05) d`` (one decimal);
* the study's arithmetic, which any reader knows: the levels of a Table 1 variable add up to
  the column n; the lines add up to the all-patients column; CR + PR + SD + non-CR/non-PD + PD
  + NE = the evaluable n, ORR = CR + PR, DCR = ORR + SD + non-CR/non-PD; evaluable =
  treated − not evaluable; the attrition steps (before = excluded + after, each step's after
  = the next step's before, the last after = the cohort); the n of a survival group = its
  Table 1 cell; grade 3-4 patients in Table 4 = Table 1's grade 3-4 row.

Every relation is checked to hold on the truth (so the attacker cannot be wrong, only weak),
then each true count 1..K-1 is minimised and maximised over the integers with
:func:`scipy.optimize.milp`; it is recovered when min == max. Printed ranges (min–max of a
continuous variable) publish individual patients' values and are counted as leaks too.
"""

from __future__ import annotations

import html
import itertools
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

REGISTRY = Path(__file__).parents[1] / "data" / "registry"
ROOT = Path(__file__).parents[1]
LINES = ("1", "2", "3+")
GROUPS = ("all", *LINES)
T2_CODES = ("CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE")
T2_SUFFIX = {
    "(CR)": "CR",
    "(PR)": "PR",
    "(SD)": "SD",
    "(PD)": "PD",
    "(non-CR/non-PD)": "NON_CR_NON_PD",
    "(NE)": "NE",
}
AE_BANDS = {"Grade 1–2": "grade_1_2", "Grade 3": "grade_3", "Grade 4": "grade_4"}
AE_BANDS |= {"Grade 5": "grade_5", "Treatment interruption": "interruption"}
ATTRITION_COLS = ("before", "excluded", "after")

pytestmark = pytest.mark.slow

Relation = tuple[dict[str, float], float, float]  # coefficients, lower, upper


# --------------------------------------------------------------------------- the truth


@dataclass
class Truth:
    """The true counts of the analysis, by key, and the arithmetic a reader knows."""

    values: dict[str, int]
    relations: list[Relation] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def relate(self, coefs: dict[str, float], lo: float = 0.0, hi: float = 0.0) -> None:
        if all(k in self.values for k in coefs):
            total = sum(c * self.values[k] for k, c in coefs.items())
            assert lo - 1e-9 <= total <= hi + 1e-9, (coefs, total)  # the attacker is right
            self.relations.append((coefs, lo, hi))


def truth_of(res: Any) -> Truth:
    v: dict[str, int] = {}
    f = res.characteristics.to_frame()
    cat = f[f["type"] == "categorical"]
    for r in cat.itertuples():
        v[f"t1|{r.variable}|{r.level}|{r.group}"] = int(r.n)
    v["t1|N|all"] = res.n
    for line in LINES:
        v[f"t1|N|{line}"] = res.n_by_line.get(line, 0)
    t = res.response_rates.table
    for r in t.itertuples():
        group = "all" if r.group == "All patients" else str(r.group)
        v[f"t2|{r.measure}|{group}"] = int(r.count)
        v[f"t2|N|{group}"] = int(r.n)
    v["t2|NOTEVAL|all"] = res.n - v["t2|N|all"]
    for r in res.adverse.to_frame().itertuples():
        v[f"t4|{r.term}|{r.band}"] = int(r.n)
    v["ae|grade34"] = int(res.adverse.grade34_patients)
    att = res.cohort.attrition
    v["att|input"] = int(att.n_input)
    v["att|excluded"] = int(att.n_excluded)
    steps = [s.name for s in att.steps]
    for s in att.steps:
        for c in ATTRITION_COLS:
            v[f"att|{s.name}|{c}"] = int(getattr(s, f"n_{c}"))
    for g in ("line_group", "grade", "ki67_group", "primary_site"):
        for r in res.km("pfs", g).to_frame().itertuples():
            v[f"km|{g}|{r.group}"] = int(r.n)
    v["km|all|all"] = res.n

    truth = Truth(v, steps=steps)
    for var in cat["variable"].unique():
        levels = list(pd.unique(cat.loc[cat["variable"] == var, "level"].astype(str)))
        for g in GROUPS:
            truth.relate({f"t1|{var}|{lv}|{g}": 1 for lv in levels} | {f"t1|N|{g}": -1})
        for lv in levels:
            truth.relate({f"t1|{var}|{lv}|{g}": 1 for g in LINES} | {f"t1|{var}|{lv}|all": -1})
    truth.relate({f"t1|N|{g}": 1 for g in LINES} | {"t1|N|all": -1})
    for g in GROUPS:
        truth.relate({f"t2|{c}|{g}": 1 for c in T2_CODES} | {f"t2|N|{g}": -1})
        truth.relate({f"t2|ORR|{g}": 1, f"t2|CR|{g}": -1, f"t2|PR|{g}": -1})
        dcr = {f"t2|{c}|{g}": -1 for c in ("CR", "PR", "SD", "NON_CR_NON_PD")}
        truth.relate({f"t2|DCR|{g}": 1} | dcr)
        truth.relate({f"t2|N|{g}": 1, f"t1|N|{g}": -1}, -np.inf, 0.0)
    for m in (*T2_CODES, "ORR", "DCR", "N"):
        truth.relate({f"t2|{m}|{g}": 1 for g in LINES} | {f"t2|{m}|all": -1})
    truth.relate({"t2|NOTEVAL|all": 1, "t2|N|all": 1, "t1|N|all": -1})
    for s in steps:
        truth.relate({f"att|{s}|before": 1, f"att|{s}|excluded": -1, f"att|{s}|after": -1})
    for a, b in itertools.pairwise(steps):
        truth.relate({f"att|{a}|after": 1, f"att|{b}|before": -1})
    truth.relate({"att|input": 1, f"att|{steps[0]}|before": -1})
    truth.relate({f"att|{steps[-1]}|after": 1, "t1|N|all": -1})
    truth.relate({"att|input": 1, "att|excluded": -1, "t1|N|all": -1})
    for key in [k for k in v if k.startswith("km|")]:
        _, g, level = key.split("|")
        other = "t1|N|" + level if g == "line_group" else f"t1|{g}|{level}|all"
        truth.relate({key: 1, ("t1|N|all" if g == "all" else other): -1})
    truth.relate({"ae|grade34": 1, "t1|grade34_ae|True|all": -1})
    for term in res.adverse.to_frame()["term"].unique():
        bands = ("grade_1_2", "grade_3", "grade_4", "grade_5")
        truth.relate({f"t4|{term}|{b}": 1 for b in bands} | {f"t4|{term}|any_grade": -1})
    return truth


# --------------------------------------------------------------------------- reading outputs


@dataclass
class Published:
    """What the attacker read: cell values and bounds, percentages, ranges."""

    k: int
    n_max: int
    eq: dict[str, set[int]] = field(default_factory=dict)
    bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    pcts: list[tuple[str, str, float]] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)

    def cell(self, key: str, text: str, denominator: str | None) -> None:
        text = text.strip()
        m = re.fullmatch(r"(\d+)(?:/\d+)?(?: \((\d+(?:\.\d+)?)%?\))?", text)
        if m:
            self.eq.setdefault(key, set()).add(int(m.group(1)))
            if m.group(2) and denominator:
                self.pcts.append((key, denominator, float(m.group(2))))
        elif text == "—":
            self.eq.setdefault(key, set()).add(0)
        elif re.fullmatch(r"<\s?(\d+)(?: \(.*\))?", text):
            self.bounds[key] = (1, int(re.findall(r"\d+", text)[0]) - 1)
        elif re.fullmatch(r"\*|<\d+ \(\*\)", text):
            self.bounds.setdefault(key, (0, self.n_max))
        elif re.fullmatch(r"[\d.]+ \(range, [\d.]+–[\d.]+\)|[\d.]+ \([\d.]+–[\d.]+\)", text):
            self.ranges.append(f"{key}: {text}")


class _Tables(HTMLParser):
    """Every <table> of an HTML page as rows of cell texts (footnote marks dropped)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif (tag == "span" and "footnote_marks" in cls) or (tag == "span" and self._skip):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._skip:
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def _kind(labels: list[str]) -> str | None:
    joined = " | ".join(labels)
    for kind, marker in (
        ("t1", "Number of patients"),
        ("t2", "Best overall response"),
        ("t4", "Platelet count decreased"),
        ("att", "Metastatic neuroendocrine tumour"),
        ("km", "Treatment line"),
    ):
        if marker in joined:
            return kind
    return None


def _row_keys(kind: str, rows: pd.DataFrame, truth: Truth) -> list[str | None]:
    """The truth key prefix of each body row of a table, from its tidy (CSV) layout."""
    keys: list[str | None] = []
    if kind == "att":
        return [f"att|{s}" for s in truth.steps]
    levels: dict[str, list[str]] = {}
    for key in truth.values:
        parts = key.split("|")
        if parts[0] == "t1" and parts[1] != "N" and parts[3] == "all":
            levels.setdefault(parts[1], []).append(parts[2])
    seen: dict[str, int] = {}
    for r in rows.itertuples():
        var, rtype, label = str(r.variable), str(r.row_type), str(r.label)
        key: str | None = None
        if kind == "t1" and var == "n":
            key = "t1|N"
        elif kind == "t1" and rtype == "level":
            lv = levels[var]
            i = seen.get(var, 0)
            seen[var] = i + 1
            # levels print in the analysis' order; a lone row (previous treatments) is "yes"
            single = int((rows["variable"] == var).sum()) == 1
            key = f"t1|{var}|{'True' if single else lv[i]}"
        elif kind == "t2" and rtype == "level":
            key = next((f"t2|{c}" for s, c in T2_SUFFIX.items() if label.endswith(s)), None)
        elif kind == "t2" and var in ("ORR", "DCR") and rtype == "label":
            key = f"t2|{var}"
        elif kind == "t4":
            key = "ae|grade34" if var == "grade34_any" else f"t4|{var}"
        elif kind == "km" and rtype in ("level", "label") and var == "all":
            key = "km|all|all"
        elif kind == "km" and rtype == "level":
            key = f"km|{var}|{label}"
        keys.append(key)
    return keys


def _col_key(kind: str, j: int, header: str) -> str | None:
    if kind in ("t1", "t2"):
        return GROUPS[j] if j < 4 else None
    if kind == "t4":
        return next((b for lab, b in AE_BANDS.items() if header.startswith(lab)), None)
    if kind == "att":
        return ATTRITION_COLS[j] if j < 3 else None
    return "n" if header.strip().startswith("n") else None


def read_table(
    pub: Published,
    kind: str,
    layout: pd.DataFrame,
    header: list[str],
    body: list[list[str]],
    truth: Truth,
) -> None:
    """Record one table's cells (body[i][j] = value column j of layout row i)."""
    keys = _row_keys(kind, layout, truth)
    assert len(keys) == len(body), (kind, len(keys), len(body))
    for j, head in enumerate(header):
        col = _col_key(kind, j, head)
        n = re.search(r"\(n = ([^)]*)\)|\(n (<\d+)\)", head)
        if col and n and kind in ("t1", "t2"):
            pub.cell(f"{kind}|N|{col}", n.group(1) or n.group(2), None)
        for i, rk in enumerate(keys):
            if col is None or j >= len(body[i]):
                continue
            if "min–max" in str(layout["label"].iloc[i]) and re.search(r"\d–\d", body[i][j]):
                pub.ranges.append(f"{kind} {layout['label'].iloc[i]} {col}: {body[i][j]}")
            if rk is None:
                continue
            key = rk if kind == "km" or (kind == "t4" and rk == "ae|grade34") else f"{rk}|{col}"
            den = {"t1": f"t1|N|{'all' if rk == 't1|N' else col}", "t2": f"t2|N|{col}"}
            den["t4"] = "t1|N|all"
            pub.cell(key, body[i][j], den.get(kind))


def read_prose(pub: Published, text: str) -> None:
    """The template sentences that quote counts, percentages and ranges."""
    num = r"(<?\d+|\*)"
    pct = r"(\d+(?:\.\d)?)%"
    m = re.search(rf"Of (\d+) patients, {num} were evaluable for response \({num} received", text)
    if m:
        pub.cell("t1|N|all", m.group(1), None)
        pub.cell("t2|N|all", m.group(2), None)
        pub.cell("t2|NOTEVAL|all", m.group(3), None)
    m = re.search(rf"not included \({num} of (\d+) patients\)", text)
    if m:
        pub.cell("t2|NOTEVAL|all", m.group(1), None)
    m = re.search(rf"registry held (\d+) patients; {num} were excluded", text)
    if m:
        pub.cell("att|input", m.group(1), None)
        pub.cell("att|excluded", m.group(2), None)
    m = re.search(
        rf"{num}(?: \({pct}\))? received CAPTEM as first-line, {num}(?: \({pct}\))? as "
        rf"second-line and {num}(?: \({pct}\))? as third",
        text,
    )
    if m:
        for i, line in enumerate(LINES):
            n, p = m.group(1 + 2 * i), m.group(2 + 2 * i)
            pub.cell(f"t1|N|{line}", f"{n} ({p})" if p else n, "t1|N|all")
    for pattern, keys in (
        (rf"Grade 3–4 adverse events occurred in {num}(?: \({pct}\))? patients", ["ae|grade34"]),
        (
            rf"dose reduction was required in {num}(?: \({pct}\))? and treatment was "
            rf"interrupted in {num}(?: \({pct}\))?",
            ["t1|dose_reduction|True|all", "t1|treatment_interruption|True|all"],
        ),
    ):
        for m in re.finditer(pattern, text):
            for i, key in enumerate(keys):
                n, p = m.group(1 + 2 * i), m.group(2 + 2 * i)
                pub.cell(key, f"{n} ({p})" if p else n, "t1|N|all")
    rates = [
        (rf"The ORR was {pct} \(95% CI[^)]*\) and the DCR {pct}", ["ORR|all", "DCR|all"]),
        (
            rf"By line, the ORR was {pct}, {pct} and {pct} and the DCR {pct}, {pct} and {pct}",
            [f"{m}|{g}" for m in ("ORR", "DCR") for g in LINES],
        ),
        (rf"response rate \(ORR\) was {pct}, {pct} and {pct} by line", [f"ORR|{g}" for g in LINES]),
    ]
    for pattern, keys in rates:
        for m in re.finditer(pattern, text):
            for i, key in enumerate(keys):
                measure, g = key.split("|")
                pub.pcts.append((f"t2|{measure}|{g}", f"t2|N|{g}", float(m.group(1 + i))))
    pub.ranges += [m.group() for m in re.finditer(r"range, [\d.]+–[\d.]+", text)]


def _html_text(path: Path) -> str:
    raw = re.sub(r"<style.*?</style>|<script.*?</script>", "", path.read_text("utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw)))


def _docx(path: Path) -> tuple[str, list[list[list[str]]]]:
    import docx

    doc = docx.Document(str(path))
    text = " ".join(p.text for p in doc.paragraphs)
    tables = [[[c.text.strip() for c in row.cells] for row in t.rows] for t in doc.tables]
    for t in tables:
        text += " " + " ".join(" ".join(r) for r in t)
    return re.sub(r"\s+", " ", text), tables


def read_outputs(report: Path, export: Path, truth: Truth, k: int) -> Published:
    pub = Published(k, truth.values["att|input"])
    layouts: dict[str, pd.DataFrame] = {}
    csv_names = {"table1": "t1", "table2": "t2", "table4": "t4", "survival_medians": "km"}
    for path in sorted(export.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        kind = csv_names.get(path.stem) or _kind(frame["label"].tolist())
        assert kind, f"the attacker cannot read {path.name}"
        layouts[kind] = frame.rename(columns=str)
        values = frame.iloc[:, 3:]
        read_table(pub, kind, frame, list(values.columns), values.to_numpy().tolist(), truth)
    att = pd.DataFrame({"variable": truth.steps, "row_type": "stat", "label": truth.steps})
    layouts["att"] = att
    html_file = next(report.rglob("*.html"))
    parser = _Tables()
    parser.feed(html_file.read_text("utf-8"))
    docx_text, docx_tables = _docx(next(report.rglob("*.docx")))
    for rows in [*parser.tables, *docx_tables]:
        kind = _kind([r[0] for r in rows if r])
        if kind is None or kind not in layouts:
            continue
        layout = layouts[kind]
        first = str(layout["label"].iloc[0]) if kind != "att" else None
        # the body starts at the first row label (header rows above, footnote rows below)
        start = next(i for i, r in enumerate(rows) if i and (first is None or r[0] == first))
        header, body = rows[start - 1], rows[start : start + len(layout)]
        read_table(pub, kind, layouts[kind], header[1:], [r[1:] for r in body], truth)
    # Table 2 prints non-CR/non-PD and NE only when someone has them: an absent row is 0.
    for code in T2_CODES:
        if not any(f"t2|{code}|{g}" in pub.eq or f"t2|{code}|{g}" in pub.bounds for g in GROUPS):
            for g in GROUPS:
                pub.cell(f"t2|{code}|{g}", "—", None)
    for text in (_html_text(html_file), docx_text):
        read_prose(pub, text)
    for extra in [*report.rglob("*.json"), *report.rglob("*.txt"), *export.glob("*.json")]:
        read_prose(pub, extra.read_text("utf-8"))
    return pub


# --------------------------------------------------------------------------- the attack


@dataclass
class Attack:
    relations: int
    targets: dict[str, int]
    recovered: dict[str, int]
    printed: dict[str, int]
    ranges: list[str]
    #: Complementary ("*") cells at or above K that the outputs still determine (reported).
    determined: list[str]


def attack(truth: Truth, pub: Published) -> Attack:
    keys = sorted(truth.values)
    index = {key: i for i, key in enumerate(keys)}
    lo = np.zeros(len(keys))
    hi = np.full(len(keys), float(pub.n_max))
    for key, vals in pub.eq.items():
        assert vals == {truth.values[key]}, (key, vals, truth.values[key])  # read correctly
        lo[index[key]] = hi[index[key]] = truth.values[key]
    for key, (b_lo, b_hi) in pub.bounds.items():
        if key not in pub.eq:
            assert b_lo <= truth.values[key] <= b_hi, key
            lo[index[key]], hi[index[key]] = max(lo[index[key]], b_lo), min(hi[index[key]], b_hi)
    rows, r_lo, r_hi = [], [], []
    for coefs, c_lo, c_hi in truth.relations:
        row = np.zeros(len(keys))
        for key, c in coefs.items():
            row[index[key]] += c
        rows.append(row)
        r_lo.append(c_lo)
        r_hi.append(c_hi)
    for num, den, p in pub.pcts:
        # one printed decimal: (p - 0.05) d <= 100 n <= (p + 0.05) d (0.0501: float slack)
        for slack, low, high in ((0.0501, -np.inf, 0.0), (-0.0501, 0.0, np.inf)):
            row = np.zeros(len(keys))
            row[index[num]] += 100.0
            row[index[den]] -= p + slack
            rows.append(row)
            r_lo.append(low)
            r_hi.append(high)
    a = np.vstack(rows)
    x_true = np.array([truth.values[key] for key in keys], dtype=float)
    ax = a @ x_true
    assert np.all(ax >= np.array(r_lo) - 1e-6) and np.all(ax <= np.array(r_hi) + 1e-6)
    cons = LinearConstraint(a, r_lo, r_hi)
    bounds = Bounds(lo, hi)
    integrality = np.ones(len(keys))
    targets = {key: val for key, val in truth.values.items() if 0 < val < pub.k}
    printed = {key: truth.values[key] for key in targets if key in pub.eq}
    withheld = [key for key in pub.bounds if key not in pub.eq and key not in targets]
    recovered: dict[str, int] = dict(printed)
    determined: list[str] = []
    for key in [*targets, *withheld]:
        if key in printed:
            continue
        c = np.zeros(len(keys))
        c[index[key]] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            sol = milp(sign * c, constraints=cons, bounds=bounds, integrality=integrality)
            assert sol.status == 0, (key, sol.message)
            ends.append(round(sign * sol.fun))
        if ends[0] == ends[1] and key in targets:
            recovered[key] = ends[0]
        elif ends[0] == ends[1]:
            determined.append(key)
    return Attack(len(rows), targets, recovered, printed, pub.ranges, determined)


# --------------------------------------------------------------------------- fixtures


def _run(args: list[str]) -> float:
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "captemstats", *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return time.perf_counter() - start


@pytest.fixture(scope="module")
def truth() -> Truth:
    from captemstats.analysis import analyze

    return truth_of(analyze(REGISTRY))


@pytest.fixture(scope="module", params=[5, 10], ids=lambda k: f"min_cell={k}")
def published(
    request: pytest.FixtureRequest, truth: Truth, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, Published, float]:
    k = int(request.param)
    base = tmp_path_factory.mktemp(f"attack{k}")
    seconds = _run(
        [
            "report",
            "--no-cache",
            "--min-cell",
            str(k),
            "--formats",
            "html,docx",
            "--out",
            str(base / "doc"),
        ]
    )
    seconds += _run(
        ["analyze", "-r", str(REGISTRY), "--min-cell", str(k), "--out", str(base / "csv")]
    )
    return k, read_outputs(base / "doc", base / "csv", truth, k), seconds


def test_no_suppressed_count_is_recovered(
    published: tuple[int, Published, float], truth: Truth
) -> None:
    k, pub, seconds = published
    result = attack(truth, pub)
    print(
        f"\nmin_cell={k}: {len(pub.eq) + len(pub.bounds)} published cells, {len(pub.pcts)} "
        f"percentages, {result.relations} relations; {len(result.targets)} counts below {k}; "
        f"recovered {len(result.recovered)} ({len(result.printed)} printed); "
        f"{len(result.determined)} withheld cells >= {k} determined; "
        f"{len(result.ranges)} ranges; render + export {seconds:.0f} s"
    )
    assert len(truth.relations) > 100  # the attacker uses the arithmetic, not only the cells
    assert result.recovered == {}, sorted(result.recovered.items())
    assert result.ranges == []
