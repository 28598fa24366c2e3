"""A stored code reads as its choice's label in the reader's language, from Python and from templates."""

from django.template import Context, Template
from django.utils import translation

from crm.core.choices import choice_label


def test_a_code_reads_as_its_label_in_each_language():
    with translation.override("en"):
        assert choice_label("customers.Consent", "status", "opt_in") == "Opted in"
        assert choice_label("leads.LeadSource", "channel", "web_form") == "Web form"
    with translation.override("zh-hans"):
        assert choice_label("customers.Consent", "status", "opt_in") not in ("opt_in", "Opted in")


def test_an_unknown_code_is_shown_as_it_is_and_an_empty_one_as_nothing():
    assert choice_label("customers.CustomerDealer", "reason", "retired") == "retired"
    assert choice_label("customers.CustomerDealer", "reason", "") == ""
    assert choice_label("customers.CustomerDealer", "reason", None) == ""


def test_the_template_filter_names_model_and_field():
    page = Template('{% load display %}{{ code|choice_label:"customers.CustomerDealer.reason" }}')
    with translation.override("en"):
        assert page.render(Context({"code": "manual"})) == "Recorded by staff"
