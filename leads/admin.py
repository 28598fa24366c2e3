"""OEM admins configure the funnel here: lead sources and their keys, campaigns, the screening
questionnaire, cadence policies, dealers' demo cars. Leads themselves change only through the services."""

from django.contrib import admin

from leads.models import CadencePolicy, Campaign, DealerCadence, DemoCar, Lead, LeadSource, Questionnaire


@admin.register(LeadSource)
class LeadSourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "channel", "dealer", "first_response_sla", "is_active")
    list_filter = ("channel", "is_active")
    search_fields = ("code", "name")
    exclude = ("key_hash",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "dealer", "starts_on", "ends_on")
    search_fields = ("code", "name")


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("version", "title", "is_active", "created_at")


@admin.register(CadencePolicy)
class CadencePolicyAdmin(admin.ModelAdmin):
    list_display = ("grade", "default_days", "min_days", "max_days")


@admin.register(DealerCadence)
class DealerCadenceAdmin(admin.ModelAdmin):
    list_display = ("dealer", "grade", "days")
    list_filter = ("grade",)


@admin.register(DemoCar)
class DemoCarAdmin(admin.ModelAdmin):
    list_display = ("dealer", "model", "trim", "plate", "is_active")
    list_filter = ("is_active",)


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("id", "dealer", "customer", "owner", "type", "source", "stage", "grade", "arrived_at")
    list_filter = ("stage", "grade", "type")
    show_full_result_count = False
    list_select_related = ("dealer", "customer", "owner", "source")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
