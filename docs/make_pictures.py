"""Draw docs/workbook.png (the top-left of a generated nnet sheet, as a spreadsheet shows it),
docs/compare.png (what sheetnet compare plots) and docs/gd.png (the gd lesson's two charts, drawn
from the numbers its workbook holds).

    python docs/make_pictures.py

Reads the cells (values and formulas) back from a freshly built workbook, so the picture is
what the file holds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import openpyxl
from openpyxl.utils import get_column_letter

from sheetnet.lessons.prepare import prepare
from sheetnet.lessons.template import load_template
from sheetnet.lessons.workbook import build_workbook
from sheetnet.model.styles import COLOURS

HERE = Path(__file__).parent


def main():
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "titanic.xlsx"
        build_workbook(p, prepare(load_template("titanic")), seed=0)
        vals = openpyxl.load_workbook(p, data_only=True)["nnet"]
        forms = openpyxl.load_workbook(p)["nnet"]
    nrows, ncols = 14, 19
    widths = [8.5, 8, 8, 8, 8, 8, 8, 1.5, 6] + [6.2] * 10
    fig, ax = plt.subplots(figsize=(sum(widths) * 0.115 + 0.5, nrows * 0.26 + 1.0), dpi=110)
    ax.set_xlim(0, sum(widths) + 1.2)
    ax.set_ylim(nrows + 0.2, -1.3)
    ax.axis("off")
    x0 = [1.2]
    for w in widths:
        x0.append(x0[-1] + w)
    for c in range(ncols):
        ax.add_patch(plt.Rectangle((x0[c], -1), widths[c], 1, fc="#EFEFEF", ec="#BFBFBF", lw=0.5))
        ax.text(x0[c] + widths[c] / 2, -0.5, get_column_letter(c + 1), ha="center", va="center", fontsize=7)
    for r in range(nrows):
        ax.add_patch(plt.Rectangle((0, r), 1.2, 1, fc="#EFEFEF", ec="#BFBFBF", lw=0.5))
        ax.text(0.6, r + 0.5, str(r + 1), ha="center", va="center", fontsize=7)
        for c in range(ncols):
            v, f = vals.cell(r + 1, c + 1).value, forms.cell(r + 1, c + 1)
            fill = "#FFFFFF"
            if r == 2 and v is not None:
                fill = COLOURS["header"]
            elif (r, c) in ((0, 1), (0, 3)):
                fill = COLOURS["total"]
            elif c >= 9 and 3 <= r <= 4:
                fill = COLOURS["param"]
            ax.add_patch(plt.Rectangle((x0[c], r), widths[c], 1, fc=fill, ec="#D9D9D9", lw=0.5))
            if v is None:
                continue
            if isinstance(v, float):
                text = f"{v:.2%}" if (r, c) == (0, 3) else (f"{v:.6f}" if r == 0 else f"{v:.4f}")
                if c >= 9:
                    text = f"{v:.3f}"
                elif c == 0 and r >= 3:
                    text = f"{v:.0f}"
            else:
                text = str(v)
            if r == 1:
                ax.text(x0[c] + 0.2, r + 0.55, text, ha="left", va="center", fontsize=6.5, style="italic",
                        color="#595959")
                continue
            bold = r in (0, 2) or c == 8
            ax.text(x0[c] + widths[c] - 0.3 if isinstance(v, float) else x0[c] + 0.3, r + 0.55, text,
                    ha="right" if isinstance(v, float) else "left", va="center", fontsize=6.5,
                    weight="bold" if bold else "normal")
    f = forms["F4"].value
    ax.text(1.2, nrows + 0.1, f"F4 {f}     G4 {forms['G4'].value}     B4 {forms['B4'].value}", fontsize=7,
            family="monospace", va="top", parse_math=False)
    ax.set_title("sheetnet build titanic: the nnet sheet (Lin1, Lin2, ReLU1, ReLU2, Preds, Loss; yellow Params)",
                 fontsize=8, loc="left")
    fig.savefig(HERE / "workbook.png", bbox_inches="tight")
    print("wrote", HERE / "workbook.png")
    compare_picture()
    gd_picture()
    softmax_picture()
    conv_picture()
    collab_picture()


def compare_picture():
    """docs/compare.png: the compare plot for the seed-0 lesson workbook's nnet sheet."""
    from sheetnet.training.compare import compare, plot

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "titanic.xlsx"
        build_workbook(p, prepare(load_template("titanic")), seed=0)
        plot(compare(p, sheet="nnet", epochs=200, device="cpu"), HERE / "compare.png")
    print("wrote", HERE / "compare.png")



