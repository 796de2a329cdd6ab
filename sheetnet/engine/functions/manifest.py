"""The function families imported on first use, and the names each registers (the list is checked
against what each module really registers by tests/engine/test_functions_stats.py)."""

LAZY = {
    "convert": ("CONVERT",),
    "arrays": ("CHOOSECOLS", "CHOOSEROWS", "EXPAND", "HSTACK", "MDETERM", "MINVERSE", "MUNIT", "TOCOL",
        "TOROW", "TRIMRANGE", "VSTACK", "WRAPCOLS", "WRAPROWS", "_TRO_ALL", "_TRO_LEADING", "_TRO_TRAILING",),
    "bonds": ("ACCRINT", "ACCRINTM", "COUPDAYBS", "COUPDAYS", "COUPDAYSNC", "COUPNCD", "COUPNUM", "COUPPCD", "DISC",
        "DURATION", "INTRATE", "MDURATION", "PRICE", "PRICEDISC", "RECEIVED", "TBILLEQ", "TBILLPRICE",
        "TBILLYIELD", "YIELD", "YIELDDISC",),
    "database": ("DAVERAGE", "DCOUNT", "DCOUNTA", "DGET", "DMAX", "DMIN", "DPRODUCT", "DSTDEV", "DSTDEVP",
        "DSUM", "DVAR", "DVARP",),
    "distributions": ("BESSELI", "BESSELJ", "BESSELK", "BESSELY", "BETA.DIST", "BETA.INV", "BETADIST",
        "BETAINV", "BINOM.DIST", "BINOMDIST", "CHIDIST", "CHIINV", "CHISQ.DIST", "CHISQ.DIST.RT", "CHISQ.INV",
        "CHISQ.INV.RT", "CONFIDENCE", "CONFIDENCE.NORM", "CONFIDENCE.T", "F.DIST", "F.DIST.RT", "F.INV",
        "F.INV.RT", "FDIST", "FINV", "FISHER", "FISHERINV", "GAMMA", "GAMMA.DIST", "GAMMA.INV", "GAMMADIST",
        "GAMMAINV", "GAUSS", "HYPGEOM.DIST", "HYPGEOMDIST", "LOGINV", "LOGNORM.DIST", "LOGNORM.INV",
        "LOGNORMDIST", "PERMUT", "PERMUTATIONA", "PHI", "POISSON", "POISSON.DIST", "STANDARDIZE", "T.DIST",
        "T.DIST.2T", "T.DIST.RT", "T.INV", "T.INV.2T", "TDIST", "TINV", "WEIBULL", "WEIBULL.DIST",),
    "finance": ("CUMIPMT", "CUMPRINC", "DB", "DDB", "EFFECT", "FV", "FVSCHEDULE", "IPMT", "IRR", "ISPMT",
        "MIRR", "NOMINAL", "NPER", "NPV", "PDURATION", "PMT", "PPMT", "PV", "RATE", "RRI", "SLN", "SYD", "VDB",
        "XIRR", "XNPV",),
    "info": ("ADDRESS", "AREAS", "CELL", "ERROR.TYPE", "SHEET", "SHEETS", "TYPE",),
    "integers": ("ACOSH", "ACOT", "ACOTH", "ARABIC", "ASINH", "ATANH", "BASE", "BIN2DEC", "BIN2HEX", "BIN2OCT",
        "BITAND", "BITLSHIFT", "BITOR", "BITRSHIFT", "BITXOR", "CEILING.MATH", "CEILING.PRECISE", "COMBINA",
        "COT", "COTH", "CSC", "CSCH", "DEC2BIN", "DEC2HEX", "DEC2OCT", "DECIMAL", "DELTA", "FACTDOUBLE",
        "FLOOR.MATH", "FLOOR.PRECISE", "GCD", "GESTEP", "HEX2BIN", "HEX2DEC", "HEX2OCT", "ISO.CEILING", "LCM",
        "MROUND", "MULTINOMIAL", "OCT2BIN", "OCT2DEC", "OCT2HEX", "ROMAN", "SEC", "SECH", "SERIESSUM",
        "SQRTPI",),
    "lambdas": ("BYCOL", "BYROW", "ISOMITTED", "LAMBDA()", "MAKEARRAY", "MAP", "REDUCE", "SCAN",),
    "samples": ("AVEDEV", "AVERAGEA", "CHISQ.TEST", "CHITEST", "DEVSQ", "F.TEST", "FREQUENCY", "FTEST",
        "GEOMEAN", "HARMEAN", "KURT", "MAXA", "MINA", "MODE", "MODE.MULT", "MODE.SNGL", "PERCENTILE",
        "PERCENTILE.EXC", "PERCENTILE.INC", "PERCENTRANK", "PERCENTRANK.EXC", "PERCENTRANK.INC", "PROB",
        "QUARTILE", "QUARTILE.EXC", "QUARTILE.INC", "RANK.AVG", "SKEW", "SKEW.P", "STDEVA", "STDEVPA", "STEYX",
        "T.TEST", "TRIMMEAN", "TTEST", "VARA", "VARPA", "Z.TEST", "ZTEST",),
    "textedit": ("ARRAYTOTEXT", "CHAR", "CLEAN", "CODE", "DOLLAR", "FIXED", "HYPERLINK", "NUMBERVALUE",
        "PROPER", "REGEXEXTRACT", "REGEXREPLACE", "REGEXTEST", "REPLACE", "TEXTAFTER", "TEXTBEFORE",
        "TEXTSPLIT", "UNICHAR", "UNICODE", "VALUETOTEXT",),
    "workdays": ("DATEDIF", "DAYS360", "ISOWEEKNUM", "NETWORKDAYS", "NETWORKDAYS.INTL", "TIMEVALUE", "WEEKNUM",
        "WORKDAY", "WORKDAY.INTL", "YEARFRAC",),
}

_BY_NAME = {name: module for module, names in LAZY.items() for name in names}


def module_of(name: str):
    """The lazy module that registers `name`, or None."""
    return _BY_NAME.get(name)
