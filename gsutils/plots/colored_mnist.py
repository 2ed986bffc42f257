"""Figures and tables of Colored MNIST (chapter 5)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .core import markdown_table, sig

__all__ = ['METHOD_COLORS', 'QUADRANT_GRID', 'colored_mnist_accuracy_figure',
           'colored_mnist_quadrants_figure', 'colored_mnist_curves_figure',
           'colored_mnist_examples_figure', 'colored_mnist_results_table',
           'colored_mnist_quadrant_table', 'colored_mnist_recipe_table', 'update_size_figure']

METHOD_COLORS = {"ERM": "#d62728", "SD": "#1f77b4", "IRM": "#2ca02c", "VREx": "#9467bd", "Oracle": "#7f7f7f"}
QUADRANT_GRID = (("digit_gray", "digit_color"), ("blank_gray", "blank_color"))  # rows digit/blank


def colored_mnist_accuracy_figure(sources: dict, reference: dict, height: int = 380) -> go.Figure:
    """Train and test accuracy per method, bars with error bars (std over restarts), one colour per
    source; sources: {label: {method: metrics row}} (None: left out); reference: the paper's
    {method: {"train": (mean, std), "test": (mean, std)}}, drawn as the last source."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("train accuracy (%)", "test accuracy (%)"),
                        shared_yaxes=True, horizontal_spacing=0.05)
    palette = ("#1f77b4", "#ff7f0e", "#7f7f7f")
    methods = list(reference)
    series = [(label, {split: {m: (rows[m][f"{split}_acc_mean"], rows[m][f"{split}_acc_std"])
                               for m in methods if m in rows} for split in ("train", "test")})
              for label, rows in sources.items() if rows]
    series.append(("paper", {split: {m: reference[m][split] for m in methods}
                             for split in ("train", "test")}))
    for j, (label, splits) in enumerate(series):
        for col, split in enumerate(("train", "test"), start=1):
            names = list(splits[split])
            fig.add_trace(go.Bar(x=names, y=sig([splits[split][m][0] for m in names]), name=label,
                                 legendgroup=label, showlegend=col == 1, marker_color=palette[j % 3],
                                 error_y=dict(type="data", array=sig([splits[split][m][1] for m in names]))),
                          row=1, col=col)
    for col in (1, 2):
        fig.add_hline(y=50, line=dict(color="gray", dash="dot", width=1), row=1, col=col)
        fig.add_hline(y=75, line=dict(color="gray", dash="dash", width=1), row=1, col=col)
    fig.update_layout(template="plotly_white", barmode="group", height=height, yaxis_range=[0, 100],
                      legend=dict(orientation="h", y=-0.15), margin=dict(l=50, r=20, t=40, b=40))
    return fig


