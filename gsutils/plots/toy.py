"""Figures of the toy 2-D task (chapter 4): boundaries, features, the static demo."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .core import MODEBAR_PX, book_layout, format_cell, markdown_table, px_to_paper, sig

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


def toy_boundaries_figure(panels: list[dict], axis, cols: int = 3, row_height: int = 190) -> go.Figure:
    """Seed-averaged logit maps with the training points (the paper's Figures 1-3).

    panels: [{"title", "heatmap" (G, G) logits, row i at height axis[i], "x" (N, 2), "y" (N,)}]; a
    title may hold "<br>" (more lines). Each map has its own symmetric colour range; the black
    line is logit 0, the decision boundary. At most three columns, so that a phone shows them too.
    """
    rows = -(-len(panels) // cols)
    title_px = 14 * max(p["title"].count("<br>") + 1 for p in panels)  # 11 px font, one or more lines
    plot_px = rows * row_height + (rows - 1) * (title_px + 10)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[p["title"] for p in panels], horizontal_spacing=0.03,
                        vertical_spacing=(title_px + 10) / plot_px if rows > 1 else 0.0)
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
    fig.update_annotations(font_size=11)
    names = "; ".join(p["title"].replace("<br>", ", ") for p in panels)
    alt = (f"{len(panels)} heat maps of the network's logit over the plane, blue for class +1 and red for "
           f"class −1, with the training points and the decision boundary as a black line: {names}.")
    book_layout(fig, None, alt, top=title_px - 2, left=8, right=8, bottom=8, plot_px=plot_px)
    return fig


def toy_features_figure(z: dict, labels: dict, height: int = 360) -> go.Figure:
    """|z1| and |z2| (seed means) over training for each Figure 2 run; z: {run: {"step", "mean"}}."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=["|z₁| (dominant)", "|z₂| (starved)"],
                        horizontal_spacing=0.12)
    for k, (name, curves) in enumerate(z.items()):
        mean = np.asarray(curves["mean"])
        for j in range(2):
            fig.add_trace(go.Scatter(x=np.asarray(curves["step"], np.int32), y=_f32(mean[:, j]), mode="lines",
                                     name=labels[name], legendgroup=name, showlegend=j == 0,
                                     line=dict(color=TOY_Z_COLORS[j], dash=TOY_DASHES[k % 3], width=2)),
                          row=1, col=j + 1)
    fig.update_xaxes(title_text="epoch")
    alt = ("Two line charts over training epochs: left |z_1|, right |z_2|, the seed-averaged feature responses, "
           "one line style per run: " + ", ".join(labels[n] for n in z) + ".")
    book_layout(fig, height, alt, titles=True)
    return fig


def toy_runs_table(rows: list[dict], columns: dict, percent: tuple = ("train_acc",)) -> str:
    """A Markdown table of `rows`; floats with 3 decimals, `percent` keys in %."""
    def fmt(key, v):
        return f"{100 * v:.1f}" if key in percent and v is not None else format_cell(key, v)
    return markdown_table(rows, columns, fmt)


DEMO_ROWS_PX = (300, 170, 120)  # map, |z|, loss: stacked, so that a phone shows every panel
DEMO_GAP_PX = 52  # tick labels of one panel and the title of the next
CONTROL_ROW_PX = 56  # a label line and a row of buttons (static figure)


def _toy_demo_figure(prob, axis, x, y, iterations, z, loss, z_range, loss_range,
                     controls: int = 0) -> go.Figure:
    """The demo's three panels for one state, stacked: P(y=+1) map with the points, |z1| and |z2|,
    the loss; `controls` rows of buttons get a strip at the top (the static figure).

    Traces: 0 map, 1-2 points, 3-4 |z1| |z2|, 5 loss, 6-7 markers at the shown iteration (the last);
    the static figure's frames rely on this order.
    """
    plot_px = sum(DEMO_ROWS_PX) + 2 * DEMO_GAP_PX
    z_title = "feature responses " + ", ".join(f'<span style="color:{c}">|z{s}|</span>'
                                               for c, s in zip(TOY_Z_COLORS, "₁₂"))  # the curves' colours
    fig = make_subplots(rows=3, cols=1, row_heights=list(DEMO_ROWS_PX), vertical_spacing=DEMO_GAP_PX / plot_px,
                        subplot_titles=["decision boundary: P(y = +1), %", z_title, "training loss (logistic)"])
    ax = _f32(axis)
    fig.add_trace(go.Contour(z=np.asarray(prob, np.uint8), x=ax, y=ax, colorscale="RdBu", zmin=0, zmax=100,
                             contours=dict(start=0, end=100, size=10, coloring="heatmap"), showscale=False,
                             line=dict(width=0.6, color="rgba(0,0,0,0.35)"), name="P(y = +1)"), row=1, col=1)
    for trace in _toy_points(x, y, showlegend=False):
        fig.add_trace(trace, row=1, col=1)
    its = np.asarray(iterations, np.int32)
    for j in range(2):
        fig.add_trace(go.Scatter(x=its, y=_f32(np.asarray(z)[:, j]), mode="lines", name=f"|z{'₁₂'[j]}|",
                                 line=dict(color=TOY_Z_COLORS[j], width=2)), row=2, col=1)
    fig.add_trace(go.Scatter(x=its, y=_f32(loss), mode="lines", name="loss", showlegend=False,
                             line=dict(color="#444444", width=2)), row=3, col=1)
    for trace, row in zip(_toy_markers(its, z, loss, len(its) - 1), (2, 3)):
        fig.add_trace(trace, row=row, col=1)
    fig.update_xaxes(range=[float(ax[0]), float(ax[-1])], constrain="domain", row=1, col=1)
    fig.update_yaxes(range=[float(ax[0]), float(ax[-1])], scaleanchor="x", constrain="domain", row=1, col=1)
    fig.update_yaxes(type="log", range=list(z_range), row=2, col=1)
    fig.update_yaxes(range=list(loss_range), row=3, col=1)
    fig.update_xaxes(title_text="iteration", title_standoff=4, row=3, col=1)
    alt = ("The live demo of the toy task, three panels stacked: a heat map of the network's probability "
           "of class +1 over the plane with the training points; the feature responses |z_1| and |z_2| "
           "(log scale) against the iteration; the training loss against the iteration.")
    book_layout(fig, None, alt, legend=False, top=controls * CONTROL_ROW_PX, titles=True, left=45,
                bottom=150 if controls else 50, plot_px=plot_px)
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


