"""The toy 2-D task of the paper's first figures: two moons separable along the horizontal axis.

``two_moons`` rebuilds the authors' data exactly (paper §2, Figures 1-3; original script
``two_moons_dataset``): scikit-learn's ``make_moons`` with the same seed, then each class is folded
onto its own side of the vertical axis and pushed ``margin`` away from it, so the classes are
separable along x with a gap of 2 * margin (margin < 0 makes them overlap), while the moons' curved
shape lies along the vertical axis. We draw the moons with NumPy's ``RandomState`` exactly as
scikit-learn does, so the package needs no scikit-learn (tests compare the two).
"""

from __future__ import annotations

import numpy as np
import torch


def make_moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``make_moons(n, shuffle=True, noise=noise, random_state=seed)``, bit for bit."""
    rng = np.random.RandomState(seed)
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    x = np.concatenate([np.cos(t_out), 1 - np.cos(t_in)])  # upper moon, then lower moon
    y = np.concatenate([np.sin(t_out), 1 - np.sin(t_in) - 0.5])
    X = np.stack([x, y], axis=1)
    labels = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    order = np.arange(n)
    rng.shuffle(order)  # sklearn.utils.shuffle draws from the same generator first
    X, labels = X[order], labels[order]
    X = X + rng.normal(scale=noise, size=X.shape)
    return X, labels


def two_moons(n: int = 300, noise: float = 0.1, margin: float = 0.1, rotation: float = 0.0,
              seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Two moons with a horizontal gap 2 * margin; returns x (n, 2) float32 and y (n,) in {0, 1}.

    Class y = 1 (the paper's +1) lies left of x = -margin, class y = 0 (the paper's -1) right of
    x = +margin. ``rotation`` (degrees) turns the whole data set about the origin (the Figure_3 script's 45°).
    """
    if n < 2 or noise < 0:
        raise ValueError(f"two_moons needs n >= 2 and noise >= 0, got n={n}, noise={noise}")
    X, labels = make_moons(n, noise, seed)
    y_pm = 2.0 * labels - 1.0  # the paper's labels in {-1, +1}
    X = X - np.stack([0.5 * np.ones(n), 0.3 * y_pm], axis=1)  # centre the moons on each other
    X[:, 1] -= X[:, 1].mean()
    X[:, 1] = -np.abs(X[:, 1]) * y_pm  # fold: class +1 below zero, class -1 above
    X[:, 1] -= y_pm * margin  # open (margin > 0) or close (margin < 0) a gap of 2 * margin
    X = X[:, ::-1].copy()  # turn by 90°: the separating direction becomes horizontal
    if rotation:
        theta = np.radians(rotation)
        c, s = np.cos(theta), np.sin(theta)
        X = X @ np.array([[c, -s], [s, c]])
    return torch.from_numpy(X).float(), torch.from_numpy(labels).float()
