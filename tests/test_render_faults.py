"""Clean faults of the renderer: a killed render leaves nothing the next run does not remove,
published files are readable by collaborators, and two renders never write one folder at once."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from captemstats.atomic import OutputLockedError
from captemstats.render import render_document
from captemstats.render.publish import output_lock, remove_stale

FIXTURES = Path(__file__).resolve().parent / "data" / "qmd"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _doc(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "doc")
    return tmp_path / "doc" / "article.qmd"


def test_stale_work_folders_of_dead_runs_are_removed(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getpid()
    out = tmp_path / "out"
    (out / f".article.html.old-{dead}-abcd1234").mkdir(parents=True)
    stale = [
        tmp_path / f".out.staging-{dead}-abcd1234",
        Path(tempfile.gettempdir()) / f"captemstats-render-{dead}-abcd1234",
        Path(tempfile.gettempdir()) / f"cs-kernel-{dead}-abcd1234",
    ]
    live = tmp_path / f".out.staging-{alive}-keep1234"
    for folder in [*stale, live]:
        folder.mkdir()
        (folder / "index.html").write_text("left by a killed render")
    render_document(_doc(tmp_path), formats=("html",), out_dir=out, cache=False)
    assert not any(p.exists() for p in stale)
    assert not list(out.glob(".*.old-*"))
    assert live.is_dir()  # a concurrent run's folder is never touched


def test_remove_stale_keeps_names_without_a_pid(tmp_path: Path) -> None:
    (tmp_path / ".out.staging-notapid").mkdir()
    assert remove_stale(tmp_path, ".out.staging-*") == []


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0, 4.5])
def test_sigkill_at_any_point_leaves_nothing_after_the_next_run(
    delay: float, tmp_path: Path
) -> None:
    doc, out = _doc(tmp_path), tmp_path / "out"
    code = (
        "from captemstats.render import render_document; "
        f"render_document({str(doc)!r}, out_dir={str(out)!r}, cache=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)  # the render and its kernel, as a kill -9 of the job
    proc.wait()
    pid = proc.pid
    render_document(doc, formats=("html",), out_dir=out, cache=False)
    temp = Path(tempfile.gettempdir())
    left = [
        *tmp_path.glob(f".out.staging-{pid}-*"),
        *temp.glob(f"captemstats-render-{pid}-*"),
        *temp.glob(f"cs-kernel-{pid}-*"),
        *out.glob(".*.old-*"),
    ]
    assert left == []
    assert (out / "article.html").is_file()


def test_published_outputs_are_readable_by_collaborators(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = tmp_path / "shared" / "out"
        result = render_document(_doc(tmp_path), formats=("html",), out_dir=out, cache=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE(result.outputs["html"].stat().st_mode) == 0o644


def test_a_second_render_into_the_same_folder_fails_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_lock(out), pytest.raises(OutputLockedError, match="another captemstats render"):
        render_document(_doc(tmp_path), formats=("html",), out_dir=out, cache=False)
    assert not out.exists()
