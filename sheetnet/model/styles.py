"""The colour code every lesson workbook shares (said on each About sheet)."""

COLOURS = {"input": "#DDEBF7", "param": "#FFF2CC", "computed": "#FFFFFF", "total": "#FCE4D6",
           "header": "#D9D9D9", "feature": "#E2EFDA", "task": "#FFD966"}
# the crosstab's and the image sheet's grids: red low, white middle, blue high
DIVERGING_SCALE = {"type": "3_color_scale", "min_color": "#F8696B", "mid_color": "#FFFFFF", "max_color": "#5A8AC6"}

LEGEND = (("input", "data: values from the CSV"), ("feature", "features: formulas from the data"),
          ("param", "Params: change these (Solver does)"), ("computed", "computed: formulas"),
          ("total", "Loss and Accuracy"))


def formats(wb) -> dict:
    def f(**kw):
        return wb.add_format(kw)

    border = {"border": 1, "border_color": "#BFBFBF"}
    return {
        "input": f(bg_color=COLOURS["input"], **border),
        "input_text": f(bg_color=COLOURS["input"], **border),
        "feature": f(bg_color=COLOURS["feature"], num_format="0.0000", **border),
        "computed": f(num_format="0.0000"),
        "computed_int": f(num_format="0"),
        "param": f(bg_color=COLOURS["param"], num_format="0.0000", bold=True, **border),
        "param_label": f(bold=True, align="right"),
        "total": f(bg_color=COLOURS["total"], num_format="0.000000", bold=True, **border),
        "accuracy": f(bg_color=COLOURS["total"], num_format="0.00%", bold=True, **border),
        "accuracy_narrow": f(bg_color=COLOURS["total"], num_format="0.0%", bold=True, **border),  # 100.0% in 7
        "total_label": f(bold=True, align="right"),
        "header": f(bold=True, bg_color=COLOURS["header"], bottom=2, align="center"),
        "note": f(italic=True, font_color="#595959"),
        "info": f(font_color="#595959"),
        "title": f(bold=True, font_size=16),
        "h2": f(bold=True, font_size=12),
        "text": f(text_wrap=False),
        "mono": f(font_name="Consolas"),
    }
