"""The messaging pages (namespace "messaging"): the outside world's endpoints, the campaign pages, the
message library (templates with their preview, segments with their live count, care messages) and the bell."""

from django.urls import path

from crm.messaging.views import campaigns, library, library_care, library_segments, notifications, webhooks

app_name = "messaging"

urlpatterns = [
    # Called from outside: the unsubscribe link in marketing emails, the SMS gateway's webhooks.
    path("m/u/<str:token>/", webhooks.unsubscribe, name="unsubscribe"),
    path("messaging/hooks/sms/receipts/", webhooks.sms_receipt, name="sms_receipt"),
    path("messaging/hooks/sms/inbound/", webhooks.sms_inbound, name="sms_inbound"),
    path("messaging/hooks/calls/records/", webhooks.call_record, name="call_record"),
    # Campaigns.
    path("messaging/campaigns/", campaigns.campaign_list, name="campaigns"),
    path("messaging/campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path("messaging/campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path(
        "messaging/campaigns/<int:campaign_id>/progress/",
        campaigns.campaign_progress,
        name="campaign_progress",
    ),
    path(
        "messaging/campaigns/<int:campaign_id>/replies/",
        campaigns.campaign_replies,
        name="campaign_replies",
    ),
    *[
        path(
            f"messaging/campaigns/<int:campaign_id>/{action.replace('_', '-')}/",
            campaigns.campaign_act,
            {"action": action},
            name=f"campaign_{action}",
        )
        for action in campaigns.ACTIONS
    ],
    # The message library.
    path("messaging/templates/", library.templates, name="templates"),
    path("messaging/templates/new/", library.template_new, name="template_new"),
    path("messaging/templates/<int:template_id>/", library.template_edit, name="template_edit"),
    path("messaging/templates/preview/", library.template_preview, name="template_preview"),
    path(
        "messaging/templates/preview/customers/",
        library.template_preview_customers,
        name="template_preview_customers",
    ),
    path("messaging/segments/", library_segments.segments, name="segments"),
    path("messaging/segments/new/", library_segments.segment_new, name="segment_new"),
    path("messaging/segments/<int:segment_id>/", library_segments.segment_edit, name="segment_edit"),
    path("messaging/segments/count/", library_segments.segment_count, name="segment_count"),
    path("messaging/care/", library_care.care, name="care"),
    path("messaging/care/new/", library_care.care_new, name="care_new"),
    path("messaging/care/<int:program_id>/", library_care.care_edit, name="care_edit"),
    # The bell and the notifications page.
    path("messaging/notifications/", notifications.notifications_list, name="notifications"),
    path("messaging/notifications/bell/", notifications.notifications_bell, name="notifications_bell"),
    path(
        "messaging/notifications/read-all/",
        notifications.notifications_read_all,
        name="notifications_read_all",
    ),
    path(
        "messaging/notifications/<int:notification_id>/open/",
        notifications.notification_go,
        name="notification_open",
    ),
    path(
        "messaging/notifications/<int:notification_id>/read/",
        notifications.notification_read,
        name="notification_read",
    ),
]
