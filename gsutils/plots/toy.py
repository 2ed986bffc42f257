"""Figures of the toy 2-D task (chapter 4): boundaries, features, the static demo."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .core import format_cell, markdown_table, sig

__all__ = ['TOY_CLASS_COLORS', 'TOY_Z_COLORS', 'TOY_DASHES', 'toy_boundaries_figure',
           'toy_features_figure', 'toy_runs_table', 'toy_demo_live_figure', 'toy_demo_figure']

TOY_CLASS_COLORS = {1: "#0365C0", 0: "#C82506"}  # the paper's colours: class +1 blue, class -1 red
TOY_Z_COLORS = ("#2D7F58", "#FA7F05")  # the authors' Figure 2 colours for the two features
TOY_DASHES = ("dot", "dash", "solid")  # Figure 2 line styles: Delta = -0.1, +0.1, +0.1 with SD


def _f32(values, digits: int = 4) -> np.ndarray:
    """Rounded float32 array: plotly stores it as compact base64 (byte-stable, small pages)."""
    values = np.asarray(values, float)
    return np.array(sig(values, digits), dtype=np.float32).reshape(values.shape)


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
        return f"{100 * v:.1f}" if key in percent and v is not None else format_cell(key, v)
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
