"""Chapter plumbing: parameter validation, the papermill wrapper, glue and the offline renderer."""

import json

import pytest

from gsutils.book import GLUE_PREFIX, execute_chapter, glue, setup_chapter, _figure_html
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


def test_glued_strings_render_as_formatted(monkeypatch):
    """myst-nb reads the stored text/plain with literal_eval: "1,000" would become "(1, 0)"."""
    from myst_nb.core.variables import format_plain_text

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, **kw: shown.append(data))
    for value, fmt in (("1,000", None), (71629, ","), (6.4e-4, ".1e"), ("(5, 6)", None), (0.25, None)):
        text = glue("x", value, fmt)
        stored = shown[-1][GLUE_PREFIX + "text/plain"]
        assert format_plain_text(stored, "") == (text if isinstance(text, str) else repr(text))


def test_figure_html_is_offline_and_stable():
    fig = {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {"height": 300}}
    html = _figure_html(fig)
    assert html == _figure_html(fig) and "cdn" not in html.lower()
    assert 'class="plotly-graph-div gs-figure"' in html and "height:300px" in html
    data = html.split('class="gs-figure-data"', 1)[1].split(">", 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(data)["data"][0]["y"] == [3, 4]
    titled = _figure_html({"data": [], "layout": {"title": {"text": "</script>"},
                                                   "meta": {"alt": 'a "b"'}}})
    assert titled.count("</script>") == 1 and 'aria-label="a &quot;b&quot;"' in titled
