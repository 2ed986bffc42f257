"""Toy 2-D task (chapter 4): the paper's moons runs and the blog's live demo."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..runtime import check_choice
from .core import check

__all__ = ['TOY_FIGURE2', 'TOY_FIGURE3', 'TOY_REGULARIZERS', 'ToyDemoConfig', 'ToyConfig',
           'TOY_PROFILES']


# Sources. [GS1], [GS2], [GS3]: the authors' Figure_1/moon_fig_1.py, Figure_2/moon_fig_2.py and
# Figure_3/moon_fig_3.py (github.com/mpezeshki/Gradient_Starvation; "Figure 2/3" below name these
# scripts, in the arXiv numbering: in the camera-ready version the ablations are an appendix figure,
# folder Figure_6 of the rebuttal code); [blog]: the live demo of
# mohammadpz.github.io/GradientStarvation. The scripts add coef * mean(y_hat^2): sd_lambda = 2 * coef.
TOY_FIGURE2 = ("overlap", "separable", "separable_sd")  # [GS2]: margin -0.1, +0.1, +0.1 with SD
TOY_FIGURE3 = ("no_reg", "weight_decay", "longer", "adam_small_lr", "adam_large_lr", "rotation",
               "dropout", "batchnorm", "deeper", "sd")  # [GS3]'s ten panels, in its order
TOY_REGULARIZERS = ("None", "Weight decay", "Spectral Decoupling")  # [blog] Regularization menu


@dataclass(frozen=True)
class ToyDemoConfig:
    """The blog's live demo as its bundle.js runs it, and its precomputed static version.

    2 -> 100 tanh -> 1 (linear output), full-batch plain gradient descent on the mean logistic loss.
    """

    n: int = 300  # [blog] its 300 points are scale * two_moons(300, 0.1, margin 0, seed 0) (tests check)
    scale: float = 2.5  # [blog] see n
    extent: float = 5.0  # [blog] heat map over [-5, 5]^2
    hidden: int = 100  # [blog] 2 -> 100 -> 1, tanh
    # [blog] slider 'noise' from -40 to 0 in steps of 5, divided by 100: class +1 points move to
    # x - noise, class -1 points to x + noise; 0 (the default and maximum) is the base data with its
    # small gap, lower values make the classes overlap
    separability: tuple = (-0.4, -0.2, 0.0)  # three of the slider's positions (a light static page)
    sd_lambda: float = 0.0016  # [blog] loss derivative + 0.0016 y_hat: penalty 0.0008 * y_hat^2
    weight_decay: float = 0.02  # [blog] 'Weight decay': w -= step * 0.02 * w after each step (not biases)
    base_decay: float = 1e-4  # [blog] 'None' still decays: w -= step * 1e-4 * w; SD has no decay
    optimizer: str = "gd"  # [blog] "gd"; "adam" is ours, not the blog's (Adam at lr, decays as L2)
    lr: float = 0.01  # [blog] learningRate 0.01; step = min(lr + lr_ramp * t, lr_max), t = 1, 2, ...
    lr_ramp: float = 0.04  # [blog] counted from the last Initialize or change of regulariser
    lr_max: float = 4.0  # [blog]
    seed: int = 1379  # [blog] initial weights from its LCG (seed drawn from 1375-1389), biases 0.1
    iterations: int = 500  # the static frames cover iterations 0..500 (the blog pauses at 1,000)
    frame_every: int = 100  # a frame every 100 iterations (keeps the toy page under its 4 MB budget)
    switch_at: int = 100  # [blog] "Try this": ~100 iterations with None, then SD
    z_features: tuple = (1, 6)  # ours, as [GS2]: columns 1 and 6 of the NTK's left singular vectors
    grid: int = 17  # heat-map resolution of the static demo (keeps the page small; the blog's is 70)

    def __post_init__(self):
        check(self.n >= 2 and self.hidden >= 1, f"n={self.n}, hidden={self.hidden}: need n >= 2, hidden >= 1")
        check(self.scale > 0 and self.extent > 0, f"scale={self.scale}, extent={self.extent}: need > 0")
        check(len(self.separability) > 0 and all(-1.0 <= s <= 1.0 for s in self.separability),
               f"separability={self.separability}: need values in [-1, 1] (the blog's slider: -0.4 to 0)")
        check(self.sd_lambda > 0 and self.weight_decay >= 0 and self.base_decay >= 0 and self.lr > 0
               and self.lr_ramp >= 0 and self.lr_max >= self.lr,
               "need sd_lambda, lr > 0; weight_decay, base_decay, lr_ramp >= 0; lr_max >= lr")
        check_choice("optimizer", self.optimizer, ("gd", "adam"))
        check(self.seed > 0, f"seed={self.seed}: the blog's generator needs a seed > 0")
        check(self.iterations > 0 and self.frame_every > 0 and self.iterations % self.frame_every == 0,
               f"iterations={self.iterations} must be a positive multiple of frame_every={self.frame_every}")
        check(0 < self.switch_at < self.iterations and self.switch_at % self.frame_every == 0,
               f"switch_at={self.switch_at}: need a multiple of frame_every inside the iterations")
        check(len(self.z_features) == 2 and 0 <= min(self.z_features) and max(self.z_features) < self.n,
               f"z_features={self.z_features}: need two indices in [0, n)")
        check(self.grid >= 5, f"grid={self.grid}: need >= 5")


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
    ablation_epochs: int = 10_000  # [GS3] HEAD epochs = 10000 (commit "number of epochs to 10k"; camera-ready Figure_6/fig_6.py)
    longer_factor: int = 10  # [GS3] 'Train longer': 10 * epochs = 100,000
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
        check(len(self.settings) > 0, "settings is empty; accepted: " + ", ".join(TOY_FIGURE2 + TOY_FIGURE3))
        for name in self.settings:
            check_choice("setting", name, TOY_FIGURE2 + TOY_FIGURE3)
        check_choice("method", self.method, ("ERM", "SD"))
        check(self.n >= 2 and self.noise >= 0, f"n={self.n}, noise={self.noise}: need n >= 2, noise >= 0")
        check(min(self.hidden, self.deep_hidden, self.seeds, self.epochs, self.ablation_epochs,
                   self.longer_factor, self.z_every) >= 1,
               "hidden, deep_hidden, seeds, epochs, ablation_epochs, longer_factor, z_every must be >= 1")
        check(self.lr > 0 and 0 <= self.momentum < 1, f"lr={self.lr}, momentum={self.momentum}")
        check(self.sd_lambda > 0, f"sd_lambda={self.sd_lambda} must be > 0")
        check(self.figure2_weight_decay >= 0 and self.ablation_weight_decay >= 0, "weight decays must be >= 0")
        check(len(self.adam_lrs) == 2 and min(self.adam_lrs) > 0, f"adam_lrs={self.adam_lrs}: two rates > 0")
        check(0 <= self.dropout < 1, f"dropout={self.dropout}: need 0 <= dropout < 1")
        check(len(self.z_features) == 2 and 0 <= min(self.z_features) and max(self.z_features) < self.n
               and self.z_features[0] != self.z_features[1], f"z_features={self.z_features}: two indices in [0, n)")
        check(self.grid >= 5 and self.extent > 0 and self.boundary_rows >= 3,
               f"grid={self.grid}, extent={self.extent}, boundary_rows={self.boundary_rows}")


# quick: 3 seeds; 10x the learning rates with 1/100 of the epochs in the ablations (1/10 of the paper's
# lr x epochs, the stretch of gradient flow) and 1/20 in the Figure 2 runs (half the stretch); the
# deeper net 100 wide; a 24 x 24 map. Chapter 4 compares its numbers with the paper profile's.
TOY_PROFILES = {
    "paper": ToyConfig(),
    "quick": ToyConfig(seeds=3, epochs=500, ablation_epochs=100, lr=0.1, adam_lrs=(1e-3, 3e-2),
                       deep_hidden=100, grid=24),
}
