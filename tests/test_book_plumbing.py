"""Chapter plumbing: parameter validation, the papermill wrapper, glue and the offline renderer."""

import pytest

from gsutils.book import execute_chapter, glue, setup_chapter, _figure_html
from gsutils.runtime import InputError

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Scratch

```{code-cell} ipython3
:tags: [parameters]

profile = "quick"
steps = 3
```

```{code-cell} ipython3
print(profile, steps * 2)
```
"""


@pytest.fixture()
def chapter(tmp_path):
    src = tmp_path / "chapters" / "09_scratch.md"
    src.parent.mkdir()
    src.write_text(CHAPTER)
    return src


@pytest.mark.parametrize("params, message", [
    ({"stpes": "4"}, "unknown chapter parameter 'stpes'; accepted: profile, steps"),
    ({"steps": "four"}, "bad value 'four' for steps: expected int"),
])
def test_execute_rejects_bad_parameters_before_running(chapter, params, message):
    with pytest.raises(InputError, match=message):
        execute_chapter(chapter, params)
    assert not (chapter.parent.parent / "book").exists() or not list(
        (chapter.parent.parent / "book").glob("*.ipynb"))


def test_setup_chapter_validates_profile_device_and_seed():
    with pytest.raises(InputError, match="unknown profile 'fast'; accepted: quick, paper"):
        setup_chapter(profile="fast")
    with pytest.raises(InputError, match="unknown device 'gpu'"):
        setup_chapter(device="gpu")
    with pytest.raises(InputError, match="bad seed -1"):
        setup_chapter(seed=-1)
    with pytest.raises(InputError, match="unknown experiment 'toys'"):
        setup_chapter(experiment="toys")
    assert setup_chapter(profile="paper").profile == "paper"


def test_glue_turns_numpy_scalars_into_python_values():
    np = pytest.importorskip("numpy")
    assert glue("x", np.float32(0.25)) == 0.25 and type(glue("x", np.float64(1.5))) is float
    assert glue("y", 0.123456, ".2f") == "0.12"


def test_figure_html_is_offline_and_stable():
    fig = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {}}
    html = _figure_html(fig)
    assert html == _figure_html(fig) and "cdn" not in html.lower() and "Plotly.newPlot" in html
