"""A large sheet's plain number cells read in bulk, and its XML checked on a second core meanwhile.

Most of a large sheet is numbers written one way, `<c r="B7" s="3"><v>1.5</v></c>`: one regular
expression splits them out of the part, and Python's own int() and float() (correctly rounded, as
the cell-by-cell reading) make them arrays, where reading them one cell at a time took a
microsecond each (3 million numbers: 3.8 s, now 1.0 s).  Every other cell stays in the text
returned, for sheetxml's cell-by-cell reading.
"""

from __future__ import annotations

import os
import re

import numpy as np

from .address import col_index

BULK_BYTES = 1 << 12  # parts this large take the bulk reading (below, its fixed cost is more than it saves)
CHUNK = 128 << 10
PARALLEL_CHECK_BYTES = 8 << 20  # parts this large are checked by expat in a second process meanwhile

# (<f ca="1"/>: a cell of a volatile array formula's box, holding its value, as the cell-by-cell reading reads it)
_PLAIN = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="[0-9]{1,9}")?(?: t="n")?>(?:<f ca="1"/>)?'
                    rb'<v>([-+.0-9eE]{1,32})</v></c>')


def plain_numbers(data: bytes, place):
    """(rows, cols, values, rest, cuts): the plain number cells as arrays (0-based row and column), the
    part without them, and where in it they were cut out.  None when there are none or one is not a number
    (the cell-by-cell reading then reads the whole part, and says which).  place(r, c, ref) refuses a cell
    beyond the sheet.  Read in pieces of about CHUNK bytes cut after a cell's </c>: a third faster than at
    once, and a tenth of the memory."""
    rows, cols, vals, rest, cuts = [], [], [], [], []
    pos = at = 0
    while pos < len(data):
        end = data.find(b"</c>", pos + CHUNK)
        end = len(data) if end < 0 else end + 4
        parts = _PLAIN.split(data[pos:end])
        n = len(parts) // 4
        letters, digits = parts[1::4], parts[2::4]
        try:
            vals.append(np.fromiter(map(float, parts[3::4]), np.float64, n))
        except ValueError:  # "1e" or "+-"
            return None
        rr, cc = cells_at(letters, digits, place)
        rows.append(rr)
        cols.append(cc)
        texts = parts[0::4]
        rest.append(b"".join(texts))
        cuts.append(at + cut_at(texts, n))
        at += len(rest[-1])
        pos = end
    if not sum(map(len, vals)):
        return None
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), b"".join(rest), np.concatenate(cuts)


def cells_at(letters: list, digits: list, place) -> tuple:
    """(rows, cols): 0-based arrays of the cells a split of a part gave as column letters and row digits (a row's
    cells share their digits: one int() a row); place(r, c, ref) is called for the largest row and column, and
    refuses a cell beyond the sheet."""
    n = len(letters)
    index = {s: col_index(s) for s in set(letters)}
    row_of = {d: int(d) - 1 for d in set(digits)}
    rows = np.fromiter(map(row_of.__getitem__, digits), np.int64, n)
    cols = np.fromiter(map(index.__getitem__, letters), np.int64, n)
    if n:
        for i in (int(np.argmax(rows)), int(np.argmax(cols))):
            place(int(rows[i]), int(cols[i]), (letters[i] + digits[i]).decode())
    return rows, cols


def cut_at(between: list, n: int):
    """Where in the text joined from `between` (what came before and between n cells cut out) each was cut."""
    return np.cumsum(np.fromiter(map(len, between[:n]), np.int64, n))


class XmlCheck:
    """check(data, where) run in a forked process while this one reads the part; `result()` raises
    what the check raised.  Small parts, or where there is no second core, check in line."""

    def __init__(self, check, data: bytes, where: str):
        self.pid, self.where = None, where
        if len(data) < PARALLEL_CHECK_BYTES or not _two_cores():
            check(data, where)
            return
        r, w = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no second process to be had (memory, process limits): in line, as on one core
            os.close(r)
            os.close(w)
            check(data, where)
            return
        if pid == 0:  # the child: check, say what it found, leave without running any cleanup of the parent's
            code = 0
            try:
                os.close(r)
                try:
                    check(data, where)
                    msg = b""
                except Exception as e:  # noqa: BLE001 (sent to the parent, which raises it as a refusal)
                    msg = str(e).encode("utf-8", "replace")[:4000] or type(e).__name__.encode()
                os.write(w, msg)
                os.close(w)
            except BaseException:  # noqa: BLE001
                code = 1
            os._exit(code)
        os.close(w)
        self.pid, self.fd = pid, r

    def result(self):
        if self.pid is None:
            return
        from ..errors import SheetnetError

        pid, self.pid = self.pid, None
        try:
            with os.fdopen(self.fd, "rb") as f:
                msg = f.read()
        except BaseException:  # out of time (sheetnet.limits) while waiting: the check is stopped too
            import signal
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        _, status = os.waitpid(pid, 0)
        if msg:
            raise SheetnetError(msg.decode("utf-8", "replace"))
        if status != 0:
            raise SheetnetError(f"{self.where}: the check of its XML ended without an answer; refused")


def _two_cores() -> bool:
    import multiprocessing as mp

    return (os.cpu_count() or 1) >= 2 and hasattr(os, "fork") and not os.environ.get("SHEETNET_NO_FORK") and \
        not mp.current_process().daemon
