"""Widget panels on a static page: their last rendered image, and a line saying the live panel
needs a kernel.

A panel is an ipywidgets tree (VBox of buttons, sliders, an ``Image`` and an ``HTML`` status). A
static page has no kernel to run its buttons, so each widget output is replaced by the PNGs its
``Image`` widgets last held and the text of its ``HTML`` widgets, read from the widget state that
:mod:`nbclient` saved in the notebook's metadata.
"""
from __future__ import annotations

import nbformat

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
NOTE = ("*Live panel: its buttons and sliders need a running kernel. Open this lesson in Colab or "
        "Binder (buttons at the top) to use it; above is what it showed when the site was built.*")


def _children(state: dict) -> list[str]:
    """Model ids a widget holds: a box's children (``'IPY_MODEL_<id>'``)."""
    return [c.removeprefix("IPY_MODEL_") for c in state.get("children", []) if isinstance(c, str)]


def _walk(models: dict, model_id: str) -> list[dict]:
    """The models of the tree under ``model_id``, depth first, in display order."""
    model = models.get(model_id)
    if model is None:
        return []
    found = [model]
    for child in _children(model.get("state", {})):
        found += _walk(models, child)
    return found


def _png(model: dict) -> str | None:
    """The base64 PNG an ``Image`` widget held, if any."""
    if model.get("model_name") != "ImageModel":
        return None
    for buffer in model.get("buffers", []):
        if buffer.get("path") == ["value"] and buffer.get("data"):
            return buffer["data"]
    return None


def static_outputs(models: dict, model_id: str) -> list:
    """The outputs that stand in for one widget view: images, status texts, then the note."""
    outputs = []
    for model in _walk(models, model_id):
        png = _png(model)
        if png:
            outputs.append(nbformat.v4.new_output("display_data", data={"image/png": png}))
        elif model.get("model_name") == "HTMLModel" and model["state"].get("value"):
            outputs.append(nbformat.v4.new_output("display_data",
                                                  data={"text/html": model["state"]["value"]}))
        elif model.get("model_name") == "OutputModel":  # what a panel printed: kept, errors too
            outputs += [nbformat.from_dict(o) for o in model["state"].get("outputs", [])]
    outputs.append(nbformat.v4.new_output("display_data", data={"text/markdown": NOTE}))
    return outputs


def freeze_widgets(nb: nbformat.NotebookNode) -> int:
    """Replace every widget view in ``nb`` by :func:`static_outputs`; drop the widget state.
    Returns how many views were replaced."""
    models = nb.metadata.get("widgets", {}).get(STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.cells:
        new = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(VIEW)
            if view is None:
                new.append(output)
                continue
            new += static_outputs(models, view["model_id"])
            replaced += 1
        if "outputs" in cell:
            cell.outputs = new
    nb.metadata.pop("widgets", None)
    return replaced
