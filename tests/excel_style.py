"""The lesson laid out the way Excel users build it by hand, for the engine to read back.

An Excel Table `Titanic` on sheet `passengers` with structured-reference formulas (as Excel writes
them in the file: Titanic[[#This Row],[Age]]), the params on their own sheet, an Excel 365
dynamic-array MMULT, and the losses on a fourth sheet.
"""

import xlsxwriter

RAW = ["Survived", "Embarked", "Pclass", "Sex", "Age", "Fare", "SibSp", "Parch"]
FEATS = ["SibSp", "Parch", "Age_N", "log_Fare", "Pclass_1", "Pclass_2", "Embark_S", "Embark_C", "Male", "Ones"]


def this(col):
    return f"Titanic[[#This Row],[{col}]]"


def build(path, data, W_linear, W_net):
    wb = xlsxwriter.Workbook(str(path))
    ps = wb.add_worksheet("params")
    tb = wb.add_worksheet("passengers")
    mm = wb.add_worksheet("mm")
    out = wb.add_worksheet("loss")
    # params: linear in B2:K2, net rows in B5:K6, the same net as a 10x2 block in B9:C18
    for j, f in enumerate(FEATS):
        ps.write(0, 1 + j, f)
        ps.write(1, 1 + j, float(W_linear[0, j]))
        for k in range(2):
            ps.write(4 + k, 1 + j, float(W_net[k, j]))
            ps.write(8 + j, 1 + k, float(W_net[k, j]))
    n = data.n
    frame = data.frame
    rows = [[frame[c][i] if isinstance(frame[c][i], str) else float(frame[c][i]) for c in RAW]
            for i in range(n)]
    formulas = {
        "Age_N": f"{this('Age')}/MAX(Titanic[Age])",
        "log_Fare": f"LOG10({this('Fare')}+1)",
        "Pclass_1": f"IF({this('Pclass')}=1,1,0)",
        "Pclass_2": f"IF({this('Pclass')}=2,1,0)",
        "Embark_S": f'IF({this("Embarked")}="S",1,0)',
        "Embark_C": f'IF({this("Embarked")}="C",1,0)',
        "Male": f'IF({this("Sex")}="male",1,0)',
        "Ones": "1",
        "Linear": "SUMPRODUCT(Titanic[[#This Row],[SibSp]:[Ones]],params!$B$2:$K$2)",
        "Lin1": "SUMPRODUCT(Titanic[[#This Row],[SibSp]:[Ones]],params!$B$5:$K$5)",
        "Lin2": "SUMPRODUCT(Titanic[[#This Row],[SibSp]:[Ones]],params!$B$6:$K$6)",
        "ReLU1": f"IF({this('Lin1')}<0,0,{this('Lin1')})",
        "ReLU2": f"IF({this('Lin2')}<0,0,{this('Lin2')})",
        "Preds": f"{this('ReLU1')}+{this('ReLU2')}",
        "LinLoss": f"({this('Linear')}-{this('Survived')})^2",
        "Loss": f"({this('Preds')}-{this('Survived')})^2",
    }
    cols = [{"header": c} for c in RAW] + [{"header": c, "formula": "=" + formulas[c]} for c in formulas]
    tb.add_table(0, 0, n, len(cols) - 1, {"name": "Titanic", "data": rows, "columns": cols})
    # the same net with one dynamic-array MMULT over the table's feature columns
    mm.write_row(0, 0, ["Lin1", "Lin2", "ReLU1", "ReLU2", "Preds", "Loss"])
    mm.write_dynamic_array_formula(1, 0, n, 1, "=MMULT(Titanic[[SibSp]:[Ones]],params!B9:C18)")
    for i in range(n):
        r = i + 2
        mm.write_formula(i + 1, 2, f"=IF(A{r}<0,0,A{r})")
        mm.write_formula(i + 1, 3, f"=IF(B{r}<0,0,B{r})")
        mm.write_formula(i + 1, 4, f"=C{r}+D{r}")
        mm.write_formula(i + 1, 5, f"=(E{r}-passengers!A{r})^2")
    out.write_row(0, 0, ["linear", "nnet", "mmult"])
    out.write_formula(1, 0, "=AVERAGE(Titanic[LinLoss])")
    out.write_formula(1, 1, "=AVERAGE(Titanic[Loss])")
    out.write_formula(1, 2, f"=AVERAGE(mm!F2:F{n + 1})")
    wb.close()
