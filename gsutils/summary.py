"""The book's headline numbers, gathered from results files beside the paper's (closing chapter).

Each row names the experiment, the quantity, our value with the run that produced it (profile,
device, date, from the file's provenance) and the paper's value. Only files that exist are read:
a missing experiment gives no row rather than a made-up one.
"""

from __future__ import annotations

from pathlib import Path

from . import configs, results


def _run_label(record: dict) -> str:
    prov = record["provenance"]
    return f"{record['profile']} profile, {prov['device'].split(' (')[0]}, {prov['finished_utc'][:10]}"


def _pm(mean: float, std: float) -> str:
    return f"{mean:.1f} ± {std:.1f}"


def _theory(record: dict) -> list[dict]:
    points = record["metrics"]["fixed_points"]
    wd = sorted((p for p in points if p["regularizer"] == "weight_decay"), key=lambda p: p["s1"])
    sd = sorted((p for p in points if p["regularizer"] == "sd"), key=lambda p: p["s1"])
    rows = []
    for p in (wd[0], wd[-1]) if wd else ():
        ref = configs.THEORY_FIXED_POINTS.get(p["s1"])
        rows.append({"quantity": f"z2* with weight decay, s1 = {p['s1']:g}", "ours": f"{p['z2']:.3f}",
                     "paper": f"{ref[1]:.3f} (derived)" if ref else "—"})
    if sd:
        spread = max(p["z2"] for p in sd) - min(p["z2"] for p in sd)
        rows.append({"quantity": f"z2* with SD, over s1 = {sd[0]['s1']:g} to {sd[-1]['s1']:g}",
                     "ours": f"{sd[0]['z2']:.3f} "
                     + (f"(spread {spread:.1e})" if spread else "(identical for every s1)"),
                     "paper": f"{configs.THEORY_SD_FIXED_POINT[1]:.3f} for every s1 (derived)"})
    return rows


def _toy(record: dict) -> list[dict]:
    paper = {"separable": "almost straight", "separable_sd": "curved, larger margin"}
    return [{"quantity": f"boundary spread, {run.get('label', run['setting'])} ({run['method']})",
             "ours": f"{run['boundary_spread']:.3f}", "paper": paper.get(run["setting"], "almost straight")}
            for run in record["metrics"]["runs"] if run["setting"] in ("separable", "separable_sd")]


def _colored_mnist(record: dict) -> list[dict]:
    methods = record["metrics"]["methods"]
    return [{"quantity": f"{name} test accuracy (%)",
             "ours": _pm(methods[name]["test_acc_mean"], methods[name]["test_acc_std"]),
             "paper": _pm(*configs.COLORED_MNIST_PAPER[name]["test"])}
            for name in ("ERM", "SD", "IRM") if name in methods]


CELEBA_LABELS = {"GroupDRO": "Group DRO"}


def _celeba(record: dict) -> list[dict]:
    methods = record["metrics"]["methods"]
    standin = record["metrics"].get("data") == "standin"
    return [{"quantity": f"{CELEBA_LABELS.get(name, name)} worst-group test accuracy (%)"
                         + (" (stand-in data)" if standin else ""),
             "ours": _pm(methods[name]["worst_acc_mean"], methods[name]["worst_acc_std"]),
             "paper": _pm(*configs.CELEBA_PAPER[name]["worst"]) + " (CelebA)"}
            for name in configs.CELEBA_PAPER if name in methods]


ROWS = {"theory": _theory, "toy": _toy, "colored_mnist": _colored_mnist, "celeba": _celeba}
EXPERIMENT_LABELS = {"theory": "two-feature theory", "toy": "toy task (two moons)",
                     "colored_mnist": "Colored MNIST", "celeba": "CelebA"}  # what the table prints


def headline_rows(results_dir: str | Path | None = None) -> list[dict]:
    """One row per headline number; the paper profile's file is preferred over the quick one.

    Files are read from `results_dir`, or by default from the committed ``results/`` (see
    ``results.committed``).
    """
    rows = []
    for experiment, make_rows in ROWS.items():
        for profile in ("paper", "quick"):
            name = f"{experiment}-{profile}.json"
            path = results.committed(name) if results_dir is None else Path(results_dir) / name
            if path is not None and path.exists():
                record = results.load(path)
                rows += [{"experiment": EXPERIMENT_LABELS[experiment], **row, "run": _run_label(record)}
                         for row in make_rows(record)]
                break
    return rows


def missing_note() -> str:
    """A Markdown line for each experiment that has no committed results file, saying why."""
    notes = []
    for experiment in ROWS:
        found = [results.committed(f"{experiment}-{profile}.json") for profile in ("paper", "quick")]
        if not any(found):
            notes.append(f"- No row for {experiment}: {found[0]}.")
    return "\n\n" + "\n".join(notes) + "\n" if notes else ""


def landing_numbers(rows: list[dict]) -> dict[str, str]:
    """The landing page's Colored MNIST sentence: ERM's and SD's test accuracy ("23.1 ± 0.6%") and
    the run they come from; where no results file could be read (offline, without the checkout),
    each says so instead of stopping the page."""
    accuracy = {r["quantity"].split()[0]: r for r in rows if r["experiment"] == EXPERIMENT_LABELS["colored_mnist"]}
    if "ERM" in accuracy and "SD" in accuracy:
        return {"erm": f"{accuracy['ERM']['ours']}%", "sd": f"{accuracy['SD']['ours']}%",
                "run": accuracy["SD"]["run"]}
    missing = "not available here (no committed results file could be read)"
    return {"erm": missing, "sd": missing, "run": missing}
