"""Search spaces of the hyperparameter sweeps (chapter 8), one per experiment and method.

Each space lists the knobs of a method's recipe with the range a random search draws them from and
where that range comes from; the default is the recipe itself (``COLORED_MNIST_RECIPES``,
``CELEBA_PROFILES``): trial 0 of every sweep is the recipe unchanged, trials 1, 2, ... are drawn,
as in DomainBed. Each hyperparameter of each trial is drawn from its own generator, seeded from
``seed_hash(experiment, method, trial, name)`` (DomainBed's ``misc.seed_hash``), so adding or removing
a hyperparameter never shifts the draws of the others.

Sources. [IRM] InvariantRiskMinimization/code/colored_mnist/reproduce_paper_results.sh (its comments
give the 50-trial random search behind the IRM and oracle rows); [DB] DomainBed's
hparams_registry.py; [GS] the paper's scripts; "ours" where no source has one.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from .core import check

__all__ = ["Hparam", "SEARCH_SPACES", "SWEEP_QUICK_FIXED", "SWEEP_QUICK_OVERRIDES", "seed_hash", "draw_hparams"]


def seed_hash(*args) -> int:
    """An integer seed from any arguments (DomainBed's misc.seed_hash: md5 of their str)."""
    return int(hashlib.md5(str(args).encode("utf-8")).hexdigest(), 16) % (2**31)


@dataclass(frozen=True)
class Hparam:
    """One searched knob: ``kind`` "log10" draws 10**U(low, high), "log2_floor" 2**floor(U(low,
    high)) (an int), "uniform" U(low, high)."""

    name: str
    kind: str
    low: float
    high: float
    source: str

    def __post_init__(self):
        check(self.kind in ("log10", "log2_floor", "uniform") and self.low < self.high,
              f"bad hyperparameter {self.name}: kind={self.kind!r}, low={self.low}, high={self.high}")

    def draw(self, rng: np.random.RandomState):
        u = rng.uniform(self.low, self.high)
        if self.kind == "log10":
            return float(10 ** u)
        if self.kind == "log2_floor":
            return int(2 ** math.floor(u))
        return float(u)

    def describe(self) -> str:
        return {"log10": f"10^U({self.low:g}, {self.high:g})", "uniform": f"U({self.low:g}, {self.high:g})",
                "log2_floor": f"2^floor(U({self.low:g}, {self.high:g}))"}[self.kind]


# The IRM script's draws: hidden_dim = int(2**U(6, 9)), l2 = 10**U(-5, -2), lr = 10**U(-3.5, -2.5),
# penalty_anneal_iters = randint(50, 250) of 501 steps, penalty_weight = 10**U(2, 6). Ours differs in
# two places: the width's exponent is floored (64, 128 or 256) so that trials share shapes and train
# as one batch, and the warm-up is a fraction of the recipe's steps (0.1-0.5: 50-250 of 500), so one
# range serves recipes of 500 and 2,000 steps.
_WIDTH = Hparam("hidden_dim", "log2_floor", 6, 9, "[IRM] int(2**U(6, 9)), exponent floored (ours)")
_LR = Hparam("lr", "log10", -3.5, -2.5, "[IRM] 10**U(-3.5, -2.5)")
_L2 = Hparam("l2", "log10", -5, -2, "[IRM] 10**U(-5, -2)")
_WARMUP = Hparam("warmup_frac", "uniform", 0.1, 0.5, "[IRM] randint(50, 250) of 500 steps, as a fraction")

SEARCH_SPACES = {
    "colored_mnist": {
        # The IRM authors searched ERM's knobs for the grayscale oracle only ("since ERM performs
        # worse than random guessing, we can't really search over hyperparams"); we give ERM the
        # oracle's space, which is what an honest sweep would do.
        "ERM": (_WIDTH, _LR, _L2),
        # SD's post-warm-up coefficient on mean(y_hat^2) ([GS]: 1.0, i.e. sd_lambda = 2): ours, a
        # decade either side. DomainBed's sd_reg = 10**U(-5, -1) is for SD without warm-up or rescaling.
        "SD": (_WIDTH, _LR, _WARMUP, Hparam("sd_coef", "log10", -1, 1, "ours: [GS] 1.0, a decade either side")),
        "IRM": (_WIDTH, _LR, _L2, _WARMUP, Hparam("irm_lambda", "log10", 2, 6, "[IRM] 10**U(2, 6)")),
        # The weight on (R_1 - R_2)^2 as the REx script and DomainBed write it (ours: rex_lambda = 2x).
        "VREx": (_WIDTH, _LR, _L2, _WARMUP, Hparam("vrex_lambda", "log10", -1, 5, "[DB] 10**U(-1, 5)")),
    },
    "celeba": {
        # ours: a decade either side of the recipe's learning rate (the stand-in's grids were narrower).
        "ERM": (Hparam("lr_factor", "log10", -1, 1, "ours: recipe lr x 10**U(-1, 1)"),),
        "SD": (Hparam("lr_factor", "log10", -1, 1, "ours: recipe lr x 10**U(-1, 1)"),),
        "GroupDRO": (Hparam("lr_factor", "log10", -1, 1, "ours: recipe lr x 10**U(-1, 1)"),
                     Hparam("groupdro_eta", "log10", -3, -1, "[DB] 10**U(-3, -1)"),
                     Hparam("weight_decay", "log10", -6, -2, "[DB] 10**U(-6, -2)")),
    },
}
# The quick profile keeps each recipe's width (so every trial of a method trains in one batch on a
# CPU) and moves learning-rate draws by the factor its quick recipe moved the paper's learning rate.
SWEEP_QUICK_FIXED = ("hidden_dim",)
# A quick sweep trains (trials x folds) times what a quick run trains, so it shrinks the quick profile
# further (ours, for ~2 minutes on 2 CPU cores): Colored MNIST with 2 restarts on 2,000 digits per
# training environment (1,600 after the validation hold-out) for every method, ERM and SD 32 units
# wide; the CelebA stand-in with 3 seeds and 10 epochs. Applied before the user's overrides.
SWEEP_QUICK_OVERRIDES = {
    "colored_mnist": tuple(f"recipes.{m}.n_per_env=0" for m in ("ERM", "SD", "Oracle"))
    + ("recipes.ERM.hidden_dim=32", "recipes.SD.hidden_dim=32", "n_per_env=2000", "n_restarts=2"),
    "celeba": ("seeds=0,1,2",) + tuple(f"recipes.{m}.epochs=10" for m in ("ERM", "SD", "GroupDRO")),
}


def draw_hparams(experiment: str, method: str, trial: int, profile: str = "paper") -> dict:
    """Trial `trial`'s values {name: value}; trial 0 is the recipe's defaults, i.e. {}."""
    check(trial >= 0, f"bad trial {trial}: need >= 0")
    if trial == 0:
        return {}
    space = SEARCH_SPACES[experiment][method]
    skip = SWEEP_QUICK_FIXED if profile == "quick" else ()
    return {h.name: h.draw(np.random.RandomState(seed_hash(experiment, method, trial, h.name)))
            for h in space if h.name not in skip}
