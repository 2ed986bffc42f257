"""Learning-rate selection for the CelebA stand-in's ERM and SD (configs/celeba.py, quick profile).

The paper's protocol selects by average validation accuracy, which needs no group labels; this
script trains each candidate learning rate on the quick profile's seeds and prints, per candidate,
the mean over seeds of the average and of the worst-group validation accuracy (at the epoch each
seed's selection rule keeps), and the learning rate each rule picks.

    PYTHONPATH=$PWD python benchmarks/celeba_standin_lr_sweep.py
"""

from __future__ import annotations

from dataclasses import replace

from gsutils import configs
from gsutils.experiments import celeba

CANDIDATES = {"ERM": (0.003, 0.01, 0.03, 0.1), "SD": (3e-4, 1e-3, 3e-3)}


def main() -> None:
    base = configs.CELEBA_PROFILES["quick"]
    for name, lrs in CANDIDATES.items():
        scores = {}
        for lr in lrs:
            recipes = {**base.recipes, name: replace(base.recipes[name], lr=lr)}
            cfg = replace(base, methods=(name,), recipes=recipes)
            m = celeba.run(cfg, progress=False)["methods"][name]
            scores[lr] = (m["valid_avg_acc_mean"], m["valid_worst_acc_mean"])
            print(f"{name} lr {lr:g}: valid average {scores[lr][0]:.2f}, valid worst group "
                  f"{scores[lr][1]:.2f} (test average {m['avg_acc_mean']:.2f}, worst {m['worst_acc_mean']:.2f})",
                  flush=True)
        print(f"{name}: by average validation accuracy lr {max(scores, key=lambda k: scores[k][0]):g}; "
              f"by worst-group validation accuracy lr {max(scores, key=lambda k: scores[k][1]):g}", flush=True)


if __name__ == "__main__":
    main()