def colored_mnist_quadrants_figure(sources: dict, height: int = 420) -> go.Figure:
    """The paper's probe (camera-ready Figure 3) as heat maps: per method, accuracy (top row) and entropy (bottom row) on the four
    quadrants (rows digit / blank, columns grayscale / colour); buttons switch between sources.

    sources: {label: {method: {quadrant: {"acc", "entropy"}}}}; every source must list the same methods.
    """
    methods = list(next(iter(sources.values())))
    fig = make_subplots(rows=2, cols=len(methods), subplot_titles=methods, vertical_spacing=0.12,
                        horizontal_spacing=0.04)
    n_per_source = 2 * len(methods)
    for s, (label, quads) in enumerate(sources.items()):
        for c, method in enumerate(methods, start=1):
            panels = (("acc", (0, 100), "{:.1f}%", "RdBu"), ("entropy", (0, 0.69), "{:.2f}", "YlGn_r"))
            for r, (key, scale, fmt, cmap) in enumerate(panels, start=1):
                z = [[quads[method][q][key] for q in row] for row in QUADRANT_GRID]
                fig.add_trace(go.Heatmap(
                    z=[sig(row) for row in z], x=["grayscale", "colour"], y=["digit", "blank"],
                    text=[[fmt.format(v) for v in row] for row in z], texttemplate="%{text}",
                    zmin=scale[0], zmax=scale[1], colorscale=cmap, showscale=c == len(methods),
                    colorbar=dict(len=0.42, y=0.79 if r == 1 else 0.21,
                                  title="accuracy %" if key == "acc" else "entropy"),
                    visible=s == 0,
                    hovertemplate=f"{method} %{{y}}, %{{x}}: %{{text}}<extra>{label}</extra>"),
                    row=r, col=c)
                fig.update_yaxes(autorange="reversed", row=r, col=c)
    n = len(sources)
    buttons = [dict(label=label, method="restyle",
                    args=[{"visible": [k // n_per_source == s for k in range(n * n_per_source)]}])
               for s, label in enumerate(sources)]
    fig.update_layout(template="plotly_white", height=height, margin=dict(l=50, r=20, t=70, b=30),
                      updatemenus=[dict(type="buttons", direction="right", buttons=buttons, x=0, y=1.18,
                                        xanchor="left", showactive=True)] if n > 1 else [])
    return fig


def colored_mnist_curves_figure(sources: dict, warmups: dict | None = None, height: int = 420) -> go.Figure:
    """Train (dotted) and test (solid) accuracy over training steps, mean over restarts, per method;
    buttons switch between sources {label: {method: {"step", "train_acc", "test_acc"}}}; warmups:
    {label: {method: step}} drawn as markers where a method's penalty warm-up ends."""
    fig = go.Figure()
    owner = []
    for s, (label, curves) in enumerate(sources.items()):
        for method, curve in curves.items():
            color = METHOD_COLORS.get(method, "#000000")
            for split, dash in (("test_acc", "solid"), ("train_acc", "dot")):
                fig.add_trace(go.Scatter(x=curve["step"], y=sig(curve[split]), mode="lines", visible=s == 0,
                                         name=f"{method} {split[:-4]}", legendgroup=method,
                                         line=dict(color=color, dash=dash)))
                owner.append(s)
            step = (warmups or {}).get(label, {}).get(method)
            if step:
                at = min(range(len(curve["step"])), key=lambda i: abs(curve["step"][i] - step))
                fig.add_trace(go.Scatter(
                    x=[curve["step"][at]], y=sig([curve["test_acc"][at]]), mode="markers",
                    marker=dict(color=color, symbol="diamond", size=9), visible=s == 0,
                    name=f"{method}: end of warm-up", legendgroup=method, showlegend=False,
                    hovertemplate=f"{method}: penalty at full weight from step %{{x}}"))
                owner.append(s)
    fig.add_hline(y=50, line=dict(color="gray", dash="dot", width=1), annotation_text="chance")
    fig.add_hline(y=75, line=dict(color="gray", dash="dash", width=1), annotation_text="best colour-blind")
    buttons = [dict(label=label, method="restyle", args=[{"visible": [o == s for o in owner]}])
               for s, label in enumerate(sources)]
    fig.update_layout(template="plotly_white", height=height, xaxis_title="training step",
                      yaxis_title="accuracy (%)", yaxis_range=[0, 100], margin=dict(l=50, r=20, t=50, b=40),
                      updatemenus=[dict(type="buttons", direction="right", buttons=buttons, x=0, y=1.12,
                                        xanchor="left", showactive=True)] if len(sources) > 1 else [])
    return fig


def update_size_figure(runs: dict, switch: int, height: int = 340) -> go.Figure:
    """Per-step parameter update size ||theta_t - theta_{t-1}|| (log scale), mean over restarts, one
    line per run {label: {"step": (T,), "update_size": (T, R)}}; a dotted line at the `switch` step."""
    fig = go.Figure()
    for label, run in runs.items():
        fig.add_trace(go.Scatter(x=run["step"], y=sig(np.asarray(run["update_size"]).mean(1)), mode="lines",
                                 name=label))
    fig.add_vline(x=switch, line=dict(color="gray", dash="dot", width=1), annotation_text="end of warm-up")
    fig.update_layout(template="plotly_white", height=height, xaxis_title="training step",
                      yaxis_title="update size ‖Δθ‖", yaxis_type="log", margin=dict(l=60, r=20, t=30, b=40),
                      legend=dict(x=0.99, xanchor="right", y=0.99))
    return fig


def colored_mnist_examples_figure(images, labels, env_names, height: int = 230) -> go.Figure:
    """A row of Colored MNIST digits drawn in red (channel 0) or green (channel 1); images
    (k, 2, 14, 14) in [0, 1], labels (k,), env_names (k,) for the titles."""
    images = np.asarray(images, float)
    fig = make_subplots(rows=1, cols=len(images), horizontal_spacing=0.01,
                        subplot_titles=[f"{e}<br>y = {int(y)}" for e, y in zip(env_names, labels)])
    for i, img in enumerate(images, start=1):
        rgb = np.stack([img[0], img[1], np.zeros_like(img[0])], axis=-1)
        fig.add_trace(go.Image(z=np.round(255 * rgb).astype(int).tolist(), hoverinfo="skip"), row=1, col=i)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=11)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=50, b=10), template="plotly_white")
    return fig


def colored_mnist_results_table(sources: dict, reference: dict, methods) -> str:
    """Markdown table of train / test accuracy (mean ± std): one column pair per source of results
    ({label: {method: metrics row}}, a missing source or method shows "–") and the paper's numbers."""
    def cell(row, split):
        return "–" if row is None else f"{row[f'{split}_acc_mean']:.1f} ± {row[f'{split}_acc_std']:.1f}"

    columns = {"method": "method"}
    for label in sources:
        columns[f"{label}|train"], columns[f"{label}|test"] = f"{label}: train", f"{label}: test"
    columns["paper|train"], columns["paper|test"] = "paper: train", "paper: test"
    rows = []
    for m in methods:
        row = {"method": m}
        for label, table in sources.items():
            for split in ("train", "test"):
                row[f"{label}|{split}"] = cell((table or {}).get(m), split)
        for split in ("train", "test"):
            mean, std = reference[m][split]
            row[f"paper|{split}"] = f"{mean:.1f} ± {std:.1f}"
        rows.append(row)
    return markdown_table(rows, columns)

def colored_mnist_quadrant_table(sources: dict, methods) -> str:
    """Markdown table of the probe, "accuracy % (entropy)" per quadrant; sources {label: quadrants}."""
    quads = ("digit_gray", "digit_color", "blank_gray", "blank_color")
    columns = {"method": "method", "source": "source", **{q: q.replace("_", ", ") for q in quads}}
    rows = [{"method": m, "source": label,
             **{q: f"{table[m][q]['acc']:.1f} ({table[m][q]['entropy']:.2f})" for q in quads}}
            for m in methods for label, table in sources.items() if table and m in table]
    return markdown_table(rows, columns)


def colored_mnist_recipe_table(recipes: dict, n_per_env: int) -> str:
    """Markdown table of the recipes (``configs.as_dict`` of each ColoredMNISTRecipe)."""
    weight = {"SD": "sd_lambda", "IRM": "irm_lambda", "VREx": "rex_lambda"}
    columns = {"m": "method", "obj": "objective", "H": "H", "lr": "Adam lr", "steps": "steps",
               "wu": "warm-up steps (weight)", "w": "penalty weight", "scale": "loss scale after warm-up",
               "l2": "L2", "n": "digits per env."}
    rows = []
    for name, r in recipes.items():
        method = r["method"]
        field = weight.get(method["name"])
        rows.append({"m": name, "obj": method["name"] + (" (grayscale input)" if r["grayscale"] else ""),
                     "H": r["hidden_dim"], "lr": f"{r['lr']:.3g}", "steps": r["steps"],
                     "wu": (f"{method['warmup_steps']} ({method['warmup_weight']:g})"
                            if method["warmup_steps"] else "–"),
                     "w": f"{method[field]:g}" if field else "–",
                     "scale": f"{method['post_warmup_scale']:.3g}" if method["warmup_steps"] else "–",
                     "l2": f"{r['l2']:.3g}" if r["l2"] else "–", "n": f"{r['n_per_env'] or n_per_env:,d}"})
    return markdown_table(rows, columns)
