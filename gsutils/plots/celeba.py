"""Figures and tables of CelebA (chapter 6)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .core import sig

__all__ = ['CELEBA_COLORS', 'celeba_group_figure', 'celeba_curves_figure', 'celeba_examples_figure',
           'celeba_recipe_table']

CELEBA_COLORS = {"ERM": "#d62728", "SD": "#1f77b4", "GroupDRO": "#2ca02c", "ERM_Adam": "#ff9896",
                 "SD_plain": "#9ecae1"}


def celeba_group_figure(methods: dict, group_names, labels: dict | None = None, title: str = "",
                        height: int = 380) -> go.Figure:
    """Test accuracy of each group (x) per method (bars; error bars = std over seeds).

    methods: {name: {"group_acc": {group: mean}, "group_acc_std": {group: std}}}; labels: {name: legend}.
    """
    fig = go.Figure()
    for name, m in methods.items():
        fig.add_trace(go.Bar(x=list(group_names), y=sig([m["group_acc"][g] for g in group_names]),
                             name=(labels or {}).get(name, name),
                             marker_color=CELEBA_COLORS.get(name, "#7f7f7f"),
                             error_y=dict(type="data",
                                          array=sig([m["group_acc_std"][g] for g in group_names]))))
    fig.update_layout(template="plotly_white", barmode="group", height=height, yaxis_range=[0, 100],
                      yaxis_title="test accuracy (%)", title=title or None,
                      legend=dict(orientation="h", y=-0.15),
                      margin=dict(l=50, r=20, t=50 if title else 20, b=40))
    return fig


def celeba_curves_figure(methods: dict, group_names, labels: dict | None = None,
                         height: int = 400) -> go.Figure:
    """Test accuracy over epochs (mean over seeds) per method; buttons pick the worst group (the
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
    buttons = [dict(label=v, method="restyle", args=[{"y": ys[v]}]) for v in views]
    fig.update_layout(template="plotly_white", height=height, xaxis_title="epoch",
                      yaxis_title="test accuracy (%)", yaxis_range=[0, 100],
                      legend=dict(orientation="h", y=-0.2), margin=dict(l=50, r=20, t=60, b=40),
                      updatemenus=[dict(type="buttons", direction="right", buttons=buttons, x=0, y=1.15,
                                        xanchor="left", showactive=True)])
    return fig


def celeba_examples_figure(images, titles, height: int = 200) -> go.Figure:
    """A row of grayscale images (n, H, W) in [0, 1], one title each (the stand-in's groups)."""
    images = np.asarray(images, float)
    fig = make_subplots(rows=1, cols=len(images), subplot_titles=list(titles), horizontal_spacing=0.01)
    for k, image in enumerate(images, start=1):
        fig.add_trace(go.Heatmap(z=[sig(row, 3) for row in image], colorscale="gray", zmin=0, zmax=1,
                                 showscale=False, hoverinfo="skip"), row=1, col=k)
        fig.update_xaxes(visible=False, row=1, col=k)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{k}", row=1, col=k)
    fig.update_annotations(font_size=11)
    fig.update_layout(template="plotly_white", height=height, margin=dict(l=10, r=10, t=40, b=10),
                      paper_bgcolor="#c8c8c8", plot_bgcolor="#c8c8c8")  # a white border stays visible
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
