#!/usr/bin/env python3
"""bench/compare_openblas.py - steelgrad's SGEMM beside OpenBLAS's, same shapes, same run.

    python3 bench/compare_openblas.py [--threads 1,2] [--shapes MxNxK,...] [--steelgrad build/steelgrad]

OpenBLAS is a peer here, like PyTorch in the other compare scripts: steelgrad never links a BLAS.
Installs Debian's libopenblas-dev when it is missing (apt-get; needs root), then loads its
libopenblas.so with ctypes (Python's standard library only) and times row-major cblas_sgemm
(NN, A and B uniform in [-1, 1)), best of calls repeated for at least --seconds after a
warm-up, three ways: OpenBLAS's own CPU detection, and forced to OPENBLAS_CORETYPE=SkylakeX and
Haswell (0.3.21 does not know every new CPU and may fall back to SSE3 kernels; the core type
is read when the library loads, so each runs in a child process). Beside `steelgrad bench
sgemm` on the same shapes, one ratio line per shape and thread count:
{"bench":"sgemm_openblas_ratio",..,"ours_over_best":..}  (issue 9 wants >= 1).
Never part of `make test`; never pass/fail.
"""
import argparse
import ctypes
import glob
import json
import os
import random
import subprocess
import sys
import time

SHAPES = "1024x1024x1024,64x3136x576,256x3136x64,512x784x1152,2048x49x512"
ROW_MAJOR, NO_TRANS = 101, 111


def find_lib():
    libs = glob.glob("/usr/lib/*/openblas-pthread/libopenblas.so*")
    if not libs:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "libopenblas-dev"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)
        libs = glob.glob("/usr/lib/*/openblas-pthread/libopenblas.so*")
    if not libs:
        sys.exit("compare_openblas: no libopenblas.so under /usr/lib/*/openblas-pthread")
    return sorted(libs)[0]


def child(lib, shapes, seconds, label):
    """Runs in a process whose environment already has OPENBLAS_CORETYPE / _NUM_THREADS."""
    blas = ctypes.CDLL(lib)
    f, i = ctypes.c_float, ctypes.c_int
    blas.cblas_sgemm.argtypes = [i, i, i, i, i, i, f, ctypes.c_void_p, i, ctypes.c_void_p, i, f,
                                 ctypes.c_void_p, i]
    rng = random.Random(1)
    for shape in shapes.split(","):
        m, n, k = (int(v) for v in shape.split("x"))
        a = (f * (m * k))(*[rng.uniform(-1, 1) for _ in range(m * k)])
        b = (f * (k * n))(*[rng.uniform(-1, 1) for _ in range(k * n)])
        c = (f * (m * n))()

        def call():
            blas.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1.0, a, k, b, n, 0.0, c, n)
        call()
        best, total, reps = float("inf"), 0.0, 0
        while total < seconds or reps < 3:
            t0 = time.perf_counter()
            call()
            dt = time.perf_counter() - t0
            total, reps, best = total + dt, reps + 1, min(best, dt)
        print(json.dumps({"bench": "sgemm_openblas", "shape": shape, "coretype": label,
                          "threads": int(os.environ["OPENBLAS_NUM_THREADS"]), "ms": round(best * 1e3, 4),
                          "gflops": round(2.0 * m * n * k / best * 1e-9, 2)}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--shapes", default=SHAPES)
    ap.add_argument("--steelgrad", default="build/steelgrad")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child.split("|")[0], args.shapes, args.seconds, args.child.split("|")[1])
        return
    lib = find_lib()
    ours, theirs = {}, {}
    for t in [int(v) for v in args.threads.split(",")]:
        out = subprocess.run([args.steelgrad, "bench", "sgemm", "--threads", str(t), "--shapes", args.shapes],
                             check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            print(line, flush=True)
            r = json.loads(line)
            ours[(r["shape"], t)] = r["gflops"]
        for core in ("auto", "SkylakeX", "Haswell"):
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t))
            env.pop("OPENBLAS_CORETYPE", None)
            if core != "auto":
                env["OPENBLAS_CORETYPE"] = core
            out = subprocess.run([sys.executable, __file__, "--shapes", args.shapes, "--seconds", str(args.seconds),
                                  "--child", lib + "|" + core], check=True, capture_output=True, text=True,
                                 env=env).stdout
            for line in out.splitlines():
                print(line, flush=True)
                r = json.loads(line)
                key = (r["shape"], t)
                if key not in theirs or r["gflops"] > theirs[key][0]:
                    theirs[key] = (r["gflops"], core)
    for (shape, t), g in ours.items():
        best, core = theirs[(shape, t)]
        print(json.dumps({"bench": "sgemm_openblas_ratio", "shape": shape, "threads": t, "gflops_ours": g,
                          "gflops_openblas_best": best, "best_coretype": core,
                          "ours_over_best": round(g / best, 3), "load1": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
