"""Golden files for convolution, pooling and upsampling (tests/test_golden_conv.c).

Run from the repository root with Debian's torch:
    /usr/bin/python3 tests/golden/gen_conv.py
Each case writes tests/golden/data/conv_<case>.safetensors holding the inputs
(x, and w, b where the op has them), the upstream gradient dy (a fixed random
tensor), PyTorch's output y and the gradients dx, dw, db of sum(y * dy).
The options go into the metadata ("op", "stride_h", ...), so the C test reads
them from the file instead of repeating them.
"""
import math

import torch
import torch.nn.functional as F

import goldutil


def run(case, op, fn, inputs, meta):
    """inputs: dict name -> tensor (x, w, b); fn(**inputs) -> y."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves)
    dy = torch.randn(y.shape)
    y.backward(dy)
    tensors = dict(inputs)
    tensors["y"] = y.detach()
    tensors["dy"] = dy
    for k, v in leaves.items():
        tensors["d" + k] = v.grad
    m = {"op": op}
    m.update(meta)
    goldutil.save("conv_" + case, tensors, m)


def same_pad(size, k, s, d):
    """Keras/TensorFlow SAME: (before, after) with the extra one after."""
    out = (size + s - 1) // s
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def conv_case(case, xs, ws, stride=1, pad=0, dil=1, groups=1, same=False, bias=True):
    x = torch.randn(xs)
    w = torch.randn(ws) * 0.5
    inputs = {"x": x, "w": w}
    if bias:
        inputs["b"] = torch.randn(ws[0])
    if same:
        pt, pb = same_pad(xs[2], ws[2], stride, dil)
        pl, pr = same_pad(xs[3], ws[3], stride, dil)
    else:
        pt = pb = pl = pr = pad

    def fn(x, w, b=None):
        # SAME (possibly asymmetric) = explicit F.pad then an unpadded conv.
        xp = F.pad(x, (pl, pr, pt, pb))
        return F.conv2d(xp, w, b, stride=stride, dilation=dil, groups=groups)

    meta = {"stride": stride, "dilation": dil, "groups": groups,
            "padding": "same" if same else "explicit",
            "pad_top": pt, "pad_bottom": pb, "pad_left": pl, "pad_right": pr}
    run(case, "conv2d", fn, inputs, meta)


def convt_case(case, xs, ws, stride, pad, out_pad, dil=1, groups=1, bias=True):
    x = torch.randn(xs)
    w = torch.randn(ws) * 0.5
    inputs = {"x": x, "w": w}
    if bias:
        inputs["b"] = torch.randn(ws[1] * groups)

    def fn(x, w, b=None):
        return F.conv_transpose2d(x, w, b, stride=stride, padding=pad, output_padding=out_pad,
                                  groups=groups, dilation=dil)

    meta = {"stride": stride, "padding": pad, "output_padding": out_pad, "dilation": dil,
            "groups": groups}
    run(case, "conv_transpose2d", fn, inputs, meta)


def max_pool_case(case, xs, k, s, p, dil=1, ceil=False):
    # A permutation scaled apart: no ties, so the argmax is unambiguous.
    n = math.prod(xs)
    x = (torch.randperm(n).float() / n * 4 - 2).reshape(xs)
    run(case, "max_pool2d",
        lambda x: F.max_pool2d(x, k, s, p, dilation=dil, ceil_mode=ceil), {"x": x},
        {"kernel": k, "stride": s, "padding": p, "dilation": dil, "ceil_mode": int(ceil)})


def avg_pool_case(case, xs, k, s, p, ceil=False, include_pad=True):
    run(case, "avg_pool2d",
        lambda x: F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=include_pad),
        {"x": torch.randn(xs)},
        {"kernel": k, "stride": s, "padding": p, "ceil_mode": int(ceil),
         "count_include_pad": int(include_pad)})


def adaptive_case(case, xs, out):
    run(case, "adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, out),
        {"x": torch.randn(xs)}, {"out_h": out[0], "out_w": out[1]})


def global_case(case, xs):
    # The global pool is F.adaptive_avg_pool2d(x, 1) (= the mean of each plane).
    run(case, "global_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, 1),
        {"x": torch.randn(xs)}, {})


def upsample_case(case, mode, xs, size=None, scale=None, align_corners=None):
    kw = {"mode": mode}
    if mode == "bilinear":
        kw["align_corners"] = align_corners
    if size is not None:
        kw["size"] = size
    else:
        kw["scale_factor"] = scale
    meta = {"align_corners": int(bool(align_corners))}
    if size is not None:
        meta.update({"out_h": size[0], "out_w": size[1]})
    else:
        meta.update({"scale_h": repr(float(scale[0])), "scale_w": repr(float(scale[1]))})
    run(case, "upsample_" + mode + "2d", lambda x: F.interpolate(x, **kw),
        {"x": torch.randn(xs)}, meta)


def main():
    goldutil.seed(2024)
    # conv2d
    conv_case("plain", (2, 3, 7, 8), (4, 3, 3, 3))
    conv_case("stride2_pad1", (2, 3, 8, 9), (5, 3, 3, 3), stride=2, pad=1)
    conv_case("dilation2", (1, 2, 9, 9), (3, 2, 3, 3), pad=2, dil=2)
    conv_case("groups2", (2, 4, 6, 6), (6, 2, 3, 3), pad=1, groups=2)
    conv_case("depthwise", (2, 4, 7, 7), (4, 1, 3, 3), pad=1, groups=4)
    conv_case("depthwise_mult2_stride2", (2, 3, 8, 7), (6, 1, 3, 3), stride=2, pad=1, groups=3,
              bias=False)
    conv_case("pointwise", (2, 5, 4, 4), (3, 5, 1, 1))
    conv_case("same_s2_even", (2, 3, 8, 8), (4, 3, 3, 3), stride=2, same=True)
    conv_case("same_s2_odd", (2, 3, 7, 9), (4, 3, 3, 3), stride=2, same=True)
    conv_case("same_s2_k4", (1, 2, 7, 6), (3, 2, 4, 4), stride=2, same=True)
    conv_case("depthwise_same_s2", (2, 4, 8, 8), (4, 1, 3, 3), stride=2, groups=4, same=True)
    # conv_transpose2d
    convt_case("transpose_s2_op1", (2, 4, 4, 5), (4, 3, 3, 3), stride=2, pad=1, out_pad=1)
    convt_case("transpose_groups2", (2, 4, 3, 4), (4, 3, 3, 3), stride=2, pad=1, out_pad=1,
               groups=2)
    convt_case("transpose_dil2", (1, 2, 4, 4), (2, 3, 3, 3), stride=1, pad=1, out_pad=0, dil=2)
    # pooling
    max_pool_case("maxpool_k3s2p1", (2, 3, 9, 9), 3, 2, 1)
    max_pool_case("maxpool_k2s2", (2, 3, 6, 6), 2, 2, 0)
    max_pool_case("maxpool_ceil", (2, 3, 8, 8), 3, 2, 0, ceil=True)
    max_pool_case("maxpool_ceil_pad", (1, 2, 7, 6), 3, 2, 1, ceil=True)
    max_pool_case("maxpool_dil2", (1, 2, 9, 9), 3, 2, 1, dil=2)
    avg_pool_case("avgpool_k3s2p1", (2, 3, 9, 9), 3, 2, 1)
    avg_pool_case("avgpool_k3s2p1_nopad", (2, 3, 9, 9), 3, 2, 1, include_pad=False)
    avg_pool_case("avgpool_ceil", (2, 3, 8, 8), 3, 2, 1, ceil=True)
    avg_pool_case("avgpool_ceil_nopad", (2, 3, 8, 8), 3, 2, 1, ceil=True, include_pad=False)
    avg_pool_case("avgpool_k2s2", (2, 3, 6, 6), 2, 2, 0)
    adaptive_case("adaptive_7to3", (2, 3, 7, 7), (3, 3))
    adaptive_case("adaptive_5x7to3x4", (1, 2, 5, 7), (3, 4))
    adaptive_case("adaptive_3x5to4x2", (1, 2, 3, 5), (4, 2))
    global_case("global", (2, 3, 5, 6))
    # upsampling
    upsample_case("nearest_2x", "nearest", (2, 3, 4, 5), size=(8, 10))
    upsample_case("nearest_odd", "nearest", (1, 2, 5, 4), size=(7, 9))
    upsample_case("nearest_down", "nearest", (1, 2, 7, 8), size=(3, 5))
    # scale_factor: out = floor(in * s) and the source index uses 1/s, which
    # differs from the size-based in/out rule for these factors.
    upsample_case("nearest_scale", "nearest", (1, 2, 4, 5), scale=(1.7, 1.3))
    upsample_case("bilinear_odd", "bilinear", (2, 3, 4, 5), size=(7, 9), align_corners=False)
    upsample_case("bilinear_odd_ac", "bilinear", (2, 3, 4, 5), size=(7, 9), align_corners=True)
    upsample_case("bilinear_2x", "bilinear", (1, 2, 4, 5), size=(8, 10), align_corners=False)
    upsample_case("bilinear_down", "bilinear", (1, 2, 7, 8), size=(3, 5), align_corners=False)
    upsample_case("bilinear_down_ac", "bilinear", (1, 2, 7, 8), size=(3, 5), align_corners=True)
    upsample_case("bilinear_scale", "bilinear", (1, 2, 4, 5), scale=(1.7, 2.7),
                  align_corners=False)


if __name__ == "__main__":
    main()
