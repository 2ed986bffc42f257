"""Chapter 5: Colored MNIST (paper §5; camera-ready Table 2 and Figure 3), every method's restarts at once.

``run`` builds the environments once, moves them to the device, then for each method trains all
restarts together as one ``BatchedMLP`` (392 -> H -> H -> 1, Xavier weights, zero biases, full-batch
Adam) and reports, in percent: final train/test accuracy (mean and population std over restarts, as
the authors' ``np.std``), training curves, and the four-quadrant probe (accuracy and mean binary
entropy in nats, averaged over restarts; the authors probed one model). The authors' GS script seeds
each restart (1234 + restart) and redraws the environments for it; ``redraw_per_restart`` does the
same with our generator (each restart then trains on its own draw, stacked along the restart
dimension), while the default trains every restart and method on one seeded draw. The probe's four
inputs share the test set's labels and colours (the original redraws them for each quadrant).
``update_sizes`` measures the per-step parameter change around a schedule's switch. No plotting here:
this runs on GPU machines without plotly.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .. import configs
from ..data.colored_mnist import QUADRANTS, colored_mnist, grayscale, probe_quadrants
from ..models import BatchedMLP
from ..train import History, TrainConfig, record_update_size, train

PROFILES = configs.COLORED_MNIST_PROFILES


@contextmanager
def matmul_precision(tf32: bool):
    """fp32 matrix products ("highest") unless tf32; the previous setting is restored afterwards."""
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high" if tf32 else "highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def data_seeds(cfg: configs.ColoredMNISTConfig) -> tuple[int, ...]:
    """The environments' seed of each restart: one shared draw, or one per restart (redraw_per_restart)."""
    if cfg.redraw_per_restart:
        return tuple(1000 * cfg.data_seed + r for r in range(cfg.n_restarts))
    return (cfg.data_seed,)


def _draw(cfg: configs.ColoredMNISTConfig, seed: int) -> tuple[dict[str, torch.Tensor], list[dict]]:
    data = colored_mnist(seed, train_flips=cfg.train_flips, test_flip=cfg.test_flip,
                         label_noise=cfg.label_noise, n_per_env=cfg.n_per_env, n_test=cfg.n_test)
    stats = []
    for e, flip in enumerate(data.flips):
        part = data.environment(e)
        stats.append({"env": e, "n": len(part.y), "color_flip": flip,
                      "color_label_agreement": _r((part.color == part.y.long()).float().mean()),
                      "label_noise": _r(((part.digit < 5).float() != part.y).float().mean())})
    train_mask, test_mask = data.env < 2, data.env == 2
    flat = data.x.reshape(len(data.x), 392)
    return {"x": flat[train_mask], "y": data.y[train_mask], "env": data.env[train_mask],
            "x_test": flat[test_mask], "y_test": data.y[test_mask], "color_test": data.color[test_mask]}, stats


def build_data(cfg: configs.ColoredMNISTConfig, device) -> tuple[dict[str, torch.Tensor], list[dict]]:
    """The environments as flat tensors on `device` (training x (N, 392), y, env; the test set) and
    each environment's statistics: size, colour-label agreement and label noise. With
    redraw_per_restart every tensor but env gains a leading restart dimension, x (R, N, 392), and
    the statistics are those of restart 0's draw (env is the same for every draw)."""
    draws = [_draw(cfg, seed) for seed in data_seeds(cfg)]
    tensors, stats = draws[0]
    if cfg.redraw_per_restart:
        assert all(torch.equal(d["env"], tensors["env"]) for d, _ in draws)
        tensors = {k: v if k == "env" else torch.stack([d[k] for d, _ in draws]) for k, v in tensors.items()}
    return {k: v.to(device) for k, v in tensors.items()}, stats


def restart_seeds(cfg: configs.ColoredMNISTConfig) -> tuple[int, ...]:
    return tuple(1000 * cfg.seed + r for r in range(cfg.n_restarts))


def subset(data: dict[str, torch.Tensor], n_per_env: int) -> dict[str, torch.Tensor]:
    """The first `n_per_env` digits of each training environment (a random subset: they are
    shuffled); all of them when n_per_env is 0. The test set is kept whole."""
    if not n_per_env:
        return data
    keep = torch.cat([torch.nonzero(data["env"] == e).squeeze(1)[:n_per_env] for e in (0, 1)])
    return {**data, "x": data["x"][..., keep, :], "y": data["y"][..., keep], "env": data["env"][keep]}


