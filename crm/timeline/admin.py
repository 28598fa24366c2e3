from django.contrib import admin

from crm.timeline.models import TimelineEvent


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "customer", "dealer", "actor", "occurred_at", "dispatched_at")
    list_filter = ("kind",)
    show_full_result_count = False
    list_select_related = ("customer", "dealer", "actor")
    readonly_fields = [f.name for f in TimelineEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
