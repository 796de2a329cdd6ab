import hashlib

import numpy as np
import pytest

from sheetnet.errors import SheetnetError
from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.resources import DATASETS
from sheetnet.lessons.template import load_template, parse_template

TRAIN = DATASETS / "titanic" / "train.csv"


def test_bundled_csv_is_the_dataprep_file():
    assert hashlib.sha256(TRAIN.read_bytes()).hexdigest() == \
        "4a437fde05fe5264e1701a7387ac6fb75393772ba38bb2c9c566405af5af4bd7"


def test_lesson_preparation(titanic):
    # 891 read, 177 blank Age, 2 blank Embarked, 179 with either: 712 kept, in file order
    assert titanic.n_read == 891 and titanic.n == 712
    assert titanic.template.feature_names == ("SibSp", "Parch", "Age_N", "log_Fare", "Pclass_1", "Pclass_2",
                                              "Embark_S", "Embark_C", "Male", "Ones")
    assert titanic.maxes == {"Age": 80.0}
    # first passenger: Braund, 3rd class male, 22, SibSp 1, Fare 7.25, Embarked S
    np.testing.assert_array_equal(titanic.X[0], [1, 0, 22 / 80, np.log10(8.25), 0, 0, 1, 0, 1, 1])
    # second: Cumings, 1st class female, 38, Fare 71.2833, Embarked C
    np.testing.assert_array_equal(titanic.X[1], [1, 0, 38 / 80, np.log10(72.2833), 1, 0, 0, 1, 0, 1])
    assert titanic.y.sum() == 288  # survivors among the 712
    assert list(titanic.frame["PassengerId"][:3]) == ["1", "2", "3"]


def test_crlf_and_lf_give_the_same_table(tmp_path, template, titanic):
    crlf = tmp_path / "train_crlf.csv"
    crlf.write_bytes(TRAIN.read_bytes().replace(b"\n", b"\r\n"))
    other = prepare(template, crlf)
    np.testing.assert_array_equal(other.X, titanic.X)
    np.testing.assert_array_equal(other.y, titanic.y)


def test_fill_blanks_with_mode(template):
    d = prepare(template.with_blanks("mode"))
    assert d.n == 891
    ages = d.frame["Age"]
    assert not np.isnan(ages).any()
    assert (ages == 24.0).sum() == 30 + 177  # 24 is the mode of Age; the 177 blanks become 24
    assert (d.frame["Embarked"] == "S").sum() == 644 + 2


def test_text_comparison_is_case_insensitive_like_excel(tmp_path, template):
    p = tmp_path / "t.csv"
    p.write_text(TRAIN.read_text().replace(",male,", ",MALE,", 5))
    d = prepare(template, p)
    assert d.X[:, 8].sum() == prepare(template).X[:, 8].sum()


def _csv(tmp_path, text, name="bad.csv"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


@pytest.mark.parametrize("content, message", [
    ("PassengerId,Survived,Pclass,Name,Sex,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n1,0,3,A,male,1,0,x,7.25,,S\n",
     "missing column 'Age'"),
    ("", "the file is empty"),
    (b"PK\x03\x04\x14\x00\x00\x00binary", "not a CSV file"),
    (b"\x00\x01\x02\x03" * 50, "not a CSV file"),
    ("just one line of prose without commas\n", "not a CSV file of columns"),
    ("Survived,Pclass,Sex,Age,SibSp,Parch,Fare,Embarked\n", "no rows under the header"),
])
def test_bad_files_get_one_line_errors(tmp_path, template, content, message):
    p = _csv(tmp_path, content)
    with pytest.raises(SheetnetError) as e:
        prepare(template, p)
    assert message in str(e.value) and str(p) in str(e.value) and "\n" not in str(e.value)


def test_non_numeric_age_names_column_and_line(tmp_path, template):
    lines = TRAIN.read_text().splitlines()
    lines[7] = lines[7].replace(",54,", ",fifty-four,")  # passenger 7, line 8 of the file
    p = _csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(SheetnetError, match=r"column Age, line 8: 'fifty-four' is not a number"):
        prepare(template, p)


def test_template_errors_are_clear():
    with pytest.raises(SheetnetError, match="unknown transform 'cube'"):
        parse_template('name="x"\ntarget="y"\n[[features]]\nname="a"\ncolumn="a"\ntransform="cube"\n', "x.toml")
    with pytest.raises(SheetnetError, match="columns = 'p0..q3': write a range of numbered columns"):
        parse_template('name="x"\ntarget="y"\n[[features]]\ncolumns="p0..q3"\ntransform="value"\n', "x.toml")
    with pytest.raises(SheetnetError, match="no variant 'big'"):
        load_template("gd", "big")
    with pytest.raises(SheetnetError, match="unknown template 'nope'"):
        load_template("nope")


def test_european_excel_csv_semicolons_and_decimal_commas(tmp_path, template, titanic):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(TRAIN.read_text())))
    fare, age = rows[0].index("Fare"), rows[0].index("Age")
    for r in rows[1:]:
        r[fare], r[age] = r[fare].replace(".", ","), r[age].replace(".", ",")
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    p = tmp_path / "eu.csv"
    p.write_text(out.getvalue(), encoding="cp1252")
    d = prepare(template, p)
    np.testing.assert_array_equal(d.X, titanic.X)
    np.testing.assert_array_equal(d.y, titanic.y)
    assert any("semicolon-separated" in n and "decimal commas" in n for n in d.notes)


