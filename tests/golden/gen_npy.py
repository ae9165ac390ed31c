"""Golden .npy files for tests/test_files.c, written by numpy itself.

Run from the repository root with /usr/bin/python3 tests/golden/gen_npy.py
(numpy 1.24). The files are committed; the C suite never needs Python.
The C test rebuilds every array from the same formula, so the values are
documented here and there.
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def save(name, a, version=None):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a, version=version, allow_pickle=False)
    print("wrote", path, os.path.getsize(path), "bytes")


# float32 (2, 3): k * 0.5 - 1 in C order; also the byte-exact reference for sg_npy_write_f32.
save("npy_f32_2x3.npy", (np.arange(6, dtype="<f4") * 0.5 - 1).reshape(2, 3))
# float32 (5,) and () for the shape spellings "(5,)" and "()".
save("npy_f32_5.npy", np.arange(5, dtype="<f4") / 4)
save("npy_f32_scalar.npy", np.array(3.5, dtype="<f4"))
# uint8 (2, 2, 3): k * 20, the reference for sg_npy_write_u8.
save("npy_u8_2x2x3.npy", (np.arange(12, dtype=np.uint8) * 20).reshape(2, 2, 3))
# big-endian float64 (2, 2): 1/3 * (k + 1) * (-1)^k.
save("npy_f64_be_2x2.npy", np.array([(k + 1) / 3 * (-1) ** k for k in range(4)], dtype=">f8").reshape(2, 2))
# Fortran-order int16 (2, 3, 4): value at C index k is k - 5.
save("npy_i16_fortran_2x3x4.npy", np.asfortranarray((np.arange(24, dtype="<i2") - 5).reshape(2, 3, 4)))
# bool (4,): [True, False, True, True].
save("npy_bool_4.npy", np.array([True, False, True, True]))
# float16 (6,): 1, -2, 65504 (max), 2^-24 (smallest subnormal), 2^-14 (smallest normal), inf.
save("npy_f16_6.npy", np.array([1, -2, 65504, 2.0 ** -24, 2.0 ** -14, np.inf], dtype="<f2"))
# int64 (3,), format versions 2.0 and 3.0: [-7, 0, 1 << 40].
save("npy_i64_3_v2.npy", np.array([-7, 0, 1 << 40], dtype="<i8"), version=(2, 0))
save("npy_i64_3_v3.npy", np.array([-7, 0, 1 << 40], dtype="<i8"), version=(3, 0))