def gd_picture():
    """docs/gd.png: the gd workbook's Charts sheet: loss by step per optimizer, and the notebook's fit."""
    import numpy as np

    with tempfile.TemporaryDirectory() as d:
        data = prepare(load_template("gd"))
        res = build_workbook(Path(d) / "gd.xlsx", data)
    tp = res.training
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4), dpi=110)
    for sp in tp.sheets:
        a.plot(tp.values[sp.name]["losses"], label=f"{sp.name} (lr {sp.hyper['lr']:g})")
    a.set_yscale("log")
    a.set_xlabel("step")
    a.set_ylabel("loss (MAE, log scale)")
    a.set_title("Loss by step: one sheet per optimizer")
    a.legend(fontsize=8)
    x = data.X[:, 1]
    th = tp.values["notebook"]["thetas"]
    b.scatter(x, data.y, s=14, color="black", label="data")
    for t, style in ((0, "--"), (len(th) - 1, "-")):
        b.plot(x, data.X @ th[t], style, label=f"notebook, step {t}")
    xs = np.linspace(-2, 2, 100)
    b.plot(xs, 3 * xs ** 2 + 2 * xs + 1, ":", color="grey", label="3x^2+2x+1")
    b.set_title("The notebook's quadratic, first and last step")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "gd.png")
    print("wrote", HERE / "gd.png")


def softmax_picture():
    """docs/softmax.png: the softmax workbook after sheetnet solve: each class's 64 pixel weights (its Params
    row) as an 8x8 image, and one image of each class with the Softmax row the sheet computes for it."""
    import numpy as np

    from sheetnet.engine import Engine
    from sheetnet.solver.solve import solve_workbook

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "softmax.xlsx"
        build_workbook(p, prepare(load_template("softmax")), seed=0)
        _, out = solve_workbook(p, output=Path(d) / "softmax.solved.xlsx")
        eng = Engine.load(out)
        W = np.array([[eng.get(f"softmax!{get_column_letter(15 + j)}{4 + k}") for j in range(64)] for k in range(3)])
        rows = {}
        for r in range(4, 540):
            k = int(eng.get(f"softmax!A{r}"))
            rows.setdefault(k, r)
        img = {k: np.array([eng.get(f"data!{get_column_letter(67 + j)}{r}") for j in range(64)]) for k, r in rows.items()}
        sm = {k: [eng.get(f"softmax!{get_column_letter(8 + j)}{r}") for j in range(3)] for k, r in rows.items()}
        loss, acc = eng.get("softmax!B1"), eng.get("softmax!D1")
    names = ("3", "7", "8")
    fig, axes = plt.subplots(2, 3, figsize=(8, 5.6), dpi=110)
    lim = np.abs(W).max()
    for k in range(3):
        a = axes[0, k]
        a.imshow(W[k].reshape(8, 8), cmap="RdBu", vmin=-lim, vmax=lim)
        a.set_title(f"weights of class {names[k]} (row {4 + k})", fontsize=9)
        b = axes[1, k]
        b.imshow(img[k].reshape(8, 8), cmap="Greys", vmin=0, vmax=1)
        b.set_title(f"row {rows[k]}: a {names[k]}; Softmax " + " ".join(f"{v:.3f}" for v in sm[k]), fontsize=8)
        for x in (a, b):
            x.set_xticks([])
            x.set_yticks([])
    fig.suptitle(f"softmax.xlsx after sheetnet solve: Loss {loss:.3g}, Accuracy {acc:.2%} (blue: weight > 0)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(HERE / "softmax.png")
    print("wrote", HERE / "softmax.png")


def conv_picture():
    """docs/conv.png: the conv workbook's image sheet as the engine reads it back: one digit, the trained
    filters, each channel of Conv1 and Conv2, the pooled channels."""
    import numpy as np

    from sheetnet.engine import Engine

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "conv.xlsx"
        build_workbook(p, prepare(load_template("conv")), seed=0)
        eng = Engine.load(p)

        def grid(r0, c0, h, w):
            return np.array([[eng.get(f"image!{get_column_letter(c0 + 1 + j)}{r0 + 2 + i}") for j in range(w)]
                             for i in range(h)], float)
        panels = [("image", grid(3, 0, 8, 8), "Greys"), ("Filters1 1", grid(3, 10, 3, 3), "RdBu"),
                  ("Filters1 2", grid(3, 14, 3, 3), "RdBu"), ("Conv1 channel 1", grid(13, 0, 6, 6), "Blues"),
                  ("Conv1 channel 2", grid(13, 7, 6, 6), "Blues"), ("Conv2 channel 1", grid(22, 0, 4, 4), "Blues"),
                  ("Conv2 channel 2", grid(22, 5, 4, 4), "Blues"), ("Pool 1", grid(29, 0, 2, 2), "Blues"),
                  ("Pool 2", grid(29, 3, 2, 2), "Blues")]
        soft = grid(29, 7, 1, 3)[0]
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 2.4), dpi=110)
    for a, (title, g, cmap) in zip(axes, panels):
        lim = np.abs(g).max() or 1
        a.imshow(g, cmap=cmap, vmin=-lim if cmap == "RdBu" else 0, vmax=lim)
        a.set_title(title, fontsize=8)
        a.set_xticks([])
        a.set_yticks([])
    fig.suptitle("conv.xlsx, its image sheet: a 3 through two layers of 3x3 filters and 2x2 max-pooling; Softmax "
                 + " ".join(f"{v:.4f}" for v in soft) + " (3, 7, 8)", fontsize=9)
    fig.tight_layout()
    fig.savefig(HERE / "conv.png")
    print("wrote", HERE / "conv.png")


