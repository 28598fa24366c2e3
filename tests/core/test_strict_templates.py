"""The suite renders templates strictly (tests/strict_templates.py) without changing what a page shows."""

import pytest
from django.conf import settings
from django.template import engines

from tests.strict_templates import InvalidTemplateVariable


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


class Lead:
    owner = None
    stage = "new"


def test_printing_a_variable_that_does_not_resolve_fails_the_test():
    with pytest.raises(InvalidTemplateVariable, match=r"lead.owner.username"):
        render("<p>{{ lead.owner.username }}</p>", lead=Lead())


def test_a_missing_value_through_a_string_filter_or_blocktranslate_fails_too():
    with pytest.raises(InvalidTemplateVariable):
        render("{{ lead.missing|upper }}", lead=Lead())
    with pytest.raises(InvalidTemplateVariable):
        render(
            "{% load i18n %}{% blocktranslate with name=lead.missing %}by {{ name }}{% endblocktranslate %}",
            lead=Lead(),
        )


def test_default_if_and_for_behave_as_in_production():
    source = (
        "{{ lead.owner.username|default:'nobody' }}|{% if lead.owner.username %}yes{% else %}no{% endif %}|"
        "{% for x in lead.missing %}{{ x }}{% empty %}none{% endfor %}|{{ lead.missing|length }}|"
        "{{ lead.missing|date:'Y' }}|{% firstof lead.missing lead.stage %}"
    )
    assert render(source, lead=Lead()) == "nobody|no|none|0||new"


def test_templates_of_installed_packages_keep_their_documented_silence():
    # The admin's and DRF's templates print optional variables on purpose; that is their contract.
    html = engines["django"].get_template("admin/popup_response.html").render({})
    assert 'data-popup-response=""' in html


def test_production_settings_keep_the_default_silence():
    import crm.settings

    assert crm.settings.TEMPLATES[0]["OPTIONS"].get("string_if_invalid", "") == ""
    assert settings.TEMPLATES[0]["OPTIONS"]["string_if_invalid"] == ""
