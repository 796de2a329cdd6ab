"""CONVERT(number, from_unit, to_unit): Excel's units by category, with SI prefixes on the metric ones
(squared and cubed for areas and volumes) and binary prefixes on bits and bytes.  Units of different
categories, or a name Excel does not have, are #N/A."""

from __future__ import annotations

from .registry import fn
from .text import CellError, as_number, as_text, elementwise

NA = "#N/A"

# category -> {unit: (factor to the category's base unit, takes SI prefixes)}
_IN = 0.0254
_FT = 0.3048
_LY = 9.4607304725808e15
UNITS = {
    "mass": {"g": (1, True), "sg": (14593.902937206364, False), "lbm": (453.59237, False), "u": (1.660538782e-24, True),
             "ozm": (28.349523125, False), "grain": (0.06479891, False), "cwt": (45359.237, False),
             "shweight": (45359.237, False), "uk_cwt": (50802.34544, False), "lcwt": (50802.34544, False),
             "hweight": (50802.34544, False), "stone": (6350.29318, False), "ton": (907184.74, False),
             "uk_ton": (1016046.9088, False), "LTON": (1016046.9088, False), "brton": (1016046.9088, False)},
    "distance": {"m": (1, True), "mi": (1609.344, False), "Nmi": (1852, False), "in": (_IN, False), "ft": (_FT, False),
                 "yd": (0.9144, False), "ang": (1e-10, True), "ell": (1.143, False), "ly": (_LY, True),
                 "parsec": (3.08567758128155e16, True), "pc": (3.08567758128155e16, True),
                 "Picapt": (_IN / 72, False), "Pica": (_IN / 72, False), "pica": (_IN / 6, False),
                 "survey_mi": (1609.3472186944373, False)},
    "time": {"yr": (31557600, False), "day": (86400, False), "d": (86400, False), "hr": (3600, False),
             "mn": (60, False), "min": (60, False), "sec": (1, True), "s": (1, True)},
    "pressure": {"Pa": (1, True), "p": (1, True), "atm": (101325, True), "at": (101325, True),
                 "mmHg": (133.322, True), "psi": (6894.75729316836, False), "Torr": (133.32236842105263, False)},
    "force": {"N": (1, True), "dyn": (1e-5, True), "dy": (1e-5, True), "lbf": (4.4482216152605, False),
              "pond": (0.00980665, True)},
    "energy": {"J": (1, True), "e": (1e-7, True), "c": (4.184, True), "cal": (4.1868, True),
               "eV": (1.602176487e-19, True), "ev": (1.602176487e-19, True), "HPh": (2684519.5376961725, False),
               "hh": (2684519.5376961725, False), "Wh": (3600, True), "wh": (3600, True),
               "flb": (1.3558179483314004, False), "BTU": (1055.05585262, False), "btu": (1055.05585262, False)},
    "power": {"HP": (745.6998715822701, False), "h": (745.6998715822701, False), "PS": (735.49875, False),
              "W": (1, True), "w": (1, True)},
    "magnetism": {"T": (1, True), "ga": (1e-4, True)},
    "volume": {"l": (1e-3, True), "L": (1e-3, True), "lt": (1e-3, True), "tsp": (4.92892159375e-6, False),
               "tspm": (5e-6, False), "tbs": (1.478676478125e-5, False), "oz": (2.95735295625e-5, False),
               "cup": (2.365882365e-4, False), "pt": (4.73176473e-4, False), "us_pt": (4.73176473e-4, False),
               "uk_pt": (5.6826125e-4, False), "qt": (9.46352946e-4, False), "uk_qt": (1.1365225e-3, False),
               "gal": (3.785411784e-3, False), "uk_gal": (4.54609e-3, False), "m3": (1, True),
               "ft3": (_FT ** 3, False), "in3": (_IN ** 3, False), "yd3": (0.9144 ** 3, False),
               "barrel": (0.158987294928, False), "bushel": (0.03523907016688, False)},
    "area": {"m2": (1, True), "ft2": (_FT ** 2, False), "in2": (_IN ** 2, False), "yd2": (0.9144 ** 2, False),
             "mi2": (1609.344 ** 2, False), "ar": (100, True), "ha": (1e4, False), "uk_acre": (4046.8564224, False),
             "us_acre": (4046.872609874252, False), "Morgen": (2500, False)},
    "information": {"bit": (1, True), "byte": (8, True)},
    "speed": {"m/s": (1, True), "m/sec": (1, True), "m/h": (1 / 3600, True), "m/hr": (1 / 3600, True),
              "mph": (0.44704, False), "kn": (1852 / 3600, False), "admkn": (6080 * _FT / 3600, False)},
}
TEMPERATURES = {"C": "C", "cel": "C", "F": "F", "fah": "F", "K": "K", "kel": "K", "Rank": "Rank", "Reau": "Reau"}
_SI = {"Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "h": 1e2, "da": 1e1,
       "e": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15, "a": 1e-18,
       "z": 1e-21, "y": 1e-24}
_BINARY = {"ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60, "Zi": 2 ** 70,
           "Yi": 2 ** 80}


def _power(unit: str) -> int:
    """Areas and volumes: a prefix counts squared or cubed (km2 is 1e6 m2)."""
    return 2 if unit.endswith("2") else 3 if unit.endswith("3") else 1


def _unit(name: str):
    """(category, factor to its base) of a unit name with any prefix, or None."""
    for cat, table in UNITS.items():
        if name in table:
            return cat, table[name][0]
    for prefixes in (_SI, _BINARY):
        for p in sorted(prefixes, key=len, reverse=True):
            if name.startswith(p) and len(name) > len(p):
                rest = name[len(p):]
                for cat, table in UNITS.items():
                    hit = table.get(rest)
                    if hit and hit[1] and (prefixes is _SI or cat == "information"):
                        return cat, hit[0] * prefixes[p] ** _power(rest)
    return None


def _kelvin(x: float, t: str) -> float:
    return {"C": x + 273.15, "F": (x - 32) * 5 / 9 + 273.15, "K": x, "Rank": x * 5 / 9,
            "Reau": x * 1.25 + 273.15}[t]


def _from_kelvin(k: float, t: str) -> float:
    return {"C": k - 273.15, "F": (k - 273.15) * 9 / 5 + 32, "K": k, "Rank": k * 9 / 5,
            "Reau": (k - 273.15) * 0.8}[t]


def _temperature(name: str):
    if name in TEMPERATURES:
        return TEMPERATURES[name], 1.0
    if name.startswith("k") and name[1:] in ("K", "kel"):  # kelvin takes prefixes (mK, kK)
        return "K", 1e3
    for p, f in _SI.items():
        if name.startswith(p) and name[len(p):] in ("K", "kel"):
            return "K", f
    return None


def _convert(number, src, dst):
    x = as_number(number)
    a, b = as_text(src), as_text(dst)
    ta, tb = _temperature(a), _temperature(b)
    if ta and tb:
        return _from_kelvin(_kelvin(x * ta[1], ta[0]), tb[0]) / tb[1]
    ua, ub = _unit(a), _unit(b)
    if ua is None or ub is None or ua[0] != ub[0]:
        raise CellError(NA)
    return x * ua[1] / ub[1]


fn("CONVERT", 3, 3)(lambda args: elementwise(args, _convert))
