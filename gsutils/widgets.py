"""Live ipywidgets demos for Jupyter and Colab (they need a running kernel; the static site shows the
precomputed plotly sliders instead). Each demo is one function returning a widget."""

from __future__ import annotations


# --- theory (chapters 2-3)
def theory_explorer(s1: float = 6.0, s2: float = 2.0, delta: float = 0.5, lam: float = 0.01,
                    regularizer: str = "weight_decay", lr: float = 0.1, steps: int = 990):
    """Sliders for s1, s2, delta, lambda and the regulariser; every change recomputes the gradient-
    descent trajectories of z and the fixed points z* of the two-feature model (paper's theory)."""
    import ipywidgets as W
    import numpy as np

    from . import plots, theory

    controls = {
        "s1": W.FloatSlider(value=s1, min=0.5, max=8.0, step=0.25, description="s1"),
        "s2": W.FloatSlider(value=s2, min=0.5, max=8.0, step=0.25, description="s2"),
        "delta": W.FloatSlider(value=delta, min=0.0, max=0.95, step=0.05, description="δ"),
        "lam": W.FloatLogSlider(value=lam, base=10, min=-3.5, max=-0.5, step=0.1, description="λ",
                                readout_format=".4f"),
        "regularizer": W.ToggleButtons(options=[("cross-entropy + weight decay", "weight_decay"),
                                                ("Spectral Decoupling", "sd")], value=regularizer),
    }
    out = W.Output()

    def redraw(_=None):
        v = {name: c.value for name, c in controls.items()}
        s, U = np.array([v["s1"], v["s2"]]), theory.coupling_matrix(v["delta"])
        t, Z = theory.gd_trajectory(s, U, v["lam"], v["regularizer"], lr, steps, 10)
        z_star = theory.fixed_point(s, U, v["lam"], v["regularizer"])
        title = plots.REGULARIZER_LABEL[v["regularizer"]]
        fig = plots.z_trajectories_figure(t, [v["s1"]], {title: Z[None]}, {title: z_star[None]})
        with out:
            out.clear_output(wait=True)
            fig.show()

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    return W.VBox([W.HBox([controls["s1"], controls["s2"]]), W.HBox([controls["delta"], controls["lam"]]),
                   controls["regularizer"], out])


# --- toy (chapter 4)
class ToyDemo:
    """The blog's live demo: Initialize, Train/Pause, Separability, Regularization, an iteration counter
    and a plotly figure (boundary map over the data, |z1| and |z2|, training loss).

    Training runs in a background thread in chunks of `chunk` full-batch steps
    (``experiments.toy_demo.ToyDemo``), redrawing after each chunk, so the notebook stays responsive.
    Changing the regulariser while training continues from the current weights. The last drawn
    figure is ``self.figure``; ``self.demo`` is the model being trained.
    """

    def __init__(self, cfg=None, separability: float = 0.0, chunk: int = 5, device: str = "cpu"):
        import threading

        import ipywidgets as W

        from .configs import TOY_REGULARIZERS, ToyDemoConfig

        self.cfg, self.chunk, self.device = cfg or ToyDemoConfig(), chunk, device
        lo, hi = min(self.cfg.separability), max(self.cfg.separability)
        self.controls = {
            "initialize": W.Button(description="Initialize", icon="refresh"),
            "train": W.ToggleButton(value=False, description="Train", icon="play"),
            "separability": W.FloatSlider(value=separability, min=lo, max=hi, step=0.05,
                                          description="Separability", continuous_update=False),
            "regularization": W.Dropdown(options=TOY_REGULARIZERS, value="None", description="Regularization"),
            "iteration": W.Label("iteration 0"),
        }
        self.out = W.Output()
        self._lock, self._thread, self.figure = threading.Lock(), None, None
        self.controls["initialize"].on_click(self.initialize)
        self.controls["train"].observe(self._on_train, names="value")
        self.controls["separability"].observe(self.initialize, names="value")
        self.controls["regularization"].observe(self._on_regularizer, names="value")
        c = self.controls
        self.ui = W.VBox([W.HBox([c["initialize"], c["train"], c["iteration"]]),
                          W.HBox([c["separability"], c["regularization"]]), self.out])
        self.initialize()

    def _ipython_display_(self):
        from IPython.display import display

        display({"text/plain": "Live toy demo (it needs a running kernel: Jupyter or Colab)",
                 "application/vnd.jupyter.widget-view+json": {"model_id": self.ui.model_id,
                                                              "version_major": 2, "version_minor": 0}},
                raw=True)

    def initialize(self, *_):
        """Stop training and start from fresh weights on data of the chosen separability."""
        from .experiments.toy_demo import ToyDemo as Stepper

        self.controls["train"].value = False
        self.join()
        with self._lock:
            self.demo = Stepper(self.cfg, separability=[self.controls["separability"].value], device=self.device)
            self.demo.set_regularizer(self.controls["regularization"].value)
        self.redraw()

    def step(self, n: int = 1) -> None:
        """Train n steps now (the Train button does this in chunks from a thread)."""
        with self._lock:
            self.demo.step(n)
        self.redraw()

    def join(self, timeout: float = 10.0) -> None:
        """Wait for the training thread to finish its chunk after Pause."""
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _on_train(self, change):
        import threading

        button = self.controls["train"]
        button.description, button.icon = ("Pause", "pause") if change.new else ("Train", "play")
        if change.new and (self._thread is None or not self._thread.is_alive()):
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def _loop(self):
        while self.controls["train"].value:
            self.step(self.chunk)

    def _on_regularizer(self, change):
        with self._lock:
            self.demo.set_regularizer(change.new)

    def redraw(self) -> None:
        """Rebuild the figure from the current state and swap it into the output area."""
        import json

        from . import plots

        with self._lock:
            d = self.demo
            log = {k: list(v) for k, v in d.log.items()}
            fig = plots.toy_demo_live_figure(d.probability()[0], d.axis, d.x[0].cpu().numpy(),
                                             d.y[0].cpu().numpy(), log["iteration"],
                                             [z[0] for z in log["z"]], [loss[0] for loss in log["loss"]])
            iteration = d.iteration
        self.figure = fig
        self.controls["iteration"].value = f"iteration {iteration}"
        data = fig._repr_mimebundle_() or {"application/vnd.plotly.v1+json": json.loads(fig.to_json())}
        self.out.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)


def toy_demo(separability: float = 0.0, chunk: int = 5, cfg=None) -> ToyDemo:
    """The live toy demo of chapter 4 (needs a kernel; the static page shows precomputed frames)."""
    return ToyDemo(cfg, separability=separability, chunk=chunk)
