"""Templates with {{ placeholders }}: a fixed vocabulary, never Django's template language (a template is
written by staff and rendered for customers, so it may only name data, never run code).

Anything that looks like a placeholder is either one of the vocabulary, written exactly as listed (spaces
inside the braces are free), or refused: `placeholder_problems` names each other `{{ … }}` and each
unmatched `{{` or `}}` when a template is saved, and `render` refuses them again for each recipient, so
literal braces never reach a customer. `render` also raises PlaceholderMissing when a named value is
empty, so a customer never gets a message with a blank.
"""

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.messaging.exceptions import PlaceholderMissing, PlaceholderUnknown
from crm.messaging.models import MessageTemplate, Purpose
from crm.messaging.services.links import unsubscribe_url

# Anything from "{{" to the nearest "}}"; what is inside decides whether it is a placeholder of ours.
BRACED = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
NAME = re.compile(r"\s*([a-z_]+\.[a-z_]+)\s*")
# Placeholders whose value is a web address: a link in the HTML part of an email.
LINKS = frozenset({"link.unsubscribe", "occasion.link"})
# How much of the text around an unmatched brace the error quotes.
QUOTE_LENGTH = 24

# name → (what it is, sample value shown in the editor's help)
VOCABULARY: dict[str, tuple] = {
    "customer.name": (_("the customer's name"), "王伟"),
    "customer.city": (_("the customer's city"), "上海"),
    "vehicle.model": (_("the model of the customer's latest car"), "Model 3"),
    "vehicle.plate": (_("its number plate"), "沪A12345"),
    "vehicle.vin_tail": (_("the last 6 characters of its VIN"), "123456"),
    "vehicle.purchase_date": (_("its purchase date"), "2025-06-01"),
    "dealer.name": (_("the dealer's name"), "Shanghai Pudong 4S"),
    "dealer.phone": (_("the dealer's phone"), "021 5555 0100"),
    "dealer.address": (_("the dealer's address"), "88 Century Avenue"),
    "salesperson.name": (_("the customer's salesperson"), "李娜"),
    "salesperson.phone": (_("the salesperson's phone"), "138 0000 0000"),
    "link.unsubscribe": (_("one-click unsubscribe link (email)"), "https://…/m/u/…"),
    # Free values a care trigger or a reminder passes (e.g. maintenance due date, lead link).
    "occasion.date": (_("the occasion's date"), "2026-12-01"),
    "occasion.link": (_("a link for the occasion"), "https://…"),
}


