"""Chapter 7: adversarial robustness of ERM and SD (PAPER §5, §8).

Two experiments. **Table**: for each run of ``cfg.runs`` train a K-class network with cross-entropy
(ERM) and with cross-entropy + sd_coef * mean(logits^2) (SD), then measure clean test accuracy and
robust accuracy under L-inf PGD (foolbox). **Two-class study**: a LeNet trained with SGD (batch 1) on
two classes, ERM and SD; for each test image the smallest L-inf perturbation that flips its
prediction (bisection over epsilon), summarised as the fraction of flipped images against epsilon.

Every model trains with ``gsutils.train.train``; images stay uint8 on the device and are scaled (and,
for CIFAR, randomly cropped and flipped) batch by batch; the normalisation is part of the model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .. import attacks, configs
from ..data import default_root
from ..data.cifar import CIFAR_STATS, load_cifar
from ..data.fashion_mnist import load_fashion_mnist
from ..methods import MethodConfig, Objective
from ..models_vision import build_classifier
from ..runtime import set_seed
from ..train import TrainConfig, train

PROFILES = configs.ROBUSTNESS_PROFILES
FASHION_STATS = ((0.2860,), (0.3530,))  # the authors' table_1/dataloader.py, FashionMNIST


class ImageBatches:
    """uint8 images (N, C, H, W) that ``train`` indexes like a tensor: ``images[idx]`` gives the
    float batch in [0, 1], randomly cropped (zero padding 4) and flipped when `augment` is on."""

    def __init__(self, images: torch.Tensor, augment: bool = False, seed: int = 0):
        self.images, self.augment = images, augment
        self.gen = torch.Generator().manual_seed(seed)

    @property
    def device(self):
        return self.images.device

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, idx) -> torch.Tensor:
        x = self.images[idx].float().div_(255)
        if not self.augment:
            return x
        b, _, h, w = x.shape
        shift = torch.randint(0, 9, (2, b), generator=self.gen).to(x.device)
        flip = (torch.rand(b, generator=self.gen) < 0.5).to(x.device)
        x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
        padded = F.pad(x, (4, 4, 4, 4))
        rows = (shift[0].view(-1, 1) + torch.arange(h, device=x.device)).view(b, 1, h, 1)
        cols = (shift[1].view(-1, 1) + torch.arange(w, device=x.device)).view(b, 1, 1, w)
        padded = padded.gather(2, rows.expand(-1, x.shape[1], -1, w + 8))
        return padded.gather(3, cols.expand(-1, x.shape[1], h, -1))


class SoftmaxObjective(Objective):
    """K-class cross-entropy; SD adds (sd_lambda / 2) * mean(logits^2) over batch and classes."""

    def __init__(self, sd_coef: float):
        super().__init__(MethodConfig("SD", sd_lambda=2 * sd_coef) if sd_coef else MethodConfig("ERM"))
        self.penalty = lambda logits, y, env, cfg: 0.5 * logits.pow(2).mean()

    def task(self, logits, y, env):
        return F.cross_entropy(logits, y)


def load_split(data: str, split: str, cfg: configs.RobustnessConfig):
    """(uint8 images, labels, n_classes, (mean, std)) of one split of `data`."""
    root = cfg.data_root or default_root()
    if data == "fashion_mnist":
        return (*load_fashion_mnist(cfg.data_root or None, split), 10, FASHION_STATS)
    x, y = load_cifar(root, data, split, download=cfg.download, verify_md5=cfg.verify_md5)
    return x, y, 10 if data == "cifar10" else 100, CIFAR_STATS[data]


def fit(model, images: ImageBatches, y, epochs, batch_size, lr, momentum, sd_coef, nesterov=False,
        weight_decay=0.0, milestones=(), lr_decay=0.1, seed=0, progress=True, checkpoint=None,
        desc="training"):
    """SGD on `model` with a step learning-rate schedule (x lr_decay at each milestone epoch)."""
    n_batches = -(-len(y) // batch_size)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, nesterov=nesterov,
                          weight_decay=weight_decay)

    def schedule(step, model, history):  # at the start of every epoch
        for group in opt.param_groups:
            group["lr"] = lr * lr_decay ** sum(step // n_batches >= m for m in milestones)

    tc = TrainConfig(steps=epochs * n_batches, lr=lr, optimizer="sgd", momentum=momentum,
                     batch_size=batch_size, seed=seed)
    train(model, images, y, SoftmaxObjective(sd_coef), tc, callbacks=[schedule],
          callback_every=n_batches, checkpoint=checkpoint, checkpoint_every=n_batches,
          progress=progress, desc=desc, optimizer=opt)
    return model.eval()


@torch.no_grad()
def logit_stats(model, x, y, batch_size=500) -> tuple[float, float]:
    """Accuracy (%) and mean L2 norm of the logits on images x in [0, 1]."""
    model.eval()
    logits = torch.cat([model(x[i: i + batch_size]) for i in range(0, len(x), batch_size)])
    return 100.0 * (logits.argmax(1) == y).float().mean().item(), logits.norm(dim=1).mean().item()


def _checkpoint(workdir, name):
    if workdir is None:
        return None
    Path(workdir).mkdir(parents=True, exist_ok=True)
    return Path(workdir) / f"robustness-{name}.pt"


def run_table_row(name: str, run: configs.RobustnessRun, cfg, device, progress=True, workdir=None) -> dict:
    """ERM and SD on one run of the table: accuracies (%), clean and under PGD."""
    x_tr, y_tr, k, (mean, std) = load_split(run.data, "train", cfg)
    x_te, y_te, _, _ = load_split(run.data, "test", cfg)
    if run.n_train:
        keep = torch.randperm(len(y_tr), generator=torch.Generator().manual_seed(cfg.seed))[:run.n_train]
        x_tr, y_tr = x_tr[keep], y_tr[keep]
    x_tr, y_tr = x_tr.to(device), y_tr.to(device)
    x_te, y_te = x_te[:run.n_test].to(device).float() / 255, y_te[:run.n_test].to(device)
    x_att, y_att = x_te[:run.n_attack], y_te[:run.n_attack]
    out = {}
    for method in configs.ROBUSTNESS_METHODS:
        set_seed(cfg.seed)  # ERM and SD start from the same weights
        model = build_classifier(run.arch, x_tr.shape[1], x_tr.shape[-1], k, run.width, mean, std).to(device)
        fit(model, ImageBatches(x_tr, run.augment, cfg.seed), y_tr, run.epochs, run.batch_size, run.lr,
            run.momentum, run.sd_coef if method == "SD" else 0.0, run.nesterov, run.weight_decay,
            run.milestones, run.lr_decay, cfg.seed, progress, _checkpoint(workdir, f"{name}-{method}"),
            desc=f"{name} {method}")
        clean, norm = logit_stats(model, x_te, y_te)
        train_acc, _ = logit_stats(model, x_tr[:run.n_test].float() / 255, y_tr[:run.n_test])
        robust = [attacks.robust_accuracy(model, x_att, y_att, e, cfg.attack_steps, e * cfg.attack_step / cfg.eps,
                                          cfg.random_start, cfg.seed) for e in (cfg.eps, *cfg.eps_grid)]
        out[method] = {"clean_acc": round(clean, 3), "robust_acc": round(robust[0], 3),
                       "train_acc": round(train_acc, 3), "logit_norm": round(norm, 4),
                       "robust_curve": {"eps": [round(e, 6) for e in cfg.eps_grid],
                                        "acc": [round(r, 3) for r in robust[1:]]}}
    return {"data": run.data, "arch": run.arch, "n_train": len(y_tr), "n_test": len(y_te),
            "n_attack": len(y_att), "methods": out}


def two_class_split(study: configs.TwoClassStudy, split: str, n: int, cfg):
    """Images of the study's two classes (relabelled 0 and 1), the first `n` of a seeded shuffle."""
    x, y, _, stats = load_split(study.data, split, cfg)
    keep = torch.isin(y, torch.tensor(study.classes))
    x, y = x[keep], (y[keep] == study.classes[1]).long()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(cfg.seed))[:n or len(y)]
    return x[order], y[order], stats


