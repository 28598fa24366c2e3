"""The scorecard figure for `make bench`: a month's scorecard drafts for every active dealer (the first run
creates them, the second finds nothing changed), beside a raw-SQL baseline of one INSERT per dealer in the
same run (the least database work a draft per dealer needs)."""

import time
from decimal import Decimal


def _terms(figures):
    """Every registered scorable figure, weights split to sum to 100, generous targets either way round."""
    from dealers.services.scorecards import KpiTerms

    weights = [100 // len(figures)] * len(figures)
    weights[0] += 100 - sum(weights)
    return [
        KpiTerms(figure.code, weight, Decimal(100), Decimal(0))
        if figure.higher_is_better
        else KpiTerms(figure.code, weight, Decimal(0), Decimal(1000))
        for figure, weight in zip(figures, weights, strict=True)
    ]


def bench_scorecards(*, out) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from crm.core.scope import network_wide, scoped
    from crm.network.access import access_for
    from crm.network.models import Dealer, Role, RoleAssignment
    from dealers.models import Scorecard, ScorecardTemplate
    from dealers.selectors.scorecards import scorable_figures
    from dealers.services.scorecards import (
        TierTerms,
        months_closed,
        scorecards_draft_month,
        template_draft_save,
        template_in_force,
        template_publish,
    )

    month = months_closed()[0]
    with network_wide(reason="bench: scorecards set-up"):
        dealers = Dealer.objects.filter(is_active=True).count()
        admin, _ = get_user_model().objects.get_or_create(username="bench.oem.admin")
        RoleAssignment.objects.get_or_create(user=admin, role=Role.OEM_ADMIN)
        # Drafts of an earlier bench run go; published scorecards are frozen and stay.
        Scorecard.objects.filter(month=month, status=Scorecard.Status.DRAFT).delete()
    figures = scorable_figures()
    out(f"## scorecards: {dealers:,} dealers, {len(figures)} scorable key figures, month {month:%Y-%m}")
    with scoped(access_for(admin).scope):
        if template_in_force() is None or not ScorecardTemplate.objects.filter(name="Bench scorecard").exists():
            template = template_draft_save(by=admin, name="Bench scorecard", kpis=_terms(figures), tiers=TierTerms())
            template_publish(template=template, by=admin)
    for label in ("first draft", "again (nothing changed)"):
        started = time.perf_counter()
        counts = scorecards_draft_month(month=month)
        seconds = time.perf_counter() - started
        out(f"  {label:26}{seconds:9.2f} s  {seconds / max(dealers, 1) * 1000:8.2f} ms/dealer  {counts}")
    with network_wide(reason="bench: baseline"), transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_draft (dealer_id bigint, points numeric) ON COMMIT DROP")
            for dealer_id in Dealer.objects.filter(is_active=True).values_list("id", flat=True):
                cursor.execute("INSERT INTO bench_draft VALUES (%s, %s)", [dealer_id, 50])
        seconds = time.perf_counter() - started
        out(f"  {'baseline: 1 INSERT/dealer':26}{seconds:9.2f} s  {seconds / max(dealers, 1) * 1000:8.2f} ms/dealer")
