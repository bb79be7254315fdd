"""Run by tests/test_widget_versions.py in a fresh interpreter: build every panel class, display
it as a notebook would, and print (as JSON) what each display published.

A fresh interpreter, because the ipywidgets under test (7.7.1 or the installed 8.x) is chosen by
PYTHONPATH before anything imports it.
"""
import json

import ipywidgets
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from IPython.display import display

import sciml_teach as st
from sciml_teach.viz.panels import Panel

BUILDERS = {  # each panel class with the smallest arguments that build it (nothing is trained)
    "PrecisionPanel": lambda: st.PrecisionPanel(lambda config, callbacks: None, st.TrainConfig(steps=1)),
    "FormatExplorer": lambda: st.FormatExplorer("0.1"),
    "StrategyPanel": lambda: st.StrategyPanel(lambda strategy, M, N: {}, ["zcs"]),
    "CombinationPanel": lambda: st.CombinationPanel(lambda combination, callbacks: None, ["zcs"], ["fp32"]),
}


def _all_panel_classes() -> set[str]:
    return {name for name in st.__all__
            if isinstance(getattr(st, name), type) and issubclass(getattr(st, name), Panel)}


def main() -> None:
    shell = InteractiveShell.instance()
    shell.display_pub = CapturingDisplayPublisher()  # what a kernel would send to the browser
    shown = {}
    for name, build in BUILDERS.items():
        panel = build()
        shell.display_pub.clear_output()
        display(panel)
        views = [out["data"].get("application/vnd.jupyter.widget-view+json", {})
                 for out in shell.display_pub.outputs]
        shown[name] = {"model_ids": [v.get("model_id") for v in views],
                       "expected": panel.widget.model_id}
    print(json.dumps({"ipywidgets": ipywidgets.__version__, "classes": sorted(_all_panel_classes()),
                      "shown": shown}))


if __name__ == "__main__":
    main()
