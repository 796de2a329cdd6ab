"""Probability distributions and sample statistics (#16), each against LibreOffice recalculating the
same cells (to 1e-9: these are series and continued fractions, in LibreOffice as in scipy)."""

import re

import pytest

from sheetnet.engine import Engine, ErrorCode
from sheetnet.errors import SheetnetError

from .books import lo_cells, same, write_book
from .test_functions import INPUTS

FORMULAS = """
=T.DIST(1.5,5,TRUE)|=T.DIST(-0.7,3,FALSE)|=T.DIST(1.5,0.5,TRUE)|=T.DIST.2T(1.5,10)|=T.DIST.2T(-1,10)|=T.DIST.RT(2,4)
=TDIST(1.5,5,1)|=TDIST(1.5,5,2)|=TDIST(1.5,5,3)|=T.INV(0.9,7)|=T.INV(0.05,2.9)|=T.INV.2T(0.05,12)|=TINV(0.1,3)
=CHISQ.DIST(3,4,TRUE)|=CHISQ.DIST(3,4,FALSE)|=CHISQ.DIST(0,2,FALSE)|=CHISQ.DIST.RT(5.5,3)|=CHIDIST(5.5,3)
=CHISQ.INV(0.95,6)|=CHISQ.INV.RT(0.05,6)|=CHIINV(0.5,2)|=CHISQ.DIST(-1,2,TRUE)
=F.DIST(2,3,10,TRUE)|=F.DIST(2,3,10,FALSE)|=F.DIST.RT(2,3,10)|=FDIST(3.1,4,9)|=F.INV(0.9,3,10)|=F.INV.RT(0.1,3,10)
=FINV(0.05,2,20)|=F.DIST(0,12,1.5,FALSE)|=BINOM.DIST(-0.3,0.001,0.75,FALSE)|=GAMMA.DIST(0,0.9,30,FALSE)
=CONFIDENCE.T(0.99,-1,1)|=PERMUT(-0.3,0.001)|=PERMUTATIONA(-0.3,1.5)
=BINOM.DIST(3,10,0.4,FALSE)|=BINOM.DIST(3,10,0.4,TRUE)|=BINOM.DIST(3.7,10.2,0.4,FALSE)|=BINOMDIST(0,5,0,FALSE)
=BINOM.DIST(11,10,0.4,TRUE)|=POISSON.DIST(4,2.5,FALSE)|=POISSON.DIST(4,2.5,TRUE)|=POISSON(0,0,FALSE)
=HYPGEOM.DIST(2,5,8,20,FALSE)|=HYPGEOM.DIST(2,5,8,20,TRUE)|=HYPGEOMDIST(1,4,8,20)
=LOGNORM.DIST(4,1,0.5,TRUE)|=LOGNORM.DIST(4,1,0.5,FALSE)|=LOGNORMDIST(4,1,0.5)|=LOGNORM.INV(0.3,1,0.5)
=LOGINV(0.3,1,0.5)|=WEIBULL.DIST(1.5,2,3,TRUE)|=WEIBULL.DIST(1.5,2,3,FALSE)|=WEIBULL(1.5,2,3,TRUE)
=GAMMA(4.5)|=GAMMA(-1.5)|=GAMMA(0)|=GAMMA(-2)|=GAMMA.DIST(2,3,1.5,TRUE)|=GAMMA.DIST(2,3,1.5,FALSE)
=GAMMADIST(2,3,1.5,TRUE)|=GAMMA.INV(0.4,3,1.5)|=GAMMAINV(0.4,3,1.5)
=BETA.DIST(0.3,2,5,TRUE)|=BETA.DIST(0.3,2,5,FALSE)|=BETA.DIST(3,2,5,TRUE,1,6)|=BETADIST(0.3,2,5)
=BETA.INV(0.4,2,5)|=BETA.INV(0.4,2,5,1,6)|=BETAINV(0.4,2,5)|=BETA.DIST(1,12,1,FALSE)|=BETA.DIST(0,1,3,FALSE)
=CONFIDENCE.NORM(0.05,2.5,50)|=CONFIDENCE(0.05,2.5,50)|=CONFIDENCE.T(0.05,2.5,50)
=PHI(0.75)|=GAUSS(1.2)|=FISHER(0.3)|=FISHER(1)|=FISHERINV(0.3)|=STANDARDIZE(42,40,1.5)|=STANDARDIZE(1,0,0)
=PERMUT(10,3)|=PERMUT(3,10)|=PERMUTATIONA(3,2)
=PERCENTILE(B1:B8,0.3)|=PERCENTILE.INC(A1:A8,0.9)|=PERCENTILE.EXC(B1:B8,0.3)|=PERCENTILE.EXC(B1:B8,0.05)
=PERCENTILE(B1:B8,1.1)|=QUARTILE(A1:A3,-0.3)|=QUARTILE(A1:A8,1)|=QUARTILE.INC(B1:B8,3)|=QUARTILE.EXC(B1:B8,1)|=QUARTILE.EXC(B1:B8,0)
=PERCENTRANK(B1:B8,4)|=PERCENTRANK(B1:B8,4.5)|=PERCENTRANK(B1:B8,7,2)|=PERCENTRANK.INC(A1:A8,3)
=PERCENTRANK.EXC(B1:B8,4)|=PERCENTRANK.EXC(B1:B8,5.5,4)|=PERCENTRANK(B1:B8,99)
=RANK.AVG(4,B1:B8)|=RANK.AVG(4,B1:B8,1)|=RANK.AVG(3,B1:B8)|=MODE(B1:B8)|=MODE.SNGL(A1:A8)|=MODE(1,2,2,3,3)
=GEOMEAN(B1:B8)|=GEOMEAN(A1:A8)|=HARMEAN(B1:B8)|=AVEDEV(A1:A8)|=DEVSQ(B1:B8)|=TRIMMEAN(A1:A8,0.25)
=TRIMMEAN(B1:B8,0.5)|=SKEW(A1:A8)|=SKEW.P(B1:B8)|=KURT(A1:A8)|=KURT(1,2,3)
=AVERAGEA(A1:A8,D1:D2)|=AVERAGEA(C1:C3,B1)|=MAXA(D1:D2)|=MINA(A1:A8,D1)|=STDEVA(A1:A4,D1:D2)|=STDEVPA(B1:B8)
=VARA(A1:A8,C1)|=VARPA(B1:B8)
=STEYX(B1:B8,A1:A8)|=STEYX(B1:B3,A1:A2)|=T.TEST(A1:A8,B1:B8,2,1)|=T.TEST(A1:A8,B1:B8,1,2)|=T.TEST(A1:A8,B1:B8,2,3)
=TTEST(A1:A8,B1:B8,2,2)|=T.TEST(A1:A8,B1:B8,3,2)|=Z.TEST(B1:B8,4)|=Z.TEST(B1:B8,4,2)|=ZTEST(A1:A8,1)
=CHISQ.TEST(A1:A4,B1:B4)|=CHISQ.TEST(E1:E8,B1:B8)|=CHITEST(E1:F2,A1:B2)|=F.TEST(A1:A8,B1:B8)|=FTEST(E1:E8,B1:B8)
=PROB(E1:E4,{0.1;0.2;0.3;0.4},2,3)|=PROB(E1:E4,{0.1;0.2;0.3;0.4},3)|=PROB(E1:E4,{0.1;0.2;0.3;0.5},3)
=INDEX(FREQUENCY(B1:B8,{3;6}),1)|=INDEX(FREQUENCY(B1:B8,{3;6}),2)|=INDEX(FREQUENCY(B1:B8,{6;3}),3)
=INDEX(FREQUENCY(B1:B8,{6;3}),1)
""".replace("\n", "|").strip("|").split("|")


