"""Plotly figure builders for every chapter; each takes results (arrays, dicts), never models.

Floats in figure data are rounded to ~5 significant digits so that re-executed notebooks are
byte-stable. Sections are marked ``# --- <topic>``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


# --- shared
def _cell(key, value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown_table(rows: list[dict], columns: dict, fmt=_cell) -> str:
    """A Markdown table of `rows` (dicts); columns {key: header}; fmt(key, value) -> cell text
    (default: "–" for None, floats with 3 decimals, anything else as str)."""
    head = "| " + " | ".join(columns.values()) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(fmt(k, r.get(k)) for k in columns) + " |\n" for r in rows)


# --- theory (chapters 1-3)
FEATURE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
REGULARIZER_DASH = {"weight_decay": "solid", "sd": "dash"}
REGULARIZER_LABEL = {"weight_decay": "cross-entropy + weight decay", "sd": "SD"}


def _sig(values, digits: int = 5) -> list:
    """Round to `digits` significant digits (byte-stable figure JSON)."""
    return [float(f"{v:.{digits}g}") for v in np.ravel(np.asarray(values, float))]


def z_trajectories_figure(steps, s1_values, panels: dict, fixed_points: dict | None = None,
                          active: int = 0, height: int = 380) -> go.Figure:
    """|z_1|, |z_2| over gradient-descent steps, one panel per regulariser, a slider over s1.

    panels: {title: array (len(s1), T, k)}; fixed_points: {title: array (len(s1), k)} (dotted).
    The slider restyles trace visibility, so it works on a static page with no kernel.
    """
    titles = list(panels)
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.06)
    owner = []  # the s1 index of every trace
    for i, s1 in enumerate(s1_values):
        for col, title in enumerate(titles, start=1):
            Z = np.abs(np.asarray(panels[title][i]))
            for j in range(Z.shape[1]):
                color = FEATURE_COLORS[j % len(FEATURE_COLORS)]
                fig.add_trace(go.Scatter(x=list(map(int, steps)), y=_sig(Z[:, j]), mode="lines",
                                         name=f"|z{j + 1}|", legendgroup=f"z{j + 1}",
                                         showlegend=col == 1, visible=i == active,
                                         line=dict(color=color, width=2.5)), row=1, col=col)
                owner.append(i)
                if fixed_points is not None:
                    z_star = abs(float(np.asarray(fixed_points[title])[i, j]))
                    fig.add_trace(go.Scatter(x=[int(steps[0]), int(steps[-1])], y=_sig([z_star] * 2),
                                             mode="lines", name=f"z{j + 1}* (fixed point)",
                                             legendgroup=f"star{j + 1}", showlegend=col == 1,
                                             visible=i == active, hoverinfo="skip",
                                             line=dict(color=color, width=1, dash="dot")), row=1, col=col)
                    owner.append(i)
    top = max(float(np.abs(np.asarray(p)).max()) for p in panels.values())
    sliders = [dict(active=active, currentvalue=dict(prefix="s1 = "), pad=dict(t=40),
                    steps=[dict(label=f"{s1:g}", method="restyle",
                                args=[{"visible": [o == i for o in owner]}])
                           for i, s1 in enumerate(s1_values)])] if len(s1_values) > 1 else []
    fig.update_yaxes(range=[0, round(1.05 * top, 2)], row=1, col=1, title_text="|z|")
    fig.update_xaxes(title_text="gradient-descent step")
    fig.update_layout(template="plotly_white", height=height, sliders=sliders,
                      margin=dict(l=50, r=20, t=40, b=40), legend=dict(orientation="h", y=1.15))
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
            fig.add_trace(go.Scatter(x=_sig(s1_grid), y=_sig(Z[:, j]), mode="lines",
                                     name=f"z{j + 1}*, {REGULARIZER_LABEL.get(reg, reg)}",
                                     line=dict(color=FEATURE_COLORS[j], dash=REGULARIZER_DASH.get(reg))))
    if reference:
        for j in range(2):
            fig.add_trace(go.Scatter(x=_sig(list(reference)), y=_sig([v[j] for v in reference.values()]),
                                     mode="markers", name=f"z{j + 1}* reference",
                                     marker=dict(color=FEATURE_COLORS[j], symbol="circle-open", size=9)))
    fig.add_vline(x=float(s2), line=dict(color="gray", width=1, dash="dot"),
                  annotation_text="s1 = s2", annotation_position="top")
    fig.update_layout(template="plotly_white", height=height, xaxis_title="s1 (strength of feature 1)",
                      yaxis_title="fixed point z*", margin=dict(l=50, r=20, t=30, b=40))
    return fig


def starvation_derivative_figure(s1_grid, implicit, s1_points, finite_difference,
                                 height: int = 320) -> go.Figure:
    """dz2*/d(s1^2): implicit differentiation (line) against central finite differences (markers)."""
    fig = go.Figure([
        go.Scatter(x=_sig(s1_grid), y=_sig(implicit), mode="lines", name="implicit differentiation"),
        go.Scatter(x=_sig(s1_points), y=_sig(finite_difference), mode="markers",
                   name="finite difference", marker=dict(symbol="x", size=8)),
    ])
    fig.add_hline(y=0.0, line=dict(color="gray", width=1))
    fig.update_layout(template="plotly_white", height=height, xaxis_title="s1",
                      yaxis_title="dz2* / d(s1²)", margin=dict(l=60, r=20, t=30, b=40))
    return fig


def shifted_sd_figure(gamma_grid, logits: dict, marks: dict, height: int = 320) -> go.Figure:
    """Fixed-point logit of each class against its target gamma_y; marks: {label: (gamma, logit)}."""
    fig = go.Figure()
    for j, (label, values) in enumerate(logits.items()):
        fig.add_trace(go.Scatter(x=_sig(gamma_grid), y=_sig(values), mode="lines", name=label,
                                 line=dict(color=FEATURE_COLORS[j])))
    for j, (label, (g, v)) in enumerate(marks.items()):
        fig.add_trace(go.Scatter(x=_sig([g]), y=_sig([v]), mode="markers+text", name=label,
                                 text=[label], textposition="top left", showlegend=False,
                                 marker=dict(color=FEATURE_COLORS[j], size=10)))
    fig.add_hline(y=0.0, line=dict(color="gray", width=1))
    fig.update_layout(template="plotly_white", height=height, xaxis_title="target gamma_y",
                      yaxis_title="fixed-point logit ŷ*", margin=dict(l=50, r=20, t=30, b=40))
    return fig


def ntk_features_figure(s, steps, z, shown, height: int = 360) -> go.Figure:
    """Left: the NTK feature strengths s_j. Right: |z_j| of the trained network over training
    (z: array (T, k)) for the features `shown` (0-based indices)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.35, 0.65], horizontal_spacing=0.1,
                        subplot_titles=["feature strengths s_j", "feature responses |z_j|"])
    s, shown = np.asarray(s), [int(j) for j in shown]
    colors = {j: FEATURE_COLORS[n % len(FEATURE_COLORS)] for n, j in enumerate(shown)}
    fig.add_trace(go.Bar(x=list(range(1, len(s) + 1)), y=_sig(s), showlegend=False,
                         marker_color=[colors.get(j, "#bbbbbb") for j in range(len(s))]), row=1, col=1)
    for j in shown:
        fig.add_trace(go.Scatter(x=list(map(int, steps)), y=_sig(np.abs(z[:, j])), mode="lines",
                                 name=f"|z{j + 1}|", line=dict(color=colors[j])), row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_xaxes(title_text="j", row=1, col=1)
    fig.update_xaxes(title_text="gradient-descent step", row=1, col=2)
    fig.update_layout(template="plotly_white", height=height, margin=dict(l=50, r=20, t=40, b=40))
    return fig


# --- toy (chapter 4)
TOY_CLASS_COLORS = {1: "#0365C0", 0: "#C82506"}  # the paper's colours: class +1 blue, class -1 red
TOY_Z_COLORS = ("#2D7F58", "#FA7F05")  # the authors' Figure 2 colours for the two features
TOY_DASHES = ("dot", "dash", "solid")  # Figure 2 line styles: Delta = -0.1, +0.1, +0.1 with SD


def _f32(values, digits: int = 4) -> np.ndarray:
    """Rounded float32 array: plotly stores it as compact base64 (byte-stable, small pages)."""
    values = np.asarray(values, float)
    return np.array(_sig(values, digits), dtype=np.float32).reshape(values.shape)


def _toy_points(x, y, showlegend: bool) -> list:
    """The training points of both classes (x (N, 2), y (N,) in {0, 1}); labels shown as +-1."""
    x, y = np.asarray(x), np.asarray(y)
    return [go.Scatter(x=_f32(x[y == c, 0]), y=_f32(x[y == c, 1]), mode="markers",
                       name=f"class {'+1' if c else '−1'}", legendgroup=f"class{c}", showlegend=showlegend,
                       marker=dict(color=TOY_CLASS_COLORS[c], size=4, line=dict(color="white", width=0.5)),
                       hoverinfo="skip") for c in (1, 0)]


def toy_boundaries_figure(panels: list[dict], axis, cols: int = 3, height: int | None = None) -> go.Figure:
    """Seed-averaged logit maps with the training points (the paper's Figures 1-3).

    panels: [{"title", "heatmap" (G, G) logits, row i at height axis[i], "x" (N, 2), "y" (N,)}].
    Each map has its own symmetric colour range; the black line is logit 0, the decision boundary.
    """
    rows = -(-len(panels) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[p["title"] for p in panels],
                        horizontal_spacing=0.03, vertical_spacing=0.09)
    ax = _f32(axis)
    for k, p in enumerate(panels):
        r, c = divmod(k, cols)
        heat = np.asarray(p["heatmap"], float)
        top = float(f"{max(np.percentile(np.abs(heat), 99), 1e-3):.3g}")
        fig.add_trace(go.Contour(z=_f32(heat, 3), x=ax, y=ax, colorscale="RdBu", zmin=-top, zmax=top,
                                 showscale=False, contours=dict(start=-top, end=top, size=top / 5,
                                                                coloring="heatmap"),
                                 line=dict(width=0.6, color="rgba(0,0,0,0.35)"), hoverinfo="skip"),
                      row=r + 1, col=c + 1)
        fig.add_trace(go.Contour(z=_f32(heat, 3), x=ax, y=ax, showscale=False, hoverinfo="skip",
                                 contours=dict(start=0, end=0, size=1, coloring="lines"),
                                 colorscale=[[0, "black"], [1, "black"]], line=dict(width=2),
                                 name="decision boundary"), row=r + 1, col=c + 1)
        for trace in _toy_points(p["x"], p["y"], showlegend=k == 0):
            fig.add_trace(trace, row=r + 1, col=c + 1)
    fig.update_xaxes(range=[float(ax[0]), float(ax[-1])], showticklabels=False)
    fig.update_yaxes(range=[float(ax[0]), float(ax[-1])], showticklabels=False)
    fig.update_annotations(font_size=12)
    fig.update_layout(template="plotly_white", height=height or 290 * rows, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.02))
    return fig


