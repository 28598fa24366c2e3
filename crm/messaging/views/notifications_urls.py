"""URL patterns of this part of the messaging pages (included by crm/messaging/urls.py, namespace "messaging")."""

from django.urls import path

from crm.messaging.views import notifications

urlpatterns: list = [
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
