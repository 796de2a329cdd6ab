import pytest

from sheetnet.classroom.exercise import make_exercise
from sheetnet.classroom.grade import Key

from .student import do_exercise

ROSTER = "id,name\na1,Ada Lovelace\nb2,Bob Byte\nc3,Cy Cell\n"


@pytest.fixture(scope="session")
def plain(tmp_path_factory):
    """One students' workbook for the whole class (no roster)."""
    return make_exercise("titanic", tmp_path_factory.mktemp("plain"), seed=0)


@pytest.fixture(scope="session")
def plain_key(plain):
    return Key.load(plain.key)


@pytest.fixture(scope="session")
def roster_class(tmp_path_factory):
    """A personal workbook for each of three students."""
    folder = tmp_path_factory.mktemp("roster")
    roster = folder / "roster.csv"
    roster.write_text(ROSTER)
    return make_exercise("titanic", folder / "class", roster=roster, seed=0)


@pytest.fixture(scope="session")
def roster_key(roster_class):
    return Key.load(roster_class.key)


@pytest.fixture(scope="session")
def work(lo, plain, plain_key, tmp_path_factory):
    """work(mistakes, solve=True, fmt="xlsx"): the plain exercise done in LibreOffice (cached per arguments)."""
    folder = tmp_path_factory.mktemp("handed-in")
    done = {}

    def make(mistakes=(), solve=True, fmt="xlsx", src=None, key=None, name=None):
        key = key or plain_key
        args = (tuple(sorted(mistakes)), solve, fmt, str(src))
        if args not in done:
            stem = name or ("-".join(args[0]) or "correct") + ("" if solve else "-unsolved")
            dst = folder / f"{stem}.{fmt}"
            do_exercise(lo, src or plain.student, dst, key.rows, mistakes,
                        params=key.d["solution"]["params"] if solve else None, fmt=fmt)
            done[args] = dst
        return done[args]
    return make
