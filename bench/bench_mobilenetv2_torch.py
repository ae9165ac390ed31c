"""PyTorch's side of bench/bench_loader.c: one MobileNetV2 training step.

Usage: /usr/bin/python3 bench/bench_mobilenetv2_torch.py THREADS BATCH SIZE CLASSES STEPS
Times what the C bench times - torchvision mobilenet_v2(num_classes=CLASSES)
in train mode (dropout 0.2), forward + cross-entropy + backward + Adam step
(torch.optim.Adam defaults) - on random BATCH x 3 x SIZE x SIZE batches, with
torch.set_num_threads(THREADS). Two warm-up steps (as the C bench), then the
mean of STEPS.
Prints one JSON line:
  {"bench":"mobilenetv2_step","impl":"torch","threads":2,...,"step_ms_per_batch":...}
"""
import json
import sys
import time

import torch
import torch.nn.functional as F
import torchvision


def main():
    threads, batch, size, classes, steps = (int(a) for a in sys.argv[1:6])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(num_classes=classes)
    model.train()
    opt = torch.optim.Adam(model.parameters())
    xs = [torch.randn(batch, 3, size, size) for _ in range(2)]
    ys = [torch.randint(0, classes, (batch,)) for _ in range(2)]

    def step(i):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs[i % 2]), ys[i % 2])
        loss.backward()
        opt.step()

    step(0)
    step(1)
    t0 = time.perf_counter()
    for i in range(steps):
        step(i)
    ms = (time.perf_counter() - t0) / steps * 1e3
    print(json.dumps({"bench": "mobilenetv2_step", "impl": "torch", "version": torch.__version__,
                      "threads": torch.get_num_threads(), "batch": batch, "size": size,
                      "classes": classes, "steps": steps, "step_ms_per_batch": round(ms, 1)}))


if __name__ == "__main__":
    main()
