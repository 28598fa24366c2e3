"""What every form shares: Bootstrap classes on its widgets, and a service's typed error shown in place."""

from django import forms


class BootstrapFormMixin:
    """Gives every widget the Bootstrap class it needs, so templates render fields with one include."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_application_error(self, error) -> None:
        """Show a service's typed error in the page, as the API shows it in its body: beside the field it
        names when the form has that field, else above the form."""
        field = getattr(error, "field", None)
        self.add_error(field if field in self.fields else None, str(error.message))
