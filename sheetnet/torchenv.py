"""torch, imported on first use and set up to give the same numbers on every machine.

    from sheetnet.torchenv import get_torch, threads
    torch = get_torch()
    with threads(rows * params * starts):
        ...

torch is big (most of a second to import), so no sheetnet module imports it at import time.  Before
the first import this module asks for the same arithmetic on every x86-64 processor:
    ATEN_CPU_CAPABILITY=avx2   torch's vectorised kernels (sums, exp) use AVX2 code, not AVX-512
                               on machines that have it: the lanes, hence the order of additions,
                               are the same everywhere
    MKL_CBWR=AVX2              Intel MKL (torch's BLAS) in its conditional-reproducibility mode
Both only where the processor has AVX2 and FMA, and only if not already set (set them yourself to
choose otherwise; SHEETNET_NATIVE_CPU=1 leaves both alone).  They have no effect when torch was
imported before sheetnet: then sums may differ in the last bits from the README's.

`threads(work)` runs a block on one thread when the work is small (torch's default of one thread a
core is slower for these tiny models, and a sum split across threads depends on their count), on
torch's own count above that (MAX_THREADS caps it), and restores the setting afterwards.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

SMALL_WORK = 1 << 20  # rows x params x starts below which one thread is fastest (bench_multistart: 1,000
# starts of nnet, 14M, ran 3.2x faster on 4 threads than on 1 on a 16-core host; titanic training, 14k, on one)
MAX_THREADS = None  # the most threads large work gets; None: torch's own count (one a core).  On a 16-core
# H200 host 1,000 starts took 1.06 s on 16 threads, 2.68 s on 4 (bench_multistart, 2026-11-26)


def _has_avx2_fma() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return {"avx2", "fma"} <= flags
    except OSError:
        pass
    return False


def _prepare():
    if "torch" in sys.modules or os.environ.get("SHEETNET_NATIVE_CPU"):
        return
    if _has_avx2_fma():
        os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")
        os.environ.setdefault("MKL_CBWR", "AVX2")


def get_torch():
    """The torch module (imported now if it was not)."""
    _prepare()
    import torch
    return torch


@contextmanager
def threads(work: float, device=None):
    """One torch thread for small work (or any non-CPU device), torch's own count for large; restored after."""
    torch = get_torch()
    before = torch.get_num_threads()
    most = before if MAX_THREADS is None else min(MAX_THREADS, before)
    want = 1 if (work < SMALL_WORK or (device is not None and str(device) != "cpu")) else most
    if want != before:
        torch.set_num_threads(want)
    try:
        yield want
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
