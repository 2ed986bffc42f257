"""The blog's live demo of the toy task as a stepping API, and its precomputed static version.

The protocol is the blog's ``bundle.js`` (mohammadpz.github.io/GradientStarvation): its 300 points
(``demo_data``), a 2 -> 100 (tanh) -> 1 network with its initial weights (``blog_init``), and plain
full-batch gradient descent whose step grows as min(0.01 + 0.04 t, 4.0) with t counted from the last
Initialize or change of regulariser, followed by a weight decay w -= step * c * w (c = 0.02 under
"Weight decay", 1e-4 under "None", none under Spectral Decoupling; biases are not decayed)
(``BlogGD``). ``ToyDemo`` trains one network per separability in chunks of ``train()`` calls that
share one optimiser, so the regulariser can change between chunks and training continues from the
current weights. The live widget (``gsutils.widgets.toy_demo``) steps it from a background thread;
``demo_study`` steps it for every separability and regulariser and keeps frames for the static page.
Ours, not the blog's: |z| projects the logits on the left singular vectors of our network's NTK at
initialisation (the blog ships a fixed projection), and ``optimizer="adam"`` is an Adam variant.
"""

from __future__ import annotations

import math
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


def demo_data(cfg: ToyDemoConfig, separability: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The blog's points: scale * two_moons(n, 0.1, 0, seed 0), then class +1 (y = 1) moved to
    x - separability and class -1 to x + separability (its classifyCircleData with noise = slider / 100)."""
    x, y = two_moons(cfg.n, 0.1, 0.0, 0.0, seed=0)
    x = cfg.scale * x
    x[:, 0] -= separability * (2 * y - 1)
    return x, y


def blog_init(seed: int, hidden: int, n_in: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """bundle.js's initial weights: W1 (n_in, hidden), then w2 (hidden,), link by link in its order
    (each hidden unit's input links, then the output's), each 0.7 * floor(100 u) / 100 - 0.35 with u
    from its LCG (GCC constants, computed in doubles as JavaScript does). Its biases start at 0.1."""
    state, m = float(seed), 2147483648.0

    def draw() -> float:
        nonlocal state
        state = math.fmod(1103515245.0 * state + 12345.0, m)
        return 0.7 * math.floor(state / m * 100) / 100 - 0.35
    w1 = torch.tensor([[draw() for _ in range(n_in)] for _ in range(hidden)], dtype=torch.float64)
    w2 = torch.tensor([draw() for _ in range(hidden)], dtype=torch.float64)
    return w1.T.float(), w2.float()


class BlogGD(torch.optim.Optimizer):
    """bundle.js's updateWeights: p -= step * grad with step = min(lr + ramp * t, lr_max), t the
    group's step count since the last ``reset()``, then p -= step * decay * p (the group's decay)."""

    def __init__(self, weights, biases, lr: float, ramp: float, lr_max: float):
        defaults = dict(lr=lr, ramp=ramp, lr_max=lr_max, decay=0.0, t=0)
        super().__init__([{"params": list(weights)}, {"params": list(biases)}], defaults)

    def reset(self) -> None:
        for group in self.param_groups:
            group["t"] = 0

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            group["t"] += 1
            step = min(group["lr"] + group["ramp"] * group["t"], group["lr_max"])
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(step * p.grad)
                if group["decay"]:
                    p.sub_(step * group["decay"] * p)


class ToyDemo:
    """One network per separability (restarts of one BatchedMLP, same initial weights), stepped on demand."""

    def __init__(self, cfg: ToyDemoConfig, separability: Sequence[float] | None = None, device="cpu"):
        self.cfg = cfg
        self.separability = tuple(float(s) for s in (cfg.separability if separability is None else separability))
        xs, ys = zip(*[demo_data(cfg, s) for s in self.separability])
        self.x, self.y = torch.stack(xs).to(device), torch.stack(ys).to(device)  # (R, N, 2), (R, N)
        self.model = BatchedMLP((2, cfg.hidden, 1), seeds=[0] * len(self.separability), activation="tanh")
        w1, w2 = blog_init(cfg.seed, cfg.hidden)
        with torch.no_grad():
            self.model.weights[0].copy_(w1), self.model.weights[1].copy_(w2[:, None])
            for b in self.model.biases:
                b.fill_(0.1)
        self.model.to(device)
        x_base = demo_data(cfg, 0.0)[0].to(device)  # the blog tracks z on the base data
        self.x_base = x_base.expand(len(self.separability), *x_base.shape)
        with small_model_threads(device):
            self.U = ntk_left_singular_vectors(self.model, self.x_base)[0][..., list(cfg.z_features)]  # (R, N, 2)
        self.train_cfg = TrainConfig(steps=1, optimizer="adam", lr=cfg.lr)
        if cfg.optimizer == "gd":
            self.optimizer = BlogGD(self.model.weights, self.model.biases, cfg.lr, cfg.lr_ramp, cfg.lr_max)
        else:
            self.optimizer = make_optimizer(self.model.parameters(), self.train_cfg)
        self.axis, self._grid = grid_points(cfg.extent, cfg.grid)
        self._grid = self._grid.to(device)
        self.regularizer, self.iteration = "None", 0
        self.set_regularizer("None")
        self.log = {"iteration": [], "loss": [], "z": []}
        self._record()

    def set_regularizer(self, name: str) -> None:
        """None, Weight decay or Spectral Decoupling; takes effect at the next step and, as in the
        blog, restarts the step-size ramp."""
        check_choice("regularizer", name, TOY_REGULARIZERS)
        self.regularizer = name
        decay = {"None": self.cfg.base_decay, "Weight decay": self.cfg.weight_decay}.get(name, 0.0)
        if isinstance(self.optimizer, BlogGD):
            self.optimizer.reset()
            self.optimizer.param_groups[0]["decay"] = decay  # weights only
        else:
            for group in self.optimizer.param_groups:  # Adam: the decay as its L2 weight decay
                group["weight_decay"] = decay

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
        self.log["z"].append(feature_responses(self.U, self.model(self.x_base)).abs().cpu().tolist())

    @torch.no_grad()
    def probability(self) -> np.ndarray:
        """P(y = +1) in percent on the grid, (R, grid, grid) uint8 (row i at height axis[i])."""
        p = torch.sigmoid(self.model(self._grid)).reshape(-1, self.cfg.grid, self.cfg.grid)
        return np.rint(100 * p.cpu().numpy()).astype(np.uint8)

    def boundary(self) -> list[dict]:
        """boundary_spread / boundary_bend / boundary_margin of each separability's network."""
        return boundary_metrics(self.model, self.x, 0.0, self.cfg.extent, 61, 121, per_restart=True)


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
