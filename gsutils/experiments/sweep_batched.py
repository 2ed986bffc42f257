"""Colored MNIST sweeps (chapter 8): many trials x restarts trained at once as one BatchedMLP.

A trial is one method's recipe with drawn hyperparameters (``gsutils.configs.search``). Trials of
one method that share a width train together, restarts and trials stacked on the model dimension,
each model with its own learning rate (``BatchedAdam``), L2 weight, warm-up length and penalty
weight; this equals training the trials one by one with ``gsutils.train.train`` up to float rounding
(a test checks it). Each environment is split DomainBed's way: its first 80% "in", the last 20%
"out"; training uses the training environments' "in" parts only, their "out" parts are the
training-domain validation sets, and the test environment's "out" part (a seeded 20%) is the
test-domain validation set, its "in" part the reported test accuracy.

Folds: "full" trains on both training environments; "loo_v" trains on the other one only and is
scored on environment v (leave-one-domain-out, DomainBed). Accuracies are at the last step.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from .. import configs
from ..methods import PENALTIES, WEIGHT_FIELD, Objective
from ..models import BatchedMLP
from . import colored_mnist as cm

METHODS = ("ERM", "SD", "IRM", "VREx")
FOLDS = ("full", "loo_0", "loo_1")
HOLDOUT = 0.2  # [DB] train.py --holdout_fraction 0.2
_DATA_CACHE: dict = {}


def trial_recipe(cfg: configs.ColoredMNISTConfig, method: str, hp: dict) -> configs.ColoredMNISTRecipe:
    """`cfg`'s recipe of `method` with the drawn values `hp` (empty: the recipe itself)."""
    recipe = cfg.recipes[method]
    changes, m = {}, {}
    if "hidden_dim" in hp:
        changes["hidden_dim"] = hp["hidden_dim"]
    if "lr" in hp:  # the quick profile moves the draw as its recipe moved the paper's lr
        changes["lr"] = hp["lr"] * recipe.lr / configs.COLORED_MNIST_RECIPES[method].lr
    if "l2" in hp:
        changes["l2"] = hp["l2"]
    if "warmup_frac" in hp:
        m["warmup_steps"] = round(hp["warmup_frac"] * recipe.steps)
    if "sd_coef" in hp:
        m["sd_lambda"] = 2 * hp["sd_coef"]
    if "irm_lambda" in hp:  # the loss divided by the penalty weight after warm-up, as [IRM]
        m.update(irm_lambda=hp["irm_lambda"], post_warmup_scale=1 / hp["irm_lambda"])
    if "vrex_lambda" in hp:  # ours: the variance, so twice the weight on (R_1 - R_2)^2 (configs)
        m.update(rex_lambda=2 * hp["vrex_lambda"], post_warmup_scale=2 / hp["vrex_lambda"])
    return replace(recipe, method=replace(recipe.method, **m), **changes)


def group_key(recipe: configs.ColoredMNISTRecipe) -> tuple:
    """Trials with equal keys train in one batch: same shapes, steps and data."""
    return (recipe.method.name, recipe.hidden_dim, recipe.steps, recipe.n_per_env, recipe.grayscale)


