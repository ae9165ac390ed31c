"""Golden values for optim/: torch.optim optimisers, clip_grad_norm_, an L2
penalty, and learning-rate schedules.

Run from the repository root:  /usr/bin/python3 tests/golden/gen_optim.py
Writes tests/golden/data/optim_{optimizers,gradient,schedules}.safetensors,
read by tests/test_golden_optim.c (which repeats the hyper-parameters below).
"""
import math
import os
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import goldutil  # noqa: E402

STEPS = 5
# Gradient scale per step: growing then shrinking, so amsgrad's max(v) matters.
GRAD_SCALE = [1.0, 2.0, 0.3, 0.1, 1.5]
# The lr is halved from step 3 on (a schedule acting between steps).
LR_FACTOR = [1.0, 1.0, 1.0, 0.5, 0.5]

# name -> (constructor, kwargs); hyper-parameters mirrored in test_golden_optim.c
OPTIMIZER_CASES = {
    "sgd_plain": (torch.optim.SGD, dict(lr=0.1, weight_decay=0.01)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001)),
    "adam_l2": (torch.optim.Adam, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
    "adam_amsgrad": (torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, amsgrad=True)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=0.02, betas=(0.9, 0.99), weight_decay=0.05,
                                              amsgrad=True)),
}


def optimizers():
    goldutil.seed(1)
    out = {}
    init = {"w": torch.randn(3, 4), "b": torch.randn(4), "frozen": torch.randn(2, 3)}
    grads = {}
    for k in range(STEPS):
        grads[("w", k)] = torch.randn(3, 4) * GRAD_SCALE[k]
        grads[("b", k)] = torch.randn(4) * GRAD_SCALE[k]
    for name, t in init.items():
        out["init." + name] = t
    for (name, k), g in grads.items():
        out["grad.%s.%d" % (name, k)] = g
    for case, (ctor, kw) in OPTIMIZER_CASES.items():
        w = init["w"].clone().requires_grad_(True)
        b = init["b"].clone().requires_grad_(True)
        frozen = init["frozen"].clone().requires_grad_(False)
        # b is our no_decay parameter: a second group with weight_decay 0.
        opt = ctor([{"params": [w, frozen]}, {"params": [b], "weight_decay": 0.0}], **kw)
        for k in range(STEPS):
            for group in opt.param_groups:
                group["lr"] = kw["lr"] * LR_FACTOR[k]
            w.grad = grads[("w", k)].clone()
            b.grad = grads[("b", k)].clone()
            opt.step()
            out["%s.w.%d" % (case, k)] = w.detach().clone()
            out["%s.b.%d" % (case, k)] = b.detach().clone()
        assert torch.equal(frozen, init["frozen"])
        st = opt.state[w]
        for key in ("momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"):
            if key in st and st[key] is not None:
                out["%s.state.w.%s" % (case, key)] = torch.as_tensor(st[key]).float().reshape(-1)
    goldutil.save("optim_optimizers", out, {"torch": torch.__version__, "steps": STEPS})


