"""PyTorch's side of bench/bench_train_step.c: one training step, speed and memory.

Usage: /work/venv/bin/python bench/bench_train_step_torch.py [MODEL [BATCH [SIZE [STEPS [THREADS]]]]]
(defaults: mobilenetv2 32 224 3 2). Same model from torchvision (mobilenet_v2,
resnet50, ... with 1000 classes; cct000_small/medium/large from vit-pytorch; cnn, the demo CNN, from fast_recipe_torch.py), train mode, random BATCH x 3 x SIZE x SIZE
batch, forward + cross-entropy + backward + Adam step (torch.optim.Adam
defaults), torch.set_num_threads(THREADS): one warm-up step, then STEPS timed.
Prints one JSON line with the fields of the C bench (peak RSS = VmHWM).
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
import torchvision


def peak_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cct000(name, size):
    """Paper 000's CCT presets (models/cct.c) as vit-pytorch builds them (needs vit-pytorch)."""
    from vit_pytorch.cct import CCT
    dim, convs, layers, heads, mlp = {"cct000_small": (64, 2, 4, 4, 1),
                                      "cct000_medium": (256, 4, 8, 8, 1),
                                      "cct000_large": (768, 4, 12, 12, 3)}[name]
    return CCT(img_size=size, embedding_dim=dim, n_conv_layers=convs, kernel_size=3, stride=1,
               padding=1, num_layers=layers, num_heads=heads, mlp_ratio=mlp, num_classes=1000)


def main():
    a = sys.argv[1:]
    name = a[0] if len(a) > 0 else "mobilenetv2"
    batch, size, steps, threads = (int(a[i]) if len(a) > i else d
                                   for i, d in ((1, 32), (2, 224), (3, 3), (4, 2)))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if name.startswith("cct000_"):
        model = cct000(name, size)
    elif name == "cnn":   # the demo's and the fast recipe's CNN (models/cnn.c), its twin in fast_recipe_torch.py
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from fast_recipe_torch import CNN
        model = CNN(3, 1000)
    else:
        ctor = {"mobilenetv2": torchvision.models.mobilenet_v2}.get(name) or getattr(torchvision.models, name)
        model = ctor(num_classes=1000)
    model.train()
    opt = torch.optim.Adam(model.parameters())
    x = torch.rand(batch, 3, size, size) * 2 - 1
    y = torch.arange(batch) * 37 % 1000

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    print(json.dumps({"bench": "train_step", "impl": "torch", "version": torch.__version__,
                      "model": name, "threads": torch.get_num_threads(), "batch": batch,
                      "size": size, "steps": steps, "step_ms": round(dt / steps * 1e3, 1),
                      "images_per_s": round(batch * steps / dt, 2),
                      "peak_rss_bytes": peak_rss_bytes(),
                      "loadavg": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
