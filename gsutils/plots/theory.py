"""Figures of the theory chapters (1-3): z trajectories, fixed points, NTK features."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .core import book_layout, sig

__all__ = ['FEATURE_COLORS', 'REGULARIZER_DASH', 'REGULARIZER_LABEL', 'z_trajectories_figure',
           'fixed_point_curves_figure', 'starvation_derivative_figure', 'shifted_sd_figure',
           'ntk_features_figure', 'phase_plane_figure']

FEATURE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
REGULARIZER_DASH = {"weight_decay": "solid", "sd": "dash"}
REGULARIZER_LABEL = {"weight_decay": "cross-entropy + weight decay", "sd": "SD"}
SHORT_LABEL = {"weight_decay": "weight decay", "sd": "SD"}  # legend entries that fit a phone
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _z(j: int) -> str:
    return f"z{str(j).translate(SUB)}"


def z_trajectories_figure(steps, s1_values, panels: dict, fixed_points: dict | None = None,
                          active: int = 0, height: int = 380) -> go.Figure:
    """|z_1|, |z_2| over gradient-descent steps, one panel per regulariser, a slider over s1.

    panels: {title: array (len(s1), T, k)}; fixed_points: {title: array (len(s1), k)} (dotted).
    The slider restyles trace visibility, so it works on a static page with no kernel.
    """
    titles = list(panels)
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.05)
    owner = []  # the s1 index of every trace
    for i, s1 in enumerate(s1_values):
        for col, title in enumerate(titles, start=1):
            Z = np.abs(np.asarray(panels[title][i]))
            for j in range(Z.shape[1]):
                color = FEATURE_COLORS[j % len(FEATURE_COLORS)]
                fig.add_trace(go.Scatter(x=list(map(int, steps)), y=sig(Z[:, j]), mode="lines",
                                         name=f"|{_z(j + 1)}|", legendgroup=f"z{j + 1}",
                                         showlegend=col == 1, visible=i == active,
                                         line=dict(color=color, width=2.5)), row=1, col=col)
                owner.append(i)
                if fixed_points is not None:
                    z_star = abs(float(np.asarray(fixed_points[title])[i, j]))
                    fig.add_trace(go.Scatter(x=[int(steps[0]), int(steps[-1])], y=sig([z_star] * 2),
                                             mode="lines", name=f"{_z(j + 1)}* (fixed point)",
                                             legendgroup=f"star{j + 1}", showlegend=col == 1,
                                             visible=i == active, hoverinfo="skip",
                                             line=dict(color=color, width=1, dash="dot")), row=1, col=col)
                    owner.append(i)
    top = max(float(np.abs(np.asarray(p)).max()) for p in panels.values())
    sliders = [dict(active=active, currentvalue=dict(prefix="s₁ = "), pad=dict(t=45), len=1.0, x=0.0,
                    steps=[dict(label=f"{s1:g}", method="restyle",
                                args=[{"visible": [o == i for o in owner]}])
                           for i, s1 in enumerate(s1_values)])] if len(s1_values) > 1 else []
    fig.update_yaxes(range=[0, round(1.05 * top, 2)], row=1, col=1, title_text="|z|")
    fig.update_xaxes(title_text="gradient-descent step" if len(titles) == 1 else "step")
    k = np.asarray(next(iter(panels.values()))).shape[-1]
    slider_text = (f", and a slider over s1 from {min(s1_values):g} to {max(s1_values):g}"
                   if len(s1_values) > 1 else "")
    alt = (f"Line chart of the feature responses |z_1| to |z_{k}| against the gradient-descent step, "
           f"one panel per regulariser ({', '.join(titles)})"
           + (", with dotted lines at the fixed points" if fixed_points is not None else "") + slider_text + ".")
    book_layout(fig, height + (110 if sliders else 0), alt, titles=True, bottom=140 if sliders else 45)
    fig.update_layout(sliders=sliders)
    return fig


def fixed_point_curves_figure(s1_grid, curves: dict, s2: float, reference: dict | None = None,
                              height: int = 360) -> go.Figure:
    """z_j* against s1 for each regulariser (curves: {regularizer: array (len(s1_grid), k)}).

    reference: {s1: (z1*, z2*)} drawn as open markers (an independent computation).
    """
    fig = go.Figure()
    for reg, Z in curves.items():
        Z = np.asarray(Z)
        for j in range(Z.shape[1]):
            fig.add_trace(go.Scatter(x=sig(s1_grid), y=sig(Z[:, j]), mode="lines",
                                     name=f"{_z(j + 1)}*, {SHORT_LABEL.get(reg, reg)}",
                                     line=dict(color=FEATURE_COLORS[j], dash=REGULARIZER_DASH.get(reg))))
    if reference:
        for j in range(2):
            fig.add_trace(go.Scatter(x=sig(list(reference)), y=sig([v[j] for v in reference.values()]),
                                     mode="markers", name=f"{_z(j + 1)}* reference",
                                     marker=dict(color=FEATURE_COLORS[j], symbol="circle-open", size=9)))
    fig.add_vline(x=float(s2), line=dict(color="gray", width=1, dash="dot"),
                  annotation_text="s₁ = s₂", annotation_position="top")
    regs = " and ".join(REGULARIZER_LABEL.get(r, r) for r in curves)
    alt = (f"Line chart of the fixed points z_1* and z_2* against the strength s1 of feature 1, for {regs}"
           + ("; open circles mark an independent computation" if reference else "")
           + f"; a dotted vertical line marks s1 = s2 = {float(s2):g}.")
    book_layout(fig, height, alt, titles=True)
    fig.update_layout(xaxis_title="s₁ (strength of feature 1)", yaxis_title="fixed point z*")
    return fig


def starvation_derivative_figure(s1_grid, implicit, s1_points, finite_difference,
                                 height: int = 320) -> go.Figure:
    """dz2*/d(s1^2): implicit differentiation (line) against central finite differences (markers)."""
    fig = go.Figure([
        go.Scatter(x=sig(s1_grid), y=sig(implicit), mode="lines", name="implicit differentiation"),
        go.Scatter(x=sig(s1_points), y=sig(finite_difference), mode="markers",
                   name="finite difference", marker=dict(symbol="x", size=8)),
    ])
    fig.add_hline(y=0.0, line=dict(color="gray", width=1))
    alt = ("Line chart of the starvation derivative dz_2*/d(s_1^2) against s1, by implicit "
           "differentiation (line) and by finite differences (crosses); "
           f"its minimum on the grid is {float(np.min(implicit)):.4f}.")
    book_layout(fig, height, alt, left=65)
    fig.update_layout(xaxis_title="s₁", yaxis_title="dz₂* / d(s₁²)")
    return fig


def shifted_sd_figure(gamma_grid, logits: dict, marks: dict, height: int = 320) -> go.Figure:
    """Fixed-point logit of each class against its target gamma_y; marks: {label: (gamma, logit)}."""
    fig = go.Figure()
    for j, (label, values) in enumerate(logits.items()):
        fig.add_trace(go.Scatter(x=sig(gamma_grid), y=sig(values), mode="lines", name=label,
                                 line=dict(color=FEATURE_COLORS[j])))
    for j, (label, (g, v)) in enumerate(marks.items()):
        fig.add_trace(go.Scatter(x=sig([g]), y=sig([v]), mode="markers+text", name=label,
                                 text=[label], textposition="top left", showlegend=False,
                                 marker=dict(color=FEATURE_COLORS[j], size=10)))
    fig.add_hline(y=0.0, line=dict(color="gray", width=1))
    alt = ("Line chart of the fixed-point logit of each class (" + ", ".join(logits) + ") against its "
           "target gamma_y; markers at " + "; ".join(f"{k}: gamma {g:g}, logit {v:.2f}" for k, (g, v) in marks.items())
           + ".")
    book_layout(fig, height, alt)
    fig.update_layout(xaxis_title="target γ_y", yaxis_title="fixed-point logit ŷ*")
    return fig


def ntk_features_figure(s, steps, z, shown, height: int = 360) -> go.Figure:
    """Left: the NTK feature strengths s_j. Right: |z_j| of the trained network over training
    (z: array (T, k)) for the features `shown` (0-based indices)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.38, 0.62], horizontal_spacing=0.12,
                        subplot_titles=["strengths sⱼ", "responses |zⱼ|"])
    s, shown = np.asarray(s), [int(j) for j in shown]
    colors = {j: FEATURE_COLORS[n % len(FEATURE_COLORS)] for n, j in enumerate(shown)}
    fig.add_trace(go.Bar(x=list(range(1, len(s) + 1)), y=sig(s), showlegend=False,
                         marker_color=[colors.get(j, "#bbbbbb") for j in range(len(s))]), row=1, col=1)
    for j in shown:
        fig.add_trace(go.Scatter(x=list(map(int, steps)), y=sig(np.abs(z[:, j])), mode="lines",
                                 name=f"|{_z(j + 1)}|", line=dict(color=colors[j])), row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_xaxes(title_text="feature j", row=1, col=1)
    fig.update_xaxes(title_text="step", row=1, col=2)
    alt = (f"Left: bar chart of the first {len(s)} NTK feature strengths s_j (log scale). Right: line chart "
           f"of the responses |z_j| of features {', '.join(str(j + 1) for j in shown)} over "
           f"{int(steps[-1])} gradient-descent steps; the same colours mark the same features.")
    book_layout(fig, height, alt, titles=True)
    return fig


PHASE_DASH = {"dual": "dot", "weight_decay": "solid", "sd": "dash"}
PHASE_LABEL = {"dual": "dual α-ascent", "weight_decay": "primal, weight decay", "sd": "primal, SD"}


def phase_plane_figure(s1_values, trajectories: dict, fixed_points: dict | None = None,
                       panels=(("dual", "weight_decay"), ("weight_decay", "sd")),
                       titles=("dual vs weight decay", "weight decay vs SD"),
                       height: int = 460) -> go.Figure:
    """|z2| against |z1| (the paper's phase plane), one colour per s1, one dash per dynamics.

    trajectories: {kind: array (len(s1), T, 2)} with kind in PHASE_LABEL; fixed_points: {kind: array
    (len(s1), 2)} drawn as crosses. Clicking an s1 in the legend toggles it in both panels.
    """
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(titles), shared_yaxes=True,
                        horizontal_spacing=0.05)
    for i, s1 in enumerate(s1_values):
        color = FEATURE_COLORS[i % len(FEATURE_COLORS)]
        for col, kinds in enumerate(panels, start=1):
            for kind in kinds:
                Z = np.abs(np.asarray(trajectories[kind][i]))
                fig.add_trace(go.Scatter(x=sig(Z[:, 0]), y=sig(Z[:, 1]), mode="lines",
                                         name=f"s1 = {s1:g}", legendgroup=f"s1={s1:g}",
                                         showlegend=col == 1 and kind == "weight_decay",
                                         hovertemplate=f"{PHASE_LABEL[kind]}, s1 = {s1:g}"
                                                       "<br>|z1| %{x}<br>|z2| %{y}<extra></extra>",
                                         line=dict(color=color, width=2, dash=PHASE_DASH[kind])),
                              row=1, col=col)
                if fixed_points is not None and kind in fixed_points:
                    z = np.abs(np.asarray(fixed_points[kind][i]))
                    fig.add_trace(go.Scatter(x=sig([z[0]]), y=sig([z[1]]), mode="markers",
                                             legendgroup=f"s1={s1:g}", showlegend=False,
                                             hovertemplate=f"fixed point ({PHASE_LABEL[kind]})"
                                                           "<br>|z1| %{x}<br>|z2| %{y}<extra></extra>",
                                             marker=dict(color=color, symbol="x", size=8)),
                                  row=1, col=col)
    for kind, dash in PHASE_DASH.items():  # the key to the dashes, in gray
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=PHASE_LABEL[kind],
                                 line=dict(color="#555555", width=2, dash=dash)), row=1, col=1)
    fig.update_xaxes(title_text="|z1|")
    fig.update_yaxes(title_text="|z2|", row=1, col=1)
    fig.update_annotations(font_size=12)
    alt = (f"Phase plane: |z2| against |z1| for s1 = {', '.join(f'{s:g}' for s in s1_values)}; panels "
           f"{' and '.join(titles)}, one colour per s1, one dash per dynamics; crosses mark fixed points.")
    book_layout(fig, height, alt, titles=True)
    return fig
