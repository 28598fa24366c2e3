"""Run inside `manage.py shell` against a restored database, as the application role: the policies still
bind it (no scope: nothing; a dealer's scope: that dealer's rows only) and the application's own services
still write. Prints one JSON line for the test to read."""

import json
import os

from crm.core.scope import Scope, scoped
from crm.customers.models import Customer
from crm.customers.services.identity import customer_resolve
from crm.network.models import Dealer

dealer_a, dealer_b = (int(value) for value in os.environ["RESTORE_DEALERS"].split(","))
with scoped(Scope.nothing()):
    unscoped = Customer.objects.count()
with scoped(Scope.dealers([dealer_a])):
    dealer = Dealer.objects.get(id=dealer_a)
    seen = sorted(set(Customer.objects.values_list("origin_dealer_id", flat=True)))
    # Through identity matching (the narrow privileged function, which must survive the restore too).
    created = customer_resolve(by=None, dealer=dealer, name="恢复测试", phones=["+8613911112222"]).customer
    again = customer_resolve(by=None, dealer=dealer, name="恢复测试", phones=["13911112222"])
    seen_after = Customer.objects.filter(id=created.id).count() if again.customer.id == created.id else -1
print(json.dumps({"unscoped": unscoped, "seen_dealers": seen, "created_visible": seen_after}))
