"""The order of texts, as LibreOffice compares them (ICU's root collation, case ignored), where Excel's
English order agrees: punctuation first, then symbols, digits, then letters; a letter's accents count only
where the letters themselves are the same ("e" < "é" < "eb"); æ, œ and ß as ae, oe and ss with a mark, ø and ð as
o and d with one, and a middle dot after an l (l·l) as a mark on it.

`key(text)` is a tuple that compares as the texts do (equal keys: neither is before the other; whether they are
`=` is case-insensitive identity, as LibreOffice says "1" and "¹" are neither before the other nor equal).  Its
table covers ASCII and Latin-1 (measured against LibreOffice character by character, and on random strings:
tests/engine/test_collate.py); any other character comes after every letter, in code point order, as
sheetnet compared texts before.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# the primary order LibreOffice gives ASCII's and Latin-1's characters (and a few beyond: dashes, the bullet, the
# arrow, the fraction slash, the euro), measured one against another; letters with accents are their letter's
_ORDER = ("\t\n\r _-\u2013\u2014,;:!¡?¿.·'\"«»()[]{}§¶@*/\\&#%\u2022`´^¯¨¸°©®\u2192+±÷×<=>¬|¦~\u2044¤¢$£¥\u20ac"
          "0123456789abcdefghijklmnopqrstuvwxyzþ")
_PRIMARY = {ch: i + 1 for i, ch in enumerate(_ORDER)}
_ALIAS = {"\xa0": " ", "¹": "1", "²": "2", "³": "3", "ª": "a", "º": "o", "µ": "\u03bc"}  # (the same place, another case)
_IGNORED = {"\xad"}  # the soft hyphen counts for nothing
_COMMON = 0x20  # the secondary weight of a plain character
# combining marks' secondary weights, in ICU's order (acute < grave < breve < circumflex < caron < ring <
# diaeresis < double acute < tilde < dot above < stroke < cedilla < ogonek < macron)
_MARKS = {0x301: 0x24, 0x300: 0x25, 0x306: 0x26, 0x302: 0x27, 0x30C: 0x28, 0x30A: 0x29, 0x308: 0x2B, 0x30B: 0x2C,
          0x303: 0x2D, 0x307: 0x2E, 0x327: 0x30, 0x328: 0x31, 0x304: 0x32}
_STROKE = 0x2F
_LIGATURE = 0x110  # æ, œ, ß: two letters and this mark between them
_SPECIAL = {"æ": ("a", _LIGATURE, "e"), "œ": ("o", _LIGATURE, "e"), "ß": ("s", _LIGATURE, "s"), "ø": ("o", _STROKE),
            "ð": ("d", _STROKE),
            "½": ("1", "\u2044", "2"), "¼": ("1", "\u2044", "4"), "¾": ("3", "\u2044", "4")}
_AFTER = 0x1000  # characters beyond the table: after every letter, by code point
_L_DOT = 0x111  # a middle dot just after an l (Catalan's l·l): a mark on the l, not a character of its own
_L_DOT = 0x111  # the middle dot after an l (Catalan's l·l): a mark on the l, not a character of its own


@lru_cache(maxsize=1 << 14)
def key(text: str) -> tuple:
    """(primaries, secondaries): texts compare as these tuples compare."""
    primaries, secondaries = [], []
    last = None
    for ch in unicodedata.normalize("NFD", text.lower()):
        if ch in _IGNORED:
            continue
        ch, after_l, last = _ALIAS.get(ch, ch), last == "l", ch
        if ch == "·" and after_l:
            secondaries.append(_L_DOT)
            continue
        special = _SPECIAL.get(ch)
        if special is not None:
            for part in special:
                if isinstance(part, str):
                    primaries.append(_PRIMARY[part])
                    secondaries.append(_COMMON)
                else:
                    secondaries.append(part)
            continue
        mark = _MARKS.get(ord(ch))
        if mark is not None or unicodedata.combining(ch):  # (a mark beyond the table: after those in it)
            secondaries.append(mark if mark is not None else 0x100 + ord(ch))
            continue
        p = _PRIMARY.get(ch)
        primaries.append(p if p is not None else _AFTER + ord(ch))
        secondaries.append(_COMMON)
    return tuple(primaries), tuple(secondaries)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 for text a against text b."""
    ka, kb = key(a), key(b)
    return int(ka > kb) - int(ka < kb)


__all__ = ["key", "compare"]
