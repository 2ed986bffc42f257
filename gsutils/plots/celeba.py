"""Figures and tables of CelebA (chapter 6)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .core import book_layout, px_to_paper, sig

__all__ = ['CELEBA_COLORS', 'celeba_group_figure', 'celeba_curves_figure', 'celeba_examples_figure',
           'celeba_recipe_table']

CELEBA_COLORS = {"ERM": "#d62728", "SD": "#1f77b4", "GroupDRO": "#2ca02c", "ERM_Adam": "#ff9896",
                 "SD_plain": "#9ecae1"}


def _two_lines(group: str) -> str:
    """ "non-blond female" -> "non-blond<br>female": tick labels that fit a phone."""
    return group.replace(" ", "<br>", 1)


def celeba_group_figure(methods: dict, group_names, labels: dict | None = None, height: int = 400) -> go.Figure:
    """Test accuracy of each group (x) per method (bars; error bars = std over seeds).

    methods: {name: {"group_acc": {group: mean}, "group_acc_std": {group: std}}}; labels: {name: legend}.
    """
    fig = go.Figure()
    for name, m in methods.items():
        fig.add_trace(go.Bar(x=[_two_lines(g) for g in group_names], y=sig([m["group_acc"][g] for g in group_names]),
                             name=(labels or {}).get(name, name),
                             marker_color=CELEBA_COLORS.get(name, "#7f7f7f"),
                             error_y=dict(type="data",
                                          array=sig([m["group_acc_std"][g] for g in group_names]))))
    names = [(labels or {}).get(n, n) for n in methods]
    alt = ("Grouped bar chart of test accuracy in percent for each of the four groups ("
           + ", ".join(group_names) + "), one bar per method (" + ", ".join(names)
           + "), error bars one standard deviation over seeds.")
    book_layout(fig, height, alt, bottom=55)
    fig.update_layout(barmode="group", yaxis_range=[0, 100], yaxis_title="test accuracy (%)")
    return fig


def celeba_curves_figure(methods: dict, group_names, labels: dict | None = None,
                         height: int = 420) -> go.Figure:
    """Test accuracy over epochs (mean over seeds) per method; a menu picks the worst group (the
    mean of each seed's worst group) or one group.

    methods: {name: {"curves": {"epoch", "group_acc", "worst_acc"}}}.
    """
    views = ["worst group"] + list(group_names)
    fig = go.Figure()
    for name, m in methods.items():
        curves = m["curves"]
        fig.add_trace(go.Scatter(x=curves["epoch"], y=sig(curves["worst_acc"]), mode="lines+markers",
                                 name=(labels or {}).get(name, name), marker=dict(size=4),
                                 line=dict(color=CELEBA_COLORS.get(name, "#7f7f7f"))))
    ys = {"worst group": [sig(m["curves"]["worst_acc"]) for m in methods.values()]}
    for k, g in enumerate(group_names):
        ys[g] = [sig([row[k] for row in m["curves"]["group_acc"]]) for m in methods.values()]
    names = [(labels or {}).get(n, n) for n in methods]
    alt = ("Line chart of test accuracy in percent against the epoch, mean over seeds, one line per method ("
           + ", ".join(names) + "); a menu shows the worst group or one of the groups ("
           + ", ".join(group_names) + ").")
    top = book_layout(fig, height, alt, top=34)
    fig.update_layout(xaxis_title="epoch", yaxis_title="test accuracy (%)", yaxis_range=[0, 100],
                      updatemenus=[dict(type="dropdown", direction="down", x=0.0, xanchor="left",
                                        y=px_to_paper(fig, top), yanchor="top", showactive=True, active=0,
                                        pad=dict(l=0, r=0, t=0, b=0),
                                        buttons=[dict(label=v, method="restyle", args=[{"y": ys[v]}])
                                                 for v in views])])
    return fig


def celeba_examples_figure(images, titles, cols: int = 4, row_height: int = 95) -> go.Figure:
    """Grayscale images (n, H, W) in [0, 1], `cols` per row, one title each (the stand-in's groups)."""
    images = np.asarray(images, float)
    rows = -(-len(images) // cols)
    plot_px = rows * row_height + (rows - 1) * 34
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[_two_lines(t) for t in titles],
                        horizontal_spacing=0.02, vertical_spacing=34 / plot_px)
    for k, image in enumerate(images):
        r, c = k // cols + 1, k % cols + 1
        fig.add_trace(go.Heatmap(z=[sig(row, 3) for row in image], colorscale="gray", zmin=0, zmax=1,
                                 showscale=False, hoverinfo="skip"), row=r, col=c)
        fig.update_xaxes(visible=False, row=r, col=c)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{k + 1 if k else ''}", row=r, col=c)
    fig.update_annotations(font_size=11)
    alt = (f"{len(images)} grayscale stand-in images, each titled with its group: "
           + ", ".join(dict.fromkeys(titles)) + "; a white border marks the spurious feature.")
    book_layout(fig, None, alt, legend=False, top=24, left=8, right=8, bottom=4, plot_px=plot_px)
    fig.update_layout(paper_bgcolor="#c8c8c8", plot_bgcolor="#c8c8c8")  # a white border stays visible
    return fig


def celeba_recipe_table(recipes: dict) -> str:
    """A Markdown table of training recipes {label: CelebARecipe as a dict (configs.as_dict)}."""
    head = ("| method | objective | optimiser | lr | weight decay | epochs | model selection |\n"
            "|---|---|---|---|---|---|---|\n")
    rows = []
    for label, r in recipes.items():
        m = r["method"]
        objective = {"ERM": "logistic loss", "SD": "logistic loss + SD",
                     "GroupDRO": f"Group DRO, step size η = {m['groupdro_eta']:g}"}.get(m["name"], m["name"])
        if m["name"] == "SD":
            lams = m["sd_lambda_per_class"] or (m["sd_lambda"],) * 2
            gammas = m["sd_gamma"]
            objective += f": λ_y = {lams[0]:.3g}, {lams[1]:.3g}; γ_y = {gammas[0]:g}, {gammas[1]:g}"
        optimiser = {"sgd": f"SGD, momentum {r['momentum']:g}", "adam": "Adam"}[r["optimizer"]]
        select = "average" if r["select_by"] == "avg" else "worst group"
        rows.append(f"| {label} | {objective} | {optimiser} | {r['lr']:g} | {r['weight_decay']:g} | "
                    f"{r['epochs']} | {select} |\n")
    return head + "".join(rows)
