"""Hyperparameter sweeps on Ray with DomainBed's model-selection rules (chapter 8).

``sweep(experiment, profile, trials, ...)`` draws `trials` configurations per method from the search
spaces of ``gsutils.configs.search`` (trial 0: the recipe itself), groups the trials that share
shapes into jobs (one batched training each, ``experiments.sweep_batched``), runs the jobs as Ray
tasks (a local Ray by default, ``address`` for a cluster that has gsutils and MNIST installed),
saves each trial's metrics atomically in `workdir` (a rerun skips what is there), then chooses one
trial per method under each rule of the experiment and reports its test accuracy.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path

from tqdm.auto import tqdm

from . import configs, experiments, results
from .runtime import DEVICES, InputError, check_choice, require, resolve_device

ADAPTERS = {"colored_mnist": "sweep_batched", "celeba": "sweep_celeba"}
MAX_MODELS_PER_JOB = 512  # trials x restarts in one batched training (GPU memory)


def adapter(experiment: str):
    check_choice("sweep experiment", experiment, ADAPTERS)
    return importlib.import_module(f"{__package__}.experiments.{ADAPTERS[experiment]}")


def check_address(address: str, timeout: float = 2.0) -> None:
    """Fail fast (one line) unless the address accepts a TCP connection within `timeout` s and,
    for a GCS address (HOST:PORT), answers one request of Ray's GCS client (Ray itself retries ~20 s)."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise InputError(f"bad Ray address {address!r}; accepted: HOST:PORT or ray://HOST:PORT")
    GcsClient = require("ray._raylet", "sweep").GcsClient  # Ray's own client: one request, no retries

    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
        if not address.startswith("ray://"):
            with _quiet_stderr():
                GcsClient(address=f"{host}:{port}").cluster_id  # noqa: B018 (one request)
    except Exception as err:  # OSError, or Ray's RpcError from something that is not a Ray head
        raise InputError(f"unreachable Ray address {address!r}: {getattr(err, 'strerror', None) or err}") from None


@contextmanager
def _quiet_stderr():
    """Silence the C++ client's retry warnings (file descriptor 2) for the duration."""
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved), os.close(null)


def plan(experiment: str, profile: str, trials, overrides=()) -> tuple:
    """The validated config and one entry per (method, trial): its drawn values and recipe."""
    ad = adapter(experiment)
    n = int(trials) if str(trials).lstrip("-").isdigit() else None
    if n is None or n < 1:
        raise InputError(f"bad --trials {trials!r}; accepted: an integer >= 1")
    cfg = experiments.get_config(experiment, profile, _overrides(experiment, profile, overrides))
    entries = []
    for method in ad.METHODS:
        for t in range(n):
            hp = configs.draw_hparams(experiment, method, t, profile)
            entries.append({"method": method, "trial": t, "hparams": hp,
                            "recipe": ad.trial_recipe(cfg, method, hp)})
    return cfg, entries


def _overrides(experiment: str, profile: str, overrides=()) -> list[str]:
    """The quick sweep's reductions (configs.SWEEP_QUICK_OVERRIDES), then the caller's overrides."""
    extra = configs.SWEEP_QUICK_OVERRIDES[experiment] if profile == "quick" else ()
    return [*extra, *overrides]


def _digest(*parts) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _trial_file(workdir: Path, entry: dict, fold: str) -> Path:
    return workdir / f"{entry['method']}-{entry['trial']:04d}-{fold}.json"


def _jobs(ad, entries: list, n_restarts: int, done: set) -> list[tuple]:
    """(fold, [entry indices]) per job: the missing (trial, fold) pairs grouped by shapes."""
    groups: dict = {}
    for i, e in enumerate(entries):
        key = ad.group_key(e["recipe"]) or (e["method"], e["trial"])
        for fold in ad.FOLDS:
            if (i, fold) not in done:
                groups.setdefault((key, fold), []).append(i)
    per_job = max(1, MAX_MODELS_PER_JOB // max(n_restarts, 1))
    return [(fold, idx[k:k + per_job]) for (_, fold), idx in groups.items() for k in range(0, len(idx), per_job)]


def _run_job(experiment, profile, overrides, picks, fold, device):
    """A Ray task: rebuild the config and the picked trials' recipes, train them, return metrics."""
    import torch

    ad = adapter(experiment)
    if device == "cpu":
        torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "1"))))
    cfg = experiments.get_config(experiment, profile, _overrides(experiment, profile, overrides))
    recipes = [ad.trial_recipe(cfg, method, hp) for method, hp in picks]
    return ad.run_job(cfg, recipes, fold, torch.device(device))


