"""The engine's differentiable path: the same formulas evaluated with torch tensors.

    eng = Engine.load("book.xlsx", inputs=["nnet!J4:S5"])
    f = Differentiable(eng, inputs=["nnet!J4:S5"], outputs=["nnet!B1"])
    value, grad = f.value_and_grad(x)      # numpy in, numpy out; exact gradient by autograd

Only the groups downstream of the inputs are evaluated with torch; everything else is read from
the engine's numpy values, as they are when it is made, as constants.  Those groups must compute
numbers (no text or errors at the point evaluated); IF, comparisons and AND/OR/NOT pick branches
without carrying gradient.
"""

from __future__ import annotations

import numpy as np

from ..errors import SheetnetError
from ..torchenv import get_torch
from .evaluate import Engine
from .graph import walk as _walk
from .package import a1
from .values import ERR, NUM, EngineError

DIFF_FUNCS = {"SUM", "SUMPRODUCT", "MMULT", "AVERAGE", "MAX", "MIN", "SUMSQ", "COUNT", "IF", "ABS", "SQRT", "EXP",
              "LN", "LOG10", "LOG", "POWER", "TANH", "TRANSPOSE", "AND", "OR", "NOT", "IFERROR", "ROWS", "COLUMNS",
              "PI", "INDEX"}