def test_unicode_text_utf16_with_bom_tab_separated(tmp_path, template, titanic):
    p = tmp_path / "unicode.txt"
    p.write_bytes(TRAIN.read_text().replace(",", "\t").encode("utf-16"))  # Excel's "Unicode text"
    # the Name column holds commas: in this tab-separated copy they became tabs inside quotes, still one field
    d = prepare(template, p)
    np.testing.assert_array_equal(d.X, titanic.X)
    assert any("tab-separated UTF-16" in n for n in d.notes)


def test_a_binary_target_holding_7_names_its_line(tmp_path, template):
    lines = TRAIN.read_text().splitlines()
    lines[4] = lines[4].replace("4,1,1,", "4,7,1,", 1)  # passenger 4 survived: 1 -> 7, line 5
    p = _csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(SheetnetError, match=r"column Survived, line 5: 7 is not 0 or 1"):
        prepare(template, p)


def test_a_dummy_level_that_never_occurs_is_a_warning(tmp_path):
    t = load_template("titanic")
    text = (t.source and open(t.source).read()).replace("level = 2\n", "level = 9\n", 1)
    d = prepare(parse_template(text, "t9.toml", TRAIN.parent.parent.parent))
    assert d.X[:, 5].sum() == 0
    assert any(n.startswith("warning:") and "Pclass_2 is 1 where Pclass is 9" in n for n in d.notes)


@pytest.mark.parametrize("args", [["build", "titanic", "-o", "{bad}"], ["solve", "{book}", "-o", "{bad}"],
                                  ["train", "{book}", "-o", "{bad}", "--epochs", "1"],
                                  ["compare", "{book}", "-o", "{bad}", "--epochs", "1"],
                                  ["calc", "{book}", "-o", "{bad}"]])
@pytest.mark.parametrize("bad", ["/nonexistent/t.xlsx", "/proc/sheetnet-t.xlsx"])
def test_unwritable_output_paths_get_one_line(tmp_path, titanic, args, bad):
    import subprocess
    import sys

    from sheetnet.lessons.workbook import build_workbook

    book = tmp_path / "b.xlsx"
    build_workbook(book, titanic, seed=0)
    before = book.read_bytes()
    cmd = [a.format(bad=bad, book=book) for a in args]
    r = subprocess.run([sys.executable, "-m", "sheetnet.cli", *cmd], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr and bad in r.stderr
    assert book.read_bytes() == before


def test_csv_rows_as_a_spreadsheet_reads_them(tmp_path):
    from sheetnet.lessons.csvfile import read_csv

    p = _csv(tmp_path, 'a,a,,b\n1,2,3,4\n\n5,6\n"7,5",8,9,10,,\n')
    f = read_csv(p).frame
    assert f.columns == ["a", "a.1", "Unnamed: 2", "b"]  # a second a and a blank header named as pandas did
    assert list(f["a"]) == ["1", "5", "7,5"] and list(f["b"]) == ["4", "", "10"]  # blank line skipped, short padded
    p = _csv(tmp_path, "a,b\n1,2\n3,4,5\n")
    with pytest.raises(SheetnetError, match=r"bad.csv: line 3: 3 fields where the header has 2$"):
        read_csv(p)
    assert list(read_csv(_csv(tmp_path, 'a,b\n"x"y,O"Brien\n')).frame["b"]) == ['O"Brien']  # stray quotes: as written
    assert list(read_csv(_csv(tmp_path, 'a,b\n"x"y,2\n')).frame["a"]) == ["xy"]  # (as spreadsheets and pandas read)
    for text, words in (('a,b\n1,"Smith, John\n2,3\n', 'a quoted field is never closed'),
                        ('a,b\n"x"y,"2\n3,4\n5,"6\n', 'a stray " makes a field run across lines')):
        with pytest.raises(SheetnetError, match=f"bad.csv: not a valid CSV file \\({words}"):
            read_csv(_csv(tmp_path, text))


@pytest.mark.parametrize("age", ["1_000", "\u0661\u0662", "\uff11\uff12", "0x10", "nan1", "1e"])
def test_only_plain_ascii_numbers_are_numbers(tmp_path, template, age):
    """Python's float() takes 1_000 and other scripts' digits; a spreadsheet does not, nor does sheetnet."""
    lines = TRAIN.read_text().splitlines()
    lines[1] = lines[1].replace(",22,", f",{age},")
    p = _csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(SheetnetError, match=rf"column Age, line 2: '{age}' is not a number"):
        prepare(template, p)


@pytest.mark.parametrize("age, why", [("inf", "not a finite number"), ("-Infinity", "not a finite number")])
def test_infinite_numbers_are_named(tmp_path, template, age, why):
    lines = TRAIN.read_text().splitlines()
    lines[1] = lines[1].replace(",22,", f",{age},")
    p = _csv(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(SheetnetError, match=rf"column Age, line 2: '{age}' is {why}"):
        prepare(template, p)
