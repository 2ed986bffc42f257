"""The linearised theory of chapters 2-3 against closed forms, independent computations and the
reference numbers (PAPER §1, the blog's figure)."""

import json

import numpy as np
import pytest
import torch
from scipy.special import lambertw as scipy_lambertw

from gsutils import configs, theory
from gsutils.__main__ import main

U_HALF = theory.coupling_matrix(0.5)


def random_orthogonal(k, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(k, k)))
    return q


@pytest.mark.parametrize("s1", sorted(configs.THEORY_FIXED_POINTS))
def test_fixed_points_match_the_reference_table(s1):
    z = theory.fixed_point(np.array([s1, 2.0]), U_HALF, 0.01)
    assert np.allclose(z, configs.THEORY_FIXED_POINTS[s1], atol=1e-3)
    assert np.allclose(theory.z_velocity(z, np.array([s1, 2.0]), U_HALF, 0.01), 0, atol=1e-10)


def test_sd_fixed_point_does_not_depend_on_s1():
    ref = theory.fixed_point(np.array([2.0, 2.0]), U_HALF, 0.002, "sd")
    assert np.allclose(ref, configs.THEORY_SD_FIXED_POINT, atol=1e-3)
    assert np.allclose(ref, U_HALF.T @ np.full(2, theory.sd_margin(0.002)), atol=1e-10)
    for s1 in np.linspace(0.5, 10, 20):
        assert np.allclose(theory.fixed_point(np.array([s1, 2.0]), U_HALF, 0.002, "sd"), ref, atol=1e-6)


def test_uncoupled_fixed_point_is_the_lambert_w_solution():
    x = np.array([0.0, 1e-3, 0.5, np.e, 10.0, 400.0, 1e6])
    assert np.allclose(theory.lambertw(x), scipy_lambertw(x).real, rtol=1e-13, atol=1e-15)
    s, lam = np.array([0.5, 2.0, 5.0]), 0.01
    z = theory.uncoupled_fixed_point(s, lam)
    assert np.allclose(z, scipy_lambertw(s**2 / lam - z).real, rtol=1e-12)
    assert np.allclose(z * (1 + np.exp(z)), s**2 / lam, rtol=1e-12)
    assert np.allclose(theory.fixed_point(s, np.eye(3), lam), z, atol=1e-10)
    for s_, lam_ in ((np.array([0.05, 0.25, 10.0]), 1.0), (np.array([1.0, 10.0]), 1e-8)):  # s^2/lam from 2.5e-3 to 1e10
        z = theory.uncoupled_fixed_point(s_, lam_)
        assert np.allclose(z * (1 + np.exp(z)), s_**2 / lam_, rtol=1e-12)
    assert np.allclose(theory.shifted_sd_logit(lam, 0.0, 1), theory.sd_margin(lam), atol=1e-12)


