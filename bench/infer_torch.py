"""PyTorch's (and ONNX Runtime's) side of `steelgrad bench infer`: eval forwards, latency and memory.

Usage: /work/venv/bin/python bench/infer_torch.py [--ort] [MODEL [BATCH [SIZE [STEPS [THREADS]]]]]
(defaults: mobilenetv2 1 224 10 2). The same model from torchvision (mobilenet_v2,
resnet50, ... with 1000 classes), model.eval() under torch.inference_mode(), on a
random BATCH x 3 x SIZE x SIZE batch, torch.set_num_threads(THREADS): one warm-up
forward, then STEPS timed. Prints one JSON line with the fields of the C bench
(ms per forward, images/s, peak RSS in kB from getrusage of this process). Run one
process per case so each peak RSS is its own (bench/infer_vs_torch.sh does).

--ort: the model exported to ONNX (torch.onnx.export, a temporary file), then run by
onnxruntime's CPU provider with intra_op_num_threads = THREADS; peak RSS then also
holds torch and the export. When onnxruntime is not installed, one JSON line with
"skipped" says so (exit 0).
"""
import json
import warnings
import os
import resource
import sys
import tempfile
import time


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def build(name):
    import torchvision
    ctor = {"mobilenetv2": torchvision.models.mobilenet_v2}.get(name) or getattr(torchvision.models, name)
    return ctor(num_classes=1000).eval()


def timed(fn, steps):
    fn()
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - t0) / steps


def main():
    args = sys.argv[1:]
    ort = "--ort" in args
    a = [x for x in args if x != "--ort"]
    name = a[0] if len(a) > 0 else "mobilenetv2"
    batch, size, steps, threads = (int(a[i]) if len(a) > i else d
                                   for i, d in ((1, 1), (2, 224), (3, 10), (4, 2)))
    line = {"bench": "infer", "impl": "onnxruntime" if ort else "torch", "model": name,
            "batch": batch, "size": size, "threads": threads}
    if ort:
        try:
            import onnxruntime
        except ImportError:
            line["skipped"] = "onnxruntime is not installed in this Python (pip install onnxruntime)"
            print(json.dumps(line))
            return
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(name)
    x = torch.rand(batch, 3, size, size) * 2 - 1
    if ort:
        line["version"] = onnxruntime.__version__
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, name + ".onnx")
            warnings.simplefilter("ignore")   # the legacy exporter's deprecation notice
            with torch.inference_mode():
                torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["y"],
                                  dynamo=False)
            so = onnxruntime.SessionOptions()
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            sess = onnxruntime.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            xn = x.numpy()
            dt = timed(lambda: sess.run(["y"], {"x": xn}), steps)
    else:
        line["version"] = torch.__version__
        with torch.inference_mode():
            dt = timed(lambda: model(x), steps)
    line.update({"ms": round(dt * 1e3, 3), "img_s": round(batch / dt, 2),
                 "peak_rss_kb": peak_rss_kb(), "loadavg": round(os.getloadavg()[0], 2)})
    print(json.dumps(line))


if __name__ == "__main__":
    main()
