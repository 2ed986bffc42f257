"""Build the Colab-like virtual environment of the Colab simulation (`make colab-venv`).

A fresh venv (default ``_build/colab-venv``) with the versions of requirements/colab.txt and no
gsutils. torch and torchvision come preinstalled on Colab and are never installed by the chapters'
install cell; here they are this interpreter's own (the main .venv's), made visible through a .pth
file that points at a folder of links to them and their dependencies, numpy excepted (Colab's
numpy 2.0 comes from the requirements). Usage: .venv/bin/python scripts/colab_venv.py [DIR]
"""

from __future__ import annotations

import re
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements" / "colab.txt"
PRESET = ("torch", "torchvision")


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _closure(names, skip: set[str]) -> list[metadata.Distribution]:
    """The installed distributions `names` and, recursively, their unconditional requirements."""
    seen, todo, found = set(skip), list(names), []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement that is not installed
        found.append(dist)
        todo += [_name(r) for r in dist.requires or [] if "extra ==" not in r]
    return found


def _link_preset(venv_python: Path, links: Path) -> None:
    site = Path(subprocess.run([str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    have = subprocess.run([str(venv_python), "-m", "pip", "list", "--format=freeze"], capture_output=True,
                          text=True, check=True).stdout
    skip = {_name(line) for line in have.splitlines()}
    links.mkdir(parents=True, exist_ok=True)
    for dist in _closure(PRESET, skip):
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")} - {"__pycache__"}
        for top in tops:
            source = Path(dist.locate_file(top))
            target = links / top
            if source.exists() and not target.exists():
                target.symlink_to(source)
    (site / "colab-preinstalled.pth").write_text(str(links) + "\n")
    # Colab's torch comes with its requirements met (e.g. setuptools>=77 for torch 2.14), and the
    # install cell must not be the one to upgrade them: give the venv .venv's versions of those.
    check = subprocess.run([str(venv_python), "-m", "pip", "check"], capture_output=True, text=True).stdout
    unmet = {_name(m.group(1)) for m in re.finditer(r"^\S+ [\w.+]+ has requirement (\S+?)[<>=!~;, ]", check, re.M)}
    unmet -= {_name(line) for line in REQUIREMENTS.read_text().splitlines() if line and line[0] != "#"}
    if unmet:
        subprocess.run([str(venv_python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                        *(f"{n}=={metadata.version(n)}" for n in sorted(unmet))], check=True)


def build(path: Path) -> Path:
    """Create the venv at `path` (reused while requirements/colab.txt and this script are as they
    were); return its python."""
    path = Path(path).resolve()  # the .pth file needs an absolute folder
    python = path / "bin" / "python"
    stamp, recipe = path / ".installed", REQUIREMENTS.read_text() + Path(__file__).read_text()
    if stamp.exists() and stamp.read_text() == recipe:
        return python
    venv.create(path, with_pip=True, clear=True)
    subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r",
                    str(REQUIREMENTS)], check=True)
    _link_preset(python, path / "preinstalled")
    check = "import torch, torchvision, numpy, ipywidgets; print(torch.__version__, numpy.__version__, ipywidgets.__version__)"
    print("colab venv:", subprocess.run([str(python), "-c", check], capture_output=True, text=True,
                                        check=True).stdout.strip())
    stamp.write_text(recipe)
    return python


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "colab-venv")
