"""Staging and publication of rendered outputs: nothing partial ever reaches the output folder.

Every engine writes into a staging folder beside the target (same file system, so the final move
is a rename) and publishes it only when every format succeeded.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def staging_dir(target: Path) -> Path:
    """A fresh directory on the same file system as ``target`` (so the final move is a rename).

    Created beside ``target`` when its parent exists, else in the system temp directory: the
    output folder itself (and its parents) are only created at publication.
    """
    parent = target.parent
    base = parent if parent.is_dir() else None
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=base))


def publish(staging: Path, target: Path) -> None:
    """Move every entry of ``staging`` into ``target``, replacing same-named entries.

    A missing ``target`` is created by renaming ``staging`` itself (one atomic step); into an
    existing folder each entry is swapped in with :func:`os.replace` (files) or rename (folders),
    leaving other files there alone.
    """
    import os

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
            old = Path(tempfile.mkdtemp(prefix=f".{entry.name}.old-", dir=target))
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
