"""Theory (chapters 2-3): the two-feature linear model and its reference values."""

from __future__ import annotations

from dataclasses import dataclass

from .celeba import CELEBA_SD
from .core import check

__all__ = ['TheoryConfig', 'THEORY_PROFILES', 'THEORY_BLOG_END_POINTS', 'THEORY_FIXED_POINTS',
           'THEORY_SD_FIXED_POINT']


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
    sd_gamma: tuple = CELEBA_SD.sd_gamma  # per-class shifted SD targets gamma_y, y = 0, 1 (CelebA script)
    # per-example lambda_y, y = 0, 1, of the CelebA script's 0.1 * mean_{class y}(...)^2: 2 * 0.1 / pi_y
    sd_lam_shift: tuple = CELEBA_SD.sd_lambda_per_class
    # the paper's phase-plane figure (authors' Figure_5/fig_6.py = Figure_6/toy_fig_6.py): Lambda = [s1, 2],
    # C = 1/lam = 100, 5,000 steps of SGD: on alpha (lr 3e-6, from 1e-8) and on theta (lr 0.05)
    phase_s1: tuple = (2.0, 3.0, 4.0, 5.0, 6.0)
    phase_lr: float = 0.05  # primal steps, weight decay (0.5/C ||theta||^2) and SD (0.1/C sum y_hat^2)
    phase_dual_lr: float = 3e-6  # dual ascent step on alpha
    phase_alpha0: float = 1e-8  # initial alpha of every example
    phase_steps: int = 5000
    phase_record_every: int = 10  # ours: the script keeps every step
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
        check(0.0 <= self.delta < 1.0, f"delta={self.delta} out of range; accepted: 0 <= delta < 1")
        check(self.lam > 0 and self.sd_lam > 0, "lam and sd_lam must be > 0")
        check(self.s2 > 0 and len(self.s1) > 0 and all(s > 0 for s in self.s1),
               f"s1={self.s1}, s2={self.s2}: strengths must be > 0")
        check(self.steps > 0 and self.record_every > 0, "steps and record_every must be > 0")
        check(min(self.ntk_n, self.ntk_hidden, self.ntk_steps, self.ntk_record_every) > 0
               and self.ntk_lr > 0, "ntk_n, ntk_hidden, ntk_steps, ntk_record_every, ntk_lr must be > 0")
        check(len(self.phase_s1) > 0 and all(s > 0 for s in self.phase_s1),
               f"phase_s1={self.phase_s1}: needs at least one strength, all > 0")
        check(min(self.phase_lr, self.phase_dual_lr) > 0 and 0 < self.phase_alpha0 < 1
               and min(self.phase_steps, self.phase_record_every) > 0,
               "phase_lr, phase_dual_lr, phase_steps, phase_record_every must be > 0 and 0 < phase_alpha0 < 1")
        check(len(self.sd_gamma) == 2 and len(self.sd_lam_shift) == 2 and min(self.sd_lam_shift) > 0,
               f"sd_gamma={self.sd_gamma}, sd_lam_shift={self.sd_lam_shift}: need two values each "
               "(y = 0, 1), lambdas > 0")


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
