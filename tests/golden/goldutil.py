"""Shared helpers for the golden-file generators (tests/golden/gen_*.py).

Golden files are safetensors written by hand here (8-byte little-endian header
length, JSON header, raw little-endian data), so the generators need only
torch and numpy. Run from the repository root, e.g.
    python3 tests/golden/gen_conv.py
Each writes tests/golden/data/<case>.safetensors; the files are committed and
the C suite never needs Python.
"""
import json
import os
import struct

import numpy as np

try:  # the scikit-learn generators use only numpy
    import torch
except ImportError:
    torch = None

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def seed(n):
    if torch is not None:
        torch.manual_seed(n)
    np.random.seed(n)


def save(case, tensors, meta=None):
    """tensors: dict name -> torch tensor or numpy array (stored as F32)."""
    os.makedirs(OUT_DIR, exist_ok=True)
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        if torch is not None and isinstance(t, torch.Tensor):
            t = t.detach().cpu().numpy()
        a = np.array(t, dtype="<f4", order="C")  # keeps 0-d arrays 0-d
        raw = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if meta:
        header["__metadata__"] = {str(k): str(v) for k, v in meta.items()}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    path = os.path.join(OUT_DIR, case + ".safetensors")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    print("wrote", path, offset, "bytes of data")
