"""Results files: JSON with provenance, written atomically, read back by the chapters.

Schema: ``{"experiment", "profile", "config", "provenance", "metrics"}``. Provenance records the git
commit, the device, library versions, the wall time and the command line that produced the file.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from . import REPO_URL

REPO_ROOT = Path(__file__).resolve().parent.parent
_NUMBER_LIST = re.compile(r"\[\s*([-+0-9.eE,\s]+?)\s*\]")  # lists of numbers go on one line


def git_commit(cwd: Path = REPO_ROOT) -> str:
    """The current commit (with '+dirty' when the tree has changes), or 'unknown' outside git.

    $GSUTILS_COMMIT overrides it, for copies of the tree without .git (e.g. a remote GPU machine).
    """
    if os.environ.get("GSUTILS_COMMIT"):
        return os.environ["GSUTILS_COMMIT"]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, " \
           f"{torch.get_num_threads()} torch threads)"


def provenance(device: torch.device, wall_time_s: float) -> dict[str, Any]:
    import numpy

    return {
        "git_commit": git_commit(),
        "device": device_name(device),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wall_time_s": round(wall_time_s, 2),
        "finished_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join(sys.argv),
    }


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` through a temporary file and a rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save(path, experiment: str, profile: str, config: dict, metrics: dict, prov: dict) -> Path:
    record = {"experiment": experiment, "profile": profile, "config": config,
              "provenance": prov, "metrics": metrics}
    text = json.dumps(record, indent=1, default=_jsonable)
    text = _NUMBER_LIST.sub(lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    return atomic_write_text(path, text + "\n")


def committed(name: str) -> Path | None:
    """A results file committed under ``results/``: from the checkout when there is one, else
    (gsutils installed from git, as in Colab) downloaded once from the repository into
    ``$GSUTILS_CACHE`` (default ``~/.cache/gsutils``); None when neither is possible."""
    local = REPO_ROOT / "results" / name
    if local.exists():
        return local
    cache = Path(os.environ.get("GSUTILS_CACHE", Path.home() / ".cache" / "gsutils")) / "results" / name
    if not cache.exists():
        try:
            with urllib.request.urlopen(f"{REPO_URL}/raw/main/results/{name}", timeout=20) as response:
                text = response.read().decode()
        except OSError:  # offline, or the file is not in the repository
            return None
        atomic_write_text(cache, text)
    return cache


def load(path: str | os.PathLike) -> dict[str, Any]:
    """Read a results file; a missing one raises an error that says how to produce it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no results file at {path}; produce it with "
                                f"`python -m gsutils run EXPERIMENT --out {path}`")
    record = json.loads(path.read_text())
    missing = {"experiment", "profile", "config", "provenance", "metrics"} - set(record)
    if missing:
        raise ValueError(f"{path} is not a results file: missing {sorted(missing)}")
    return record


def _jsonable(obj):
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot store {type(obj).__name__} in a results file")
