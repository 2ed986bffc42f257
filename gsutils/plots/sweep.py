"""Figures and tables of the model-selection chapter (chapter 8): sweeps' selected test accuracies."""

from __future__ import annotations

import plotly.graph_objects as go

from .core import book_layout, markdown_table, sig

__all__ = ["RULE_LABELS", "RULE_COLORS", "sweep_selection_figure", "sweep_selection_table", "sweep_space_table"]

RULE_LABELS = {"test_domain": "test-domain", "train_domain": "training-domain", "leave_one_out": "leave-one-out",
               "avg_valid": "average valid.", "worst_valid": "worst-group valid."}
RULE_COLORS = {"test_domain": "#9467bd", "train_domain": "#1f77b4", "leave_one_out": "#17becf",
               "avg_valid": "#1f77b4", "worst_valid": "#2ca02c"}


def sweep_selection_figure(selection: dict, paper: dict, methods, key: str = "test_acc_mean",
                           paper_label: str = "paper", y_title: str = "test accuracy (%)",
                           chance: float | None = 50.0, height: int = 380) -> go.Figure:
    """Selected trials' test accuracy: methods on x, one bar per rule (error bars: std over restarts
    or seeds), the paper's number as a black diamond, chance as a dotted line. selection: {rule: {method: row}}; paper:
    {method: (mean, std)}."""
    fig = go.Figure()
    std_key = key.replace("_mean", "_std")
    for rule, rows in selection.items():
        fig.add_trace(go.Bar(x=list(methods), y=sig([rows[m][key] for m in methods]),
                             error_y=dict(type="data", array=sig([rows[m][std_key] for m in methods])),
                             name=RULE_LABELS.get(rule, rule), marker_color=RULE_COLORS.get(rule, "#7f7f7f")))
    known = [m for m in methods if m in paper]
    fig.add_trace(go.Scatter(x=known, y=sig([paper[m][0] for m in known]), mode="markers", name=paper_label,
                             marker=dict(symbol="diamond", size=11, color="black"),
                             error_y=dict(type="data", array=sig([paper[m][1] for m in known]))))
    if chance is not None:
        fig.add_hline(y=chance, line=dict(dash="dot", color="#7f7f7f", width=1))
    alt = (f"Bar chart: {y_title} of {', '.join(methods)} under each selection rule "
           f"({', '.join(RULE_LABELS.get(r, r) for r in selection)}), the {paper_label} as black diamonds.")
    book_layout(fig, height, alt, bottom=30)
    fig.update_layout(barmode="group", yaxis_range=[0, 100], yaxis_title=y_title)
    return fig


def sweep_selection_table(sources: dict, paper: dict, methods, key: str = "test_acc_mean",
                          paper_header: str = "paper") -> str:
    """Markdown: one row per method; per source {label: selection} and rule, "mean ± std (trial t)"."""
    std_key, columns, rows = key.replace("_mean", "_std"), {"method": "method"}, []
    for label, selection in sources.items():
        for rule in selection or {}:
            columns[f"{label}|{rule}"] = f"{RULE_LABELS.get(rule, rule)} ({label})"
    columns["paper"] = paper_header
    for m in methods:
        row = {"method": m, "paper": f"{paper[m][0]:.1f} ± {paper[m][1]:.1f}" if m in paper else "–"}
        for label, selection in sources.items():
            for rule, chosen in (selection or {}).items():
                c = chosen[m]
                row[f"{label}|{rule}"] = f"{c[key]:.1f} ± {c[std_key]:.1f} (trial {c['trial']})"
        rows.append(row)
    return markdown_table(rows, columns)


def sweep_space_table(space: dict, defaults: dict) -> str:
    """Markdown: each method's searched hyperparameters, their range, source and the recipe's value."""
    rows = [{"method": m, "name": f"`{h['name']}`", "range": h["range"], "default": defaults.get((m, h["name"]), "–"),
             "source": h["source"]} for m, hs in space.items() for h in hs]
    return markdown_table(rows, {"method": "method", "name": "hyperparameter", "range": "search range",
                                 "default": "recipe (trial 0)", "source": "source"})
