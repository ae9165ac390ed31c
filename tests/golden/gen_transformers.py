"""Golden files for the transformers (tests/test_transformers.c).

Run from the repository root with torch, torchvision and vit-pytorch (PyPI,
in a virtualenv outside the repository; vit-pytorch needs einops):
    /work/venv/bin/pip install vit-pytorch einops
    /work/venv/bin/python tests/golden/gen_transformers.py
Tested with torch 2.15, torchvision 0.29, vit-pytorch 1.26.14.

Two tiny models, every parameter and buffer set by the rule of
tests/golden/gen_models.py (tests/modelrule.h), input [2, 3, 32, 32] by the
same rule, eval mode:
  cct_tiny  vit_pytorch.cct.CCT(img_size=32, embedding_dim=32, n_conv_layers=2,
            kernel_size=3, stride=1, padding=1, num_layers=2, num_heads=4,
            mlp_ratio=2, num_classes=10)          (sinusoidal position embedding)
  vit_tiny  torchvision.models.VisionTransformer(image_size=32, patch_size=8,
            num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10)
For each, into tests/golden/data/:
  models_<name>_logits.npy   logits [2, 10] (float64 forward, stored as float32)
  models_<name>_keys.txt     "<name> <shape>" per state_dict entry
  transformers_<name>.safetensors
                             "grad.<param>": gradients of sum(logits * dy)
                             (dy the rule's "dy") for a few parameters, and
                             "attn.<i>": block i's attention probabilities averaged
                             over heads [2, T, T] (and CCT's "pool" [2, T]), and
                             "rollout" [2, grid^2]: attention rollout per patch
and transformers_misc.safetensors: vit-pytorch's sinusoidal_embedding(64, 32)
and a [1, 8, 4, 4] grid resized to 6 x 6 by F.interpolate(bilinear,
align_corners=False), for sg_sinusoidal_embedding and sg_pos_embed_resize.
Parameter counts of the zoo's presets (with 1000 classes, as the references
build them) go to transformers_counts.txt.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from vit_pytorch import cct as vcct

import goldutil
from gen_models import OUT_DIR, rule_input, set_rule


def cct_tiny():
    return vcct.CCT(img_size=32, embedding_dim=32, n_conv_layers=2, kernel_size=3, stride=1,
                    padding=1, num_layers=2, num_heads=4, mlp_ratio=2, num_classes=10)


def vit_tiny():
    return torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2,
                                                num_heads=2, hidden_dim=32, mlp_dim=64,
                                                num_classes=10)


GRADS = {
    "cct_tiny": ["tokenizer.conv_layers.0.0.weight", "classifier.blocks.0.self_attn.qkv.weight",
                 "classifier.blocks.1.norm1.weight", "classifier.attention_pool.weight",
                 "classifier.fc.bias"],
    "vit_tiny": ["conv_proj.weight", "class_token", "encoder.pos_embedding",
                 "encoder.layers.encoder_layer_0.self_attention.in_proj_weight",
                 "encoder.layers.encoder_layer_1.mlp.0.weight", "heads.head.weight"],
}


def attention_hooks(model, name):
    """Head-averaged attention of every block, captured in the forward."""
    maps = []
    if name == "cct_tiny":
        for blk in model.classifier.blocks:
            att = blk.self_attn

            def fwd(mod, inp, out, att=att):
                x = inp[0]
                B, N, C = x.shape
                qkv = att.qkv(x).reshape(B, N, 3, att.heads, C // att.heads).permute(2, 0, 3, 1, 4)
                a = ((qkv[0] * att.scale) @ qkv[1].transpose(-2, -1)).softmax(-1)
                maps.append(a.mean(1))
            att.register_forward_hook(fwd)
    else:
        for layer in model.encoder.layers:
            sa = layer.self_attention

            def fwd(mod, inp, out, sa=sa):
                x = inp[0]
                B, N, C = x.shape
                h = sa.num_heads
                qkv = F.linear(x, sa.in_proj_weight, sa.in_proj_bias)
                qkv = qkv.reshape(B, N, 3, h, C // h).permute(2, 0, 3, 1, 4)
                a = (qkv[0] @ qkv[1].transpose(-2, -1) / (C // h) ** 0.5).softmax(-1)
                maps.append(a.mean(1))
            sa.register_forward_hook(fwd)
    return maps


def golden(name, build):
    model = build()
    state = set_rule(model)
    model.eval()
    x = rule_input("x", (2, 3, 32, 32))
    with torch.no_grad():
        y32 = model(x).double()
    m64 = build().double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    m64.eval()
    maps = attention_hooks(m64, name)
    pool = {}
    if name == "cct_tiny":
        m64.classifier.attention_pool.register_forward_hook(
            lambda mod, inp, out: pool.__setitem__("w", out.squeeze(-1).softmax(1)))
    y64 = m64(x.double())
    err = ((y32 - y64).abs().max() / y64.abs().max()).item()
    print("%-9s logits %s max |logit| %.4g, torch float32 vs float64 %.2g of it"
          % (name, tuple(y64.shape), y64.abs().max().item(), err))
    dy = rule_input("dy", tuple(y64.shape)).double()
    (y64 * dy).sum().backward()
    params = dict(m64.named_parameters())
    out = {"grad." + p: params[p].grad for p in GRADS[name]}
    out.update({"attn.%d" % i: a.detach() for i, a in enumerate(maps)})
    if pool:
        out["pool"] = pool["w"].detach()
    # Attention rollout (Abnar & Zuidema 2020, as jacobgil/vit-explain with head
    # fusion "mean", no discarding): B = (A + I) / 2, rows renormalised,
    # R = B_L ... B_1; per sample, ViT's class-token row over the patches, CCT's
    # pool-weighted rows w R.
    R = torch.eye(maps[0].shape[-1], dtype=torch.float64).expand_as(maps[0])
    for a in maps:
        b = (a.detach() + torch.eye(a.shape[-1], dtype=torch.float64)) / 2
        b = b / b.sum(-1, keepdim=True)
        R = b @ R
    if pool:
        out["rollout"] = (pool["w"].detach().unsqueeze(1) @ R).squeeze(1)
    else:
        out["rollout"] = R[:, 0, 1:]
    goldutil.save("transformers_" + name, {k: v.float() for k, v in out.items()})
    np.save(os.path.join(OUT_DIR, "models_%s_logits.npy" % name), y64.detach().float().numpy())
    with open(os.path.join(OUT_DIR, "models_%s_keys.txt" % name), "w") as f:
        for k, t in state.items():
            f.write("%s %s\n" % (k, "x".join(str(d) for d in t.shape) or "scalar"))


def counts():
    def n(m):
        return sum(p.numel() for p in m.parameters() if p.requires_grad)
    rows = []
    for name, kw in [("cct000_small", dict(embedding_dim=64, n_conv_layers=2, num_layers=4,
                                           num_heads=4, mlp_ratio=1)),
                     ("cct000_medium", dict(embedding_dim=256, n_conv_layers=4, num_layers=8,
                                            num_heads=8, mlp_ratio=1)),
                     ("cct000_large", dict(embedding_dim=768, n_conv_layers=4, num_layers=12,
                                           num_heads=12, mlp_ratio=3))]:
        rows.append((name, n(vcct.CCT(img_size=128, kernel_size=3, stride=1, padding=1,
                                      num_classes=1000, **kw))))
    for name, fn, size, kernel, convs in [("cct_7_3x1_32", vcct.cct_7, 32, 3, 1),
                                          ("cct_14_7x2_224", vcct.cct_14, 224, 7, 2)]:
        rows.append((name, n(fn(img_size=size, kernel_size=kernel, n_conv_layers=convs,
                                num_classes=1000, positional_embedding="learnable"))))
    rows.append(("vit_b_16", n(torchvision.models.vit_b_16())))
    with open(os.path.join(OUT_DIR, "transformers_counts.txt"), "w") as f:
        for name, c in rows:
            print("%-16s %d" % (name, c))
            f.write("%s %d\n" % (name, c))


def misc():
    pe = vcct.sinusoidal_embedding(64, 32)[0]
    grid = rule_input("grid", (1, 8, 4, 4))
    resized = F.interpolate(grid, size=(6, 6), mode="bilinear", align_corners=False)
    goldutil.save("transformers_misc", {"sine": pe, "grid": grid, "resized": resized})


def main():
    torch.set_num_threads(1)
    golden("cct_tiny", cct_tiny)
    golden("vit_tiny", vit_tiny)
    misc()
    counts()


if __name__ == "__main__":
    main()
