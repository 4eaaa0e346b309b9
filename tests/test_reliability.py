"""Reliability and data protection (issue 8): atomic outputs, no identifiers in exports,
spreadsheet safety, safe parsing, determinism."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from captemstats.outputs import write_outputs
from captemstats.spreadsheet import neutralise_formulas
from captemstats.tables.table import Column, Table, make_frame

ROOT = Path(__file__).parents[1]
REGISTRY = ROOT / "data" / "registry"
FIXTURES = Path(__file__).parent / "data" / "qmd"
VALID = Path(__file__).parent / "data" / "valid"


# ----------------------------------------------------------------------------- spreadsheets

DANGEROUS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "x\r=1"]


def _table_with(cells: list[str]) -> Table:
    rows = [
        {"variable": f"v{i}", "row_type": "stat", "label": c, "x": c} for i, c in enumerate(cells)
    ]
    return Table(make_frame(rows, ["x"]), (Column("x", "=cmd|' /C calc'!A0"),))


def test_csv_export_neutralises_formulas(tmp_path: Path) -> None:
    table = _table_with([*DANGEROUS, "-0.25", "34 (11.0)", "plain"])
    back = pd.read_csv(table.to_csv(tmp_path / "t.csv"), dtype=str, keep_default_na=False)
    for cell in back.to_numpy().ravel():
        assert not cell.startswith(("=", "+", "@", "\t", "\r")) and not re.match(r"-\D", cell)
    assert back["label"].tolist()[-3:] == ["-0.25", "34 (11.0)", "plain"]  # numbers kept
    assert back.columns[-1] == "'=cmd|' /C calc'!A0"


def test_xlsx_export_has_no_formula_cells(tmp_path: Path) -> None:
    import openpyxl

    table = _table_with(DANGEROUS)
    wb = openpyxl.load_workbook(table.to_excel(tmp_path / "t.xlsx"))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def test_analysis_csvs_neutralise_formulas_but_keep_numbers(tmp_path: Path) -> None:
    from captemstats.analysis import _csv_writer

    frame = pd.DataFrame({"term": ["=1+1", "@x", "ok"], "beta": [-0.5, 1.0, -2.0]})
    _csv_writer(frame)(tmp_path / "f.csv")
    text = (tmp_path / "f.csv").read_text()
    assert text == "term,beta\n'=1+1,-0.5\n'@x,1.0\nok,-2.0\n"
    assert neutralise_formulas(frame)["beta"].tolist() == [-0.5, 1.0, -2.0]


# ----------------------------------------------------------------------------- atomic writes


def test_failing_writer_leaves_the_previous_file(tmp_path: Path) -> None:
    from captemstats.atomic import write_atomic

    target = tmp_path / "table.csv"
    target.write_text("previous\n")

    def half(tmp: Path) -> None:
        tmp.write_text("half-writ")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomic(target, half)
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_synthetic_registry_write_is_atomic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from captemstats.synth import generate_registry, write_registry

    reg = generate_registry(60, seed=3)
    write_registry(reg, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(self: pd.DataFrame, path: object, *a: object, **k: object) -> None:
        Path(str(path)).write_text("partial")
        raise OSError("killed")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError):
        write_registry(generate_registry(60, seed=4), tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def _previous_outputs(out: Path) -> dict[str, bytes]:
    out.mkdir()
    (out / "article.html").write_text("<p>previous render</p>")
    (out / "article.docx").write_bytes(b"previous docx")
    return {p.name: p.read_bytes() for p in out.iterdir()}


def _report_cmd(doc: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "captemstats",
        "report",
        *("--registry", str(VALID), "--document", str(doc), "--out", str(out)),
        *("--engine", "captemstats", "--no-cache", *extra),
    ]


@pytest.mark.slow
def test_render_killed_midway_leaves_previous_outputs(tmp_path: Path) -> None:
    doc = tmp_path / "doc"
    shutil.copytree(FIXTURES, doc)
    out = tmp_path / "out"
    before = _previous_outputs(out)
    proc = subprocess.Popen(
        _report_cmd(doc / "article.qmd", out, "--formats", "html,docx"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    killed_at = ""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            staging = list(tmp_path.glob(".out.staging-*"))
            if staging and any(staging[0].iterdir()):  # a format is being written
                killed_at = "while writing formats"
                break
            time.sleep(0.01)
        else:
            killed_at = "" if proc.poll() is not None else "at the deadline"
        assert killed_at, "the render finished before it could be interrupted"
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its kernel
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before, killed_at


@pytest.mark.slow
def test_failing_render_leaves_previous_outputs(tmp_path: Path) -> None:
    doc = tmp_path / "failing.qmd"
    shutil.copy(FIXTURES / "failing.qmd", doc)
    out = tmp_path / "out"
    before = _previous_outputs(out)
    proc = subprocess.run(
        _report_cmd(doc, out, "--formats", "html"), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ----------------------------------------------------------------------------- identifiers


def _identifiers() -> set[str]:
    """Patient ids, centre codes and every date of the shipped registry (all spellings)."""
    from captemstats.io import read_registry
    from captemstats.privacy import identifier_tokens

    reg = read_registry(REGISTRY)
    return identifier_tokens(reg) | set(reg.patients["center"].dropna().astype(str))


def _leaks(text: str, tokens: set[str]) -> list[str]:
    from captemstats.privacy import find_identifiers

    return find_identifiers(text, tokens)


def test_identifier_scan_finds_ids_and_dates() -> None:
    tokens = {"P0001", "2016-02-01", "01.02.2016", "C10"}
    assert _leaks("patient P0001 started 01.02.2016 (2016-02-01) at C10", tokens) == sorted(tokens)
    assert _leaks("P00011 and 12016-02-019 and C100", {"P0001", "C10"}) == []


def test_exports_hold_no_patient_id_or_date(tmp_path: Path) -> None:
    from captemstats.analysis import analyze
    from captemstats.sharing import write_shareable
    from captemstats.tables import (
        adverse_event_table,
        characteristics_table,
        cox_table,
        response_table,
        survival_summary_table,
    )

    tokens = _identifiers()
    assert len(tokens) > 5000
    res = analyze(REGISTRY)
    written = list(write_outputs(res, tmp_path / "results").values())
    written += list(write_shareable(res, tmp_path / "shared", 5).values())
    km = {
        e: {g: (res.km(e, g).km, res.km(e, g).logrank) for g in ("all", "grade")}
        for e in ("pfs", "os")
    }
    tables = [
        characteristics_table(res.characteristics),
        response_table(res.response_rates, tests=res.response_tests),
        cox_table(res.cox["pfs"], res.cox["os"]),
        adverse_event_table(res.adverse),
        survival_summary_table(km["pfs"], km["os"]),
    ]
    for i, table in enumerate(tables):
        written += [table.to_csv(tmp_path / f"t{i}.csv"), table.to_excel(tmp_path / f"t{i}.xlsx")]
        written.append(_write_text(tmp_path / f"t{i}.html", table.as_html()))
    for path in written:
        text = _text_of(path)
        assert text.strip(), path
        assert _leaks(text, tokens) == [], path.name


def test_swimmer_and_waterfall_use_anonymous_numbers(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from captemstats.analysis import analyze
    from captemstats.figures import swimmer_figure, waterfall_figure
    from captemstats.figures._save import save_figure
    from captemstats.recist import swimmer_data, waterfall_data

    tokens = _identifiers()
    res = analyze(REGISTRY)
    figs = {"waterfall": waterfall_figure(waterfall_data(res.responses))}
    figs["swimmer"] = swimmer_figure(swimmer_data(res.responses, res.cohort.data))
    for name, fig in figs.items():
        svg = save_figure(getattr(fig, "figure", fig), tmp_path / name, formats=("svg",))["svg"]
        assert _leaks(svg.read_text(encoding="utf-8"), tokens) == [], name


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _text_of(path: Path) -> str:
    if path.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path)
        return "\n".join(
            str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
        )
    return path.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- safe parsing

_UNSAFE_CALLS = {"eval", "exec", "compile", "__import__"}
_UNSAFE_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "joblib"}


def test_no_unsafe_deserialisation_in_the_package() -> None:
    problems = []
    for path in sorted((ROOT / "captemstats").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                problems += [
                    f"{where} imports {n}" for n in names if n.split(".")[0] in _UNSAFE_MODULES
                ]
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in _UNSAFE_CALLS:
                    problems.append(f"{where} calls {f.id}")
                if isinstance(f, ast.Attribute) and f.attr in ("load", "load_all", "unsafe_load"):
                    # yaml.load is allowed only with a SafeLoader chosen just above the call
                    above = "\n".join(lines[max(0, node.lineno - 4) : node.lineno])
                    loader = any(k.arg == "Loader" for k in node.keywords)
                    safe = loader and f.attr != "unsafe_load" and "SafeLoader" in above
                    if isinstance(f.value, ast.Name) and f.value.id == "yaml" and not safe:
                        problems.append(f"{where} calls yaml.{f.attr} (use yaml.safe_load)")
                if isinstance(f, ast.Attribute) and f.attr == "read_pickle":
                    problems.append(f"{where} calls read_pickle")
    assert problems == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!!python/object/apply:os.system ['echo pwned']\n", "not valid YAML"),
        ("patients:\n  renam: {a: b}\n", "patients.renam"),
        ("patients:\n  rename: {Hasta: no_such_column}\n", "has no column 'no_such_column'"),
        ("patients:\n  recode:\n    sex: {Kadin: woman}\n", "patients.recode.sex"),
        ("- a\n- b\n", "expected a mapping"),
        ("dayfirst: sometimes\n", "dayfirst"),
    ],
)
def test_mapping_errors_name_the_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    from captemstats.io.mapping import MappingError, load_mapping

    path = tmp_path / "center.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


# ----------------------------------------------------------------------------- determinism


def test_two_independent_runs_write_identical_files(tmp_path: Path) -> None:
    from captemstats.analysis import analyze

    a = write_outputs(analyze(REGISTRY), tmp_path / "a")
    b = write_outputs(analyze(REGISTRY), tmp_path / "b")
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name
    assert json.loads(a["results.json"].read_text())["cohort"]["n"] > 0


def test_synthetic_generator_is_seeded_end_to_end(tmp_path: Path) -> None:
    from captemstats.synth import generate_registry, write_registry

    one = write_registry(generate_registry(80, seed=11), tmp_path / "one")
    two = write_registry(generate_registry(80, seed=11), tmp_path / "two")
    other = write_registry(generate_registry(80, seed=12), tmp_path / "other")
    for name in one:
        assert one[name].read_bytes() == two[name].read_bytes(), name
    assert one["patients"].read_bytes() != other["patients"].read_bytes()


def test_publish_swaps_folders_and_restores_them_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from captemstats.render import publish as engine

    target = tmp_path / "out"
    (target / "article_files").mkdir(parents=True)
    (target / "article_files" / "fig.png").write_bytes(b"old figure")
    (target / "keep.txt").write_text("untouched")

    def staged() -> Path:
        staging = tmp_path / f"staging-{len(list(tmp_path.iterdir()))}"
        (staging / "article_files").mkdir(parents=True)
        (staging / "article_files" / "fig.png").write_bytes(b"new figure")
        return staging

    real_move = shutil.move

    def failing_move(src: str, dst: str) -> str:
        raise OSError("killed while moving")

    monkeypatch.setattr(engine.shutil, "move", failing_move)
    with pytest.raises(OSError):
        engine.publish(staged(), target)
    assert (target / "article_files" / "fig.png").read_bytes() == b"old figure"
    assert sorted(p.name for p in target.iterdir()) == ["article_files", "keep.txt"]
    monkeypatch.setattr(engine.shutil, "move", real_move)
    engine.publish(staged(), target)
    assert (target / "article_files" / "fig.png").read_bytes() == b"new figure"
    assert sorted(p.name for p in target.iterdir()) == ["article_files", "keep.txt"]
