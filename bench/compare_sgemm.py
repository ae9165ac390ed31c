#!/usr/bin/env python3
"""bench/compare_sgemm.py - steelgrad's SGEMM beside torch.matmul, same shapes, same run.

    /work/venv/bin/python bench/compare_sgemm.py [--threads 1,2] [--shapes MxNxK,...]
                                                 [--steelgrad build/steelgrad] [--seconds 0.5]

For each thread count: `steelgrad bench sgemm` (its JSON lines are passed through), then
torch.matmul on the same float32 row-major shapes with torch.set_num_threads(t) (best of calls
repeated for at least --seconds, after a warm-up), then one line with the ratio
{"bench":"sgemm_ratio","shape":..,"threads":..,"gflops_ours":..,"gflops_torch":..,"ours_over_torch":..}
(>= 1 is the target of issue 9). Never part of `make test`; never pass/fail. Each line carries
the 1-minute load average: on a shared machine the speeds are noise.
"""
import argparse
import json
import os
import subprocess
import time

import torch

DEFAULT_SHAPES = "1024x1024x1024,64x3136x576,256x3136x64,512x784x1152,2048x49x512"


def torch_gflops(m, n, k, threads, seconds):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(1)
    a = torch.randn(m, k, generator=g)
    b = torch.randn(k, n, generator=g)
    c = torch.empty(m, n)
    torch.matmul(a, b, out=c)  # warm-up
    best, total, reps = float("inf"), 0.0, 0
    while total < seconds or reps < 3:
        t0 = time.perf_counter()
        torch.matmul(a, b, out=c)
        dt = time.perf_counter() - t0
        total += dt
        reps += 1
        best = min(best, dt)
    return best * 1e3, 2.0 * m * n * k / best * 1e-9


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--shapes", default=DEFAULT_SHAPES)
    ap.add_argument("--steelgrad", default="build/steelgrad")
    ap.add_argument("--seconds", type=float, default=0.5)
    args = ap.parse_args()
    for t in [int(x) for x in args.threads.split(",")]:
        out = subprocess.run([args.steelgrad, "bench", "sgemm", "--threads", str(t), "--shapes", args.shapes,
                              "--seconds", str(args.seconds)], check=True, capture_output=True, text=True).stdout
        ours = {}
        for line in out.splitlines():
            print(line, flush=True)
            r = json.loads(line)
            ours[r["shape"]] = r["gflops"]
        for shape in args.shapes.split(","):
            m, n, k = (int(x) for x in shape.split("x"))
            ms, gf = torch_gflops(m, n, k, t, args.seconds)
            load = os.getloadavg()[0]
            print(json.dumps({"bench": "sgemm_torch", "shape": shape, "M": m, "N": n, "K": k, "threads": t,
                              "torch": torch.__version__, "ms": round(ms, 4), "gflops": round(gf, 2),
                              "load1": round(load, 2)}), flush=True)
            print(json.dumps({"bench": "sgemm_ratio", "shape": shape, "threads": t, "gflops_ours": ours[shape],
                              "gflops_torch": round(gf, 2), "ours_over_torch": round(ours[shape] / gf, 3),
                              "load1": round(load, 2)}), flush=True)


if __name__ == "__main__":
    main()