def _short(option: str) -> str:
    """A regulariser option as its button says it (fits a phone)."""
    return option.replace("Spectral Decoupling", "SD").replace("None", "none").replace("Weight", "weight")


def toy_demo_figure(study: dict, start: tuple[int, int] | None = None) -> go.Figure:
    """The live demo precomputed for the static page (``experiments.toy_demo.demo_study``).

    One frame per (separability i, regulariser j, iteration k); one iteration slider per (i, j), of
    which only the current one is visible; a row of Separability buttons (one row per j) and a
    Regularization dropdown (one per i). A control jumps to the last frame of its state, and that
    frame's layout swaps in the state's slider and controls: plain plotly, no kernel needed.
    """
    seps, regs = study["separability"], study["regularizers"]
    its = np.asarray(study["iterations"], np.int32)
    prob, z, loss, xs, ys = study["prob"], study["z"], study["loss"], study["x"], study["y"]
    S, O, T = len(seps), len(regs), len(its)
    i0, j0 = start if start is not None else (S - 1, 0)
    z_range, loss_range = _demo_ranges(z, loss)
    fig = _toy_demo_figure(prob[j0, T - 1, i0], study["axis"], xs[i0], ys[i0], its, z[j0, :, i0],
                           loss[j0, :, i0], z_range, loss_range, controls=2)
    name = lambda i, j, k: f"{i}-{j}-{k}"  # noqa: E731

    def state_layout(i, j):
        """Show state (i, j)'s slider (at its end) and the controls that know (i, j)."""
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
                else:  # the controls' target: also the points, the curves and the controls of state (i, j)
                    curves = [go.Scatter(y=_f32(z[j, :, i, f])) for f in range(2)] + [go.Scatter(y=_f32(loss[j, :, i]))]
                    frames.append(go.Frame(name=name(i, j, k), traces=list(range(8)), layout=state_layout(i, j),
                                           data=[go.Contour(z=prob[j, k, i]), *_toy_points(xs[i], ys[i], False),
                                                 *curves, *markers]))
    fig.frames = frames
    animate = lambda n: [[n], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},  # noqa: E731
                               "transition": {"duration": 0}}]
    sliders = [dict(visible=(i, j) == (i0, j0), active=T - 1, currentvalue=dict(prefix="iteration "),
                    pad=dict(t=40), len=1.0, x=0.0,
                    steps=[dict(label=str(it), method="animate", args=animate(name(i, j, k)))
                           for k, it in enumerate(its.tolist())])
               for i in range(S) for j in range(O)]
    rows = [MODEBAR_PX + CONTROL_ROW_PX * r for r in range(2)]  # px from the top of each control row
    row = dict(xanchor="left", yanchor="top", x=0.0, pad=dict(r=2, t=0, b=0, l=0), showactive=True,
               font=dict(size=12))
    menus = [dict(row, type="buttons", direction="right", y=px_to_paper(fig, rows[0] + 20), visible=j == j0,
                  active=i0, buttons=[dict(label=f"{s:g}", method="animate", args=animate(name(i, j, T - 1)))
                                      for i, s in enumerate(seps)]) for j in range(O)]
    menus += [dict(row, type="dropdown", direction="down", y=px_to_paper(fig, rows[1] + 20), visible=i == i0,
                   active=j0, buttons=[dict(label=_short(r), method="animate", args=animate(name(i, j, T - 1)))
                                       for j, r in enumerate(regs)]) for i in range(S)]
    labels = [dict(text=t, x=0.0, y=px_to_paper(fig, y), xref="paper", yref="paper", xanchor="left",
                   yanchor="top", showarrow=False, font=dict(size=12))
              for t, y in (("Separability (gap Δ)", rows[0]), ("Regularization", rows[1]))]
    fig.update_layout(sliders=sliders, updatemenus=menus)
    fig.layout.annotations = tuple(fig.layout.annotations) + tuple(go.layout.Annotation(a) for a in labels)
    fig.layout.meta = dict(alt=fig.layout.meta["alt"] + " Controls: buttons for the separability ("
                           + ", ".join(f"{v:g}" for v in seps) + f"), a menu for the regulariser ({', '.join(regs)}), "
                           f"and a slider over the iterations 0 to {int(its[-1])}.")
    return fig
