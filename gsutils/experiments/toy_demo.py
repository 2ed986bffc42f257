"""The blog's live demo of the toy task as a stepping API, and its precomputed static version.

``ToyDemo`` trains one 2 -> 100 (tanh) -> 1 network per separability, full batch, in chunks of
``train()`` calls that share one optimiser, so the regulariser can change between chunks and training
continues from the current weights (the blog's "now change the regularisation and wait"). The live
widget (``gsutils.widgets.toy_demo``) steps it from a background thread; ``demo_study`` steps it
for every separability and regulariser and keeps frames for the static page.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np
import torch

from ..configs import TOY_REGULARIZERS, ToyDemoConfig
from ..data.toy import two_moons
from ..methods import MethodConfig, task_loss
from ..models import BatchedMLP
from ..runtime import check_choice
from ..train import TrainConfig, make_optimizer, train
from .toy import (boundary_metrics, feature_responses, grid_points, ntk_left_singular_vectors,
                  small_model_threads)

EXTENT = 2.0  # the heat map covers [-2, 2]^2, as the paper's figures


class ToyDemo:
    """One network per separability (restarts of one BatchedMLP, same initial weights), stepped on demand."""

    def __init__(self, cfg: ToyDemoConfig, separability: Sequence[float] | None = None, device="cpu"):
        self.cfg = cfg
        self.separability = tuple(float(s) for s in (cfg.separability if separability is None else separability))
        xs, ys = zip(*[two_moons(cfg.n, 0.1, s, 0.0, cfg.seed) for s in self.separability])
        self.x, self.y = torch.stack(xs).to(device), torch.stack(ys).to(device)  # (R, N, 2), (R, N)
        self.model = BatchedMLP((2, cfg.hidden, 1), seeds=[cfg.seed] * len(self.separability),
                                activation="tanh", init="kaiming").to(device)
        with small_model_threads(device):
            self.U = ntk_left_singular_vectors(self.model, self.x)[0][..., list(cfg.z_features)]  # (R, N, 2)
        self.train_cfg = TrainConfig(steps=1, optimizer=cfg.optimizer, lr=cfg.lr,
                                     momentum=0.9 if cfg.optimizer == "sgd" else 0.0)
        self.optimizer = make_optimizer(self.model.parameters(), self.train_cfg)
        self.axis, self._grid = grid_points(EXTENT, cfg.grid)
        self._grid = self._grid.to(device)
        self.regularizer, self.iteration = "None", 0
        self.log = {"iteration": [], "loss": [], "z": []}
        self._record()

    def set_regularizer(self, name: str) -> None:
        """None, Weight decay or Spectral Decoupling; takes effect at the next step."""
        check_choice("regularizer", name, TOY_REGULARIZERS)
        self.regularizer = name
        for group in self.optimizer.param_groups:  # weight decay lives in the optimiser
            group["weight_decay"] = self.cfg.weight_decay if name == "Weight decay" else 0.0

    def method(self) -> MethodConfig:
        if self.regularizer == "Spectral Decoupling":
            return MethodConfig("SD", sd_lambda=self.cfg.sd_lambda)
        return MethodConfig("ERM")

    def step(self, n: int = 1) -> None:
        """n full-batch steps with the current regulariser, continuing the optimiser's state."""
        with small_model_threads(self.x.device):
            train(self.model, self.x, self.y, self.method(), replace(self.train_cfg, steps=n),
                  optimizer=self.optimizer, progress=False)
        self.iteration += n
        self._record()

    @torch.no_grad()
    def _record(self) -> None:
        logits = self.model(self.x)
        self.log["iteration"].append(self.iteration)
        self.log["loss"].append(task_loss(logits, self.y).mean(-1).cpu().tolist())  # logistic loss
        self.log["z"].append(feature_responses(self.U, logits).abs().cpu().tolist())

    @torch.no_grad()
    def probability(self) -> np.ndarray:
        """P(y = +1) in percent on the grid, (R, grid, grid) uint8 (row i at height axis[i])."""
        p = torch.sigmoid(self.model(self._grid)).reshape(-1, self.cfg.grid, self.cfg.grid)
        return np.rint(100 * p.cpu().numpy()).astype(np.uint8)

    def boundary(self) -> list[dict]:
        """boundary_spread / boundary_bend / boundary_margin of each separability's network."""
        return boundary_metrics(self.model, self.x, 0.0, EXTENT, 61, 121, per_restart=True)


def regularizer_options(cfg: ToyDemoConfig) -> tuple[str, ...]:
    """The static page's regulariser menu: the blog's three, plus its "Try this" as a fourth."""
    return TOY_REGULARIZERS + (f"None, then SD at {cfg.switch_at}",)


def demo_study(cfg: ToyDemoConfig, device="cpu", progress: bool = True) -> dict:
    """Frames of the demo for every separability and regulariser option (the static page).

    Returns iterations (T,), prob (O, T, R, grid, grid) uint8, z (O, T, R, 2), loss (O, T, R), the
    data of every separability, and boundary[option][iteration] (a list over separabilities) at the
    end, and for the switching option also at the switch and at twice the switch.
    """
    from tqdm.auto import tqdm

    options = regularizer_options(cfg)
    prob, z, loss, boundary = [], [], [], {}
    for option in tqdm(options, desc="toy demo frames", disable=not progress, leave=False):
        with small_model_threads(device):
            frames, demo, checks = _play(cfg, option, device)
        prob.append(np.stack(frames))
        z.append(demo.log["z"])
        loss.append(demo.log["loss"])
        boundary[option] = checks
    return {"separability": list(demo.separability), "regularizers": list(options),
            "iterations": demo.log["iteration"], "axis": demo.axis.tolist(), "switch_at": cfg.switch_at,
            "prob": np.stack(prob), "z": np.array(z), "loss": np.array(loss), "boundary": boundary,
            "x": demo.x.cpu().numpy(), "y": demo.y.cpu().numpy()}


def _play(cfg: ToyDemoConfig, option: str, device) -> tuple[list, ToyDemo, dict]:
    """Train every separability under one regulariser option; frames and boundary checks."""
    demo = ToyDemo(cfg, device=device)
    demo.set_regularizer(option if option in TOY_REGULARIZERS else "None")
    frames, checks = [demo.probability()], {}
    while demo.iteration < cfg.iterations:
        if option not in TOY_REGULARIZERS and demo.iteration == cfg.switch_at:
            demo.set_regularizer("Spectral Decoupling")
        demo.step(cfg.frame_every)
        frames.append(demo.probability())
        switching = option not in TOY_REGULARIZERS and demo.iteration in (cfg.switch_at, 2 * cfg.switch_at)
        if switching or demo.iteration == cfg.iterations:
            checks[demo.iteration] = demo.boundary()
    return frames, demo, checks
