"""The helpers behind the solutions of chapters 1-4, against independent computations."""

import numpy as np
import pytest

from gsutils import exercises_theory as ex
from gsutils import theory
from gsutils.runtime import InputError

U_HALF = theory.coupling_matrix(0.5)


def test_s1_where_z2_falls_to_hits_the_fraction():
    s1 = ex.s1_where_z2_falls_to(0.5, 2.0, U_HALF, 0.01)
    z2 = lambda v: theory.fixed_point(np.array([v, 2.0]), U_HALF, 0.01)[1]  # noqa: E731
    assert s1 > 2.0
    assert z2(s1) == pytest.approx(0.5 * z2(2.0), rel=1e-8)
    assert z2(0.99 * s1) > 0.5 * z2(2.0) > z2(1.01 * s1)  # the crossing, not any point below it


def test_s1_where_z2_falls_to_rejects_unreachable_targets():
    with pytest.raises(InputError, match="s1_max"):
        ex.s1_where_z2_falls_to(0.01, 2.0, U_HALF, 0.01, s1_max=10.0)
    with pytest.raises(InputError, match="fraction"):
        ex.s1_where_z2_falls_to(1.5, 2.0, U_HALF, 0.01)


@pytest.mark.parametrize("regularizer, lam", [("weight_decay", 0.01), ("sd", 0.002)])
def test_steps_to_fraction_is_the_first_crossing_of_the_trajectory(regularizer, lam):
    s = np.array([8.0, 2.0])
    t = ex.steps_to_fraction(s, U_HALF, lam, regularizer, 0.1, j=1, fraction=0.9)
    _, Z = theory.gd_trajectory(s, U_HALF, lam, regularizer, 0.1, t, 1)  # independent: the recorded path
    target = 0.9 * abs(theory.fixed_point(s, U_HALF, lam, regularizer)[1])
    assert abs(Z[t, 1]) >= target and np.all(np.abs(Z[:t, 1]) < target)


def test_steps_to_fraction_says_when_it_runs_out():
    with pytest.raises(InputError, match="max_steps"):
        ex.steps_to_fraction(np.array([2.0, 2.0]), U_HALF, 0.01, "weight_decay", 0.1, 1, max_steps=3)


def test_combined_fixed_point_solves_its_equation_and_reduces_to_each_penalty():
    s, sd_lam, wd_lam = np.array([6.0, 2.0]), 0.002, 2e-4
    z = ex.combined_fixed_point(s, U_HALF, sd_lam, wd_lam)
    residual = U_HALF.T @ theory.sigmoid(-U_HALF @ z) - (sd_lam + wd_lam / s**2) * z
    assert np.abs(residual).max() < 1e-10
    assert np.allclose(ex.combined_fixed_point(s, U_HALF, sd_lam, 0.0),
                       theory.fixed_point(s, U_HALF, sd_lam, "sd"), atol=1e-9)
    assert np.allclose(ex.combined_fixed_point(s, U_HALF, 0.0, 0.01),
                       theory.fixed_point(s, U_HALF, 0.01), atol=1e-9)
    with pytest.raises(InputError, match="sd_lam"):
        ex.combined_fixed_point(s, U_HALF, 0.0, 0.0)


def test_boundary_line_recovers_a_tilted_straight_boundary():
    axis = np.linspace(-2.0, 2.0, 41)
    u, v = np.meshgrid(axis, axis, indexing="xy")  # row i at height axis[i]
    slope, intercept = ex.boundary_line(u - 0.3 * v - 0.1, axis, -1.0, 1.0)
    assert slope == pytest.approx(0.3, abs=1e-9) and intercept == pytest.approx(0.1, abs=1e-9)
    with pytest.raises(InputError, match="cross zero"):
        ex.boundary_line(np.ones((41, 41)), axis, -1.0, 1.0)
