"""Golden Grad-CAM / Grad-CAM++ maps for tests/test_gradcam.c.

Run from the repository root with the virtualenv of gen_models.py plus the
reference implementation, PyPI `grad-cam` (pytorch-grad-cam):
    /work/venv/bin/pip install grad-cam
    /work/venv/bin/python tests/golden/gen_gradcam.py
Tested with grad-cam 1.5.7, torch 2.15, torchvision 0.29.

Two models, their weights set by the rule of gen_models.py (set_rule: nothing
large is committed), eval mode, one input [1, C, 64, 64] by the same rule
(rule_input "x"):
  resnet18  torchvision, 10 classes, RGB
  cnn       steelgrad's demo CNN (models/cnn.c) written as an nn.Sequential:
            4 x (conv3x3 pad 1, BatchNorm, ReLU, MaxPool 2), widths 8-16-32-64,
            global max pool, Linear "classifier"; 10 classes, gray
For each CASES row (layer, method, target; target -1 = the predicted class,
pytorch-grad-cam's targets=None), the map [64, 64] goes into
tests/golden/data/gradcam_<model>.npy ([cases, 64, 64] float32) and a line
"<layer> <method> <target> <explained class> <predicted class>" into
gradcam_<model>.txt.
"""
import os

import numpy as np
import torch
import torchvision
from torch import nn
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from gen_models import rule_input, set_rule

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
CLASSES = 10
SIZE = 64


class CNN(nn.Module):
    def __init__(self, channels, classes, widths=(8, 16, 32, 64)):
        super().__init__()
        layers, c = [], channels
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2)]
            c = w
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, classes)

    def forward(self, x):
        x = torch.amax(self.features(x), dim=(2, 3))
        return self.classifier(x)


MODELS = {
    "resnet18": (lambda: torchvision.models.resnet18(num_classes=CLASSES), 3),
    "cnn": (lambda: CNN(1, CLASSES), 1),
}
CASES = {
    "resnet18": [("layer4", "gradcam", -1), ("layer4", "gradcam++", -1),
                 ("layer3", "gradcam", 3), ("layer3", "gradcam++", 3)],
    "cnn": [("features.15", "gradcam", -1), ("features.15", "gradcam++", -1),
            ("features.10", "gradcam", 7), ("features.10", "gradcam++", 7),
            ("features.11", "gradcam++", -1)],
}
METHODS = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus}


def module(model, path):
    m = model
    for part in path.split("."):
        m = m[int(part)] if part.isdigit() else getattr(m, part)
    return m


def main():
    torch.set_num_threads(1)
    for name, (build, channels) in MODELS.items():
        model = build()
        set_rule(model)
        model.eval()
        x = rule_input("x", (1, channels, SIZE, SIZE))
        with torch.no_grad():
            pred = int(model(x).argmax(1))
        maps, lines = [], []
        for layer, method, target in CASES[name]:
            cam = METHODS[method](model=model, target_layers=[module(model, layer)])
            targets = None if target < 0 else [ClassifierOutputTarget(target)]
            m = cam(input_tensor=x, targets=targets)[0]
            maps.append(m.astype(np.float32))
            lines.append("%s %s %d %d %d" % (layer, method, target, pred if target < 0 else target, pred))
            print(name, lines[-1], "peak", np.unravel_index(np.argmax(m), m.shape), "min %.3g max %.3g"
                  % (m.min(), m.max()))
        np.save(os.path.join(OUT_DIR, "gradcam_%s.npy" % name), np.stack(maps))
        with open(os.path.join(OUT_DIR, "gradcam_%s.txt" % name), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
