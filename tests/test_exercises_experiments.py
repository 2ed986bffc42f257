"""The helpers behind the solutions of chapters 5-9, against independent computations."""

import itertools

import pytest
import torch

from gsutils import exercises_experiments as ex
from gsutils.attacks import minimal_linf
from gsutils.experiments import sweep_batched as sb
from gsutils.models_vision import build_classifier


@pytest.mark.parametrize("noise, flip", [(0.25, 0.1), (0.25, 0.2), (0.25, 0.3), (0.1, 0.05), (0.25, 0.5)])
def test_colour_bayes_accuracy_matches_enumerating_the_four_cases(noise, flip):
    # Independent: enumerate what the classifier sees, (shape right?, colour right?) and its mirror,
    # and answer each observation with the likelier label.
    prob = lambda shape_ok, colour_ok: (1 - noise if shape_ok else noise) * (1 - flip if colour_ok else flip)  # noqa: E731
    agree = max(prob(True, True), prob(False, False))
    disagree = max(prob(True, False), prob(False, True))
    got = ex.colour_bayes_accuracy(noise, flip)
    assert got["acc"] == pytest.approx(100 * (agree + disagree))
    assert got["follows"] == ("colour" if flip < noise else "shape")
    assert ex.colour_bayes_accuracy(0.25, 0.1, 0.9)["acc"] == pytest.approx(10.0)  # colour, flipped at test
    assert ex.colour_bayes_accuracy(0.25, 0.3, 0.9)["acc"] == pytest.approx(75.0)  # shape: unmoved
    with pytest.raises(ValueError, match="train_flip=0.9"):
        ex.colour_bayes_accuracy(noise, 0.9)


def test_average_decomposition_adds_up_to_the_change_of_the_weighted_average():
    a = {"g0": 90.0, "g1": 50.0, "g2": 80.0}
    b = {"g0": 85.0, "g1": 90.0, "g2": 80.0}
    w = [0.7, 0.1, 0.2]
    out = ex.average_decomposition(a, b, w)
    avg = lambda acc: sum(wk * acc[n] for wk, n in zip(w, acc))  # noqa: E731
    assert out["total"] == pytest.approx(avg(b) - avg(a))
    assert out["g0"]["contribution"] == pytest.approx(-3.5) and out["g1"]["change"] == 40.0
    with pytest.raises(ValueError, match="do not match"):
        ex.average_decomposition(a, b, w[:2])


def test_scaled_logits_divides_the_logits_and_keeps_minimal_perturbations():
    torch.manual_seed(0)
    model = build_classifier("lenet", 1, 28, 2, 2.0, (0.5,), (0.25,)).eval()
    x = torch.rand(12, 1, 28, 28)
    scaled = ex.scaled_logits(model, 0.1)
    with torch.no_grad():
        assert torch.allclose(scaled(x), 0.1 * model(x), atol=1e-6)
        y = model(x).argmax(1)
    assert not torch.equal(scaled.state_dict()[next(reversed(scaled.state_dict()))],
                           model.state_dict()[next(reversed(model.state_dict()))])
    args = dict(eps_max=0.3, tol=0.01, steps=5, rel_step=0.25, seed=0, progress=False)
    assert torch.equal(minimal_linf(model, x, 1 - y, **args), minimal_linf(scaled, x, 1 - y, **args))
    with pytest.raises(ValueError, match="factor=-1"):
        ex.scaled_logits(model, -1)
    check = ex.scaling_check(model, x, 1 - y, 0.1, **{k: v for k, v in args.items() if k != "progress"})
    assert check["same_predictions"] and check["same_flipped"] and check["max_eps_difference"] == 0.0
    assert check["logit_norm_scaled"] == pytest.approx(0.1 * check["logit_norm"], rel=1e-5)


def _trial(method, trial, train, test_val, test, loo=50.0):
    """A sweep trial record with one restart: training accuracies (env0, env1), test validation and test."""
    env = lambda acc: {"in": [acc], "out": [acc]}  # noqa: E731
    full = {"env0": env(train[0]), "env1": env(train[1]), "env2": {"in": [test], "out": [test_val]}}
    return {"method": method, "trial": trial, "hparams": {"lr": trial}, "config": {},
            "metrics": {"full": full, "loo_0": {"env0": env(loo)}, "loo_1": {"env1": env(loo)}}}


def test_selection_by_trials_and_the_irm_authors_rule_on_a_synthetic_sweep():
    trials = []
    for m in sb.METHODS:
        trials += [_trial(m, 0, (90, 88), 20, 21), _trial(m, 1, (70, 69), 66, 65), _trial(m, 2, (60, 99), 70, 71)]
    by_k = ex.selection_by_trials("colored_mnist", trials)
    assert sorted(by_k) == [1, 2, 3]
    assert by_k[1]["test_domain"]["SD"]["trial"] == 0 and by_k[3]["test_domain"]["SD"]["trial"] == 2
    assert by_k[3]["train_domain"]["SD"]["trial"] == 0  # the best mean training accuracy: 89
    irm = ex.irm_authors_selection(trials)
    # minima 20, 66, 60: trial 1, although trial 2 has the better test-domain validation accuracy
    assert irm["IRM"]["trial"] == 1 and irm["IRM"]["test_acc_mean"] == 65 and irm["IRM"]["val_score"] == 66
