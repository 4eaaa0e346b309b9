"""Clear errors for the environment (issue 13, part 4): an unwritable, full or read-only output
folder, an unreadable registry folder, an oversize cell, running out of memory - each one line
on stderr and exit 2. "internal error" (exit 3) is for bugs only.

Root ignores permission bits, so the operating-system errors are raised by monkeypatching the
calls that meet them (with the errno the kernel gives), plus one real case where the platform
has it (``/sys`` refuses new folders even to root).
"""

from __future__ import annotations

import errno
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from captemstats.cli import describe_os_error, main

ROOT = Path(__file__).parents[1]
SHIPPED = ROOT / "data" / "registry"
VALID = Path(__file__).parent / "data" / "valid"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    code = info.value.code
    return int(code) if isinstance(code, int) else 1, capsys.readouterr().err


@pytest.fixture(scope="module")
def shipped_result() -> Any:
    from captemstats.analysis import analyze

    return analyze(SHIPPED)


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch, shipped_result: Any) -> None:
    """``analyze`` returns the (real) result computed once for the module."""
    import captemstats.analysis

    monkeypatch.setattr(captemstats.analysis, "analyze", lambda *a, **k: shipped_result)


ERRNOS = [
    (errno.ENOSPC, "No space left on device", "the disk is full"),
    (errno.EROFS, "Read-only file system", "the file system is read-only"),
    (errno.EACCES, "Permission denied", "permission denied"),
    (errno.EDQUOT, "Disk quota exceeded", "quota"),
]


@pytest.mark.parametrize(("code", "reason", "hint"), ERRNOS)
def test_unwritable_output_folder_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    analysed: None,
    code: int,
    reason: str,
    hint: str,
) -> None:
    out = tmp_path / "results"

    def refuse(*args: object, **kwargs: object) -> Any:
        raise OSError(code, reason, str(kwargs.get("dir", out)))

    # Every analysis output is written through a temporary file or staging folder next to
    # its target: the first one refused is what a full or read-only disk does.
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    status, err = run(["analyze", "--registry", str(SHIPPED), "--out", str(out)], capsys)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert str(out) in err and reason in err and hint in err
    assert "internal error" not in err


def test_output_folder_the_system_refuses(
    capsys: pytest.CaptureFixture[str], analysed: None
) -> None:
    target = Path("/sys/captemstats-test-out")
    try:
        target.mkdir()
    except OSError:
        pass
    else:  # pragma: no cover - a platform where /sys is writable
        target.rmdir()
        pytest.skip("/sys accepts new folders here")
    status, err = run(["analyze", "--out", str(target)], capsys)
    assert status == 2 and err.count("\n") == 1
    assert str(target) in err and "internal error" not in err


def test_unreadable_registry_folder_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    reg = tmp_path / "registry"
    shutil.copytree(VALID, reg)

    def refuse(self: Path) -> object:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refuse)
    status, err = run(["validate", str(reg)], capsys)
    assert status == 2 and err.count("\n") == 1
    assert f"{reg}: Permission denied" in err


@pytest.mark.parametrize("command", ["validate", "analyze"])
def test_oversize_cell_names_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    reg = tmp_path / "registry"
    shutil.copytree(VALID, reg)
    lines = (reg / "patients.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("Ankara Gazi", "A" * 200_000)  # 200 KB cell, file line 4
    (reg / "patients.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = ["validate", str(reg)] if command == "validate" else ["analyze", "-r", str(reg)]
    status, err = run(
        [*argv, *(["--out", str(tmp_path / "o")] if command == "analyze" else [])], capsys
    )
    assert status == 2 and err.count("\n") == 1
    assert "patients.csv line 4, column 'center': a cell of 200,000 characters" in err
    assert not (tmp_path / "o").exists()


def test_out_of_memory_is_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import captemstats.io

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(captemstats.io, "read_registry", exhausted)
    status, err = run(["validate", str(VALID)], capsys)
    assert status == 2 and err.count("\n") == 1 and "out of memory" in err


def test_a_bug_is_still_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import captemstats.io

    def bug(*args: object, **kwargs: object) -> None:
        raise KeyError("no such column")

    monkeypatch.setattr(captemstats.io, "read_registry", bug)
    status, err = run(["validate", str(VALID)], capsys)
    assert status == 3 and err.startswith("internal error: KeyError")


def test_error_messages_are_not_read_as_markup(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # "registry.xlsx[patients]" must survive: rich would take "[patients]" for a style.
    import openpyxl

    book = tmp_path / "registry.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "patients"  # an empty sheet
    wb.create_sheet("adverse_events").append(["patient_id"])
    wb.save(book)
    status, err = run(["validate", str(book)], capsys)
    assert status == 2 and "registry.xlsx[patients]: the sheet is empty" in err


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "No space left on device (the disk"),
        (OSError(errno.EROFS, "Read-only file system", "/a/b"), "/a/b: Read-only file system ("),
        (PermissionError(errno.EACCES, "Permission denied", "/x", None, "/y"), "/x -> /y:"),
        (OSError(errno.EIO, "Input/output error", "/dev/sda"), "/dev/sda: Input/output error"),
        (OSError("bare message"), "bare message"),
    ],
)
def test_describe_os_error(exc: OSError, text: str) -> None:
    line = describe_os_error(exc)
    assert text in line and "\n" not in line
