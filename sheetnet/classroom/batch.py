"""Grade a whole class: each submission in its own process (bounded time and memory), a gradebook CSV
Canvas and Moodle import, a class summary, and feedback per student.

    cls = grade_class("class/titanic-key.json", ["submissions/"], "class/gradebook.csv", feedback="class/feedback")
    print("\\n".join(cls.summary()))
"""

from __future__ import annotations

import collections
import csv
import io
import multiprocessing as mp
import multiprocessing.connection
import os
import pickle
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import atomic_path, check_output
from ..errors import SheetnetError
from .grade import Grade, Key, RungResult, grade_file

TIMEOUT = 60.0  # seconds a submission may take
MEMORY = 2 << 30  # bytes a grading process may use
GRADED = {".xlsx", ".xlsm", ".ods", ".xls"}


@dataclass
class ClassResult:
    key: Key
    grades: list = field(default_factory=list)
    seconds: float = 0.0
    gradebook: Path | None = None
    feedback: list = field(default_factory=list)

    def summary(self) -> list[str]:
        n = len(self.grades)
        lines = [f"{n} submissions graded in {self.seconds:.1f} s"]
        if not n:
            return lines
        w = max([24] + [len(r.name) + 1 for r in self.key.rungs])
        lines.append(f"  {'task':<{w}}{'got it':>8}   most common mistake")
        for i, r in enumerate(self.key.rungs):
            ok = sum(1 for g in self.grades if g.rungs[i].ok)
            labels = collections.Counter(s.mistake.label for g in self.grades for s in g.rungs[i].steps
                                         if not s.ok and s.mistake is not None)
            common = f"{labels.most_common(1)[0][0]} ({labels.most_common(1)[0][1]})" if labels else ""
            lines.append(f"  {r.name:<{w}}{ok:>4}/{n:<4}  {common}")
        totals = sorted(g.total for g in self.grades if not g.error)
        med = "-" if not totals else f"{(totals[(len(totals) - 1) // 2] + totals[len(totals) // 2]) / 2:g}"
        lines.append(f"  total: median {med} of {self.grades[0].possible:g} (graded ones); "
                     f"not graded: {sum(1 for g in self.grades if g.error)}; flagged: {sum(1 for g in self.grades if g.flags)}")
        return lines


def _own_output(f: Path) -> bool:
    """sheetnet's own files in a folder of submissions: feedback pages, marked copies, gradebooks, keys."""
    name = f.name.lower()
    return (name.endswith((".html", ".csv", "-key.json")) or ".marked." in name)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+|\.{2,}")


def safe_stem(text: str) -> str:
    """A file name made from a student's id: letters, digits, '.', '_' and '-' only, no '..', no leading
    dot, at most 80 characters, never empty: it cannot leave the folder it is written in."""
    stem = re.sub(r"_+", "_", _UNSAFE.sub("_", str(text))).strip("._-")[:80]
    return stem or "student"


