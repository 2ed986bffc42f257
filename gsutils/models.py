"""Models: the MLPs of the toy task and Colored MNIST, batched over restarts; ResNet-50 for CelebA.

``BatchedMLP`` holds R independent networks as stacked weights (R, d_in, d_out) and evaluates all of
them with one batched matrix product; model r is initialised from ``seeds[r]`` exactly as a
one-network ``BatchedMLP`` with that seed would be, so training R restarts at once equals training
them one by one (Adam and SGD act elementwise, and the restarts' losses are summed). Optional dropout
and batch norm on the hidden pre-activations serve the toy task's ablations (the authors' Figure_3 script); with
dropout the restarts share one random stream, so there batched equals one-by-one only in distribution.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .runtime import check_choice

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh}
INITS = ("xavier", "kaiming")  # xavier: IRM's Colored MNIST MLP; kaiming: torch.nn.Linear's default


class BatchedMLP(nn.Module):
    """R independent MLPs ``sizes[0] -> ... -> sizes[-1]``; forward returns logits (R, N) or (R, N, K)."""

    def __init__(self, sizes: Sequence[int], seeds: Sequence[int] = (0,), activation: str = "relu",
                 init: str = "xavier", dropout: float = 0.0, batchnorm: bool = False):
        super().__init__()
        check_choice("activation", activation, ACTIVATIONS)
        check_choice("init", init, INITS)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout={dropout}; accepted: 0 <= dropout < 1")
        self.sizes, self.seeds, self.activation = tuple(sizes), tuple(seeds), activation
        self.dropout, self.batchnorm = float(dropout), bool(batchnorm)
        weights, biases = [], []
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
            weights.append(torch.empty(len(seeds), d_in, d_out))
            biases.append(torch.zeros(len(seeds), 1, d_out))
        for r, seed in enumerate(seeds):  # one generator per restart: batched == one by one
            gen = torch.Generator().manual_seed(int(seed))
            for w, b in zip(weights, biases):
                d_in, d_out = w.shape[1:]
                if init == "xavier":  # IRM: xavier_uniform_ weights, zero biases
                    bound = math.sqrt(6.0 / (d_in + d_out))
                    w[r].uniform_(-bound, bound, generator=gen)
                else:  # nn.Linear's default: U(-1/sqrt(d_in), 1/sqrt(d_in)) for weights and biases
                    bound = 1.0 / math.sqrt(d_in)
                    w[r].uniform_(-bound, bound, generator=gen)
                    b[r].uniform_(-bound, bound, generator=gen)
        self.weights = nn.ParameterList(weights)
        self.biases = nn.ParameterList(biases)
        if batchnorm:  # nn.BatchNorm1d per restart on every hidden pre-activation (toy ablation)
            hidden = [(len(seeds), 1, d) for d in sizes[1:-1]]
            self.bn_weights = nn.ParameterList([torch.ones(shape) for shape in hidden])
            self.bn_biases = nn.ParameterList([torch.zeros(shape) for shape in hidden])
            for i, shape in enumerate(hidden):
                self.register_buffer(f"bn_mean{i}", torch.zeros(shape))
                self.register_buffer(f"bn_var{i}", torch.ones(shape))

    @property
    def n_models(self) -> int:
        return len(self.seeds)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.expand(self.n_models, *x.shape) if x.dim() == 2 else x  # (R, N, D)
        act = ACTIVATIONS[self.activation]
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, w)  # (R, N, d_out)
            if i < last:
                if self.batchnorm:
                    h = self._batch_norm(h, i)
                if self.dropout:
                    h = F.dropout(h, self.dropout, self.training)
                h = act(h)
        return h.squeeze(-1) if self.sizes[-1] == 1 else h

    def _batch_norm(self, h: torch.Tensor, i: int, momentum: float = 0.1, eps: float = 1e-5):
        """nn.BatchNorm1d's arithmetic, each restart over its own batch: h (R, N, H)."""
        mean, var = getattr(self, f"bn_mean{i}"), getattr(self, f"bn_var{i}")
        if self.training:
            batch_mean, batch_var = h.mean(1, keepdim=True), h.var(1, unbiased=False, keepdim=True)
            with torch.no_grad():
                n = h.shape[1]
                mean.lerp_(batch_mean, momentum)
                var.lerp_(batch_var * n / max(n - 1, 1), momentum)  # running variance is unbiased
            mean, var = batch_mean, batch_var
        return (h - mean) / torch.sqrt(var + eps) * self.bn_weights[i] + self.bn_biases[i]

    def squared_norm(self) -> torch.Tensor:
        """Sum of squared parameters of each restart, shape (R,) (IRM's explicit L2 term)."""
        return sum(p.pow(2).flatten(1).sum(1) for p in self.parameters())


def resnet50_binary(pretrained: bool = True) -> nn.Module:
    """ImageNet ResNet-50 with a single logit (CelebA, PAPER §4); the weights need the internet."""
    from torchvision.models import ResNet50_Weights, resnet50

    weights = ResNet50_Weights.IMAGENET1K_V1 if pretrained else None
    try:
        model = resnet50(weights=weights)
    except OSError as err:  # no internet (URLError) and no cached copy
        cache = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
        raise FileNotFoundError(
            f"the ImageNet weights of ResNet-50 are missing: {cache} does not exist and {weights.url} "
            f"cannot be downloaded ({err}). On a machine with internet run `python -c \"import "
            f"torchvision; torchvision.models.resnet50(weights='IMAGENET1K_V1')\"` and copy the file "
            f"to {cache} (or set TORCH_HOME), or pass pretrained=False") from err
    model.fc = nn.Linear(model.fc.in_features, 1)
    return model
