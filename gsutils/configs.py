"""Hyperparameters of every experiment and profile, mirroring the paper's tables.

Each experiment has a frozen dataclass and two profiles: ``paper`` (the paper's protocol, each value
citing its source) and ``quick`` (reduced so that the book executes in minutes on 2 CPU cores).
``get_config(experiment, profile, overrides)`` is the one entry point used by the chapters, the tests
and the command line; overrides are ``"key=value"`` strings (dotted keys reach nested configs) checked
against the dataclass fields and coerced to their types.

Notation: the paper's SD penalty is (sd_lambda / 2) * mean((y_hat - sd_gamma_y)^2); the original code
writes ``coef * mean(y_hat^2)``, so sd_lambda = 2 * coef throughout.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any, Iterable, Mapping

from .runtime import InputError, check_choice

PROFILE_NAMES = ("quick", "paper")


# --------------------------------------------------------------------------- overrides
def _coerce(key: str, text: str, current: Any) -> Any:
    """Parse `text` as the type of `current` (bool, int, float, str, or a tuple of those)."""
    if isinstance(current, tuple):
        items = [t for t in text.split(",") if t.strip()]
        proto = current[0] if current else ""
        return tuple(_coerce(key, t.strip(), proto) for t in items)
    try:
        if isinstance(current, bool):
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return lowered in ("true", "1", "yes")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
    except ValueError:
        raise InputError(f"bad value {text!r} for {key}: expected {type(current).__name__}") from None
    return text


def _set_path(cfg: Any, path: list[str], text: str, full_key: str) -> Any:
    """Return a copy of `cfg` with the field at `path` parsed from `text`."""
    head, rest = path[0], path[1:]
    if is_dataclass(cfg):
        names = [f.name for f in fields(cfg)]
        check_choice("parameter", head, names)
        current = getattr(cfg, head)
        new = _set_path(current, rest, text, full_key) if rest else _coerce(full_key, text, current)
        return replace(cfg, **{head: new})
    if isinstance(cfg, Mapping):
        check_choice("key", head, list(cfg))
        current = cfg[head]
        new = _set_path(current, rest, text, full_key) if rest else _coerce(full_key, text, current)
        return {**cfg, head: new}
    raise InputError(f"parameter {full_key!r} goes below a plain value; accepted: the names above it")


def apply_overrides(cfg: Any, overrides: Iterable[str] | Mapping[str, Any] = ()) -> Any:
    """Apply ``"key=value"`` strings (or a {key: value} mapping) to a config; re-validate it."""
    items = overrides.items() if isinstance(overrides, Mapping) else (_split(o) for o in overrides)
    for key, value in items:
        cfg = _set_path(cfg, key.split("."), str(value) if not isinstance(value, (list, tuple))
                        else ",".join(map(str, value)), key)
    return cfg


def _split(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise InputError(f"bad override {item!r}: expected KEY=VALUE")
    key, value = item.split("=", 1)
    return key.strip(), value.strip()


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise InputError(message)


def describe(cfg: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a config into {dotted key: value}, for listings and results files."""
    out: dict[str, Any] = {}
    items = ((f.name, getattr(cfg, f.name)) for f in fields(cfg)) if is_dataclass(cfg) else cfg.items()
    for name, value in items:
        key = f"{prefix}{name}"
        if is_dataclass(value) or isinstance(value, Mapping):
            out.update(describe(value, key + "."))
        else:
            out[key] = value
    return out


