"""`manage.py appointment_source_create CODE NAME [--dealer DEALER_CODE]`: a public booking channel (a dealer's web
site, or the OEM's app with no dealer) and its key, printed once: only its sha256 is stored."""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from crm.core.scope import network_wide
from crm.network.models import Dealer
from service.appointments import services


class Command(BaseCommand):
    help = "Create an appointment source for public booking and print its key (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("name")
        parser.add_argument("--dealer", default="", help="the dealer's code; none for an OEM-wide source")

    def handle(self, *args, code, name, dealer, **options):
        with network_wide(reason="appointment_source_create: an OEM admin's command"):
            found = None
            if dealer:
                found = Dealer.objects.filter(code=dealer).first()
                if found is None:
                    raise CommandError(f"No dealer has the code {dealer!r}.")
            try:
                source, key = services.appointment_source_create(code=code, name=name, dealer=found)
            except IntegrityError as error:
                raise CommandError(f"An appointment source with the code {code!r} exists already.") from error
        self.stdout.write(f"{source.code}: {key}")
        self.stdout.write(f"Send it in the {services.KEY_HEADER} header; it is not shown again.")