def toy_features_figure(z: dict, labels: dict, height: int = 330) -> go.Figure:
    """|z1| and |z2| (seed means) over training for each Figure 2 run; z: {run: {"step", "mean"}}."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["|z₁| (the dominant feature)", "|z₂| (the starved feature)"],
                        horizontal_spacing=0.08)
    for k, (name, curves) in enumerate(z.items()):
        mean = np.asarray(curves["mean"])
        for j in range(2):
            fig.add_trace(go.Scatter(x=np.asarray(curves["step"], np.int32), y=_f32(mean[:, j]), mode="lines",
                                     name=labels[name], legendgroup=name, showlegend=j == 0,
                                     line=dict(color=TOY_Z_COLORS[j], dash=TOY_DASHES[k % 3], width=2)),
                          row=1, col=j + 1)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(template="plotly_white", height=height, margin=dict(l=50, r=20, t=40, b=40),
                      legend=dict(orientation="h", y=1.18))
    return fig


def toy_runs_table(rows: list[dict], columns: dict, percent: tuple = ("train_acc",)) -> str:
    """A Markdown table of `rows`; floats with 3 decimals, `percent` keys in %."""
    def fmt(key, v):
        return f"{100 * v:.1f}" if key in percent and v is not None else _cell(key, v)
    return markdown_table(rows, columns, fmt)


def _toy_demo_figure(prob, axis, x, y, iterations, z, loss, z_range, loss_range,
                     height: int = 520) -> go.Figure:
    """The demo's three panels for one state: P(y=+1) map with the points, |z1| and |z2|, the loss.

    Traces: 0 map, 1-2 points, 3-4 |z1| |z2|, 5 loss, 6-7 markers at the shown iteration (the last);
    the static figure's frames rely on this order.
    """
    fig = make_subplots(rows=2, cols=2, specs=[[{"rowspan": 2}, {}], [None, {}]], column_widths=[0.52, 0.48],
                        horizontal_spacing=0.09, vertical_spacing=0.16,
                        subplot_titles=["decision boundary: P(y = +1), %", "feature responses |z₁|, |z₂|",
                                        "training loss (logistic)"])
    ax = _f32(axis)
    fig.add_trace(go.Contour(z=np.asarray(prob, np.uint8), x=ax, y=ax, colorscale="RdBu", zmin=0, zmax=100,
                             contours=dict(start=0, end=100, size=10, coloring="heatmap"), showscale=False,
                             line=dict(width=0.6, color="rgba(0,0,0,0.35)"), name="P(y = +1)"), row=1, col=1)
    for trace in _toy_points(x, y, showlegend=False):
        fig.add_trace(trace, row=1, col=1)
    its = np.asarray(iterations, np.int32)
    for j in range(2):
        fig.add_trace(go.Scatter(x=its, y=_f32(np.asarray(z)[:, j]), mode="lines", name=f"|z{j + 1}|",
                                 line=dict(color=TOY_Z_COLORS[j], width=2)), row=1, col=2)
    fig.add_trace(go.Scatter(x=its, y=_f32(loss), mode="lines", name="loss", showlegend=False,
                             line=dict(color="#444444", width=2)), row=2, col=2)
    for trace, (row, col) in zip(_toy_markers(its, z, loss, len(its) - 1), ((1, 2), (2, 2))):
        fig.add_trace(trace, row=row, col=col)
    fig.update_xaxes(range=[float(ax[0]), float(ax[-1])], constrain="domain", row=1, col=1)
    fig.update_yaxes(range=[float(ax[0]), float(ax[-1])], scaleanchor="x", constrain="domain", row=1, col=1)
    fig.update_yaxes(type="log", range=list(z_range), row=1, col=2)
    fig.update_yaxes(range=list(loss_range), row=2, col=2)
    fig.update_xaxes(title_text="iteration", row=2, col=2)
    fig.update_layout(template="plotly_white", height=height, margin=dict(l=40, r=20, t=50, b=40),
                      legend=dict(x=0.57, xanchor="left", y=1.0, bgcolor="rgba(255,255,255,0.7)"))
    return fig


def _toy_markers(its, z, loss, k: int) -> list:
    """Markers at iteration its[k] on the |z| curves and on the loss curve (traces 6 and 7)."""
    z = np.asarray(z)
    style = dict(mode="markers", showlegend=False, hoverinfo="x+y")
    return [go.Scatter(x=np.full(2, its[k], np.int32), y=_f32(z[k]), marker=dict(color=list(TOY_Z_COLORS), size=9),
                       **style),
            go.Scatter(x=np.full(1, its[k], np.int32), y=_f32(np.asarray(loss)[k:k + 1]),
                       marker=dict(color="#444444", size=9), **style)]


def _demo_ranges(z, loss) -> tuple[list, list]:
    z = np.asarray(z, float)
    positive = z[z > 0]
    lo, hi = (np.log10(positive.min()), np.log10(positive.max())) if positive.size else (-1.0, 1.0)
    return [float(f"{lo - 0.1:.3g}"), float(f"{hi + 0.1:.3g}")], [0.0, float(f"{1.05 * np.max(loss):.3g}")]


def toy_demo_live_figure(prob, axis, x, y, iterations, z, loss) -> go.Figure:
    """One state of the live demo (prob (G, G), z (T, 2), loss (T,)): what the widget redraws."""
    z_range, loss_range = _demo_ranges(z, loss)
    return _toy_demo_figure(prob, axis, x, y, iterations, z, loss, z_range, loss_range)


def toy_demo_figure(study: dict, start: tuple[int, int] | None = None) -> go.Figure:
    """The live demo precomputed for the static page (``experiments.toy_demo.demo_study``).

    One frame per (separability i, regulariser j, iteration k); one iteration slider per (i, j), of
    which only the current one is visible; two rows of buttons, Separability (one row per j) and
    Regularization (one row per i). A button jumps to the last frame of its state, and that frame's
    layout swaps in the state's slider and button rows: plain plotly, no kernel needed.
    """
    seps, regs = study["separability"], study["regularizers"]
    its = np.asarray(study["iterations"], np.int32)
    prob, z, loss, xs, ys = study["prob"], study["z"], study["loss"], study["x"], study["y"]
    S, O, T = len(seps), len(regs), len(its)
    i0, j0 = start if start is not None else (S - 1, 0)
    z_range, loss_range = _demo_ranges(z, loss)
    fig = _toy_demo_figure(prob[j0, T - 1, i0], study["axis"], xs[i0], ys[i0], its, z[j0, :, i0],
                           loss[j0, :, i0], z_range, loss_range, height=600)
    name = lambda i, j, k: f"{i}-{j}-{k}"  # noqa: E731

    def state_layout(i, j):
        """Show state (i, j)'s slider (at its end) and the button rows that know (i, j)."""
        return dict(sliders=[dict(visible=m == i * O + j, **({"active": T - 1} if m == i * O + j else {}))
                             for m in range(S * O)],
                    updatemenus=[dict(visible=m == j, active=i) for m in range(O)]
                    + [dict(visible=m == i, active=j) for m in range(S)])

    frames = []
    for i in range(S):
        for j in range(O):
            for k in range(T):
                markers = _toy_markers(its, z[j, :, i], loss[j, :, i], k)
                if k < T - 1:
                    frames.append(go.Frame(name=name(i, j, k), traces=[0, 6, 7],
                                           data=[go.Contour(z=prob[j, k, i]), *markers]))
                else:  # the buttons' target: also the points, the curves and the controls of state (i, j)
                    curves = [go.Scatter(y=_f32(z[j, :, i, f])) for f in range(2)] + [go.Scatter(y=_f32(loss[j, :, i]))]
                    frames.append(go.Frame(name=name(i, j, k), traces=list(range(8)), layout=state_layout(i, j),
                                           data=[go.Contour(z=prob[j, k, i]), *_toy_points(xs[i], ys[i], False),
                                                 *curves, *markers]))
    fig.frames = frames
    animate = lambda n: [[n], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},  # noqa: E731
                               "transition": {"duration": 0}}]
    sliders = [dict(visible=(i, j) == (i0, j0), active=T - 1, currentvalue=dict(prefix="iteration "),
                    pad=dict(t=45), len=1.0, x=0.0,
                    steps=[dict(label=str(it), method="animate", args=animate(name(i, j, k)))
                           for k, it in enumerate(its.tolist())])
               for i in range(S) for j in range(O)]
    row = dict(type="buttons", direction="right", xanchor="left", yanchor="middle", x=0.13,
               pad=dict(r=4, t=2, b=2), showactive=True, font=dict(size=11))
    menus = [dict(row, y=1.25, visible=j == j0, active=i0,
                  buttons=[dict(label=f"{s:g}", method="animate", args=animate(name(i, j, T - 1)))
                           for i, s in enumerate(seps)]) for j in range(O)]
    menus += [dict(row, y=1.16, visible=i == i0, active=j0,
                   buttons=[dict(label=r, method="animate", args=animate(name(i, j, T - 1)))
                            for j, r in enumerate(regs)]) for i in range(S)]
    labels = [dict(text=t, x=0.0, y=y, xref="paper", yref="paper", xanchor="left", yanchor="middle",
                   showarrow=False, font=dict(size=12)) for t, y in (("Separability", 1.25), ("Regularization", 1.16))]
    fig.update_layout(sliders=sliders, updatemenus=menus, margin=dict(l=40, r=20, t=150, b=40))
    fig.layout.annotations = tuple(fig.layout.annotations) + tuple(go.layout.Annotation(a) for a in labels)
    return fig


