"""Templates rendered by the suite fail on a variable that does not resolve, as production never shows.

Production keeps Django's default `string_if_invalid = ""`: a missing variable prints nothing. A test
that renders `{{ lead.owner.username }}` for a lead without an owner therefore passes while the page
shows a hole (or, when the missing value is a filter's argument, answers 500 only in production data).

The usual trick, a value with `"%s" in it` whose `%` raises, breaks too much: Django then skips the
filters of a missing variable, so `{{ x.missing|default:"—" }}` would fail although it is exactly how a
template says "this may be missing". This value is instead an EMPTY string, so Django takes the branch it
takes in production (it applies the filters to ""): `default`, `date`, `length`, `yesno`, `{% if %}`,
`{% for %}` and `{% firstof %}` behave as in production. Only turning the missing value into text raises:
printing it (`{{ missing }}`, `{% blocktranslate with x=missing %}`), a string filter (`|upper`), or a URL
argument. Django's own templates and other packages' (the admin, DRF's browsable API) rely on the silence,
by their documentation, so in a template outside this project the value prints "" as in production.
"""

import sys
import sysconfig
from pathlib import Path

_INSTALLED_PACKAGES = tuple(
    str(Path(p).resolve()) for p in {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
)


class InvalidTemplateVariable(Exception):
    """A template printed a variable that does not resolve (see tests/strict_templates.py)."""


class RaisingEmptyString(str):
    """`string_if_invalid` for the suite: falsy and empty like production's, raising when printed."""

    def __new__(cls):
        return super().__new__(cls, "")

    def __str__(self) -> str:
        node = _rendering_node()
        if node is None or _is_installed_package(node):
            return ""
        expression = getattr(node, "filter_expression", None)
        shown = expression.token if expression is not None else node.token.contents
        raise InvalidTemplateVariable(
            f"{node.origin.name}, line {node.token.lineno}: {{{{ {shown} }}}} printed a variable that does "
            "not resolve (production would show nothing); guard it with {% if %} or |default"
        )

    def __repr__(self) -> str:
        return "RaisingEmptyString()"

    def __reduce__(self):
        return (RaisingEmptyString, ())


def _rendering_node():
    """The template node being rendered, found on the stack (None outside a template)."""
    from django.template.base import Node

    frame = sys._getframe(2)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Node) and getattr(candidate, "origin", None) is not None:
            return candidate
        frame = frame.f_back
    return None


def _is_installed_package(node) -> bool:
    return str(Path(str(node.origin.name)).resolve()).startswith(_INSTALLED_PACKAGES)
