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
    check_writable(target)
    if target.is_dir():
        raise SheetnetError(f"{target}: is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or target.suffix, dir=folder)
    except OSError as e:
        raise SheetnetError(f"{target}: cannot write in folder {folder} ({e.strerror})") from None
    os.close(fd)
    try:
        yield Path(tmp)
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        try:
            os.replace(tmp, target)
        except OSError as e:
            raise SheetnetError(f"{target}: cannot replace it ({e.strerror})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def check_writable(target: str | Path):
    """Refuse, in one line, an output path whose folder is missing or that names a folder."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise SheetnetError(f"{target}: folder {folder} does not exist")
    if target.is_dir():
        raise SheetnetError(f"{target}: is a folder")
    try:  # the real test: can a file be made there?
        with tempfile.TemporaryFile(prefix=".sheetnet-probe.", dir=folder):
            pass
    except OSError as e:
        raise SheetnetError(f"{target}: cannot write in folder {folder} ({e.strerror})") from None


def check_output(target: str | Path, inputs=(), suffixes=(".xlsx",), flag: str = "-o", in_place: bool = True) -> Path:
    """Refuse, in one line, an output that would replace one of `inputs` (say --in-place for that, where
    a command has it), whose extension is not one sheetnet writes there, or that cannot be written."""
    target = Path(target)
    for i in inputs:
        if i is None:
            continue
        try:
            same = target.exists() and Path(i).exists() and os.path.samefile(target, i)
        except OSError:
            same = False
        if same or Path(os.path.abspath(target)) == Path(os.path.abspath(i)):
            raise SheetnetError(f"{target}: {flag} names an input of this command; it would be replaced "
                                f"(write elsewhere{', or use --in-place' if in_place else ''})")
    if suffixes and target.suffix.lower() not in suffixes:
        raise SheetnetError(f"{target}: {flag} writes {' or '.join(suffixes)} files; name it with "
                            f"{suffixes[0]} (sheetnet does not write {target.suffix or 'files without an extension'})")
    check_writable(target)
    return target