def select(experiment: str, trials: list[dict]) -> dict:
    """{rule: {method: best trial's test metrics and config}} (ties: the earliest trial)."""
    ad, out = adapter(experiment), {}
    for rule in ad.RULES:
        out[rule] = {}
        for method in ad.METHODS:
            scored = [(ad.score(rule, t["metrics"]), t) for t in trials if t["method"] == method]
            (_, report), best = max(scored, key=lambda s: s[0][0])  # max keeps the first of equals
            out[rule][method] = {**report, "trial": best["trial"], "hparams": best["hparams"],
                                 "config": best["config"]}
    return out


def worker_env(address: str | None) -> dict[str, str]:
    """Environment of the Ray workers. A local worker does not start in the driver's folder, so a
    relative data folder (./data, as on Colab) is handed over as an absolute $GSUTILS_DATA."""
    env = {"RAY_USAGE_STATS_ENABLED": "0"}
    if not address:
        from .data import mnist

        env["GSUTILS_DATA"] = str(Path(mnist.default_root()).resolve())
    return env


def sweep(experiment: str, profile: str = "quick", trials=4, device: str = "auto", address: str | None = None,
          out=None, workdir=None, progress: bool = True, overrides=(), num_cpus: int = 1) -> dict:
    """Run (or resume) a sweep; return its record and, with `out`, save it atomically."""
    ad = adapter(experiment)
    cfg, entries = plan(experiment, profile, trials, overrides)
    check_choice("device", device, DEVICES)
    if not isinstance(num_cpus, int) or num_cpus < 1:
        raise InputError(f"bad --num-cpus {num_cpus!r}; accepted: an integer >= 1")
    if address:
        check_address(address)
    else:
        device = resolve_device(device).type
    ray = require("ray", "sweep")

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    start, done, metrics = time.perf_counter(), set(), {}
    workdir = Path(workdir) if workdir else None
    applied = _overrides(experiment, profile, overrides)
    keys = [_digest(experiment, profile, applied, configs.as_dict(e["recipe"]), e["hparams"]) for e in entries]
    if workdir is not None:  # what an earlier, interrupted run already saved
        for i, e in enumerate(entries):
            for fold in ad.FOLDS:
                path = _trial_file(workdir, e, fold)
                saved = json.loads(path.read_text()) if path.exists() else None
                if saved and saved["key"] == keys[i]:
                    done.add((i, fold))
                    metrics.setdefault(i, {})[fold] = saved["metrics"]
    jobs = _jobs(ad, entries, getattr(cfg, "n_restarts", 1), done)
    started = bool(jobs) and not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, configure_logging=True, logging_level="ERROR",
                 runtime_env={"env_vars": worker_env(address)})
    backend = {"name": "ray", "version": ray.__version__, "address": address or "local"}
    try:
        if address and device == "auto":
            device = "cuda" if ray.cluster_resources().get("GPU", 0) else "cpu"
        if workdir is not None:
            workdir.mkdir(parents=True, exist_ok=True)
        remote = ray.remote(num_cpus=1, num_gpus=1 if device == "cuda" else 0)(_run_job)
        pending = {remote.remote(experiment, profile, list(overrides),
                                 [(entries[i]["method"], entries[i]["hparams"]) for i in idx], fold, device):
                   (fold, idx) for fold, idx in jobs}
        bar = tqdm(total=len(entries) * len(ad.FOLDS), initial=len(done), desc=f"sweep {experiment}",
                   unit="run", disable=not progress, leave=False)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            fold, idx = pending.pop(ready[0])
            for i, m in zip(idx, ray.get(ready[0])):
                metrics.setdefault(i, {})[fold] = m
                if workdir is not None:
                    results.atomic_write_text(_trial_file(workdir, entries[i], fold),
                                              json.dumps({"key": keys[i], "metrics": m}))
            bar.update(len(idx))
        bar.close()
        if ray.is_initialized():
            backend["resources"] = {k: v for k, v in ray.cluster_resources().items() if k in ("CPU", "GPU")}
    finally:
        if started:
            ray.shutdown()
    trials_out = [{"method": e["method"], "trial": e["trial"], "hparams": e["hparams"],
                   "config": configs.as_dict(e["recipe"]), "metrics": metrics[i]} for i, e in enumerate(entries)]
    record = {"experiment": experiment, "profile": profile, "backend": backend,
              "n_trials": len(entries) // len(ad.METHODS), "rules": ad.RULES,
              "search_space": {m: [{"name": h.name, "range": h.describe(), "source": h.source}
                                   for h in configs.SEARCH_SPACES[experiment][m]] for m in ad.METHODS},
              "trials": trials_out, "selection": select(experiment, trials_out),
              "provenance": results.provenance(resolve_device("cpu" if address else device),
                                               time.perf_counter() - start)}
    if address:
        record["provenance"]["device"] = f"{device} workers of the Ray cluster at {address}"
    if out is not None:
        results.atomic_write_text(out, json.dumps(record, indent=1) + "\n")
    return record