class BatchedAdam:
    """torch.optim.Adam's update (no weight decay, no amsgrad) with one learning rate per model:
    ``lr`` (R,) for parameters of shape (R, ...)."""

    def __init__(self, params, lr: torch.Tensor, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params, self.lr, self.betas, self.eps, self.t = list(params), lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        (b1, b2), t = self.betas, self.t
        bias1, bias2_sqrt = 1 - b1**t, math.sqrt(1 - b2**t)
        for p, m, v in zip(self.params, self.m, self.v):
            m.lerp_(p.grad, 1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            denom = (v.sqrt() / bias2_sqrt).add_(self.eps)
            p.sub_(self.lr.view(-1, *[1] * (p.dim() - 1)) / bias1 * m / denom)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


def train_trials(recipes, seeds, x: torch.Tensor, y: torch.Tensor, env: torch.Tensor) -> BatchedMLP:
    """Train every recipe (one group_key) x every seed at once; model i * len(seeds) + j is recipe i,
    seed j. The loss of each model is train()'s: scale * (task + weight * penalty + l2 * ||theta||^2)."""
    base = recipes[0]
    assert all(group_key(r) == group_key(base) for r in recipes), "recipes of one batch must share shapes"
    model = BatchedMLP((x.shape[1], base.hidden_dim, base.hidden_dim, 1),
                       [s for _ in recipes for s in seeds], "relu", "xavier").to(x.device)

    def per_model(value):
        return torch.tensor([float(value(r)) for r in recipes for _ in seeds], device=x.device)

    field = WEIGHT_FIELD[base.method.name]
    lr, l2 = per_model(lambda r: r.lr), per_model(lambda r: r.l2)
    warmup = per_model(lambda r: r.method.warmup_steps)
    weight_before = per_model(lambda r: r.method.warmup_weight)
    weight_after = per_model(lambda r: getattr(r.method, field) if field else 0.0)
    scale_after = per_model(lambda r: r.method.post_warmup_scale)
    objective, penalty = Objective(base.method), PENALTIES[base.method.name]
    optimizer = BatchedAdam(model.parameters(), lr)
    for step in range(base.steps):
        logits = model(x)  # (R, N)
        before = step < warmup  # (R,)
        weight = torch.where(before, weight_before, weight_after)
        scale = torch.where(before, torch.ones_like(scale_after), scale_after)
        loss = objective.task(logits, y, env) + weight * penalty(logits, y, env, base.method)
        loss = scale * (loss + l2 * model.squared_norm())
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
    return model


def sweep_data(cfg: configs.ColoredMNISTConfig, device) -> dict:
    """{env: {split: (x, y)}} with env "env0", "env1" (training) and "env2" (test), split "in"/"out"
    (cached per process: a Ray worker builds the environments once for all its jobs)."""
    key = (cfg.n_per_env, cfg.n_test, cfg.train_flips, cfg.test_flip, cfg.label_noise, cfg.data_seed, str(device))
    if key not in _DATA_CACHE:
        data, _ = cm.build_data(cfg, device)
        out = {}
        for e in (0, 1):
            idx = torch.nonzero(data["env"] == e).squeeze(1)  # already shuffled
            n_in = len(idx) - round(HOLDOUT * len(idx))
            out[f"env{e}"] = {"in": (data["x"][idx[:n_in]], data["y"][idx[:n_in]]),
                              "out": (data["x"][idx[n_in:]], data["y"][idx[n_in:]])}
        order = torch.randperm(len(data["y_test"]), generator=torch.Generator().manual_seed(cfg.data_seed))
        order = order.to(data["y_test"].device)
        n_out = round(HOLDOUT * len(order))
        out["env2"] = {"out": (data["x_test"][order[:n_out]], data["y_test"][order[:n_out]]),
                       "in": (data["x_test"][order[n_out:]], data["y_test"][order[n_out:]])}
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = out
    return _DATA_CACHE[key]


def fold_data(splits: dict, fold: str, n_per_env: int):
    """Training tensors (x, y, env) of `fold`, and the {env: [splits]} it is scored on."""
    train_envs = (0, 1) if fold == "full" else (1 - int(fold[-1]),)
    parts = []
    for e in train_envs:
        x, y = splits[f"env{e}"]["in"]
        if n_per_env:
            if n_per_env > len(y):
                raise ValueError(f"n_per_env={n_per_env} exceeds the {len(y)} 'in' digits of env{e}")
            x, y = x[:n_per_env], y[:n_per_env]
        parts.append((x, y, torch.full_like(y, e, dtype=torch.long)))
    x, y, env = (torch.cat(t) for t in zip(*parts))
    scored = {e: list(s) for e, s in splits.items()} if fold == "full" else {f"env{fold[-1]}": ["in", "out"]}
    return x, y, env, scored


def run_job(cfg: configs.ColoredMNISTConfig, recipes, fold: str, device) -> list[dict]:
    """Train `recipes` (one group) on `fold`; per recipe {env: {split: [accuracy per restart]}}."""
    seeds = cm.restart_seeds(cfg)
    with cm.matmul_precision(cfg.tf32):
        splits = sweep_data(cfg, torch.device(device))
        x, y, env, scored = fold_data(splits, fold, recipes[0].n_per_env)
        model = train_trials(recipes, seeds, cm.inputs(x, recipes[0]), y, env)
        with torch.no_grad():
            acc = {e: {s: cm.accuracy(model(cm.inputs(splits[e][s][0], recipes[0])), splits[e][s][1])
                       .reshape(len(recipes), len(seeds)).tolist() for s in names} for e, names in scored.items()}
    return [{e: {s: [cm._r(a) for a in acc[e][s][i]] for s in acc[e]} for e in acc} for i in range(len(recipes))]


RULES = {"test_domain": "test-domain validation set (oracle: the paper's kind of choice)",
         "train_domain": "training-domain validation sets",
         "leave_one_out": "leave one training domain out"}


def _stats(values) -> tuple[float, float]:
    t = torch.tensor(values, dtype=torch.float64)
    return cm._r(t.mean()), cm._r(t.std(unbiased=False))


def score(rule: str, metrics: dict) -> tuple[float, dict]:
    """(validation score, reported test metrics) of one trial under `rule`; restarts averaged."""
    full = metrics["full"]
    if rule == "test_domain":
        value = _stats(full["env2"]["out"])[0]
    elif rule == "train_domain":
        value = (_stats(full["env0"]["out"])[0] + _stats(full["env1"]["out"])[0]) / 2
    else:
        value = (_stats(metrics["loo_0"]["env0"]["in"])[0] + _stats(metrics["loo_1"]["env1"]["in"])[0]) / 2
    test_mean, test_std = _stats(full["env2"]["in"])
    train = [(a + b) / 2 for a, b in zip(full["env0"]["in"], full["env1"]["in"])]
    return cm._r(value), {"test_acc_mean": test_mean, "test_acc_std": test_std,
                          "train_acc_mean": _stats(train)[0], "val_score": cm._r(value)}


def recipe_values(recipe: configs.ColoredMNISTRecipe) -> dict:
    """The recipe's own values of the searched hyperparameters (what trial 0 uses), inverse of
    ``trial_recipe``."""
    m = recipe.method
    return {"hidden_dim": recipe.hidden_dim, "lr": recipe.lr, "l2": recipe.l2,
            "warmup_frac": m.warmup_steps / recipe.steps, "sd_coef": m.sd_lambda / 2,
            "irm_lambda": m.irm_lambda, "vrex_lambda": m.rex_lambda / 2}
