from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin


class DmsUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("DMS export (CSV or XLSX)"),
        help_text=_("One row per repair order line. GBK/GB18030 or UTF-8 CSV, or an .xlsx workbook."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