class Differentiable:
    def __init__(self, eng: Engine, inputs, outputs, device="cpu", dtype=None):
        torch = get_torch()

        self.torch, self.eng = torch, eng
        self.dtype = dtype or torch.float64
        self.device = torch.device(device)
        self.inputs = [cell for ref in inputs for cell in eng._cells(ref)]
        self.outputs = [cell for ref in outputs for cell in eng._cells(ref)]
        for s, r, c in self.inputs:
            if eng.group_at(s, r, c) >= 0:
                raise SheetnetError(f"{eng.sheets[s]}!{a1(r, c)} holds a formula: load the engine with it as an input")
        # the groups between the inputs and the outputs: downstream of the first and upstream of the second
        needed, stack = set(), [eng.group_at(s, r, c) for s, r, c in self.outputs if eng.group_at(s, r, c) >= 0]
        while stack:
            i = stack.pop()
            if i not in needed:
                needed.add(i)
                stack.extend(eng.pre[i])
        self.groups = eng.evaluation_groups([i for i in eng.dirty_groups(self.inputs) if i in needed])
        for g in self.groups:
            if g.array_eval:  # {=...} typed in each cell: the torch path has no array semantics for a column
                raise SheetnetError(f"{eng.sheets[g.sheet]}!{a1(g.r0, g.col)}: an array formula in each cell has no "
                                    f"gradient path")
            for node in _walk(g.node):
                if node[0] == "fn" and node[1] not in DIFF_FUNCS:
                    raise SheetnetError(f"{eng.sheets[g.sheet]}!{a1(g.r0, g.col)}: {node[1]} has no gradient path")
        self._by_sheet = {}
        for k, (s, r, c) in enumerate(self.inputs):
            self._by_sheet.setdefault(s, []).append((k, r, c))
        # the sheets' values as constants, read once: each call puts x in and recomputes the groups above
        self._constants = {s: torch.as_tensor(np.nan_to_num(np.ascontiguousarray(g.num)), dtype=self.dtype,
                                              device=self.device) for s, g in enumerate(eng.grids)}
        for g in self.groups:
            for (s, r0, c0, r1, c1) in g.reads:
                if not eng.grids[s].main_holds(*eng.grids[s].clip(r0, c0, r1, c1)):
                    raise SheetnetError(f"{eng.sheets[g.sheet]}!{a1(g.r0, g.col)}: the gradient path reads cells far "
                                        f"from the sheet's main block")

    def __call__(self, x):
        """Output cells as a torch vector, for the input cells set to x (a tensor, kept in the graph)."""
        t = self.torch
        grids = dict(self._constants)
        for s, items in self._by_sheet.items():
            idx = t.tensor([k for k, _, _ in items], device=self.device)
            rows = t.tensor([r for _, r, _ in items], device=self.device)
            cols = t.tensor([c for _, _, c in items], device=self.device)
            grids[s] = grids[s].index_put((rows, cols), x[idx])
        for g in self.groups:
            v = self._eval(g.node, g, grids)
            grid = grids[g.sheet]
            if g.array_box:
                r0, c0, r1, c1 = g.array_box
                H, W = r1 - r0 + 1, c1 - c0 + 1
                if g.array_rows:  # each row's formula: its result's first row, a one-column result repeated
                    v = v[:, :1, :].expand(H, 1, W).reshape(H, W)
                else:
                    v = v[0].expand(H, W) if v.shape[1:] != (H, W) else v[0]
                rows = t.arange(r0, r1 + 1, device=self.device).repeat_interleave(W)
                cols = t.arange(c0, c1 + 1, device=self.device).repeat(H)
                grids[g.sheet] = grid.index_put((rows, cols), v.reshape(-1))
            else:
                v = v.reshape(v.shape[0], -1)[:, 0].expand(g.k) if v.shape[0] != g.k else v.reshape(g.k, -1)[:, 0]
                rows = t.arange(g.r0, g.r0 + g.k, device=self.device)
                cols = t.full((g.k,), g.col, device=self.device)
                grids[g.sheet] = grid.index_put((rows, cols), v)
        return t.stack([grids[s][r, c] for s, r, c in self.outputs])

    def value_and_grad(self, x: np.ndarray, output: int = 0):
        """(value of output cell `output`, d value / d inputs) at x, both numpy."""
        t = self.torch
        xt = t.tensor(np.asarray(x, float), dtype=self.dtype, device=self.device, requires_grad=True)
        y = self(xt)[output]
        (g,) = t.autograd.grad(y, xt)
        return float(y.detach().cpu()), g.detach().cpu().numpy().astype(float)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        t = self.torch
        xt = t.tensor(np.asarray(x, float), dtype=self.dtype, device=self.device)
        return t.autograd.functional.jacobian(lambda z: self(z), xt).cpu().numpy()

    # ---- evaluation over tensors ----------------------------------------------------------------

    def _numeric_mask(self, s, r0, c0, r1, c1):
        (typ,) = self.eng.grids[s].block(r0, c0, r1, c1, ("typ",))
        if (typ == ERR).any():
            raise EngineError("an error value is on the gradient path")
        return typ == NUM

    def _read(self, node, g, grids):
        t = self.torch
        _, s, r0, c0, r1, c1, rel0, rel1 = node
        r0, c0, r1, c1 = self.eng.grids[s].clip(r0, c0, r1, c1)
        h, w = r1 - r0 + 1, c1 - c0 + 1
        src = grids[s]
        if rel0 and g.k > 1:
            block = src[r0:r1 + g.k, c0:c1 + 1]
            short = (r1 - r0 + g.k) - block.shape[0]
            if short > 0:  # the last cells' rows run past the cells in use: blanks, as the sheet has there
                block = t.cat([block, t.zeros((short, block.shape[1]), dtype=block.dtype, device=block.device)])
            v = block.unfold(0, h, 1).permute(0, 2, 1)  # (k, h, w)
            mask = self._numeric_mask(s, r0, c0, r1 + g.k - 1, c1)
            m = t.as_tensor(np.lib.stride_tricks.sliding_window_view(mask, (h, w))[:, 0].copy(), device=self.device)
        else:
            v = src[r0:r1 + 1, c0:c1 + 1][None]
            m = t.as_tensor(self._numeric_mask(s, r0, c0, r1, c1)[None].copy(), device=self.device)
        return v, m

    def _index_each(self, arr, idx):
        """INDEX(block, row, col) with each cell's own position (filled down: the true class's column)."""
        t = self.torch
        if len(idx) == 1 and arr.shape[1] == 1:
            idx = [t.ones((1, 1, 1), dtype=self.dtype, device=self.device), idx[0]]
        elif len(idx) == 1:
            idx = [idx[0], t.ones((1, 1, 1), dtype=self.dtype, device=self.device)]
        k = max([arr.shape[0]] + [i.shape[0] for i in idx])
        if any(i.numel() not in (1, k) for i in idx) or arr.shape[0] not in (1, k):
            raise EngineError("INDEX with positions of another shape has no gradient path")
        r, c = (i.reshape(-1).expand(k).trunc().long() - 1 for i in idx)
        if bool(((r < 0) | (r >= arr.shape[1]) | (c < 0) | (c >= arr.shape[2])).any()):
            raise EngineError("INDEX outside its block (or a whole row or column) has no gradient path")
        rows = t.arange(k, device=self.device) if arr.shape[0] == k else t.zeros(k, dtype=t.long, device=self.device)
        return arr[rows, r, c].reshape(k, 1, 1)

    def _eval(self, node, g, grids):
        t = self.torch
        kind = node[0]
        if kind == "ref":
            v, _ = self._read(node, g, grids)
            return v
        if kind == "num":
            return t.full((1, 1, 1), node[1], dtype=self.dtype, device=self.device)
        if kind == "bool":
            return t.full((1, 1, 1), float(node[1]), dtype=self.dtype, device=self.device)
        if kind == "neg":
            return -self._eval(node[1], g, grids)
        if kind == "pct":
            return self._eval(node[1], g, grids) / 100.0
        if kind == "bin":
            spine = []
            while node[0] == "bin":
                spine.append(node)
                node = node[2]
            acc = self._eval(node, g, grids)
            for b in reversed(spine):
                acc = self._binary(b[1], acc, self._eval(b[3], g, grids))
            return acc
        if kind == "fn":
            return self._call(node, g, grids)
        raise EngineError(f"{kind} values have no gradient path")

    def _binary(self, op, a, b):
        t = self.torch
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if op == "^":
            return t.pow(a, b)
        cmp = {"=": t.eq, "<>": t.ne, "<": t.lt, ">": t.gt, "<=": t.le, ">=": t.ge}.get(op)
        if cmp is None:
            raise EngineError(f"operator {op} has no gradient path")
        return cmp(a, b).to(self.dtype)

    def _agg_arg(self, node, g, grids):
        """(values, counted mask): cell ranges count only their numbers; expressions count every element."""
        if node[0] == "ref":
            return self._read(node, g, grids)
        v = self._eval(node, g, grids)
        return v, self.torch.ones_like(v, dtype=self.torch.bool)

    def _call(self, node, g, grids):
        t = self.torch
        _, name, args = node
        if name in ("SUM", "SUMSQ", "AVERAGE", "COUNT", "MAX", "MIN"):
            parts = [self._agg_arg(a, g, grids) for a in args]
            if name == "COUNT":
                return sum(m.sum(dim=(1, 2), keepdim=True).to(self.dtype) for _, m in parts)
            zero = t.zeros((), dtype=self.dtype, device=self.device)
            if name in ("SUM", "SUMSQ", "AVERAGE"):
                f = (lambda v: v * v) if name == "SUMSQ" else (lambda v: v)
                total = sum(t.where(m, f(v), zero).sum(dim=(1, 2), keepdim=True) for v, m in parts)
                if name == "AVERAGE":
                    return total / sum(m.sum(dim=(1, 2), keepdim=True) for _, m in parts)
                return total
            big = t.tensor(float("inf") if name == "MIN" else float("-inf"), dtype=self.dtype, device=self.device)
            red = [t.where(m, v, big).flatten(1) for v, m in parts]
            cat = t.cat([r.expand(max(x.shape[0] for x in red), -1) for r in red], dim=1)
            return (cat.min(dim=1).values if name == "MIN" else cat.max(dim=1).values).reshape(-1, 1, 1)
        if name == "SUMPRODUCT":
            vals = []
            for a in args:
                v, m = self._agg_arg(a, g, grids)
                vals.append(t.where(m, v, t.zeros((), dtype=self.dtype, device=self.device)))
            prod = vals[0]
            for v in vals[1:]:
                prod = prod * v
            return prod.sum(dim=(1, 2), keepdim=True)
        if name == "MMULT":
            return t.matmul(self._eval(args[0], g, grids), self._eval(args[1], g, grids))
        if name == "TRANSPOSE":
            return self._eval(args[0], g, grids).transpose(1, 2)
        if name in ("ROWS", "COLUMNS"):
            v = self._eval(args[0], g, grids)
            return t.full((1, 1, 1), float(v.shape[1 if name == "ROWS" else 2]), dtype=self.dtype, device=self.device)
        if name == "PI":
            return t.full((1, 1, 1), np.pi, dtype=self.dtype, device=self.device)
        if name == "IF":
            c = self._eval(args[0], g, grids) != 0
            a = self._eval(args[1], g, grids) if len(args) > 1 else t.ones((1, 1, 1), dtype=self.dtype)
            b = self._eval(args[2], g, grids) if len(args) > 2 else t.zeros((1, 1, 1), dtype=self.dtype)
            return t.where(c, a, b)
        if name == "IFERROR":
            return self._eval(args[0], g, grids)
        if name in ("AND", "OR"):
            vs = [(self._eval(a, g, grids) != 0).flatten(1) for a in args]
            cat = t.cat([v.expand(max(x.shape[0] for x in vs), -1) for v in vs], dim=1)
            return (cat.all(dim=1) if name == "AND" else cat.any(dim=1)).to(self.dtype).reshape(-1, 1, 1)
        if name == "NOT":
            return (self._eval(args[0], g, grids) == 0).to(self.dtype)
        if name == "INDEX":
            arr = self._eval(args[0], g, grids)
            idx = [self._eval(a, g, grids) for a in args[1:]]
            if any(i.numel() != 1 for i in idx):
                return self._index_each(arr, idx)
            r = int(idx[0].item()) if idx else 1
            c = int(idx[1].item()) if len(idx) > 1 else 1
            if len(idx) == 1 and arr.shape[1] == 1:
                r, c = 1, r
            return arr[:, r - 1:r, c - 1:c]
        unary = {"ABS": t.abs, "SQRT": t.sqrt, "EXP": t.exp, "LN": t.log, "LOG10": t.log10, "TANH": t.tanh}
        if name in unary:
            return unary[name](self._eval(args[0], g, grids))
        if name == "POWER":
            return t.pow(self._eval(args[0], g, grids), self._eval(args[1], g, grids))
        if name == "LOG":
            x = self._eval(args[0], g, grids)
            base = self._eval(args[1], g, grids) if len(args) > 1 else t.full((1, 1, 1), 10.0, dtype=self.dtype)
            return t.log(x) / t.log(base)
        raise EngineError(f"{name} has no gradient path")
