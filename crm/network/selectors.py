"""Reads of the network: the dealer overview and a dealer's staff, scoped to the user; the brand model
catalogue and the matcher that maps typed model names to it."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from crm.core.exceptions import NotFound
from crm.network import permissions
from crm.network.access import access_for, dealers_visible
from crm.network.exceptions import DealerChoiceRequired
from crm.network.models import Brand, BrandModel, Dealer, RoleAssignment, TwoFactorDevice


def _count_of(model, **filters):
    """A correlated COUNT(*) per dealer: one query for the whole list, no row multiplication."""
    rows = model.objects.filter(dealer=OuterRef("pk"), **filters).order_by().values("dealer")
    return Coalesce(
        Subquery(rows.annotate(total=Count("*")).values("total"), output_field=IntegerField()), Value(0)
    )


def dealers_overview(*, user) -> QuerySet[Dealer]:
    """Dealers the user oversees (a regional manager's regions, everything for an OEM admin), with their
    active staff and customer counts. Customers are counted through the dealer relationships the user's
    scope lets PostgreSQL show, so the count never reveals more than the user may see."""
    if not access_for(user).can_see_network:
        return Dealer.objects.none()
    # The relationship model lives in a higher app; reach it through the relation, not an import.
    customer_link_model = Dealer._meta.get_field("customer_links").related_model
    return (
        dealers_visible(user)
        .annotate(
            staff_count=_count_of(RoleAssignment, is_active=True),
            customer_count=_count_of(customer_link_model),
        )
        .prefetch_related(Prefetch("brands", queryset=Brand.objects.order_by("name")))
        .order_by("region__name", "code")
    )


def dealer_for_staff_page(*, user, dealer_id: int) -> tuple[Dealer, bool]:
    """The dealer and whether the user may change its staff. Dealer admins of the dealer and OEM admins
    manage; regional managers over its region read; anyone else gets NotFound."""
    access = access_for(user)
    can_manage = permissions.can_manage_dealer_staff(access, dealer_id)
    can_read = permissions.can_read_dealer_staff(access, dealer_id)
    dealer = Dealer.objects.select_related("region").filter(id=dealer_id).first() if can_read else None
    if dealer is None:
        raise NotFound()
    return dealer, can_manage


def dealer_staff(*, dealer: Dealer) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.filter(dealer=dealer)
        .select_related("user")
        # Shown beside each person, and offered to reset by whoever may (crm/network/two_factor).
        .annotate(has_two_factor=Exists(TwoFactorDevice.objects.filter(user=OuterRef("user_id"))))
        .order_by("-is_active", "user__first_name", "user__last_name", "user__username", "role")
    )


def staff_assignment_get(*, user, dealer: Dealer, assignment_id: int) -> RoleAssignment:
    assignment = dealer_staff(dealer=dealer).filter(id=assignment_id).first()
    if assignment is None:
        raise NotFound()
    return assignment


ACTING_DEALER_SESSION_KEY = "acting_dealer_id"


def acting_dealer(*, user, roles, wanted=None) -> Dealer:
    """The dealer a user acts for when an action needs one of `roles` there — one rule for the browser and
    the API: the dealer named (`wanted`, an id from a form field, a query parameter or an API field), else
    the only dealer where the user holds such a role.

    Raises NotFound when the user holds none of `roles` anywhere, or names a dealer where they do not
    (missing and not yours look the same); DealerChoiceRequired, listing the choices, when the user holds
    them at several dealers and named none.
    """
    dealer_ids = access_for(user).dealers_where(*roles)
    if wanted not in (None, ""):
        try:
            wanted_id = int(wanted)
        except (TypeError, ValueError):
            raise NotFound() from None
        dealer_ids = dealer_ids & {wanted_id}
    if not dealer_ids:
        raise NotFound()
    if len(dealer_ids) > 1:
        choices = Dealer.objects.filter(id__in=dealer_ids).order_by("code").values("id", "code", "name")
        raise DealerChoiceRequired(extra={"choices": list(choices)})
    dealer = Dealer.objects.select_related("region").filter(id=next(iter(dealer_ids))).first()
    if dealer is None:
        raise NotFound()
    return dealer


def acting_dealer_for_request(request, *, roles) -> Dealer:
    """`acting_dealer` for a page: the dealer named by the request's `dealer` field or parameter, else the
    one the user chose in the header (remembered in the session) when it fits `roles`, else the only one.
    A user of several dealers who chose none is asked (DealerChoiceRequired), never given the first."""
    wanted = request.POST.get("dealer") or request.GET.get("dealer")
    if not wanted:
        remembered = request.session.get(ACTING_DEALER_SESSION_KEY)
        if remembered in access_for(request.user).dealers_where(*roles):
            wanted = remembered
    return acting_dealer(user=request.user, roles=roles, wanted=wanted)


def dealers_worked_at(*, user) -> list[Dealer]:
    """Every dealer where the user holds a dealer role: the header's dealer switcher when there are several."""
    dealer_ids = access_for(user).dealer_ids
    return list(Dealer.objects.filter(id__in=dealer_ids).order_by("code")) if len(dealer_ids) > 1 else []
# --- The brand model catalogue ----------------------------------------------------------------------------


def brand_models_for_dealer(*, dealer_id: int) -> QuerySet[BrandModel]:
    """The models on sale of the brands the dealer sells, with their brand: the OEM's own brand first,
    then by brand name and catalogue position. The catalogue is the OEM's, not secret: no user scope."""
    return (
        BrandModel.objects.filter(brand__dealers=dealer_id, is_active=True)
        .select_related("brand")
        .order_by("-brand__is_oem_brand", "brand__name", "position", "code")
    )


@dataclass(frozen=True)
class ModelMatch:
    """What `model_match` made of a text: the catalogue model, or None when nothing matched."""

    text: str  # as typed, whitespace collapsed
    model: BrandModel | None

    @property
    def is_matched(self) -> bool:
        return self.model is not None

    @property
    def value(self) -> str:
        """What a lead records: the model's code, else the text as typed (never dropped)."""
        return self.model.code if self.model is not None else self.text


# Ignored when comparing: spaces, and the hyphens and dots people put inside model names ("EV-7", "X.5").
_MODEL_NAME_NOISE = re.compile(r"[\s\-_.·・]+")


def _model_key(text: str) -> str:
    """Full-width to half-width (NFKC), case-folded, without spaces or joining punctuation."""
    return _MODEL_NAME_NOISE.sub("", unicodedata.normalize("NFKC", text).casefold())


def model_match(*, text: str, models: Iterable[BrandModel]) -> ModelMatch:
    """The catalogue model `text` names, among `models` (each with its brand loaded). Pure: no queries.

    Case, full-width characters, spaces and hyphens do not matter; a leading brand (its code, name or one
    of its other names: "Aurora A6", "AURORA a6", "奥瑞 A6") is stripped, and then only that brand's
    models count; a model's other names count as its code. When a bare name fits models of several
    brands, the first in `models` wins (brand_models_for_dealer lists the OEM's own brand first). Text
    that names no model is returned as typed, unmatched."""
    typed = " ".join(text.split())
    key = _model_key(typed)
    if not key:
        return ModelMatch(text=typed, model=None)
    candidates = [(model, _names_of(model)) for model in models]
    for model, names in candidates:
        if key in names:
            return ModelMatch(text=typed, model=model)
    for model, names in candidates:
        for brand_name in _names_of(model.brand):
            if key.startswith(brand_name) and key[len(brand_name) :] in names:
                return ModelMatch(text=typed, model=model)
    return ModelMatch(text=typed, model=None)


# A bilingual name ("Aurora Motors 奥瑞汽车") is also matched by each of its languages alone.
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CHINESE_OR_NOT = re.compile(f"[{_HAN}]+|[^{_HAN}]+")


def _names_of(item: BrandModel | Brand) -> set[str]:
    names = [item.code, item.name, *_CHINESE_OR_NOT.findall(item.name), *item.aliases]
    return {_model_key(name) for name in names} - {""}


def models_match(*, texts: Iterable[str], models: Iterable[BrandModel]) -> list[ModelMatch]:
    """`model_match` for each text, in order."""
    models = list(models)
    return [model_match(text=text, models=models) for text in texts]
