"""Chapters 2-3: the two-feature linear model with weight decay and with Spectral Decoupling, and the
same decomposition on a real network (its empirical NTK on two moons).

``run`` reports, for every s1 of the config: the fixed points (z1*, z2*) of both regularisers, the
end points of the blog's 990 gradient-descent steps, the starvation derivative dz2*/d(s1^2), the
trajectories of the paper's phase-plane figure (dual alpha-ascent under ``dual_trajectories``; primal
end points under ``phase_plane``), and a summary of ``ntk_study``.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import configs, theory

PROFILES = configs.THEORY_PROFILES


def ntk_study(cfg: configs.TheoryConfig, seed: int = 0, progress: bool = False) -> dict:
    """Feature strengths s_j of an MLP's empirical NTK at initialisation and the responses
    z_j = u_j^T (Y y_hat) of the trained network over full-batch gradient descent."""
    from ..data.toy import two_moons
    from ..methods import MethodConfig
    from ..models import BatchedMLP
    from ..train import TrainConfig, train

    x, y = two_moons(cfg.ntk_n, cfg.ntk_noise, cfg.ntk_margin, seed=seed)
    y_pm = 2 * y - 1  # labels in {-1, +1}
    model = BatchedMLP([2, cfg.ntk_hidden, 1], seeds=(seed,), init="kaiming")
    U, s, _ = theory.empirical_ntk_features(model, x, y_pm)
    z = []

    def record(step, net, history):
        with torch.no_grad():
            z.append(theory.feature_responses(net(x)[0], y_pm, U))

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a problem this small runs faster on one thread (no OpenMP sync)
    try:
        history = train(model, x, y, MethodConfig("ERM"),
                        TrainConfig(steps=cfg.ntk_steps, lr=cfg.ntk_lr, optimizer="sgd"),
                        callbacks=[record], callback_every=cfg.ntk_record_every, progress=progress,
                        desc="two moons, plain GD")
    finally:
        torch.set_num_threads(threads)
    z = torch.stack(z).double().numpy()  # (T, k)
    share = z[-1] ** 2 / np.sum(z[-1] ** 2)
    return {"s": s.double().numpy(),
            "alignment": (U.T @ y_pm.new_ones(len(y_pm))).double().numpy(),  # u_j^T 1
            "steps": np.array([0] + history.step), "z": z, "share": share,
            "final_loss": float(history.loss[-1][0])}


def run(cfg: configs.TheoryConfig, device=None, progress: bool = True, workdir=None) -> dict:
    """JSON-ready metrics of ``theory.two_feature_study(cfg)`` and ``ntk_study`` (on the CPU)."""
    study = theory.two_feature_study(cfg)
    lams = {"weight_decay": cfg.lam, "sd": cfg.sd_lam}
    fixed, ends = [], []
    for reg, lam in lams.items():
        for s1, z_star, traj in zip(study["s1"], study["fixed_points"][reg], study["trajectories"][reg]):
            common = {"regularizer": reg, "lam": float(lam), "s1": s1, "s2": float(cfg.s2)}
            fixed.append({**common, "z1": float(z_star[0]), "z2": float(z_star[1])})
            ends.append({**common, "steps": int(study["steps"][-1]),
                         "z1": float(traj[-1, 0]), "z2": float(traj[-1, 1])})
    U = study["U"]
    derivative = [{"s1": s1, "dz2_ds1sq": float(d),
                   "finite_difference": theory.starvation_derivative(np.array([s1, cfg.s2]), U, cfg.lam,
                                                                     0, 1, method="finite_difference")}
                  for s1, d in zip(study["s1"], study["starvation_derivative"])]
    phase = theory.phase_plane_study(cfg)
    dual, primal = [], []
    for i, s1 in enumerate(phase["s1"]):
        common = {"s1": s1, "s2": float(cfg.s2), "steps": int(phase["steps"][-1])}
        Z, z_star = phase["trajectories"]["dual"][i], phase["fixed_points"]["weight_decay"][i]
        dual.append({**common, "lam": float(cfg.lam), "lr": cfg.phase_dual_lr,
                     "alpha0": cfg.phase_alpha0, "record_every": cfg.phase_record_every,
                     "z1": [float(f"{v:.6g}") for v in Z[:, 0]], "z2": [float(f"{v:.6g}") for v in Z[:, 1]],
                     "fixed_point_gap": float(np.abs(Z[-1] - z_star).max())})
        for reg, lam in (("weight_decay", cfg.lam), ("sd", cfg.sd_lam)):
            end = phase["trajectories"][reg][i, -1]
            primal.append({**common, "regularizer": reg, "lam": float(lam), "lr": cfg.phase_lr,
                           "z1": float(end[0]), "z2": float(end[1]),
                           "fixed_point_gap": float(np.abs(end - phase["fixed_points"][reg][i]).max())})
    ntk = ntk_study(cfg, progress=progress)
    j = int(np.argmax(ntk["share"]))
    return {"fixed_points": fixed, "end_points": ends, "starvation_derivative": derivative,
            "sd_margin": theory.sd_margin(cfg.sd_lam),
            "dual_trajectories": dual, "phase_plane": primal,
            "ntk": {"dominant_feature": j + 1, "dominant_share": float(ntk["share"][j]),
                    "s_dominant": float(ntk["s"][j]), "s_top": [float(v) for v in ntk["s"][:5]],
                    "final_loss": ntk["final_loss"]}}