def inputs(x: torch.Tensor, recipe: configs.ColoredMNISTRecipe) -> torch.Tensor:
    """What the model sees: the two colour channels (392) or, for the oracle, their sum (196);
    x is (N, 392) or, one draw per restart, (R, N, 392)."""
    return grayscale(x.reshape(-1, 392)).reshape(*x.shape[:-1], 196) if recipe.grayscale else x


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-restart accuracy in percent, logits (R, N) -> (R,)."""
    correct = ((logits > 0).float() == y).sum(-1).double()
    return 100.0 * correct / logits.shape[-1]


def binary_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Mean binary entropy of sigmoid(logits) in nats, (R, N) -> (R,) (computed stably from logits;
    the authors' script adds 1e-8 inside one of its logs)."""
    p = torch.sigmoid(logits)
    return (p * F.softplus(-logits) + (1 - p) * F.softplus(logits)).mean(-1)


def _model(recipe: configs.ColoredMNISTRecipe, x: torch.Tensor, seeds) -> BatchedMLP:
    model = BatchedMLP((x.shape[-1], recipe.hidden_dim, recipe.hidden_dim, 1), seeds, "relu", "xavier")
    return model.to(x.device)


def train_restarts(recipe: configs.ColoredMNISTRecipe, data: dict[str, torch.Tensor], seeds, eval_every: int,
                   progress: bool = False, checkpoint: Path | None = None, desc: str = "training"):
    """Train one method's restarts (one per seed) at once; return (model, History with accuracies)."""
    data = subset(data, recipe.n_per_env)
    x, x_test = inputs(data["x"], recipe), inputs(data["x_test"], recipe)
    model = _model(recipe, x, seeds)

    def evaluate(step: int, net: torch.nn.Module, history: History) -> None:
        with torch.no_grad():
            history.log(acc_step=step, train_acc=accuracy(net(x), data["y"]).tolist(),
                        test_acc=accuracy(net(x_test), data["y_test"]).tolist())

    cfg = TrainConfig(steps=recipe.steps, lr=recipe.lr, optimizer="adam", l2=recipe.l2)
    history = train(model, x, data["y"], recipe.method, cfg, env=data["env"], callbacks=[evaluate],
                    callback_every=eval_every, checkpoint=checkpoint, progress=progress, desc=desc)
    return model, history


def update_sizes(recipe: configs.ColoredMNISTRecipe, data: dict[str, torch.Tensor], seeds,
                 steps: int = 0, progress: bool = False) -> dict:
    """The size of every parameter update, ||theta_t - theta_{t-1}|| per restart, over the first
    `steps` steps of one recipe (0: all of them): {"step": 0-based step (T,), "update_size": (T, R)}.
    Shows what a schedule's switch (SD's loss scale after warm-up) does to Adam's steps."""
    data = subset(data, recipe.n_per_env)
    x = inputs(data["x"], recipe)
    model = _model(recipe, x, seeds)
    cfg = TrainConfig(steps=steps or recipe.steps, lr=recipe.lr, optimizer="adam", l2=recipe.l2)
    history = train(model, x, data["y"], recipe.method, cfg, env=data["env"], callbacks=[record_update_size()],
                    progress=progress, desc="update sizes")
    return {"step": history.extra["update_size_step"], "update_size": history.extra["update_size"]}


def probe(model: BatchedMLP, recipe: configs.ColoredMNISTRecipe, data: dict[str, torch.Tensor]) -> dict:
    """The four-quadrant probe: accuracy and entropy on each quadrant, mean (and std) over restarts.
    With one draw per restart, restart r is probed on its own test set."""
    x_test, color, y = data["x_test"], data["color_test"], data["y_test"]
    draws = [(x_test, color, y, slice(None))] if x_test.dim() == 2 else \
        [(x_test[r], color[r], y[r], slice(r, r + 1)) for r in range(len(x_test))]
    acc, ent = {q: [] for q in QUADRANTS}, {q: [] for q in QUADRANTS}
    with torch.no_grad():
        for xt, c, yt, rows in draws:
            for name, x in probe_quadrants(xt, c).items():
                logits = model(inputs(x, recipe))[rows]
                acc[name].append(accuracy(logits, yt)), ent[name].append(binary_entropy(logits))
    out = {}
    for q in QUADRANTS:
        a, e = torch.cat(acc[q]), torch.cat(ent[q])
        out[q] = {"acc": _r(a.mean()), "entropy": _r(e.mean()),
                  "acc_std": _r(a.std(unbiased=False)), "entropy_std": _r(e.std(unbiased=False))}
    return out