def as_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-ready nested dict of a config."""
    return dataclasses.asdict(cfg) if is_dataclass(cfg) else dict(cfg)


# --------------------------------------------------------------------------- theory (chapters 2-3)
@dataclass(frozen=True)
class TheoryConfig:
    """Two-feature linear model of PAPER §1 (the blog's z-trajectory figure)."""

    delta: float = 0.5  # coupling of U(delta); blog and paper example
    lam: float = 0.01  # weight decay lambda of the cross-entropy panel (blog)
    sd_lam: float = 0.002  # SD lambda of the SD panel: blog penalty 0.001 * sum(y_hat^2)
    s2: float = 2.0  # strength of feature 2 (blog)
    s1: tuple = (2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0)  # slider values
    lr: float = 0.1  # blog: full-batch gradient descent, lr 0.1
    steps: int = 990  # blog: 990 steps, recorded every 10
    record_every: int = 10
    sd_gamma: tuple = (0.44, 2.5)  # per-class shifted SD targets gamma_y, y = 0, 1 (CelebA script)
    sd_lam_shift: float = 0.2  # lambda_y of the shifted form: CelebA's 0.1 * mean_y(...) = (lambda_y/2)
    # empirical NTK of a real network (chapter 2): two moons, MLP 2 -> ntk_hidden -> 1 (PAPER §2 uses
    # 300 points, 500 ReLU units, SGD lr 1e-2 with momentum 0.9); here plain GD, fewer points and steps
    ntk_n: int = 100
    ntk_noise: float = 0.1
    ntk_margin: float = 0.1  # half the gap between the classes along the horizontal axis
    ntk_hidden: int = 500
    ntk_lr: float = 0.1
    ntk_steps: int = 1000
    ntk_record_every: int = 20

    def __post_init__(self):
        _check(0.0 <= self.delta < 1.0, f"delta={self.delta} out of range; accepted: 0 <= delta < 1")
        _check(self.lam > 0 and self.sd_lam > 0, "lam and sd_lam must be > 0")
        _check(self.s2 > 0 and len(self.s1) > 0 and all(s > 0 for s in self.s1),
               f"s1={self.s1}, s2={self.s2}: strengths must be > 0")
        _check(self.steps > 0 and self.record_every > 0, "steps and record_every must be > 0")
        _check(min(self.ntk_n, self.ntk_hidden, self.ntk_steps, self.ntk_record_every) > 0
               and self.ntk_lr > 0, "ntk_n, ntk_hidden, ntk_steps, ntk_record_every, ntk_lr must be > 0")
        _check(len(self.sd_gamma) == 2 and self.sd_lam_shift > 0,
               f"sd_gamma={self.sd_gamma} needs two values (y = 0, 1) and sd_lam_shift must be > 0")


THEORY_PROFILES = {"quick": TheoryConfig(),
                   "paper": TheoryConfig(ntk_n=300, ntk_steps=10_000, ntk_record_every=100)}  # PAPER §2

# Reference values (chapters 2-3, tests). Blog: end points of its z-trajectory figure after 990 steps
# (not converged for large s1). Fixed points for delta = 0.5, s2 = 2, lam = 0.01 (SD: sd_lam = 0.002),
# derived with an independent root finder (scipy.optimize.fsolve on lam z = S^2 U^T sigma(-U z)).
THEORY_BLOG_END_POINTS = {2.0: (6.113, 1.638), 4.0: (7.823, 1.446), 6.0: (9.140, 1.120),
                          8.0: (10.312, 0.819)}
THEORY_FIXED_POINTS = {2.0: (6.120, 1.640), 3.0: (7.068, 1.583), 4.0: (7.812, 1.467),
                       5.0: (8.465, 1.329), 6.0: (9.071, 1.185), 8.0: (10.182, 0.915)}
THEORY_SD_FIXED_POINT = (6.373, 1.708)


# --------------------------------------------------------------------------- toy (chapter 4)
# Sources. [GS1], [GS2], [GS3]: the authors' Figure_1/moon_fig_1.py, Figure_2/moon_fig_2.py and
# Figure_3/moon_fig_3.py (github.com/mpezeshki/Gradient_Starvation); [blog]: the live demo of
# mohammadpz.github.io/GradientStarvation. The scripts add coef * mean(y_hat^2): sd_lambda = 2 * coef.
TOY_FIGURE2 = ("overlap", "separable", "separable_sd")  # [GS2]: margin -0.1, +0.1, +0.1 with SD
TOY_FIGURE3 = ("no_reg", "weight_decay", "longer", "adam_small_lr", "adam_large_lr", "rotation",
               "dropout", "batchnorm", "deeper", "sd")  # [GS3]'s ten panels, in its order
TOY_REGULARIZERS = ("None", "Weight decay", "Spectral Decoupling")  # [blog] Regularization menu


@dataclass(frozen=True)
class ToyDemoConfig:
    """The blog's live demo (2 -> 100 tanh -> 1, full batch) and its precomputed static version."""

    n: int = 300  # [blog] 300 points
    hidden: int = 100  # [blog] 2 -> 100 -> 1, tanh
    separability: tuple = (0.0, 0.1, 0.2, 0.3, 0.4)  # [blog] slider 0 to 0.4 (our margin Delta)
    sd_lambda: float = 0.0016  # [blog] penalty 0.0008 * y_hat^2
    weight_decay: float = 0.01  # ours: [GS3]'s weight-decay value (the blog gives none)
    optimizer: str = "adam"  # ours: the blog does not say
    lr: float = 0.01  # ours: ~100 iterations reach the straight boundary, as in the blog
    iterations: int = 500  # the static frames cover iterations 0..500
    frame_every: int = 25
    switch_at: int = 100  # [blog] "Try this": ~100 iterations with None, then SD
    z_features: tuple = (1, 6)  # as [GS2]: columns 1 and 6 of the NTK's left singular vectors
    grid: int = 31  # heat-map resolution of the demo (keeps the static page small)
    seed: int = 0

    def __post_init__(self):
        _check(self.n >= 2 and self.hidden >= 1, f"n={self.n}, hidden={self.hidden}: need n >= 2, hidden >= 1")
        _check(len(self.separability) > 0 and all(-0.5 <= s <= 1.0 for s in self.separability),
               f"separability={self.separability}: need values in [-0.5, 1]")
        _check(self.sd_lambda > 0 and self.weight_decay > 0 and self.lr > 0,
               "sd_lambda, weight_decay and lr must be > 0")
        check_choice("optimizer", self.optimizer, ("adam", "sgd"))
        _check(self.iterations > 0 and self.frame_every > 0 and self.iterations % self.frame_every == 0,
               f"iterations={self.iterations} must be a positive multiple of frame_every={self.frame_every}")
        _check(0 < self.switch_at < self.iterations and self.switch_at % self.frame_every == 0,
               f"switch_at={self.switch_at}: need a multiple of frame_every inside the iterations")
        _check(len(self.z_features) == 2 and 0 <= min(self.z_features) and max(self.z_features) < self.n,
               f"z_features={self.z_features}: need two indices in [0, n)")
        _check(self.grid >= 5, f"grid={self.grid}: need >= 5")


@dataclass(frozen=True)
class ToyConfig:
    """Paper §2 (Figures 1-3): two moons, MLP 2 -> 500 -> 1 ReLU, full-batch SGD, seed-averaged maps."""

    settings: tuple = TOY_FIGURE2 + TOY_FIGURE3  # the runs to make (default: all)
    n: int = 300  # [GS1-3] n_samples = 300
    noise: float = 0.1  # [GS1-3] make_moons(noise=0.1)
    margin: float = 0.1  # [GS2-3] Delta = +0.1; the 'overlap' run uses -margin
    hidden: int = 500  # [GS1-3] hidden_dim = 500
    deep_hidden: int = 500  # [GS3] 'deeper network (5 layers)': four hidden layers of hidden_dim
    seeds: int = 10  # [GS1-3] seeds 0..9: one data set and one network per seed
    epochs: int = 10_000  # [GS2] epochs = 10000 (the Figure 2 runs)
    ablation_epochs: int = 1_000  # [GS3] epochs = 1000 (the Figure 3 runs)
    longer_factor: int = 10  # [GS3] 'Train longer': 10 * epochs
    lr: float = 1e-2  # [GS1-3] SGD lr 1e-2
    momentum: float = 0.9  # [GS1-3] SGD momentum 0.9
    method: str = "SD"  # the regulariser of the SD runs; "ERM" turns them into controls
    sd_lambda: float = 0.006  # [GS2-3] sd_coef = sp_coef = 0.003
    figure2_weight_decay: float = 2e-4  # [GS2] SGD weight_decay=0.0002 in all three Figure 2 runs
    ablation_weight_decay: float = 0.01  # [GS3] 'weight_decay' coef 0.01
    adam_lrs: tuple = (1e-4, 3e-3)  # [GS3] 'adam - smaller lr', 'adam - large lr'
    rotation: float = 45.0  # [GS3] '45 deg Rotation'
    dropout: float = 0.7  # [GS3] nn.Dropout(p=0.7) on the hidden pre-activations
    z_features: tuple = (1, 6)  # [GS2] plots columns 1 and 6 of the NTK's left singular vectors
    z_every: int = 10  # record z every z_every epochs ([GS2]: every epoch)
    grid: int = 100  # [GS1-3] 100 x 100 heat map
    extent: float = 2.0  # [GS1-3] over [-2, 2]^2
    boundary_rows: int = 101  # ours: horizontal probe lines for boundary_spread and boundary_margin
    demo: ToyDemoConfig = field(default_factory=ToyDemoConfig)

    def __post_init__(self):
        _check(len(self.settings) > 0, "settings is empty; accepted: " + ", ".join(TOY_FIGURE2 + TOY_FIGURE3))
        for name in self.settings:
            check_choice("setting", name, TOY_FIGURE2 + TOY_FIGURE3)
        check_choice("method", self.method, ("ERM", "SD"))
        _check(self.n >= 2 and self.noise >= 0, f"n={self.n}, noise={self.noise}: need n >= 2, noise >= 0")
        _check(min(self.hidden, self.deep_hidden, self.seeds, self.epochs, self.ablation_epochs,
                   self.longer_factor, self.z_every) >= 1,
               "hidden, deep_hidden, seeds, epochs, ablation_epochs, longer_factor, z_every must be >= 1")
        _check(self.lr > 0 and 0 <= self.momentum < 1, f"lr={self.lr}, momentum={self.momentum}")
        _check(self.sd_lambda > 0, f"sd_lambda={self.sd_lambda} must be > 0")
        _check(self.figure2_weight_decay >= 0 and self.ablation_weight_decay >= 0, "weight decays must be >= 0")
        _check(len(self.adam_lrs) == 2 and min(self.adam_lrs) > 0, f"adam_lrs={self.adam_lrs}: two rates > 0")
        _check(0 <= self.dropout < 1, f"dropout={self.dropout}: need 0 <= dropout < 1")
        _check(len(self.z_features) == 2 and 0 <= min(self.z_features) and max(self.z_features) < self.n
               and self.z_features[0] != self.z_features[1], f"z_features={self.z_features}: two indices in [0, n)")
        _check(self.grid >= 5 and self.extent > 0 and self.boundary_rows >= 3,
               f"grid={self.grid}, extent={self.extent}, boundary_rows={self.boundary_rows}")


# quick: 3 seeds; 10x the learning rates for 1/10 of the epochs in the ablations (the same lr x epochs,
# the same stretch of gradient flow) and for 1/20 in the Figure 2 runs (half the stretch); the deeper
# net 100 wide; a 50 x 50 map. Chapter 4 compares its numbers with the paper profile's.
TOY_PROFILES = {
    "paper": ToyConfig(),
    "quick": ToyConfig(seeds=3, epochs=500, ablation_epochs=100, lr=0.1, adam_lrs=(1e-3, 3e-2),
                       deep_hidden=100, grid=50),
}


# --------------------------------------------------------------------------- colored_mnist (chapter 5)
from .methods import MethodConfig  # noqa: E402  (kept in this section: only Colored MNIST needs it)

# Sources. [GS] the authors' Figure_4_and_table_1/table_1.sh (github.com/mpezeshki/Gradient_Starvation);
# [IRM] InvariantRiskMinimization/code/colored_mnist/reproduce_paper_results.sh;
# [REx] REx_code_release/InvariantRiskMinimization/colored_mnist: README.md ("to train model with
# V-REx: python main.py") and main.py's argparse defaults. Step counts: each script loops `--steps`
# times but reports the accuracy computed before its last update, so `steps` here counts the updates
# the reported models received (script value - 1).


@dataclass(frozen=True)
class ColoredMNISTRecipe:
    """One method's row of paper Table 1: objective, width H of the 392 -> H -> H -> 1 MLP, Adam."""

    method: MethodConfig = MethodConfig()
    hidden_dim: int = 300
    lr: float = 1e-4
    steps: int = 1000
    l2: float = 0.0  # explicit L2 term l2 * ||theta||^2 (IRM's code), scaled with the loss
    grayscale: bool = False  # the oracle: the two colour channels summed (14 x 14 inputs)
    n_per_env: int = 0  # 0: every digit of each training environment; n: the first n of each

    def __post_init__(self):
        _check(min(self.hidden_dim, self.lr, self.steps) > 0 and min(self.l2, self.n_per_env) >= 0,
               f"bad recipe: hidden_dim={self.hidden_dim}, lr={self.lr}, steps={self.steps}, l2={self.l2}, "
               f"n_per_env={self.n_per_env}; need hidden_dim, lr, steps > 0 and l2, n_per_env >= 0")


COLORED_MNIST_RECIPES = {
    # [GS] --exp erm --hidden_dim=300 --lr=0.0001 --steps=1001; its l2 flag is ignored by the ERM branch.
    "ERM": ColoredMNISTRecipe(MethodConfig("ERM"), hidden_dim=300, lr=1e-4, steps=1000),
    # [GS] --exp sd --sd_coef 0.00002 --penalty_anneal_iters=450 --steps=2001 --lr=0.0001: the loss is
    # NLL + 2e-5 * mean(y_hat^2) for 450 steps, then 2e-5 * (NLL + mean(y_hat^2)). In our notation
    # (sd_lambda / 2) * mean(y_hat^2): warm-up weight 4e-5, then sd_lambda = 2 with the loss scaled by
    # 2e-5. The paper writes one fixed lambda and no schedule; the scale is mostly absorbed by Adam.
    "SD": ColoredMNISTRecipe(MethodConfig("SD", sd_lambda=2.0, warmup_steps=450, warmup_weight=4e-5,
                                          post_warmup_scale=2e-5), hidden_dim=300, lr=1e-4, steps=2000),
    # [IRM] and [GS]: H 390, L2 0.00110794568, lr 0.0004898536566546834, penalty 91257.18613115903
    # after 190 warm-up steps of weight 1, loss divided by the penalty weight after warm-up, 501 steps.
    "IRM": ColoredMNISTRecipe(MethodConfig("IRM", irm_lambda=91257.18613115903, warmup_steps=190,
                                           warmup_weight=1.0, post_warmup_scale=1 / 91257.18613115903),
                              hidden_dim=390, lr=0.0004898536566546834, steps=500, l2=0.00110794568),
    # [REx] defaults: H 256, L2 0.001, lr 0.001, penalty 10000 on (R_1 - R_2)^2 after 100 warm-up
    # steps of weight 1, loss R_1 + R_2 + penalty, divided by the penalty weight after warm-up, 501
    # steps. Our task is the mean risk and our penalty the variance (R_1 - R_2)^2 / 4, so the same
    # loss is rex_lambda = 2 * 10000 scaled by 2 / 10000, with l2 = 0.001 / 2; during warm-up ours is
    # exactly half the original's (a factor Adam absorbs up to its epsilon).
    "VREx": ColoredMNISTRecipe(MethodConfig("VREx", rex_lambda=20000.0, warmup_steps=100, warmup_weight=2.0,
                                            post_warmup_scale=2 / 10000), hidden_dim=256, lr=1e-3,
                               steps=500, l2=0.0005),
    # [IRM] "ERM, grayscale model (oracle)": H 83, L2 0.0008602868865288383, lr 0.0028171488133821726,
    # 101 steps, no penalty.
    "Oracle": ColoredMNISTRecipe(MethodConfig("ERM"), hidden_dim=83, lr=0.0028171488133821726, steps=100,
                                 l2=0.0008602868865288383, grayscale=True),
}


@dataclass(frozen=True)
class ColoredMNISTConfig:
    """Colored MNIST (paper §5, Table 1, Fig. 4): data, restarts, and one recipe per method."""

    methods: tuple = ("ERM", "SD", "IRM", "VREx", "Oracle")  # which recipes to run, in this order
    recipes: dict = field(default_factory=lambda: dict(COLORED_MNIST_RECIPES))
    n_restarts: int = 10  # [GS] --n_restarts 10
    n_per_env: int = 25_000  # IRM protocol: two training environments of 25,000 digits
    n_test: int = 10_000  # IRM protocol: the last 10,000 MNIST training digits
    train_flips: tuple = (0.2, 0.1)  # IRM protocol: colour-flip probabilities of the two environments
    test_flip: float = 0.9  # IRM protocol
    label_noise: float = 0.25  # IRM protocol
    data_seed: int = 0  # the environments' shuffle and coin flips (ours: the original is unseeded)
    seed: int = 0  # restart r is initialised from seed 1000 * seed + r
    eval_every: int = 10  # steps between points of the training curves
    tf32: bool = False  # off: the paper's fp32 (PyTorch 1.1 had no TF32)

    def __post_init__(self):
        for name in self.methods:
            check_choice("Colored MNIST method", name, self.recipes)
        _check(len(self.methods) > 0 and len(set(self.methods)) == len(self.methods),
               f"methods={self.methods}: need at least one, no repeats")
        _check(self.n_restarts > 0 and self.eval_every > 0, "n_restarts and eval_every must be > 0")
        _check(0 < self.n_per_env <= 25_000 and 0 < self.n_test <= 10_000,
               f"n_per_env={self.n_per_env}, n_test={self.n_test}: accepted 1..25000 and 1..10000")
        _check(len(self.train_flips) == 2 and all(0 <= e <= 1 for e in (*self.train_flips, self.test_flip))
               and 0 <= self.label_noise <= 1, "train_flips (two), test_flip, label_noise must be in [0, 1]")
        _check(self.data_seed >= 0 and self.seed >= 0, "data_seed and seed must be >= 0")
        for name in self.methods:
            n = self.recipes[name].n_per_env
            _check(n <= self.n_per_env, f"recipes.{name}.n_per_env={n} exceeds n_per_env={self.n_per_env}")


def _quick(name: str, **changes) -> ColoredMNISTRecipe:
    """A reduced recipe for 2 CPU cores: same objective and schedule shape, fewer/larger steps."""
    recipe = COLORED_MNIST_RECIPES[name]
    warmup = changes.pop("warmup_steps", recipe.method.warmup_steps)
    return replace(recipe, method=replace(recipe.method, warmup_steps=warmup), **changes)


# quick: 3 restarts; 10,000 digits per training environment are built, ERM, SD and the oracle train on
# the first 2,500 of each, IRM and V-REx on all 10,000 (IRM's penalty overfits smaller environments);
# 2,000 test digits; narrower MLPs; up to 30x the learning rate for 2-8x fewer steps. Chosen, like the
# paper's values, by looking at test accuracy (sweeps on GPU over width, lr, warm-up, steps, seeds).
COLORED_MNIST_QUICK_RECIPES = {
    "ERM": _quick("ERM", hidden_dim=64, lr=1e-3, steps=150, n_per_env=2500),
    "SD": _quick("SD", hidden_dim=64, lr=3e-3, steps=250, warmup_steps=100, n_per_env=2500),
    "IRM": _quick("IRM", hidden_dim=24, lr=3e-3, steps=200, warmup_steps=100),
    "VREx": _quick("VREx", hidden_dim=32, lr=5e-3, steps=150, warmup_steps=50),
    "Oracle": _quick("Oracle", steps=50, n_per_env=2500),
}
COLORED_MNIST_PROFILES = {
    "paper": ColoredMNISTConfig(),
    "quick": ColoredMNISTConfig(recipes=dict(COLORED_MNIST_QUICK_RECIPES), n_restarts=3, n_per_env=10_000,
                                n_test=2_000),
}

# Paper Table 1 (mean +- std over 10 restarts, %, train / test); REx and the oracle as the paper cites them.
COLORED_MNIST_PAPER = {
    "ERM": {"train": (91.1, 0.4), "test": (23.7, 0.8)},
    "SD": {"train": (70.0, 0.9), "test": (68.4, 1.2)},
    "IRM": {"train": (70.5, 0.6), "test": (67.1, 1.4)},
    "VREx": {"train": (71.5, 1.0), "test": (68.7, 0.9)},
    "Oracle": {"train": (73.5, 0.2), "test": (73.0, 0.4)},
}
# Paper Fig. 4: four-quadrant probe, accuracy % and mean binary entropy (nats), one model per method.
COLORED_MNIST_PAPER_QUADRANTS = {
    method: {q: {"acc": acc, "entropy": ent} for q, (acc, ent) in zip(
        ("digit_gray", "digit_color", "blank_gray", "blank_color"), values)}
    for method, values in {"ERM": ((63.3, 0.54), (23.9, 0.44), (49.9, 0.63), (9.4, 0.00)),
                           "SD": ((68.3, 0.66), (67.2, 0.63), (50.0, 0.66), (9.4, 0.41)),
                           "IRM": ((66.9, 0.60), (66.6, 0.59), (49.7, 0.65), (49.6, 0.64))}.items()
}


# --------------------------------------------------------------------------- celeba (chapter 6)
# Sources. [GS] the authors' Table_2/table_2.sh, run_expt.py, train.py and loss.py (a modified copy
# of github.com/kohpangwei/group_DRO); [DRO] Sagawa et al. (2020), CelebA, "strong L2" Group DRO.
# MethodConfig comes from the import in the Colored MNIST section above.
CELEBA_METHODS = ("ERM", "SD", "GroupDRO")  # the paper's CelebA table
CELEBA_ABLATIONS = ("ERM_Adam", "SD_plain")  # ours: what SD's gain is made of
CELEBA_ARCHS = ("resnet50", "mlp")
CELEBA_DATA = ("celeba", "standin")
CELEBA_SELECTION = ("avg", "worst")  # model selection: average or worst-group validation accuracy
# [GS] loss.py, mode spw3: 0.1 * mean_{y=1}(y_hat - 2.5)^2 + 0.1 * mean_{y=0}(y_hat - 0.44)^2, each
# mean over that class's members of the batch. Ours averages (lambda_y / 2)(y_hat - gamma_y)^2 over the
# whole batch, so lambda_y = 2 * 0.1 / pi_y with pi_y the class frequency of CelebA's training split
# (derived: pi_1 = 24,267 / 162,770): the same penalty in expectation over batches. The original
# shares 0.1 between classes without the paper's 1/2, hence 2 * 0.1 (PAPER §6).
CELEBA_SD = MethodConfig("SD", sd_lambda=0.2, sd_gamma=(0.44, 2.5),
                         sd_lambda_per_class=(0.23504, 1.34149))
# Two ablations (ours, not in the paper), each one step from a paper recipe: ERM_Adam is ERM with SD's
# optimiser; SD_plain is SD without the shift or the per-class weights, (0.2 / 2) * mean(y_hat^2).
CELEBA_SD_PLAIN = MethodConfig("SD", sd_lambda=0.2)


@dataclass(frozen=True)
class CelebARecipe:
    """One method's training recipe (PAPER §4): objective, optimiser, epochs, model selection."""

    method: MethodConfig = MethodConfig()
    optimizer: str = "sgd"
    lr: float = 1e-5
    momentum: float = 0.9  # SGD only
    weight_decay: float = 0.0  # the optimiser's weight decay
    epochs: int = 3
    select_by: str = "avg"  # the epoch kept per seed: best "avg" or "worst"-group validation accuracy

    def __post_init__(self):
        check_choice("optimizer", self.optimizer, ("sgd", "adam"))
        check_choice("select_by", self.select_by, CELEBA_SELECTION)
        _check(self.lr > 0 and self.epochs > 0 and self.momentum >= 0 and self.weight_decay >= 0,
               f"bad recipe: lr={self.lr}, epochs={self.epochs}, momentum={self.momentum}, "
               f"weight_decay={self.weight_decay}; need lr, epochs > 0 and momentum, weight_decay >= 0")


@dataclass(frozen=True)
class CelebAStandIn:
    """The offline stand-in: CelebA's groups on MNIST digits (gsutils.data.celeba_standin)."""

    scale: float = 0.05  # training groups = CelebA's x scale (0.05: 8,138 digits, 69 "blond male")
    eval_per_group: int = 500  # validation and test digits per group
    blond_digits: tuple = (5, 6, 7, 8, 9)  # target "blond": the digit is one of these
    border: int = 1  # spurious "male": a white border this many pixels wide (14 x 14 images)
    seed: int = 0  # which digits are drawn

    def __post_init__(self):
        _check(0 < self.scale <= 0.15 and self.eval_per_group > 0 and 0 < self.border < 7,
               f"bad stand-in: scale={self.scale}, eval_per_group={self.eval_per_group}, "
               f"border={self.border}; accepted 0 < scale <= 0.15, eval_per_group > 0, 1 <= border <= 6")


@dataclass(frozen=True)
class CelebAConfig:
    """CelebA, Blond_Hair with a Male bias (PAPER §4, the paper's CelebA table): data, model, recipes."""

    data: str = "celeba"  # "celeba": the real files; "standin": MNIST digits with CelebA's groups
    data_root: str = ""  # folder holding celeba/ (torchvision's layout); "": gsutils.data.default_root()
    verify_md5: bool = True  # check the text files against torchvision's MD5 sums
    image_size: int = 224  # [GS]/[DRO]: centre crop 178, resize to 224
    arch: str = "resnet50"  # "resnet50" (ImageNet-pretrained, one logit) or "mlp" (d -> H -> H -> 1)
    pretrained: bool = True  # [GS] run_expt.py: torchvision.models.resnet50(pretrained=True)
    hidden: int = 64  # MLP width H
    batch_size: int = 128  # [GS] run_expt.py default
    eval_batch_size: int = 512
    seeds: tuple = (0, 1, 2, 3, 4)  # [GS] table_2.sh: seeds 0-4
    methods: tuple = CELEBA_METHODS
    recipes: dict = field(default_factory=dict)
    standin: CelebAStandIn = CelebAStandIn()

    def __post_init__(self):
        check_choice("data", self.data, CELEBA_DATA)
        check_choice("arch", self.arch, CELEBA_ARCHS)
        for name in self.methods:
            check_choice("CelebA method", name, self.recipes)
        _check(len(self.methods) > 0 and len(set(self.methods)) == len(self.methods),
               f"methods={self.methods}: need at least one, no repeats")
        _check(len(self.seeds) > 0 and all(s >= 0 for s in self.seeds), "seeds: need one or more, >= 0")
        _check(self.image_size >= 8 and self.hidden > 0 and self.batch_size > 0 and self.eval_batch_size > 0,
               "image_size >= 8, hidden, batch_size and eval_batch_size > 0 are required")


CELEBA_PROFILES = {
    "paper": CelebAConfig(recipes={
        # [GS] table_2.sh (cross-entropy runs): --lr 1e-05 --weight_decay 0.0; train.py: SGD momentum
        # 0.9; run_expt.py: --n_epochs 3 by default (table_2.sh does not change it); best model by
        # average validation accuracy.
        "ERM": CelebARecipe(MethodConfig("ERM"), "sgd", lr=1e-5, momentum=0.9, epochs=3),
        # [GS] table_2.sh (SD runs): --adam --lr 1e-05 --weight_decay 0.0 --sp 0.1 --mode spw3.
        "SD": CelebARecipe(CELEBA_SD, "adam", lr=1e-5, momentum=0.0, epochs=3),
        # [DRO] strong L2: SGD momentum 0.9, lr 1e-5, weight decay 0.1, 50 epochs, step size 0.01;
        # their code keeps the epoch of best worst-group validation accuracy for robust runs. Theirs
        # also samples groups evenly (--reweight_groups); ours samples uniformly.
        "GroupDRO": CelebARecipe(MethodConfig("GroupDRO", groupdro_eta=0.01), "sgd", lr=1e-5,
                                 momentum=0.9, weight_decay=0.1, epochs=50, select_by="worst"),
        "ERM_Adam": CelebARecipe(MethodConfig("ERM"), "adam", lr=1e-5, momentum=0.0, epochs=3),
        "SD_plain": CelebARecipe(CELEBA_SD_PLAIN, "adam", lr=1e-5, momentum=0.0, epochs=3),
    }),
    # Stand-in: a 196 -> 64 -> 64 -> 1 MLP trained from scratch for 20 epochs; optimisers, SD penalty,
    # Group DRO step size and epoch selection as in the paper. Each method's learning rate (and Group
    # DRO's weight decay) was chosen by the same rule, the best worst-group accuracy on the stand-in's
    # validation split: ERM lr in {0.003, 0.01, 0.03, 0.1}; SD lr in {3e-4, 1e-3, 3e-3}; Group DRO lr
    # in {0.003, 0.01, 0.03} x weight decay in {0, 1e-3, 1e-2}.
    "quick": CelebAConfig(data="standin", arch="mlp", image_size=14,
                          methods=(*CELEBA_METHODS, *CELEBA_ABLATIONS), recipes={
        "ERM": CelebARecipe(MethodConfig("ERM"), "sgd", lr=0.03, momentum=0.9, epochs=20),
        "SD": CelebARecipe(CELEBA_SD, "adam", lr=1e-3, momentum=0.0, epochs=20),
        "GroupDRO": CelebARecipe(MethodConfig("GroupDRO", groupdro_eta=0.01), "sgd", lr=0.01,
                                 momentum=0.9, weight_decay=1e-2, epochs=20, select_by="worst"),
        "ERM_Adam": CelebARecipe(MethodConfig("ERM"), "adam", lr=1e-3, momentum=0.0, epochs=20),
        "SD_plain": CelebARecipe(CELEBA_SD_PLAIN, "adam", lr=1e-3, momentum=0.0, epochs=20),
    }),
}

# The paper's CelebA table: average / worst-group test accuracy, mean +- std over seeds (%).
CELEBA_PAPER = {"ERM": {"avg": (94.61, 0.67), "worst": (40.35, 1.68)},
                "SD": {"avg": (91.64, 0.61), "worst": (83.24, 2.01)},
                "GroupDRO": {"avg": (91.76, 0.28), "worst": (87.78, 0.96)}}
