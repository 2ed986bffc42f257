"""Figures and tables of the robustness chapter (chapter 7)."""

from __future__ import annotations

import plotly.graph_objects as go

from .core import book_layout, markdown_table, sig

__all__ = ['ROBUSTNESS_COLORS', 'robustness_accuracy_figure', 'robustness_flip_figure',
           'robustness_recipe_table', 'robustness_examples_figure', 'robustness_results_table']

ROBUSTNESS_COLORS = {"ERM": "#d62728", "SD": "#1f77b4"}


def _layout(fig: go.Figure, height: int, xaxis_title: str, yaxis_title: str, alt: str) -> go.Figure:
    book_layout(fig, height, alt, left=55)
    fig.update_layout(xaxis_title=xaxis_title, yaxis_title=yaxis_title, yaxis_range=[0, 101])
    return fig


def robustness_accuracy_figure(methods: dict, eps: float, height: int = 360) -> go.Figure:
    """Test accuracy against the PGD radius per method (epsilon 0: clean accuracy).

    methods: {name: {"clean_acc", "robust_acc", "robust_curve": {"eps", "acc"}}}; `eps`: the
    radius of ``robust_acc``.
    """
    fig = go.Figure()
    for name, m in methods.items():
        points = sorted([(0.0, m["clean_acc"]), (eps, m["robust_acc"]),
                         *zip(m["robust_curve"]["eps"], m["robust_curve"]["acc"])])
        fig.add_trace(go.Scatter(x=sig([p[0] for p in points]), y=sig([p[1] for p in points]),
                                 mode="lines+markers", name=name,
                                 line=dict(color=ROBUSTNESS_COLORS.get(name, "#7f7f7f"))))
    fig.add_vline(x=eps, line_dash="dot", line_color="#7f7f7f")
    return _layout(fig, height, "L∞ radius ε of the PGD attack (pixel units, [0, 1])", "test accuracy (%)",
                   f"Line chart: test accuracy of {' and '.join(methods)} against the PGD radius ε; "
                   f"a dotted line marks ε = {eps:g}.")


def robustness_flip_figure(min_perturbation: dict, height: int = 360) -> go.Figure:
    """Fraction of test images whose prediction a perturbation of L-inf size <= epsilon flips,
    per method, with a marker at each method's median minimal perturbation.

    min_perturbation: {name: {"median", "curve": {"eps", "flipped"}}}.
    """
    fig = go.Figure()
    for name, m in min_perturbation.items():
        color = ROBUSTNESS_COLORS.get(name, "#7f7f7f")
        fig.add_trace(go.Scatter(x=sig(m["curve"]["eps"]), y=sig(m["curve"]["flipped"]), mode="lines",
                                 name=name, line=dict(color=color, shape="hv")))
        if m["median"] is not None:
            fig.add_trace(go.Scatter(x=sig([m["median"]]), y=[50.0], mode="markers",
                                     name=f"{name} median", marker=dict(color=color, size=9, symbol="diamond")))
    # show the search range up to where every curve has reached its final value, and a little more
    ends = [m["curve"]["eps"][m["curve"]["flipped"].index(m["curve"]["flipped"][-1])]
            for m in min_perturbation.values()]
    fig.update_xaxes(range=[0, min(max(m["curve"]["eps"][-1] for m in min_perturbation.values()),
                                   1.25 * max(ends) or 1.0)])
    return _layout(fig, height, "L∞ size ε of the perturbation (pixel units, [0, 1])", "test images flipped (%)",
                   f"Step chart: the share of test images whose prediction flips within an L∞ perturbation "
                   f"of size ε, for {' and '.join(min_perturbation)}; diamonds mark each median.")


def robustness_examples_figure(images, titles, height: int = 170) -> go.Figure:
    """A row of grayscale images (n, H, W) in [0, 1], one title each."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(images), subplot_titles=list(titles), horizontal_spacing=0.02)
    for k, image in enumerate(images, start=1):
        fig.add_trace(go.Heatmap(z=[sig(row, 3) for row in image], colorscale="gray", zmin=0, zmax=1,
                                 showscale=False, hoverinfo="skip", reversescale=True), row=1, col=k)
        fig.update_yaxes(autorange="reversed", row=1, col=k)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_annotations(font_size=11)
    book_layout(fig, height, f"{len(images)} grayscale test images titled {', '.join(titles)}.",
                legend=False, titles=True, left=5, right=5, bottom=5)
    return fig


def _n(count: int) -> str:
    return f"{count:,d}" if count else "all"


def robustness_recipe_table(runs: dict, study: dict) -> str:
    """Markdown table of the table's runs and the two-class study (config dicts)."""
    rows = [{"what": name, "data": r["data"], "model": r["arch"], "sd": f"{r['sd_coef']:g}",
             "train": f"{r['epochs']} epochs, batch {r['batch_size']}, SGD lr {r['lr']:g}"
                      + (f" (x{r['lr_decay']:g} at {', '.join(map(str, r['milestones']))})" if r["milestones"] else ""),
             "size": f"{_n(r['n_train'])} / {_n(r['n_test'])} / {_n(r['n_attack'])}"} for name, r in runs.items()]
    rows.append({"what": "two-class study", "data": f"{study['data']}, classes {tuple(study['classes'])}",
                 "model": f"{study['arch']} (net_size {study['net_size']:g})", "sd": f"{study['sd_coef']:g}",
                 "train": f"{study['epochs']} epochs, batch {study['batch_size']}, SGD lr {study['lr']:g}",
                 "size": f"{_n(study['n_train'])} / {_n(study['n_test'])} / {_n(study['n_test'])}"})
    return markdown_table(rows, {"what": "experiment", "data": "data", "model": "model",
                                 "sd": "SD coef on mean(logits²)", "train": "training",
                                 "size": "train / test / attacked images"})


def robustness_results_table(runs: dict, paper: dict) -> str:
    """Markdown table of a results file's runs ({name: {"data", "methods"}}) beside the paper's
    robust accuracies ({data: {method: %}})."""
    rows = [{"run": name, "method": m, "clean": f"{v['clean_acc']:.1f}", "robust": f"{v['robust_acc']:.1f}",
             "paper": f"{paper[r['data']][m]:.0f}" if r["data"] in paper else "–"}
            for name, r in runs.items() for m, v in r["methods"].items()]
    return markdown_table(rows, {"run": "run", "method": "method", "clean": "clean accuracy (%)",
                                 "robust": "robust accuracy (%)", "paper": "robust accuracy, paper (%)"})
