from django.urls import path

from dealers import views

app_name = "dealers"

urlpatterns = [
    path("", views.network, name="network"),
    path("export/", views.network_export, name="network_export"),
    path("<int:dealer_id>/", views.dealer, name="dealer"),
    path("<int:dealer_id>/export/", views.dealer_export, name="dealer_export"),
    path("ours/", views.own, name="own"),
    path("ours/export/", views.own_export, name="own_export"),
    path("ours/oem-reads/", views.oem_reads, name="oem_reads"),
]
