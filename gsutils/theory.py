"""The linearised (NTK) model of Gradient Starvation and Spectral Decoupling (the paper's theory).

Binary labels y in {+-1}, logits y_hat = Phi theta (Phi: the NTK features at theta_0 = 0), loss
1^T log(1 + exp(-Y y_hat)) + penalty. The SVD  Y Phi = U S V^T  defines the feature responses
z := S V^T theta, so that the margins are  Y y_hat = U z  (U has orthonormal columns).

- weight decay, penalty (lam/2)||theta||^2:   z' = eta [S^2 U^T sigma(-U z) - lam z]
- Spectral Decoupling, (lam/2)||y_hat||^2:     z' = eta S^2 [U^T sigma(-U z) - lam z]

Both are S^2-preconditioned gradient flows of a convex function of z, so each fixed point is the
unique minimiser of
    1^T softplus(-U z) + (lam/2) z^T P z,    P = S^-2 (weight decay) or I (SD),
which is how ``fixed_point`` finds it. Everything takes any number of features k (s: (k,), U: (n, k)).
The dual view (paper, variational lemma): alpha' = eta [log((1 - alpha)/alpha) - U S^2 U^T alpha / lam],
z = S^2 U^T alpha / lam, with the same fixed point.
"""

from __future__ import annotations

import numpy as np
import torch

from .runtime import check_choice

REGULARIZERS = ("weight_decay", "sd")


def _check(regularizer: str) -> None:
    check_choice("regularizer", regularizer, REGULARIZERS)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free


def coupling_matrix(delta: float) -> np.ndarray:
    """U(delta) of the paper's two-feature example: delta = 0 uncouples the features."""
    c = np.sqrt(1.0 - delta**2)
    return np.array([[c, -delta], [delta, c]])


# --------------------------------------------------------------------------- dynamics of z
def z_velocity(z, s, U, lam: float, regularizer: str = "weight_decay") -> np.ndarray:
    """dz/dt divided by eta: the paper's linear-regime dynamics (weight decay) or their SD form."""
    _check(regularizer)
    s2 = np.asarray(s, float) ** 2
    drive = U.T @ sigmoid(-U @ z)  # U^T sigma(-U z): every margin pulls on every feature
    return s2 * drive - lam * z if regularizer == "weight_decay" else s2 * (drive - lam * z)