# LibreOffice differs from Excel here; the engine gives Excel's value (Excel's documentation says so)
EXCEL_NOT_LIBREOFFICE = {
    "=POISSON(0,0,FALSE)": 1.0,  # Excel: #NUM! only for a mean below 0; LibreOffice also for 0
    "=STANDARDIZE(1,0,0)": "#NUM!",  # Excel: standard_dev <= 0 is #NUM!; LibreOffice #DIV/0!
    "=PERCENTILE.EXC(B1:B8,0.05)": "#NUM!",  # Excel: k outside 1/(n+1) .. n/(n+1) is #NUM!; LibreOffice #VALUE!
    "=PERCENTRANK(B1:B8,4)": 0.285,  # Excel rounds the rank down to the significant digits (2/7); LibreOffice
    "=PERCENTRANK(B1:B8,7,2)": 0.78,  # rounds to nearest (0.286, 0.79)
    "=PERCENTRANK(B1:B8,99)": "#N/A",  # Excel: x outside the array's values is #N/A; LibreOffice #VALUE!
    "=RANK.AVG(3,B1:B8)": "#N/A",  # Excel: a number not in ref is #N/A; LibreOffice 7.4 gives 8.5
    "=MODE.SNGL(A1:A8)": "#N/A",  # Excel: no value repeats is #N/A; LibreOffice #VALUE!
    "=STEYX(B1:B3,A1:A2)": "#N/A",  # Excel: different numbers of points is #N/A; LibreOffice #NUM!
    "=PROB(E1:E4,{0.1;0.2;0.3;0.5},3)": "#NUM!",  # Excel: probabilities not summing to 1 is #NUM!
}


def _shown(v):
    return str(v) if isinstance(v, ErrorCode) else v


