"""Golden files for MobileNetV2 (tests/test_mobilenetv2.c).

Run from the repository root with Debian's torch and torchvision:
    /usr/bin/python3 tests/golden/gen_mobilenetv2.py
Writes two files into tests/golden/data/:

mobilenetv2_weights.safetensors
    the state dict of torchvision.models.mobilenet_v2(num_classes=5,
    width_mult=0.25), exactly its keys (num_batches_tracked as F32), so the C
    test loads it strictly with sg_params_load. Width 0.25 keeps the file near
    1 MB and exercises _make_divisible's lower bound (16 * 0.25 -> 8). The
    weights are torchvision's init, then made less trivial: BN weight U(0.5,
    1.5) and bias U(0.5, 1), the classifier N(0, 0.1) so logits are O(1), and
    the running statistics from three train-mode forwards of random batches.

    Why the BN bias is positive: in train mode the deepest BN layers see only
    2 x 2 x 2 = 8 values per channel. With zero-mean biases some channels are
    zeroed by ReLU6 almost everywhere, the depthwise BN after them sees a batch
    variance near eps, and 1 / sqrt(var + eps) amplifies float32 rounding:
    torch's own float32 gradients then differ from its float64 ones by up to
    2e-2 of their scale, so no float32 implementation could be checked at 1e-4.
    Biases in [0.5, 1] keep channels alive (about a fifth of the ReLU6 inputs
    are still negative) and torch float32 agrees with float64 to ~2e-5 of the
    scale; main() checks that before writing, so a regenerated file stays a
    fair reference.

mobilenetv2_io.safetensors
    x [2, 3, 64, 64], the eval-mode logits; then, in train mode with the
    dropout set to p = 0 (deterministic), the logits, the upstream gradient dy
    and the gradients of sum(logits * dy) ("grad.<name>") for x and a few
    parameters (stem conv, a depthwise conv, a projection conv, a BN weight
    and bias, the classifier), and the running statistics of some BN layers
    after that train-mode forward ("after_train.<name>"). Metadata: the width
    and classes of the weights file, and torchvision's parameter count and
    state_dict size of mobilenet_v2(num_classes=K, width_mult=w) for several
    (w, K) ("params_w<w>_c<K>", "keys_w<w>_c<K>"), so the C test checks the
    channel rounding of widths it has no weights for.
"""
import copy

import torch
import torchvision
from torch import nn

import goldutil

WIDTH = 0.25
CLASSES = 5
GRADS = ["features.0.0.weight", "features.2.conv.1.0.weight", "features.7.conv.2.weight",
         "features.16.conv.1.1.weight", "features.16.conv.1.1.bias", "features.17.conv.0.0.weight",
         "classifier.1.weight", "classifier.1.bias"]
AFTER_TRAIN = ["features.0.1", "features.9.conv.1.1", "features.18.1"]
COUNTS = [(0.25, 1000), (0.35, 1000), (0.5, 1000), (0.75, 1000), (1.0, 1000), (1.3, 1000),
          (1.0, 6)]


def main():
    goldutil.seed(2025)
    model = torchvision.models.mobilenet_v2(num_classes=CLASSES, width_mult=WIDTH)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(0.5, 1.0)
        model.classifier[1].weight.normal_(0, 0.1)
        model.classifier[1].bias.normal_(0, 0.1)
        model.train()
        for _ in range(3):
            model(torch.randn(4, 3, 64, 64))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    goldutil.save("mobilenetv2_weights", state, {"width_mult": WIDTH, "classes": CLASSES})

    x = torch.randn(2, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        logits_eval = model(x)

    model.train()
    model.classifier[0].p = 0.0
    xg = x.clone().requires_grad_(True)
    logits = model(xg)
    dy = torch.randn(logits.shape)
    (logits * dy).sum().backward()
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())

    out = {"x": x, "logits_eval": logits_eval, "logits_train": logits.detach(), "dy": dy,
           "grad.x": xg.grad}
    for name in GRADS:
        out["grad." + name] = params[name].grad
    for bn in AFTER_TRAIN:
        for leaf in ("running_mean", "running_var", "num_batches_tracked"):
            out["after_train.%s.%s" % (bn, leaf)] = buffers["%s.%s" % (bn, leaf)]

    meta = {"width_mult": WIDTH, "classes": CLASSES}
    for w, k in COUNTS:
        m = torchvision.models.mobilenet_v2(num_classes=k, width_mult=w)
        meta["params_w%g_c%d" % (w, k)] = sum(p.numel() for p in m.parameters())
        meta["keys_w%g_c%d" % (w, k)] = len(m.state_dict())
    goldutil.save("mobilenetv2_io", out, meta)

    # How far torch's own float32 results are from float64, relative to each
    # tensor's largest value: the floor of any float32 implementation's error.
    m64 = copy.deepcopy(model).double()
    m64.load_state_dict(state)
    m64.eval()
    with torch.no_grad():
        ref_eval = m64(x.double())
    m64.train()
    m64.zero_grad()
    x64 = x.double().requires_grad_(True)
    ref_train = m64(x64)
    (ref_train * dy.double()).sum().backward()
    params64 = dict(m64.named_parameters())
    worst = 0.0
    pairs = [("logits_eval", logits_eval, ref_eval), ("logits_train", logits, ref_train),
             ("grad.x", xg.grad, x64.grad)]
    pairs += [("grad." + n, params[n].grad, params64[n].grad) for n in GRADS]
    for name, f32, f64 in pairs:
        err = ((f32.double() - f64).abs().max() / f64.abs().max()).item()
        worst = max(worst, err)
        print("torch float32 vs float64 %-32s max |diff| / max |value| %.2g" % (name, err))
    assert worst < 1e-4, "the reference is ill-conditioned (%.2g); see the docstring" % worst


if __name__ == "__main__":
    main()
