"""Colored MNIST, built as the IRM protocol describes (Arjovsky et al. 2019, section 5.2; paper §5).

Two training environments of 25,000 digits (colour flip e = 0.2 and 0.1) from the first 50,000
training digits, and a test environment from the last 10,000 training digits (e = 0.9). The shape
of the digit predicts the label 75% of the time; the colour predicts it 80-90% of the time in
training and 10% of the time at test. The shuffle and every coin flip draw from one explicit
``torch.Generator`` seeded with ``seed``. The originals use NumPy and torch's global generators: the
authors' GS script seeds them with 1234 + restart and so redraws the environments for every restart
(``ColoredMNISTConfig.redraw_per_restart`` does the same with this function); IRM's script is unseeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .mnist import load_mnist

N_TRAIN_DIGITS = 50_000  # the first 50,000 MNIST training digits make the training environments
QUADRANTS = ("digit_gray", "digit_color", "blank_gray", "blank_color")


@dataclass(frozen=True)
class ColoredMNIST:
    """All environments stacked: ``x`` (N, 2, 14, 14) in [0, 1], ``y`` (N,) in {0, 1} (float),
    ``color`` (N,) in {0, 1} (the channel that holds the digit), ``env`` (N,) environment index,
    ``digit`` (N,) the original MNIST class; ``flips[e]`` is environment e's colour-flip probability."""

    x: torch.Tensor
    y: torch.Tensor
    color: torch.Tensor
    env: torch.Tensor
    digit: torch.Tensor
    flips: tuple

    def environment(self, e: int) -> "ColoredMNIST":
        keep = self.env == e
        return ColoredMNIST(self.x[keep], self.y[keep], self.color[keep], self.env[keep],
                            self.digit[keep], self.flips)


def _bernoulli(p: float, n: int, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(n, generator=generator) < p).long()


def make_environment(images: torch.Tensor, digits: torch.Tensor, e: float, generator: torch.Generator,
                     label_noise: float = 0.25) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One environment from uint8 digits (n, 28, 28): returns images (n, 2, 14, 14), labels, colours."""
    # 2x subsample for computational convenience
    images = images.reshape(-1, 28, 28)[:, ::2, ::2]
    # Assign a binary label based on the digit; flip the label with probability 0.25
    labels = (digits < 5).long() ^ _bernoulli(label_noise, len(digits), generator)
    # Assign a colour based on the label; flip the colour with probability e
    colors = labels ^ _bernoulli(e, len(digits), generator)
    # Apply the colour to the image by zeroing out the other colour channel
    x = torch.stack([images, images], dim=1).float() / 255.0
    x[torch.arange(len(x)), 1 - colors] = 0.0
    return x, labels, colors


def colored_mnist(seed: int = 0, root=None, train_flips=(0.2, 0.1), test_flip: float = 0.9,
                  label_noise: float = 0.25, n_per_env: int = 25_000, n_test: int = 10_000) -> ColoredMNIST:
    """Environments 0, 1 (training) and 2 (test) of Colored MNIST from the full MNIST training split.

    ``n_per_env`` / ``n_test`` below 25,000 / 10,000 keep the first digits of each environment (a
    random subset, since the training digits are shuffled; the test digits keep MNIST's order).
    """
    if not (0 < n_per_env <= N_TRAIN_DIGITS // len(train_flips) and 0 < n_test <= 10_000):
        raise ValueError(f"n_per_env={n_per_env}, n_test={n_test}: need 0 < n_per_env <= "
                         f"{N_TRAIN_DIGITS // len(train_flips)} and 0 < n_test <= 10000")
    images, digits = load_mnist(root, split="train")  # (60000, 28, 28) uint8, (60000,)
    generator = torch.Generator().manual_seed(int(seed))
    # Make train/test splits, and shuffle the training examples (from `generator`)
    order = torch.randperm(N_TRAIN_DIGITS, generator=generator)
    train_images, train_digits = images[:N_TRAIN_DIGITS][order], digits[:N_TRAIN_DIGITS][order]
    # Training environments: every other shuffled digit, colour flipped with e = 0.2 and e = 0.1
    parts = [(train_images[k::len(train_flips)][:n_per_env], train_digits[k::len(train_flips)][:n_per_env], e)
             for k, e in enumerate(train_flips)]
    # Test environment: the last 10,000 training digits, colour flipped with e = 0.9
    parts.append((images[N_TRAIN_DIGITS:][:n_test], digits[N_TRAIN_DIGITS:][:n_test], test_flip))
    xs, ys, cs, envs = [], [], [], []
    for k, (imgs, digs, e) in enumerate(parts):
        x, y, c = make_environment(imgs, digs, e, generator, label_noise)
        xs.append(x), ys.append(y), cs.append(c), envs.append(torch.full((len(y),), k))
    return ColoredMNIST(torch.cat(xs), torch.cat(ys).float(), torch.cat(cs), torch.cat(envs),
                        torch.cat([p[1] for p in parts]), tuple(train_flips) + (float(test_flip),))


def grayscale(x: torch.Tensor) -> torch.Tensor:
    """The oracle's input: the two colour channels summed, (N, 2, 14, 14) -> (N, 196) (IRM's code)."""
    return x.reshape(len(x), 2, 196).sum(1)


def probe_quadrants(x: torch.Tensor, color: torch.Tensor) -> dict[str, torch.Tensor]:
    """The paper's four-quadrant probe (camera-ready Figure 3; the authors' script), inputs (N, 392) each.

    digit_gray: the digit at half intensity in both channels; digit_color: the coloured images as
    given; blank_gray: every pixel the global mean intensity, halved, in both channels; blank_color:
    every pixel the global mean in the digit's colour channel, the other channel zero.
    """
    digit = x.reshape(len(x), 2, 196).sum(1)  # (N, 196): the grey digit
    blank = torch.full_like(digit, float(digit.mean()))  # every pixel the global mean
    colour_mask = torch.zeros(len(x), 2, 1, device=x.device)
    colour_mask[torch.arange(len(x)), color] = 1.0

    def gray(img):
        return torch.stack([img / 2, img / 2], dim=1).reshape(len(x), 392)

    def colored(img):
        return (img[:, None, :] * colour_mask).reshape(len(x), 392)

    return {"digit_gray": gray(digit), "digit_color": colored(digit), "blank_gray": gray(blank),
            "blank_color": colored(blank)}
