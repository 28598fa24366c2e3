"""Public lead intake (web forms and ADF lead sites): who is calling, is it spam, and into which dealer's
scope the capture runs.

A public caller has no session and no user: RequestScopeMiddleware gives it an empty scope. The caller
proves which lead source it is with the source's key (only its sha256 is stored); the source names its
dealer (or, for an OEM-wide source, the form names a dealer carrying the brand), and the capture then runs
explicitly inside `scoped(Scope.dealers([dealer.id]))` — never network-wide.
"""

from leads.services.intake.adf import ProspectResult, adf_capture, lead_trade_ins_add
from leads.services.intake.sources import (
    KEY_HEADER,
    fill_time_check,
    intake_dealer,
    lead_source_create,
    rate_limit_check,
    source_authenticate,
)
from leads.services.intake.web_form import IntakeResult, web_form_capture

__all__ = [
    "KEY_HEADER",
    "IntakeResult",
    "ProspectResult",
    "adf_capture",
    "fill_time_check",
    "intake_dealer",
    "lead_source_create",
    "lead_trade_ins_add",
    "rate_limit_check",
    "source_authenticate",
    "web_form_capture",
]
