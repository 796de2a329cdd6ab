"""The usual formula tokenized by sheetnet.engine.tokenizer.tokens exactly as openpyxl's tokenizer does it: the
same tokens (value, type, subtype), or the same exception, on random formulas of its pieces and of characters."""

import random

import pytest

from sheetnet.engine.tokenizer import Tokenizer, _USUAL, tokens

PIECES = ["A1", "$B$2", "B2:C3", "A:A", "1", "2.5", "1E", "1E+5", "1.5E-3", "11E+2", "E5", "TRUE", "FALSE", "SUM(",
          "IF(", "_xlfn.STDEV.S(", "(", ")", ",", '"x"', '""', '"a""b"', '"', "+", "-", "*", "/", "^", "&", "=", "<",
          ">", "<=", ">=", "<>", "%", "x", ".5", "5.", "A1:", "1E+", "$", "_", "LOG10(", ":", "9E9", " ", "'S'!A1",
          "#N/A", "{1,2}", ";", "T[c]"]


def _both(text):
    def run(f):
        try:
            return [(t.value, t.type, t.subtype) for t in f(text)]
        except Exception as e:  # noqa: BLE001 (the same exception, both ways)
            return type(e).__name__
    return run(lambda x: Tokenizer(x).items), run(tokens)


@pytest.mark.parametrize("seed", range(4))
def test_formulas_of_pieces_tokenize_as_openpyxl_does(seed):
    rng = random.Random(seed)
    fast = 0
    for _ in range(5000):
        text = "=" + "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 9)))
        want, got = _both(text)
        assert got == want, text
        fast += bool(_USUAL.fullmatch(text, 1))
    assert fast > 1000  # (most took the fast way)


def test_formulas_of_characters_tokenize_as_openpyxl_does():
    rng = random.Random(9)
    for _ in range(20000):
        text = "=" + "".join(rng.choice('A1$:.,()"+-*/^&=<>%E5_xTRUE') for _ in range(rng.randint(0, 12)))
        want, got = _both(text)
        assert got == want, text


@pytest.mark.parametrize("text", ['=IF(H2="",0,MMULT($B25:$F25,H$19:H$23))', "=-1E+5%*-(A1)", "=SUM(A1,B2)/(A1,B2)",
                                  "=1E+5E+3", "=)", '=A1"x"', "=(1"])
def test_the_usual_and_the_odd_tokenize_as_openpyxl_does(text):
    want, got = _both(text)
    assert got == want
