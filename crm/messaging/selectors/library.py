"""Reads of the message library (templates, segments, care messages), already scoped to the user.

Who manages what is crm/messaging/permissions.py. A dealer sees its own rows and the OEM's shared
templates; another dealer's rows are missing (NotFound), the same as rows that do not exist.
"""

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import NotFound
from crm.customers.models import Customer
from crm.customers.selectors import customer_search, customers_for_user
from crm.messaging.exceptions import PlaceholderMissing
from crm.messaging.models import CareProgram, Channel, MessageTemplate, Segment
from crm.messaging.permissions import rights_for
from crm.messaging.selectors.recipients import recipient_values
from crm.messaging.selectors.segments import segment_customers
from crm.messaging.services.rendering import VOCABULARY, message_render, placeholder_problems, sms_parts
from crm.network.access import dealers_visible
from crm.network.models import Dealer

SAMPLE_SIZE = 10
PREVIEW_LANGUAGES = (("en", "English"), ("zh-hans", "简体中文"))


def library_is_oem(*, user) -> bool:
    return rights_for(user).sees_everything


def library_dealer_ids(*, user) -> list[int]:
    """Dealers whose messaging the user manages (an OEM admin: every dealer, so not listed here)."""
    return sorted(rights_for(user).managed_dealer_ids)


def library_dealers(*, user) -> list[Dealer]:
    """The dealers the user may pick as the owner of a template, segment or care message."""
    if library_is_oem(user=user):
        return list(dealers_visible(user).filter(is_active=True).order_by("name", "id"))
    ids = library_dealer_ids(user=user)
    return list(Dealer.objects.filter(id__in=ids, is_active=True).order_by("name", "id")) if ids else []


def _owned(queryset: QuerySet, *, user, shared: bool) -> QuerySet:
    """Rows of the dealers the user manages (and, when `shared`, the OEM's rows without a dealer)."""
    if library_is_oem(user=user):
        return queryset
    ids = library_dealer_ids(user=user)
    condition = Q(dealer_id__in=ids)
    if shared:
        condition |= Q(dealer__isnull=True)
    return queryset.filter(condition) if ids else queryset.none()


# Templates --------------------------------------------------------------------------------------------


def templates_for_user(*, user, channel: str = "", text: str = "") -> QuerySet[MessageTemplate]:
    """The dealer's own templates and the OEM's shared ones (every template for an OEM admin); OEM
    templates first, then by dealer and name."""
    templates = _owned(MessageTemplate.objects.select_related("dealer"), user=user, shared=True)
    if channel:
        templates = templates.filter(channel=channel)
    if text.strip():
        templates = templates.filter(name__icontains=text.strip())
    return templates.order_by(F("dealer_id").asc(nulls_first=True), "name", "id")


def templates_for_owner(*, user, dealer_id: int | None) -> QuerySet[MessageTemplate]:
    """Active templates a row of `dealer_id` may use: the dealer's own and the OEM's (only the OEM's for a
    network row)."""
    owner = Q(dealer__isnull=True) | Q(dealer_id=dealer_id) if dealer_id else Q(dealer__isnull=True)
    return templates_for_user(user=user).filter(owner, is_active=True)


def template_get(*, user, template_id: int) -> MessageTemplate:
    template = templates_for_user(user=user).filter(id=template_id).first()
    if template is None:
        raise NotFound()
    return template


# Segments ---------------------------------------------------------------------------------------------


def segments_for_user(*, user) -> QuerySet[Segment]:
    return _owned(Segment.objects.select_related("dealer", "created_by"), user=user, shared=False).order_by(
        "dealer_id", "name", "id"
    )


def segment_get(*, user, segment_id: int) -> Segment:
    segment = segments_for_user(user=user).filter(id=segment_id).first()
    if segment is None:
        raise NotFound()
    return segment


@dataclass(frozen=True)
class SegmentPreview:
    count: int
    sample: list[Customer]


def segment_preview(*, user, filters: dict, dealer_id: int | None) -> SegmentPreview:
    """How many customers the filters select for the segment's owner, and the first few of them, counted
    among the customers the user may see (row-level security applies the same scope again)."""
    customers = segment_customers(filters=filters, dealer_id=dealer_id).filter(
        id__in=customers_for_user(user=user).values("id")
    )
    return SegmentPreview(
        count=customers.count(),
        sample=list(customers.order_by("-id").only("id", "name")[:SAMPLE_SIZE]),
    )


