# ruff: noqa: F811 - `pudong` is tests/leads/test_figures.py's fixture, imported to be used here
"""The dealer page's per-salesperson breakdown (dealers/selectors/people.py over the registry's person
dimension), on the hand-made Pudong leads: each salesperson's share of the follow-up figures, every number linking
to the lead list filtered to that person's rows — the same query, so the same count — and an unassigned line;
and the lost-reason mix shown as one table rather than a card per reason."""

import re
from html import unescape

import pytest
from django.urls import reverse

from crm.core.names import staff_name
from crm.core.scope import network_wide
from crm.network.models import Role
from leads.models import Lead
from tests.factories import staff
from tests.leads.test_figures import FRIDAY, MONDAY, pudong  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def split(pudong):
    """C goes to a second salesperson, D to nobody."""
    other = staff(Role.SALESPERSON, dealer=pudong["dealer"])
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id=pudong["leads"]["C"].id).update(owner=other)
        Lead.objects.filter(id=pudong["leads"]["D"].id).update(owner=None)
    regional = staff(Role.REGIONAL_MANAGER, region=pudong["region"])
    return {**pudong, "other": other, "regional": regional}


def page(client, split) -> str:
    client.force_login(split["regional"])
    query = {"period": "custom", "first_day": FRIDAY.isoformat(), "last_day": MONDAY.isoformat()}
    response = client.get(reverse("dealers:dealer", args=[split["dealer"].id]), query)
    assert response.status_code == 200
    return response.content.decode()


def person_links(html: str, person_id: int) -> list[str]:
    return [unescape(url) for url in re.findall(r'href="([^"]*rows=[^"]*)"', html) if f"owner={person_id}" in unescape(url)]


def test_each_salesperson_gets_their_share_with_links_to_exactly_their_rows(split, client):
    html = page(client, split)
    table = html[html.index("dl-people"):]
    table = table[: table.index("</table>")]
    assert staff_name(split["seller"]) in table and staff_name(split["other"]) in table and "Unassigned" in table
    # The seller (A 25 min, B 3 min) has a 14-minute median; the other (C) 3 h.
    assert "14 min" in table
    for person in (split["seller"], split["other"]):
        links = person_links(table, person.id)
        assert links, staff_name(person)
        for url in links:
            client.force_login(split["regional"])
            listing = client.get(url)
            assert listing.status_code == 200
            rows = listing.context["figure_rows"]
            owners = {lead.owner_id for lead in listing.context["leads"]}
            assert owners <= {person.id}, url
            assert rows.count >= len(listing.context["leads"]) > 0 or rows.count == 0


def test_the_numbers_in_the_table_are_the_counts_behind_the_links(split, client):
    from crm.core import key_figures as kf

    codes = ["leads.first_response_within_sla"]
    with network_wide(reason="test check"):
        totals = kf.person_totals(
            codes=kf.figure_get(codes[0]).measures, dealer_id=split["dealer"].id, first_day=FRIDAY, last_day=MONDAY
        )
    figure = kf.figure_get(codes[0])
    for person in (split["seller"], split["other"]):
        value = figure.combine(totals[person.id])
        client.force_login(split["regional"])
        url = figure.rows_url(split["dealer"].id, FRIDAY, MONDAY, person_id=person.id)
        assert client.get(url).context["figure_rows"].count == value.numerator
    assert figure.combine(totals[None]).denominator == 1  # D, unassigned and never contacted


def test_the_lost_reason_mix_is_one_table_not_a_card_per_reason(split, client):
    html = page(client, split)
    cards = html[html.index('class="dl-figures"'): html.index("Breakdown")]
    assert "Lost: Price" not in cards and "Lost rate" in cards
    breakdown = html[html.index("Breakdown"):]
    breakdown = breakdown[: breakdown.index("</table>")]
    assert "Lost: Price" in breakdown and "Lost: Unreachable" in breakdown
