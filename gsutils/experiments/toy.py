"""Chapter 4: the toy 2-D task (paper §2 and its first figures; the authors' Figure_1-3 scripts).

Every setting trains ``cfg.seeds`` networks at once (one ``BatchedMLP`` restart and one data set per
seed, as the original loops over seeds) and reports the training accuracy, the seed-averaged logit map
on a grid over [-extent, extent]^2, and three numbers about the decision boundary (chapter 4 defines them):

- ``boundary_spread``: the standard deviation, over the vertical extent of the data, of the horizontal
  position of the boundary of the seed-averaged logits (0 for a vertical line). Measured in the data's
  own frame, so a rotated data set is rotated back first.
- ``boundary_bend``: the same for the residuals from the best straight line (0 for any straight line).
- ``boundary_margin``: the smallest distance from a training point to its network's boundary,
  averaged over seeds.

The Figure 2 runs also record the feature responses z_j = u_j^T y_hat, with u_j the left singular
vectors of the NTK features Phi_0 at initialisation (eigenvectors of the Gram matrix K = Phi_0 Phi_0^T);
with Y = diag(+-1) this equals the paper's U^T (Y y_hat) from the SVD of Y Phi_0.
Where we differ from the original code: each network is initialised from its own seed rather than
from a generator shared along the loop over settings.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import configs
from ..data.toy import two_moons
from ..methods import MethodConfig
from ..models import BatchedMLP
from ..runtime import check_choice
from ..train import TrainConfig, train

PROFILES = configs.TOY_PROFILES
LABELS = {"overlap": "Δ = −{m:g}", "separable": "Δ = +{m:g}", "separable_sd": "Δ = +{m:g} with SD",
          "no_reg": "no regularisation", "weight_decay": "weight decay", "longer": "{k}× longer",
          "adam_small_lr": "Adam, lr {a0:g}", "adam_large_lr": "Adam, lr {a1:g}",
          "rotation": "{r:g}° rotation", "dropout": "dropout {p:g}", "batchnorm": "batch norm",
          "deeper": "4 hidden layers", "sd": "Spectral Decoupling"}


@dataclass(frozen=True)
class Setting:
    """One panel of the authors' Figure_2 or Figure_3 script: its data, network, objective, optimiser."""

    name: str
    label: str
    figure: int
    margin: float
    rotation: float
    method: MethodConfig
    train: TrainConfig
    sizes: tuple
    dropout: float = 0.0
    batchnorm: bool = False


def setting(cfg: configs.ToyConfig, name: str) -> Setting:
    """The Setting called `name` under `cfg` (names: configs.TOY_FIGURE2 + configs.TOY_FIGURE3)."""
    check_choice("setting", name, configs.TOY_FIGURE2 + configs.TOY_FIGURE3)
    sd = MethodConfig("SD", sd_lambda=cfg.sd_lambda) if cfg.method == "SD" else MethodConfig("ERM")
    label = LABELS[name].format(m=cfg.margin, k=cfg.longer_factor, a0=cfg.adam_lrs[0],
                                a1=cfg.adam_lrs[1], r=cfg.rotation, p=cfg.dropout)
    sgd = dict(optimizer="sgd", lr=cfg.lr, momentum=cfg.momentum)
    if name in configs.TOY_FIGURE2:
        return Setting(name, label, 2, -cfg.margin if name == "overlap" else cfg.margin, 0.0,
                       sd if name == "separable_sd" else MethodConfig("ERM"),
                       TrainConfig(steps=cfg.epochs, weight_decay=cfg.figure2_weight_decay, **sgd),
                       (2, cfg.hidden, 1))
    steps = cfg.ablation_epochs * (cfg.longer_factor if name == "longer" else 1)
    tc = TrainConfig(steps=steps, weight_decay=cfg.ablation_weight_decay if name == "weight_decay" else 0.0,
                     **sgd)
    if name.startswith("adam"):
        tc = TrainConfig(steps=steps, optimizer="adam", lr=cfg.adam_lrs[name == "adam_large_lr"])
    sizes = (2, *[cfg.deep_hidden] * 4, 1) if name == "deeper" else (2, cfg.hidden, 1)
    return Setting(name, label, 3, cfg.margin, cfg.rotation if name == "rotation" else 0.0,
                   sd if name == "sd" else MethodConfig("ERM"), tc, sizes,
                   cfg.dropout if name == "dropout" else 0.0, name == "batchnorm")


def seed_data(cfg: configs.ToyConfig, s: Setting) -> tuple[torch.Tensor, torch.Tensor]:
    """One data set per seed, stacked: x (R, N, 2), y (R, N) in {0, 1}."""
    xs, ys = zip(*[two_moons(cfg.n, cfg.noise, s.margin, s.rotation, seed) for seed in range(cfg.seeds)])
    return torch.stack(xs), torch.stack(ys)


