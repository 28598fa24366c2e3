from django.urls import path

from crm.messaging import webhooks
from crm.messaging.views import campaigns_urls, library_urls, notifications_urls

app_name = "messaging"

urlpatterns = [
    path("m/u/<str:token>/", webhooks.unsubscribe, name="unsubscribe"),
    path("messaging/hooks/sms/receipts/", webhooks.sms_receipt, name="sms_receipt"),
    path("messaging/hooks/sms/inbound/", webhooks.sms_inbound, name="sms_inbound"),
    *library_urls.urlpatterns,
    *campaigns_urls.urlpatterns,
    *notifications_urls.urlpatterns,
]
