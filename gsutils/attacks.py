"""L-infinity attacks in pixel space [0, 1] (chapter 7).

* ``robust_accuracy``: projected gradient descent (PGD; Madry et al. 2018) at one epsilon, run by
  foolbox's ``LinfPGD`` (Rauber et al.), as the paper's robust accuracy.
* ``pgd_linf``: the same iteration written out, batched, with one epsilon *per image*; foolbox's takes
  one epsilon for the whole batch. tests/test_robustness.py checks that both give the same images.
* ``minimal_linf``: per image, the smallest epsilon at which PGD flips the prediction, found by
  bisection to a stated tolerance (the authors ran foolbox 2's PGD with its binary search).

Models take images in [0, 1] and return logits (N, K); they are evaluated in ``eval()`` mode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .runtime import require


def _batches(n: int, batch_size: int):
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Predicted classes (N,) of images x (N, C, H, W) in [0, 1]."""
    model.eval()
    return torch.cat([model(x[s]).argmax(1) for s in _batches(len(x), batch_size)])


def robust_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int,
                    step_size: float, random_start: bool = True, seed: int = 0,
                    batch_size: int = 500) -> float:
    """Accuracy (%) under foolbox's L-inf PGD with radius `eps`, `steps` steps of `step_size`."""
    fb = require("foolbox", "robustness")

    model.eval()
    fmodel = fb.PyTorchModel(model, bounds=(0, 1))
    attack = fb.attacks.LinfPGD(abs_stepsize=step_size, steps=steps, random_start=random_start)
    torch.manual_seed(seed)  # foolbox draws the random start from torch's global generator
    flipped = [attack(fmodel, x[s], y[s], epsilons=eps)[2] for s in _batches(len(x), batch_size)]
    return 100.0 * (1.0 - torch.cat(flipped).float().mean().item())


def pgd_linf(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps, steps: int, rel_step: float,
             random_start: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
    """Adversarial images: `steps` signed-gradient ascent steps of size rel_step * eps on the summed
    cross-entropy, each projected on the L-inf ball of radius eps around x and on [0, 1].

    ``eps`` is a float or a tensor (N,) (one radius per image); foolbox's LinfPGD order of operations.
    """
    model.eval()
    eps = torch.as_tensor(eps, dtype=x.dtype, device=x.device).reshape(-1, *[1] * (x.dim() - 1))
    x0, step = x.detach(), rel_step * eps
    adv = x0.clone()
    if random_start:
        noise = torch.rand(x0.shape, generator=generator, device="cpu").to(x0.device)
        adv = (x0 + (2 * noise - 1) * eps).clamp(0, 1)
    for _ in range(steps):
        adv.requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(model(adv), y, reduction="sum"), adv)
        adv = adv.detach() + step * grad.sign()
        adv = (x0 + (adv - x0).clamp(-eps, eps)).clamp(0, 1)
    return adv.detach()


def minimal_linf(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps_max: float, tol: float,
                 steps: int, rel_step: float, seed: int = 0, batch_size: int = 500,
                 progress: bool = True, desc: str = "minimal perturbation") -> torch.Tensor:
    """Per image, the smallest L-inf radius (<= eps_max, to within `tol`) at which PGD flips its
    prediction away from y: (N,), 0 for images already misclassified, inf if eps_max does not flip.

    Bisection on [0, eps_max]: every reported radius is one at which an adversarial image was found,
    and the radius below it by at most `tol` was not (for that attack).
    """
    if not 0 < tol < eps_max:
        raise ValueError(f"bad search: tol={tol}, eps_max={eps_max}; need 0 < tol < eps_max")
    gen = torch.Generator().manual_seed(seed)

    def flips(xb, yb, eps):
        return predict(model, pgd_linf(model, xb, yb, eps, steps, rel_step, True, gen)) != yb

    out = []
    for s in tqdm(_batches(len(x), batch_size), desc=desc, disable=not progress, leave=False):
        xb, yb = x[s], y[s]
        lo = torch.zeros(len(yb), device=x.device)
        hi = torch.full_like(lo, eps_max)
        found = flips(xb, yb, hi)
        wrong = predict(model, xb) != yb
        hi[wrong] = 0.0
        while True:
            open_ = found & ~wrong & (hi - lo > tol)
            if not open_.any():
                break
            mid = (lo + hi) / 2
            hit = flips(xb[open_], yb[open_], mid[open_])
            idx = open_.nonzero().squeeze(1)
            hi[idx[hit]], lo[idx[~hit]] = mid[idx[hit]], mid[idx[~hit]]
        hi[~found & ~wrong] = float("inf")
        out.append(hi)
    return torch.cat(out)


def flip_curve(min_eps: torch.Tensor, grid) -> list[float]:
    """Fraction (%) of images whose minimal radius is <= each epsilon of `grid`."""
    min_eps = min_eps.cpu()
    return [round(100.0 * (min_eps <= e).float().mean().item(), 3) for e in grid]
