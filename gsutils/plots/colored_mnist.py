"""Figures and tables of Colored MNIST (chapter 5)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .core import MODEBAR_PX, book_layout, fixed, markdown_table, px_to_paper, sig

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
    alt = ("Grouped bar chart of train (left) and test (right) accuracy in percent per method ("
           + ", ".join(methods) + "), one colour per source of results (" + ", ".join(s[0] for s in series)
           + "), error bars one standard deviation over restarts; dotted line at chance (50%), "
           "dashed at 75%, what the shape alone gives.")
    book_layout(fig, height, alt, titles=True)
    fig.update_layout(barmode="group", yaxis_range=[0, 100])
    return fig


def _source_menu(fig, labels, visible_per_label: list[list[bool]], y_px: int) -> dict:
    """A dropdown that switches between sources of results (fits a phone, unlike a row of buttons)."""
    return dict(type="dropdown", direction="down", x=0.0, xanchor="left", y=px_to_paper(fig, y_px),
                yanchor="top", showactive=True, active=0, pad=dict(l=0, r=0, t=0, b=0),
                buttons=[dict(label=label, method="restyle", args=[{"visible": visible}])
                         for label, visible in zip(labels, visible_per_label)])


def colored_mnist_quadrants_figure(sources: dict, row_height: int = 120) -> go.Figure:
    """The paper's probe (camera-ready Figure 3) as heat maps: one row per method, accuracy (left) and entropy (right) on the four
    quadrants (rows digit / blank, columns gray / colour); a menu switches between sources.

    sources: {label: {method: {quadrant: {"acc", "entropy"}}}}; every source must list the same methods.
    """
    methods = list(next(iter(sources.values())))
    plot_px = len(methods) * row_height + (len(methods) - 1) * 42  # tick labels, then the next titles
    fig = make_subplots(rows=len(methods), cols=2, vertical_spacing=42 / plot_px, horizontal_spacing=0.14,
                        subplot_titles=[f"{m}: {what}" for m in methods for what in ("accuracy %", "entropy")])
    n_per_source = 2 * len(methods)
    panels = (("acc", (0, 100), "{:.1f}", "RdBu"), ("entropy", (0, 0.69), "{}", "YlGn_r"))
    for s, (label, quads) in enumerate(sources.items()):
        for r, method in enumerate(methods, start=1):
            for c, (key, scale, fmt, cmap) in enumerate(panels, start=1):
                z = [[quads[method][q][key] for q in row] for row in QUADRANT_GRID]
                text = [[fmt.format(v) if key == "acc" else fixed(v, 2) for v in row] for row in z]
                fig.add_trace(go.Heatmap(
                    z=[sig(row) for row in z], x=["gray", "colour"], y=["digit", "blank"],
                    text=text, texttemplate="%{text}", zmin=scale[0], zmax=scale[1], colorscale=cmap,
                    showscale=False, visible=s == 0,
                    hovertemplate=f"{method} %{{y}}, %{{x}}: %{{text}}<extra>{label}</extra>"),
                    row=r, col=c)
                fig.update_yaxes(autorange="reversed", row=r, col=c)
    n = len(sources)
    alt = ("Heat maps of the four-quadrant probe, one row per method (" + ", ".join(methods) + "): left the "
           "accuracy in percent, right the mean entropy of the prediction in nats, on the digit or a blank "
           "image, in gray or in colour; each cell prints its value"
           + (". A menu switches between " + ", ".join(sources) + "." if n > 1 else "."))
    book_layout(fig, None, alt, legend=False, titles=True, top=34 if n > 1 else 0, bottom=30, left=50,
                plot_px=plot_px)
    if n > 1:
        visible = [[k // n_per_source == s for k in range(n * n_per_source)] for s in range(n)]
        fig.update_layout(updatemenus=[_source_menu(fig, list(sources), visible, MODEBAR_PX)])
    return fig


def colored_mnist_curves_figure(sources: dict, warmups: dict | None = None, height: int = 440) -> go.Figure:
    """Train (dotted) and test (solid) accuracy over training steps, mean over restarts, per method;
    a menu switches between sources {label: {method: {"step", "train_acc", "test_acc"}}}; warmups:
    {label: {method: step}} drawn as markers where a method's penalty warm-up ends. The legend has
    one entry per method (both lines) and two for the line styles."""
    fig = go.Figure()
    owner = []
    for s, (label, curves) in enumerate(sources.items()):
        for method, curve in curves.items():
            color = METHOD_COLORS.get(method, "#000000")
            for split, dash in (("test_acc", "solid"), ("train_acc", "dot")):
                fig.add_trace(go.Scatter(x=curve["step"], y=sig(curve[split]), mode="lines", visible=s == 0,
                                         name=method, legendgroup=method, showlegend=split == "test_acc",
                                         hovertemplate=f"{method} {split[:-4]}: %{{y:.1f}}% at step "
                                                       "%{x}<extra></extra>",
                                         line=dict(color=color, dash=dash)))
                owner.append(s)
            step = (warmups or {}).get(label, {}).get(method)
            if step:
                at = min(range(len(curve["step"])), key=lambda i: abs(curve["step"][i] - step))
                fig.add_trace(go.Scatter(
                    x=[curve["step"][at]], y=sig([curve["test_acc"][at]]), mode="markers",
                    marker=dict(color=color, symbol="diamond", size=9), visible=s == 0,
                    name=f"{method}: end of warm-up", legendgroup=method, showlegend=False,
                    hovertemplate=f"{method}: penalty at full weight from step %{{x}}<extra></extra>"))
                owner.append(s)
    for name, dash in (("test", "solid"), ("train", "dot")):  # legend entries for the line styles
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, hoverinfo="skip",
                                 line=dict(color="#555555", dash=dash)))
        owner.append(None)
    fig.add_hline(y=50, line=dict(color="gray", dash="dot", width=1), annotation_text="chance")
    fig.add_hline(y=75, line=dict(color="gray", dash="dash", width=1), annotation_text="best colour-blind")
    n = len(sources)
    methods = list(dict.fromkeys(m for curves in sources.values() for m in curves))
    alt = ("Line chart of test (solid) and train (dotted) accuracy in percent against the training step, "
           "mean over restarts, one colour per method (" + ", ".join(methods) + "); diamonds mark the end "
           "of each penalty's warm-up; lines at chance (50%) and at 75%"
           + (". A menu switches between " + ", ".join(sources) + "." if n > 1 else "."))
    book_layout(fig, height, alt, top=34 if n > 1 else 0)
    fig.update_layout(xaxis_title="training step", yaxis_title="accuracy (%)", yaxis_range=[0, 100])
    if n > 1:
        visible = [[o is None or o == s for o in owner] for s in range(n)]
        fig.update_layout(updatemenus=[_source_menu(fig, list(sources), visible,
                                                    fig.layout.margin.t - 6 - 34)])
    return fig


def update_size_figure(runs: dict, switch: int, height: int = 340) -> go.Figure:
    """Per-step parameter update size ||theta_t - theta_{t-1}|| (log scale), mean over restarts, one
    line per run {label: {"step": (T,), "update_size": (T, R)}}; a dotted line at the `switch` step."""
    fig = go.Figure()
    for label, run in runs.items():
        fig.add_trace(go.Scatter(x=run["step"], y=sig(np.asarray(run["update_size"]).mean(1)), mode="lines",
                                 name=label))
    fig.add_vline(x=switch, line=dict(color="gray", dash="dot", width=1), annotation_text="end of warm-up")
    alt = (f"Line chart, log scale: the size of each parameter update against the training step for "
           f"{', '.join(runs)}; a dotted line marks the end of the warm-up at step {switch}.")
    book_layout(fig, height, alt, left=60)
    fig.update_layout(xaxis_title="training step", yaxis_title="update size ‖Δθ‖", yaxis_type="log")
    return fig


def colored_mnist_examples_figure(images, labels, env_names, cols: int = 4, row_height: int = 95) -> go.Figure:
    """Colored MNIST digits drawn in red (channel 0) or green (channel 1), `cols` per row; images
    (k, 2, 14, 14) in [0, 1], labels (k,), env_names (k,) for the titles."""
    images = np.asarray(images, float)
    rows = -(-len(images) // cols)
    plot_px = rows * row_height + (rows - 1) * 34
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.02, vertical_spacing=34 / plot_px,
                        subplot_titles=[f"{e}<br>y = {int(y)}" for e, y in zip(env_names, labels)])
    for i, img in enumerate(images):
        rgb = np.stack([img[0], img[1], np.zeros_like(img[0])], axis=-1)
        fig.add_trace(go.Image(z=np.round(255 * rgb).astype(int).tolist(), hoverinfo="skip"),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=11)
    envs = list(dict.fromkeys(env_names))
    alt = (f"{len(images)} Colored MNIST digits, 14 by 14 pixels, each drawn in red or green, titled with "
           f"its environment ({', '.join(envs)}) and its label y.")
    book_layout(fig, None, alt, legend=False, top=24, left=8, right=8, bottom=4, plot_px=plot_px)
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
             **{q: f"{table[m][q]['acc']:.1f} ({fixed(table[m][q]['entropy'], 2)})" for q in quads}}
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
