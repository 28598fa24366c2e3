"""How a person's name reads, on every page, export, message and timeline entry: the one home of the rule.

Chinese (and other East Asian) names read family name first with no space ("张伟"); Western names read
given name first ("Grace Huang"). Staff type their names in two fields (`first_name` is the given name,
`last_name` the family name, as the staff form labels them), so the order is decided here, from the script
of the name, never by whoever happens to print it. Customers have one name field, typed as the person
writes it, so it is shown as typed; an empty one reads "(no name)" in the reader's language.
"""

import re

from django.utils.translation import gettext

# CJK radicals, kana, bopomofo, the unified ideographs (with extension A and the compatibility block), Hangul
# syllables, and the supplementary ideograph planes.
_EAST_ASIAN = re.compile(
    "[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)
# A name written by the old "given family" join: two East Asian words with a space between them.
_GIVEN_SPACE_FAMILY = re.compile(rf"^({_EAST_ASIAN.pattern}+)\s+({_EAST_ASIAN.pattern}+)$")


def is_east_asian(text: str) -> bool:
    """True when the text holds a Chinese, Japanese or Korean character."""
    return bool(text) and _EAST_ASIAN.search(text) is not None


def person_name(*, given: str, family: str) -> str:
    """A name from its parts: "张伟" (family first, no space) when either part is East Asian, else
    "Grace Huang". Either part may be empty."""
    given, family = (given or "").strip(), (family or "").strip()
    if is_east_asian(given) or is_east_asian(family):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)


def staff_name(user) -> str:
    """A staff user's name in reading order, else their username; "" for no user."""
    if user is None:
        return ""
    return person_name(given=user.first_name, family=user.last_name) or user.get_username()


def customer_name(customer) -> str:
    """A customer's name as typed, else "(no name)" in the reader's language; "" for no customer."""
    if customer is None:
        return ""
    return (customer.name or "").strip() or gettext("(no name)")


def display_name(person) -> str:
    """The name of a staff user or of a customer, whichever `person` is ("" for None).

    Staff users are told apart by `get_username` (every Django user has it), so the core needs no import of
    the customer model."""
    if person is None or person == "":
        return ""
    if hasattr(person, "get_username"):
        return staff_name(person)
    return customer_name(person)


def reading_order(name: str) -> str:
    """A staff name stored before this rule existed, as Django's `get_full_name` joined it ("伟 张"), put
    in reading order ("张伟"). Names without an East Asian part, or without a space, are left as they are.
    Only for names known to come from that join (timeline entries recorded earlier)."""
    match = _GIVEN_SPACE_FAMILY.match((name or "").strip())
    return f"{match.group(2)}{match.group(1)}" if match else name
