"""Atomic file replacement: write beside the target, then rename over it, or leave it untouched."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import SheetnetError


@contextlib.contextmanager
def atomic_path(target: str | Path, suffix: str = ""):
    """Yield a temporary path in the target's folder; on success it replaces `target` in one rename."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise SheetnetError(f"{target}: folder {folder} does not exist")
    if target.is_dir():
        raise SheetnetError(f"{target}: is a folder")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=folder)
    os.close(fd)
    try:
        yield Path(tmp)
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m
