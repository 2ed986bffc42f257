"""Colab simulation: each Colab edition, run top to bottom as a new Colab user would.

A fresh virtual environment with Colab's package versions (requirements/colab.txt; torch and
torchvision are Colab's own, linked in by scripts/colab_venv.py) and no gsutils; an empty working
folder ``content/``; ``google.colab`` importable, as Colab's kernel has it. The edition's install cell
runs unchanged: git's ``url.<base>.insteadOf`` (in a GIT_CONFIG_GLOBAL of its own) sends its
``git+REPO_URL@commit`` to this checkout. MNIST is fetched by the chapters themselves; the
results download fails (no GitHub here), so the chapters' "not available" paths run too.

Colored MNIST and CelebA run in `make test`; the other chapters are marked ``colab`` and run in
`make test-colab`. With $GSUTILS_RECORD_TIMINGS set (`make test-colab` sets it), each chapter's run
time goes into results/timings.json under ``colab_simulation`` (the chapter headers show it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

import gsutils
from gsutils import timings

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "_build" / "colab-venv"
EDITIONS = sorted(p.stem for p in (ROOT / "colab").glob("*.ipynb"))
IN_MAKE_TEST = {"05_colored_mnist", "06_celeba"}
GOOGLE_COLAB_STUB = '"""Stand-in for Colab\'s own google.colab (imported by its kernel at start)."""\n'


@pytest.fixture(scope="module")
def colab_python(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("colab_venv", ROOT / "scripts" / "colab_venv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    python = module.build(VENV)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "google" / "colab").mkdir(parents=True, exist_ok=True)
    (site / "google" / "colab" / "__init__.py").write_text(GOOGLE_COLAB_STUB)
    return python


def _versions(python: Path) -> dict[str, str]:
    # run outside the checkout: its gsutils.egg-info (from `pip install -e`) would shadow the venv's
    out = subprocess.run([str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True,
                         check=True, cwd=python.parent).stdout
    return {d["name"].lower(): d["version"] for d in json.loads(out)}


def run_edition(stem: str, python: Path, tmp: Path) -> nbformat.NotebookNode:
    return run_notebook(nbformat.read(ROOT / "colab" / f"{stem}.ipynb", as_version=4), python, tmp)


def run_notebook(nb, python: Path, tmp: Path, pythonpath: str = "") -> nbformat.NotebookNode:
    """Execute `nb` in place, in a kernel of the Colab venv, from the empty folder tmp/content."""
    from nbclient import NotebookClient

    content, jupyter, ipython = tmp / "content", tmp / "jupyter", tmp / "ipython"
    content.mkdir()
    gitconfig = tmp / "gitconfig"
    gitconfig.write_text(f'[url "{ROOT.as_uri()}"]\n\tinsteadOf = {gsutils.REPO_URL}\n')
    (ipython / "profile_default" / "startup").mkdir(parents=True)
    (ipython / "profile_default" / "startup" / "00-colab.py").write_text("import google.colab\n")
    kernel = jupyter / "kernels" / "colab-sim"
    kernel.mkdir(parents=True)
    env = {"GIT_CONFIG_GLOBAL": str(gitconfig), "GSUTILS_CACHE": str(tmp / "cache"),
           "IPYTHONDIR": str(ipython), "PYTHONPATH": pythonpath}
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab simulation", "language": "python", "env": env}))
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "PYTHONPATH", "GSUTILS_DATA", "GSUTILS_RESULTS")}
    os.environ["JUPYTER_PATH"] = str(jupyter)
    for k in ("PYTHONPATH", "GSUTILS_DATA", "GSUTILS_RESULTS"):
        os.environ.pop(k, None)
    try:
        NotebookClient(nb, timeout=900, kernel_name="colab-sim",
                       resources={"metadata": {"path": str(content)}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def _text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts += [str(v) for k, v in out.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


@pytest.mark.parametrize("stem", [pytest.param(s, marks=[] if s in IN_MAKE_TEST else [pytest.mark.colab])
                                  for s in EDITIONS])
def test_edition_runs_on_a_fresh_colab_runtime(stem, colab_python, tmp_path):
    subprocess.run([str(colab_python), "-m", "pip", "uninstall", "-q", "-y", "gsutils"], capture_output=True)
    before = _versions(colab_python)
    load_before, start = os.getloadavg(), time.perf_counter()
    nb = run_edition(stem, colab_python, tmp_path)
    seconds = time.perf_counter() - start
    nbformat.write(nb, tmp_path / f"{stem}.ipynb")  # kept for inspection, with each cell's timings
    after = _versions(colab_python)
    pin = nb.metadata["gsbook"]["gsutils_commit"]
    direct = subprocess.run([str(colab_python), "-c", "from importlib import metadata; "
                             "print(metadata.distribution('gsutils').read_text('direct_url.json'))"],
                            capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert json.loads(direct)["vcs_info"]["commit_id"] == pin, f"installed gsutils is not the pinned {pin}"
    changed = {k: (before[k], after.get(k)) for k in before if after.get(k) != before[k]}
    assert not changed, f"the install cell changed Colab's packages: {changed}"
    text = _text(nb)
    if stem in ("05_colored_mnist", "06_celeba"):
        assert (tmp_path / "content" / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").exists()
        assert "MNIST ready in" in text
    if stem == "05_colored_mnist":  # the committed paper-profile file: tried everywhere, said why
        assert "Paper profile: not available" in text and "$GSUTILS_RESULTS: not set" in text, text[-2000:]
    if os.environ.get("GSUTILS_RECORD_TIMINGS") and stem in timings.chapter_stems():
        timings.record("colab_simulation", stem, {
            **timings.machine(load_before, git_commit=pin), "torch": after["torch"],
            "seconds": round(seconds, 1), "install_seconds": round(_cell_seconds(nb, 0), 1)})


def _cell_seconds(nb, index: int) -> float:
    """How long the `index`-th code cell ran (nbclient's timestamps in the cell's metadata)."""
    cell = [c for c in nb.cells if c.cell_type == "code"][index]
    stamps = cell.metadata["execution"]
    start, end = (datetime.fromisoformat(stamps[k].replace("Z", "+00:00"))
                  for k in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


WIDGET_SCRIPT = """
import time
from gsutils import widgets
import ipywidgets
explorer = widgets.theory_explorer()
explorer.children[0].children[0].value = 4.0  # s1: recomputes the trajectories
demo = widgets.toy_demo(separability=0.4)
demo.step(3)
demo.controls["regularization"].value = demo.controls["regularization"].options[-1]
demo.controls["train"].value = True
time.sleep(2)
demo.controls["train"].value = False
demo.join()
assert demo.demo.iteration > 3, demo.demo.iteration
slider = demo.controls["separability"]
slider.value = slider.max if slider.value != slider.max else slider.min  # re-initialises
assert demo.demo.iteration == 0 and demo.figure is not None
print("widgets ok with ipywidgets", ipywidgets.__version__)
"""


def test_widgets_work_with_colab_ipywidgets(colab_python, tmp_path):
    """The live demos with Colab's ipywidgets 7 (the site and nbval run them with ipywidgets 8)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WIDGET_SCRIPT)])
    run_notebook(nb, colab_python, tmp_path, pythonpath=str(ROOT))
    assert "widgets ok with ipywidgets 7." in _text(nb), _text(nb)
