"""Golden data for layers/norm.c and layers/loss.c (tests/test_golden_norm_loss.c).

Run from the repository root:  /usr/bin/python3 tests/golden/gen_norm_loss.py
Writes tests/golden/data/norm_*.safetensors and loss_*.safetensors.

Every case stores its inputs, parameters, the forward output, the upstream
gradient `dy` (a fixed random tensor, or scalar for reduced losses) and the
gradients torch computes for every input. Class-index targets are stored as
float (exact for small integers); ignored targets are -100.
"""
import torch
import torch.nn.functional as F

from goldutil import save, seed

torch.set_default_dtype(torch.float32)


def leaf(t):
    return t.clone().detach().requires_grad_(True)


# ---- BatchNorm ---------------------------------------------------------------

def batchnorm_case(case, shape, training, affine=True, momentum=0.1, eps=1e-5):
    C = shape[1]
    x = leaf(torch.randn(shape) * 1.5 + 0.3)
    w = leaf(torch.rand(C) + 0.5) if affine else None
    b = leaf(torch.randn(C) * 0.5) if affine else None
    rm0 = torch.randn(C) * 0.2
    rv0 = torch.rand(C) + 0.5
    rm, rv = rm0.clone(), rv0.clone()
    y = F.batch_norm(x, rm, rv, w, b, training=training, momentum=momentum, eps=eps)
    dy = torch.randn(shape)
    y.backward(dy)
    t = {"x": x, "running_mean": rm0, "running_var": rv0, "y": y, "dy": dy, "dx": x.grad,
         "running_mean_out": rm, "running_var_out": rv}
    if affine:
        t.update({"weight": w, "bias": b, "dweight": w.grad, "dbias": b.grad})
    save(case, t, {"training": int(training), "affine": int(affine), "momentum": momentum, "eps": eps})


def layernorm_case(case, shape, n_norm_dims, eps=1e-5):
    norm_shape = shape[-n_norm_dims:]
    x = leaf(torch.randn(shape) * 2.0 - 0.5)
    w = leaf(torch.rand(norm_shape) + 0.5)
    b = leaf(torch.randn(norm_shape) * 0.5)
    y = F.layer_norm(x, norm_shape, w, b, eps)
    dy = torch.randn(shape)
    y.backward(dy)
    save(case, {"x": x, "weight": w, "bias": b, "y": y, "dy": dy, "dx": x.grad,
                "dweight": w.grad, "dbias": b.grad}, {"n_norm_dims": n_norm_dims, "eps": eps})


# ---- losses ------------------------------------------------------------------

REDUCTIONS = ("mean", "sum", "none")


def upstream(out):
    """A fixed random upstream gradient shaped like the loss."""
    return torch.randn(out.shape) if out.dim() else torch.tensor(0.5 + torch.rand(()).item())


def class_loss_file(case, fn, z, targets, variants, extra=None):
    """variants: name -> dict(weight=, label_smoothing=, reduction=)."""
    t = {"input": z, "target": targets.float()}
    if extra:
        t.update(extra)
    for name, kw in variants.items():
        zl = leaf(z)
        out = fn(zl, targets, **kw)
        dy = upstream(out)
        out.backward(dy)
        t[name + ".loss"] = out
        t[name + ".dy"] = dy
        t[name + ".dinput"] = zl.grad
    save(case, t)