def _check(lo, tmp_path, name, formulas, excel=None, excel_only=None, rel=1e-9, rels=None, extra=None, sheets=None):
    """Each formula in a workbook (the shared INPUTS around it), recalculated by LibreOffice and by sheetnet:
    equal to `rel` (or rels[prefix]); `excel`: Excel's documented value where LibreOffice differs (and
    LibreOffice must still differ); `excel_only`: functions LibreOffice 7.4 lacks, Excel's value."""
    excel, excel_only = excel or {}, excel_only or {}
    cells = dict(INPUTS)
    cells.update(extra or {})
    every = list(formulas) + [f for f in excel if f not in formulas] + list(excel_only)
    refs = [f"H{i + 1}" for i in range(len(every))]
    cells.update(dict(zip(refs, every)))
    path = write_book(tmp_path / f"{name}.xlsx", {"s": cells, **(sheets or {})})
    eng = Engine.load(path)
    checked = [r for r, f in zip(refs, every) if f not in excel_only]
    want = lo_cells(lo, path, "s", checked) if checked else {}
    wrong = []
    for ref, f in zip(refs, every):
        mine = eng.get(f"s!{ref}")
        if f in excel_only:
            e = excel_only[f]
            ok = (abs(mine - e) <= 1e-12 * max(1.0, abs(e)) if isinstance(e, float) and isinstance(mine, float)
                  else _shown(mine) == e)
        elif f in excel:
            ok = (abs(mine - excel[f]) < 5e-6 if isinstance(excel[f], float) and isinstance(mine, float)
                  else _shown(mine) == excel[f]) and want[ref] != excel[f]
        else:
            r = next((v for k, v in (rels or {}).items() if f.startswith(k)), rel)
            ok = same(mine, want[ref], rel=r)
        if not ok:
            wrong.append(f"{f}: engine {mine!r}, LibreOffice {want.get(ref)!r}, Excel {excel.get(f, excel_only.get(f))!r}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    cells = dict(INPUTS)
    refs = [f"H{i + 1}" for i in range(len(FORMULAS))]
    cells.update(dict(zip(refs, FORMULAS)))
    return write_book(tmp_path_factory.mktemp("stats") / "stats.xlsx", {"s": cells}), dict(zip(refs, FORMULAS))


def test_distributions_and_sample_statistics_match_libreoffice(lo, book):
    path, formulas = book
    eng = Engine.load(path)
    want = lo_cells(lo, path, "s", list(formulas))
    wrong = []
    for ref, f in formulas.items():
        mine = eng.get(f"s!{ref}")
        if f in EXCEL_NOT_LIBREOFFICE:
            excel = EXCEL_NOT_LIBREOFFICE[f]
            assert want[ref] != excel, f"{f}: LibreOffice now agrees with Excel; drop it from the list"
            ok = str(mine) == excel if isinstance(mine, ErrorCode) else mine == excel
        else:
            ok = same(mine, want[ref], rel=1e-9)
        if not ok:
            wrong.append(f"{f}: engine {mine!r}, LibreOffice {want[ref]!r}")
    assert not wrong, "\n".join(wrong)


FINANCE = """
=PV(0.05/12,60,-500)|=PV(0.05/12,60,-500,1000,1)|=PV(0,10,-100)|=FV(0.06/12,10,-200,-500,1)|=FV(0,10,-100,-50)
=FV(0.04,5,-1000)|=PMT(0.08/12,10,10000)|=PMT(0.08/12,10,10000,0,1)|=PMT(0,10,1000)|=PMT(0.06/12,18*12,0,50000)
=NPER(0.12/12,-100,-1000,10000,1)|=NPER(0.01,-100,1000)|=NPER(0,-100,1000)|=IPMT(0.1/12,1,36,8000)
=IPMT(0.1,3,3,8000)|=IPMT(0.1/12,2,36,8000,0,1)|=IPMT(0.1/12,1,36,8000,0,1)|=IPMT(0.1,4,3,8000)|=PPMT(0.1/12,1,24,2000)
=PPMT(0.08,10,10,200000)|=RATE(48,-200,8000)|=RATE(10,-1000,5000,0,1)|=RATE(60,-500,30000,-1000)
=CUMIPMT(0.09/12,360,125000,13,24,0)|=CUMIPMT(0.09/12,360,125000,1,1,0)|=CUMPRINC(0.09/12,360,125000,13,24,0)
=CUMPRINC(0.09/12,360,125000,1,1,1)|=CUMIPMT(0.09/12,360,125000,0,1,0)|=ISPMT(0.1/12,1,36,8000000)
=SLN(30000,7500,10)|=SYD(30000,7500,10,1)|=SYD(30000,7500,10,10)|=DDB(2400,300,120,1)|=DDB(2400,300,10,2,1.5)
=DDB(2400,300,10,10)|=DB(1000000,100000,6,1,7)|=DB(1000000,100000,6,2,7)|=DB(1000000,100000,6,7,7)|=DB(10000,1000,5,3)
=EFFECT(0.0525,4)|=NOMINAL(0.053543,4)|=EFFECT(-0.1,4)|=PDURATION(0.025,2000,2200)|=RRI(96,10000,11000)
=NPV(0.1,-10000,3000,4200,6800)|=NPV(0.08,B1:B8)|=NPV(0.08,A1:A8,C1,-5)|=IRR({-70000,12000,15000,18000,21000,26000})
=IRR({-70000,12000,15000,18000,21000})|=IRR({-70000,12000,15000},-0.1)|=IRR(A1:A8)|=IRR({1,2,3})
=MIRR({-120000,39000,30000,21000,37000,46000},0.1,0.12)|=MIRR({-120000,39000,30000,21000},0.1,0.12)|=MIRR({1,2},0.1,0.1)
=FVSCHEDULE(1,{0.09,0.11,0.1})|=FVSCHEDULE(100,A1:A3)|=RATE(1,-1,1)|=SLN(10,0.9,0)|=DDB(100,0.9,3,2.2)
=DDB(0.5,7,30,0.25)|=VDB(0.5,0.9,3,2.2,2.2)|=DB(0.001,30,10,7)
=XNPV(0.09,{-10000,2750,4250,3250,2750},{39448,39508,39751,39859,39904})
=XIRR({-10000,2750,4250,3250,2750},{39448,39508,39751,39859,39904})|=XIRR({-100,110},{39448,39813},0.5)
""".replace("\n", "|").strip("|").split("|")


def test_financial_functions_match_libreoffice(lo, tmp_path):
    _check(lo, tmp_path, "finance", FINANCE,
           excel={"=MIRR({1,2},0.1,0.1)": "#DIV/0!"})  # Excel: no negative value is #DIV/0!; LibreOffice #NUM!


MATHS = """
=SQRTPI(2)|=SQRTPI(-1)|=COT(0.5)|=COT(0)|=COTH(1.5)|=ACOT(2)|=ACOT(-1)|=ACOTH(3)|=ACOTH(0.5)|=SEC(1)|=SECH(0.5)
=CSC(2)|=CSCH(1)|=ASINH(1.5)|=ACOSH(2)|=ACOSH(0.5)|=ATANH(0.3)|=ATANH(1)|=FACTDOUBLE(7)|=FACTDOUBLE(8)|=FACTDOUBLE(-1)
=FACTDOUBLE(0)|=MROUND(10,3)|=MROUND(-10,-3)|=MROUND(1.3,0.2)|=MROUND(5,-2)|=MROUND(7.5,5)|=MROUND(6,0)
=CEILING.MATH(24.3,5)|=CEILING.MATH(6.7)|=CEILING.MATH(-8.1,2)|=CEILING.MATH(-5.5,2,-1)|=CEILING.PRECISE(4.3)
=CEILING.PRECISE(-4.3,2)|=ISO.CEILING(4.3,-2)|=FLOOR.MATH(24.3,5)|=FLOOR.MATH(6.7)|=FLOOR.MATH(-8.1,2)
=FLOOR.MATH(-5.5,2,-1)|=FLOOR.PRECISE(-3.2,-1)|=FLOOR.PRECISE(3.2)|=COMBINA(4,3)|=COMBINA(10,3)|=COMBINA(0,0)
=DELTA(5,4)|=DELTA(5,5)|=DELTA(0.5)|=GESTEP(5,4)|=GESTEP(-4,-5)|=GESTEP(-1)|=GCD(5,2)|=GCD(24,36)|=GCD(B1:B8)
=GCD(0,5)|=GCD(-1,4)|=LCM(5,2)|=LCM(24,36)|=LCM(B1:B4)|=LCM(0,3)|=MULTINOMIAL(2,3,4)|=MULTINOMIAL(B1:B3)
=SERIESSUM(0.5,0,2,{1,-0.5,0.041666667})|=SERIESSUM(2,1,1,E1:E4)
=BITAND(13,25)|=BITOR(23,10)|=BITXOR(5,3)|=BITLSHIFT(4,2)|=BITRSHIFT(13,2)|=BITLSHIFT(4,-1)|=BITAND(-1,2)
=BIN2DEC(1100100)|=BIN2DEC("1111111111")|=BIN2DEC("2")|=DEC2BIN(9,4)|=DEC2BIN(-100)|=DEC2BIN(9,2)|=DEC2BIN(600)
=HEX2DEC("A5")|=HEX2DEC("FFFFFFFF5B")|=DEC2HEX(100,4)|=DEC2HEX(-54)|=DEC2HEX(255)|=OCT2DEC(54)|=OCT2DEC("7777777533")
=DEC2OCT(58,3)|=DEC2OCT(-100)|=COMBINA(2.2,3)|=GCD(-0.3,12)|=LCM(-0.3,0.25)|=BASE(-0.3,4.7)|=BASE(7,2)|=BASE(100,16,4)|=BASE(-1,2)|=DECIMAL("FF",16)|=DECIMAL(111,2)
=DECIMAL("zap",36)|=ROMAN(499)|=ROMAN(1999)|=ROMAN(3999)|=ROMAN(4000)|=ARABIC("MCMXCIX")|=ARABIC("mmxxvi")
=ARABIC("-XIV")|=ARABIC("ABC")|=ARABIC("")|=BIN2OCT(1001,3)|=BIN2HEX("1111111111")|=OCT2BIN(17)|=OCT2HEX(100,4)
=HEX2BIN("F",8)|=HEX2OCT("FFFFFFFF00")|=HEX2BIN("FFF")|=BIN2OCT(12)|=BIN2DEC(-1)|=BIN2OCT(-1)|=HEX2DEC(" A")
=DECIMAL("-1",2)|=DEC2BIN("E",0)|=DEC2BIN("E",1)|=DEC2BIN(-25,0)|=DEC2BIN(-25,1)|=DEC2HEX(-25,11)|=DEC2OCT(8,1)
""".replace("\n", "|").strip("|").split("|")


def test_maths_bits_bases_and_numerals_match_libreoffice(lo, tmp_path):
    excel = {  # LibreOffice differs; Excel's documentation gives these
        "=MROUND(5,-2)": "#NUM!",  # number and multiple of different signs; LibreOffice 6
        "=ROMAN(4000)": "#VALUE!",  # above 3999; LibreOffice #NUM!
        "=ARABIC(\"-XIV\")": -14.0,  # a leading minus is a negative numeral; LibreOffice #NUM!
        "=ARABIC(\"ABC\")": "#VALUE!",  # not a numeral; LibreOffice #NUM!
        '=DEC2BIN("E",0)': "#NUM!",  # places is checked first (Excel's cached value in xlcalculator's BASES.xlsx)
    }
    _check(lo, tmp_path, "maths", MATHS, excel=excel)


DATES = """
=DAYS360(DATE(2024,1,30),DATE(2024,2,1))|=DAYS360(DATE(2024,1,31),DATE(2024,3,31))|=DAYS360(DATE(2024,2,29),DATE(2024,3,31))
=DAYS360(DATE(2024,1,31),DATE(2024,3,31),TRUE)|=DAYS360(DATE(2024,3,31),DATE(2024,1,1))|=DAYS360(DATE(2023,2,28),DATE(2023,3,31))
=YEARFRAC(DATE(2024,1,1),DATE(2024,7,30))|=YEARFRAC(DATE(2024,1,1),DATE(2024,7,30),1)|=YEARFRAC(DATE(2023,3,1),DATE(2024,2,1),1)
=YEARFRAC(DATE(2022,1,15),DATE(2024,7,30),1)|=YEARFRAC(DATE(2024,1,1),DATE(2024,7,30),2)|=YEARFRAC(DATE(2024,7,30),DATE(2024,1,1),3)
=YEARFRAC(DATE(2024,1,31),DATE(2024,3,31),4)|=YEARFRAC(DATE(2024,1,31),DATE(2024,3,31),0)|=YEARFRAC(D3,D8,5)
=YEARFRAC(DATE(2023,2,28),DATE(2024,2,29),0)|=YEARFRAC(DATE(2023,5,10),DATE(2024,5,10),1)
=DATEDIF(DATE(2020,5,17),DATE(2024,2,29),"Y")|=DATEDIF(DATE(2020,5,17),DATE(2024,2,29),"M")
=DATEDIF(DATE(2020,5,17),DATE(2024,2,29),"D")|=DATEDIF(DATE(2020,5,17),DATE(2024,2,29),"YM")
=DATEDIF(DATE(2020,5,17),DATE(2024,2,29),"MD")|=DATEDIF(DATE(2020,5,17),DATE(2024,2,29),"YD")
=DATEDIF(DATE(2024,3,1),DATE(2024,2,1),"D")|=DATEDIF(DATE(2024,1,1),DATE(2024,3,1),"x")
=TIMEVALUE("6:45 PM")|=TIMEVALUE("22:30")|=TIMEVALUE("2024-01-02 06:00")|=TIMEVALUE(5)
=WEEKNUM(DATE(2024,3,9))|=WEEKNUM(DATE(2024,3,9),2)|=WEEKNUM(DATE(2024,1,1),1)|=WEEKNUM(DATE(2023,12,31),21)
=WEEKNUM(DATE(2024,3,9),13)|=WEEKNUM(DATE(2024,3,9),3)|=ISOWEEKNUM(DATE(2024,12,30))|=ISOWEEKNUM(DATE(2021,1,3))
=NETWORKDAYS(DATE(2024,1,1),DATE(2024,1,31))|=NETWORKDAYS(DATE(2024,1,31),DATE(2024,1,1))
=NETWORKDAYS(DATE(2024,1,1),DATE(2024,12,31),D3:D4)|=NETWORKDAYS.INTL(DATE(2024,1,1),DATE(2024,1,31),7)
=NETWORKDAYS.INTL(DATE(2024,1,1),DATE(2024,1,31),"0000011")|=NETWORKDAYS.INTL(DATE(2024,1,1),DATE(2024,1,31),11,D3)
=WORKDAY(DATE(2024,1,5),10)|=WORKDAY(DATE(2024,1,5),-10)|=WORKDAY(DATE(2024,2,28),3,D3)|=WORKDAY.INTL(DATE(2024,1,5),10,7)
=WORKDAY.INTL(DATE(2024,1,5),5,"1000001")|=WORKDAY.INTL(DATE(2024,1,5),5,"1111111")|=WORKDAY.INTL(DATE(2024,1,5),5,99)
""".replace("\n", "|").strip("|").split("|")


def test_day_counts_and_working_days_match_libreoffice(lo, tmp_path):
    _check(lo, tmp_path, "dates", DATES, rel=1e-12,
           excel={"=TIMEVALUE(5)": "#VALUE!",  # Excel: time_text must be text; LibreOffice #NUM!
                  "=WORKDAY.INTL(DATE(2024,1,5),5,99)": "#NUM!"})  # an unknown weekend number; LibreOffice #VALUE!


TEXTS = """
=CHAR(65)|=CODE("A")|=CODE("abc")|=CODE(C1)|=UNICHAR(66)|=UNICHAR(8364)
=UNICODE("B")|=UNICODE("€uro")|=UNICODE("")|=CLEAN("a"&CHAR(9)&"b"&CHAR(10)&"c")|=PROPER("this is a TITLE")
=PROPER("don't stop-me now2day")|=PROPER(C7)|=REPLACE("abcdefghijk",6,5,"*")|=REPLACE("2009",3,2,"10")
=REPLACE("abc",5,1,"x")|=FIXED(1234.567,1)|=FIXED(1234.567,-1)|=FIXED(-1234.567,-1,TRUE)
=FIXED(44.332)|=FIXED(2.5,0)|=FIXED(-0.125,2)|=FIXED(1234567.891,2,TRUE)|=NUMBERVALUE("2.500,27",",",".")
=NUMBERVALUE(" 1 234 ")|=NUMBERVALUE("1,5",",")|=NUMBERVALUE("12x")
""".replace("\n", "|").strip("|").split("|")

# LibreOffice 7.4 has no TEXTBEFORE or TEXTAFTER, and differs from Excel's documentation on these: Excel's values
EXCEL_ONLY = {
    "=CHAR(233)": "é",  # Excel's CHAR is Windows-1252; LibreOffice on Linux shows U+FFFD
    "=CHAR(0)": "#VALUE!", "=UNICHAR(0)": "#VALUE!", "=CHAR(256)": "#VALUE!",  # LibreOffice: a NUL, a NUL, #NUM!
    '=CODE("")': "#VALUE!",  # LibreOffice 0
    '=REPLACE("abc",0,1,"x")': "#VALUE!",  # start below 1; LibreOffice #NUM!
    '=NUMBERVALUE("3.5%")': 0.035, '=NUMBERVALUE("")': 0.0,  # trailing % divides by 100, "" is 0; LibreOffice #VALUE!
    "=FIXED(1.5,100)": "1.5" + "0" * 99,  # up to 127 decimals (LibreOffice #NUM!)
    "=ROMAN(-0.3)": "#VALUE!",  # negative, before truncation (LibreOffice #NUM!)
    '=TEXTBEFORE("Red riding hood","hood")': "Red riding ", '=TEXTBEFORE("Red riding hood"," ",2)': "Red riding",
    '=TEXTBEFORE("Red riding hood"," ",-1)': "Red riding", '=TEXTAFTER("Red riding hood"," ")': "riding hood",
    '=TEXTAFTER("Red riding hood"," ",-1)': "hood", '=TEXTAFTER("Red riding hood","x")': "#N/A",
    '=TEXTAFTER("Red riding hood","x",1,0,0,"none")': "none", '=TEXTAFTER("Red riding HOOD","hood",1,1)': "",
    '=TEXTBEFORE("Red riding HOOD","hood",1,1)': "Red riding ", '=TEXTBEFORE("Red riding hood","x",1,0,1)': "Red riding hood",
    '=TEXTAFTER("a-b-c","-",2)': "c", '=TEXTBEFORE("a-b-c","-",3)': "#N/A", '=TEXTAFTER("a-b-c","-",0)': "#VALUE!",
}


def test_text_functions_match_libreoffice_or_excel(lo, tmp_path):
    _check(lo, tmp_path, "texts", TEXTS, rel=1e-12, excel_only=EXCEL_ONLY)


MATRICES = """
=MDETERM({3,6,1;1,1,0;3,10,2})|=MDETERM(A1:B2)|=INDEX(MINVERSE({4,-1;2,0}),1,2)
=INDEX(MINVERSE({4,-1;2,0}),2,1)|=SUM(MINVERSE(A1:B2))|=MINVERSE({1,2;2,4})|=SUM(MUNIT(3))|=INDEX(MUNIT(3),2,2)
=INDEX(MUNIT(3),1,2)|=MUNIT(0)
""".replace("\n", "|").strip("|").split("|")

# LibreOffice 7.4 has none of Excel 365's array shapers: Excel's values, by its documentation's rules
SHAPES = {
    "=ROWS(VSTACK(A1:A3,B1:B2))": 5.0, "=COLUMNS(VSTACK(A1:A3,B1:C2))": 2.0, "=INDEX(VSTACK(A1:A3,B1:C2),2,2)": "#N/A",
    "=INDEX(VSTACK(A1:A3,B1:C2),5,2)": "Banana", "=INDEX(HSTACK(A1:A2,C1:C2),2,2)": "Banana",
    "=COLUMNS(HSTACK(A1:B1,C1:E1))": 5.0, "=INDEX(HSTACK(A1:A2,C1),2,2)": "#N/A",
    "=ROWS(TOCOL(A1:B3))": 6.0, "=INDEX(TOCOL(A1:B3),2)": 2.0, "=INDEX(TOCOL(A1:B3,0,TRUE),2)": 1.5,
    "=COLUMNS(TOROW(A1:B3))": 6.0, "=TOCOL(A9:B10,1)": "#CALC!", "=INDEX(TOROW(A1:B2),1,3)": 1.5,
    "=ROWS(WRAPROWS(E1:E8,3))": 3.0, "=INDEX(WRAPROWS(E1:E8,3),3,3)": "#N/A", "=INDEX(WRAPROWS(E1:E8,3,0),3,3)": 0.0,
    "=INDEX(WRAPCOLS(E1:E8,3),2,3)": 8.0, "=COLUMNS(WRAPCOLS(E1:E8,3))": 3.0, "=WRAPROWS(A1:B2,2)": "#VALUE!",
    "=INDEX(CHOOSEROWS(A1:B8,3,-1),2,2)": 6.0, "=ROWS(CHOOSEROWS(A1:B8,{1,2,2}))": 3.0, "=CHOOSEROWS(A1:B8,9)": "#VALUE!",
    "=INDEX(CHOOSECOLS(A1:C3,3,1),1,1)": "apple", "=COLUMNS(CHOOSECOLS(A1:C3,-1,-2))": 2.0,
    "=ROWS(EXPAND(A1:B2,4))": 4.0, "=INDEX(EXPAND(A1:B2,3,3),3,3)": "#N/A", "=INDEX(EXPAND(A1:B2,3,3,\"-\"),3,1)": "-",
    "=EXPAND(A1:B2,1)": "#VALUE!",
    "=MDETERM(A1:B3)": "#VALUE!", "=MUNIT(0)": "#VALUE!",  # (Excel's documented errors; LibreOffice's are #NUM!)
}


def test_matrices_match_libreoffice_and_array_shapers_give_excels_values(lo, tmp_path):
    _check(lo, tmp_path, "arrays", MATRICES, rel=1e-12, excel_only=SHAPES)


INFO = """
=TYPE(A1)|=TYPE(C1)|=TYPE(D1)|=TYPE(1/0)|=TYPE({1,2})|=TYPE(A9)|=TYPE("")|=ERROR.TYPE(1/0)|=ERROR.TYPE(NA())
=ERROR.TYPE(A1)|=ERROR.TYPE(#VALUE!)|=ERROR.TYPE(#REF!)|=ERROR.TYPE(#NUM!)|=ERROR.TYPE(#NULL!)|=SHEET()|=SHEET(t!A1)
=SHEET("t")|=SHEET("nope")|=SHEETS()|=SHEETS(A1:B2)|=ADDRESS(2,3)|=ADDRESS(2,3,2)|=ADDRESS(2,3,3)|=ADDRESS(2,3,4)
=ADDRESS(2,3,1,FALSE)|=ADDRESS(2,3,2,FALSE)|=ADDRESS(2,3,4,FALSE)|=ADDRESS(2,3,1,TRUE,"My Sheet")
=ADDRESS(2,3,1,TRUE,"t")|=ADDRESS(1,16384)|=ADDRESS(0,1)|=ADDRESS(1,1,5)|=AREAS(A1:B2)|=AREAS(t!A1)
""".replace("\n", "|").strip("|").split("|")


def test_information_functions_match_libreoffice(lo, tmp_path):
    excel = {"=TYPE(D1)": 4.0,  # a logical value is 4; LibreOffice 8 for a boolean cell
             "=ERROR.TYPE(#NULL!)": 1.0,  # LibreOffice #N/A
             '=SHEET("nope")': "#N/A",  # not a sheet's name; LibreOffice #NUM!
             "=ADDRESS(0,1)": "#VALUE!", "=ADDRESS(1,1,5)": "#VALUE!"}  # LibreOffice #NUM! and $A$1
    _check(lo, tmp_path, "info", INFO, excel=excel, rel=1e-12, sheets={"t": {"A1": 1}})


def _orchard():
    """Microsoft's example database (J1:N7) and criteria (P1:R3): apples 10 to 16 high, or any pear."""
    rows = [("Tree", "Height", "Age", "Yield", "Profit"), ("Apple", 18, 20, 14, 105), ("Pear", 12, 12, 10, 96),
            ("Cherry", 13, 14, 9, 105), ("Apple", 14, 15, 10, 75), ("Pear", 9, 8, 8, 76.8), ("Apple", 8, 9, 6, 45)]
    cells = {f"{'JKLMN'[j]}{i + 1}": v for i, row in enumerate(rows) for j, v in enumerate(row)}
    cells.update({"P1": "Tree", "Q1": "Height", "R1": "Height", "P2": "Apple", "Q2": ">10", "R2": "<16",
                  "P3": "Pear", "T1": "Tree", "T2": "Cherry", "U1": "Age", "U2": ">100", "W1": "Nope", "W2": 1})
    return cells


DATABASE = """
=DSUM(J1:N7,"Profit",P1:R3)|=DSUM(J1:N7,5,P1:R2)|=DAVERAGE(J1:N7,"Yield",P1:R3)|=DCOUNT(J1:N7,"Age",P1:R3)
=DCOUNT(J1:N7,,P1:R3)|=DCOUNTA(J1:N7,"Tree",P1:R3)|=DGET(J1:N7,"Yield",T1:T2)|=DGET(J1:N7,"Yield",P1:R3)
=DGET(J1:N7,"Yield",U1:U2)|=DMAX(J1:N7,"Profit",P1:R3)|=DMIN(J1:N7,"Profit",P1:R3)|=DPRODUCT(J1:N7,"Yield",P1:R3)
=DSTDEV(J1:N7,"Yield",P1:R3)|=DSTDEVP(J1:N7,"Yield",P1:R3)|=DVAR(J1:N7,"Yield",P1:R3)|=DVARP(J1:N7,"Yield",P1:R3)
=DSUM(J1:N7,"Nope",P1:R3)|=DSUM(J1:N7,"Profit",W1:W2)|=DAVERAGE(J1:N7,"Yield",U1:U2)|=DSUM(J1:N7,"profit",T1:T2)
""".replace("\n", "|").strip("|").split("|")


def test_database_functions_match_libreoffice(lo, tmp_path):
    _check(lo, tmp_path, "db", DATABASE, rel=1e-12, extra=_orchard())


MORE = """
=INDEX(LOGEST(B1:B8,E1:E8),1)|=INDEX(LOGEST(B1:B8,E1:E8),2)|=INDEX(LOGEST(B1:B8,E1:E8,TRUE,TRUE),3,1)
=INDEX(GROWTH(B1:B8,E1:E8),3)|=INDEX(GROWTH(B1:B8,E1:E8,{9;10}),2)|=INDEX(LOGEST(A1:A8,E1:E8),1)
=INDEX(MODE.MULT(1,2,2,3,3,4),1)|=INDEX(MODE.MULT(1,2,2,3,3,4),2)|=ROWS(MODE.MULT(1,2,2,3,3,4))
=VDB(2400,300,10,0,1)|=VDB(2400,300,10,0,0.875,1.5)|=VDB(2400,300,10,6,10)|=VDB(2400,300,10,6,10,2,TRUE)
=VDB(2400,300,120,6,18)|=VDB(2400,300,10,2.5,7.5)
=BESSELJ(1.9,2)|=BESSELY(2.5,1)|=BESSELI(1.5,1)|=BESSELK(1.5,1)|=BESSELJ(1.9,-1)|=BESSELY(-1,1)|=BESSELJ(2,2.9)
=HYPERLINK("http://example.com","Example")|=HYPERLINK("http://example.com")|=HYPERLINK("x",5)|=DOLLAR(1234.567,2)
=DOLLAR(1234.567,-2)|=DOLLAR(0.123,4)|=DOLLAR(99.888)|=CELL("row",B5)|=CELL("col",D5)|=CELL("address",C3)
=CELL("contents",C2)|=CELL("contents",A2)|=CELL("type",C2)|=CELL("type",A2)|=CELL("type",A99)|=CELL("address",t!B2)
""".replace("\n", "|").strip("|").split("|")

# Excel 365's functions LibreOffice 7.4 lacks, and Excel's brackets for a negative DOLLAR: Excel's values
MORE_EXCEL = {
    "=DOLLAR(-1234.567,1)": "($1,234.6)", "=MODE.MULT(1,2,3)": "#N/A",  # (LibreOffice: no repeats is #VALUE!)
    "=VALUETOTEXT(C1)": "apple", "=VALUETOTEXT(C1,1)": '"apple"', "=VALUETOTEXT(A2)": "1.5", "=VALUETOTEXT(D1,1)": "TRUE",
    "=VALUETOTEXT(1/0)": "#DIV/0!", "=ARRAYTOTEXT(A1:B2)": "3, 2, 1.5, 4", "=ARRAYTOTEXT(B1:C2,1)": '{2,"apple";4,"Banana"}',
    '=INDEX(TEXTSPLIT("a,b;c,d",",",";"),2,2)': "d", '=COLUMNS(TEXTSPLIT("a,b,,c",","))': 4.0,
    '=COLUMNS(TEXTSPLIT("a,b,,c",",",,TRUE))': 3.0, '=INDEX(TEXTSPLIT("a,b;c",",",";"),2,2)': "#N/A",
    '=INDEX(TEXTSPLIT("a,b;c",",",";",,,"-"),2,2)': "-", '=INDEX(TEXTSPLIT("1x2X3","x",,,1),1,3)': "3",
    '=INDEX(TEXTSPLIT("a b-c",{" ","-"}),1,3)': "c",
    '=REGEXTEST("sheetnet 2026","\\d{4}")': True, '=REGEXTEST("ABC","abc")': False, '=REGEXTEST("ABC","abc",1)': True,
    '=REGEXEXTRACT("tel 555-1234 or 555-9876","\\d{3}-\\d{4}")': "555-1234",
    '=INDEX(REGEXEXTRACT("tel 555-1234 or 555-9876","\\d{3}-\\d{4}",1),2)': "555-9876",
    '=INDEX(REGEXEXTRACT("John Smith","(\\w+) (\\w+)",2),1,2)': "Smith", '=REGEXEXTRACT("abc","\\d")': "#N/A",
    '=REGEXREPLACE("John Smith","(\\w+) (\\w+)","$2, $1")': "Smith, John",
    '=REGEXREPLACE("a1b2c3","\\d","#")': "a#b#c#", '=REGEXREPLACE("a1b2c3","\\d","#",2)': "a1b#c3",
    '=REGEXREPLACE("a1b2c3","\\d","#",-1)': "a1b2c#",
    "=INDEX(SORTBY(C1:C4,B1:B4),1)": "apple", "=INDEX(SORTBY(C1:C4,B1:B4,-1),1)": "cherry",
    "=INDEX(SORTBY(C1:C4,B1:B4,-1),2)": "Banana", "=INDEX(SORTBY(E1:F8,F1:F8,1,E1:E8,-1),1,1)": 7.0,
    "=INDEX(SORTBY(A1:B2,{2,1}),1,1)": 2.0, "=SORTBY(A1:A4,B1:B3)": "#VALUE!",
}


def test_more_functions_match_libreoffice_or_excel(lo, tmp_path):
    # BESSELK: LibreOffice's polynomial approximation is good to 1e-8 (Excel's to 9 digits); sheetnet's is
    # scipy's, exact to the last digits
    _check(lo, tmp_path, "more", MORE, excel_only=MORE_EXCEL, rels={"=BESSELK": 1e-7}, sheets={"t": {"A1": 1}})


def test_lambda_and_its_helpers_give_excels_values(tmp_path):
    """LibreOffice 7.4 has no LAMBDA: the values are Excel's, by its documentation's rules (MAP, BYROW, BYCOL,
    REDUCE, SCAN, MAKEARRAY, a defined name holding a LAMBDA, ISOMITTED, a LAMBDA left uncalled)."""
    import xlsxwriter

    cases = {
        "=SUM(MAP(A1:A4,LAMBDA(x,x*2)))": 20.0, "=INDEX(MAP(A1:A4,B1:B4,LAMBDA(x,y,x+y)),3)": 33.0,
        "=SUM(BYROW(A1:B4,LAMBDA(r,MAX(r))))": 100.0, "=INDEX(BYCOL(A1:B4,LAMBDA(c,SUM(c))),1,2)": 100.0,
        "=REDUCE(0,A1:A4,LAMBDA(a,v,a+v*v))": 30.0, "=INDEX(SCAN(0,A1:A4,LAMBDA(a,v,a+v)),4)": 10.0,
        "=SUM(MAKEARRAY(3,3,LAMBDA(r,c,r*c)))": 36.0, "=HYP(3,4)": 5.0, "=OPT(1)": 1.0, "=OPT(1,2)": 3.0,
        "=LAMBDA(x,x)": "#CALC!", "=MAP(A1:A2,LAMBDA(x,y,x))": "#VALUE!", "=BYROW(A1:B2,LAMBDA(r,r))": "#CALC!",
        "=LET(f,2,REDUCE(f,A1:A2,LAMBDA(a,v,a*v)))": 4.0,
        # called where it is written: LAMBDA(...)(arguments)
        "=LAMBDA(x,y,x*y)(3,4)": 12.0, "=LAMBDA(x,x+1)(A2)+2": 5.0, "=LAMBDA(x,y,x-y)(SUM(A1,B1),1)": 10.0,
        "=LAMBDA(x,x*2)(LAMBDA(y,y+1)(1))": 4.0, "=LAMBDA(x,x)(1,2)": "#VALUE!", "=LAMBDA(10)()": 10.0,
        "=SUM(LAMBDA(r,r*2)(A1:A4))": 20.0, "=LAMBDA(x,y,IF(ISOMITTED(y),-x,x))(7)": -7.0,
        # a named LAMBDA calling itself, ended by IF (which computes only the branch it picks, as Excel's)
        "=FACT(5)": 120.0, "=FACT(A4)": 24.0, "=FIB(15)": 610.0, '=REV("sheetnet")': "tenteehs",
        "=SUM(FACT(1),FACT(3))": 7.0, "=IF(TRUE,1,{1,2,3})": 1.0, "=ROWS(IF(FALSE,{1;2},{1;2;3}))": 3.0,
    }
    path = tmp_path / "lambda.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"use_future_functions": True})
    ws = wb.add_worksheet("s")
    ws.write_column("A1", [1, 2, 3, 4])
    ws.write_column("B1", [10, 20, 30, 40])
    wb.define_name("HYP", "=LAMBDA(a,b,SQRT(a^2+b^2))")
    wb.define_name("OPT", "=LAMBDA(a,b,IF(ISOMITTED(b),a,a+b))")
    wb.define_name("FACT", "=LAMBDA(n,IF(n<=1,1,n*FACT(n-1)))")
    wb.define_name("FIB", "=LAMBDA(n,IF(n<2,n,FIB(n-1)+FIB(n-2)))")
    wb.define_name("REV", "=LAMBDA(t,IF(LEN(t)<2,t,REV(MID(t,2,LEN(t)))&LEFT(t,1)))")
    for i, f in enumerate(cases):
        ws.write_formula(i, 3, f, None, 0)
    for r in range(4):  # one run of formulas whose cells end their recursion at different depths
        ws.write_formula(r, 5, f"=FACT(A{r + 1}+1)", None, 0)
    wb.close()
    eng = Engine.load(path)
    got = {f: _shown(eng.get(f"s!D{i + 1}")) for i, f in enumerate(cases)}
    assert got == cases
    assert eng.get("s!F1:F4") == [[2.0], [6.0], [24.0], [120.0]]


@pytest.mark.parametrize("name, body, words", [
    ("DEEP", "=LAMBDA(n,IF(n=0,0,1+DEEP(n-1)))", "a LAMBDA calls itself more than 64 levels deep; refused"),
    ("DEEP", "=LAMBDA(n,LET(m,n-1,IF(n>0,SUM(1,MAX(0,IFERROR(DEEP(m),0))),0)))", "more than sheetnet follows"),
    ("DEEP", "=LAMBDA(n,IF(n=0,0,1+DEEP(n-1)+A1))", "calls itself and reads cells relative to where it is used"),
])
def test_a_recursion_too_deep_for_sheetnet_is_refused(tmp_path, name, body, words):
    import xlsxwriter

    path = tmp_path / "deep.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"use_future_functions": True})
    wb.define_name(name, body)
    wb.add_worksheet("s").write_formula("B1", "=DEEP(1000)", None, 0)
    wb.close()
    with pytest.raises(SheetnetError, match=rf"s!B1: .*{re.escape(words)}"):
        Engine.load(path)


def test_trimrange_gives_excels_values(tmp_path):
    """TRIMRANGE (Excel 365; LibreOffice 7.4 has none): blank edge rows and columns dropped, as its documentation
    says; a formula's "" is not blank.  A range with no values at all is refused (Excel's result is undocumented)."""
    import xlsxwriter

    cases = {"=SUM(TRIMRANGE(A1:F8))": 4.0, "=ROWS(TRIMRANGE(A1:F8))": 4.0, "=COLUMNS(TRIMRANGE(A1:F8))": 3.0,
             "=ROWS(TRIMRANGE(A1:F8,2))": 6.0, "=ROWS(TRIMRANGE(A1:F8,1))": 6.0, "=ROWS(TRIMRANGE(A1:F8,0))": 8.0,
             "=COLUMNS(TRIMRANGE(A1:F8,0,1))": 5.0, "=COLUMNS(TRIMRANGE(A1:F8,0,2))": 4.0,
             "=INDEX(TRIMRANGE(A1:F8),1,1)": 1.0, "=INDEX(TRIMRANGE(A1:F8),2,2)": "x", "=ROWS(TRIMRANGE(B:B))": 4.0,
             "=TRIMRANGE(A1:F8,4)": "#VALUE!", "=ROWS(TRIMRANGE({1,2;3,4}))": 2.0,
             # trim references as Excel stores them: A1.:.F8, A1:.F8 and A1.:F8
             "=ROWS(_xlfn._TRO_ALL(A1:F8))": 4.0, "=ROWS(_xlfn._TRO_TRAILING(A1:F8))": 6.0,
             "=COLUMNS(_xlfn._TRO_LEADING(A1:F8))": 5.0, "=SUM(_xlfn._TRO_TRAILING(D:D))": 3.0}
    path = tmp_path / "trim.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    ws.write("B3", 1)
    ws.write("C4", "x")
    ws.write("D5", 3)
    ws.write_formula("B6", '=""', None, "")
    for i, f in enumerate(cases):
        ws.write_formula(i, 7, f, None, 0)
    wb.close()
    eng = Engine.load(path)
    assert {f: _shown(eng.get(f"s!H{i + 1}")) for i, f in enumerate(cases)} == cases
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("s").write_formula("A1", "=ROWS(TRIMRANGE(C1:D9))", None, 0)
    wb.close()
    with pytest.raises(SheetnetError, match=r"s!A1: TRIMRANGE of a range with no values"):
        Engine.load(path)


BONDS = """
=DISC(DATE(2024,1,25),DATE(2024,6,15),97.975,100,1)|=DISC(DATE(2024,1,25),DATE(2024,6,15),97.975,100)
=INTRATE(DATE(2024,2,15),DATE(2024,5,15),1000000,1014420,2)|=RECEIVED(DATE(2024,2,15),DATE(2024,5,15),1000000,0.0575,2)
=PRICEDISC(DATE(2024,2,16),DATE(2024,3,1),0.0525,100,2)|=YIELDDISC(DATE(2024,2,16),DATE(2024,3,1),99.795,100,2)
=TBILLPRICE(DATE(2024,3,31),DATE(2024,6,1),0.09)|=TBILLYIELD(DATE(2024,3,31),DATE(2024,6,1),98.45)
=TBILLEQ(DATE(2024,3,31),DATE(2024,6,1),0.0914)
=ACCRINTM(DATE(2024,4,1),DATE(2024,6,15),0.1,1000,3)|=DISC(DATE(2024,6,15),DATE(2024,1,25),97,100)
=COUPDAYBS(DATE(2024,1,25),DATE(2034,11,15),2,1)|=COUPDAYS(DATE(2024,1,25),DATE(2034,11,15),2,1)
=COUPDAYSNC(DATE(2024,1,25),DATE(2034,11,15),2,1)|=COUPNCD(DATE(2024,1,25),DATE(2034,11,15),2,1)
=COUPPCD(DATE(2024,1,25),DATE(2034,11,15),2,1)|=COUPNUM(DATE(2024,1,25),DATE(2034,11,15),2,1)
=COUPDAYS(DATE(2024,1,25),DATE(2034,11,15),4,0)|=COUPDAYSNC(DATE(2024,1,25),DATE(2034,11,15),2,0)
=COUPDAYBS(DATE(2024,1,25),DATE(2034,11,15),2,0)|=COUPNUM(DATE(2024,1,25),DATE(2024,11,15),2)
=COUPNCD(DATE(2024,1,31),DATE(2034,8,31),4)|=COUPNUM(DATE(2024,1,25),DATE(2034,11,15),3)
=PRICE(DATE(1992,4,16),DATE(1992,5,16),0.99,0.25,1,1)|=PRICE(DATE(2008,2,15),DATE(2017,11,15),0.0575,0.065,100,2,0)|=PRICE(DATE(2024,1,25),DATE(2034,11,15),0.05,0.04,100,2,1)
=YIELD(DATE(2008,2,15),DATE(2016,11,15),0.0575,95.04287,100,2,0)|=YIELD(DATE(2024,1,25),DATE(2024,11,15),0.05,101,100,2,0)
=DURATION(DATE(2018,7,1),DATE(2048,1,1),0.08,0.09,2,1)|=MDURATION(DATE(2008,1,1),DATE(2016,1,1),0.08,0.09,2,1)
""".replace("\n", "|").strip("|").split("|")


def test_securities_functions_match_libreoffice(lo, tmp_path):
    excel = {  # Excel's documented examples, which LibreOffice misses in the fourth digit
        "=DURATION(DATE(2018,7,1),DATE(2048,1,1),0.08,0.09,2,1)": 10.9191453,
        "=MDURATION(DATE(2008,1,1),DATE(2016,1,1),0.08,0.09,2,1)": 5.73567,
    }
    accrint = ['=ACCRINT(DATE(2008,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,0)',
               '=ACCRINT(DATE(2008,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,4,3)',
               '=ACCRINT(DATE(2008,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,1,2)',
               '=ACCRINT(DATE(2008,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,4)']
    _check(lo, tmp_path, "bonds", BONDS + accrint, excel=excel, excel_only={
        # Excel's documented examples (LibreOffice 7.4 takes no calc_method and sums by YEARFRAC)
        '=ACCRINT(DATE(2008,3,5),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,0,FALSE)': 1000 * 0.1 * 56 / 360,
        '=ACCRINT(DATE(2008,4,5),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,0,TRUE)': 1000 * 0.1 * 26 / 360,
        # actual/actual: the 61 days over the quasi-coupon period's 184 (LibreOffice's YEARFRAC gives 16.667)
        '=ACCRINT(DATE(2008,3,1),DATE(2008,8,31),DATE(2008,5,1),0.1,1000,2,1)': 1000 * 0.1 / 2 * 61 / 184,
    })
    from sheetnet.errors import SheetnetError

    across = write_book(tmp_path / "across.xlsx", {"s": {"A1": "=ACCRINT(DATE(2008,3,1),DATE(2008,8,31),"
                                                               "DATE(2009,5,1),0.1,1000,2,0)"}})
    with pytest.raises(SheetnetError, match="s!A1: ACCRINT accruing across a coupon date is not supported"):
        Engine.load(across)


def test_the_lazy_families_manifest_is_what_they_register():
    """A command imports only the common families; functions/manifest.py says which module holds each of the
    rest, so a formula naming one imports it.  Each module, imported alone, registers exactly its names there
    (and those of the lazy modules it imports)."""
    import json
    import subprocess
    import sys

    from sheetnet.engine.functions.manifest import LAZY

    code = """
import importlib, json, sys
from sheetnet.engine.functions import registry as r
before = set(dict.keys(r.FUNCTIONS))
importlib.import_module("sheetnet.engine.functions." + sys.argv[1])
print(json.dumps(sorted(set(dict.keys(r.FUNCTIONS)) - before)))
"""
    for module, names in LAZY.items():
        out = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True, check=True)
        got = set(json.loads(out.stdout))
        assert set(names) <= got, (module, set(names) - got)
        assert got <= {n for m, ns in LAZY.items() for n in ns}, (module, got - {n for ns in LAZY.values() for n in ns})
    started = subprocess.run([sys.executable, "-c", "import sys, sheetnet.engine; print(sorted(m for m in sys.modules "
                              "if m.startswith('sheetnet.engine.functions.')))"], capture_output=True, text=True)
    assert not any(f"functions.{m}'" in started.stdout for m in LAZY), started.stdout