def collab_picture():
    """docs/collab.png: the collab workbook's crosstab sheet after Solver's 100 iterations (as the demo runs it):
    the ratings (blank where not rated) and every prediction, as the engine reads them back."""
    import numpy as np

    from sheetnet.engine import Engine
    from sheetnet.solver.solve import solve_workbook

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "collab.xlsx"
        build_workbook(p, prepare(load_template("collab")), seed=0)
        _, out = solve_workbook(p, max_iter=100, output=Path(d) / "collab.solved.xlsx")
        eng = Engine.load(out)

        def grid(r0):
            return np.array([[eng.get(f"crosstab!{get_column_letter(2 + j)}{r0 + i}") for j in range(15)]
                             for i in range(15)], dtype=object)
        rated, preds, rmse = grid(5), grid(23).astype(float), eng.get("crosstab!R1")
    shown = np.array([[np.nan if v in (None, "") else float(v) for v in row] for row in rated])
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), dpi=110)
    cmap = plt.get_cmap("RdBu").copy()
    cmap.set_bad("#BFBFBF")
    for a, g, title in ((axes[0], shown, "ratings (grey: not rated)"), (axes[1], preds, "Preds: every user x movie")):
        im = a.imshow(np.ma.masked_invalid(g), cmap=cmap, vmin=0.5, vmax=5)
        a.set_title(title, fontsize=10)
        a.set_xlabel("movie")
        a.set_ylabel("user")
        a.set_xticks(range(0, 15, 2), [str(k + 1) for k in range(0, 15, 2)])
        a.set_yticks(range(0, 15, 2), [str(k + 1) for k in range(0, 15, 2)])
    fig.colorbar(im, ax=axes, shrink=0.8)
    fig.suptitle(f"collab.xlsx, its crosstab sheet after Solver (100 iterations): RMSE over the rated cells {rmse:.4f}",
                 fontsize=10)
    fig.savefig(HERE / "collab.png", bbox_inches="tight")
    print("wrote", HERE / "collab.png")


if __name__ == "__main__":
    main()