def run_two_class(study: configs.TwoClassStudy, cfg, device, progress=True, workdir=None) -> dict:
    """The minimal-perturbation study: per method, the flipped fraction against epsilon."""
    x_tr, y_tr, (mean, std) = two_class_split(study, "train", study.n_train, cfg)
    x_te, y_te, _ = two_class_split(study, "test", study.n_test, cfg)
    x_tr, y_tr = x_tr.to(device), y_tr.to(device)
    x_te, y_te = x_te.to(device).float() / 255, y_te.to(device)
    grid = np.linspace(0.0, study.eps_max, study.curve_points)
    out = {}
    for method in configs.ROBUSTNESS_METHODS:
        set_seed(cfg.seed)
        model = build_classifier(study.arch, x_tr.shape[1], x_tr.shape[-1], 2, study.net_size, mean, std)
        fit(model.to(device), ImageBatches(x_tr), y_tr, study.epochs, study.batch_size, study.lr,
            study.momentum, study.sd_coef if method == "SD" else 0.0, seed=cfg.seed, progress=progress,
            checkpoint=_checkpoint(workdir, f"two_class-{method}"), desc=f"two-class {method}")
        clean, norm = logit_stats(model, x_te, y_te)
        min_eps = attacks.minimal_linf(model, x_te, y_te, study.eps_max, study.tol, study.steps,
                                       study.rel_step, cfg.seed, progress=progress,
                                       desc=f"minimal perturbation {method}")
        median = min_eps.median().item()
        out[method] = {"median": None if math.isinf(median) else round(median, 5),
                       "not_flipped": round(100.0 * torch.isinf(min_eps).float().mean().item(), 3),
                       "clean_acc": round(clean, 3), "logit_norm": round(norm, 4),
                       "curve": {"eps": [round(float(e), 6) for e in grid],
                                 "flipped": attacks.flip_curve(min_eps, grid)}}
    return {"data": study.data, "classes": list(study.classes), "n_train": len(y_tr),
            "n_test": len(y_te), "tol": study.tol, "methods": out}


def run(cfg: configs.RobustnessConfig, device=torch.device("cpu"), progress: bool = True,
        workdir=None) -> dict:
    """Both experiments; ``methods`` is the first run of the table, ``runs`` holds every run."""
    # Small convolutions on shared CPU cores: one thread is several times faster than two (PyTorch's
    # threads wait for each other when other jobs hold the cores).
    threads = torch.get_num_threads()
    if torch.device(device).type == "cpu":
        torch.set_num_threads(1)
    try:
        runs = {name: run_table_row(name, r, cfg, device, progress, workdir) for name, r in cfg.runs.items()}
        study = run_two_class(cfg.two_class, cfg, device, progress, workdir)
    finally:
        torch.set_num_threads(threads)
    return {"methods": next(iter(runs.values()))["methods"], "runs": runs,
            "min_perturbation": study["methods"], "two_class": {k: v for k, v in study.items() if k != "methods"},
            "attack": {"eps": cfg.eps, "steps": cfg.attack_steps, "step": cfg.attack_step,
                       "random_start": cfg.random_start}}
