"""Stored codes ("opt_in", "web_form", "sale") in the reader's words: the label of the model field's choice.

Pages, timeline entries and exports that hold a bare code (a JSON payload, a `values()` row, a figure keyed
by code) turn it into words here, at display time, so the words follow the reader's language."""

from functools import cache

from django.apps import apps


@cache
def _labels(model: str, field: str) -> dict:
    # The labels are lazy translations: cached once, they still read in the language active at display.
    return dict(apps.get_model(model)._meta.get_field(field).flatchoices)


def choice_label(model: str, field: str, value) -> str:
    """The label of `value` among the choices of `field` on `model` ("app_label.Model"), or the value itself
    when it is not one of them (a code retired since, free text). Empty for an empty value."""
    if value is None or value == "":
        return ""
    label = _labels(model, field).get(value)
    return str(label) if label is not None else str(value)