def test_cash_flows_in_a_block_are_refused_not_guessed(tmp_path):
    """NPV, IRR and MIRR read their flows in order; a block of several rows and columns has two orders
    (LibreOffice reads it by columns, Excel's documentation does not say): a one-line refusal naming the cell."""
    from sheetnet.errors import SheetnetError

    for f in ("=NPV(0.1,A1:B8)", "=IRR(A1:B8)", "=MIRR(A1:B8,0.1,0.1)"):
        path = write_book(tmp_path / "flows.xlsx", {"s": {**INPUTS, "H1": f}})
        with pytest.raises(SheetnetError, match=r"s!H1: cash flows in a block of several rows and columns"):
            Engine.load(path)
    ok = write_book(tmp_path / "column.xlsx", {"s": {**INPUTS, "H1": "=NPV(0.1,A1:A8)"}})
    assert abs(Engine.load(ok).get("s!H1") - sum(v / 1.1 ** (i + 1) for i, v in
                                                   enumerate([3, 1.5, -2, 7, 0, 10, 4.25, 2]))) < 1e-12


CONVERTS = """
=CONVERT(68,"F","C")|=CONVERT(6,"tsp","tbs")|=CONVERT(6,"gal","l")|=CONVERT(6,"km","mi")|=CONVERT(6,"in","ft")
=CONVERT(6,"cm","in")|=CONVERT(100,"mph","m/s")|=CONVERT(300,"K","F")|=CONVERT(1,"uk_gal","l")|=CONVERT(1,"kn","mph")
=CONVERT(1,"ft3","l")|=CONVERT(1,"pica","in")|=CONVERT(1,"Pica","in")|=CONVERT(1,"survey_mi","m")|=CONVERT(1,"km2","m2")
=CONVERT(1,"kibyte","bit")|=CONVERT(1,"yr","day")|=CONVERT(1,"ga","T")|=CONVERT(1,"us_acre","m2")|=CONVERT(1,"Morgen","m2")
=CONVERT(1,"uk_acre","m2")|=CONVERT(1,"Nmi","m")|=CONVERT(1,"ang","m")|=CONVERT(1,"barrel","l")|=CONVERT(1,"kWh","J")
=CONVERT(1,"mm3","m3")|=CONVERT(1,"Mibyte","byte")|=CONVERT(1,"Reau","C")|=CONVERT(1,"Rank","K")|=CONVERT(A2,"m","yd")
""".replace("\n", "|").strip("|").split("|")


