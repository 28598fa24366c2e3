"""The owner club's pages: members, a member's page (tier, balance, points expiring soon, pending points,
history), the monthly statement with its export, sign-up at the dealer, and the OEM's earn rules and tiers."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.http import (
    SPREADSHEET_TYPES,
    redirect_back,
    refuse_spreadsheet_format,
    service_call,
    spreadsheet_response,
)
from crm.customers.models import Customer
from crm.network.models import NETWORK_ROLES, Dealer, RoleAssignment
from loyalty.forms import AdjustForm, EarnCampaignForm, EnrolForm, ProgrammeForm, TierForm
from loyalty.models import EarnCampaign, Member, Tier
from loyalty.permissions import (
    APPROVER_ROLES,
    can_approve_adjustment,
    can_configure_programme,
    can_enrol,
    can_read_loyalty,
    can_redeem,
    require,
)
from loyalty.selectors.club import add_months, members_for, programme_current, tiers_all
from loyalty.selectors.ledger import balance_of, expiring_within, history_of, lots_expiring, pending_of
from loyalty.selectors.reports import parse_month, statement_for
from loyalty.services.club import (
    earn_campaign_create,
    member_enrol,
    programme_update,
    qualifying_points,
    tier_update,
)
from loyalty.services.ledger import points_adjust
from service.models import RepairOrder

EXPIRING_DAYS = 90


def _reader(request) -> None:
    if not can_read_loyalty(request.access):
        raise Http404


def _member(request, member_id: int) -> Member:
    _reader(request)
    member = Member.objects.select_related("customer", "home_dealer", "tier").filter(id=member_id).first()
    if member is None:
        raise Http404
    return member


def enrol_dealer(request, customer) -> Dealer | None:
    """The dealer the user signs the customer up at: one of the user's dealers that knows the customer."""
    mine = request.access.dealer_ids
    for link in customer.dealer_links.select_related("dealer").order_by("first_seen_at"):
        if link.dealer_id in mine and can_enrol(request.access, link.dealer_id):
            return link.dealer
    return None


def redeemable_repair_orders(request, customer) -> list:
    """The customer's open repair orders at dealers where the viewer may redeem points (a link each)."""
    open_orders = RepairOrder.objects.filter(
        customer=customer, status__in=[RepairOrder.Status.OPEN, RepairOrder.Status.IN_PROGRESS, RepairOrder.Status.READY]
    ).order_by("-opened_at")[:5]
    return [order for order in open_orders if can_redeem(request.access, order.dealer_id)]


def tier_progress(member: Member) -> dict:
    today = timezone.localdate()
    points = qualifying_points(member=member, today=today)
    tiers = tiers_all()
    higher = [tier for tier in tiers if tier.qualifying_points > points]
    next_tier = higher[0] if higher else None
    return {
        "qualifying": points,
        "next_tier": next_tier,
        "to_next": (next_tier.qualifying_points - points) if next_tier else 0,
    }


def member_summary(member: Member) -> dict:
    return {
        "member": member,
        "balance": balance_of(member=member),
        "pending": pending_of(member=member),
        "expiring": expiring_within(member=member, days=EXPIRING_DAYS),
        "expiring_days": EXPIRING_DAYS,
        **tier_progress(member),
    }


@login_required
@require_GET
def member_list(request):
    _reader(request)
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(members_for(access=request.access, query=query), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "loyalty/members.html",
        {"page": page, "members": list(page.object_list), "q": query, "query": f"q={query}" if query else ""},
    )


@login_required
@require_GET
def member_detail(request, member_id: int):
    member = _member(request, member_id)
    page = Paginator(history_of(member=member), 50).get_page(request.GET.get("page"))
    this_month = timezone.localdate().replace(day=1)
    months = [add_months(this_month, -offset) for offset in range(12)]
    return render(
        request,
        "loyalty/member.html",
        {
            **member_summary(member),
            "may_adjust": adjusting_dealer(request, member)[0],
            "lots": list(lots_expiring(member=member, days=EXPIRING_DAYS)),
            "page": page,
            "entries": list(page.object_list),
            "months": months,
        },
    )


@login_required
@require_GET
def member_statement(request, member_id: int):
    member = _member(request, member_id)
    month = parse_month(request.GET.get("month"), default=timezone.localdate())
    statement = statement_for(member=member, month=month)
    file_format = request.GET.get("format", "")
    if not file_format:
        return render(
            request,
            "loyalty/statement.html",
            {"statement": statement, "member": member, "previous": add_months(month, -1), "next": add_months(month, 1)},
        )
    if file_format not in SPREADSHEET_TYPES:
        return refuse_spreadsheet_format()
    headers = [_("Date"), _("Kind"), _("Source"), _("Dealer"), _("Points"), _("Reason")]
    rows = [
        [
            timezone.localtime(entry.occurred_at),
            entry.get_kind_display(),
            entry.get_source_display(),
            entry.dealer.name if entry.dealer else "",
            entry.points,
            entry.reason,
        ]
        for entry in statement.entries
    ]
    rows.insert(0, ["", _("Opening balance"), "", "", statement.opening, ""])
    rows.append(["", _("Closing balance"), "", "", statement.closing, ""])
    return spreadsheet_response(
        file_format, headers, rows, name=f"statement-{member.number}-{month:%Y-%m}", sheet_title=f"{month:%Y-%m}",
        stamped=False,
    )