def gd_trajectory(s, U, lam: float, regularizer: str = "weight_decay", lr: float = 0.1,
                  steps: int = 990, record_every: int = 10, z0=None) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent on theta, written in z: z_{t+1} = z_t + lr * z_velocity(z_t).

    Returns the recorded steps (0, record_every, ..., <= steps) and z at those steps, (T, k).
    """
    z = np.zeros(len(s)) if z0 is None else np.asarray(z0, float).copy()
    recorded, out = [], []
    for t in range(steps + 1):
        if t % record_every == 0:
            recorded.append(t)
            out.append(z.copy())
        if t < steps:
            z = z + lr * z_velocity(z, s, U, lam, regularizer)
    return np.array(recorded), np.array(out)


def flow_trajectory(s, U, lam: float, regularizer: str = "weight_decay", t_end: float = 99.0,
                    n_points: int = 100, dt: float = 0.01, z0=None) -> tuple[np.ndarray, np.ndarray]:
    """The continuous-time flow (eta = 1) by fourth-order Runge-Kutta; returns (t, z(t)) on a grid."""
    times = np.linspace(0.0, t_end, n_points)
    z = np.zeros(len(s)) if z0 is None else np.asarray(z0, float).copy()
    f = lambda v: z_velocity(v, s, U, lam, regularizer)  # noqa: E731
    out, now = [z.copy()], 0.0
    for target in times[1:]:
        n = max(1, int(np.ceil((target - now) / dt)))
        h = (target - now) / n
        for _ in range(n):
            k1 = f(z); k2 = f(z + h / 2 * k1); k3 = f(z + h / 2 * k2); k4 = f(z + h * k3)  # noqa: E702
            z = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        now = target
        out.append(z.copy())
    return times, np.array(out)


# --------------------------------------------------------------------------- fixed points
def _penalty_diag(s, regularizer: str) -> np.ndarray:
    s = np.asarray(s, float)
    return 1.0 / s**2 if regularizer == "weight_decay" else np.ones_like(s)


def _hessian(z, s, U, lam: float, regularizer: str) -> np.ndarray:
    """U^T diag(sigma'(U z)) U + lam P: minus the Jacobian of U^T sigma(-Uz) - lam P z."""
    p = sigmoid(U @ z)
    return U.T @ (U * (p * (1 - p))[:, None]) + lam * np.diag(_penalty_diag(s, regularizer))


def fixed_point(s, U, lam: float, regularizer: str = "weight_decay", tol: float = 1e-13,
                max_iter: int = 100) -> np.ndarray:
    """z* with lam z* = S^2 U^T sigma(-U z*) (weight decay) or lam z* = U^T sigma(-U z*) (SD).

    Damped Newton on the strictly convex objective of the module docstring.
    """
    _check(regularizer)
    P = _penalty_diag(s, regularizer)
    objective = lambda v: np.logaddexp(0.0, -U @ v).sum() + 0.5 * lam * v @ (P * v)  # noqa: E731
    z = np.zeros(len(s))
    for _ in range(max_iter):
        grad = -U.T @ sigmoid(-U @ z) + lam * P * z
        if np.max(np.abs(grad)) < tol:
            break
        step = np.linalg.solve(_hessian(z, s, U, lam, regularizer), grad)
        t, f0 = 1.0, objective(z)
        while objective(z - t * step) > f0 - 0.25 * t * grad @ step and t > 1e-8:
            t /= 2
        z = z - t * step
    return z


def lambertw(x) -> np.ndarray:
    """Principal branch W(x) (w e^w = x) for x >= 0, by Halley's iterations."""
    x = np.asarray(x, float)
    big = np.log(np.maximum(x, np.e))
    w = np.where(x < np.e, np.log1p(x), big - np.log(big))  # starting guesses
    for _ in range(50):
        ew = np.exp(w)
        f = w * ew - x
        w_new = w - f / (ew * (w + 1) - (w + 2) * f / (2 * w + 2))
        if np.all(np.abs(w_new - w) <= 1e-15 * (1 + np.abs(w))):
            return w_new
        w = w_new
    return w


def uncoupled_fixed_point(s, lam: float) -> np.ndarray:
    """z* of weight decay with U = I (paper, uncoupled case): z (1 + e^z) = s^2/lam, z = W(s^2/lam - z).

    The paper's approximation z* ~ W(s^2/lam) drops the -z; here Newton's method on
    log z + log(1 + e^z) = log(s^2/lam), started from W(s^2/lam), finds the exact root.
    """
    log_a = np.log(np.asarray(s, float) ** 2 / lam)
    z = lambertw(np.exp(log_a))
    for _ in range(100):
        step = (np.log(z) + np.logaddexp(0.0, z) - log_a) / (1.0 / z + sigmoid(z))
        z = np.where(z - step > 0, z - step, z / 2)  # the root is > 0
        if np.all(np.abs(step) <= 1e-15 * (1 + z)):
            break
    return z


def sd_margin(lam: float) -> float:
    """Every margin at SD's fixed point (paper, Spectral Decoupling): m (1 + e^m) = 1/lam, i.e. the
    uncoupled case with s = 1."""
    return float(uncoupled_fixed_point(1.0, lam))


def shifted_sd_logit(lam: float, gamma, y) -> np.ndarray:
    """Per-sample fixed point of log(1 + e^{-y~ y_hat}) + (lam/2)(y_hat - gamma_y)^2, y~ = 2y - 1.

    Solves lam (y_hat - gamma) = y~ sigma(-y~ y_hat) (strictly increasing in y_hat) by bisection on
    [gamma - 1/lam, gamma + 1/lam]; gamma = 0, y = 1 gives SD's margin m*.
    """
    gamma, sign = np.broadcast_arrays(np.asarray(gamma, float), 2.0 * np.asarray(y, float) - 1.0)
    lo, hi = gamma - 1.0 / lam, gamma + 1.0 / lam
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = lam * (mid - gamma) > sign * sigmoid(-sign * mid)
        lo, hi = np.where(above, lo, mid), np.where(above, mid, hi)
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------- starvation
def starvation_derivative(s, U, lam: float, i: int, j: int, regularizer: str = "weight_decay",
                          method: str = "implicit", rel_step: float = 1e-4) -> float:
    """dz_j*/d(s_i^2): feature i starves feature j where it is < 0 (the paper's definition).

    implicit: differentiate G(z, s) = U^T sigma(-U z) - lam P(s) z = 0, so that
    dz*/d(s_i^2) = H^-1 dG/d(s_i^2) with H the Hessian above and dG/d(s_i^2) = lam z_i / s_i^4 e_i
    (zero for SD, whose P does not depend on s). finite_difference: central, in s_i^2.
    """
    check_choice("method", method, ("implicit", "finite_difference"))
    s = np.asarray(s, float)
    if method == "implicit":
        z = fixed_point(s, U, lam, regularizer)
        dG = np.zeros_like(s)
        if regularizer == "weight_decay":
            dG[i] = lam * z[i] / s[i] ** 4
        return float(np.linalg.solve(_hessian(z, s, U, lam, regularizer), dG)[j])
    h = rel_step * s[i] ** 2
    plus, minus = s.copy(), s.copy()
    plus[i], minus[i] = np.sqrt(s[i] ** 2 + h), np.sqrt(s[i] ** 2 - h)
    diff = fixed_point(plus, U, lam, regularizer) - fixed_point(minus, U, lam, regularizer)
    return float(diff[j] / (2 * h))


# --------------------------------------------------------------------------- the two-feature study
def two_feature_study(cfg) -> dict:
    """Everything chapters 2-3 show for a ``TheoryConfig``: trajectories, end and fixed points.

    Weight decay uses cfg.lam, SD cfg.sd_lam (the blog's two panels); s1 runs over cfg.s1.
    """
    U = coupling_matrix(cfg.delta)
    lams = {"weight_decay": cfg.lam, "sd": cfg.sd_lam}
    out = {"s1": [float(v) for v in cfg.s1], "U": U, "trajectories": {}, "fixed_points": {}}
    for reg, lam in lams.items():
        trajs, fps = [], []
        for s1 in cfg.s1:
            s = np.array([s1, cfg.s2])
            steps, Z = gd_trajectory(s, U, lam, reg, cfg.lr, cfg.steps, cfg.record_every)
            trajs.append(Z)
            fps.append(fixed_point(s, U, lam, reg))
        out["trajectories"][reg] = np.array(trajs)  # (len(s1), T, 2)
        out["fixed_points"][reg] = np.array(fps)  # (len(s1), 2)
    out["steps"] = steps
    out["starvation_derivative"] = np.array(
        [starvation_derivative(np.array([s1, cfg.s2]), U, cfg.lam, 0, 1) for s1 in cfg.s1])
    return out


# --------------------------------------------------------------------------- the dual (Legendre) view
def binary_entropy(alpha) -> np.ndarray:
    """H(alpha) = -alpha log alpha - (1 - alpha) log(1 - alpha), for 0 < alpha < 1."""
    a = np.asarray(alpha, float)
    return -(a * np.log(a) + (1.0 - a) * np.log1p(-a))


def legendre_residuals(m, grid: int = 20001) -> dict:
    """The variational lemma log(1 + e^-m) = max_alpha [H(alpha) - alpha m], checked two ways.

    closed_form: at the maximiser alpha = sigma(-m); grid: brute force over alpha = sigma(t), t on a
    uniform grid of [-60, 60] (H written in t, exact near 0 and 1). Each is the largest
    |max - log(1 + e^-m)| over the given margins m.
    """
    m = np.atleast_1d(np.asarray(m, float))
    softplus = np.logaddexp(0.0, -m)
    a_star = sigmoid(-m)
    t = np.linspace(-60.0, 60.0, grid)[:, None]  # (grid, 1)
    entropy = sigmoid(t) * np.logaddexp(0.0, -t) + sigmoid(-t) * np.logaddexp(0.0, t)  # H(sigma(t))
    brute = (entropy - sigmoid(t) * m).max(axis=0)
    return {"closed_form": float(np.abs(binary_entropy(a_star) - a_star * m - softplus).max()),
            "grid": float(np.abs(brute - softplus).max())}


def alpha_velocity(alpha, s, U, lam: float) -> np.ndarray:
    """d alpha/dt divided by eta, the dual dynamics: log((1 - alpha)/alpha) - (1/lam) U S^2 U^T alpha."""
    s2 = np.asarray(s, float) ** 2
    return np.log1p(-alpha) - np.log(alpha) - U @ (s2 * (U.T @ alpha)) / lam


def dual_trajectory(s, U, lam: float, lr: float = 3e-6, steps: int = 5000, record_every: int = 50,
                    alpha0: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Gradient ascent on the dual from alpha = alpha0, clipped into (0, 1) after every step as the
    authors' toy_fig_6.py does; returns the recorded steps and z = S^2 U^T alpha / lam, (T, k)."""
    s2 = np.asarray(s, float) ** 2
    alpha = np.full(U.shape[0], float(alpha0))
    recorded, out = [], []
    for t in range(steps + 1):
        if t % record_every == 0:
            recorded.append(t)
            out.append(s2 * (U.T @ alpha) / lam)
        if t < steps:
            alpha = np.clip(alpha + lr * alpha_velocity(alpha, s, U, lam), 1e-50, 1.0 - 1e-16)
    return np.array(recorded), np.array(out)


def random_coupling(n: int, k: int, seed: int) -> np.ndarray:
    """A random U (n, k) with orthonormal columns (QR of a Gaussian matrix), for checks beyond U(delta)."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, k)))
    return q * np.sign(np.diag(r))


def phase_plane_study(cfg) -> dict:
    """The paper's phase-plane figure (authors' toy_fig_6.py): z(t) for every s1 in cfg.phase_s1 under
    dual alpha-ascent, primal gradient descent with weight decay (cfg.lam) and with SD (cfg.sd_lam)."""
    U = coupling_matrix(cfg.delta)
    runs = {"dual": [], "weight_decay": [], "sd": []}
    fixed = {"weight_decay": [], "sd": []}
    for s1 in cfg.phase_s1:
        s = np.array([s1, cfg.s2])
        steps, Z = dual_trajectory(s, U, cfg.lam, cfg.phase_dual_lr, cfg.phase_steps,
                                   cfg.phase_record_every, cfg.phase_alpha0)
        runs["dual"].append(Z)
        for reg, lam in (("weight_decay", cfg.lam), ("sd", cfg.sd_lam)):
            runs[reg].append(gd_trajectory(s, U, lam, reg, cfg.phase_lr, cfg.phase_steps,
                                           cfg.phase_record_every)[1])
            fixed[reg].append(fixed_point(s, U, lam, reg))
    return {"s1": [float(v) for v in cfg.phase_s1], "steps": steps,
            "trajectories": {k: np.array(v) for k, v in runs.items()},  # (len(s1), T, 2)
            "fixed_points": {k: np.array(v) for k, v in fixed.items()}}  # (len(s1), 2)


# --------------------------------------------------------------------------- a real network
def empirical_ntk_features(model: torch.nn.Module, X: torch.Tensor, y: torch.Tensor):
    """SVD of Y Phi_0 with Phi_0 = d f(X; theta)/d theta at the model's current theta (paper, linearisation).

    Returns (U (n, k), s (k,), V (P, k)) as torch tensors; Y y_hat = U z in the linearised model.
    """
    from torch.func import functional_call, jacrev

    params = {k: v.detach() for k, v in model.named_parameters()}
    logits = lambda p: functional_call(model, p, (X,)).reshape(-1)  # noqa: E731
    jac = jacrev(logits)(params)  # {name: (n, *shape)}
    Phi = torch.cat([j.reshape(len(X), -1) for j in jac.values()], dim=1)  # (n, P)
    U, s, Vh = torch.linalg.svd(y.reshape(-1, 1) * Phi, full_matrices=False)
    return U, s, Vh.T


def feature_responses(logits: torch.Tensor, y: torch.Tensor, U: torch.Tensor) -> torch.Tensor:
    """z = U^T (Y y_hat): the network's margins read in the NTK feature basis (paper, toy experiment)."""
    return U.T @ (y.reshape(-1) * logits.reshape(-1))