# --------------------------------------------------------------------------- NTK feature responses
def ntk_left_singular_vectors(model: BatchedMLP, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per restart r: the left singular vectors U_r (N, N) and values s_r (N,) of Phi_0 = df_r/dtheta_r.

    x is (N, 2) or (R, N, 2). Phi_0 comes from one vmap over samples of the gradient of the summed
    restarts (restarts share no parameters); U_r, s_r from the eigendecomposition of Phi_0 Phi_0^T.
    """
    from torch.func import functional_call, grad, vmap

    R = model.n_models
    x = x.expand(R, *x.shape) if x.dim() == 2 else x
    params = {k: v.detach() for k, v in model.named_parameters()}
    total = lambda p, xn: functional_call(model, p, (xn[:, None, :],)).sum()  # noqa: E731  xn (R, 2)
    jac = vmap(grad(total), in_dims=(None, 1))(params, x)  # {name: (N, R, *shape)}
    phi = torch.cat([j.transpose(0, 1).reshape(R, x.shape[1], -1) for j in jac.values()], -1)  # (R, N, P)
    evals, evecs = torch.linalg.eigh(phi @ phi.transpose(1, 2))  # ascending
    return evecs.flip(-1), evals.flip(-1).clamp(min=0).sqrt()


def feature_responses(U: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """z = U^T y_hat per restart: U (R, N, k), logits (R, N) -> (R, k)."""
    return (U.transpose(1, 2) @ logits.unsqueeze(-1)).squeeze(-1)


# --------------------------------------------------------------------------- the decision boundary
def grid_points(extent: float, size: int) -> tuple[np.ndarray, torch.Tensor]:
    """The heat-map axis (size,) and its points (size * size, 2), row i at height axis[i]."""
    axis = np.linspace(-extent, extent, size)
    gx, gy = np.meshgrid(axis, axis, indexing="xy")
    return axis, torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)


def crossings(f_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per row of f (..., rows, cols) over the abscissae u: where f changes sign nearest u = 0
    (linear interpolation), NaN where it does not change sign."""
    sign = np.signbit(f_rows)
    change = sign[..., :-1] != sign[..., 1:]
    dist = np.where(change, np.abs(u[:-1] + u[1:]), np.inf)
    i = dist.argmin(-1)[..., None]
    f0, f1 = np.take_along_axis(f_rows, i, -1)[..., 0], np.take_along_axis(f_rows, i + 1, -1)[..., 0]
    u0, u1 = u[i[..., 0]], u[i[..., 0] + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = u0 - f0 * (u1 - u0) / (f1 - f0)
    return np.where(change.any(-1), pos, np.nan)


def _rotation(degrees: float) -> torch.Tensor:
    t = math.radians(degrees)
    return torch.tensor([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


def line_stats(positions: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """(spread, bend) of boundary positions u(v): their standard deviation, and that of their
    residuals from the least-squares straight line u = a v + b (NaN rows skipped)."""
    ok = np.isfinite(positions)
    if ok.sum() < 3:
        return np.nan, np.nan
    p, vv = positions[ok], v[ok]
    return float(np.std(p)), float(np.std(p - np.polyval(np.polyfit(vv, p, 1), vv)))


def point_margin(positions: np.ndarray, v: np.ndarray, points: np.ndarray) -> float:
    """Smallest distance from `points` (N, 2) to the polyline through the crossings (u(v), v)."""
    b = np.stack([positions, v], 1)
    b = b[np.isfinite(b[:, 0])]
    if len(b) < 2:
        return np.nan
    a, d = b[:-1], b[1:] - b[:-1]
    t = np.clip(((points[:, None] - a) * d).sum(-1) / (d * d).sum(-1).clip(1e-12), 0, 1)
    return float(np.linalg.norm(points[:, None] - (a + t[..., None] * d), axis=-1).min())


@torch.no_grad()
def boundary_metrics(model, x: torch.Tensor, rotation: float, extent: float, rows: int,
                     cols: int = 401, per_restart: bool = False):
    """boundary_spread, boundary_bend (of the seed-averaged logits) and boundary_margin (per seed,
    averaged); with per_restart, one dict of the three per restart instead.

    Probe points (u, v) live in the data's own frame (u across the classes, v along the moons, v over
    the data's vertical extent) and reach the network rotated like the data: x = (u, v) R.
    """
    R_mat = _rotation(rotation).to(x.device)
    frame = (x @ R_mat.T).cpu().numpy()  # (R, N, 2): the data rotated back
    v = np.linspace(frame[..., 1].min(), frame[..., 1].max(), rows)
    u = np.linspace(-extent, extent, cols)
    uu, vv = np.meshgrid(u, v, indexing="xy")
    probe = torch.tensor(np.stack([uu.ravel(), vv.ravel()], 1), dtype=torch.float32, device=x.device)
    f = model(probe @ R_mat).reshape(-1, rows, cols).cpu().numpy()  # (R, rows, cols)
    positions = crossings(f, u)  # (R, rows)
    margins = [point_margin(pos, v, pts) for pos, pts in zip(positions, frame)]
    if per_restart:
        return [dict(zip(("boundary_spread", "boundary_bend"), map(_num, line_stats(pos, v))),
                     boundary_margin=_num(m)) for pos, m in zip(positions, margins)]
    spread, bend = line_stats(crossings(f.mean(0), u), v)
    return {"boundary_spread": _num(spread), "boundary_bend": _num(bend),
            "boundary_margin": _num(np.nanmean(margins) if np.isfinite(margins).any() else np.nan)}


def _num(value) -> float | None:
    """A JSON-ready float, None for NaN."""
    return None if not np.isfinite(value) else float(value)


# --------------------------------------------------------------------------- one setting, all seeds
def run_setting(cfg: configs.ToyConfig, name: str, device, progress: bool = True,
                workdir: str | Path | None = None) -> dict:
    """Train every seed of one setting; return its row, seed-averaged heat map and (Figure 2) z curves."""
    s = setting(cfg, name)
    x, y = (t.to(device) for t in seed_data(cfg, s))
    model = BatchedMLP(s.sizes, seeds=range(cfg.seeds), activation="relu", init="kaiming",
                       dropout=s.dropout, batchnorm=s.batchnorm).to(device)
    callbacks = []
    if s.figure == 2:
        U = ntk_left_singular_vectors(model, x)[0][..., list(cfg.z_features)]  # (R, N, 2)

        def record_z(step, net, history):
            net.eval()
            with torch.no_grad():
                history.log(z_step=step, z=feature_responses(U, net(x)).abs().cpu().tolist())
        callbacks.append(record_z)
    checkpoint = Path(workdir) / f"toy-{name}.pt" if workdir else None
    if checkpoint:
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
    history = train(model, x, y, s.method, s.train, callbacks=callbacks, callback_every=cfg.z_every,
                    checkpoint=checkpoint, progress=progress, desc=f"toy: {s.label}")
    model.eval()
    with torch.no_grad():
        acc = ((model(x) > 0).float() == y).float().mean().item()
        axis, pts = grid_points(cfg.extent, cfg.grid)
        heat = model(pts.to(device)).mean(0).reshape(cfg.grid, cfg.grid).cpu().numpy()
    row = {"setting": name, "label": s.label, "figure": s.figure, "margin": s.margin,
           "method": s.method.name, "epochs": s.train.steps, "train_acc": acc,
           **boundary_metrics(model, x, s.rotation, cfg.extent, cfg.boundary_rows),
           "final_loss": float(np.mean(history.loss[-1])) if history.loss else None}
    out = {"row": row, "heatmap": np.round(heat, 4).tolist()}
    if s.figure == 2:
        z = np.array(history.extra["z"])  # (T, R, 2)
        out["z"] = {"step": history.extra["z_step"], "mean": z.mean(1).tolist(), "std": z.std(1).tolist()}
    return out


@contextmanager
def small_model_threads(device):
    """One intra-op CPU thread while training these small networks (restored afterwards): at 300 x 500
    activations thread start-up costs more than it saves, and on a busy machine several threads per
    process slow training several-fold (measured: 7x on the book's 2-core machine)."""
    previous = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def run(cfg: configs.ToyConfig, device=None, progress: bool = True, workdir=None) -> dict:
    """Every setting of `cfg`: ``runs`` (one row each), ``heatmaps``, ``z`` (Figure 2) and the
    seed-0 data of each setting for plotting."""
    device = torch.device("cpu") if device is None else device
    metrics = {"runs": [], "heatmaps": {}, "z": {}, "data": {},
               "grid_axis": grid_points(cfg.extent, cfg.grid)[0].tolist()}
    for name in cfg.settings:
        with small_model_threads(device):
            out = run_setting(cfg, name, device, progress, workdir)
        metrics["runs"].append(out["row"])
        metrics["heatmaps"][name] = out["heatmap"]
        if "z" in out:
            metrics["z"][name] = out["z"]
        s = setting(cfg, name)
        x0, y0 = two_moons(cfg.n, cfg.noise, s.margin, s.rotation, seed=0)
        metrics["data"][name] = {"x": np.round(x0.numpy(), 4).tolist(), "y": y0.int().tolist()}
    return metrics
