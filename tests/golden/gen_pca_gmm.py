"""Golden values for optim/pca.c and optim/gmm.c: scikit-learn's PCA and
GaussianMixture on small fixed data.

Run from the repository root:  /work/venv/bin/python tests/golden/gen_pca_gmm.py
(needs numpy and scikit-learn). Writes tests/golden/data/pca_gmm.safetensors,
read by tests/test_golden_pca_gmm.c, which repeats the options below.

PCA (svd_solver="full"; components signed by svd_flip(u_based_decision=False)):
  tall  50 x 6, 3 components (D <= N: the covariance path)
  wide  10 x 20, 5 components (D > N: the Gram-matrix path)
GMM on 150 x 3 points from three clusters, K = 3, reg_covar 1e-6, given the
SAME weights_init / means_init / precisions_init:
  <full|diag>_fixed  tol 0, max_iter 10 (exactly 10 EM iterations on both sides)
  <full|diag>_tol    tol 1e-3, max_iter 100 (the iteration count must agree too)
"""

import numpy as np
import sklearn
from goldutil import save
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture

f32 = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64)


def main():
    rng = np.random.RandomState(11)
    out = {}
    mix = rng.randn(6, 6)
    sets = {"tall": (f32(rng.randn(50, 6) @ mix + [1, -2, 0, 3, 0.5, 0]), 3),
            "wide": (f32(rng.randn(10, 20) * np.linspace(3, 0.5, 20)), 5)}
    for name, (x, k) in sets.items():
        p = PCA(n_components=k, svd_solver="full").fit(x)
        out["pca_%s.x" % name] = x
        out["pca_%s.components" % name] = p.components_
        out["pca_%s.explained_variance" % name] = p.explained_variance_
        out["pca_%s.explained_variance_ratio" % name] = p.explained_variance_ratio_
        out["pca_%s.mean" % name] = p.mean_
        out["pca_%s.transform" % name] = p.transform(x)

    centers = np.array([[0, 0, 0], [4, 1, -1], [-2, 5, 2]], dtype=float)
    covs = [np.diag([1.0, 0.5, 2.0]), np.array([[1, 0.6, 0], [0.6, 1, 0.3], [0, 0.3, 0.8]]), np.eye(3) * 1.5]
    x = np.concatenate([rng.multivariate_normal(c, s, 50) for c, s in zip(centers, covs)])
    x = f32(x[rng.permutation(150)])
    out["gmm.x"] = x
    w0 = f32([0.25, 0.25, 0.5])  # exact in float32, so both sides start alike
    m0 = f32(centers + rng.randn(3, 3) * 0.8)
    p_full = np.stack([np.eye(3) * 0.7, np.eye(3) * 1.2, np.eye(3)])
    p_full[0, 0, 1] = p_full[0, 1, 0] = 0.2
    p_diag = np.array([[0.7, 1.0, 1.3], [1.2, 0.9, 1.1], [1.0, 1.0, 1.0]])
    out["gmm.weights_init"] = w0
    out["gmm.means_init"] = m0
    p_full, p_diag = f32(p_full), f32(p_diag)
    out["gmm.precisions_init_full"] = p_full
    out["gmm.precisions_init_diag"] = p_diag
    for cov, prec in (("full", p_full), ("diag", p_diag)):
        for case, tol, max_iter in (("fixed", 0.0, 10), ("tol", 1e-3, 100)):
            g = GaussianMixture(3, covariance_type=cov, tol=tol, max_iter=max_iter, reg_covar=1e-6,
                                weights_init=w0, means_init=m0, precisions_init=prec).fit(x)
            n = "gmm_%s_%s" % (cov, case)
            out[n + ".weights"] = g.weights_
            out[n + ".means"] = g.means_
            out[n + ".covariances"] = g.covariances_
            out[n + ".score_samples"] = g.score_samples(x)
            out[n + ".lower_bound"] = np.array([g.lower_bound_])
            out[n + ".n_iter"] = np.array([g.n_iter_])
            print(n, "n_iter", g.n_iter_, "converged", g.converged_, "lower bound", g.lower_bound_)
    save("pca_gmm", out, {"sklearn": sklearn.__version__})


if __name__ == "__main__":
    import warnings
    warnings.simplefilter("ignore")
    main()
