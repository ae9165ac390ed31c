"""PyTorch twin of `steelgrad train --recipe examples/fast.conf` (time-to-accuracy).

Usage: /work/venv/bin/python bench/fast_recipe_torch.py RECIPE SPLIT_CSV [--threads N]
                                                        [--epochs N] [--size N]
RECIPE is the steelgrad recipe (key = value lines, e.g. examples/fast.conf);
SPLIT_CSV is RUN/split.csv written by `steelgrad train` (path,label,split; paths
relative to the CSV's folder), so both frameworks train, select and test on the
same images. Reproduced from the recipe: model `cnn` (4 x conv3x3(pad 1, bias)-
BN-ReLU-maxpool2, widths 8-16-32-64 times width_mult rounded, global max pool,
linear), gray (or RGB)
input resized to SIZE x SIZE (PIL bilinear, antialiased like steelgrad's
bilinear-AA), values / 255 ("unit" norm), random h/v flips, Adam/AdamW/SGD,
warm-up (from lr/3, linear) + cosine per step, balanced class weights in the
cross-entropy, BATCH images per step (last smaller batch kept), best epoch by
val accuracy (ties: lower val loss), test once with the best weights. Images are
decoded once and kept in memory (as steelgrad's decoded-image cache).
The wall time covers everything from reading the split to the test accuracy.
Prints one JSON line: {"impl":"torch","seconds":...,"test_accuracy":...,...}.
Defaults, architecture and init are torch's own (not steelgrad's), so the two
runs agree in recipe, not bit for bit.
"""
import argparse
import copy
import csv
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def read_recipe(path):
    cfg = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if "=" in line:
                k, v = (s.strip() for s in line.split("=", 1))
                cfg[k.replace("-", "_")] = v
    return cfg


def truthy(v):
    return str(v).lower() in ("1", "true", "yes", "on")


class CNN(nn.Module):
    def __init__(self, channels, classes, widths=(8, 16, 32, 64)):
        super().__init__()
        layers, c = [], channels
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1, bias=True), nn.BatchNorm2d(w),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c = w
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, classes)

    def forward(self, x):
        x = F.adaptive_max_pool2d(self.features(x), 1).flatten(1)
        return self.classifier(x)


def load_split(split_csv, size, channels):
    base = os.path.dirname(os.path.abspath(split_csv))
    rows = list(csv.DictReader(open(split_csv, newline="")))
    classes = sorted({r["label"] for r in rows})
    index = {c: i for i, c in enumerate(classes)}
    parts = {}
    mode = "L" if channels == 1 else "RGB"
    for r in rows:
        img = Image.open(os.path.join(base, r["path"])).convert(mode)
        img = img.resize((size, size), Image.BILINEAR)
        a = np.asarray(img, dtype=np.float32) / 255.0
        a = a[None] if channels == 1 else a.transpose(2, 0, 1)
        parts.setdefault(r["split"], ([], []))
        parts[r["split"]][0].append(a)
        parts[r["split"]][1].append(index[r["label"]])
    return classes, {k: (torch.from_numpy(np.stack(x)), torch.tensor(y)) for k, (x, y) in parts.items()}


def evaluate(model, data, weight, batch):
    model.eval()
    x, y = data
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            out = model(x[i:i + batch])
            loss += F.cross_entropy(out, y[i:i + batch], weight=weight, reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    return correct / max(len(y), 1), loss / max(len(y), 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("recipe")
    ap.add_argument("split_csv")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--size", type=int)
    a = ap.parse_args()
    t0 = time.perf_counter()
    torch.set_num_threads(a.threads)
    cfg = read_recipe(a.recipe)
    if cfg.get("model", "cnn") != "cnn":
        raise SystemExit("fast_recipe_torch.py: only model = cnn is reproduced, got %s" % cfg["model"])
    seed = int(cfg.get("seed", 42))
    torch.manual_seed(seed)
    size = a.size or int(cfg.get("size", 96))
    channels = int(cfg.get("channels", 1))
    epochs = a.epochs or int(cfg.get("epochs", 24))
    batch = int(cfg.get("batch", 32))
    lr = float(cfg.get("lr", 0.001))
    min_lr = float(cfg.get("min_lr", 0))
    wd = float(cfg.get("weight_decay", 0))
    classes, parts = load_split(a.split_csv, size, channels)
    K = len(classes)
    xtr, ytr = parts["train"]
    weight = None
    if cfg.get("class_weights", "none") == "balanced":   # n / (K * count_k), as sklearn
        counts = torch.bincount(ytr, minlength=K).double()
        weight = (len(ytr) / (K * counts)).float()
    label_smoothing = float(cfg.get("label_smoothing", 0))
    wm = float(cfg.get("width_mult", 1) or 1)
    model = CNN(channels, K, tuple(max(1, int(math.floor(w * wm + 0.5))) for w in (8, 16, 32, 64)))
    opt_name = cfg.get("optimizer", "adam")
    if opt_name == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=float(cfg.get("momentum", 0)),
                              weight_decay=wd)
    elif opt_name == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
    per_epoch = math.ceil(len(ytr) / batch)
    warm, total = int(cfg.get("warmup_epochs", 0)) * per_epoch, epochs * per_epoch
    cosine = cfg.get("schedule", "constant") == "cosine"

    def lr_at(step):   # optim/schedule.c sg_lr_warmup_cosine, warm-up from lr / 3
        if not cosine:
            return lr
        if step < warm:
            return lr * (1 / 3 + (2 / 3) * step / warm)
        if step >= total:
            return min_lr
        return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * (step - warm) / (total - warm))) / 2

    hflip, vflip = truthy(cfg.get("hflip", "false")), truthy(cfg.get("vflip", "false"))
    gen = torch.Generator().manual_seed(seed)
    best = (-1.0, math.inf, None, 0)
    step = 0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(ytr), generator=gen)
        for i in range(0, len(ytr), batch):
            idx = order[i:i + batch]
            x, y = xtr[idx].clone(), ytr[idx]
            if hflip:
                m = torch.rand(len(idx), generator=gen) < 0.5
                x[m] = x[m].flip(3)
            if vflip:
                m = torch.rand(len(idx), generator=gen) < 0.5
                x[m] = x[m].flip(2)
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            opt.zero_grad()
            F.cross_entropy(model(x), y, weight=weight, label_smoothing=label_smoothing).backward()
            opt.step()
            step += 1
        if "val" in parts:
            acc, loss = evaluate(model, parts["val"], weight, batch)
            if acc > best[0] or (acc == best[0] and loss < best[1]):
                best = (acc, loss, copy.deepcopy(model.state_dict()), epoch + 1)
    if best[2] is not None:
        model.load_state_dict(best[2])
    test_acc = evaluate(model, parts["test"], weight, batch)[0] if "test" in parts else float("nan")
    print(json.dumps({"bench": "time_to_accuracy", "impl": "torch", "version": torch.__version__,
                      "recipe": a.recipe, "threads": torch.get_num_threads(), "epochs": epochs,
                      "size": size, "train_images": len(ytr), "best_epoch": best[3],
                      "val_accuracy": best[0], "test_accuracy": test_acc,
                      "seconds": round(time.perf_counter() - t0, 2),
                      "loadavg": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