@pytest.mark.parametrize("regularizer", theory.REGULARIZERS)
def test_gradient_descent_on_theta_equals_the_z_recursion(regularizer):
    """Autograd on the actual loss in parameter space (n = 5 examples, P = 8 parameters)."""
    gen = torch.Generator().manual_seed(0)
    Phi = torch.randn(5, 8, generator=gen, dtype=torch.float64)
    y = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0], dtype=torch.float64)
    lam, lr, steps = 0.05, 0.02, 60
    U, s, Vh = torch.linalg.svd(y[:, None] * Phi, full_matrices=False)
    theta = torch.zeros(8, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        logits = Phi @ theta
        penalty = theta.pow(2).sum() if regularizer == "weight_decay" else logits.pow(2).sum()
        loss = torch.nn.functional.softplus(-y * logits).sum() + lam / 2 * penalty
        (grad,) = torch.autograd.grad(loss, theta)
        theta = (theta - lr * grad).detach().requires_grad_(True)
    z_theta = (s * (Vh @ theta)).detach().numpy()
    _, Z = theory.gd_trajectory(s.numpy(), U.numpy(), lam, regularizer, lr, steps, steps)
    assert np.allclose(Z[-1], z_theta, atol=1e-10)


def test_flow_and_gradient_descent_reach_the_fixed_point():
    s = np.array([4.0, 2.0])
    z_star = theory.fixed_point(s, U_HALF, 0.01)
    _, z_flow = theory.flow_trajectory(s, U_HALF, 0.01, t_end=1000.0, n_points=2, dt=0.1)
    _, z_gd = theory.gd_trajectory(s, U_HALF, 0.01, lr=0.1, steps=10000, record_every=10000)
    assert np.allclose(z_flow[-1], z_star, atol=1e-5) and np.allclose(z_gd[-1], z_star, atol=1e-5)


@pytest.mark.parametrize("k, seed", [(2, 0), (3, 1), (5, 2)])
def test_implicit_derivative_equals_finite_difference(k, seed):
    U = random_orthogonal(k, seed)
    s = np.linspace(3.0, 1.0, k)
    for i in range(k):
        for j in range(k):
            implicit = theory.starvation_derivative(s, U, 0.01, i, j)
            fd = theory.starvation_derivative(s, U, 0.01, i, j, method="finite_difference")
            assert implicit == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_starvation_derivative_sign():
    s1_values = np.linspace(2.25, 8.0, 24)
    d = [theory.starvation_derivative(np.array([s1, 2.0]), U_HALF, 0.01, 0, 1) for s1 in s1_values]
    assert max(d) < 0  # feature 1 starves feature 2
    assert abs(theory.starvation_derivative(np.array([2.0, 2.0]), U_HALF, 0.01, 0, 1)) < 1e-12
    assert abs(theory.starvation_derivative(np.array([5.0, 2.0]), np.eye(2), 0.01, 0, 1)) < 1e-12
    assert theory.starvation_derivative(np.array([5.0, 2.0]), U_HALF, 0.002, 0, 1, "sd") == 0.0


def test_blog_end_points():
    study = theory.two_feature_study(configs.TheoryConfig(s1=tuple(configs.THEORY_BLOG_END_POINTS)))
    assert study["steps"][-1] == 990 and len(study["steps"]) == 100
    for traj, ref in zip(study["trajectories"]["weight_decay"], configs.THEORY_BLOG_END_POINTS.values()):
        assert np.allclose(traj[-1], ref, atol=1e-3)
    sd_ends = study["trajectories"]["sd"][:, -1]
    assert np.all(np.abs(sd_ends - np.array(configs.THEORY_SD_FIXED_POINT)) < 0.03)


def test_empirical_ntk_of_a_linear_model():
    """f(x) = w.x + b has Phi = [X, 1]; z = U^T (Y y_hat) must equal S V^T theta."""
    model = torch.nn.Linear(3, 1).double()
    X = torch.randn(6, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, 1.0], dtype=torch.float64)
    U, s, V = theory.empirical_ntk_features(model, X, y)
    Phi = torch.cat([X, torch.ones(6, 1, dtype=torch.float64)], 1)
    assert torch.allclose(s, torch.linalg.svdvals(y[:, None] * Phi))
    theta = torch.cat([model.weight.reshape(-1), model.bias]).detach()
    z = theory.feature_responses(model(X).detach(), y, U)
    assert torch.allclose(z, s * (V.T @ theta))


def test_cli_writes_the_schema(tmp_path):
    out = tmp_path / "theory.json"
    rc = main(["run", "theory", "--set", "s1=2,4", "--set", "ntk_n=20", "--set", "ntk_hidden=16",
               "--set", "ntk_steps=4", "--set", "ntk_record_every=2", "--no-progress", "--out", str(out)])
    assert rc == 0
    metrics = json.loads(out.read_text())["metrics"]
    fixed = metrics["fixed_points"]
    assert {(f["regularizer"], f["s1"]) for f in fixed} == {(r, s) for r in ("weight_decay", "sd")
                                                           for s in (2.0, 4.0)}
    for f in fixed:
        assert f["s2"] == 2.0 and all(isinstance(f[k], float) for k in ("z1", "z2"))
        if f["regularizer"] == "weight_decay":
            assert (f["z1"], f["z2"]) == pytest.approx(configs.THEORY_FIXED_POINTS[f["s1"]], abs=1e-3)
    assert [d["s1"] for d in metrics["starvation_derivative"]] == [2.0, 4.0]
    assert metrics["starvation_derivative"][1]["dz2_ds1sq"] < 0
    dual = metrics["dual_trajectories"]
    assert [d["s1"] for d in dual] == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert all(len(d["z1"]) == len(d["z2"]) == 501 and d["fixed_point_gap"] < 0.01 for d in dual)
    assert {(p["regularizer"], p["s1"]) for p in metrics["phase_plane"]} == {
        (r, s) for r in ("weight_decay", "sd") for s in (2.0, 3.0, 4.0, 5.0, 6.0)}


@pytest.mark.parametrize("bad", ["delta=2", "s1=2,x", "nope=1", "lam=-1", "s1", "phase_alpha0=1",
                                 "phase_s1=0,2"])
def test_cli_rejects_a_bad_set(tmp_path, capsys, bad):
    out = tmp_path / "theory.json"
    assert main(["run", "theory", "--set", bad, "--out", str(out)]) == 2
    assert not out.exists() and "error" in capsys.readouterr().err


# ----------------------------------------------------------------- the formal results (chapters 2-3)
def test_legendre_lemma():
    r = theory.legendre_residuals(np.linspace(-30.0, 30.0, 241))
    assert r["closed_form"] < 1e-13 and r["grid"] < 1e-5


