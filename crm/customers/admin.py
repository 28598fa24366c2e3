"""The customer record in the admin is for looking, not editing: every write goes through the services,
so identity resolution, consents and the timeline stay right. History is browsable via pghistory."""

from django.contrib import admin

from crm.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerDealer,
    CustomerMerge,
    DuplicateCandidate,
    Vehicle,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    fields = ("kind", "value", "label", "is_primary", "is_invalid")

    def get_readonly_fields(self, request, obj=None):
        # Shown, never edited: automatic dates (first/last seen) cannot even be form fields.
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConsentInline(ContactPointInline):
    model = Consent
    fields = ("channel", "purpose", "status", "source", "recorded_at")


class LinkInline(ContactPointInline):
    model = CustomerDealer
    fields = ("dealer", "reason", "first_seen_at", "last_seen_at")


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "kind", "city", "origin_dealer", "merged_into", "updated_at")
    list_filter = ("kind", "preferred_language")
    search_fields = ("name",)
    show_full_result_count = False
    list_select_related = ("origin_dealer",)
    inlines = [ContactPointInline, ConsentInline, LinkInline]


@admin.register(Vehicle)
class VehicleAdmin(ReadOnlyAdmin):
    list_display = ("vin", "make", "model", "year", "plate", "owner", "selling_dealer")
    search_fields = ("vin", "plate")
    show_full_result_count = False
    list_select_related = ("owner", "selling_dealer")


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(ReadOnlyAdmin):
    list_display = ("customer", "other", "score", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("customer", "other")


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ReadOnlyAdmin):
    list_display = ("merged", "survivor", "merged_by", "merged_at")
    list_select_related = ("merged", "survivor", "merged_by")
