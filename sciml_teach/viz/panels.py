"""Widget panels built on the library (ipywidgets only, no third-party widget packages).

Each panel calls a plain function that a notebook also runs once in a plain cell, so headless runs
execute the same code. Errors inside a callback are shown in the panel, never swallowed.
ipywidgets is imported when a panel is built, so the benchmarks and experiments, which import this
package, run where it is not installed.
Introduced in notebooks/01_floating_point.ipynb and notebooks/03_amp_recovery.ipynb.
"""
from __future__ import annotations

import dataclasses
import html
import traceback
from typing import TYPE_CHECKING, Callable, Sequence

from ..formats import describe
from ..checks import check_int
from ..precision import POLICIES, get_policy
from ..training import Callback, History, TrainConfig
from .live import TRAIN_PLACEHOLDER, LivePlot

if TYPE_CHECKING:  # for the annotations only: panels import ipywidgets when built
    import ipywidgets as widgets

RunFn = Callable[[TrainConfig, Sequence[Callback]], History]


class Panel:
    """What every panel shares: it displays as its widget, and a button's action runs guarded."""

    widget: widgets.Widget
    button: widgets.Button  # the main action's button
    result: widgets.HTML    # one line saying what happened
    out: widgets.Output     # tracebacks of failed actions

    def _ipython_display_(self) -> None:
        """display(panel), or a cell ending in a panel, shows its widget. IPython asks for this
        method first, and ``display(widget)`` works under ipywidgets 7 (Colab ships 7.7.1, whose
        widgets have only ``_ipython_display_``) and 8 (only ``_repr_mimebundle_``) alike."""
        from IPython.display import display
        display(self.widget)

    def _guarded(self, action: Callable[[], object]):
        """Run ``action()`` with the button disabled; an error is shown in the panel, not raised."""
        self.out.clear_output()
        self.button.disabled = True
        try:
            return action()
        except Exception as err:  # show the learner what went wrong, in the panel
            self.result.value = f"<b style='color:#b00'>Error:</b> {html.escape(str(err))}"
            with self.out:
                traceback.print_exc()
            return None
        finally:
            self.button.disabled = False


def check_history(history) -> History:
    """A panel's ``run`` must return the History of its run; anything else is named here."""
    if not isinstance(history, History):
        raise ValueError(f"the panel's run function must return a History (from st.train), got "
                         f"{type(history).__name__}")
    return history


def _check_precision_inputs(config, policies, eps_choices, max_steps) -> None:
    """PrecisionPanel's initial values: each must be one the widgets can show."""
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    policies, eps_choices = list(policies), list(eps_choices)
    name = config.policy if isinstance(config.policy, str) else config.policy.name
    if name not in policies:
        raise ValueError(f"config.policy {name!r} is not among policies {policies}")
    if config.adam_eps not in eps_choices:
        raise ValueError(f"config.adam_eps {config.adam_eps!r} is not among eps_choices {eps_choices}")
    check_int("max_steps", max_steps, minimum=10)


class PrecisionPanel(Panel):
    """Pick a precision policy, Adam's eps, loss scaling and steps; press Train; watch the live plot.

    ``run(config, callbacks)`` trains and returns a History -- the same function the notebook
    calls in a plain cell. Runs accumulate on one live plot so they can be compared.
    """

    SCALING = {"as policy": None, "on": True, "off": False}

    def __init__(self, run: RunFn, config: TrainConfig, policies: Sequence[str] = tuple(POLICIES),
                 eps_choices: Sequence[float] = (1e-8, 1e-5, 1e-4), max_steps: int = 5000):
        import ipywidgets as widgets  # imported late: experiments and benchmarks run without it
        _check_precision_inputs(config, policies, eps_choices, max_steps)
        self._run, self.base = run, config
        style = {"description_width": "90px"}
        self.policy = widgets.ToggleButtons(options=list(policies), value=get_policy(config.policy).name,
                                            description="policy", style=style)
        self.eps = widgets.Dropdown(options=[(f"{e:.0e}", e) for e in eps_choices],
                                    value=config.adam_eps, description="Adam eps", style=style)
        self.scaling = widgets.ToggleButtons(options=list(self.SCALING), value="as policy",
                                             description="loss scaling", style=style)
        self.steps = widgets.IntSlider(value=config.steps, min=10, max=max(max_steps, config.steps),
                                       step=10, description="steps", style=style)
        self.button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.clear = widgets.Button(description="Clear plot")
        self.result = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.out = widgets.Output()
        self.plot = LivePlot(every_s=0.5, image_widget=self.image,
                             placeholder=TRAIN_PLACEHOLDER)
        self.histories: dict[str, History] = {}
        self.button.on_click(self.on_train)
        self.clear.on_click(self.on_clear)
        self.widget = widgets.VBox([self.policy, widgets.HBox([self.eps, self.steps]), self.scaling,
                                    widgets.HBox([self.button, self.clear]), self.result,
                                    self.image, self.out])

    def config(self) -> TrainConfig:
        return dataclasses.replace(self.base, policy=self.policy.value, adam_eps=self.eps.value,
                                   loss_scaling=self.SCALING[self.scaling.value],
                                   steps=self.steps.value)

    def on_train(self, _button=None) -> History | None:
        return self._guarded(self._train)

    def _train(self) -> History:
        config = self.config()
        label = f"{config.policy} eps={config.adam_eps:.0e}" + (
            "" if config.loss_scaling is None else f" scaling={self.scaling.value}")
        history = check_history(self._run(config, [self.plot.track(label)]))
        self.histories[label] = history
        self.result.value = f"<b>{html.escape(label)}</b>: {html.escape(history.summary())}"
        return history

    def on_clear(self, _button=None) -> None:
        self.plot.runs.clear()
        self.histories.clear()
        self.plot.draw(force=True)


def describe_html(text: str) -> str:
    """An HTML table of the number ``text`` in float32, float16 and bfloat16 (lesson 01)."""
    try:
        x = float(text)
    except ValueError:
        return f"<b style='color:#b00'>{html.escape(text)!s} is not a number</b> (try 0.1, 1e-8, 70000)"
    rows = "".join(
        f"<tr><td>{r['format']}</td><td>{r['stored']:.10g}</td><td>{r['relative_error']:.2e}</td>"
        f"<td><code><span style='color:#c00'>{r['sign']}</span> <span style='color:#06c'>"
        f"{r['exponent']}</span> {r['mantissa']}</code></td></tr>" for r in describe(x))
    return ("<table><tr><th>format</th><th>stored value</th><th>relative error</th>"
            "<th>sign exponent mantissa</th></tr>" + rows + "</table>")


class FormatExplorer(Panel):
    """Type a number; see what float32, float16 and bfloat16 store and the bits they use."""

    def __init__(self, value: str = "0.1"):
        import ipywidgets as widgets  # imported late: experiments and benchmarks run without it
        if not isinstance(value, str):
            raise ValueError(f"value must be the number as text, e.g. '0.1', got {value!r}")
        self.text = widgets.Text(value=value, description="number", continuous_update=False)
        self.table = widgets.HTML(describe_html(value))
        self.text.observe(lambda change: setattr(self.table, "value", describe_html(change["new"])),
                          names="value")
        self.widget = widgets.VBox([self.text, self.table])
