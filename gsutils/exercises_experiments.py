"""Numbers for the solutions of the exercises of chapters 5-9 (the experiment chapters).

Each function turns what a chapter already has (a sweep record, per-group accuracies, a trained or
freshly built network) into the few numbers a solution quotes, so that the solutions are computed,
not typed. Nothing here trains a model.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from . import sweep
from .experiments import sweep_batched as sb


# --------------------------------------------------------------------------- chapter 5
def colour_bayes_accuracy(label_noise: float, train_flip: float, eval_flip: float | None = None) -> dict:
    """The best classifier of a Colored MNIST environment with colour flip `train_flip` (< 1/2) among
    those that see the digit's clean label (the shape, right with probability 1 - label_noise) and
    the colour: which cue it follows when the two disagree, and its accuracy (%) on an environment
    with colour flip `eval_flip` (default: the same one)."""
    eval_flip = train_flip if eval_flip is None else eval_flip
    if not (0 <= label_noise <= 1 and 0 <= train_flip <= 0.5 and 0 <= eval_flip <= 1):
        raise ValueError(f"label_noise={label_noise}, train_flip={train_flip}, eval_flip={eval_flip}: "
                         "need values in [0, 1], train_flip <= 0.5")
    # When shape and colour disagree, the label is the colour's with probability proportional to
    # label_noise * (1 - flip), the shape's with (1 - label_noise) * flip. Following the colour
    # then means answering the colour always; following the shape, the shape always.
    follow_colour = label_noise * (1 - train_flip) > (1 - label_noise) * train_flip
    return {"acc": 100 * (1 - (eval_flip if follow_colour else label_noise)),
            "follows": "colour" if follow_colour else "shape"}


# --------------------------------------------------------------------------- chapter 6
def average_decomposition(group_acc_a: dict, group_acc_b: dict, weights) -> dict:
    """How each group moves the average accuracy from method a to method b: per group, the weight,
    the change in accuracy (points) and its share of the change in the average (weight x change)."""
    names = list(group_acc_a)
    if list(group_acc_b) != names or len(weights) != len(names):
        raise ValueError(f"groups {names} and {list(group_acc_b)} with {len(weights)} weights do not match")
    w = [float(v) for v in weights]
    out = {n: {"weight": w[k], "change": group_acc_b[n] - group_acc_a[n],
               "contribution": w[k] * (group_acc_b[n] - group_acc_a[n])} for k, n in enumerate(names)}
    out["total"] = sum(v["contribution"] for v in out.values())
    return out


# --------------------------------------------------------------------------- chapter 7
def scaled_logits(model: nn.Module, factor: float) -> nn.Module:
    """A copy of `model` whose logits are those of `model` times `factor` (its last linear layer's
    weights and bias scaled); `model` itself is left unchanged."""
    if factor <= 0:
        raise ValueError(f"factor={factor}: need > 0 (a negative one would swap the classes)")
    scaled = copy.deepcopy(model)
    linears = [m for m in scaled.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no linear layer to scale")
    with torch.no_grad():
        linears[-1].weight.mul_(factor)
        if linears[-1].bias is not None:
            linears[-1].bias.mul_(factor)
    return scaled


def scaling_check(model: nn.Module, x: torch.Tensor, y: torch.Tensor, factor: float, eps_max: float,
                  tol: float, steps: int, rel_step: float, seed: int = 0) -> dict:
    """`model` against ``scaled_logits(model, factor)`` on images `x` (in [0, 1]) with labels `y`:
    whether every prediction agrees, the largest difference of the minimal L-inf perturbations
    (``attacks.minimal_linf``, same search and seed), and both models' mean logit norms."""
    from .attacks import minimal_linf, predict

    scaled = scaled_logits(model, factor).eval()
    search = dict(eps_max=eps_max, tol=tol, steps=steps, rel_step=rel_step, seed=seed, progress=False)
    eps, eps_scaled = minimal_linf(model, x, y, **search), minimal_linf(scaled, x, y, **search)
    both = torch.isfinite(eps) & torch.isfinite(eps_scaled)
    with torch.no_grad():
        norms = [float(m(x).norm(dim=1).mean()) for m in (model, scaled)]
    return {"n": len(y), "same_predictions": bool(torch.equal(predict(model, x), predict(scaled, x))),
            "same_flipped": bool(torch.equal(torch.isfinite(eps), torch.isfinite(eps_scaled))),
            "max_eps_difference": float((eps[both] - eps_scaled[both]).abs().max()) if both.any() else 0.0,
            "median_eps": float(eps.median()), "logit_norm": norms[0], "logit_norm_scaled": norms[1]}


# --------------------------------------------------------------------------- chapter 8
def selection_by_trials(experiment: str, trials: list[dict]) -> dict[int, dict]:
    """{k: the sweep's selection (``sweep.select``) had it run only trials 0..k-1 of every method}:
    what the rules would have kept with fewer trials, read from one sweep record."""
    n = 1 + max(t["trial"] for t in trials)
    return {k: sweep.select(experiment, [t for t in trials if t["trial"] < k]) for k in range(1, n + 1)}


def irm_authors_score(metrics: dict) -> tuple[float, dict]:
    """The IRM authors' rule on one Colored MNIST trial: the minimum of the two training accuracies
    and the test environment's validation accuracy (restarts averaged); reported as ``sb.score``."""
    full = metrics["full"]
    value = min(sb._stats(full["env0"]["in"])[0], sb._stats(full["env1"]["in"])[0],
                sb._stats(full["env2"]["out"])[0])
    _, report = sb.score("test_domain", metrics)
    return value, {**report, "val_score": value}


def irm_authors_selection(trials: list[dict]) -> dict:
    """{method: the trial the IRM authors' rule keeps, with its test metrics} (ties: earliest)."""
    out = {}
    for method in sb.METHODS:
        scored = [(irm_authors_score(t["metrics"]), t) for t in trials if t["method"] == method]
        (_, report), best = max(scored, key=lambda s: s[0][0])
        out[method] = {**report, "trial": best["trial"], "hparams": best["hparams"]}
    return out