# Care messages ----------------------------------------------------------------------------------------


def care_programs_for_user(*, user) -> QuerySet[CareProgram]:
    return _owned(CareProgram.objects.select_related("dealer", "template"), user=user, shared=False).order_by(
        "dealer_id", "trigger", "id"
    )


def care_program_get(*, user, program_id: int) -> CareProgram:
    program = care_programs_for_user(user=user).filter(id=program_id).first()
    if program is None:
        raise NotFound()
    return program


# Preview ----------------------------------------------------------------------------------------------


def preview_customers(*, user, text: str, limit: int = 8) -> list[Customer]:
    """Customers the user may see, found by phone, plate or name, to preview a template with."""
    if not text.strip():
        return []
    _query, found = customer_search(user=user, text=text, limit=limit)
    return found


def preview_customer_get(*, user, customer_id: int) -> Customer:
    customer = customers_for_user(user=user).filter(id=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


@dataclass(frozen=True)
class MissingValue:
    name: str
    meaning: str


@dataclass(frozen=True)
class PreviewText:
    language: str
    language_name: str
    subject: str = ""
    text: str = ""
    html: str = ""
    sms_parts: int = 0
    characters: int = 0
    is_fallback: bool = False
    missing: tuple[MissingValue, ...] = ()
    error: str = ""


def template_preview(
    *, template: MessageTemplate, customer: Customer, dealer_id: int | None
) -> list[PreviewText]:
    """`template` (saved or not) rendered for `customer` in English and Simplified Chinese, as the customer
    would receive it. A placeholder the customer has no data for is reported by name, never left blank.
    The dealer whose details fill {{ dealer.* }} is `dealer_id`, else the customer's first dealer."""
    problems = placeholder_problems(
        template.subject_en, template.body_en, template.subject_zh, template.body_zh
    )
    unknown = tuple(MissingValue(name=problem.text, meaning=problem.describe()) for problem in problems)
    dealer_id = dealer_id or customer.origin_dealer_id
    values = recipient_values(customers=[customer], dealer_by_customer={customer.id: dealer_id}).get(
        customer.id, {}
    )
    results = []
    for language, language_name in PREVIEW_LANGUAGES:
        own_body = template.body_zh if language.startswith("zh") else template.body_en
        base = {"language": language, "language_name": language_name, "is_fallback": not own_body.strip()}
        if unknown:
            results.append(PreviewText(**base, missing=unknown, error="unknown"))
            continue
        try:
            subject, text, html = message_render(
                template=template,
                language=language,
                values=values,
                idempotency_key=f"preview:{customer.id}",
                channel=template.channel,
                purpose=template.purpose,
            )
        except PlaceholderMissing as error:
            results.append(PreviewText(**base, missing=_meanings(error.names), error="missing"))
            continue
        is_sms = template.channel == Channel.SMS
        results.append(
            PreviewText(
                **base,
                subject=subject if not is_sms else "",
                text=text,
                html=html,
                sms_parts=sms_parts(text) if is_sms else 0,
                characters=len(text),
            )
        )
    return results


def _meanings(names) -> tuple[MissingValue, ...]:
    return tuple(MissingValue(name=name, meaning=str(VOCABULARY.get(name, ("",))[0])) for name in names)


VOCABULARY_GROUPS = {
    "customer": _("Customer"),
    "vehicle": _("Vehicle"),
    "dealer": _("Dealer"),
    "salesperson": _("Salesperson"),
    "link": _("Links"),
    "occasion": _("Occasion"),
}


def placeholder_vocabulary() -> list[dict]:
    """The placeholders a template may use, grouped, with what each means and an example (editor help)."""
    groups: dict[str, dict] = {}
    for name, (meaning, example) in VOCABULARY.items():
        key = name.split(".")[0]
        group = groups.setdefault(key, {"label": VOCABULARY_GROUPS.get(key, key.capitalize()), "items": []})
        group["items"].append({"name": name, "meaning": meaning, "example": example})
    return list(groups.values())
