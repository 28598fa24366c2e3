"""The timeline kinds the customer record writes, and how each reads in a person's language."""

from django.utils.translation import gettext_lazy as _

from crm.core.choices import choice_label
from crm.timeline.registry import kind_register


def _labels(**fields):
    """Build a `prepare` that turns stored codes into the reader's words: a field name for a list of changed
    fields ("customer_fields"), else the model field whose choice labels the code ("Consent.channel")."""

    def prepare(data: dict) -> dict:
        from crm.customers import models

        out = {}
        for key, spec in fields.items():
            value = data.get(key, "")
            if spec == "customer_fields":
                out[key] = ", ".join(str(models.Customer._meta.get_field(f).verbose_name) for f in value)
            elif spec == "vehicle_fields":
                out[key] = ", ".join(str(models.Vehicle._meta.get_field(f).verbose_name) for f in value)
            else:
                model, _dot, field = spec.rpartition(".")
                out[key] = choice_label(f"customers.{model}", field, value)
        return out

    return prepare


CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_LINKED = "customer.linked_to_dealer"
CUSTOMER_MERGED = "customer.merged"
CONTACT_ADDED = "customer.contact_added"
CONSENT_CHANGED = "customer.consent_changed"
VEHICLE_ADDED = "customer.vehicle_added"
VEHICLE_UPDATED = "customer.vehicle_updated"
NOTE_ADDED = "customer.note"

kind_register(
    CUSTOMER_CREATED,
    label=_("Customer created"),
    summary=_("Customer record created"),
    icon="person-plus",
)
kind_register(
    CUSTOMER_UPDATED,
    label=_("Details changed"),
    summary=_("Changed %(fields)s"),
    icon="pencil",
    prepare=_labels(fields="customer_fields"),
)
kind_register(
    CUSTOMER_LINKED,
    label=_("Dealer relationship"),
    summary=_("Now known to %(dealer)s: %(reason)s"),
    icon="shop",
    prepare=_labels(reason="CustomerDealer.reason"),
)
kind_register(
    CUSTOMER_MERGED,
    label=_("Merged"),
    summary=_("Merged duplicate record #%(merged_id)s (%(merged_name)s) into this one"),
    icon="union",
)
kind_register(
    CONTACT_ADDED,
    label=_("Contact added"),
    summary=_("Added %(kind)s %(value)s"),
    icon="telephone",
    prepare=_labels(kind="ContactPoint.kind"),
)
kind_register(
    CONSENT_CHANGED,
    label=_("Consent"),
    summary=_("%(channel)s / %(purpose)s: %(status)s (%(source)s)"),
    icon="shield-check",
    prepare=_labels(
        channel="Consent.channel", purpose="Consent.purpose", status="Consent.status", source="Consent.source"
    ),
)
kind_register(VEHICLE_ADDED, label=_("Vehicle"), summary=_("Vehicle %(vehicle)s recorded"), icon="car-front")
kind_register(
    VEHICLE_UPDATED,
    label=_("Vehicle changed"),
    summary=_("Vehicle %(vehicle)s: changed %(fields)s"),
    icon="car-front",
)
kind_register(NOTE_ADDED, label=_("Note"), summary=_("%(text)s"), icon="chat-left-text")
