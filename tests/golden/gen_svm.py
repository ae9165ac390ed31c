"""Golden values for optim/svm.c: scikit-learn's LinearSVC(dual=True), i.e.
LIBLINEAR's dual coordinate descent, on small fixed data.

Run from the repository root:  /work/venv/bin/python tests/golden/gen_svm.py
(needs numpy and scikit-learn; torch is not used). Writes
tests/golden/data/svm.safetensors, read by tests/test_golden_svm.c, which
repeats the options below.

Data (float32-representable, so both sides see the same numbers):
  bin   60 x 5, two overlapping Gaussian classes (36 / 24), column 3 constant
  tri   90 x 4, three classes (40 / 30 / 20) in overlapping clusters
Cases: <set>_<loss>[_balanced] with C as listed; tol 1e-10, max_iter 1e6 so
that the fit is the optimum, not a point on the way there.
"""

import numpy as np
import sklearn
from goldutil import save
from sklearn.svm import LinearSVC


CASES = [  # name, set, loss, C, class_weight
    ("bin_hinge", "bin", "hinge", 1.0, None),
    ("bin_squared_hinge", "bin", "squared_hinge", 1.0, None),
    ("bin_hinge_balanced", "bin", "hinge", 0.5, "balanced"),
    ("tri_hinge", "tri", "hinge", 1.0, None),
    ("tri_squared_hinge", "tri", "squared_hinge", 0.3, None),
    ("tri_squared_hinge_balanced", "tri", "squared_hinge", 1.0, "balanced"),
]


def data():
    rng = np.random.RandomState(7)
    xb = np.concatenate([rng.randn(36, 5) + [1.0, 0.5, 0.0, 0.0, -0.5],
                         rng.randn(24, 5) * 1.3 + [-0.5, -0.5, 0.5, 0.0, 0.5]])
    xb[:, 3] = 2.5  # a constant column must not hurt
    yb = np.array([0] * 36 + [1] * 24)
    p = rng.permutation(60)
    xb, yb = xb[p], yb[p]
    centers = np.array([[1.5, 0, 0, 1], [-1, 1.5, 0, 0], [0, -1, 1.5, -1]])
    counts = [40, 30, 20]
    xt = np.concatenate([rng.randn(n, 4) * 1.2 + c for n, c in zip(counts, centers)])
    yt = np.concatenate([[k] * n for k, n in enumerate(counts)])
    p = rng.permutation(90)
    xt, yt = xt[p], yt[p]
    f32 = lambda a: a.astype(np.float32).astype(np.float64)
    return {"bin": (f32(xb), yb), "tri": (f32(xt), yt)}


def main():
    sets = data()
    out = {}
    for s, (x, y) in sets.items():
        out[s + ".x"] = x
        out[s + ".y"] = y
    for name, s, loss, C, cw in CASES:
        x, y = sets[s]
        m = LinearSVC(dual=True, loss=loss, C=C, class_weight=cw, tol=1e-10, max_iter=1000000,
                      random_state=0).fit(x, y)
        d = m.decision_function(x)
        out[name + ".decision"] = d
        out[name + ".coef"] = m.coef_
        out[name + ".intercept"] = m.intercept_
        out[name + ".predict"] = m.predict(x)
        print(name, "n_iter", m.n_iter_, "train acc", (m.predict(x) == y).mean())
    save("svm", out, {"sklearn": sklearn.__version__, "tol": 1e-10})


if __name__ == "__main__":
    main()
