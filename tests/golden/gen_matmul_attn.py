"""Golden files for layers/matmul.c, layers/shape.c and layers/attention.c.

Run from the repository root:  /usr/bin/python3 tests/golden/gen_matmul_attn.py
Writes tests/golden/data/{mm_matmul,mm_shape,attn_sdpa,attn_mha}.safetensors.
Each case "<case>.<name>" stores its inputs, the forward output "y", the
upstream gradient "dy" (a fixed random tensor) and the input gradients
"d<input>" of sum(y * dy). tests/test_golden_matmul_attn.c reads them; the
options of each case (dims, pads, slice bounds) are repeated there.

Debian's torch 1.13 has no F.scaled_dot_product_attention: it is computed
here from its definition, softmax(q k^T * scale + mask) v, in float64 and
stored as float32. nn.MultiheadAttention is torch's own module.
"""
import math

import torch
import torch.nn.functional as F

from goldutil import save, seed

OUT = {}


def case(name, fn, inputs, dy_seed):
    """Run fn(*inputs) with grads, backprop a fixed random dy, store all."""
    xs = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**xs)
    g = torch.Generator().manual_seed(dy_seed)
    dy = torch.randn(y.shape, generator=g).double()
    y.backward(dy)
    for k, v in inputs.items():
        OUT[name + "." + k] = v
        OUT[name + ".d" + k] = xs[k].grad
    OUT[name + ".y"] = y.detach()
    OUT[name + ".dy"] = dy


def randn(*shape):
    """float32 values (what the C side reads) held in float64 for the reference."""
    return torch.randn(*shape, dtype=torch.float32).double()


# ------------------------------------------------------------------ matmul --
seed(1)
case("mm", lambda a, b: a @ b, {"a": randn(4, 5), "b": randn(5, 3)}, 11)
case("bmm", lambda a, b: torch.matmul(a, b), {"a": randn(2, 3, 4), "b": randn(2, 4, 5)}, 12)
# [B, C, M, K] x [K, N]: b broadcast over both batch dims
case("bmm_bcast_b", lambda a, b: torch.matmul(a, b), {"a": randn(2, 3, 4, 5), "b": randn(5, 6)}, 13)
# [M, K] x [B, 1, K, N] and size-1 dims on both sides
case("bmm_bcast_a", lambda a, b: torch.matmul(a, b), {"a": randn(3, 4), "b": randn(2, 1, 4, 5)}, 14)
case("bmm_bcast_both", lambda a, b: torch.matmul(a, b), {"a": randn(2, 1, 3, 4), "b": randn(3, 4, 2)}, 15)
# op(A) = A^T, op(B) = B^T with a batch broadcast on a
case("matmul_tt", lambda a, b: torch.matmul(a.transpose(-1, -2), b.transpose(-1, -2)),
     {"a": randn(4, 3), "b": randn(2, 5, 4)}, 16)
case("linear", lambda x, w, b: F.linear(x, w, b), {"x": randn(2, 3, 5), "w": randn(4, 5), "b": randn(4)}, 17)
case("linear_nobias", lambda x, w: F.linear(x, w), {"x": randn(3, 5), "w": randn(4, 5)}, 18)
save("mm_matmul", OUT, {"generator": "gen_matmul_attn.py", "torch": torch.__version__})

# ------------------------------------------------------------------- shape --
OUT = {}
seed(2)
case("reshape", lambda x: x.reshape(4, -1), {"x": randn(2, 3, 4)}, 21)
case("flatten", lambda x: torch.flatten(x, 1, 2), {"x": randn(2, 3, 4, 5)}, 22)
case("permute", lambda x: x.permute(0, 2, 3, 1), {"x": randn(2, 3, 4, 5)}, 23)
case("transpose", lambda x: x.transpose(0, -1), {"x": randn(2, 3, 4)}, 24)
case("concat", lambda a, b, c: torch.cat([a, b, c], 1),
     {"a": randn(2, 3, 4), "b": randn(2, 1, 4), "c": randn(2, 2, 4)}, 25)
