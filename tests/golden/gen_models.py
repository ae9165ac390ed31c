"""Golden logits for the zoo's reference models (tests/test_models.c).

Run from the repository root with torch, torchvision and timm (PyPI, in a
virtualenv outside the repository):
    python3 -m venv /work/venv && /work/venv/bin/pip install torch torchvision timm numpy
    /work/venv/bin/python tests/golden/gen_models.py
Tested with torch 2.15, torchvision 0.29, timm 1.0.31.

For each model it builds the reference (torchvision / timm) with CLASSES
outputs, sets EVERY parameter and buffer from a rule that tests/test_models.c
computes too (nothing large is committed), runs an eval-mode forward on an
input made by the same rule, and writes into tests/golden/data/:

models_<name>_logits.npy     the logits [2, CLASSES] (float32)
models_<name>_keys.txt       "<name> <d0>x<d1>x..." per state_dict entry, in
                             the reference's order (the C test checks that the
                             model has exactly these names and shapes)
models_<name>_train.safetensors
                             for a few models, train mode: logits, gradients of
                             a few parameters, running statistics after (TRAIN)

The rule (rule_values below; models_rule in the C test):
    h    = FNV-1a 32-bit hash of the tensor's name (UTF-8 bytes)
    x_i  = fmix32(h XOR (i * 0x9E3779B1 mod 2^32))   (murmur3's finaliser)
    u_i  = x_i / 2^32 in [0, 1), in double
    value by the name's last part and the tensor's rank:
      running_var                  0.5 + u
      running_mean                 0.2 * (2u - 1)
      num_batches_tracked          0
      weight of rank 1 (a norm)    0.5 + u
      bias of a norm (<p>.bias where <p>.running_mean exists)
                                   0.5 + 0.5 u  (positive: in train mode every channel
                                   stays alive after ReLU, so a batch of 2 small images
                                   is a well-conditioned reference, see TRAIN below)
      other bias                   0.2 * (2u - 1)
      weight of rank >= 2          sqrt(6 / fan_in) * (2u - 1), fan_in = numel / shape[0]
                                   (variance 2 / fan_in: He scaling, activations
                                   keep their size through ReLU networks)
    rounded once to float32. The input "x" [2, C, S, S] is 2u - 1.
"""
import copy
import os
import sys

import numpy as np
import timm
import torch
import torchvision

from torch import nn

import goldutil

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
CLASSES = 10
# name -> (builder, input channels, input size)
MODELS = {
    "resnet50": (lambda: torchvision.models.resnet50(num_classes=CLASSES), 3, 64),
    "resnet18": (lambda: torchvision.models.resnet18(num_classes=CLASSES), 3, 64),
    "resnetv2_50": (lambda: timm.create_model("resnetv2_50", num_classes=CLASSES), 3, 64),
    "inceptionv3": (lambda: torchvision.models.inception_v3(
        num_classes=CLASSES, aux_logits=True, init_weights=False, transform_input=False), 3, 75),
    "mobilenetv2": (lambda: torchvision.models.mobilenet_v2(num_classes=CLASSES), 3, 64),
}



class Head(nn.Module):
    """models/heads.c in PyTorch: gap256 / gap512 / alt001 on a feature map."""

    def __init__(self, kind, channels, classes):
        super().__init__()
        self.kind = kind
        hidden = {"gap256": 256, "gap512": 512, "alt001": 64}[kind]
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, classes)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        if self.kind == "alt001":
            x = nn.functional.max_pool2d(x, 3)                      # Keras MaxPooling2D((3, 3))
            x = self.drop(torch.relu(self.fc1(x.permute(0, 2, 3, 1))))  # Dense on each pixel
            return self.fc2(x.mean(dim=(1, 2)))
        x = x.mean(dim=(2, 3))
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


class WithHead(nn.Module):
    """A torchvision ResNet's layers up to layer4 ("backbone." + its own names), then a Head."""

    def __init__(self, resnet, kind, classes):
        super().__init__()
        resnet.fc = nn.Identity()
        self.backbone = resnet
        self.head = Head(kind, 512 if isinstance(resnet.layer4[0], torchvision.models.resnet.BasicBlock)
                         else 2048, classes)

    def forward(self, x):
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(x))))
        x = b.layer4(b.layer3(b.layer2(b.layer1(x))))
        return self.head(x)


