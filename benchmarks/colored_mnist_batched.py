"""Colored MNIST: batched restarts against a per-seed loop, and the paper protocol's throughput.

    python benchmarks/colored_mnist_batched.py --device cuda --out results/colored_mnist-benchmark.json
    python benchmarks/colored_mnist_batched.py --device cpu --profile quick --out /tmp/bench-cpu.json

In one run, on one machine: (1) one method's restarts trained at once (one BatchedMLP) and one seed
at a time, for the same steps on the same data: wall times, speed ratio, largest parameter difference;
(2) the whole protocol of the chosen profile through ``gsutils.experiments.colored_mnist.run``: wall
time, analytic FLOPs (2 * N * sum(d_in * d_out) per forward per restart, x3 for a training step, plus
the curve evaluations' forwards), achieved TFLOP/s and, on a GPU, the fraction of --peak-tflops.
Default peak: 67 TFLOP/s, the H100 SXM's FP32 (non-tensor-core) rate, which is what the protocol
uses with TF32 off (its default); with --set tf32=true pass --peak-tflops 495 (H100 SXM dense TF32;
H100 PCIe: 51 FP32 / 378 TF32). Writes a small JSON atomically, with provenance.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without install

from gsutils import experiments, results  # noqa: E402
from gsutils.experiments import colored_mnist as cm  # noqa: E402
from gsutils.runtime import InputError, resolve_device  # noqa: E402

H100_SXM_FP32_TFLOPS = 67.0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device):
    _sync(device)
    start = time.perf_counter()
    out = fn()
    _sync(device)
    return out, time.perf_counter() - start


def compare(cfg, device, method: str, steps: int) -> dict:
    """Batched restarts vs one seed at a time, same recipe (cut to `steps`), data and device."""
    recipe = replace(cfg.recipes[method], steps=steps)
    seeds = cm.restart_seeds(cfg)
    data, _ = cm.build_data(cfg, device)
    cm.train_restarts(replace(recipe, steps=2), data, seeds[:1], steps)  # warm-up: kernels, imports
    batched, t_batched = timed(lambda: cm.train_restarts(recipe, data, seeds, steps)[0], device)
    singles, t_loop = timed(lambda: [cm.train_restarts(recipe, data, (s,), steps)[0] for s in seeds], device)
    diff = max(float((pb[r] - ps[0]).detach().abs().max()) for r, single in enumerate(singles)
               for pb, ps in zip(batched.parameters(), single.parameters()))
    sizes = (196 if recipe.grayscale else 392, recipe.hidden_dim, recipe.hidden_dim, 1)
    n_train = 2 * (recipe.n_per_env or cfg.n_per_env)
    flops = len(seeds) * 3 * steps * cm.forward_flops(sizes, n_train)
    return {"method": method, "steps": steps, "n_restarts": len(seeds), "n_train": n_train,
            "batched_s": round(t_batched, 3), "per_seed_loop_s": round(t_loop, 3),
            "speedup": round(t_loop / t_batched, 2), "max_abs_param_diff": diff,
            "batched_tflops": round(flops / t_batched / 1e12, 4),
            "loop_tflops": round(flops / t_loop / 1e12, 4)}


def protocol(cfg, device, peak_tflops: float) -> dict:
    """The whole protocol, timed; its analytic FLOPs and the achieved rate."""
    metrics, wall = timed(lambda: cm.run(cfg, device, progress=False), device)
    flops = cm.protocol_flops(cfg)
    row = {"wall_s": round(wall, 2), "flops": flops, "achieved_tflops": round(flops / wall / 1e12, 4),
           "test_acc_mean": {m: v["test_acc_mean"] for m, v in metrics["methods"].items()}}
    if device.type == "cuda":
        row.update(peak_tflops=peak_tflops, fraction_of_peak=round(flops / wall / 1e12 / peak_tflops, 4))
    else:
        row["achieved_gflops"] = round(flops / wall / 1e9, 2)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--profile", default="paper", help="quick or paper")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--method", default="SD", help="the recipe timed batched vs per seed")
    parser.add_argument("--compare-steps", type=int, default=50, help="steps of that comparison")
    parser.add_argument("--peak-tflops", type=float, default=H100_SXM_FP32_TFLOPS,
                        help="the GPU's peak rate for the precision used (default: H100 SXM FP32)")
    parser.add_argument("--skip-protocol", action="store_true", help="only the batched-vs-loop comparison")
    parser.add_argument("--out", type=Path, default=Path("results/colored_mnist-benchmark.json"))
    args = parser.parse_args(argv)
    try:
        cfg = experiments.get_config("colored_mnist", args.profile, args.overrides)
        if args.method not in cfg.recipes or args.compare_steps <= 0 or args.peak_tflops <= 0:
            raise InputError(f"--method {args.method!r} (accepted: {', '.join(cfg.recipes)}), "
                             f"--compare-steps > 0 and --peak-tflops > 0 are required")
        device = resolve_device(args.device)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    with cm.matmul_precision(cfg.tf32):
        record = {"benchmark": "colored_mnist_batched", "profile": args.profile, "overrides": args.overrides,
                  "tf32": cfg.tf32, "comparison": compare(cfg, device, args.method, args.compare_steps)}
        print(json.dumps(record["comparison"]))
        if not args.skip_protocol:
            record["protocol"] = protocol(cfg, device, args.peak_tflops)
            print(json.dumps(record["protocol"]))
    record["provenance"] = results.provenance(device, time.perf_counter() - start)
    results.atomic_write_text(args.out, json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