def gradient():
    goldutil.seed(2)
    out = {}
    # clip_grad_norm_ over three gradients, once clipping (max_norm 1) and once not (max_norm 100).
    shapes = {"a": (3, 4), "b": (5,), "c": (2, 2, 2)}
    grads = {n: torch.randn(*s) * 0.7 for n, s in shapes.items()}
    for n, g in grads.items():
        out["clip.grad.%s" % n] = g
    for case, max_norm in (("clip1", 1.0), ("clip100", 100.0)):
        ps = [torch.zeros(*shapes[n], requires_grad=True) for n in sorted(shapes)]
        for p, n in zip(ps, sorted(shapes)):
            p.grad = grads[n].clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        out["%s.total" % case] = total.reshape(1)
        for p, n in zip(ps, sorted(shapes)):
            out["%s.%s" % (case, n)] = p.grad
    # Keras l2(lam) on kernels (ndim >= 2): lam * sum(w^2), gradient 2*lam*w added.
    lam = 0.05
    ws = {"kernel": torch.randn(3, 4), "bias": torch.randn(4), "conv": torch.randn(2, 1, 3, 3)}
    gs = {n: torch.randn(*w.shape) for n, w in ws.items()}
    penalty = torch.zeros(())
    leaves = {}
    for n, w in ws.items():
        leaves[n] = w.clone().requires_grad_(True)
        out["l2.w.%s" % n] = w
        out["l2.grad_in.%s" % n] = gs[n]
        if w.dim() >= 2:
            penalty = penalty + lam * (leaves[n].double() ** 2).sum()
    penalty.backward()
    for n in ws:
        g = gs[n].clone()
        if leaves[n].grad is not None:
            g += leaves[n].grad
        out["l2.grad_out.%s" % n] = g
    out["l2.penalty"] = penalty.detach().reshape(1)
    goldutil.save("optim_gradient", out, {"torch": torch.__version__, "lambda": lam})


def lr_sequence(make_sched, n, base_lr, metrics=None):
    """The lr in effect for each of n epochs (or steps): read, then step."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make_sched(opt)
    lrs = []
    for i in range(n):
        if metrics is None:
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        else:
            sched.step(float(metrics[i]))     # end of epoch i
            lrs.append(opt.param_groups[0]["lr"])   # lr for epoch i+1
    return np.array(lrs, dtype=np.float64)


def schedules():
    # SequentialLR steps its cosine with an explicit epoch at the milestone, which warns.
    warnings.filterwarnings("ignore", message="The epoch parameter")
    S = torch.optim.lr_scheduler
    out = {}
    out["step"] = lr_sequence(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 12, 0.1)
    out["exponential"] = lr_sequence(lambda o: S.ExponentialLR(o, gamma=0.9), 10, 0.1)
    W, T, f, eta_min = 5, 20, 0.1, 1e-4
    out["warmup_cosine"] = lr_sequence(
        lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=f, total_iters=W),
                                     S.CosineAnnealingLR(o, T_max=T - W, eta_min=eta_min)],
                                 milestones=[W]), T, 0.1)
    out["cosine_only"] = lr_sequence(lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.0), 10, 0.05)
    nan = float("nan")
    m_min = np.array([1.0, 0.9, 0.85, 0.849, 0.86, 0.84, 0.9, 0.95, 0.7, 0.69, 0.695, nan, 0.7,
                      0.71, 0.72, 0.73] + [0.5] * 16, dtype=np.float32)
    out["plateau_min.metrics"] = m_min
    out["plateau_min"] = lr_sequence(
        lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, threshold=1e-2,
                                      cooldown=1, min_lr=0.01), len(m_min), 0.1, m_min)
    m_max = np.array([0.1, 0.2, 0.22, 0.3, 0.31, 0.32, 0.33, 0.5, 0.52, 0.53, 0.6, 0.6, 0.6, 0.6,
                      0.6, 0.6, 0.6], dtype=np.float32)
    out["plateau_max.metrics"] = m_max
    out["plateau_max"] = lr_sequence(
        lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.1, patience=1, threshold=0.05,
                                      threshold_mode="abs", min_lr=1e-4), len(m_max), 1.0, m_max)
    # the closed form of schedule.h, to show it is the same numbers as torch's recursion
    closed = [0.1 * (f + (1 - f) * s / W) if s < W else
              eta_min + (0.1 - eta_min) * (1 + math.cos(math.pi * (s - W) / (T - W))) / 2
              for s in range(T)]
    assert np.allclose(closed, out["warmup_cosine"], rtol=1e-12, atol=0), (closed, out["warmup_cosine"])
    goldutil.save("optim_schedules", out, {"torch": torch.__version__})


if __name__ == "__main__":
    optimizers()
    gradient()
    schedules()
