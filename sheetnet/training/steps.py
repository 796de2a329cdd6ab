"""torch.optim's SGD, momentum and Adam steps, the same arithmetic in the same order, without
torch.optim: its step() imports torch._dynamo (seconds, on every fresh process) to mark itself as
not-to-compile.  The train loop uses these; tests check them bit for bit against torch.optim."""

from __future__ import annotations

from ..torchenv import get_torch


class Steps:
    """step() updates the tensor `p` from p.grad in place, as torch.optim.<name>(...).step() would."""

    def __init__(self, name: str, p, lr: float, momentum: float = 0.9, betas=(0.9, 0.999), eps: float = 1e-8):
        self.name, self.p, self.lr, self.momentum, self.betas, self.eps = name, p, lr, momentum, betas, eps
        self.k = 0
        self.buf = self.m = self.v = None

    def zero_grad(self, set_to_none: bool = True):
        self.p.grad = None

    def step(self):
        torch = get_torch()
        p, g = self.p, self.p.grad
        if g is None:
            return
        with torch.no_grad():
            self.k += 1
            if self.name in ("gd", "sgd"):
                p.add_(g, alpha=-self.lr)
            elif self.name == "momentum":
                if self.buf is None:
                    self.buf = torch.clone(g).detach()
                else:
                    self.buf.mul_(self.momentum).add_(g)
                p.add_(self.buf, alpha=-self.lr)
            elif self.name == "adam":
                b1, b2 = self.betas
                if self.m is None:
                    self.m = torch.zeros_like(p, memory_format=torch.preserve_format)
                    self.v = torch.zeros_like(p, memory_format=torch.preserve_format)
                self.m.lerp_(g, 1 - b1)
                self.v.mul_(b2).addcmul_(g, g.conj(), value=1 - b2)
                bias1 = 1 - b1 ** self.k
                bias2 = 1 - b2 ** self.k
                step_size = self.lr / bias1
                denom = (self.v.sqrt() / (bias2 ** 0.5)).add_(self.eps)
                p.addcdiv_(self.m, denom, value=-step_size)
            else:
                raise ValueError(self.name)
