"""openpyxl's formula tokenizer, without importing the rest of openpyxl.

The tokenizer is one self-contained module (it needs only `re`), but `import openpyxl.formula`
first runs openpyxl's package, which loads its whole workbook model: a twentieth of a second that
every `sheetnet calc` would pay.  This loads the module file alone (or reuses it when openpyxl is
already imported).

`tokens(text)` gives what it gives for the usual formula at a regular expression an operand (about half its
time), and leaves the rest to it."""

from __future__ import annotations

import importlib.util
import os
import re
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


# The usual formula, tokenized as openpyxl's tokenizer does, with a regular expression an operand rather than a
# step a character: references, numbers, strings, functions, + - * / ^ & = < > % ( ) and ",".  Anything else
# (spaces, sheets, tables, errors, array constants, ";") goes to openpyxl's tokenizer, and so does whatever it
# would refuse or stumble on (a ")" with nothing open, a string right after an operand).
_USUAL = re.compile(r'[A-Za-z0-9_.$:"+\-*/^&=<>%(),]*')
_OPERAND = re.compile(r"[1-9](?:\.[0-9]+)?[Ee][+-][A-Za-z0-9_.$:]*|[A-Za-z0-9_.$:]+")  # (1E+5: one number)
_STRING = Tokenizer.STRING_REGEXES['"']  # (openpyxl's own)
_INFIX = {"*", "/", "^", "&", "=", ">", "<"}


def tokens(text: str) -> list:
    """Tokenizer(text).items, for a formula text starting with "=", in a fraction of its time."""
    n = len(text)
    if not text.startswith("=") or not _USUAL.fullmatch(text, 1):
        return Tokenizer(text).items
    items: list = []
    stack: list = []
    i = 1
    while i < n:
        ch = text[i]
        if ch == '"':
            m = _STRING.match(text, i)
            if m is None:
                return Tokenizer(text).items
            items.append(Token(m.group(), Token.OPERAND, Token.TEXT))
            i = m.end()
        elif ch in "+-*/^&=<>%":
            two = text[i:i + 2]
            if two in (">=", "<=", "<>"):
                items.append(Token(two, Token.OP_IN))
                i += 2
                continue
            if ch == "%":
                items.append(Token("%", Token.OP_POST))
            elif ch in _INFIX:
                items.append(Token(ch, Token.OP_IN))
            else:
                prev = items[-1] if items else None
                infix = prev is not None and (prev.subtype == Token.CLOSE or prev.type in (Token.OP_POST, Token.OPERAND))
                items.append(Token(ch, Token.OP_IN if infix else Token.OP_PRE))
            i += 1
        elif ch == "(":
            t = Token("(", Token.PAREN, Token.OPEN)
            items.append(t)
            stack.append(t)
            i += 1
        elif ch == ")":
            if not stack:
                return Tokenizer(text).items
            items.append(stack.pop().get_closer())
            i += 1
        elif ch == ",":
            items.append(Token(",", Token.OP_IN) if not stack or stack[-1].type == Token.PAREN else
                         Token(",", Token.SEP, Token.ARG))
            i += 1
        else:
            j = _OPERAND.match(text, i).end()
            if j < n and text[j] == '"':
                return Tokenizer(text).items
            if j < n and text[j] == "(":
                t = Token(text[i:j + 1], Token.FUNC, Token.OPEN)
                items.append(t)
                stack.append(t)
                i = j + 1
            else:
                items.append(Token.make_operand(text[i:j]))
                i = j
    return items