def test_alpha_velocity_is_the_gradient_of_the_dual_objective():
    """Autograd on D(alpha) = 1^T H(alpha) - alpha^T U S^2 U^T alpha / (2 lam), n = 5, k = 3."""
    U, s, lam = theory.random_coupling(5, 3, seed=3), np.array([3.0, 2.0, 0.5]), 0.05
    alpha = torch.tensor(np.random.default_rng(0).uniform(0.05, 0.95, 5), requires_grad=True)
    K = torch.tensor(U @ np.diag(s**2) @ U.T)
    H = -(alpha * alpha.log() + (1 - alpha) * (1 - alpha).log()).sum()
    (grad,) = torch.autograd.grad(H - alpha @ K @ alpha / (2 * lam), alpha)
    assert np.allclose(theory.alpha_velocity(alpha.detach().numpy(), s, U, lam), grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("n, k, lam, seed", [(2, 2, 0.01, 0), (3, 3, 0.05, 1), (5, 3, 0.01, 2), (6, 2, 0.1, 3)])
def test_dual_and_primal_share_the_fixed_point(n, k, lam, seed):
    U, s = theory.random_coupling(n, k, seed), np.linspace(3.0, 1.0, k)
    assert np.allclose(U.T @ U, np.eye(k), atol=1e-12)
    z_star = theory.fixed_point(s, U, lam)
    alpha_star = theory.sigmoid(-U @ z_star)
    residual = np.abs(theory.alpha_velocity(alpha_star, s, U, lam)) / (1 + np.abs(U @ z_star))
    assert residual.max() < 1e-8
    assert np.allclose(s**2 * (U.T @ alpha_star) / lam, z_star, atol=1e-8)


def test_dual_trajectory_equals_sgd_on_the_dual_loss():
    """Our recursion against torch SGD on C/2 alpha^T K alpha - 1^T H(alpha), clipped into (0, 1)."""
    U, s, lam, lr, steps = theory.coupling_matrix(0.5), np.array([4.0, 2.0]), 0.01, 3e-6, 300
    alpha = torch.full((2,), 1e-8, dtype=torch.float64, requires_grad=True)
    K = torch.tensor(U @ np.diag(s**2) @ U.T)
    opt = torch.optim.SGD([alpha], lr=lr)
    for _ in range(steps):
        H = -(alpha * alpha.log() + (1 - alpha) * torch.log1p(-alpha)).sum()
        loss = alpha @ K @ alpha / (2 * lam) - H
        opt.zero_grad()
        loss.backward()
        opt.step()
        alpha.data.clamp_(1e-50, 1 - 1e-16)
    z_torch = s**2 * (U.T @ alpha.detach().numpy()) / lam
    _, Z = theory.dual_trajectory(s, U, lam, lr, steps, steps)
    assert np.allclose(Z[-1], z_torch, rtol=1e-10)


def test_phase_plane_reaches_the_fixed_points():
    study = theory.phase_plane_study(configs.TheoryConfig())
    for kind, reg in (("dual", "weight_decay"), ("weight_decay", "weight_decay"), ("sd", "sd")):
        gap = np.abs(study["trajectories"][kind][:, -1] - study["fixed_points"][reg]).max()
        assert gap < 0.01, (kind, gap)


@pytest.mark.parametrize("delta", [0.1, 0.3, 0.5, 0.65, 0.75, 0.9])
@pytest.mark.parametrize("lam", [1e-3, 0.1])
def test_starvation_sign_follows_the_margins(delta, lam):
    """Ours: dz2*/d(s1^2) < 0 iff m1* > m2*, which s1 > s2 implies exactly when delta < 1/sqrt(2)."""
    U, s2 = theory.coupling_matrix(delta), 1.5
    for s1 in np.linspace(1.1 * s2, 4 * s2, 8):
        s = np.array([s1, s2])
        d = theory.starvation_derivative(s, U, lam, 0, 1)
        m = U @ theory.fixed_point(s, U, lam)
        assert np.sign(d) == np.sign(m[1] - m[0]) != 0
        assert (d < 0) == (delta < 2 ** -0.5)


@pytest.mark.parametrize("n, k", [(4, 4), (6, 3)])
def test_sd_fixed_point_does_not_depend_on_S_for_a_random_U(n, k):
    """SD's dynamics (which contain S) all end at the S-free fixed point; weight decay's do not."""
    U, rng = theory.random_coupling(n, k, seed=n), np.random.default_rng(k)
    for lam in (0.01, 0.1):
        ref = theory.fixed_point(np.ones(k), U, lam, "sd")
        for _ in range(3):
            s = rng.uniform(1.0, 5.0, k)
            _, Z = theory.gd_trajectory(s, U, lam, "sd", 1.0 / (s.max() ** 2 * (0.25 + lam)), 5000, 5000)
            assert np.allclose(Z[-1], ref, atol=1e-9)
            assert np.abs(theory.fixed_point(s, U, lam) - theory.fixed_point(np.ones(k), U, lam)).max() > 0.1
        if n == k:
            assert np.allclose(ref, U.T @ np.full(n, theory.sd_margin(lam)), atol=1e-10)
