#!/usr/bin/env python3
"""bench/compare_layers.py - steelgrad's convolutions beside PyTorch's, same shapes, same run.

    /work/venv/bin/python bench/compare_layers.py [--benches conv,depthwise,attention] [--threads 1,2]
                                                  [--batch 32] [--steelgrad build/steelgrad]
                                                  [--seconds 0.3]

For each bench and thread count: `steelgrad bench conv|depthwise` (its JSON lines are passed
through), then torch.nn.functional.conv2d on the same shapes (no bias, padding k // 2, x and
w requiring grad; forward timed alone, backward = y.backward(seed) with a fixed seed
gradient, input and weight gradients, as steelgrad's backward), best of repeats for at least
--seconds after a warm-up, and one ratio line per shape and pass:
{"bench":"conv_ratio","shape":..,"pass":..,"threads":..,"ms_ours":..,"ms_torch":..,
 "ours_speedup":..}   (torch ms / our ms: issue 9 wants >= 1.0 for conv, >= 1.5 for depthwise
on forward+backward). attention: `steelgrad bench attention` (q, k, v [B, H, T, Dh], issue 9's
32 x 4 heads x 256 tokens x width 64) beside torch.nn.functional.scaled_dot_product_attention
on the same q, k, v requiring grad: our "train" path (dropout 0.1 on the probabilities) beside
torch's with dropout_p 0.1, our "sdpa" path (no dropout) beside torch's without (issue 9 wants
>= 1.0 on forward+backward). Never part of `make test`; never pass/fail. Each line carries the
1-minute load average: on a shared machine the speeds are noise.
"""
import argparse
import json
import os
import re
import subprocess
import time

import torch
import torch.nn.functional as F


def parse_shape(shape):
    """'32x64x56x56 k3 s1 o64 g1' -> (N, C, H, W, k, s, o, g)."""
    m = re.fullmatch(r"(\d+)x(\d+)x(\d+)x(\d+) k(\d+) s(\d+) o(\d+) g(\d+)", shape)
    return tuple(int(v) for v in m.groups())


def torch_times(bench, shape, threads, seconds, dropout=0.0):
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(1)
    if bench == "attention":
        b, h, t, d = (int(v) for v in shape.split("x"))
        leaves = [torch.randn(b, h, t, d, generator=gen).requires_grad_() for _ in range(3)]

        def forward():
            return F.scaled_dot_product_attention(*leaves, dropout_p=dropout)
    else:
        n, c, hh, w, k, s, o, g = parse_shape(shape)
        leaves = [torch.randn(n, c, hh, w, generator=gen).requires_grad_(),
                  (0.05 * torch.randn(o, c // g, k, k, generator=gen)).requires_grad_()]

        def forward():
            return F.conv2d(leaves[0], leaves[1], None, s, k // 2, 1, g)
    seed = torch.randn(forward().shape, generator=gen)
    best_f, best_b, spent, reps = float("inf"), float("inf"), 0.0, 0
    while spent < seconds or reps < 4:   # rep 0 warms up
        for leaf in leaves:
            leaf.grad = None
        t0 = time.perf_counter()
        y = forward()
        t1 = time.perf_counter()
        y.backward(seed)
        t2 = time.perf_counter()
        if reps > 0:
            best_f, best_b = min(best_f, t1 - t0), min(best_b, t2 - t1)
            spent += t2 - t0
        reps += 1
    return {"forward": best_f * 1e3, "backward": best_b * 1e3, "forward+backward": (best_f + best_b) * 1e3}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--benches", default="conv,depthwise,attention")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steelgrad", default="build/steelgrad")
    ap.add_argument("--seconds", type=float, default=0.3)
    args = ap.parse_args()
    for bench in args.benches.split(","):
        for t in [int(v) for v in args.threads.split(",")]:
            out = subprocess.run([args.steelgrad, "bench", bench, "--threads", str(t), "--batch", str(args.batch),
                                  "--seconds", str(args.seconds)], check=True, capture_output=True, text=True).stdout
            ours = {}   # (shape, path, dropout) -> pass -> ms
            for line in out.splitlines():
                print(line, flush=True)
                r = json.loads(line)
                if r.get("path") == "chain":
                    continue   # the unfused reference chain: ours only
                key = (r["shape"], r.get("path", ""), r.get("dropout", 0.0))
                ours.setdefault(key, {})[r["pass"]] = r["ms"]
            for (shape, path, dropout), passes in ours.items():
                if bench == "attention":
                    passes["forward+backward"] = passes["forward"] + passes["backward"]
                tt = torch_times(bench, shape, t, args.seconds, dropout)
                load = round(os.getloadavg()[0], 2)
                extra = {"path": path, "dropout": dropout} if path else {}
                for p, ms in passes.items():
                    print(json.dumps({"bench": bench + "_torch", "shape": shape, **extra, "pass": p, "threads": t,
                                      "torch": torch.__version__, "ms": round(tt[p], 4), "load1": load}), flush=True)
                    print(json.dumps({"bench": bench + "_ratio", "shape": shape, **extra, "pass": p, "threads": t,
                                      "ms_ours": ms, "ms_torch": round(tt[p], 4),
                                      "ours_speedup": round(tt[p] / ms, 3), "load1": load}), flush=True)


if __name__ == "__main__":
    main()