case("concat_last", lambda a, b: torch.cat([a, b], -1), {"a": randn(2, 3, 2), "b": randn(2, 3, 5)}, 26)
case("slice_neg", lambda x: x[:, -5:-1:2], {"x": randn(3, 7)}, 27)
case("slice_clamp", lambda x: x[-10:3], {"x": randn(5, 2)}, 28)
case("pad_constant", lambda x: F.pad(x, (1, 2, 0, 1), mode="constant", value=0.5), {"x": randn(2, 3, 4, 5)}, 29)
case("pad_crop", lambda x: F.pad(x, (-1, 1, 2, -1)), {"x": randn(2, 3, 4, 5)}, 30)
case("pad_reflect", lambda x: F.pad(x, (2, 1, 3, 1), mode="reflect"), {"x": randn(2, 3, 4, 5)}, 31)
case("pad_reflect1d", lambda x: F.pad(x, (3, 2), mode="reflect"), {"x": randn(2, 3, 5)}, 32)
case("pad_replicate", lambda x: F.pad(x, (2, 3, 1, 4), mode="replicate"), {"x": randn(2, 3, 4, 5)}, 33)
case("pad_circular", lambda x: F.pad(x, (1, 2, 2, 1), mode="circular"), {"x": randn(2, 3, 4, 5)}, 34)
save("mm_shape", OUT, {"generator": "gen_matmul_attn.py", "torch": torch.__version__})


# --------------------------------------------------------------- attention --
def sdpa(q, k, v, mask=None, causal=False, scale=None):
    """torch 2.x F.scaled_dot_product_attention, from its definition."""
    T, S = q.shape[-2], k.shape[-2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-2, -1) * scale
    if causal:
        keep = torch.ones(T, S, dtype=torch.bool).tril()
        s = s.masked_fill(~keep, float("-inf"))
    if mask is not None:
        s = s + mask
    return torch.softmax(s, dim=-1) @ v


OUT = {}
seed(3)
qkv = lambda: {"q": randn(2, 3, 4, 5), "k": randn(2, 3, 6, 5), "v": randn(2, 3, 6, 7)}
case("plain", lambda q, k, v: sdpa(q, k, v), qkv(), 41)
case("causal", lambda q, k, v: sdpa(q, k, v, causal=True), qkv(), 42)
# an additive mask [B, 1, T, S] (broadcast over heads) with its gradient
m = randn(2, 1, 4, 6)
m[1, 0, :, 5] = float("-inf")       # batch 1 never attends to the last key
d = qkv()
d["mask"] = m
case("mask", lambda q, k, v, mask: sdpa(q, k, v, mask=mask), d, 43)
d = qkv()
d["mask"] = randn(4, 6)
case("mask_causal_scale", lambda q, k, v, mask: sdpa(q, k, v, mask=mask, causal=True, scale=0.3), d, 44)
save("attn_sdpa", OUT, {"generator": "gen_matmul_attn.py", "torch": torch.__version__})


def mha_case(name, E, H, xq, xkv, mask, self_attn, dy_seed):
    torch.manual_seed(dy_seed)
    mod = torch.nn.MultiheadAttention(E, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():   # non-zero biases so their gradients are tested
        mod.in_proj_bias.copy_(randn(3 * E) * 0.5)
        mod.out_proj.bias.copy_(randn(E) * 0.5)
        for p in mod.parameters():   # float32 values, as the C side reads them
            p.copy_(p.float().double())
    xq = xq.clone().requires_grad_(True)
    xkv = xq if self_attn else xkv.clone().requires_grad_(True)
    y, w = mod(xq, xkv, xkv, attn_mask=mask, need_weights=True, average_attn_weights=True)
    dy = torch.randn(y.shape, generator=torch.Generator().manual_seed(dy_seed)).double()
    y.backward(dy)
    OUT[name + ".x_q"] = xq.detach()
    OUT[name + ".dx_q"] = xq.grad
    if not self_attn:
        OUT[name + ".x_kv"] = xkv.detach()
        OUT[name + ".dx_kv"] = xkv.grad
    if mask is not None:
        OUT[name + ".mask"] = mask
    for pname, p in mod.named_parameters():   # in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias
        OUT[name + "." + pname] = p.detach()
        OUT[name + ".d" + pname] = p.grad
    OUT[name + ".y"] = y.detach()
    OUT[name + ".dy"] = dy
    OUT[name + ".weights"] = w.detach()


OUT = {}
seed(4)
# cross-attention: B=2, T=3, S=5, E=8, 2 heads, additive mask [T, S]
mha_case("cross", 8, 2, randn(2, 3, 8), randn(2, 5, 8), randn(3, 5), False, 51)
# self-attention with a causal mask (our causal=true), 4 heads of 2
causal = torch.full((4, 4), float("-inf"), dtype=torch.float64).triu(1)
mha_case("self_causal", 8, 4, randn(2, 4, 8), None, causal, True, 52)
save("attn_mha", OUT, {"generator": "gen_matmul_attn.py", "torch": torch.__version__})
