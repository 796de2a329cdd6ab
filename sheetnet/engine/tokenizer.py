"""openpyxl's formula tokenizer, without importing the rest of openpyxl.

The tokenizer is one self-contained module (it needs only `re`), but `import openpyxl.formula`
first runs openpyxl's package, which loads its whole workbook model: a twentieth of a second that
every `sheetnet calc` would pay.  This loads the module file alone (or reuses it when openpyxl is
already imported)."""

from __future__ import annotations

import importlib.util
import os
import sys


def _load():
    done = sys.modules.get("openpyxl.formula.tokenizer")
    if done is not None:
        return done
    spec = importlib.util.find_spec("openpyxl")  # finds the package without running it
    path = os.path.join(os.path.dirname(spec.origin), "formula", "tokenizer.py")
    mine = importlib.util.spec_from_file_location("sheetnet.engine._openpyxl_tokenizer", path)
    mod = importlib.util.module_from_spec(mine)
    sys.modules[mine.name] = mod
    mine.loader.exec_module(mod)
    return mod


_mod = _load()
Token, Tokenizer, TokenizerError = _mod.Token, _mod.Tokenizer, _mod.TokenizerError
