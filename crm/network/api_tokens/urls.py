from django.urls import path

from crm.network.api_tokens import views

urlpatterns = [
    path("account/api-tokens/", views.api_tokens, name="api_tokens"),
    path("account/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