@login_required
@require_POST
def member_enrol_view(request, customer_id: int):
    _reader(request)
    customer = Customer.objects.filter(id=customer_id).first()
    if customer is None:
        raise Http404
    dealer = enrol_dealer(request, customer)
    if dealer is None:
        raise Http404
    form = EnrolForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["consent"][0])
        return redirect("customers:detail", customer.id)
    member, error = service_call(
        member_enrol, customer=customer, dealer=dealer, by=request.user, has_consent=form.cleaned_data["consent"]
    )
    if error:
        messages.error(request, error.message)
        return redirect("customers:detail", customer.id)
    messages.success(request, _("Welcome to the owner club: member number %(number)s.") % {"number": member.number})
    return redirect("loyalty:member", member.id)


def _programme_page(request, form, tier_forms, status=200, campaign_form=None):
    return render(
        request,
        "loyalty/programme.html",
        {
            "form": form,
            "tier_forms": tier_forms,
            "campaign_form": campaign_form or EarnCampaignForm(),
            "campaigns": list(EarnCampaign.objects.order_by("-starts_on", "id")[:20]),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def programme(request):
    """The OEM admin's earn rules and tiers (one form for the programme, one per tier)."""
    if not can_configure_programme(request.access):
        raise Http404
    current = programme_current()
    tiers = list(Tier.objects.order_by("rank"))
    if request.method == "GET":
        return _programme_page(
            request, ProgrammeForm(instance=current), [TierForm(instance=t, prefix=f"tier-{t.id}") for t in tiers]
        )
    form = ProgrammeForm(request.POST, instance=current)
    tier_forms = [TierForm(request.POST, instance=t, prefix=f"tier-{t.id}") for t in tiers]
    if not (form.is_valid() and all(f.is_valid() for f in tier_forms)):
        return _programme_page(request, form, tier_forms, status=400)
    require(can_configure_programme(request.access))
    _saved, error = service_call(
        programme_update, form=form, by=request.user, **{name: form.cleaned_data[name] for name in form.Meta.fields}
    )
    if error:
        return _programme_page(request, form, tier_forms, status=400)
    for tier_form in tier_forms:
        service_call(
            tier_update,
            tier=tier_form.instance,
            by=request.user,
            **{name: tier_form.cleaned_data[name] for name in TierForm.Meta.fields},
        )
    messages.success(request, _("Earn rules and tiers saved."))
    return redirect_back(request, "loyalty:programme")



@login_required
@require_POST
def campaign_add(request):
    if not can_configure_programme(request.access):
        raise Http404
    form = EarnCampaignForm(request.POST)
    if form.is_valid():
        _campaign, error = service_call(earn_campaign_create, form=form, by=request.user, **form.cleaned_data)
        if error is None:
            messages.success(request, _("Campaign saved."))
            return redirect("loyalty:programme")
    tiers = list(Tier.objects.order_by("rank"))
    return _programme_page(
        request,
        ProgrammeForm(instance=programme_current()),
        [TierForm(instance=t, prefix=f"tier-{t.id}") for t in tiers],
        status=400,
        campaign_form=form,
    )


def adjusting_dealer(request, member: Member) -> tuple[bool, Dealer | None]:
    """(may approve, the dealer the adjustment is booked at): the member's home dealer when the user approves
    there, else the user's first dealer where they approve; None for the OEM admin (an OEM adjustment)."""
    access = request.access
    if can_approve_adjustment(access, member.home_dealer_id) and member.home_dealer_id in access.dealer_ids:
        return True, member.home_dealer
    for dealer_id in sorted(access.dealers_where(*APPROVER_ROLES)):
        return True, Dealer.objects.get(id=dealer_id)
    if can_approve_adjustment(access, None):
        return True, None
    return False, None


def adjust_people(request, dealer: Dealer | None):
    """Who may have asked for the adjustment: the dealer's active staff (the OEM's for an OEM adjustment),
    never the approver."""
    assignments = RoleAssignment.objects.filter(is_active=True)
    assignments = (
        assignments.filter(dealer=dealer) if dealer is not None else assignments.filter(role__in=sorted(NETWORK_ROLES))
    )
    return (
        get_user_model()
        .objects.filter(id__in=assignments.values("user_id"), is_active=True)
        .exclude(id=request.user.id)
        .order_by("username")
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_adjust(request, member_id: int):
    member = _member(request, member_id)
    may_approve, dealer = adjusting_dealer(request, member)
    if not may_approve:
        raise Http404
    form = AdjustForm(request.POST or None, people=adjust_people(request, dealer))
    if request.method == "POST" and form.is_valid():
        _entry, error = service_call(
            points_adjust,
            form=form,
            member=member,
            points=form.cleaned_data["points"],
            reason=form.cleaned_data["reason"],
            approver=request.user,
            by=form.cleaned_data["requested_by"],
            dealer=dealer,
            idempotency_key=f"adjust:{member.id}:{form.cleaned_data['request_key']}",
        )
        if error is None:
            messages.success(request, _("Adjustment recorded."))
            return redirect("loyalty:member", member.id)
    return render(
        request,
        "loyalty/adjust.html",
        {"member": member, "dealer": dealer, "form": form, "balance": balance_of(member=member)},
        status=400 if request.method == "POST" else 200,
    )