# --- colored_mnist (chapter 5)
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
            fig.add_trace(go.Bar(x=names, y=_sig([splits[split][m][0] for m in names]), name=label,
                                 legendgroup=label, showlegend=col == 1, marker_color=palette[j % 3],
                                 error_y=dict(type="data", array=_sig([splits[split][m][1] for m in names]))),
                          row=1, col=col)
    for col in (1, 2):
        fig.add_hline(y=50, line=dict(color="gray", dash="dot", width=1), row=1, col=col)
        fig.add_hline(y=75, line=dict(color="gray", dash="dash", width=1), row=1, col=col)
    fig.update_layout(template="plotly_white", barmode="group", height=height, yaxis_range=[0, 100],
                      legend=dict(orientation="h", y=-0.15), margin=dict(l=50, r=20, t=40, b=40))
    return fig


def colored_mnist_quadrants_figure(sources: dict, height: int = 420) -> go.Figure:
    """Paper Fig. 4 as heat maps: per method, accuracy (top row) and entropy (bottom row) on the four
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
                    z=[_sig(row) for row in z], x=["grayscale", "colour"], y=["digit", "blank"],
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
                fig.add_trace(go.Scatter(x=curve["step"], y=_sig(curve[split]), mode="lines", visible=s == 0,
                                         name=f"{method} {split[:-4]}", legendgroup=method,
                                         line=dict(color=color, dash=dash)))
                owner.append(s)
            step = (warmups or {}).get(label, {}).get(method)
            if step:
                at = min(range(len(curve["step"])), key=lambda i: abs(curve["step"][i] - step))
                fig.add_trace(go.Scatter(
                    x=[curve["step"][at]], y=_sig([curve["test_acc"][at]]), mode="markers",
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


# --- celeba (chapter 6)
CELEBA_COLORS = {"ERM": "#d62728", "SD": "#1f77b4", "GroupDRO": "#2ca02c", "ERM_Adam": "#ff9896",
                 "SD_plain": "#9ecae1"}


def celeba_group_figure(methods: dict, group_names, labels: dict | None = None, title: str = "",
                        height: int = 380) -> go.Figure:
    """Test accuracy of each group (x) per method (bars; error bars = std over seeds).

    methods: {name: {"group_acc": {group: mean}, "group_acc_std": {group: std}}}; labels: {name: legend}.
    """
    fig = go.Figure()
    for name, m in methods.items():
        fig.add_trace(go.Bar(x=list(group_names), y=_sig([m["group_acc"][g] for g in group_names]),
                             name=(labels or {}).get(name, name),
                             marker_color=CELEBA_COLORS.get(name, "#7f7f7f"),
                             error_y=dict(type="data",
                                          array=_sig([m["group_acc_std"][g] for g in group_names]))))
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
        fig.add_trace(go.Scatter(x=curves["epoch"], y=_sig(curves["worst_acc"]), mode="lines+markers",
                                 name=(labels or {}).get(name, name), marker=dict(size=4),
                                 line=dict(color=CELEBA_COLORS.get(name, "#7f7f7f"))))
    ys = {"worst group": [_sig(m["curves"]["worst_acc"]) for m in methods.values()]}
    for k, g in enumerate(group_names):
        ys[g] = [_sig([row[k] for row in m["curves"]["group_acc"]]) for m in methods.values()]
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
        fig.add_trace(go.Heatmap(z=[_sig(row, 3) for row in image], colorscale="gray", zmin=0, zmax=1,
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

