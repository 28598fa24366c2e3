"""Templates with {{ placeholders }}: a fixed vocabulary, never Django's template language (a template is
written by staff and rendered for customers, so it may only name data, never run code).

`placeholders_unknown` checks a template when it is saved; `render` fills it for one recipient and
raises PlaceholderMissing when a named value is empty, so a customer never gets a message with a blank.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.messaging.exceptions import PlaceholderMissing
from crm.messaging.models import MessageTemplate, Purpose
from crm.messaging.services.links import unsubscribe_url

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z_]+)?)\s*\}\}")

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
    seen: dict[str, None] = {}
    for text in texts:
        for match in PLACEHOLDER.finditer(text or ""):
            seen.setdefault(match.group(1))
    return list(seen)


def placeholders_unknown(*texts: str) -> list[str]:
    return [name for name in placeholders_in(*texts) if name not in VOCABULARY]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str


def render(*, subject: str, body: str, values: Mapping[str, str], html: bool) -> Rendered:
    """Fill every placeholder from `values` ({"customer.name": "…"}); a missing or empty one is an error
    naming all such placeholders, so a preview shows everything wrong at once."""
    names = placeholders_in(subject, body)
    missing = [name for name in names if not str(values.get(name) or "").strip()]
    if missing:
        raise PlaceholderMissing(names=missing)

    def fill(text: str, escape_values: bool) -> str:
        def one(match: re.Match) -> str:
            value = str(values[match.group(1)])
            return escape(value) if escape_values else value

        return PLACEHOLDER.sub(one, text)

    body_text = fill(body, False)
    body_html = ""
    if html:
        paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
        body_html = "".join(
            "<p>" + fill(escape(p, quote=False), True).replace("\n", "<br>") + "</p>" for p in paragraphs
        )
    return Rendered(subject=fill(subject, False).strip(), body_text=body_text, body_html=body_html)


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
