"""Forms of the import pages. They only validate input: reading the file is the spreadsheet reader's job,
checking rows and importing them the services'."""

from pathlib import PurePath

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import BootstrapFormMixin
from crm.core.spreadsheets import SpreadsheetError, Table, read_table

MAX_UPLOAD_BYTES = 20_000_000
MAX_UPLOAD_ROWS = 50_000
ACCEPTED_EXTENSIONS = (".csv", ".xlsx")

# The lead fields a column can fill, in the order the mapping form shows them.
# The headers that name each field of a lead list, in English and Chinese (suggest_mapping reads them).
DEFAULT_LEAD_FIELDS: dict[str, list[str]] = {
    "name": [
        "name",
        "full name",
        "customer name",
        "customer",
        "contact",
        "姓名",
        "客户姓名",
        "客户",
        "联系人",
        "名字",
    ],
    "phone": [
        "phone",
        "mobile",
        "tel",
        "telephone",
        "cell",
        "cellphone",
        "phone number",
        "mobile number",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "联系电话",
        "电话号码",
        "联系方式",
    ],
    "email": ["email", "e-mail", "mail", "email address", "邮箱", "电子邮箱", "电子邮件", "邮件"],
    "city": ["city", "town", "城市", "所在城市", "所在地", "地区"],
    "model": ["model", "vehicle", "car", "car model", "车型", "意向车型", "车系", "意向车系", "车款"],
    "source": ["source", "lead source", "channel", "来源", "线索来源", "客户来源", "渠道"],
    "note": ["note", "notes", "remark", "remarks", "comment", "comments", "备注", "说明", "留言"],
    "external_id": ["id", "external id", "lead id", "reference", "编号", "线索编号", "客户编号", "线索id"],
    "grade": ["grade", "level", "rating", "级别", "意向级别", "客户级别", "等级"],
    "wechat": ["wechat", "weixin", "wx", "微信", "微信号"],
}


FIELD_LABELS = {
    "name": _("Name"),
    "phone": _("Mobile phone"),
    "email": _("Email"),
    "city": _("City"),
    "model": _("Model of interest"),
    "source": _("Source note"),
    "note": _("Note"),
    "external_id": _("External id"),
    "grade": _("Grade"),
    "wechat": _("WeChat"),
}
REQUIRED_FIELDS = ("name",)
FIELD_HELP = {
    "source": _("Kept in the lead's note (the list's own source column)."),
    "external_id": _("The list's own id: sending the same row again attaches to the same lead."),
    "grade": _("O, H, A, B or C; new leads take it."),
    "wechat": _("Kept in the lead's note."),
}
assert set(FIELD_LABELS) == set(DEFAULT_LEAD_FIELDS)


class SourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        if obj.dealer_id is None:
            return _("%(name)s · OEM-wide") % {"name": obj.name}
        return str(obj.name)


class UploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("List file"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}),
    )
    dealer = forms.ModelChoiceField(label=_("Dealer"), queryset=None, empty_label=None)
    source = SourceChoiceField(
        label=_("Lead source"),
        queryset=None,
        help_text=_("Where the people on this list came from: the event, the list seller…"),
    )
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None, required=False)

    def __init__(self, *args, dealers, sources, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = dealers
        self.fields["source"].queryset = sources
        self.fields["campaign"].queryset = campaigns
        self.table: Table | None = None
        self.data_bytes = b""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in ACCEPTED_EXTENSIONS:
            raise forms.ValidationError(
                _("Upload a .xlsx or .csv file; “%(name)s” is neither.") % {"name": upload.name}
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is too big: the limit is %(megabytes)s MB.")
                % {"megabytes": f"{MAX_UPLOAD_BYTES / 1e6:g}"}
            )
        data = upload.read()
        try:
            self.table = read_table(
                data, filename=upload.name, max_rows=MAX_UPLOAD_ROWS, max_bytes=MAX_UPLOAD_BYTES
            )
        except SpreadsheetError as error:
            raise forms.ValidationError(str(error.message)) from error
        if not self.table.rows:
            raise forms.ValidationError(_("The file has a header row but no rows below it."))
        self.data_bytes = data
        return upload

    def clean(self):
        cleaned = super().clean()
        dealer, source = cleaned.get("dealer"), cleaned.get("source")
        # The source list follows the chosen dealer; without JavaScript a mismatch can still be posted.
        if dealer and source and source.dealer_id not in (None, dealer.id):
            self.add_error("source", _("This source belongs to another dealer."))
        campaign = cleaned.get("campaign")
        if dealer and campaign and campaign.dealer_id not in (None, dealer.id):
            self.add_error("campaign", _("This campaign belongs to another dealer."))
        return cleaned


class MappingForm(BootstrapFormMixin, forms.Form):
    """One select per lead field; each column of the file may fill one field at most."""

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— none —"))] + [(str(index), header) for index, header in enumerate(headers)]
        for name, label in FIELD_LABELS.items():
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=name in REQUIRED_FIELDS,
                error_messages={"required": _("Choose the column that holds it: every lead needs one.")},
                help_text=FIELD_HELP.get(name, ""),
            )
            self.fields[name].widget.attrs.update({"class": "form-select", "data-mapping": name})

    def clean(self):
        cleaned = super().clean()
        seen: dict[int, str] = {}
        for name in FIELD_LABELS:
            column = cleaned.get(name)
            if column is None:
                continue
            if column in seen:
                self.add_error(
                    name,
                    _("This column already fills “%(field)s”: a column may be used once.")
                    % {"field": FIELD_LABELS[seen[column]]},
                )
            else:
                seen[column] = name
        if "phone" not in self.errors and cleaned.get("phone") is None and cleaned.get("email") is None:
            # Every lead must be contactable: the list needs a phone column, an email column, or both.
            self.add_error("phone", _("Choose the phone column or the email column: every lead needs one of them."))
        return cleaned

    def mapping(self) -> dict[str, int | None]:
        return {name: self.cleaned_data.get(name) for name in FIELD_LABELS}