def _r(value, digits: int = 5) -> float:
    """A Python float with `digits` significant digits (byte-stable JSON and figures)."""
    return float(f"{float(value):.{digits}g}")


def _checkpoint(workdir, name: str, recipe, cfg, seeds) -> Path | None:
    if workdir is None:
        return None
    data = [cfg.n_per_env, cfg.n_test, list(cfg.train_flips), cfg.test_flip, cfg.label_noise, cfg.data_seed,
            cfg.eval_every, cfg.tf32] + (["redraw"] if cfg.redraw_per_restart else [])
    key = json.dumps([configs.as_dict(recipe), data, list(seeds)], sort_keys=True)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    return Path(workdir) / f"colored_mnist-{name}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.pt"


def summarize(history: History, n_restarts: int) -> dict:
    """Final accuracies (the last logged step) and the curves, mean over restarts."""
    train_acc = torch.tensor(history.extra["train_acc"])  # (T, R)
    test_acc = torch.tensor(history.extra["test_acc"])
    final_train, final_test = train_acc[-1], test_acc[-1]
    row = {"train_acc_mean": _r(final_train.mean()), "train_acc_std": _r(final_train.std(unbiased=False)),
           "test_acc_mean": _r(final_test.mean()), "test_acc_std": _r(final_test.std(unbiased=False)),
           "n_restarts": n_restarts, "train_acc_per_restart": [_r(a) for a in final_train],
           "test_acc_per_restart": [_r(a) for a in final_test]}
    curve = {"step": [int(s) for s in history.extra["acc_step"]],
             "train_acc": [_r(a) for a in train_acc.mean(1)], "test_acc": [_r(a) for a in test_acc.mean(1)]}
    return {"row": row, "curve": curve}


def forward_flops(sizes, n: int) -> int:
    """2 * N * sum(d_in * d_out): the multiply-adds of one forward pass of one restart."""
    return 2 * n * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def protocol_flops(cfg: configs.ColoredMNISTConfig) -> int:
    """Analytic FLOPs of ``run(cfg)``: per restart, 3 forward passes' worth per training step (forward
    and backward) on the training set, plus one forward on training and test set per curve point."""
    total = 0
    for name in cfg.methods:
        recipe = cfg.recipes[name]
        sizes = (196 if recipe.grayscale else 392, recipe.hidden_dim, recipe.hidden_dim, 1)
        n_evals = 1 + recipe.steps // cfg.eval_every + (recipe.steps % cfg.eval_every != 0)
        n_train = 2 * (recipe.n_per_env or cfg.n_per_env)
        total += cfg.n_restarts * (3 * recipe.steps * forward_flops(sizes, n_train)
                                   + n_evals * forward_flops(sizes, n_train + cfg.n_test))
    return total


def acceptance(methods: dict, reference: dict = configs.COLORED_MNIST_PAPER, names=("ERM", "SD", "IRM"),
               k: float = 2.0) -> dict:
    """Our test accuracy against the paper's: deviation in points and in the paper's standard
    deviations, and whether it lies within k of them (the book's acceptance rule)."""
    out = {}
    for name in names:
        mean, std = reference[name]["test"]
        deviation = methods[name]["test_acc_mean"] - mean
        out[name] = {"ours": methods[name]["test_acc_mean"], "paper_mean": mean, "paper_std": std,
                     "deviation": _r(deviation), "in_stds": _r(abs(deviation) / std),
                     "within": abs(deviation) <= k * std}
    return out


def run(cfg: configs.ColoredMNISTConfig, device, progress: bool = True, workdir=None) -> dict:
    """The paper's Colored MNIST table and probe for every method of `cfg`; JSON-ready metrics (%)."""
    device = torch.device(device)
    seeds = restart_seeds(cfg)
    with matmul_precision(cfg.tf32):
        data, stats = build_data(cfg, device)
        metrics = {"methods": {}, "quadrants": {}, "curves": {}, "environments": stats,
                   "restart_seeds": list(seeds), "data_seeds": list(data_seeds(cfg))}
        for name in tqdm(cfg.methods, desc="methods", disable=not progress, leave=False):
            recipe = cfg.recipes[name]
            model, history = train_restarts(recipe, data, seeds, cfg.eval_every, progress,
                                            _checkpoint(workdir, name, recipe, cfg, seeds), desc=name)
            summary = summarize(history, cfg.n_restarts)
            metrics["methods"][name] = summary["row"]
            metrics["curves"][name] = summary["curve"]
            metrics["quadrants"][name] = probe(model, recipe, data)
    return metrics
