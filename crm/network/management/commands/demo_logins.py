"""`manage.py demo_logins`: the demo users, their roles and places, and the password, as a table.

Read from the database: only users that still hold a role and whose name is one of seed_demo's. The
password is shown only while it is still the demo default (checked against the stored hash). Users whose
role requires a second factor sign in with a code from the demo's authenticator key, printed below the
table with the codes of this moment (valid about 30 seconds; run it again for fresh ones)."""

import pyotp
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from crm.core.scope import network_wide
from crm.network.models import RoleAssignment, TwoFactorDevice
from crm.network.two_factor.services import DEMO_SECRET

# Kept in step with crm/customers/management/commands/seed_demo.py (the network may not import it).
DEMO_USERNAMES = [
    "sales.sh", "sales2.sh", "manager.sh", "advisor.sh", "admin.sh", "sales.hz", "sales2.hz", "sales.nj",
    "sales.bj", "manager.bj", "manager.group", "sales.tj", "sales.sjz", "callcentre", "region.east", "region.north",
    "oem.admin",
]  # fmt: skip
DEFAULT_PASSWORD = "demo1234"  # noqa: S105 (demo data, printed on purpose)


class Command(BaseCommand):
    help = "Print the demo logins (after seed_demo)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="the password seed_demo was given")

    def handle(self, *args, password, **options):
        with network_wide(reason="list demo logins"):
            users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERNAMES)}
            assignments = (
                RoleAssignment.objects.filter(user__username__in=DEMO_USERNAMES, is_active=True)
                .select_related("user", "dealer", "region")
                .order_by("id")
            )
            demo_devices = set(
                TwoFactorDevice.objects.filter(user__username__in=DEMO_USERNAMES, secret=DEMO_SECRET).values_list(
                    "user__username", flat=True
                )
            )
            other_devices = set(
                TwoFactorDevice.objects.filter(user__username__in=DEMO_USERNAMES)
                .exclude(secret=DEMO_SECRET)
                .values_list("user__username", flat=True)
            )
            code_now = pyotp.TOTP(DEMO_SECRET).now()
            rows = []
            for a in assignments:
                user = users[a.user.username]
                place = (
                    f"{a.dealer.code} {a.dealer.name}"
                    if a.dealer
                    else a.region.name
                    if a.region
                    else "network"
                )
                shown = password if user.check_password(password) else "(changed)"
                second = code_now if user.username in demo_devices else "(own app)" if user.username in other_devices else ""
                rows.append((user.username, str(a.get_role_display()), place, shown, second))
        if not rows:
            self.stdout.write("no demo logins: run `manage.py seed_demo` first")
            return
        order = {name: i for i, name in enumerate(DEMO_USERNAMES)}
        rows.sort(key=lambda r: order[r[0]])
        headers = ("login", "role", "where", "password", "2FA code now")
        widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
        line = "  +" + "+".join("-" * (w + 2) for w in widths) + "+"
        self.stdout.write("  Demo logins")
        self.stdout.write(line)
        for i, row in enumerate([headers, *rows]):
            self.stdout.write(
                "  | " + " | ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)) + " |"
            )
            if i == 0:
                self.stdout.write(line)
        self.stdout.write(line)
        if demo_devices:
            self.stdout.write(
                f"  Two-factor sign-in: add the key {DEMO_SECRET} to an authenticator app (any TOTP app), or run"
                " this command again for fresh codes (each lasts about 30 seconds)."
            )


def _width(text: str) -> int:
    """Display width: Chinese characters take two columns in a terminal."""
    return sum(2 if "\u2e80" <= ch <= "\ufe4f" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