def test_convert_matches_libreoffice_and_excels_constants(lo, tmp_path):
    """Where a unit's factor is exact (lengths, volumes, areas, temperatures, bits) LibreOffice agrees; its 7.4
    table keeps older constants for the pound, horsepower, BTU, the light-year and others, so those are
    Excel's documented examples (and Excel's #N/A across categories, where LibreOffice gives #NUM!)."""
    _check(lo, tmp_path, "convert", CONVERTS, rel=1e-9, excel_only={
        '=CONVERT(1,"lbm","kg")': 0.45359237, '=CONVERT(6,"mi","km")': 9.656064, '=CONVERT(2.5,"ft","sec")': "#N/A",
        '=CONVERT(1,"xyz","m")': "#N/A", '=CONVERT(1,"HP","W")': 745.6998715822701, '=CONVERT(1,"ly","m")': 9460730472580800.0,
    })


def test_the_intersection_operator_matches_libreoffice(lo, tmp_path):
    """A space between two references is their intersection (Excel's and LibreOffice's); no common cell is
    #NULL!; a workbook of xlwings' tests used it and was refused before."""
    _check(lo, tmp_path, "intersect", ["=SUM(A1:C3 B2:D4)", "=A1:A8 A3:B3", "=SUM(A1:B8 B3:B5)*2",
                                       "=COUNT(A1:B8 A2:B3)"], rel=1e-12,
           excel={"=SUM(A1:A2 C1:C2)": "#NULL!"})  # no common cell: Excel's #NULL! (LibreOffice's code reads #REF!)


def test_a_recursive_lambda_given_an_array_is_refused_not_guessed(tmp_path):
    """IF computes both branches for an array condition (element by element), so FACT({2;3;4}) never reaches
    a point where every element stops: refused in one line, never a wrong number."""
    import xlsxwriter

    path = tmp_path / "arr.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"use_future_functions": True})
    wb.define_name("FACT", "=LAMBDA(n,IF(n<=1,1,n*FACT(n-1)))")
    ws = wb.add_worksheet("s")
    ws.write_column("A1", [1, 2, 3])
    ws.write_array_formula("B1:B3", "{=FACT(A1:A3+1)}", None, 0)
    wb.close()
    with pytest.raises(SheetnetError, match=r"s!B1: a LAMBDA calls itself more than 64 levels deep; refused"):
        Engine.load(path)
