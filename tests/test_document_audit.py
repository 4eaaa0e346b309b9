"""The self-audit of the rendered manuscript (captemstats.docaudit).

The manuscript is rendered once (HTML + DOCX, built-in renderer); the audit must pass on it.
Then copies of the rendered files are broken on purpose, each in one way, and the rule made
for that kind of error must report more failures on the copy than on the original. Finally
three perturbed registries are rendered (HTML) and audited: a rerun must not make the
document contradict its own numbers.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from captemstats.analysis import StudyAnalysis, analyze
from captemstats.claims import Finding
from captemstats.docaudit import RULES, AuditReport, audit_files, read_docx, read_html
from captemstats.docaudit._base import Context
from captemstats.formatting import format_number
from captemstats.manuscript_claims import ManuscriptClaims
from captemstats.prose import ProseNumbers
from captemstats.render import render_document

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "report" / "index.qmd"
REGISTRY = ROOT / "data" / "registry"
slow = pytest.mark.slow  # every test that renders the manuscript


@dataclass(frozen=True)
class Rendered:
    files: dict[str, Path]
    res: StudyAnalysis
    report: AuditReport


def _render(registry: Path, out: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    doc = out / "report"
    shutil.copytree(ARTICLE.parent, doc, ignore=shutil.ignore_patterns("_freeze", "_output"))
    result = render_document(
        doc / "index.qmd",
        formats=formats,
        params={"registry": str(registry)},
        out_dir=out / "_output",
        use_quarto="never",
    )
    return dict(result.outputs)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    files = _render(REGISTRY, tmp_path_factory.mktemp("audit"), ("html", "docx"))
    res = analyze(REGISTRY)
    return Rendered(files, res, audit_files(files, res))


def _failures(report: AuditReport) -> list[str]:
    return [
        f"{c.rule} [{c.fmt}, {c.where}] {c.expected!r} / {c.found!r}: {c.snippet}"
        for c in report.failures
    ]


@slow
def test_audit_passes_on_the_shipped_registry(rendered: Rendered) -> None:
    assert not _failures(rendered.report), "\n".join(_failures(rendered.report))
    counts = rendered.report.counts()
    # Every rule ran something in both formats (a rule that checks nothing cannot fail).
    for rule in RULES:
        for fmt in ("html", "docx"):
            assert sum(counts[(rule, fmt)]) > 0, (rule, fmt)


@slow
def test_both_formats_read_alike(rendered: Rendered) -> None:
    html, docx = read_html(rendered.files["html"]), read_docx(rendered.files["docx"])
    assert [c.text for c in html.captions] == [c.text for c in docx.captions]
    assert [c.label for c in html.captions] == [c.label for c in docx.captions]
    assert [t.rows for t in html.tables] == [t.rows for t in docx.tables]
    # notes in the table's foot (HTML) or typeset below it (DOCX "TableNote") alike
    assert [t.notes for t in html.tables] == [t.notes for t in docx.tables]


# -- planted errors --------------------------------------------------------------------------
def _flexible(text: str) -> str:
    """``text`` as a pattern that survives the source's line wrapping."""
    return r"\s+".join(re.escape(part) for part in text.split(" "))


def _regions(source: str, fmt: str, where: str) -> list[tuple[int, int]]:
    """Spans of ``source`` inside (``where="table"``) or outside tables."""
    tag = r"<table\b.*?</table>" if fmt == "html" else r"<w:tbl>.*?</w:tbl>"
    inside = [m.span() for m in re.finditer(tag, source, flags=re.S)]
    if where == "table":
        return inside
    edges = [0, *(x for span in inside for x in span), len(source)]
    return list(zip(edges[::2], edges[1::2], strict=True))


