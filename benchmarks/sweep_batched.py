"""Colored MNIST sweep: trials batched on one device against the same trials one by one.

    python benchmarks/sweep_batched.py --device cpu --profile quick --trials 6 --out results/sweep-benchmark-cpu.json
    python benchmarks/sweep_batched.py --device cuda --profile paper --trials 50 --out results/sweep-benchmark.json

In one run, on one machine, without Ray (Ray only distributes the same jobs): every trial of every
method and fold of ``gsutils.sweep.plan`` trained (1) in the sweep's batches (``sweep_batched.run_job``
over each group of equal shapes) and (2) one trial per call; wall times, trials per minute and the
largest difference between the two ways' accuracies. The paper profile with --trials 50 is the
whole IRM-style search (50 trials x 10 restarts x 4 methods, plus the two leave-one-out folds).
Writes a small JSON atomically, with provenance.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without install

from gsutils import results, sweep  # noqa: E402
from gsutils.experiments import sweep_batched as sb  # noqa: E402
from gsutils.runtime import InputError, resolve_device  # noqa: E402


def timed(fn, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    out = fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return out, time.perf_counter() - start


def bench(profile: str, trials: int, device: torch.device, folds) -> dict:
    cfg, entries = sweep.plan("colored_mnist", profile, trials)
    sb.sweep_data(cfg, device)  # build the data once, outside the timings
    groups: dict = {}
    for i, e in enumerate(entries):
        groups.setdefault(sb.group_key(e["recipe"]), []).append(i)
    batched, single, t_batched, t_single = {}, {}, 0.0, 0.0
    for fold in folds:
        for idx in groups.values():
            recipes = [entries[i]["recipe"] for i in idx]
            out, t = timed(lambda: sb.run_job(cfg, recipes, fold, device), device)
            batched.update({(i, fold): m for i, m in zip(idx, out)})
            t_batched += t
            for i, recipe in zip(idx, recipes):
                (m,), t = timed(lambda: sb.run_job(cfg, [recipe], fold, device), device)
                single[(i, fold)] = m
                t_single += t
    diff = max(abs(a - b) for k in batched for env in batched[k] for split in batched[k][env]
               for a, b in zip(batched[k][env][split], single[k][env][split]))
    n = len(entries)
    return {"profile": profile, "trials_per_method": trials, "methods": list(sb.METHODS), "folds": list(folds),
            "n_trials": n, "n_restarts": cfg.n_restarts, "n_groups": len(groups),
            "batched_s": round(t_batched, 2), "one_by_one_s": round(t_single, 2),
            "batched_trials_per_min": round(60 * n / t_batched, 1),
            "one_by_one_trials_per_min": round(60 * n / t_single, 1),
            "speedup": round(t_single / t_batched, 2), "max_accuracy_difference": diff}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--folds", default=",".join(sb.FOLDS), help="comma-separated, of: " + ", ".join(sb.FOLDS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    try:
        device = resolve_device(args.device)
        folds = [f for f in args.folds.split(",") if f]
        if not folds or any(f not in sb.FOLDS for f in folds):
            raise InputError(f"bad --folds {args.folds!r}; accepted: {', '.join(sb.FOLDS)}")
        if device.type == "cpu":
            torch.set_num_threads(1)  # as a Ray task with num_cpus=1 runs
        start = time.perf_counter()
        comparison = bench(args.profile, args.trials, device, folds)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    record = {"benchmark": "sweep_batched", "comparison": comparison,
              "provenance": results.provenance(device, time.perf_counter() - start)}
    print(json.dumps(comparison, indent=1))
    if args.out:
        results.atomic_write_text(args.out, json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
