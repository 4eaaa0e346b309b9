"""Atomic outputs (core layer): single files, whole output folders, and one writer per folder.

Nothing half-written may be left where a collaborator or a renderer could pick it up:

* :func:`atomic_path` / :func:`write_atomic`: one file, written to a temporary name beside it and
  moved into place with :func:`os.replace` (atomic within one file system);
* :func:`atomic_folder`: a whole set of files (``captemstats analyze --out``), written into a
  staging folder beside the target and swapped in with two renames, so a failure or a full disk
  leaves the previous set exactly as it was. A run killed between the two renames leaves the
  previous folder under ``.<out>.old-<pid>-*``; the next run puts it back before it starts;
* :func:`folder_lock`: an exclusive ``flock`` per output folder (lock file in the system temp
  folder, named by a hash of the folder's path), so two runs never write one folder at once.

Files and folders get the modes a plain ``open``/``mkdir`` would (0644/0755 under umask 022),
not the private 0600/0700 of :mod:`tempfile`, so collaborators on a shared folder can read them.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from captemstats.errors import CaptemError

# Work folders end in `<pid>-<random>` (tempfile's random part has no dash).
_PID = re.compile(r"(\d+)-[a-z0-9_]+$")


class OutputLockedError(CaptemError):
    """Another captemstats process is writing the same output folder."""


def umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def public_mode(path: Path, *, folder: bool = False) -> None:
    """Give ``path`` the mode a plain ``open``/``mkdir`` would, under the current umask."""
    path.chmod((0o777 if folder else 0o666) & ~umask())


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it onto ``path``.

    The temporary file keeps ``path``'s suffix so that writers choosing a format from the
    extension (matplotlib, openpyxl) behave as for the final name. On error it is removed.

    Example
    -------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "t.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        public_mode(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``path``; return ``path``."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale(folder: Path, pattern: str) -> list[Path]:
    """Remove the work folders ``folder/<pattern>`` whose process no longer runs.

    Folders of live processes (a concurrent run) are kept. Returns the folders removed.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.glob(pattern):
        m = _PID.search(entry.name)
        if m is None or not entry.is_dir() or _alive(int(m.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def folder_lock(target: Path, what: str = "run") -> Iterator[None]:
    """Hold an exclusive lock for the output folder ``target`` (POSIX ``flock``, no wait).

    Raises :class:`OutputLockedError` when another process holds it. Without ``fcntl``
    (Windows) no lock is taken.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    key = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:24]
    lock_path = Path(tempfile.gettempdir()) / f"captemstats-out-{key}.lock"
    try:
        fh = lock_path.open("a")
    except OSError as exc:
        raise CaptemError(f"cannot create the lock {lock_path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputLockedError(
                f"another captemstats {what} is writing {target}; wait for it or use another --out"
            ) from None
        yield
    finally:
        fh.close()


def _recover(target: Path) -> None:
    """Undo a swap a killed run left half done, and remove its staging folders."""
    parent = target.parent
    prefix = glob.escape(f".{target.name}.")
    for old in sorted(parent.glob(f"{prefix}old-*")):
        m = _PID.search(old.name)
        if m is None or _alive(int(m.group(1))):
            continue
        if not target.exists():
            os.replace(old, target)  # killed between the two renames: put the previous set back
        else:
            shutil.rmtree(old, ignore_errors=True)
    remove_stale(parent, f"{prefix}staging-*")


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a staging folder; on success it replaces ``target`` as a whole.

    Entries of an existing ``target`` that the new set does not contain are kept (moved into
    the new folder), so a shared output folder loses nothing but the files rewritten. On error
    the staging folder is removed and ``target`` is untouched.

    Example
    -------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "results"
    >>> with atomic_folder(out) as staging:
    ...     _ = (staging / "a.csv").write_text("x")
    >>> sorted(p.name for p in out.iterdir())
    ['a.csv']
    """
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    _recover(final)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{final.name}.staging-{os.getpid()}-", dir=final.parent)
    )
    try:
        yield staging
        public_mode(staging, folder=True)
        if not final.exists():
            os.replace(staging, final)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-{os.getpid()}-", dir=final.parent))
        old.rmdir()
        os.replace(final, old)
        os.replace(staging, final)
        for entry in old.iterdir():
            if not (final / entry.name).exists():
                os.replace(entry, final / entry.name)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
