"""Names read in their own order everywhere: Chinese family name first with no space, Western given name
first; an empty name falls back to the username (staff) or "(no name)" (customers)."""

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.utils import translation

from crm.core.names import customer_name, display_name, person_name, reading_order, staff_name


def user(first="", last="", username="lihua"):
    return get_user_model()(first_name=first, last_name=last, username=username)


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        ("伟", "张", "张伟"),
        ("建林", "王", "王建林"),
        ("明", "欧阳", "欧阳明"),
        ("Grace", "Huang", "Grace Huang"),
        ("Grace", "", "Grace"),
        ("", "张", "张"),
        ("  伟 ", " 张", "张伟"),
        ("민준", "김", "김민준"),
        ("", "", ""),
    ],
)
def test_a_name_reads_family_first_without_a_space_only_when_it_is_east_asian(given, family, expected):
    assert person_name(given=given, family=family) == expected


def test_a_staff_member_without_a_name_is_shown_by_username():
    assert staff_name(user(username="sales.sh")) == "sales.sh"
    assert staff_name(user("伟", "张")) == "张伟"
    assert staff_name(None) == ""


def test_a_customer_without_a_name_reads_no_name_in_the_readers_language():
    nameless = SimpleNamespace(name="  ")
    with translation.override("en"):
        assert customer_name(nameless) == "(no name)"
    with translation.override("zh-hans"):
        assert customer_name(nameless) == "（未留姓名）"
    assert customer_name(SimpleNamespace(name="王小明")) == "王小明"
    assert customer_name(None) == ""


def test_display_name_tells_staff_from_customers():
    assert display_name(user("Lily", "Chen")) == "Lily Chen"
    assert display_name(SimpleNamespace(name="Grace Huang")) == "Grace Huang"
    assert display_name(None) == ""


def test_names_stored_given_name_first_are_put_in_reading_order():
    assert reading_order("伟 张") == "张伟"
    assert reading_order("Lily Chen") == "Lily Chen"
    assert reading_order("张伟") == "张伟"


def test_the_template_filter_shows_the_same_name_as_python():
    template = Template(
        "{% load display %}{{ owner|display_name }}|{{ customer|display_name }}|{{ nobody|display_name }}"
    )
    rendered = template.render(
        Context({"owner": user("伟", "张"), "customer": SimpleNamespace(name=""), "nobody": None})
    )
    assert rendered == "张伟|(no name)|"


def test_no_template_or_module_builds_a_name_from_get_full_name():
    """get_full_name joins "given family" with a space: "伟 张". Names have one home, crm.core.names."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for folder in ("crm", "leads", "service", "loyalty", "dealers", "templates")
        for path in (root / folder).rglob("*")
        if path.suffix in {".py", ".html", ".txt"}
        and path.name != "names.py"
        and "get_full_name" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
