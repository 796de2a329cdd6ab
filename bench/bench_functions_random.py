"""The engine's newer functions on random arguments, against LibreOffice recalculating the same cells.

    python bench/bench_functions_random.py [--seed 0] [--per 6]

Each function gets `--per` formulas of random arguments drawn by kind (numbers, probabilities, dates,
flags, bases); every cell where sheetnet and LibreOffice differ is printed.  A difference is either a
bug (fix it and keep the case as a test in tests/engine/test_functions_stats.py) or a place where
Excel's documentation and LibreOffice part (the tests list those with Excel's value); the known ones
are marked.  It found the fixes of 2026-11-26 (RATE near 0, DDB's fractional periods, PRICE with one
coupon left, densities at 0, negative arguments before truncation).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.engine.books import lo_cells, same, write_book  # noqa: E402
from tests.engine.test_functions import INPUTS  # noqa: E402 (the tests' shared cells: numbers, text, dates, booleans)

from sheetnet.crosscheck.libreoffice import LibreOffice  # noqa: E402
from sheetnet.engine import Engine  # noqa: E402

# where Excel's documentation says otherwise than LibreOffice (the tests hold Excel's value)
KNOWN = ("BIT", "CHAR(", "UNICHAR(", "FIXED(", "ROMAN(-", "MROUND(", "STANDARDIZE(", "SYD(", "FACTDOUBLE(-",
         "MULTINOMIAL(-", "RATE(", "HYPGEOM.DIST(", "F.INV(", "DB(", "PRICEDISC(", "YIELD(", "DEC2", "POISSON.DIST(",
         "LOGNORM.DIST(-", "LOGNORM.DIST(0,", "EFFECT(0,", "NOMINAL(0,", "PERCENTILE.EXC(", "PERCENTRANK",
         "RANK.AVG(", "MODE(", "STEYX(", "T.TEST(", "MIRR(", "REPLACE(")

RNG = random.Random(0)


def num():
    return RNG.choice([0, 1, 2, 3, 0.5, -1, -2.5, 10, 0.05, 0.9, 100, 1e-3, 7, 12, 0.25, 4.7, -0.3, 2.2, 1.5, 30])


def date():
    return f"DATE({RNG.randint(1990, 2030)},{RNG.randint(1, 12)},{RNG.randint(1, 31)})"


# each function's arguments by kind: n number, p probability, b flag, d date, k day-count basis, w week type or
# weekend code, f coupon frequency, r a range of the shared inputs (c: one column of them), t tails, y T.TEST's type, u DATEDIF's unit,
# s text
SPECS = {
    "T.DIST": "nnb", "T.DIST.2T": "nn", "T.DIST.RT": "nn", "T.INV": "pn", "T.INV.2T": "pn", "CHISQ.DIST": "nnb",
    "CHISQ.DIST.RT": "nn", "CHISQ.INV": "pn", "CHISQ.INV.RT": "pn", "F.DIST": "nnnb", "F.DIST.RT": "nnn",
    "F.INV": "pnn", "F.INV.RT": "pnn", "BINOM.DIST": "nnpb", "POISSON.DIST": "nnb", "HYPGEOM.DIST": "nnnnb",
    "LOGNORM.DIST": "nnnb", "LOGNORM.INV": "pnn", "WEIBULL.DIST": "nnnb", "GAMMA": "n", "GAMMA.DIST": "nnnb",
    "GAMMA.INV": "pnn", "BETA.DIST": "pnnb", "BETA.INV": "pnn", "CONFIDENCE.NORM": "pnn", "CONFIDENCE.T": "pnn",
    "PHI": "n", "GAUSS": "n", "FISHER": "p", "FISHERINV": "n", "STANDARDIZE": "nnn", "PERMUT": "nn",
    "PERMUTATIONA": "nn", "PV": "pnn", "FV": "pnn", "PMT": "pnn", "NPER": "pnn", "IPMT": "pnnn", "PPMT": "pnnn",
    "RATE": "nnn", "SLN": "nnn", "SYD": "nnnn", "DDB": "nnnn", "DB": "nnnn", "EFFECT": "pn", "NOMINAL": "pn",
    "PDURATION": "pnn", "RRI": "nnn", "ISPMT": "pnnn", "CUMIPMT": "pnnnnb", "CUMPRINC": "pnnnnb", "VDB": "nnnnn",
    "SQRTPI": "n", "COT": "n", "COTH": "n", "ACOT": "n", "ACOTH": "n", "SEC": "n", "SECH": "n", "CSC": "n",
    "CSCH": "n", "ASINH": "n", "ACOSH": "n", "ATANH": "p", "FACTDOUBLE": "n", "MROUND": "nn", "CEILING.MATH": "nn",
    "FLOOR.MATH": "nn", "CEILING.PRECISE": "nn", "FLOOR.PRECISE": "nn", "COMBINA": "nn", "GCD": "r", "LCM": "r",
    "MULTINOMIAL": "nn", "BITAND": "nn", "BITOR": "nn", "BITXOR": "nn", "BITLSHIFT": "nn", "BITRSHIFT": "nn",
    "DEC2BIN": "nn", "DEC2HEX": "nn", "DEC2OCT": "nn", "BASE": "nn", "ROMAN": "n", "DELTA": "nn", "GESTEP": "nn",
    "BESSELJ": "nn", "BESSELY": "nn", "BESSELI": "nn", "DAYS360": "dd", "YEARFRAC": "ddk", "WEEKNUM": "dw",
    "ISOWEEKNUM": "d", "NETWORKDAYS": "dd", "WORKDAY": "dn", "DISC": "ddnn", "INTRATE": "ddnn", "PRICEDISC": "ddpn",
    "YIELDDISC": "ddnn", "ACCRINTM": "ddp", "COUPDAYBS": "ddf", "COUPDAYS": "ddf", "COUPDAYSNC": "ddf",
    "COUPNCD": "ddf", "COUPPCD": "ddf", "COUPNUM": "ddf", "PRICE": "ddppnf", "YIELD": "ddpnnf", "CHAR": "n",
    "FIXED": "nn", "UNICHAR": "n",
    "PERCENTILE": "rp", "PERCENTILE.EXC": "rp", "QUARTILE": "rn", "QUARTILE.EXC": "rn", "PERCENTRANK": "rn",
    "PERCENTRANK.EXC": "rn", "RANK.AVG": "nrt", "TRIMMEAN": "rp", "GEOMEAN": "r", "HARMEAN": "r", "AVEDEV": "r",
    "DEVSQ": "r", "SKEW": "r", "SKEW.P": "r", "KURT": "r", "STEYX": "rr", "T.TEST": "rrty", "Z.TEST": "rn",
    "F.TEST": "rr", "AVERAGEA": "r", "STDEVA": "r", "VARPA": "r", "MODE": "r", "NPV": "pc", "IRR": "c",
    "MIRR": "cpp", "FVSCHEDULE": "nr", "DATEDIF": "ddu", "NETWORKDAYS.INTL": "ddw", "WORKDAY.INTL": "dnw",
    "PROPER": "s", "REPLACE": "snns", "CLEAN": "s", "CODE": "s", "UNICODE": "s",
}
DRAW = {
    "n": num, "d": date,
    "p": lambda: str(RNG.choice([0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0, 1, 1.2, -0.1])),
    "b": lambda: RNG.choice(["TRUE", "FALSE"]), "k": lambda: str(RNG.choice([0, 1, 2, 3, 4])),
    "w": lambda: str(RNG.choice([1, 2, 11, 12, 13, 14, 15, 16, 17, 21])), "f": lambda: str(RNG.choice([1, 2, 4])),
    "r": lambda: RNG.choice(["A1:A8", "B1:B8", "E1:E8", "A1:B8", "A1:A4", "B2:B7", "A1:A3"]),
    "c": lambda: RNG.choice(["A1:A8", "B1:B8", "E1:E8", "A1:A4", "B2:B7", "A1:A3"]),  # (cash flows: one column)
    "t": lambda: str(RNG.choice([1, 2])), "y": lambda: str(RNG.choice([1, 2, 3])),
    "u": lambda: RNG.choice(['"Y"', '"M"', '"D"', '"MD"', '"YM"', '"YD"']),
    "s": lambda: RNG.choice(['"hello world"', '"don\'t stop"', "C2", "C7", '"a-b c"', '"ABC def"']),
}


def arg(kind: str) -> str:
    return str(DRAW[kind]())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per", type=int, default=6, help="formulas per function")
    a = ap.parse_args()
    RNG.seed(a.seed)
    formulas = [f"={name}({','.join(arg(t) for t in spec)})" for name, spec in SPECS.items() for _ in range(a.per)]
    cells = dict(INPUTS)
    cells.update({f"H{i + 1}": f for i, f in enumerate(formulas)})
    formula_cells = [r for r in cells if r.startswith("H")]
    with tempfile.TemporaryDirectory() as d:
        path = write_book(Path(d) / "random.xlsx", {"s": cells})
        eng = Engine.load(path)
        with LibreOffice() as lo:
            want = lo_cells(lo, path, "s", formula_cells)
    known = new = 0
    for ref in formula_cells:
        f = cells[ref]
        mine = eng.get(f"s!{ref}")
        if not same(mine, want[ref], rel=1e-9):
            mark = "known " if any(k in f for k in KNOWN) else "NEW   "
            known += mark == "known "
            new += mark == "NEW   "
            print(f"{mark}{f}: sheetnet {mine!r}, LibreOffice {want[ref]!r}")
    print(f"{len(formula_cells)} formulas over {len(SPECS)} functions: {len(formula_cells) - known - new} agree, {known} differ where "
          f"Excel's documentation and LibreOffice part, {new} other differences")


if __name__ == "__main__":
    main()
