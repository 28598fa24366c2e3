"""URL patterns of this part of the messaging pages (included by crm/messaging/urls.py, namespace "messaging")."""

from django.urls import path

from crm.messaging.views import campaigns

urlpatterns: list = [
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
]
