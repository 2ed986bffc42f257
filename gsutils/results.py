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
import urllib.error
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


class Unavailable:
    """What ``committed`` returns when no copy of a results file was found: false in a test, and
    its text says where it looked and why each place failed."""

    def __init__(self, name: str, tried: list[tuple[str, str]]):
        self.name, self.tried = name, tried

    def __bool__(self) -> bool:
        return False

    def exists(self) -> bool:
        return False

    def __str__(self) -> str:
        return (f"results file {self.name} is not available; tried "
                + "; ".join(f"{place}: {why}" for place, why in self.tried))

    def __repr__(self) -> str:
        return f"Unavailable({str(self)!r})"


DOWNLOAD_TIMEOUT_S = 5
_FAILED_DOWNLOADS: dict[str, str] = {}  # url -> reason; a failure is not retried in this session


def installed_ref() -> str:
    """The commit gsutils was installed from (pip's direct_url.json of a git install), else 'main'."""
    from importlib import metadata

    try:
        info = json.loads(metadata.distribution("gsutils").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return "main"
    return info.get("vcs_info", {}).get("commit_id") or "main"


def _download(name: str) -> tuple[Path | None, str]:
    """The repository's copy of results/<name> at the installed commit, cached in $GSUTILS_CACHE
    (default ~/.cache/gsutils); (None, reason) when it cannot be had."""
    ref = installed_ref()
    url = f"{REPO_URL}/raw/{ref}/results/{name}"
    cache = Path(os.environ.get("GSUTILS_CACHE", Path.home() / ".cache" / "gsutils")) / "results" / ref / name
    if cache.exists():
        return cache, ""
    if url not in _FAILED_DOWNLOADS:
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                atomic_write_text(cache, response.read().decode())
            return cache, ""
        except urllib.error.HTTPError as err:
            _FAILED_DOWNLOADS[url] = f"HTTP {err.code} {err.reason}"
        except (OSError, ValueError) as err:  # offline, DNS, timeout
            _FAILED_DOWNLOADS[url] = f"{type(err).__name__}: {getattr(err, 'reason', err)}"
    return None, f"{url}: {_FAILED_DOWNLOADS[url]}"


def committed(name: str) -> Path | Unavailable:
    """A results file, from the first place that has it: ``./results`` (where the chapters tell you
    to write your own runs), ``$GSUTILS_RESULTS``, the checkout's ``results/``, else a download
    from the repository (gsutils installed from git, as in Colab). When none has it, a false
    ``Unavailable`` whose text says what was tried and why each failed."""
    tried = []
    here = Path.cwd() / "results" / name
    if here.exists():
        return here
    tried.append(("./results", f"no {here}"))
    env = os.environ.get("GSUTILS_RESULTS")
    if env and (Path(env) / name).exists():
        return Path(env) / name
    tried.append(("$GSUTILS_RESULTS", f"no {Path(env) / name}" if env else "not set"))
    if (REPO_ROOT / "pyproject.toml").exists():
        if (REPO_ROOT / "results" / name).exists():
            return REPO_ROOT / "results" / name
        tried.append(("the checkout", f"no {REPO_ROOT / 'results' / name}"))
    else:
        tried.append(("the checkout", "none (gsutils is installed as a package)"))
    path, why = _download(name)
    if path is not None:
        return path
    tried.append(("the repository", why))
    return Unavailable(name, tried)


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