def class_losses():
    K = 5
    weights = torch.tensor([0.5, 2.0, 1.0, 1.5, 0.25])
    z = torch.randn(8, K) * 2.0
    y = torch.randint(0, K, (8,))
    y_ign = y.clone()
    y_ign[[2, 5]] = -100
    ce_variants = {}
    for r in REDUCTIONS:
        ce_variants["plain_" + r] = dict(reduction=r)
        ce_variants["weighted_" + r] = dict(weight=weights, reduction=r)
        ce_variants["smooth_" + r] = dict(label_smoothing=0.1, reduction=r)
        ce_variants["weighted_smooth_" + r] = dict(weight=weights, label_smoothing=0.1, reduction=r)
    class_loss_file("loss_ce", F.cross_entropy, z, y, ce_variants, {"class_weights": weights})
    # ignore_index -100, with and without weights and smoothing
    ign_variants = {}
    for r in REDUCTIONS:
        ign_variants["plain_" + r] = dict(reduction=r)
        ign_variants["weighted_smooth_" + r] = dict(weight=weights, label_smoothing=0.1, reduction=r)
    class_loss_file("loss_ce_ignore", F.cross_entropy, z, y_ign, ign_variants, {"class_weights": weights})
    # per-pixel classes: logits [N, K, H, W], targets [N, H, W]
    zs = torch.randn(2, K, 3, 3) * 2.0
    ys = torch.randint(0, K, (2, 3, 3))
    ys[0, 1, 2] = -100
    class_loss_file("loss_ce_spatial", F.cross_entropy, zs, ys,
                    {"weighted_smooth_" + r: dict(weight=weights, label_smoothing=0.1, reduction=r)
                     for r in REDUCTIONS}, {"class_weights": weights})
    # NLL on log-probabilities
    lp = F.log_softmax(torch.randn(8, K) * 2.0, dim=1)
    nll_variants = {}
    for r in REDUCTIONS:
        nll_variants["plain_" + r] = dict(reduction=r)
        nll_variants["weighted_" + r] = dict(weight=weights, reduction=r)
    class_loss_file("loss_nll", F.nll_loss, lp, y_ign, nll_variants, {"class_weights": weights})

    # probability targets: gradients for logits and targets
    zp = torch.randn(6, K) * 2.0
    p = F.softmax(torch.randn(6, K), dim=1)
    t = {"input": zp, "target": p, "class_weights": weights}
    for name, kw in {"plain": {}, "weighted_smooth": dict(weight=weights, label_smoothing=0.1)}.items():
        for r in REDUCTIONS:
            zl, pl = leaf(zp), leaf(p)
            out = F.cross_entropy(zl, pl, reduction=r, **kw)
            dy = upstream(out)
            out.backward(dy)
            key = name + "_" + r
            t.update({key + ".loss": out, key + ".dy": dy, key + ".dinput": zl.grad,
                      key + ".dtarget": pl.grad})
    save("loss_ce_soft", t)


def pointwise_losses():
    x = torch.randn(4, 6) * 2.0
    target = torch.randn(4, 6) * 2.0
    probs = torch.rand(4, 6)
    pos_weight = torch.tensor([1.0, 2.0, 3.0, 0.5, 1.5, 4.0])
    fns = {
        "mse": (F.mse_loss, target, {}),
        "l1": (F.l1_loss, target, {}),
        "smooth_l1_beta1": (F.smooth_l1_loss, target, dict(beta=1.0)),
        "smooth_l1_beta05": (F.smooth_l1_loss, target, dict(beta=0.5)),
        "bce": (F.binary_cross_entropy_with_logits, probs, {}),
        "bce_pos_weight": (F.binary_cross_entropy_with_logits, probs, dict(pos_weight=pos_weight)),
    }
    t = {"input": x, "target": target, "probs": probs, "pos_weight": pos_weight}
    for name, (fn, tgt, kw) in fns.items():
        for r in REDUCTIONS:
            xl, tl = leaf(x), leaf(tgt)
            out = fn(xl, tl, reduction=r, **kw)
            dy = upstream(out)
            out.backward(dy)
            key = name + "_" + r
            t.update({key + ".loss": out, key + ".dy": dy, key + ".dinput": xl.grad,
                      key + ".dtarget": tl.grad})
    save("loss_pointwise", t)


if __name__ == "__main__":
    seed(20240501)
    batchnorm_case("norm_bn2d_train", (3, 4, 5, 5), training=True)
    batchnorm_case("norm_bn2d_eval", (3, 4, 5, 5), training=False)
    batchnorm_case("norm_bn2d_train_keras_noaffine", (2, 3, 4, 4), training=True, affine=False,
                   momentum=0.01, eps=1e-3)
    batchnorm_case("norm_bn1d_nc", (8, 6), training=True)
    batchnorm_case("norm_bn1d_ncl", (4, 3, 7), training=True)
    batchnorm_case("norm_bn1d_ncl_eval", (4, 3, 7), training=False)
    layernorm_case("norm_ln_1", (2, 3, 8), 1)
    layernorm_case("norm_ln_2", (2, 3, 4, 5), 2)
    class_losses()
    pointwise_losses()
