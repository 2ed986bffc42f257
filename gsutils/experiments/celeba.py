"""Chapter 6: CelebA hair colour with a gender bias (PAPER §4): ERM, SD and Group DRO.

Every method trains with ``gsutils.train.train`` on the training split; after every epoch the model
is evaluated on the validation and test splits, per group. For each seed the epoch with the best
validation score (average or worst-group accuracy, per recipe) is kept, and its test accuracies are
reported: the average accuracy (groups weighted by the split's proportions) and the worst group's.
Test accuracies of other epochs only draw the learning curves; they never choose a model.

``data="celeba"`` reads the real files with ResNet-50 (the paper's protocol: GPU, hours);
``data="standin"`` builds CelebA's group structure on MNIST digits (offline, seconds). With the MLP
all seeds train at once as a ``BatchedMLP``; with ResNet-50 one seed at a time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import configs
from ..data import default_root
from ..data.celeba import GROUP_NAMES, SPLITS, GroupSplit, celeba_standin, load_celeba
from ..methods import Objective
from ..models import BatchedMLP, resnet50_binary
from ..runtime import set_seed
from ..train import TrainConfig, train

PROFILES = configs.CELEBA_PROFILES


def load_splits(cfg: configs.CelebAConfig) -> dict[str, GroupSplit]:
    """{"train", "valid", "test"} -> GroupSplit, from the real files or the stand-in."""
    if cfg.data == "celeba":
        root = cfg.data_root or default_root()
        return {split: load_celeba(root, split, cfg.image_size, cfg.verify_md5) for split in SPLITS}
    s = cfg.standin
    return celeba_standin(scale=s.scale, eval_per_group=s.eval_per_group,
                          blond_digits=tuple(s.blond_digits), border=s.border, seed=s.seed)


def build_model(cfg: configs.CelebAConfig, seeds, d_in: int) -> nn.Module:
    """ResNet-50 with one logit, output (N,); or R = len(seeds) MLPs at once, output (R, N)."""
    if cfg.arch == "resnet50":
        set_seed(seeds[0])  # the new last layer's initialisation
        return nn.Sequential(resnet50_binary(cfg.pretrained), nn.Flatten(0))
    return nn.Sequential(nn.Flatten(), BatchedMLP([d_in, cfg.hidden, cfg.hidden, 1], seeds=seeds,
                                                  init="kaiming"))


@torch.no_grad()
def group_accuracy(model: nn.Module, split: GroupSplit, batch_size: int) -> torch.Tensor:
    """Accuracy (%) of each model on each group, shape (R, 4); a prediction is sign(y_hat)."""
    model.eval()
    n, correct = len(split.y), []
    for i in range(0, n, batch_size):
        idx = torch.arange(i, min(i + batch_size, n), device=split.y.device)
        logits = model(split.x[idx]).reshape(-1, len(idx))  # (R, B)
        correct.append(((logits > 0).float() == split.y[idx]).float().cpu())
    correct, g = torch.cat(correct, -1), split.g.cpu()
    return 100 * torch.stack([correct[:, g == k].mean(-1) for k in range(4)], -1)


def select_epochs(valid: torch.Tensor, weights: torch.Tensor, select_by: str) -> torch.Tensor:
    """The epoch (>= 1) of best validation score per model; valid is (E + 1, R, 4) -> (R,).

    Ties go to the earliest epoch.
    """
    score = (valid * weights).sum(-1) if select_by == "avg" else valid.min(-1).values  # (E + 1, R)
    return score[1:].argmax(0) + 1


def train_method(cfg: configs.CelebAConfig, name: str, data: dict[str, GroupSplit], seeds,
                 device, progress: bool = True, checkpoint: Path | None = None) -> dict:
    """Train one method for `seeds`; return per-epoch group accuracies {"valid", "test"}: (E + 1, R, 4)."""
    recipe, train_split = cfg.recipes[name], data["train"]
    d_in = train_split.x[torch.tensor([0])].flatten(1).shape[1]
    model = build_model(cfg, tuple(seeds), d_in).to(device)
    n_batches = -(-len(train_split.y) // cfg.batch_size)

    def evaluate(step, model, history):  # after every epoch (and before the first)
        history.log(epoch=step // n_batches,
                    **{s: group_accuracy(model, data[s], cfg.eval_batch_size).tolist()
                       for s in ("valid", "test")})

    tc = TrainConfig(steps=recipe.epochs * n_batches, lr=recipe.lr, optimizer=recipe.optimizer,
                     momentum=recipe.momentum, weight_decay=recipe.weight_decay,
                     batch_size=cfg.batch_size, seed=int(seeds[0]))
    history = train(model, train_split.x, train_split.y, Objective(recipe.method, n_groups=4), tc,
                    env=train_split.g, callbacks=[evaluate], callback_every=n_batches,
                    checkpoint=checkpoint, checkpoint_every=n_batches, progress=progress,
                    desc=f"CelebA {name} (seeds {', '.join(map(str, seeds))})")
    return {s: torch.tensor(history.extra[s]) for s in ("valid", "test")}


def _stats(values) -> tuple[float, float]:
    """Mean and standard deviation (numpy's, ddof = 0) over seeds, rounded for stable outputs."""
    values = np.asarray(values, dtype=np.float64)
    return round(float(values.mean()), 4), round(float(values.std()), 4)


def difference(a: dict, b: dict, key: str = "worst") -> dict:
    """b - a of two methods' summaries (``summarize``) in "avg" or "worst"-group accuracy, with the
    standard error of that difference over seeds (Welch: sample variances from the stored population
    stds) and whether it exceeds two standard errors: what a claim "b moves the number" needs."""
    n_a, n_b = a["n_seeds"], b["n_seeds"]
    if min(n_a, n_b) < 2:
        raise ValueError(f"a difference needs >= 2 seeds per method, got {n_a} and {n_b}")
    var = lambda m, n: m[f"{key}_acc_std"] ** 2 * n / (n - 1)  # noqa: E731  sample variance
    diff = b[f"{key}_acc_mean"] - a[f"{key}_acc_mean"]
    se = float(np.sqrt(var(a, n_a) / n_a + var(b, n_b) / n_b))
    return {"diff": round(diff, 4), "se": round(se, 4), "beyond_2se": bool(abs(diff) > 2 * se)}


def summarize(curves: dict, data: dict[str, GroupSplit], select_by: str) -> dict:
    """Metrics of one method from its per-epoch group accuracies (E + 1, R, 4)."""
    valid, test = curves["valid"], curves["test"]
    best = select_epochs(valid, data["valid"].weights, select_by)  # (R,)
    r = torch.arange(len(best))
    chosen, chosen_valid = test[best, r], valid[best, r]  # (R, 4)
    avg, worst = (chosen * data["test"].weights).sum(-1), chosen.min(-1).values
    out = {}
    out["avg_acc_mean"], out["avg_acc_std"] = _stats(avg)
    out["worst_acc_mean"], out["worst_acc_std"] = _stats(worst)
    out["group_acc"] = {n: _stats(chosen[:, k])[0] for k, n in enumerate(GROUP_NAMES)}
    out["group_acc_std"] = {n: _stats(chosen[:, k])[1] for k, n in enumerate(GROUP_NAMES)}
    out["n_seeds"] = len(best)
    out["selected_epoch"] = best.tolist()
    out["valid_avg_acc_mean"] = _stats((chosen_valid * data["valid"].weights).sum(-1))[0]
    out["valid_worst_acc_mean"] = _stats(chosen_valid.min(-1).values)[0]
    out["curves"] = {"epoch": list(range(test.shape[0])),  # test accuracy per epoch, mean over seeds
                     "group_acc": [[round(float(v), 4) for v in row] for row in test.mean(1)],
                     "worst_acc": [round(float(v), 4) for v in test.min(-1).values.mean(1)]}
    return out


def run(cfg: configs.CelebAConfig, device=torch.device("cpu"), progress: bool = True,
        workdir=None) -> dict:
    """Train every method of `cfg` on every seed; JSON-ready metrics (accuracies in %)."""
    data = {s: split.to(device) for s, split in load_splits(cfg).items()}
    seed_groups = [tuple(cfg.seeds)] if cfg.arch == "mlp" else [(s,) for s in cfg.seeds]
    # The MLP's matrices are small: one CPU thread beats two, by far when other jobs share the cores.
    threads = torch.get_num_threads()
    if cfg.arch == "mlp" and torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    methods = {}
    try:
        for name in cfg.methods:
            runs = []
            for seeds in seed_groups:
                checkpoint = None
                if workdir is not None:
                    Path(workdir).mkdir(parents=True, exist_ok=True)
                    checkpoint = Path(workdir) / f"celeba-{name}-seeds{'_'.join(map(str, seeds))}.pt"
                runs.append(train_method(cfg, name, data, seeds, device, progress, checkpoint))
            curves = {s: torch.cat([c[s] for c in runs], dim=1) for s in ("valid", "test")}
            methods[name] = summarize(curves, data, cfg.recipes[name].select_by)
    finally:
        torch.set_num_threads(threads)
    return {"data": cfg.data, "group_names": list(GROUP_NAMES),
            "group_counts": {s: split.counts() for s, split in data.items()},
            "methods": methods}
