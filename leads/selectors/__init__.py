"""Every read of the funnel, scoped to the user (row-level security enforces the same again): the scoped
querysets (`scoped`), the reads shaped for one page each (`pages`), and the small lists forms offer
(`reference`). Feature areas (dashboard, imports, call_centre, setup) keep their own selectors beside them."""

from leads.selectors.pages import (
    LIST_PAGE,
    MY_DAY_LIMIT,
    ReturningCustomer,
    SlaClock,
    approvals,
    lead_page,
    leads_list,
    my_day,
    open_leads_of,
    order_get,
    returning_customer,
    sla_clock,
    team_day,
    verdict_get,
    visits_today,
)
from leads.selectors.reference import dealer_models, demo_cars, lead_sources, salespeople
from leads.selectors.scoped import (
    contact_attempts_for_user,
    follow_ups_due,
    follow_ups_for_user,
    lead_get,
    leads_awaiting_first_response,
    leads_for_user,
    lost_verdicts_pending,
    test_drives_today,
    visits_for_user,
)

__all__ = [
    "LIST_PAGE",
    "MY_DAY_LIMIT",
    "ReturningCustomer",
    "SlaClock",
    "approvals",
    "contact_attempts_for_user",
    "dealer_models",
    "demo_cars",
    "follow_ups_due",
    "follow_ups_for_user",
    "lead_get",
    "lead_page",
    "lead_sources",
    "leads_awaiting_first_response",
    "leads_for_user",
    "leads_list",
    "lost_verdicts_pending",
    "my_day",
    "open_leads_of",
    "order_get",
    "returning_customer",
    "salespeople",
    "sla_clock",
    "team_day",
    "test_drives_today",
    "verdict_get",
    "visits_for_user",
    "visits_today",
]
