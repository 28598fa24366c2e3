"""`manage.py lead_source_create CODE NAME --channel web_form [--dealer CODE]`: create a lead source and
print its intake key once. Only the key's sha256 is stored, so a lost key means a new source (or key)."""

from django.core.management.base import BaseCommand, CommandError

from crm.core.scope import network_wide
from crm.network.models import Dealer
from leads.models import LeadSource
from leads.services import lead_source_create


class Command(BaseCommand):
    help = "Create a lead source for public intake (web form, ADF) and print its key once."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("name")
        parser.add_argument(
            "--channel", default=LeadSource.Channel.WEB_FORM, choices=LeadSource.Channel.values
        )
        parser.add_argument("--dealer", default="", help="dealer code; omit for an OEM-wide source")
        parser.add_argument("--no-sla", action="store_true", help="the first-response SLA does not apply")

    def handle(self, *args, code, name, channel, dealer, no_sla, **options):
        with network_wide(reason="create a lead source from the command line"):
            dealer_row = None
            if dealer:
                dealer_row = Dealer.objects.filter(code=dealer).first()
                if dealer_row is None:
                    raise CommandError(f"No dealer with code {dealer!r}.")
            if LeadSource.objects.filter(code=code).exists():
                raise CommandError(f"A lead source with code {code!r} exists already.")
            source, key = lead_source_create(
                code=code, name=name, channel=channel, dealer=dealer_row, first_response_sla=not no_sla
            )
        self.stdout.write(f"Lead source {source.code} (id {source.id}) created.")
        self.stdout.write(f"Key (shown once, store it now): {key}")
