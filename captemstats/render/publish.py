"""Staging and publication of rendered outputs: nothing partial ever reaches the output folder.

Every engine writes into a staging folder beside the target (same file system, so the final move
is a rename) and publishes it only when every format succeeded. Work folders carry the pid of the
process that made them (``.<out>.staging-<pid>-*``, ``captemstats-render-<pid>-*``): a run that
was killed cannot remove its own, so the next run removes those whose process is gone. An
exclusive lock per output folder keeps two renders from publishing into it at once.
Published folders get the modes a plain ``mkdir`` would (0755 under umask 022), not the 0700 of
a temporary folder, so collaborators on a shared folder can read them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from pathlib import Path

from captemstats.atomic import folder_lock, public_mode, remove_stale
from captemstats.render.errors import RenderError


def work_dir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder ``<prefix><pid>-*`` in the system temp folder, after sweeping the
    ones killed runs left there."""
    remove_stale(Path(tempfile.gettempdir()), f"{glob.escape(prefix)}*")
    return tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-")


def output_lock(target: Path) -> contextlib.AbstractContextManager[None]:
    """One render per output folder at a time (:func:`captemstats.atomic.folder_lock`)."""
    return folder_lock(target, "render")


def staging_dir(target: Path) -> Path:
    """A fresh directory on the same file system as ``target`` (so the final move is a rename).

    Created beside ``target`` when its parent exists, else in the system temp directory: the
    output folder itself (and its parents) are only created at publication.
    """
    parent = target.parent
    base = parent if parent.is_dir() else Path(tempfile.gettempdir())
    prefix = f".{target.name}.staging-"
    remove_stale(base, f"{glob.escape(prefix)}*")
    remove_stale(target, ".*.old-*")  # replaced folders a killed publication left behind
    try:
        staging = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=base))
    except OSError as exc:
        raise RenderError(f"cannot write in {base}: {exc.strerror}") from None
    public_mode(staging, folder=True)  # published as the output folder: not mkdtemp's 0700
    return staging


def publish(staging: Path, target: Path) -> None:
    """Move every entry of ``staging`` into ``target``, replacing same-named entries.

    A missing ``target`` is created by renaming ``staging`` itself (one atomic step); into an
    existing folder each entry is swapped in with :func:`os.replace` (files) or rename (folders),
    leaving other files there alone.
    """
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(staging, target)
            return
        except OSError:
            pass  # different file system: fall back to entry-wise moves
        target.mkdir()
    for entry in staging.iterdir():
        dest = target / entry.name
        if dest.is_dir() and not dest.is_symlink():
            # Rename the old folder aside first (one atomic step) so that an interrupted
            # publication never leaves the folder half-deleted; remove it once replaced.
            old = Path(tempfile.mkdtemp(prefix=f".{entry.name}.old-{os.getpid()}-", dir=target))
            os.replace(dest, old / entry.name)
            try:
                shutil.move(str(entry), str(dest))
            except BaseException:
                os.replace(old / entry.name, dest)  # put the previous folder back
                raise
            finally:
                shutil.rmtree(old, ignore_errors=True)
            continue
        shutil.move(str(entry), str(dest))