def _plant_in(source: str, fmt: str, where: str, old: str, new: str) -> str:
    pattern = re.compile(_flexible(old))
    for start, end in _regions(source, fmt, where):
        m = pattern.search(source, start, end)
        if m is not None:
            return source[: m.start()] + new + source[m.end() :]
    raise AssertionError(f"{old!r} not found in the {where} of the {fmt} file")


def _plant(path: Path, fmt: str, where: str, old: str, new: str, out: Path) -> Path:
    """A copy of ``path`` with the first ``old`` in its prose (or tables) replaced."""
    target = out / path.name
    if fmt == "html":
        source = path.read_text(encoding="utf-8")
        target.write_text(_plant_in(source, "html", where, old, new), encoding="utf-8")
        return target
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts["word/document.xml"].decode("utf-8")
    parts["word/document.xml"] = _plant_in(xml, "docx", where, old, new).encode("utf-8")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return target


def _esc(text: str) -> str:
    """Text as both sources escape it (``<`` in a P value)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _median_changed(res: StudyAnalysis) -> tuple[str, str, str]:
    txt = ProseNumbers(res)
    old = txt.median("pfs", ci=True)
    estimate = res.km("pfs").km.median["(all)"].estimate
    assert estimate is not None
    changed = format_number(estimate + 0.7, 1)
    return "prose", old, old.replace(format_number(estimate, 1), changed, 1)


def _single_median_changed(res: StudyAnalysis) -> tuple[str, str, str]:
    # The first "11.1 months" (the abstract); the Results still print "11.1 (9.8–12.4)".
    old = ProseNumbers(res).median("pfs")
    return "prose", f"{old} months", f"{format_number(float(old) + 0.7, 1)} months"


def _pct_changed(res: StudyAnalysis) -> tuple[str, str, str]:
    old = ProseNumbers(res).n_pct_line("1")
    n, pct = re.fullmatch(r"(\d+) \(([\d.]+)%\)", old).groups()  # type: ignore[union-attr]
    return "prose", old, f"{n} ({format_number(float(pct) + 2.0, 1)}%)"


def _ci_swapped(res: StudyAnalysis) -> tuple[str, str, str]:
    old = ProseNumbers(res).rate("ORR", ci=True)
    m = re.fullmatch(r"(.*CI, )([\d.]+)–([\d.]+)\)", old)
    assert m is not None, old
    return "prose", old, f"{m[1]}{m[3]}–{m[2]})"


def _no_difference_flipped(res: StudyAnalysis) -> tuple[str, str, str]:
    claims = ManuscriptClaims(res)
    candidates = [claims.survival_by_line(e) for e in ("pfs", "os")]
    candidates += [claims.response_by_line(m) for m in ("ORR", "DCR")]
    claim = next(c for c in candidates if c.finding is Finding.NO_DIFFERENCE)
    assert claim.p_value is not None and claim.p_value >= 0.05
    return "prose", _esc(claim.text), _esc(claim.text.replace("did not differ", "differed"))


def _p_value_changed(res: StudyAnalysis) -> tuple[str, str, str]:
    # Still P >= .05 beside "did not differ" (significance holds) but no P of the analysis.
    from captemstats.docaudit._slots import analysis_p_phrases

    _, old, _ = _no_difference_flipped(res)
    known = analysis_p_phrases(audit_context(res))
    printed = re.search(r"P = \.\d+", old)
    assert printed is not None, old
    new_p = next(f"P = .{k}" for k in range(60, 99) if f"P = .{k}" not in known)
    return "prose", old, old.replace(printed[0], new_p)


def _figure_added(res: StudyAnalysis) -> tuple[str, str, str]:
    old = ProseNumbers(res).median("pfs", ci=True)
    return "prose", old, f"{old} (Figure 99)"


def _unresolved_added(res: StudyAnalysis) -> tuple[str, str, str]:
    old = ProseNumbers(res).median("pfs", ci=True)
    return "prose", old, f"{old} (?@fig-x)"


def _table1_count_changed(res: StudyAnalysis) -> tuple[str, str, str]:
    f = res.characteristics.to_frame()
    row = f[(f["variable"] == "sex") & (f["group"].astype("string") == "all")].iloc[0]
    old = f"{int(row['n'])} ({format_number(row['pct'], 1)})"
    return "table", old, f"{int(row['n']) + 1} ({format_number(row['pct'], 1)})"


PLANTED: list[tuple[str, Callable[[StudyAnalysis], tuple[str, str, str]], str]] = [
    ("median changed", _median_changed, "prose_number"),
    ("one of two medians changed", _single_median_changed, "prose_slot"),
    ("percentage changed", _pct_changed, "n_pct"),
    ("CI bounds swapped", _ci_swapped, "ci_contains"),
    ("'did not differ' -> 'differed' at P >= .05", _no_difference_flipped, "significance"),
    ("'did not differ' -> 'differed': the claim is gone", _no_difference_flipped, "claim_text"),
    ("a P value no test gave", _p_value_changed, "p_value_known"),
    ("Figure 99 cited", _figure_added, "crossref_target"),
    ("?@fig-x left", _unresolved_added, "crossref_unresolved"),
    ("Table 1 level count changed", _table1_count_changed, "table_sum"),
]


@slow
@pytest.mark.parametrize("fmt", ["html", "docx"])
@pytest.mark.parametrize(("name", "plant", "rule"), PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_error_is_caught_by_its_rule(
    rendered: Rendered,
    tmp_path: Path,
    fmt: str,
    name: str,
    plant: Callable[[StudyAnalysis], tuple[str, str, str]],
    rule: str,
) -> None:
    where, old, new = plant(rendered.res)
    broken = _plant(rendered.files[fmt], fmt, where, old, new, tmp_path)
    report = audit_files({fmt: broken}, rendered.res)
    before = [c for c in rendered.report.failures if c.rule == rule and c.fmt == fmt]
    after = [c for c in report.failures if c.rule == rule]
    assert len(after) > len(before), f"{name}: {rule} did not catch it"


@slow
def test_report_files_and_frame(rendered: Rendered, tmp_path: Path) -> None:
    report = rendered.report
    js, txt = report.write(tmp_path / "index")
    assert js.name == "index.audit.json" and txt.name == "index.audit.txt"
    assert txt.read_text(encoding="utf-8").startswith("Self-audit of the rendered document")
    frame = report.to_frame()
    assert len(frame) == len(report.checks)
    assert set(frame["rule"]) == set(RULES)
    assert not list(tmp_path.glob(".index*"))  # no temporary file left behind


# -- perturbed registries ----------------------------------------------------------------------
def _shuffle_lines(patients: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rng = np.random.default_rng(20261201)
    patients["line"] = rng.permutation(patients["line"].to_numpy())
    return patients


def _drop_40(patients: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    dropped = set(rng.choice(patients["patient_id"].to_numpy(), size=40, replace=False))
    for name, frame in tables.items():
        tables[name] = frame[~frame["patient_id"].isin(dropped)]
    return patients[~patients["patient_id"].isin(dropped)]


def _move_progression(patients: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    start = pd.to_datetime(patients["captem_start_date"])
    progression = pd.to_datetime(patients["progression_date"].replace("", None))
    movable = (progression - start).dt.days > 120
    chosen = movable[movable].index[::3]
    moved = progression[chosen] - pd.Timedelta(days=90)
    patients.loc[chosen, "progression_date"] = moved.dt.strftime("%Y-%m-%d")
    return patients


PERTURBED = [
    ("line shuffled", _shuffle_lines),
    ("40 patients dropped", _drop_40),
    ("progression dates moved", _move_progression),
]


@slow
@pytest.mark.filterwarnings("ignore::captemstats.provenance_check.ModifiedSyntheticRegistryWarning")
@pytest.mark.parametrize(("name", "perturb"), PERTURBED, ids=[p[0] for p in PERTURBED])
def test_audit_passes_on_a_perturbed_registry(
    rendered: Rendered,
    tmp_path: Path,
    name: str,
    perturb: Callable[[pd.DataFrame, dict[str, pd.DataFrame]], pd.DataFrame],
) -> None:
    copy = tmp_path / "registry"
    shutil.copytree(REGISTRY, copy)
    read = {"dtype": str, "keep_default_na": False}
    patients = pd.read_csv(copy / "patients.csv", **read)  # type: ignore[call-overload]
    tables = {
        n: pd.read_csv(copy / f"{n}.csv", **read)  # type: ignore[call-overload]
        for n in ("lesions", "adverse_events")
    }
    patients = perturb(patients, tables)
    patients.to_csv(copy / "patients.csv", index=False)
    for n, frame in tables.items():
        frame.to_csv(copy / f"{n}.csv", index=False)
    res = analyze(copy)
    # The perturbation changed what the document says (else the test would repeat the first).
    new, old = ProseNumbers(res), ProseNumbers(rendered.res)
    key = [(t.n, t.median("pfs", ci=True), t.rate("ORR", "1")) for t in (new, old)]
    assert key[0] != key[1], name
    files = _render(copy, tmp_path / "out", ("html",))
    report = audit_files(files, res)
    assert not _failures(report), f"{name}:\n" + "\n".join(_failures(report))


# -- the command ---------------------------------------------------------------------------------
# (options, what was rendered, exit code, audit report written, audit failed)
COMMAND_CASES = [
    ([], "as rendered", 0, True, False),
    (["--strict"], "as rendered", 0, True, False),
    ([], "a CI broken", 0, True, True),  # reported, not fatal
    (["--strict"], "a CI broken", 2, True, True),
    (["--strict", "--no-audit"], "a CI broken", 0, False, False),
    (["--strict"], "PDF only", 0, False, False),  # nothing the audit reads
    ([], "DOCX unreadable", 2, False, False),  # one line, no traceback
]


@pytest.mark.parametrize(("args", "files", "exit_code", "audited", "failed"), COMMAND_CASES)
@slow
def test_report_command_audits_what_it_rendered(
    rendered: Rendered,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    files: str,
    exit_code: int,
    audited: bool,
    failed: bool,
) -> None:
    from typer.testing import CliRunner

    from captemstats.cli import _register, app, report_cmd
    from captemstats.render import RenderResult

    out = tmp_path / "report"
    out.mkdir()
    outputs = {f: Path(shutil.copy(p, out / p.name)) for f, p in rendered.files.items()}
    if files == "a CI broken":
        _, old, new = _ci_swapped(rendered.res)
        outputs["html"] = _plant(rendered.files["html"], "html", "prose", old, new, out)
    elif files == "PDF only":
        outputs = {"pdf": out / "index.pdf"}
    elif files == "DOCX unreadable":
        outputs["docx"].write_bytes(b"not a zip")
    result = RenderResult(
        outputs=outputs,
        engine="captemstats",
        timings={},
        cache_hit=True,
        executed_cells=0,
        out_dir=tmp_path,
    )
    # The render itself is tested elsewhere; here the command gets the files rendered above.
    monkeypatch.setattr(report_cmd, "_render", lambda *a, **k: result)
    _register()
    run = CliRunner().invoke(app, ["report", "--registry", str(REGISTRY), *args])
    assert run.exit_code == exit_code, run.output
    assert "Traceback" not in run.output
    assert (out / "index.audit.json").exists() == audited
    if audited:
        text = (out / "index.audit.txt").read_text(encoding="utf-8")
        assert ("FAILED" in text) == failed
        assert "Self-audit of the rendered document" in run.output
        assert ("ci_contains [html" in run.output) == failed
    if files == "DOCX unreadable":
        assert "self-audit" in run.output and "index.docx" in run.output


@slow
def test_a_long_failure_list_is_cut_in_the_text(rendered: Rendered, tmp_path: Path) -> None:
    _, old, new = _ci_swapped(rendered.res)
    broken = _plant(rendered.files["html"], "html", "prose", old, new, tmp_path)
    report = audit_files({"html": broken}, rendered.res)
    # ci_contains, and the headline and slot rules for the ORR's CI
    assert {c.rule for c in report.failures} == {"ci_contains", "prose_number", "prose_slot"}
    lines = report.to_text(max_failures=1).splitlines()
    assert lines[-1] == f"... and {len(report.failures) - 1} more (see the JSON report)"
    assert sum(line.startswith("- ") for line in lines) == 1


# -- the rules on small documents (no render) ----------------------------------------------------
@pytest.fixture(scope="module")
def res() -> StudyAnalysis:
    return analyze(REGISTRY)


def _html(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "doc.html"
    path.write_text(f"<html><head><title>t</title></head><body>{body}</body></html>", "utf-8")
    return path


FIG = '<figure id="fig-a"><figcaption>Figure 1: A.</figcaption></figure>'
TBL_HEAD = (
    '<div id="tbl-x"><div class="cs-caption"><p>Table 1: X.</p></div><table><thead><tr>'
    "<th>Characteristic</th><th>All (n = 10)</th><th>Line 1 (n = 6)</th><th>P value</th>"
    "</tr></thead><tbody>"
)


def _tbl(rows: str) -> str:
    return TBL_HEAD + rows + "</tbody></table></div>"


def _row(*cells: str) -> str:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


# (rule, body, passed, failed): how many checks of the rule pass and fail on the document.
CASES: list[tuple[str, str, int, int]] = [
    ("significance", "<p>Median PFS differed by line (P = .52).</p>", 0, 1),
    ("significance", "<p>Median PFS did not differ by line (P = .52).</p>", 1, 0),
    ("significance", "<p>Median OS did not differ by line (P = .01).</p>", 0, 1),
    ("significance", "<p>Median OS did not differ by line (P &lt; .001).</p>", 0, 1),
    ("significance", "<p>P &lt; .05 was considered significant.</p>", 0, 0),
    ("significance", "<p>The DCR was higher in first line (P = .05).</p>", 0, 1),
    ("significance", "<p>The DCR did not differ by line (P = .05).</p>", 1, 0),
    ("significance", "<p>The ORR was 54.7%, 33.3% and 30.0% by line (P = .52).</p>", 0, 0),
    (
        "significance",
        "<p>A (P &lt; .001) differed by line, whereas B (P = .30) and C (P = .36) did not.</p>",
        2,
        0,
    ),
    (
        "significance",
        "<p>A (P = .40) differed by line, whereas B (P = .01) did not.</p>",
        0,
        2,
    ),
    ("significance", "<p>X was not associated with OS (HR, 0.9; P = .40).</p>", 1, 0),
    ("ci_contains", "<p>HR 0.80 (95% CI 0.69–0.93).</p>", 1, 0),
    ("ci_contains", "<p>HR 0.60 (95% CI 0.69–0.93).</p>", 0, 1),
    ("ci_contains", "<p>HR, 1.20; 95% CI, 1.30–2.00; P = .01.</p>", 0, 1),
    ("ci_contains", "<p>Median PFS 11.1 (95% CI, 9.0–13.2) months.</p>", 1, 0),
    ("ci_contains", "<p>Median PFS 11.1 (12.0–NR) months.</p>", 0, 1),
    ("ci_contains", "<p>The ORR was 42.4% (95% CI, 48.2–36.8).</p>", 0, 1),
    ("ci_contains", "<p>Age 53 (range, 18–82) years.</p>", 1, 0),
    ("ci_contains", "<p>Patients of 34 hospitals (2010–2022).</p>", 0, 0),
    ("ci_contains", _tbl(_row("Median", "16.1 (13.8–17.7)", "7.9 (8.3–9.2)", "")), 1, 1),
    ("n_pct", "<p>Of them 12/40 (30.0%) responded.</p>", 1, 0),
    ("n_pct", "<p>Of them 12/40 (31.0%) responded.</p>", 0, 1),
    ("n_pct", _tbl(_row("Female", "4 (40.0)", "3 (50.0)", "")), 2, 0),
    ("n_pct", _tbl(_row("Female", "4 (40.0)", "3 (60.0)", "")), 1, 1),
    ("n_pct", _tbl(_row("Number of patients", "10 (100.0)", "6 (60.0)", "")), 2, 0),
    ("crossref_target", FIG + "<p>See Figure 1 and Figure 2.</p>", 1, 1),
    ("crossref_target", FIG + '<p>See <a href="#fig-a">Figure 1</a>.</p>', 2, 0),
    ("crossref_target", FIG + '<p>See <a href="#fig-a">Figure 2</a>.</p>', 0, 2),
    ("crossref_target", FIG + "<p>See Table S1.</p>", 0, 1),
    ("crossref_unresolved", FIG + "<p>See ?@fig-b.</p>", 0, 1),
    ("crossref_unresolved", FIG + "<p>See Figure 1.</p>", 1, 0),
    (
        "caption_numbering",
        FIG.replace("fig-a", "fig-b")
        + FIG.replace("Figure 1", "Figure 3")
        + FIG.replace("Figure 1", "Figure S1"),
        2,
        1,
    ),
    (
        "table_sum",
        _tbl(_row("Gender", "", "", ".2") + _row("F", "4", "3", "") + _row("M", "6", "3", "")),
        2,
        0,
    ),
    (
        "table_sum",
        _tbl(_row("Gender", "", "", ".2") + _row("F", "4", "3", "") + _row("M", "5", "3", "")),
        1,
        1,
    ),
    (
        "table_sum",
        _tbl(_row("Gender", "", "", ".2") + _row("F", "&lt;5", "3", "") + _row("M", "6", "3", "")),
        0,
        0,
    ),
    # several yes/no rows under one heading add up in no column: not a partition
    (
        "table_sum",
        _tbl(_row("Prior", "", "", "") + _row("SSA", "4", "2", "") + _row("PRRT", "3", "1", "")),
        0,
        0,
    ),
    # a row with its own P (ORR under the best-response block) closes the block
    (
        "table_sum",
        _tbl(
            _row("Best", "", "", ".1")
            + _row("CR", "4", "2", "")
            + _row("PR", "6", "4", "")
            + _row("ORR", "10", "6", "&lt;.001")
        ),
        2,
        0,
    ),
]


@pytest.mark.parametrize(("rule", "body", "passed", "failed"), CASES)
def test_rule_on_a_small_document(
    res: StudyAnalysis, tmp_path: Path, rule: str, body: str, passed: int, failed: int
) -> None:
    from captemstats.docaudit import audit_document

    checks = audit_document(read_html(_html(tmp_path, body)), res, rules=[rule])
    got = (sum(c.passed for c in checks), sum(not c.passed for c in checks))
    assert got == (passed, failed), [c for c in checks]


def test_a_value_after_its_name_is_its_own(res: StudyAnalysis, tmp_path: Path) -> None:
    from captemstats.docaudit import audit_document

    txt = ProseNumbers(res)
    by_line = [txt.median("os", "line_group", g) for g in ("1", "2", "3+")]
    by_grade = [txt.median("os", "grade", g) for g in ("1", "2", "3")]
    right = [
        f"The median PFS was {txt.median('pfs')} months.",
        f"The median OS of all patients was {txt.median('os', ci=True)} months.",
        f"By line, median OS was {by_line[0]}, {by_line[1]} and {by_line[2]} months.",
        f"By grade, median OS was {by_grade[0]}, {by_grade[1]} and {by_grade[2]} months.",
        f"The DCR was {txt.rate('DCR', ci=True)}.",
        f"The median follow-up was {txt.followup_median} months.",
    ]
    wrong = [
        f"The median PFS was {txt.median('os')} months.",  # OS's value under PFS's name
        f"By line, median OS was {by_line[1]}, {by_line[0]} and {by_line[2]} months.",  # order
        f"The DCR was {txt.rate('ORR', ci=True)}.",
        f"The median follow-up was {txt.followup_median}1 months.",
    ]
    body = "".join(f"<p>{s}</p>" for s in right + wrong)
    checks = audit_document(read_html(_html(tmp_path, body)), res, rules=["prose_slot"])
    assert [c.passed for c in checks] == [True] * len(right) + [False] * len(wrong)


def test_a_percentage_of_no_denominator_fails_and_of_the_cohort_passes(
    res: StudyAnalysis, tmp_path: Path
) -> None:
    from captemstats.docaudit import audit_document
    from captemstats.docaudit._numbers import denominators

    dens = denominators(audit_context(res))
    k = 17
    good = f"{k} ({format_number(100 * k / res.n, 1)}%)"
    wrong = next(
        f"{k} ({x / 10:.1f}%)"
        for x in range(1, 1000)
        if all(format_number(100 * k / d, 1) != f"{x / 10:.1f}" for d in dens.values())
    )
    doc = read_html(_html(tmp_path, f"<p>In all, {good} and {wrong} patients.</p>"))
    checks = audit_document(doc, res, rules=["n_pct"])
    assert [c.passed for c in checks] == [True, False]


def audit_context(res: StudyAnalysis) -> Context:
    from captemstats.docaudit._document import Document

    return Context(Document("html", "", (), ()), res, ProseNumbers(res), ManuscriptClaims(res))


def test_unknown_rule_is_named(res: StudyAnalysis, tmp_path: Path) -> None:
    from captemstats.docaudit import audit_document

    with pytest.raises(KeyError, match="no_such_rule"):
        audit_document(read_html(_html(tmp_path, "<p>x</p>")), res, rules=["no_such_rule"])


def test_unreadable_files_are_one_line_errors(tmp_path: Path) -> None:
    from captemstats.errors import CaptemError

    bad = tmp_path / "x.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CaptemError, match=r"x\.docx"):
        read_docx(bad)
    with pytest.raises(CaptemError, match=re.escape("missing.html")):
        read_html(tmp_path / "missing.html")


# -- invariants ----------------------------------------------------------------------------------
@given(st.floats(0, 1), st.sampled_from([0.05, 0.01, 0.1]))
def test_a_printed_p_stands_for_the_value_it_was_printed_from(p: float, alpha: float) -> None:
    from captemstats.docaudit._text import _interval
    from captemstats.prose import p_phrase

    m = re.fullmatch(r"P ([=<>]) (\.\d+|0\.99)", p_phrase(p))
    assert m is not None
    lo, hi = _interval(m[1], m[2], 0.05)
    assert lo <= p <= hi or (m[1] == "<" and p < hi) or (m[1] == ">" and p > lo)


@given(st.integers(0, 5000), st.integers(1, 5000), st.integers(0, 2), st.integers(1, 9))
def test_a_percentage_passes_only_as_printed(n: int, d: int, digits: int, shift: int) -> None:
    from captemstats.docaudit._numbers import _pct_ok

    printed = format_number(100 * n / d, digits)
    assert _pct_ok(n, d, printed)
    other = format_number(float(printed) + shift * 10**-digits, digits)
    assert not _pct_ok(n, d, other)


@given(st.lists(st.floats(0, 500, allow_nan=False), min_size=3, max_size=3))
def test_an_interval_passes_when_it_contains_the_estimate(xs: list[float]) -> None:
    from captemstats.docaudit._numbers import _contains

    est, lo, hi = (format_number(x, 1) for x in xs)
    assert _contains(est, lo, hi) == (float(lo) <= float(est) <= float(hi))
    assert _contains(est, "NR", hi) == (float(est) <= float(hi))


_CELL_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", categories=["L", "N", "P", "Sm", "Zs"], exclude_characters="<>&"
    ),
    max_size=12,
).map(lambda t: " ".join(t.split()))


@given(
    st.integers(1, 4).flatmap(
        lambda w: st.lists(st.lists(_CELL_TEXT, min_size=w, max_size=w), min_size=1, max_size=5)
    )
)
def test_html_and_docx_tables_read_back_as_written(grid: list[list[str]]) -> None:
    import io
    import tempfile
    from html import escape

    from captemstats.docaudit._document import _W

    head = "<thead><tr>" + "".join(f"<th>h{j}</th>" for j in range(len(grid[0]))) + "</tr></thead>"
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in grid)
    table = f"<table>{head}<tbody>{body}</tbody></table>"
    html_text = f"<html><body><div id='tbl-g'>{table}</div></body></html>"
    w = _W.strip("{}")

    def tr(cells: list[str], header: bool = False) -> str:
        props = "<w:trPr><w:tblHeader/></w:trPr>" if header else ""
        tcs = "".join(
            f"<w:tc><w:p><w:r><w:t xml:space='preserve'>{escape(c)}</w:t></w:r></w:p></w:tc>"
            for c in cells
        )
        return f"<w:tr>{props}{tcs}</w:tr>"

    xml = (
        f"<w:document xmlns:w='{w}'><w:body><w:bookmarkStart w:id='1' w:name='tbl-g'/><w:tbl>"
        + tr([f"h{j}" for j in range(len(grid[0]))], header=True)
        + "".join(tr(r) for r in grid)
        + "</w:tbl><w:bookmarkEnd w:id='1'/></w:body></w:document>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", xml)
    # hypothesis runs many examples in one test: a folder of its own per example
    with tempfile.TemporaryDirectory() as d:
        hp, dp = Path(d) / "g.html", Path(d) / "g.docx"
        hp.write_text(html_text, encoding="utf-8")
        dp.write_bytes(buf.getvalue())
        tables = [read_html(hp).tables, read_docx(dp).tables]
    want = tuple(tuple(r) for r in grid)
    for (t,) in tables:
        assert t.label == "tbl-g" and t.header == 1
        # a lone cell across a one-column table is a cell, not a note
        assert t.body == want and t.notes == ()


def test_a_shared_version_is_audited_against_what_its_prose_prints(
    res: StudyAnalysis, tmp_path: Path
) -> None:
    # The shared version withholds the follow-up range (two patients' times) and the number
    # evaluable when the decision hides it; the audit expected the unsuppressed numbers and
    # failed a correct shared document (found rendering --min-cell 5).
    from captemstats.docaudit import audit_document

    shared, full = ProseNumbers(res, min_cell=5), ProseNumbers(res)
    assert shared.evaluable() != full.evaluable()  # withheld on the shipped registry
    # what the audit expects for the two numbers: the printed, withheld forms
    names = (shared.followup_spread, shared.evaluable())

    def verdicts(followup: str, evaluable: str) -> dict[str, bool]:
        body = (
            f"<p>The median follow-up was {shared.followup_median} months ({followup}).</p>"
            f"<p>Of {shared.n} patients, {evaluable} were evaluable for response.</p>"
        )
        doc = read_html(_html(tmp_path, body))
        checks = audit_document(doc, res, min_cell=5, rules=["prose_number"])
        return {c.expected: c.passed for c in checks if c.expected in names}

    assert verdicts(shared.followup_spread, shared.evaluable()) == dict.fromkeys(names, True)
    leaked = verdicts(f"range, {full.followup_range}", full.evaluable())
    assert leaked == dict.fromkeys(names, False)
