"""Golden files for layers/elementwise.c, layers/activation.c and layers/reduce.c.

Run from the repository root:  /usr/bin/python3 tests/golden/gen_elementwise.py
Writes tests/golden/data/elem_{binary,unary,activation,softmax,reduce}.safetensors.

Each case "<case>.<name>" stores its inputs, the forward output "y", the
upstream gradient "dy" (a fixed random tensor) and the input gradients
"d<input>" of sum(y * dy). Inputs are float32 values; torch computes the
reference in float64 from them (so the reference carries no float32 rounding
of its own) and it is stored as float32. tests/test_golden_elementwise.c reads
the files; the options of each case (axes, dim, slope) are repeated there.

goldutil.save stores a 0-dim tensor with shape [1] (np.ascontiguousarray makes
it 1-d), so each file's metadata "scalars" lists the tensors that are 0-dim
in torch; the C test reads those as ndim 0.
"""
import torch
import torch.nn.functional as F

from goldutil import save, seed

OUT = {}
SCALARS = []


def meta():
    m = {"generator": "gen_elementwise.py", "torch": torch.__version__, "scalars": ",".join(SCALARS)}
    SCALARS.clear()
    return m


def case(name, fn, inputs, dy_seed):
    """Run fn(**inputs) with grads, backprop a fixed random dy, store all."""
    xs = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**xs)
    g = torch.Generator().manual_seed(dy_seed)
    dy = torch.randn(y.shape, generator=g, dtype=torch.float32).double()
    y.backward(dy)
    for k, v in inputs.items():
        OUT[name + "." + k] = v
        OUT[name + ".d" + k] = xs[k].grad
    OUT[name + ".y"] = y.detach()
    OUT[name + ".dy"] = dy
    SCALARS.extend(sorted(n for n, t in OUT.items() if n.startswith(name + ".") and t.dim() == 0))


def randn(*shape):
    """float32 values (what the C side reads) held in float64 for the reference."""
    return torch.randn(tuple(shape), dtype=torch.float32).double()


def rand(lo, hi, *shape):
    return (torch.rand(tuple(shape), dtype=torch.float32) * (hi - lo) + lo).double()


def away_from_zero(*shape):
    """|x| in [0.5, 2] with a random sign: safe for div, log-free kinks, abs."""
    mag = rand(0.5, 2.0, *shape)
    sign = torch.where(torch.rand(tuple(shape)) < 0.5, -1.0, 1.0).double()
    return (mag * sign).float().double()


# ------------------------------------------------------------------ binary --
# name -> (shape of a, shape of b); the C test repeats this table.
PAIRS = {
    "same": ((2, 3, 4), (2, 3, 4)),
    "chan": ((2, 3, 4, 5), (1, 3, 1, 1)),   # per-channel [N,C,H,W] op [1,C,1,1]
    "mixed": ((3, 1, 5), (4, 1)),           # both broadcast: -> [3, 4, 5]
    "scalar": ((2, 3), ()),                 # tensor op 0-dim scalar
    "scalar_left": ((), (2, 3)),            # 0-dim scalar op tensor
    "rows": ((4,), (3, 1, 4)),              # missing leading dims on a
}
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}
seed(1)
k = 100
for op, fn in OPS.items():
    for pname, (sa, sb) in PAIRS.items():
        b = away_from_zero(*sb) if op == "div" else randn(*sb)
        case(op + "_" + pname, fn, {"a": randn(*sa), "b": b}, k)
        k += 1
save("elem_binary", OUT, meta())

# ------------------------------------------------------------------- unary --
OUT = {}
seed(2)
case("add_scalar", lambda x: x + 0.75, {"x": randn(3, 4, 5)}, 201)
case("mul_scalar", lambda x: x * -1.5, {"x": randn(3, 4, 5)}, 202)
case("neg", lambda x: -x, {"x": randn(3, 4, 5)}, 203)
case("square", lambda x: torch.square(x), {"x": randn(3, 4, 5)}, 204)
case("sqrt", lambda x: torch.sqrt(x), {"x": rand(0.1, 4.0, 3, 4, 5)}, 205)
case("exp", lambda x: torch.exp(x), {"x": randn(3, 4, 5)}, 206)
case("log", lambda x: torch.log(x), {"x": rand(0.1, 4.0, 3, 4, 5)}, 207)
case("abs", lambda x: torch.abs(x), {"x": away_from_zero(3, 4, 5)}, 208)
save("elem_unary", OUT, meta())

# -------------------------------------------------------------- activation --
OUT = {}
seed(3)
X = (randn(2, 3, 4, 5) * 4).float().double()   # wide enough to reach relu6's 6
case("relu", lambda x: F.relu(x), {"x": X}, 301)
case("relu6", lambda x: F.relu6(x), {"x": X}, 302)
case("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.5), {"x": X}, 303)
case("leaky_relu", lambda x: F.leaky_relu(x, 0.1), {"x": X}, 304)
case("gelu", lambda x: F.gelu(x), {"x": X}, 305)
case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), {"x": X}, 306)
case("sigmoid", lambda x: torch.sigmoid(x), {"x": X}, 307)
case("tanh", lambda x: torch.tanh(x), {"x": X}, 308)
save("elem_activation", OUT, meta())

# ----------------------------------------------------------------- softmax --
# name -> (shape, dim); each for softmax and log_softmax.
OUT = {}
seed(4)
SOFTMAX = {
    "nchw_dim1": ((2, 3, 4, 5), 1),
    "nchw_dimm1": ((2, 3, 4, 5), -1),
    "nchw_dim0": ((2, 3, 4, 5), 0),
    "rows": ((4, 7), -1),
    "wide_dim1": ((2, 3, 9, 9), 1),         # 81 lines side by side: more than one block of 64
}
k = 400
for name, (shape, dim) in SOFTMAX.items():
    x = randn(*shape) * 3
    case("softmax_" + name, lambda x, d=dim: F.softmax(x, dim=d), {"x": x}, k)
    case("log_softmax_" + name, lambda x, d=dim: F.log_softmax(x, dim=d), {"x": x}, k + 1)
    k += 2
save("elem_softmax", OUT, meta())

# ------------------------------------------------------------------ reduce --
# name -> (axes, keepdim) on x of shape [2, 3, 4, 5]; () = every axis.
OUT = {}
seed(5)
AXES = {
    "a1": ((1,), False),
    "a1k": ((1,), True),
    "am1": ((-1,), False),
    "a13k": ((1, 3), True),
    "a023": ((0, 2, 3), False),
    "a02": ((0, 2), False),
    "all": ((), False),
    "allk": ((), True),
}
k = 500
for name, (axes, keep) in AXES.items():
    dims = axes if axes else (0, 1, 2, 3)
    x = randn(2, 3, 4, 5)
    case("sum_" + name, lambda x, d=dims, kd=keep: torch.sum(x, dim=d, keepdim=kd), {"x": x}, k)
    case("mean_" + name, lambda x, d=dims, kd=keep: torch.mean(x, dim=d, keepdim=kd), {"x": x}, k + 1)
    case("max_" + name, lambda x, d=dims, kd=keep: torch.amax(x, dim=d, keepdim=kd), {"x": x}, k + 2)
    k += 3
save("elem_reduce", OUT, meta())