class CNN002(nn.Module):
    """models/cnn002.h as a PyTorch nn.Sequential pair."""

    def __init__(self, channels, size, classes):
        super().__init__()
        layers, c = [], channels
        for w in (32, 64, 128, 128):
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c = w
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(c * (size // 16) ** 2, 512), nn.ReLU(),
                                        nn.Dropout(0.5), nn.Linear(512, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


MODELS.update({
    "resnet18_gap256": (lambda: WithHead(torchvision.models.resnet18(), "gap256", CLASSES), 3, 64),
    "resnet18_alt001": (lambda: WithHead(torchvision.models.resnet18(), "alt001", CLASSES), 3, 96),
    "resnet50_gap512": (lambda: WithHead(torchvision.models.resnet50(), "gap512", CLASSES), 3, 64),
    "cnn002": (lambda: CNN002(1, 64, CLASSES), 1, 64),
})

M32 = np.uint64(0xFFFFFFFF)


def fnv1a32(name):
    h = 0x811C9DC5
    for b in name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def rule_u(name, n):
    """u_i in [0, 1) for i = 0 .. n-1 (numpy uint64 arithmetic masked to 32 bits)."""
    i = np.arange(n, dtype=np.uint64)
    x = (np.uint64(fnv1a32(name)) ^ ((i * np.uint64(0x9E3779B1)) & M32)) & M32
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & M32
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & M32
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 4294967296.0


def rule_values(name, shape, norm_bias=False):
    n = int(np.prod(shape)) if len(shape) else 1
    u = rule_u(name, n)
    leaf = name.rsplit(".", 1)[-1]
    if norm_bias:
        v = 0.5 + 0.5 * u
    elif leaf == "running_var":
        v = 0.5 + u
    elif leaf == "running_mean":
        v = 0.2 * (2 * u - 1)
    elif leaf == "num_batches_tracked":
        v = np.zeros(n)
    elif leaf == "bias":
        v = 0.2 * (2 * u - 1)
    elif len(shape) >= 2:
        fan_in = n // shape[0]
        v = np.sqrt(6.0 / fan_in) * (2 * u - 1)
    else:
        v = 0.5 + u
    return v.astype(np.float32).reshape(shape)


def set_rule(model):
    """Every parameter and buffer of model by the rule, under the C model's name
    (WithHead's "backbone." prefix dropped: the C backbone keeps torchvision's names)."""
    state = model.state_dict()
    new = {}
    for k, t in state.items():
        norm_bias = k.endswith(".bias") and k[:-len("bias")] + "running_mean" in state
        v = rule_values(k.replace("backbone.", "", 1), tuple(t.shape), norm_bias)
        new[k] = torch.from_numpy(v).to(t.dtype)
    model.load_state_dict(new)
    return state


def rule_input(name, shape):
    return torch.from_numpy((2 * rule_u(name, int(np.prod(shape))) - 1).astype(np.float32)
                            .reshape(shape))


# Backward: name -> (builder, size, train mode, tensors whose gradient of
# sum(logits * dy) is stored, BN layers whose running statistics after that
# forward are stored). dy is the rule's input named "dy". Train mode: batch
# statistics, dropout off. Written to models_<name>_train.safetensors (metadata
# "train" 1 or 0); train_golden checks that torch's float32 results are within
# 2e-5 of each tensor's scale of its float64 ones (the stored reference).
# InceptionV3 runs in eval mode here: in train mode its 94 BatchNorm layers over
# a batch of two small images amplify float32 rounding to ~3e-3 of the scale
# (checked at 107, 139 and 171 pixels), too much for a reference; eval mode
# still takes the backward of every op it uses (concat, the avg pool counting
# its padding, the max pool of InceptionD, the 1x7 / 7x1 convolutions). Only
# the top of the network (Mixed_6e and above) is compared: deeper down, this
# point of the network's function sits within float32 rounding of a kink (a
# ReLU input near 0 or a near-tie in a max pool): steelgrad's own finite
# differences of Mixed_6b.branch1x1.bn.weight[73] give 0.515-0.517 while
# torch's and steelgrad's analytic gradients give 0.504 or 0.517 depending on
# which side of the kink the summation order lands (AVX2 vs scalar SGEMM), so
# no float32 implementation can be checked there at 1e-4.
TRAIN = {
    "resnet18": (lambda: torchvision.models.resnet18(num_classes=CLASSES), 64, True,
                 ["conv1.weight", "bn1.weight", "layer2.0.downsample.1.weight",
                  "layer3.1.bn2.bias", "layer4.1.bn2.weight", "fc.weight", "fc.bias"],
                 ["bn1", "layer4.1.bn2"]),
    "resnetv2_50": (lambda: timm.create_model("resnetv2_50", num_classes=CLASSES), 64, True,
                    ["stem.conv.weight", "stages.0.blocks.0.norm1.weight",
                     "stages.1.blocks.0.norm1.weight", "stages.3.blocks.2.norm3.bias",
                     "norm.weight", "head.fc.weight", "head.fc.bias"],
                    ["stages.0.blocks.0.norm1", "norm"]),
    "inceptionv3": (lambda: torchvision.models.inception_v3(
        num_classes=CLASSES, aux_logits=False, init_weights=False, dropout=0.0), 107, False,
        ["Mixed_6e.branch1x1.bn.weight", "Mixed_6e.branch7x7_2.bn.weight",
         "Mixed_6e.branch7x7dbl_5.bn.weight", "Mixed_6e.branch_pool.bn.weight",
         "Mixed_7a.branch7x7x3_4.bn.weight", "Mixed_7b.branch3x3_2a.bn.weight",
         "Mixed_7c.branch3x3dbl_3b.bn.weight", "Mixed_7c.branch_pool.bn.weight", "fc.weight",
         "fc.bias"],
        []),
}


def train_golden(name):
    build, size, train, grads, bns = TRAIN[name]
    model = build()
    set_rule(model)
    model64 = copy.deepcopy(model).double()
    x = rule_input("x", (2, 3, size, size))
    out, worst = {}, 0.0
    for m, xx in ((model64, x.double()), (model, x)):
        m.train(train)
        y = m(xx)
        dy = rule_input("dy", tuple(y.shape)).to(y.dtype)
        (y * dy).sum().backward()
        params, buffers = dict(m.named_parameters()), dict(m.named_buffers())
        got = {"logits": y.detach()}
        got.update({"grad." + g: params[g].grad for g in grads})
        for bn in bns:
            for leaf in ("running_mean", "running_var"):
                got["after.%s.%s" % (bn, leaf)] = buffers["%s.%s" % (bn, leaf)]
        if m is model64:
            out = got
        else:
            for k, v in got.items():
                err = ((v.double() - out[k]).abs().max() / out[k].abs().max()).item()
                worst = max(worst, err)
                print("  %s train %-44s torch float32 vs float64 %.2g of max %.3g"
                      % (name, k, err, out[k].abs().max().item()))
    assert worst < 2e-5, "%s: the train-mode reference is ill-conditioned (%.2g)" % (name, worst)
    goldutil.save("models_%s_train" % name, {k: v.float() for k, v in out.items()},
                  {"size": size, "classes": CLASSES, "train": int(train)})


def main():
    torch.set_num_threads(1)
    only = set(sys.argv[1:])
    for name in TRAIN:
        if not only or name + "_train" in only:
            train_golden(name)
    for name, (build, channels, size) in MODELS.items():
        if only and name not in only:
            continue
        model = build()
        state = set_rule(model)
        model.eval()
        x = rule_input("x", (2, channels, size, size))
        with torch.no_grad():
            y = model(x).double()
            x64 = x.double()
            y64 = model.double()(x64)
        err = ((y - y64).abs().max() / y64.abs().max()).item()
        print("%-12s logits %s max |logit| %.4g, torch float32 vs float64 %.2g of it"
              % (name, tuple(y.shape), y64.abs().max().item(), err))
        np.save(os.path.join(OUT_DIR, "models_%s_logits.npy" % name), y64.float().numpy())
        with open(os.path.join(OUT_DIR, "models_%s_keys.txt" % name), "w") as f:
            for k, t in state.items():
                f.write("%s %s\n" % (k.replace("backbone.", "", 1), "x".join(str(d) for d in t.shape) or "scalar"))


if __name__ == "__main__":
    main()
