from django.urls import path

from leads.dashboard import views

app_name = "leads_dashboard"

urlpatterns = [
    path("", views.funnel, name="funnel"),
    path("export/", views.export, name="export"),
    path("export/leads/", views.export_leads, name="export_leads"),
]
