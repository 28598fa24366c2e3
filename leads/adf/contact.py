"""A prospect's contacts: the name (placeholders left out), phone numbers and email addresses (labels
stripped, best first) and the postal address."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from leads.adf.document import AdfAddress
from leads.adf.text import attribute, child_text, element_text, shorten

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

_PLACEHOLDER_NAMES = frozenset(
    {
        "unknown", "unkown", "n/a", "n.a.", "n.a", "none", "null", "nil", "undefined", "nan",
        "test", "testing", "tester", "demo", "sample", "asdf", "qwerty",
        "-", "--", "---", ".", "..", "...", "?", "x", "xx", "xxx", "tbd", "no name", "noname",
        "not provided", "not given", "not available", "anonymous", "customer", "client", "first name",
        "last name", "firstname", "lastname", "name", "your name", "mr", "mrs", "ms", "sir", "madam",
        "客户", "顾客", "先生/女士", "女士/先生", "先生", "女士", "小姐", "未知", "无", "匿名", "测试",
        "不详", "客户先生", "客户女士", "暂无", "未填", "未填写", "未提供", "姓名", "无名", "空",
    }
)  # fmt: skip
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".\d]{2,}")
_LIST_SEPARATORS = re.compile(r"[;,/]|\s+or\s+|或")
_PHONE_START = re.compile(r"\+?\s*\(?\s*\d")
_PHONE_LABEL = re.compile(r"^[^\d+(]*[^\W\d_][^\d+(]*?[:#]")
# An extension after the number: "ext. 12", "extension 12", "x12", "转12", "分机 12", "#12", ";ext=12"
# (RFC 3966), optionally in brackets. Read on NFKC text, so full-width "＃１２" counts too.
_PHONE_EXTENSION = re.compile(
    r"[\s,;]*\(?\s*(?:(?<![a-z])(?:ext(?:ension)?|x)\.?|;?ext=|转|分机号?|#)\s*[:.]?\s*(\d{1,6})\s*\)?\s*$",
    re.IGNORECASE,
)
_PHONE_TYPE_RANKS = {
    "cellphone": 0,
    "mobile": 0,
    "cell": 0,
    "voice": 1,
    "home": 1,
    "work": 1,
    "pager": 2,
    "fax": 3,
}


# Brackets and quotes around a placeholder do not make it a name: "(none)", "[unknown]", "“N/A”".
_WRAPPING = "()[]{}<>\"'“”‘’「」『』（）【】《》"


def is_placeholder_name(value: str) -> bool:
    """True for what forms put where a name should be ("Unknown", "N/A", "未知", "-", "Test Test"): case,
    full-width letters, surrounding spaces and brackets do not matter. Also used by web-form intake."""
    text = unicodedata.normalize("NFKC", value).casefold().strip()
    if not any(character.isalpha() for character in text):
        return True
    words = [word.strip(_WRAPPING + ".,:;") or word for word in text.strip(_WRAPPING).split()]
    return " ".join(words) in _PLACEHOLDER_NAMES or all(word in _PLACEHOLDER_NAMES for word in words)


def read_name(contact: Element, warnings: list[str]) -> tuple[str, str, str, bool]:
    """(name, first name, last name, is business) of one contact; placeholders count as missing."""
    parts: dict[str, list[str]] = {"first": [], "middle": [], "last": [], "suffix": [], "full": []}
    business_names: list[str] = []
    for name_element in contact.findall("name"):
        value = element_text(name_element)
        if not value:
            continue
        if is_placeholder_name(value):
            warnings.append(_('The placeholder name "%(value)s" was ignored.') % {"value": shorten(value)})
            continue
        part = attribute(name_element, "part")
        if attribute(name_element, "type") == "business" and part in ("full", ""):
            business_names.append(value)
        else:
            parts.get(part, parts["full"]).append(value)
    first_name, middle_name, last_name, suffix, full_name = (
        " ".join(parts[part]) for part in ("first", "middle", "last", "suffix", "full")
    )
    if business_names:
        name = " ".join(business_names)
    elif full_name:
        name = full_name
    elif _CJK.search(first_name + last_name):
        name = last_name + first_name  # Chinese order, family name first, no space
    else:
        name = " ".join(part for part in (first_name, middle_name, last_name, suffix) if part)
    return name, first_name, last_name, bool(business_names)


def read_phones(contacts: list[Element], warnings: list[str]) -> tuple[list[str], dict[str, str]]:
    """Raw numbers, labels and extensions stripped, deduplicated; preferred first, then mobile, voice,
    pager, fax. With them, the extensions found: {number as returned: extension digits}."""
    ranked: list[tuple[int, bool, int, int, str]] = []
    extensions: dict[str, str] = {}  # by the number's digits
    for contact_rank, contact in enumerate(contacts):
        for phone_element in contact.findall("phone"):
            raw = element_text(phone_element)
            if not raw:
                continue
            is_preferred = attribute(phone_element, "preferredcontact") == "1"
            type_rank = _PHONE_TYPE_RANKS.get(attribute(phone_element, "type"), 1)
            pieces = _LIST_SEPARATORS.split(raw)
            # "138… / 139…" holds two numbers; "n/a" or "555-0100, ext 12" holds one.
            if sum(len(re.sub(r"\D", "", piece)) >= 5 for piece in pieces) < 2:
                pieces = [raw]
            for piece in pieces:
                cleaned = _clean_phone(piece)
                if cleaned is None:
                    if piece.strip():
                        warnings.append(
                            _('The phone number "%(value)s" has no usable digits and was dropped.')
                            % {"value": shorten(piece.strip())}
                        )
                    continue
                phone, extension = cleaned
                if extension:
                    extensions.setdefault(re.sub(r"\D", "", phone), extension)
                ranked.append((contact_rank, not is_preferred, type_rank, len(ranked), phone))
    phones: list[str] = []
    phone_extensions: dict[str, str] = {}
    seen_digits: set[str] = set()
    for *_rank, phone in sorted(ranked):
        digits = re.sub(r"\D", "", phone)
        if digits not in seen_digits:
            seen_digits.add(digits)
            phones.append(phone)
            if digits in extensions:
                phone_extensions[phone] = extensions[digits]
    return phones, phone_extensions


def split_phone_extension(raw: str) -> tuple[str, str]:
    """(the number, the extension's digits or "") of a phone number as typed: "021-5888 1001 ext. 12",
    "x12", "转12", "分机 12", "#12", ";ext=12". Also used by web-form intake."""
    text = unicodedata.normalize("NFKC", raw).strip()
    # An extension is at the end: searching only the tail keeps the work linear however long the text.
    found = _PHONE_EXTENSION.search(text, max(0, len(text) - 40))
    # "#12" alone is no number with an extension: the rest must hold a number.
    if found is None or len(re.sub(r"\D", "", text[: found.start()])) < 5:
        return text, ""
    return text[: found.start()].rstrip(), found.group(1)


def _clean_phone(raw: str) -> tuple[str, str] | None:
    """The number as written, without labels around it ("Cell:", "手机：", "(mobile)") and without its
    extension, and the extension's digits ("" when none); None if unusable."""
    text = unicodedata.normalize("NFKC", raw).strip()
    text, extension = split_phone_extension(_PHONE_LABEL.sub("", text, count=1))
    start = _PHONE_START.search(text)
    if start is None:
        return None
    last_digit = max(position for position, character in enumerate(text) if character.isdigit())
    phone = text[start.start() : last_digit + 1].strip()
    if phone.startswith("(") and ")" not in phone:
        phone = phone[1:].strip()
    digits = re.sub(r"\D", "", phone)
    # Fewer than five digits, or one digit repeated (000-000-0000), is a form filled in to get past it.
    if len(digits) < 5 or len(set(digits)) == 1:
        return None
    return phone, extension


def read_emails(contacts: list[Element], warnings: list[str]) -> list[str]:
    """Lower-cased, loosely valid (something@something.tld), deduplicated; preferred first."""
    ranked: list[tuple[int, bool, int, str]] = []
    for contact_rank, contact in enumerate(contacts):
        for email_element in contact.findall("email"):
            is_preferred = attribute(email_element, "preferredcontact") == "1"
            for piece in re.split(r"[;,\s]+", element_text(email_element)):
                email = unicodedata.normalize("NFKC", piece).strip().lower().removeprefix("mailto:")
                if not email:
                    continue
                if not _EMAIL.fullmatch(email):
                    warnings.append(
                        _('The email address "%(value)s" is not valid and was dropped.')
                        % {"value": shorten(piece)}
                    )
                    continue
                ranked.append((contact_rank, not is_preferred, len(ranked), email))
    return list(dict.fromkeys(email for *_rank, email in sorted(ranked)))


def read_address(contact: Element) -> AdfAddress | None:
    address = contact.find("address")
    if address is None:
        return None
    street_lines = sorted(
        address.findall("street"),
        key=lambda street: int(street.get("line", "1")) if street.get("line", "").strip().isdigit() else 1,
    )
    result = AdfAddress(
        address_type=attribute(address, "type"),
        street="\n".join(text for text in map(element_text, street_lines) if text),
        apartment=child_text(address, "apartment"),
        city=child_text(address, "city"),
        regioncode=child_text(address, "regioncode"),
        postalcode=child_text(address, "postalcode"),
        country=child_text(address, "country"),
    )
    if not any(
        (result.street, result.apartment, result.city, result.regioncode, result.postalcode, result.country)
    ):
        return None
    return result