def placeholders_in(*texts: str) -> list[str]:
    """The vocabulary's placeholders the texts use, in order of first use."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in BRACED.finditer(text or ""):
            name = _known_name(match.group(1))
            if name is not None:
                seen.setdefault(name)
    return list(seen)


def _known_name(inside: str) -> str | None:
    match = NAME.fullmatch(inside)
    return match.group(1) if match and match.group(1) in VOCABULARY else None


@dataclass(frozen=True)
class PlaceholderProblem:
    """Something in a template that looks like a placeholder and is none: as written, and what to do."""

    text: str
    suggestion: str = ""
    unmatched: str = ""  # "{{" or "}}" when a brace has no partner

    def describe(self) -> str:
        if self.unmatched == "{{":
            return gettext("“%(text)s” has no closing “}}”") % {"text": self.text}
        if self.unmatched == "}}":
            return gettext("“%(text)s” has no opening “{{”") % {"text": self.text}
        if self.suggestion:
            return gettext("“%(text)s” (did you mean {{ %(name)s }}?)") % {
                "text": self.text,
                "name": self.suggestion,
            }
        return f"“{self.text}”"


def placeholder_problems(*texts: str) -> list[PlaceholderProblem]:
    """Everything in the texts that looks like a placeholder and is not one of the vocabulary: each other
    `{{ … }}` (a capital, a digit, a hyphen, a name we do not have), and each unmatched `{{` or `}}`."""
    problems: dict[str, PlaceholderProblem] = {}
    for text in texts:
        text = text or ""
        outside = []  # (start, end) of the stretches between pairs
        position = 0
        for match in BRACED.finditer(text):
            outside.append((position, match.start()))
            position = match.end()
            if _known_name(match.group(1)) is None:
                written = " ".join(match.group(0).split())
                problems.setdefault(written, PlaceholderProblem(written, _suggestion(match.group(1))))
        outside.append((position, len(text)))
        # A brace left over once every pair is taken out has no partner; quote it with its neighbours.
        for start, end in outside:
            for match in re.finditer(r"\{\{|\}\}", text[start:end]):
                at, until = start + match.start(), start + match.end()
                if match.group(0) == "{{":
                    quoted = text[at : at + QUOTE_LENGTH].split("\n")[0].rstrip()
                else:
                    quoted = text[max(0, until - QUOTE_LENGTH) : until].split("\n")[-1].lstrip()
                problems.setdefault(quoted, PlaceholderProblem(quoted, unmatched=match.group(0)))
    return list(problems.values())


def _suggestion(inside: str) -> str:
    """The vocabulary name someone most likely meant: the same letters in lower case, else a close one."""
    guess = re.sub(r"\s+", "", inside).lower().replace("-", "_")
    if guess in VOCABULARY:
        return guess
    close = difflib.get_close_matches(guess, VOCABULARY, n=1, cutoff=0.6)
    return close[0] if close else ""


def placeholders_refuse(*texts: str, field: str = "") -> None:
    """Raise PlaceholderUnknown naming every problem in the texts (shown on `field` in a form)."""
    problems = placeholder_problems(*texts)
    if problems:
        raise PlaceholderUnknown(
            names=[problem.text for problem in problems],
            described=[problem.describe() for problem in problems],
            field=field,
        )


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str


def render(*, subject: str, body: str, values: Mapping[str, str], html: bool) -> Rendered:
    """Fill every placeholder from `values` ({"customer.name": "…"}). Anything that only looks like a
    placeholder is PlaceholderUnknown; a missing or empty value is PlaceholderMissing naming all such
    placeholders, so a preview shows everything wrong at once. In the HTML part a link placeholder is a
    link."""
    placeholders_refuse(subject, body)
    names = placeholders_in(subject, body)
    missing = [name for name in names if not str(values.get(name) or "").strip()]
    if missing:
        raise PlaceholderMissing(names=missing)

    def fill(text: str, *, as_html: bool) -> str:
        def one(match: re.Match) -> str:
            name = _known_name(match.group(1))
            value = str(values[name])
            if not as_html:
                return value
            if name in LINKS and value.startswith(("https://", "http://")):
                return f'<a href="{escape(value)}">{escape(value)}</a>'
            return escape(value)

        return BRACED.sub(one, text)

    body_text = fill(body, as_html=False)
    body_html = ""
    if html:
        paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
        # Escaping the template's own text leaves the braces alone, so the placeholders are still found.
        body_html = "".join(
            "<p>" + fill(escape(p, quote=False), as_html=True).replace("\n", "<br>") + "</p>"
            for p in paragraphs
        )
    return Rendered(subject=fill(subject, as_html=False).strip(), body_text=body_text, body_html=body_html)


def sms_parts(text: str) -> int:
    """How many SMS a text costs: 160/153 characters in GSM-7, 70/67 when it needs UCS-2 (Chinese)."""
    if not text:
        return 0
    single, multi = (160, 153) if all(ord(ch) < 128 for ch in text) else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // multi)


def message_render(
    *,
    template: MessageTemplate,
    language: str,
    values: dict,
    idempotency_key: str,
    channel: str,
    purpose: str,
) -> tuple[str, str, str]:
    """(subject, text, html) of `template` for one recipient. A marketing email always carries its
    one-click unsubscribe link, in the body when the template does not place it itself."""
    values = dict(values)
    subject, body = template.texts(language)
    if channel == "email" and purpose == Purpose.MARKETING:
        values["link.unsubscribe"] = unsubscribe_url(idempotency_key)
        if "link.unsubscribe" not in body:
            with translation.override(language):
                body = (
                    body.rstrip()
                    + "\n\n"
                    + gettext("Unsubscribe: %(link)s") % {"link": "{{ link.unsubscribe }}"}
                )
    rendered = render(subject=subject, body=body, values=values, html=channel == "email")
    return rendered.subject, rendered.body_text, rendered.body_html
