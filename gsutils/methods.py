"""Methods as objectives: a method is the task loss plus a weighted penalty (STYLE: one registry).

Every penalty has one signature, ``penalty(logits, y, env, cfg) -> per-restart scalar``: ``logits``
is (..., N) with optional leading restart dimensions, ``y`` (N,) holds labels in {0, 1}, ``env``
(N,) holds environment or group indices (or None). The schedule, read in one place
(``Objective.weight`` and ``Objective.scale``), covers the originals' penalty warm-up and the
rescaling of the loss after it:

    loss(step) = scale(step) * [task(logits, y) + weight(step) * penalty(logits, y, env)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from .runtime import check_choice


@dataclass(frozen=True)
class MethodConfig:
    """One method's knobs; each knob carries its method's prefix (DomainBed's convention)."""

    name: str = "ERM"
    sd_lambda: float = 0.0  # SD: penalty (sd_lambda / 2) * mean((y_hat - sd_gamma_y)^2), eq. (SD)
    sd_gamma: tuple = (0.0, 0.0)  # SD target logit for y = 0 and y = 1 (per-class "shifted" SD)
    sd_lambda_per_class: tuple = ()  # optional (lambda_0, lambda_1); overrides sd_lambda per class
    irm_lambda: float = 0.0  # IRMv1 penalty weight (Arjovsky et al. 2019)
    rex_lambda: float = 0.0  # V-REx penalty weight (Krueger et al. 2021)
    groupdro_eta: float = 0.01  # Group DRO step size for the group weights (Sagawa et al. 2020)
    warmup_steps: int = 0  # steps before the penalty takes its full weight
    warmup_weight: float = 0.0  # penalty weight during warm-up
    post_warmup_scale: float = 1.0  # loss multiplier once warm-up is over (IRM: 1/irm_lambda)

    def __post_init__(self):
        check_choice("method", self.name, METHODS)
        if self.sd_lambda_per_class and not self.sd_lambda > 0:
            raise ValueError("sd_lambda_per_class needs sd_lambda > 0 (the penalty's overall weight)")


def task_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample logistic loss log(1 + exp(-y~ y_hat)) with y~ = 2y - 1, shape (..., N)."""
    return F.binary_cross_entropy_with_logits(logits, y.to(logits.dtype).expand_as(logits),
                                              reduction="none")


def _env_means(values: torch.Tensor, env: torch.Tensor) -> torch.Tensor:
    """Mean of `values` (..., N) within each environment, shape (..., E)."""
    if env is None:
        raise ValueError("this method needs environment (or group) labels; pass env=")
    return torch.stack([values[..., env == e].mean(-1) for e in torch.unique(env)], dim=-1)


# --------------------------------------------------------------------------- penalties
def erm_penalty(logits, y, env, cfg):
    return logits.new_zeros(logits.shape[:-1])


def sd_penalty(logits, y, env, cfg):
    """Spectral Decoupling: (1/2) mean((y_hat - gamma_y)^2); the weight sd_lambda multiplies it.

    With per-class lambdas, each class's term is pre-multiplied by lambda_y / sd_lambda so that
    sd_lambda * penalty = mean over the batch of (lambda_y / 2)(y_hat - gamma_y)^2.
    """
    yi = y.long()
    gamma = torch.tensor(cfg.sd_gamma, dtype=logits.dtype, device=logits.device)[yi]
    sq = 0.5 * (logits - gamma).pow(2)
    if cfg.sd_lambda_per_class:
        lam = torch.tensor(cfg.sd_lambda_per_class, dtype=logits.dtype, device=logits.device)[yi]
        sq = sq * lam / cfg.sd_lambda
    return sq.mean(-1)


def per_class_sd_lambdas(coef: float, class_counts) -> tuple:
    """Per-example lambda_y (y = 0, 1, ...) of a penalty written per class, as the CelebA script does:
    sum_y coef * mean_{i: y_i = y}(y_hat_i - gamma_y)^2 equals, averaged over the whole data,
    mean_i (lambda_{y_i} / 2)(y_hat_i - gamma_{y_i})^2 with lambda_y = 2 coef / pi_y, pi_y the share of
    class y in `class_counts` (e.g. CelebA's blond share 24,267 / 162,770 gives lambda_1 = 1.341)."""
    counts = [float(c) for c in class_counts]
    if coef <= 0 or not counts or min(counts) <= 0:
        raise ValueError(f"coef={coef}, class_counts={class_counts}: need coef > 0 and counts > 0")
    return tuple(2.0 * coef * sum(counts) / c for c in counts)


def irm_penalty(logits, y, env, cfg):
    """IRMv1: mean over environments of (d/dw R_e(w * y_hat) at w = 1)^2.

    Closed form of the original's autograd-through-a-dummy-scale: dR_e/dw = mean_e((sigma(y_hat) - y) y_hat).
    """
    grad = _env_means((torch.sigmoid(logits) - y.to(logits.dtype)) * logits, env)
    return grad.pow(2).mean(-1)


def rex_penalty(logits, y, env, cfg):
    """V-REx: variance of the per-environment risks."""
    risks = _env_means(task_loss(logits, y), env)
    return (risks - risks.mean(-1, keepdim=True)).pow(2).mean(-1)


PENALTIES: dict[str, Callable] = {"ERM": erm_penalty, "SD": sd_penalty, "IRM": irm_penalty,
                                  "VREx": rex_penalty, "GroupDRO": erm_penalty}
WEIGHT_FIELD = {"ERM": None, "SD": "sd_lambda", "IRM": "irm_lambda", "VREx": "rex_lambda",
                "GroupDRO": None}
METHODS = tuple(PENALTIES)


class Objective:
    """The training loss of a method; call it with (logits, y, env, step) -> per-restart loss.

    Task loss: mean logistic loss, or (IRM, V-REx) the mean of the per-environment risks, as the
    originals compute it. Group DRO replaces the task loss by the q-weighted group risks and keeps
    its weights q as state (Sagawa et al. 2020, Algorithm 1).
    """

    def __init__(self, cfg: MethodConfig, n_groups: int = 0):
        self.cfg = cfg
        self.penalty = PENALTIES[cfg.name]
        self.n_groups = n_groups
        self.q = torch.ones(n_groups) / n_groups if n_groups else None

    def weight(self, step: int) -> float:
        field = WEIGHT_FIELD[self.cfg.name]
        full = getattr(self.cfg, field) if field else 0.0
        return self.cfg.warmup_weight if step < self.cfg.warmup_steps else full

    def scale(self, step: int) -> float:
        return 1.0 if step < self.cfg.warmup_steps else self.cfg.post_warmup_scale

    def task(self, logits, y, env):
        losses = task_loss(logits, y)
        if self.cfg.name in ("IRM", "VREx"):
            return _env_means(losses, env).mean(-1)
        if self.cfg.name == "GroupDRO":
            return self._group_dro(losses, env)
        return losses.mean(-1)

    def _group_dro(self, losses, group):
        if self.q is None:
            raise ValueError("Group DRO needs the number of groups: Objective(cfg, n_groups=G)")
        n_groups = self.n_groups
        counts = torch.bincount(group, minlength=n_groups).clamp(min=1).to(losses.dtype)
        risks = torch.zeros(*losses.shape[:-1], n_groups, dtype=losses.dtype, device=losses.device)
        risks = risks.index_add(-1, group, losses) / counts  # (..., G); absent groups give 0
        q = self.q.to(losses.device, losses.dtype)
        if q.dim() == 1 and risks.dim() > 1:
            q = q.expand_as(risks).clone()
        q = q * torch.exp(self.cfg.groupdro_eta * risks.detach())
        q = q / q.sum(-1, keepdim=True)
        self.q = q.cpu()
        return (q * risks).sum(-1)

    def __call__(self, logits, y, env=None, step: int = 0) -> torch.Tensor:
        weight = self.weight(step)
        loss = self.task(logits, y, env)
        if weight:
            loss = loss + weight * self.penalty(logits, y, env, self.cfg)
        return self.scale(step) * loss

    def state_dict(self) -> dict:
        return {"q": self.q}

    def load_state_dict(self, state: dict) -> None:
        self.q = state["q"]
