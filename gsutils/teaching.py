"""The numbers of the teaching page (chapters/10_teaching.md): its answer keys and where runs ran.

Every value comes from the book's configs, its theory code and its committed results files, so
the answer keys stay true when those change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import configs, results, theory


def answer_keys(profile: str = "quick") -> dict[str, tuple[float | int | str, str]]:
    """{glue name: (value, format)} for the activities of sessions 2 to 5."""
    from .data.celeba import CELEBA_GROUPS, GROUP_NAMES
    from .experiments import get_config

    cfg = get_config("theory", profile)  # the two-feature model of chapters 2 and 3
    U = theory.coupling_matrix(cfg.delta)
    low, high = min(cfg.s1), max(cfg.s1)

    def z2(s1: float, lam: float, regularizer: str) -> float:
        return float(theory.fixed_point(np.array([s1, cfg.s2]), U, lam, regularizer)[1])

    keys = {"t_s1_low": (low, "g"), "t_s1_high": (high, "g"), "t_s2": (cfg.s2, "g")}
    for name, s1 in (("low", low), ("high", high)):
        keys[f"t_z2_wd_{name}"] = (z2(s1, cfg.lam, "weight_decay"), ".3f")
        keys[f"t_z2_sd_{name}"] = (z2(s1, cfg.sd_lam, "sd"), ".3f")
    cm = configs.COLORED_MNIST_PROFILES["paper"]  # Colored MNIST and the paper's Figure 3 probe
    keys["c_colour_train"] = (100 * (1 - sum(cm.train_flips) / len(cm.train_flips)), ".0f")
    keys["c_colour_test"] = (100 * (1 - cm.test_flip), ".0f")
    keys["c_shape"] = (100 * (1 - cm.label_noise), ".0f")
    for method, quadrants in configs.COLORED_MNIST_PAPER_QUADRANTS.items():
        keys.update({f"q_{method}_{q}": (v["acc"], ".1f") for q, v in quadrants.items()})
        keys[f"q_{method}_blank_color_ent"] = (quadrants["blank_color"]["entropy"], ".2f")
    groups = dict(zip(GROUP_NAMES, CELEBA_GROUPS["train"]))  # CelebA's training split
    n, rare = sum(groups.values()), groups["blond male"]
    keys.update(g_total=(n, ",d"), g_blond_male=(rare, ",d"), g_blond_male_share=(100 * rare / n, ".1f"),
                g_no_blond_men_avg=(100 * (1 - rare / n), ".1f"),
                g_erm_avg=(configs.CELEBA_PAPER["ERM"]["avg"][0], ".1f"),
                g_erm_worst=(configs.CELEBA_PAPER["ERM"]["worst"][0], ".1f"))
    return keys


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def where_runs(results_dir: str | Path | None = None) -> dict[str, list]:
    """Where, when and how long each experiment's committed results file was computed.

    ``rows``: one per file (experiment, profile, device, wall time, date), read from its
    provenance; ``paper_on_cpu``: experiments whose paper-profile run was made on a CPU;
    ``no_paper``: experiments without a paper-profile file. Files are read from `results_dir`, or
    by default wherever ``results.committed`` finds them.
    """
    from .experiments import EXPERIMENTS

    rows = []
    for experiment in EXPERIMENTS:
        for profile in ("quick", "paper"):
            name = f"{experiment}-{profile}.json"
            path = results.committed(name) if results_dir is None else Path(results_dir) / name
            if path and path.exists():
                prov = results.load(path)["provenance"]
                rows.append({"experiment": experiment, "profile": profile, "device": prov["device"],
                             "wall_time": _duration(prov["wall_time_s"]), "date": prov["finished_utc"][:10]})
    paper = {r["experiment"]: r for r in rows if r["profile"] == "paper"}
    return {"rows": rows, "paper_on_cpu": [e for e, r in paper.items() if r["device"].startswith("cpu")],
            "no_paper": [e for e in EXPERIMENTS if e not in paper]}
