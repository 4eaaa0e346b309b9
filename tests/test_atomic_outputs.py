"""`analyze` outputs all or nothing, readable by collaborators, one writer per folder, no paths.

Specifications of :mod:`captemstats.atomic` and :meth:`StudyAnalysis.write`: a full disk at the
fifth file leaves the previous set byte for byte; a kill between the two renames is undone by the
next run; modes follow the umask (0644/0755 under 022, 0640/0750 under 027); a second writer is
refused; no output names the analyst's folders.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from captemstats.atomic import OutputLockedError, atomic_folder, folder_lock
from captemstats.outputs import write_outputs

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "data" / "registry"


@pytest.fixture(scope="module")
def res() -> Any:
    from captemstats.analysis import analyze

    return analyze(REGISTRY)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_full_disk_at_the_fifth_file_leaves_the_previous_set(
    res: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "results"
    write_outputs(res, out)
    (out / "notes.txt").write_text("the analyst's own file")
    before = _snapshot(out)
    calls = {"n": 0}
    real = pd.DataFrame.to_csv

    def full_disk(self: pd.DataFrame, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_outputs(res, out)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no staging folder left


def test_rewrite_keeps_other_files_and_replaces_ours(res: Any, tmp_path: Path) -> None:
    out = tmp_path / "results"
    written = write_outputs(res, out)
    (out / "notes.txt").write_text("kept")
    (out / "results.json").write_text("stale")
    again = write_outputs(res, out)
    assert set(again) == set(written)
    assert (out / "notes.txt").read_text() == "kept"
    assert (out / "results.json").read_text() != "stale"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_kill_between_the_two_renames_is_undone_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "a.csv").write_text("previous")
    # the state a kill leaves after `out -> .out.old-PID-*` and before `staging -> out`
    dead = _dead_pid()
    os.replace(out, tmp_path / f".results.old-{dead}-abcd1234")
    (tmp_path / f".results.staging-{dead}-efgh5678").mkdir()
    with atomic_folder(out) as staging:
        (staging / "b.csv").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    assert (out / "a.csv").read_text() == "previous"  # recovered, then kept
    assert (out / "b.csv").read_text() == "new"


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)]
)
def test_modes_follow_the_umask(
    res: Any, tmp_path: Path, mask: int, file_mode: int, dir_mode: int
) -> None:
    old = os.umask(mask)
    try:
        written = write_outputs(res, tmp_path / "results")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "results").stat().st_mode) == dir_mode
    assert {stat.S_IMODE(p.stat().st_mode) for p in written.values()} == {file_mode}


def test_a_second_writer_is_refused(res: Any, tmp_path: Path) -> None:
    out = tmp_path / "results"
    with folder_lock(out), pytest.raises(OutputLockedError, match="another captemstats"):
        write_outputs(res, out)
    assert not out.exists()


def test_no_output_names_the_analysts_folders(tmp_path: Path) -> None:
    registry = tmp_path / "private" / "centre-export"
    shutil.copytree(REGISTRY, registry)
    out = tmp_path / "results"
    cmd = [sys.executable, "-m", "captemstats", "analyze", "--registry", str(registry)]
    proc = subprocess.run(
        [*cmd, "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert str(tmp_path) not in text, path.name
        assert "private" not in text, path.name
