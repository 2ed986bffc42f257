"""Per-step update size of the paper's SD recipe around its switch (step 450), one restart, on the CPU.

    PYTHONPATH=$PWD python benchmarks/colored_mnist_update_size.py [STEPS] [--unscaled]

Trains the paper profile's SD recipe (full environments, H 300, Adam lr 1e-4) for STEPS steps
(default 550) and prints ||theta_t - theta_{t-1}|| at steps around the end of the warm-up; with
--unscaled, the same run without the 2e-5 loss factor after the warm-up.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import torch

from gsutils import configs
from gsutils.experiments import colored_mnist as cm


def main() -> None:
    steps = int(next((a for a in sys.argv[1:] if a.isdigit()), 550))
    torch.set_num_threads(1)
    cfg = replace(configs.COLORED_MNIST_PROFILES["paper"], n_restarts=1)
    recipe = cfg.recipes["SD"]
    if "--unscaled" in sys.argv:
        recipe = replace(recipe, method=replace(recipe.method, post_warmup_scale=1.0))
    data, _ = cm.build_data(cfg, "cpu")
    out = cm.update_sizes(recipe, data, cm.restart_seeds(cfg), steps=steps, progress=True)
    for step, size in zip(out["step"], out["update_size"]):
        if step % 50 == 0 or 440 <= step <= 460 or step == steps - 1:
            print(f"step {step}: update size {size[0]:.3g}", flush=True)


if __name__ == "__main__":
    main()
