"""Bounds on reading an untrusted workbook: memory and time, for every command (the grader has its own).

    with bounded("book.xlsx"):
        book = read_book("book.xlsx")

Memory: the address space may grow by at most SHEETNET_MAX_MEMORY_MB (default 4096) while inside;
time: SHEETNET_MAX_SECONDS (default 300) of wall time.  `sheetnet --max-memory MB --max-seconds S
COMMAND ...` sets both.  Past either, one line says so; nothing is written.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager

from .errors import SheetnetError

DEFAULT_MEMORY_MB = 4096
DEFAULT_SECONDS = 300.0


class _TimeUp(BaseException):
    pass


def _vm_bytes() -> int:
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        try:
            return int(os.read(fd, 256).split()[0]) * os.sysconf("SC_PAGE_SIZE")
        finally:
            os.close(fd)
    except (OSError, ValueError, IndexError):
        return 0


def _setting(name: str, default: float) -> float:
    try:
        v = float(os.environ.get(name, default))
    except ValueError:
        return default
    return v if v > 0 else default


@contextmanager
def bounded(what):
    memory_mb = _setting("SHEETNET_MAX_MEMORY_MB", DEFAULT_MEMORY_MB)
    seconds = _setting("SHEETNET_MAX_SECONDS", DEFAULT_SECONDS)
    restore_as = None
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        vm = _vm_bytes()
        if vm:
            want = vm + int(memory_mb * (1 << 20))
            if hard != resource.RLIM_INFINITY:
                want = min(want, hard)
            if soft == resource.RLIM_INFINITY or want < soft:
                resource.setrlimit(resource.RLIMIT_AS, (want, hard))
                restore_as = (resource, soft, hard)
    except (ImportError, ValueError, OSError):
        restore_as = None
    timer = threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None) and \
        signal.getitimer(signal.ITIMER_REAL)[0] == 0

    def up(signum, frame):
        raise _TimeUp()
    if timer:
        signal.signal(signal.SIGALRM, up)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except MemoryError:
        raise SheetnetError(f"{what}: needs more than {memory_mb:g} MB of memory to read and evaluate; refused "
                            f"(sheetnet --max-memory MB raises the limit)") from None
    except _TimeUp:
        raise SheetnetError(f"{what}: takes longer than {seconds:g} s to read and evaluate; refused "
                            f"(sheetnet --max-seconds S raises the limit)") from None
    finally:
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        if restore_as is not None:
            resource, soft, hard = restore_as
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
