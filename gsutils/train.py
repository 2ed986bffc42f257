"""One training loop for every chapter, the tests and the command line.

``train`` runs full-batch or mini-batch optimisation of any model whose forward returns logits
(..., N) (a ``BatchedMLP`` trains all its restarts at once: their losses are summed), with a progress
bar, callbacks for live plots and evaluation, and checkpoint/resume: with ``checkpoint=PATH`` the
state is saved atomically every ``checkpoint_every`` steps and a rerun continues where it stopped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch
from tqdm.auto import tqdm

from .methods import MethodConfig, Objective
from .runtime import check_choice

OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000  # optimiser steps (full batch: epochs)
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.0  # SGD only
    weight_decay: float = 0.0  # the optimiser's decoupled-from-loss weight decay (SGD/Adam arg)
    l2: float = 0.0  # explicit L2 term l2 * ||theta||^2 added to the loss (IRM's code)
    batch_size: int = 0  # 0: full batch
    seed: int = 0  # mini-batch order

    def __post_init__(self):
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if self.steps < 0 or self.lr <= 0 or self.batch_size < 0:
            raise ValueError(f"bad TrainConfig: steps={self.steps}, lr={self.lr}, "
                             f"batch_size={self.batch_size}; need steps >= 0, lr > 0, batch_size >= 0")


@dataclass
class History:
    """What happened during training: one row per logged step, as columns."""

    step: list = field(default_factory=list)
    loss: list = field(default_factory=list)  # per restart when the model is batched
    extra: dict = field(default_factory=dict)  # columns added by callbacks via log()

    def log(self, **values) -> None:
        for key, value in values.items():
            self.extra.setdefault(key, []).append(value)


Callback = Callable[[int, torch.nn.Module, History], None]


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def record_update_size(key: str = "update_size") -> Callback:
    """A callback (use ``callback_every=1``) that logs the size of every update, ||theta_t - theta_{t-1}||
    over all parameters, per restart for a batched model (parameters with a leading restart dimension),
    under `key`, and the 0-based index of the step that made it under `key`_step."""
    previous: list = []

    def callback(step: int, model: torch.nn.Module, history: History) -> None:
        params = [p.detach() for p in model.parameters()]
        rows = getattr(model, "n_models", 1)
        if previous:
            sq = sum((p - q).reshape(rows, -1).pow(2).sum(-1) for p, q in zip(params, previous))
            history.log(**{f"{key}_step": step - 1, key: sq.sqrt().cpu().tolist()})
        previous[:] = [p.clone() for p in params]
    return callback


def _squared_norm(model: torch.nn.Module) -> torch.Tensor:
    if hasattr(model, "squared_norm"):
        return model.squared_norm()
    return sum(p.pow(2).sum() for p in model.parameters())


def _save(path: Path, state: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def train(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, method: MethodConfig | Objective,
          cfg: TrainConfig, env: torch.Tensor | None = None, callbacks: Sequence[Callback] = (),
          callback_every: int = 1, checkpoint: str | Path | None = None, checkpoint_every: int = 500,
          progress: bool = True, desc: str = "training",
          optimizer: torch.optim.Optimizer | None = None) -> History:
    """Train `model` on (x, y[, env]) with `method`'s objective; return the History.

    Tensors are used on the device they are on (move model and data beforehand). Callbacks are
    called as ``cb(step, model, history)`` before step 0 and after every `callback_every` steps.
    `optimizer` (from ``make_optimizer``) continues an earlier call's optimiser state, so that a live
    demo can train in chunks and change the objective or the weight decay between them.
    """
    objective = method if isinstance(method, Objective) else Objective(method)
    optimizer = optimizer if optimizer is not None else make_optimizer(model.parameters(), cfg)
    history, start = History(), 0
    checkpoint = Path(checkpoint) if checkpoint else None
    if checkpoint is not None and checkpoint.exists():
        state = torch.load(checkpoint, map_location=x.device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        objective.load_state_dict(state["objective"])
        history, start = state["history"], state["step"]
    n = y.shape[-1]
    n_batches = -(-n // cfg.batch_size) if cfg.batch_size else 1  # per epoch, last one smaller

    orders: dict = {}

    def batch(step):
        """Step -> its mini-batch; each epoch's order depends on (seed, epoch) only, so resuming is exact."""
        if not cfg.batch_size:
            return x, y, env
        epoch, k = divmod(step, n_batches)
        if orders.get("epoch") != epoch:  # one permutation per epoch
            gen = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)
            orders.update(epoch=epoch, order=torch.randperm(n, generator=gen).to(x.device))
        idx = orders["order"][k * cfg.batch_size: (k + 1) * cfg.batch_size]
        return x[idx], y[idx], None if env is None else env[idx]

    def notify(step):
        for cb in callbacks:
            cb(step, model, history)

    if start == 0:
        notify(0)
    bar = tqdm(range(start, cfg.steps), desc=desc, disable=not progress, leave=False,
               initial=start, total=cfg.steps)
    for step in bar:
        xb, yb, eb = batch(step)
        model.train()
        losses = objective(model(xb), yb, eb, step)
        if cfg.l2:
            losses = losses + objective.scale(step) * cfg.l2 * _squared_norm(model)
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()  # restarts are independent: the sum's gradient is theirs
        optimizer.step()
        done = step + 1
        if done % callback_every == 0 or done == cfg.steps:
            history.step.append(done)
            history.loss.append(losses.detach().cpu().tolist())
            notify(done)
        if checkpoint is not None and (done % checkpoint_every == 0 or done == cfg.steps):
            _save(checkpoint, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                               "objective": objective.state_dict(), "history": history, "step": done})
    return history