def csv_safe(text) -> str:
    """A cell a spreadsheet will not run (OWASP's CSV injection advice): text starting with =, +, -, @, a
    tab or a carriage return gets a leading apostrophe."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def collect(sources) -> list[Path]:
    """Every file of the folders (and the files) given, each once, in order."""
    out, seen = [], set()
    for src in sources:
        p = Path(src)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith((".", "~$"))
                           and not _own_output(f))
        elif p.exists():
            files = [p]
        else:
            raise SheetnetError(f"{p}: no such file or folder")
        for f in files:
            if f.resolve() not in seen:
                seen.add(f.resolve())
                out.append(f)
    return out


def _worker(key, hints, conn):
    """A grading process: submissions in, grades out, one at a time, within MEMORY."""
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    except (ValueError, OSError):
        pass
    os.environ["SHEETNET_NO_FORK"] = "1"  # one process a submission: no more
    while True:
        try:
            path = conn.recv()
        except EOFError:
            return
        if path is None:
            return
        try:
            g = grade_file(path, key, hints)
        except MemoryError:
            g = Grade(str(path), error=f"needs more than {MEMORY >> 30} GB of memory to grade; refused")
        except Exception as e:  # a bug must not end the class's grading: the row says so
            g = Grade(str(path), error=f"the grader failed on this file ({type(e).__name__}: {e})")
        conn.send_bytes(pickle.dumps(g))
        if g.error and "memory" in g.error:
            return  # start afresh after running out of memory


class _Slot:
    """One worker process and the submission it is on."""

    def __init__(self, ctx, key, hints):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(key, hints, child), daemon=True)
        self.proc.start()
        child.close()
        self.job, self.t0 = None, 0.0

    def give(self, i, path):
        self.job, self.t0 = i, time.perf_counter()
        self.conn.send(str(path))

    def stop(self, kill=False):
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def _run_pool(files, key, hints, workers, timeout, progress):
    # forkserver: the graders fork from a clean server that has imported sheetnet once, never from
    # this process (whose torch thread pools, once used, would deadlock a fork); each grades many submissions
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["sheetnet.classroom.grade"])  # torch only where a sheet needs autograd
    results: dict = {}
    pending = list(enumerate(files))
    slots = [_Slot(ctx, key, hints) for _ in range(min(workers, len(files)))]
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(files), desc="grading", unit="file", leave=False)
    try:
        while pending or any(s.job is not None for s in slots):
            for k, sl in enumerate(slots):
                if sl.job is None and pending:
                    if not sl.proc.is_alive():
                        sl.stop(kill=True)
                        slots[k] = sl = _Slot(ctx, key, hints)
                    sl.give(*pending.pop(0))
            busy = [s for s in slots if s.job is not None]
            mp.connection.wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], timeout=0.05)
            for k, sl in enumerate(slots):
                if sl.job is None:
                    continue
                i, fresh = sl.job, False
                if sl.conn.poll():
                    try:
                        results[i] = pickle.loads(sl.conn.recv_bytes())
                    except EOFError:
                        results[i] = Grade(str(files[i]), error="the grading process ended without an answer")
                        fresh = True
                elif not sl.proc.is_alive():
                    results[i] = Grade(str(files[i]), error=f"the grading process died (exit {sl.proc.exitcode}; "
                                                            "out of memory?)")
                    fresh = True
                elif time.perf_counter() - sl.t0 > timeout:
                    results[i] = Grade(str(files[i]), error=f"took longer than {timeout:g} s to grade; refused")
                    fresh = True
                else:
                    continue
                if fresh:
                    sl.stop(kill=True)
                    slots[k] = _Slot(ctx, key, hints)
                else:
                    sl.job = None
                if bar:
                    bar.update(1)
    finally:
        for sl in slots:
            sl.stop()
        if bar:
            bar.close()
    out = [results[i] for i in range(len(files))]
    for g in out:
        if g.error and not g.rungs:
            g.rungs = [RungResult(r.name, r.points, 0.0) for r in key.rungs]
    return out


def grade_class(key_path, sources, gradebook, feedback=None, hints: int = 1, workers: int | None = None,
                timeout: float = TIMEOUT, progress: bool = False) -> ClassResult:
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise SheetnetError(f"--workers must be a whole number of at least 1, not {workers}")
    if not (isinstance(timeout, (int, float)) and 0 < timeout < float("inf")):
        raise SheetnetError(f"--timeout must be a positive number of seconds, not {timeout}")
    key = Key.load(key_path)
    files = collect(sources)
    check_output(gradebook, inputs=[key_path, *files], suffixes=(".csv",), in_place=False)
    if feedback:
        Path(feedback).mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    workers = workers or max(1, min(os.cpu_count() or 1, len(files)))
    grades = _run_pool(files, key, hints, workers, timeout, progress) if files else []
    _flag_copies(grades, key)
    res = ClassResult(key, grades, time.perf_counter() - t0)
    res.gradebook = write_gradebook(gradebook, grades, key)
    if feedback:
        res.feedback = write_feedback(feedback, grades, key, hints, workers)
    return res


def _flag_copies(grades, key: Key):
    """Byte-identical files; the same formulas and values in the rungs' cells (not the plain solution's)."""
    by_sha = collections.defaultdict(list)
    by_formulas = collections.defaultdict(list)
    for g in grades:
        if g.sha and not g.error:  # copies of an unreadable file are noise, not a finding
            by_sha[g.sha].append(g)
        if g.formulas:
            by_formulas[g.formulas].append(g)
    for group in by_sha.values():
        for g in group if len(group) > 1 else []:
            g.flags.append("byte-identical to " + ", ".join(Path(o.file).name for o in group if o is not g))
    for group in by_formulas.values():
        if len(group) > 1 and len({x.sha for x in group}) > 1:
            for g in group:
                others = [Path(o.file).name for o in group if o is not g and o.sha != g.sha]
                if others:
                    g.flags.append("the same formulas and values as " + ", ".join(others))


def write_gradebook(path, grades, key: Key) -> Path:
    """One row per submission: Canvas's leading columns (Student, ID, SIS User ID, SIS Login ID, Section),
    the total as the assignment, then the points per task, the file and the flags (Moodle maps ID)."""
    title = f"{key.d.get('title', key.d['lesson'])} ({sum(r.points for r in key.rungs):g} pts)"
    head = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title]
    head += [f"{r.name} ({r.points:g} pts)" for r in key.rungs] + ["File", "Flags"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    for g in grades:
        sid = g.student or Path(g.file).stem
        scores = ["" for _ in g.rungs] if g.error else [f"{r.earned:g}" for r in g.rungs]  # not graded: no 0s
        w.writerow([csv_safe(x) for x in [g.name or sid, sid, sid, "", "", "" if g.error else f"{g.total:g}",
                                          *scores, Path(g.file).name,
                                          "; ".join(([f"not graded: {g.error}"] if g.error else []) + g.flags)]])
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")
    return Path(path)


def write_feedback(folder, grades, key: Key, hints: int, workers: int = 1) -> list[Path]:
    """A page per submission, and a marked copy of each gradable .xlsx (marked by `workers` processes)."""
    from .feedback import page

    out, marks = [], []
    folder = Path(folder)
    names = collections.Counter()
    for g in grades:
        stem = safe_stem(g.student or Path(g.file).stem)
        names[stem.lower()] += 1
        if names[stem.lower()] > 1:
            stem = f"{stem}-{names[stem.lower()]}"
        p = folder / f"{stem}.html"
        with atomic_path(p) as tmp:
            tmp.write_text(page(g, key, hints), encoding="utf-8")
        out.append(p)
        if not g.error and Path(g.file).suffix.lower() in (".xlsx", ".xlsm"):
            marks.append((len(out), g.file, folder / f"{stem}.marked{Path(g.file).suffix.lower()}", g, hints))
    if workers > 1 and len(marks) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(workers, len(marks)), mp_context=mp.get_context("forkserver")) as ex:
            done = list(ex.map(_mark, [m[1:] for m in marks]))
    else:
        done = [_mark(m[1:]) for m in marks]
    for (at, *_), marked in sorted(zip(marks, done), key=lambda x: -x[0][0]):
        if marked:
            out.insert(at, marked)
    return out


def _mark(job):
    from .feedback import mark_workbook

    src, dst, g, hints = job
    return mark_workbook(src, dst, g, hints)
