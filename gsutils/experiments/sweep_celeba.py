"""CelebA sweeps (chapter 8): each trial trains all seeds of one recipe with ``celeba.train_method``.

Model selection picks one trial per method by a validation score of the stand-in's (or CelebA's)
validation split, never its test split: "avg" by the average validation accuracy, "worst" by the
worst group's, the epoch of each seed chosen by the same score (``celeba.summarize``).
"""

from __future__ import annotations

from dataclasses import replace

from .. import configs
from . import celeba

METHODS = configs.CELEBA_METHODS
FOLDS = ("full",)
_DATA_CACHE: dict = {}


def trial_recipe(cfg: configs.CelebAConfig, method: str, hp: dict) -> configs.CelebARecipe:
    recipe = cfg.recipes[method]
    changes = {"lr": recipe.lr * hp["lr_factor"]} if "lr_factor" in hp else {}
    if "weight_decay" in hp:
        changes["weight_decay"] = hp["weight_decay"]
    if "groupdro_eta" in hp:
        changes["method"] = replace(recipe.method, groupdro_eta=hp["groupdro_eta"])
    return replace(recipe, **changes)


def group_key(recipe: configs.CelebARecipe) -> None:
    return None  # no batching of trials: the seeds of a trial share one learning rate


def run_job(cfg: configs.CelebAConfig, recipes, fold: str, device) -> list[dict]:
    """Train each recipe on every seed; per recipe, the test metrics under each selection score."""
    key = (repr(cfg.standin), cfg.data, cfg.data_root, cfg.image_size, str(device))
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = {s: split.to(device) for s, split in celeba.load_splits(cfg).items()}
    data, out = _DATA_CACHE[key], []
    for recipe in recipes:
        trial_cfg = replace(cfg, recipes={**cfg.recipes, "trial": recipe}, methods=("trial",))
        curves = celeba.train_method(trial_cfg, "trial", data, tuple(cfg.seeds), device, progress=False)
        metrics = {}
        for rule in configs.CELEBA_SELECTION:
            summary = celeba.summarize(curves, data, rule)
            metrics[rule] = {k: summary[k] for k in ("avg_acc_mean", "avg_acc_std", "worst_acc_mean",
                                                     "worst_acc_std", "valid_avg_acc_mean",
                                                     "valid_worst_acc_mean", "selected_epoch")}
        out.append(metrics)
    return out


RULES = {"avg_valid": "average validation accuracy", "worst_valid": "worst-group validation accuracy"}


def score(rule: str, metrics: dict) -> tuple[float, dict]:
    """(validation score, reported test metrics) of one trial under `rule`."""
    part = metrics["full"]["avg" if rule == "avg_valid" else "worst"]
    value = part["valid_avg_acc_mean"] if rule == "avg_valid" else part["valid_worst_acc_mean"]
    return value, {"test_acc_mean": part["avg_acc_mean"], "test_acc_std": part["avg_acc_std"],
                   "worst_acc_mean": part["worst_acc_mean"], "worst_acc_std": part["worst_acc_std"],
                   "val_score": value}


def recipe_values(recipe: configs.CelebARecipe) -> dict:
    """The recipe's own values of the searched hyperparameters (what trial 0 uses)."""
    return {"lr_factor": 1.0, "groupdro_eta": recipe.method.groupdro_eta, "weight_decay": recipe.weight_decay}
