"""Computations behind the solutions of the exercises of chapters 1-4 (theory and toy task).

Each answers one question a solution asks of the linearised model (``gsutils.theory``) or of a
decision boundary (``gsutils.experiments.toy``), so the solutions' numbers stay computed.
"""

from __future__ import annotations

import numpy as np

from . import theory
from .runtime import InputError


def s1_where_z2_falls_to(fraction: float, s2: float, U: np.ndarray, lam: float,
                         s1_max: float = 100.0, tol: float = 1e-10) -> float:
    """The s1 > s2 at which weight decay's z2*(s1) equals `fraction` of z2*(s1 = s2) (bisection).

    Needs z2* to fall with s1 (feature 1 starves feature 2, chapter 2) and to reach the target by
    s1 = s1_max; otherwise an InputError names the values.
    """
    if not 0.0 < fraction < 1.0:
        raise InputError(f"bad fraction {fraction!r}; accepted: 0 < fraction < 1")
    z2 = lambda s1: theory.fixed_point(np.array([s1, s2]), U, lam)[1]  # noqa: E731
    target = fraction * z2(s2)
    if z2(s1_max) > target:
        raise InputError(f"z2* stays above {fraction:g} of its value at s1 = s2 = {s2:g} up to "
                         f"s1_max = {s1_max:g} (lam = {lam:g}); accepted: a larger s1_max or fraction")
    lo, hi = float(s2), float(s1_max)
    while hi - lo > tol * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if z2(mid) > target else (lo, mid)
    return 0.5 * (lo + hi)


def steps_to_fraction(s, U: np.ndarray, lam: float, regularizer: str, lr: float, j: int,
                      fraction: float = 0.9, max_steps: int = 100_000) -> int:
    """The first gradient-descent step t (from z = 0, as ``theory.gd_trajectory``) at which
    |z_j(t)| >= fraction |z_j*|, z* the fixed point; an InputError if max_steps do not suffice."""
    if not 0.0 < fraction < 1.0:
        raise InputError(f"bad fraction {fraction!r}; accepted: 0 < fraction < 1")
    target = fraction * abs(theory.fixed_point(s, U, lam, regularizer)[j])
    z = np.zeros(len(s))
    for t in range(max_steps + 1):
        if abs(z[j]) >= target:
            return t
        z = z + lr * theory.z_velocity(z, s, U, lam, regularizer)
    raise InputError(f"|z_{j}| stays below {fraction:g} of its fixed point for {max_steps} steps "
                     f"(lr = {lr:g}); accepted: a larger max_steps or lr")


def combined_fixed_point(s, U: np.ndarray, sd_lam: float, wd_lam: float) -> np.ndarray:
    """z* of SD (sd_lam) and weight decay (wd_lam) together: U^T sigma(-U z) = (sd_lam + wd_lam S^-2) z.

    Both penalties together are (1/2) z^T P z with P_j = sd_lam + wd_lam / s_j^2, which is weight
    decay's objective with lam = 1 and strengths s_eff = P^(-1/2), so ``theory.fixed_point`` solves it.
    """
    s = np.asarray(s, float)
    if sd_lam < 0 or wd_lam < 0 or sd_lam + wd_lam == 0:
        raise InputError(f"bad sd_lam={sd_lam!r}, wd_lam={wd_lam!r}; accepted: both >= 0, not both 0")
    return theory.fixed_point(1.0 / np.sqrt(sd_lam + wd_lam / s**2), U, 1.0)


def boundary_line(heatmap, axis, v_lo: float, v_hi: float) -> tuple[float, float]:
    """Slope du/dv and intercept of the least-squares line through the zero crossings of a heat map.

    heatmap (grid, grid): row i at height axis[i], column k at abscissa axis[k] (as chapter 4's
    maps); only rows with v_lo <= axis[i] <= v_hi and a crossing count.
    """
    from .experiments.toy import crossings

    axis, f = np.asarray(axis, float), np.asarray(heatmap, float)
    u = crossings(f, axis)
    keep = np.isfinite(u) & (axis >= v_lo) & (axis <= v_hi)
    if keep.sum() < 2:
        raise InputError(f"only {int(keep.sum())} rows in [{v_lo:g}, {v_hi:g}] cross zero; need 2")
    slope, intercept = np.polyfit(axis[keep], u[keep], 1)
    return float(slope), float(intercept)
